"""Every sentence of the MMM report that states a number or draws a conclusion, chosen by a rule over the results.

Functions that feed the HTML report return HTML-escaped text (channel names come from the data);
:func:`brief` returns the same decisions unescaped for the results JSON. Thresholds are named constants
beside the rule that uses them; :func:`assumptions` prints them in the appendix.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook import fmt
from playbook.mmm import budget, curves, data, decompose, model
from playbook.report import Tile

if TYPE_CHECKING:  # pragma: no cover
    from playbook.mmm import MMMResult

#: A channel "pays for itself" when P(ROAS × margin > 1) is at least this; it "loses money" when at most 1 − this.
PROFIT_SURE = 0.9
#: The next unit of spend pays for itself / loses money by the same rule on P(marginal ROAS × margin > 1).
MARGINAL_SURE = 0.9
#: A plan's gain is called positive when P(gain > 0) is at least this.
GAIN_SURE = 0.9

#: The report's section headings (the ``section`` of each brief line): the notebook uses the same text.
SECTION_SUMMARY = "Executive summary"
SECTION_BUDGET = "Budget recommendation"
SECTION_ROAS = "Return on ad spend per channel"


def _escaped(fn: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return html.escape(fn(*args, **kwargs), quote=False)

    return wrapper


# --------------------------------------------------------------------------- small pieces


def _money(r: MMMResult, x) -> str:
    return fmt.money(x, r.currency)


def _label(r: MMMResult) -> str:
    return fmt.interval_label(r.interval)


def _roas(row) -> str:
    return fmt.estimate(row["roas_mean"], row["roas_hdi_low"], row["roas_hdi_high"], fmt.ratio)


def break_even(margin: float) -> float:
    """The ROAS at which a channel pays for itself: 1 / margin."""
    return 1.0 / margin


def verdict(p: float, sure: float = PROFIT_SURE) -> str:
    """``'pays'`` when ``p ≥ sure``, ``'loses'`` when ``p ≤ 1 − sure``, else ``'unclear'`` (also when ``p`` is missing)."""
    if p is None or pd.isna(p):
        return "unclear"
    if p >= sure:
        return "pays"
    if p <= 1 - sure:
        return "loses"
    return "unclear"


def _held(p) -> str:
    return "on posterior draws that did not choose the plan" if p.held_out else "on the same draws that chose the plan (too few draws to split)"


def _margin_clause(r: MMMResult) -> str:
    if r.margin == 1.0:
        return "at a margin of 100% (the KPI is already profit), break-even ROAS 1.00"
    return f"at a contribution margin of {fmt.pct(r.margin, 0)}, break-even ROAS {fmt.ratio(break_even(r.margin))}"


# --------------------------------------------------------------------------- per-channel sentences


def profitability_sentence(row, margin: float, currency: str = "$") -> str:
    """One sentence on whether a channel paid for itself, from P(ROAS × margin > 1) (never from an interval end)."""
    ch, p = row["channel"], row["prob_profitable"]
    v = verdict(p)
    if v == "pays":
        return f"{ch} paid for itself: {currency}1 spent returned more than {currency}1 of profit with probability {fmt.prob(p)}."
    if v == "loses":
        return f"{ch} lost money: {currency}1 spent returned less than {currency}1 of profit with probability {fmt.prob(1 - p)}."
    return f"{ch}: cannot tell yet whether it pays for itself (probability {fmt.prob(p)} that it does)."


def marginal_sentence(row, margin: float, currency: str = "$") -> str:
    """One sentence on whether the next unit of spend on a channel pays, from P(marginal ROAS at current spend × margin > 1)."""
    ch, p = row["channel"], row["prob_marginal_profitable"]
    v = verdict(p, MARGINAL_SURE)
    if v == "pays":
        return f"More spend on {ch} would pay for itself (probability {fmt.prob(p)})."
    if v == "loses":
        return f"The next {currency}1 on {ch} would lose money (probability {fmt.prob(1 - p)})."
    return f"Whether more spend on {ch} would pay for itself is not settled (probability {fmt.prob(p)})."


# --------------------------------------------------------------------------- executive summary


def _ranked(r: MMMResult) -> pd.DataFrame:
    return r.summary[r.summary["rankable"].astype(bool)]


def _unranked(r: MMMResult) -> pd.DataFrame:
    return r.summary[~r.summary["rankable"].astype(bool)]


def _tiers_text(r: MMMResult) -> str:
    s = r.summary.dropna(subset=["tier"]).sort_values(["tier", "roas_mean"], ascending=[True, False])
    parts = []
    for tier, g in s.groupby("tier", sort=True):
        parts.append(f"tier {int(tier)}: " + fmt.join([f"{row['channel']} {_roas(row)}" for _, row in g.iterrows()]))
    return "; ".join(parts)


def tied_sentence(r: MMMResult) -> str:
    """Which channels cannot be told apart by ROAS (they share a tier), or that every order is clear."""
    groups = decompose.tied_groups(r.summary)
    if not groups:
        return f"Every channel's ROAS order is at least {fmt.prob(decompose.ORDER_SURE)} certain."
    return ("Cannot be told apart by ROAS (order less than " + fmt.prob(decompose.ORDER_SURE) + " certain): "
            + "; ".join(fmt.join(g) for g in groups) + ".")


@_escaped
def roas_finding(r: MMMResult) -> str:
    return f"Channels by return on ad spend ({r.kpi} per unit spent, {_label(r)}), in tiers: {_tiers_text(r)}. {tied_sentence(r)}"


@_escaped
def unranked_finding(r: MMMResult) -> str:
    u = _unranked(r)
    return (f"Too uncertain to rank: {fmt.join(u['channel'].tolist())} (their ROAS intervals are wider than "
            f"{fmt.number(decompose.RANKABLE_REL_WIDTH, 1)}× their mean).")


@_escaped
def profit_finding(r: MMMResult) -> str:
    """Which channels paid for themselves, lost money or are undecided, at the stated margin."""
    s = r.summary
    groups = {v: s.loc[s["prob_profitable"].map(verdict) == v, "channel"].tolist() for v in ("pays", "loses", "unclear")}
    parts = []
    if groups["pays"]:
        parts.append(f"paid for itself with probability at least {fmt.prob(PROFIT_SURE)}: {fmt.join(groups['pays'])}")
    if groups["loses"]:
        parts.append(f"lost money with probability at least {fmt.prob(PROFIT_SURE)}: {fmt.join(groups['loses'])}")
    if groups["unclear"]:
        parts.append(f"cannot tell yet: {fmt.join(groups['unclear'])}")
    return f"Profit, {_margin_clause(r)}: " + "; ".join(parts) + "."


@_escaped
def media_finding(r: MMMResult) -> str:
    m = r.media_share
    return (f"Media drove {fmt.estimate(m.mean, m.hdi_low, m.hdi_high, fmt.pct)} of {r.kpi} ({_label(r)}) over "
            f"{fmt.date(r.first_week, 'month')}–{fmt.date(r.last_week, 'month')} ({_money(r, r.media_total)} on "
            f"{_money(r, r.summary['spend'].sum())} spend).")


@_escaped
def plan_finding(r: MMMResult) -> str:
    if r.plan is None:
        return (f"No budget recommendation: the model failed its health card on {fmt.join(r.health.failed_checks)}; "
                "its numbers are not reliable enough to move money.")
    p = r.plan
    t = p.table.sort_values("change", ascending=False)
    up, down = t.iloc[0], t.iloc[-1]
    text = (f"Same total of {_money(r, p.total_weekly_budget)} per week for the next {p.weeks} weeks: shift spend towards "
            f"{up['channel']} ({fmt.pct(up['change_pct'], 0, signed=True)}) and away from {down['channel']} "
            f"({fmt.pct(down['change_pct'], 0, signed=True)}); expected extra {r.kpi} "
            f"{fmt.estimate(p.expected_uplift_mean, p.expected_uplift_hdi_low, p.expected_uplift_hdi_high, fmt.money, currency=r.currency)} "
            f"({_label(r)}, {_held(p)}).")
    if p.all_moved_at_bounds:
        text += " Every channel it moves ends on its allowed bound: the bounds, not the response curves, set this plan."
    return text


@_escaped
def profit_plan_finding(r: MMMResult) -> str:
    q = r.profit_plan
    if q is None:
        return "No profit-optimal plan: the health card withheld every budget plan."
    cur = float(q.table["current"].sum())
    direction = "raise" if q.total_weekly_budget > cur * 1.001 else ("cut" if q.total_weekly_budget < cur * 0.999 else "keep")
    verb = {"raise": "raises", "cut": "cuts", "keep": "keeps"}[direction]
    return (f"Profit-optimal plan: {verb} the weekly total from {_money(r, cur)} to {_money(r, q.total_weekly_budget)}; expected "
            f"extra profit {fmt.estimate(q.expected_profit_mean, q.expected_profit_hdi_low, q.expected_profit_hdi_high, fmt.money, currency=r.currency)} "
            f"over {q.weeks} weeks ({_label(r)}, probability of a gain {fmt.prob(q.prob_profit_positive)}).")


@_escaped
def margin_finding(r: MMMResult) -> str:
    return f"Profit figures use a contribution margin of {fmt.pct(r.margin, 0)} of {r.kpi} (the margin parameter); break-even ROAS is {fmt.ratio(break_even(r.margin))}."


@_escaped
def dropped_finding(r: MMMResult) -> str:
    return "Left out of the model: " + "; ".join(f"{d.channel} ({d.reason})" for d in r.checks.dropped) + "."


@_escaped
def lift_finding(r: MMMResult) -> str:
    if r.calibration is None or r.lifts is None:
        return r.lift_source
    text = f"{r.lift_source} ({fmt.plural(len(r.lifts), 'test')} on {fmt.join(sorted(set(r.lifts['channel'])))})."
    if r.holdout_lifts_left_out:
        text += f" Tests dated inside the held-out weeks ({fmt.join(r.holdout_lifts_left_out)}) were kept out of the holdout fit."
    return text


def _lift_duration_text(r: MMMResult) -> str:
    """Whether each tested channel's carry-over outlasts its test: calibration treats a measured lift as the full
    effect, so a test shorter than the weeks holding most of the effect understates the channel."""
    if r.lifts is None:
        return ""
    carry = r.carry.set_index("channel")
    durations = data.lift_test_weeks(r.lifts)
    parts = []
    for ch in sorted(set(r.lifts["channel"].astype(str))):
        if ch not in carry.index:
            continue
        need = int(carry.loc[ch, "weeks_to_most"])
        if need <= 1:
            continue
        weeks = durations.get(ch)
        if weeks is None:
            parts.append(f"{ch}'s test has no dates, and {fmt.pct(curves.MOST_OF_EFFECT, 0)} of its effect takes {need} weeks to land: "
                         "a test shorter than that understates it")
        elif weeks < need:
            parts.append(f"{ch}'s test lasted {fmt.number(weeks, 1)} weeks, shorter than the {need} weeks in which "
                         f"{fmt.pct(curves.MOST_OF_EFFECT, 0)} of its effect lands: it understates the channel")
    return "; ".join(parts) + "." if parts else "Every tested channel's carry-over fits inside its test."


lift_duration_sentence = _escaped(_lift_duration_text)


def findings(r: MMMResult) -> list[str]:
    """The executive summary's findings, in order."""
    out = [margin_finding(r)]
    if r.checks.dropped:
        out.append(dropped_finding(r))
    out.append(roas_finding(r))
    if len(_unranked(r)):
        out.append(unranked_finding(r))
    out += [profit_finding(r), media_finding(r), plan_finding(r)]
    if r.profit_plan is not None:
        out.append(profit_plan_finding(r))
    out.append(lift_finding(r))
    return out


def tiles(r: MMMResult) -> list[Tile]:
    """The headline tiles: media share, best ROAS tier, the plan's gain and the model's health."""
    m = r.media_share
    best = r.summary.sort_values(["tier", "roas_mean"], ascending=[True, False]).iloc[0]
    top = r.summary[r.summary["tier"] == best["tier"]]["channel"].tolist()
    best_label = best["channel"] if len(top) == 1 else f"{fmt.join(top)} (tied)"
    out = [
        Tile(f"Media share of {r.kpi}", fmt.pct(m.mean), f"{_label(r)} {fmt.interval(m.hdi_low, m.hdi_high, fmt.pct)}"),
        Tile("Best ROAS", f"{best_label}", f"{best['channel']} {_roas(best)}", "good"),
    ]
    if r.plan is not None:
        p = r.plan
        out.append(Tile("Budget plan uplift", _money(r, p.expected_uplift_mean),
                        f"{_label(r)} {fmt.interval(p.expected_uplift_hdi_low, p.expected_uplift_hdi_high, fmt.money, currency=r.currency)} over {p.weeks} wk",
                        "good" if p.prob_uplift_positive >= GAIN_SURE else "warn"))
    else:
        out.append(Tile("Budget plan uplift", "withheld", "health card failed", "bad"))
    h = r.health
    out.append(Tile("Model health", "pass" if h.passed else "fail", f"{h.n_passed} of {len(h.lines)} checks", "good" if h.passed else "bad"))
    return [Tile(t.label, t.value, html.escape(t.detail, quote=False), t.tone) for t in out]


# --------------------------------------------------------------------------- data checks


@_escaped
def data_sentence(r: MMMResult) -> str:
    c = r.checks
    head = f"{fmt.plural(len(r.channels), 'channel')} over {c.n_weeks} weeks; "
    if not c.problems:
        return head + "no data problems found."
    return head + f"{fmt.plural(len(c.problems), 'issue')} to keep in mind: " + "; ".join(c.problems) + "."


@_escaped
def collinearity_sentence(r: MMMResult) -> str:
    """Whether spend moves together, and whether the model separated the channels: that needs the fit's learning
    check too, not the correlation check alone."""
    c = r.checks
    if c.collinear:
        return "Some channels move together; the model cannot reliably split credit between them and their intervals will be wide."
    corr = c.correlation.to_numpy(dtype=float)
    off = corr[~np.eye(len(corr), dtype=bool)]
    strongest = float(np.nanmax(np.abs(off))) if off.size and np.isfinite(off).any() else 0.0
    head = f"No two channels' spend moves together beyond |r| {fmt.number(strongest, 2)} (flag at {fmt.number(data.CORRELATION_FLAG, 1)})"
    if c.confounded:
        return head + f", but {fmt.join(c.confounded)} spend follows the trend, seasonality and controls, so the model can swap credit between it and the baseline; the plan keeps it at current spend."
    if r.health.learning_passed:
        return head + " and the fit learned every channel's effect from the data (learning check passed): the model separates the channels."
    worst = r.health.worst_learned_channel
    return head + f", yet the fit did not learn every channel's effect from the data (learning check failed, worst: {worst}); treat their split with caution."


# --------------------------------------------------------------------------- health


def health_banner(r: MMMResult) -> tuple[str, str]:
    h = r.health
    if h.passed:
        return "The model passed every health check; its budget recommendation below can be used.", "success"
    return (html.escape(f"The model failed: {fmt.join(h.failed_checks)}. No budget recommendation is made; increase draws/tune or revisit the data before acting.", quote=False), "danger")


@_escaped
def extension_sentence(r: MMMResult) -> str:
    e = r.extension
    if not e.attempted:
        return f"Automatic extension {e.reason}."
    outcome = "and then met them" if e.converged_after else "and still missed them; the health card judges the extended fit"
    return (f"The first fit missed its convergence thresholds ({e.reason.removeprefix('the first fit missed ')}); it was refitted with "
            f"{e.settings_after.draws:,} draws and {e.settings_after.tune:,} warm-up per chain (from {e.settings_before.draws:,} and "
            f"{e.settings_before.tune:,}) {outcome}.")


@_escaped
def fit_sentence(r: MMMResult) -> str:
    h, ho = r.health, r.holdout
    text = f"The model's {fmt.interval_label(r.interval, 'predictive interval')} contains {fmt.pct(h.coverage)} of observed weeks"
    if ho is None:
        return text + "; no weeks were held out."
    return text + f"; on the {ho.weeks} held-out weeks its forecast is off by {fmt.pct(ho.mape)} on average (R² {fmt.number(ho.r2, 2)})."


def health_table(r: MMMResult) -> pd.DataFrame:
    t = r.health.lines.copy()
    t["value"] = t["value"].map(lambda v: fmt.MISSING if fmt.is_missing(v) else f"{float(v):.3g}")
    t["result"] = t["passed"].map({True: "pass", False: "FAIL"})
    return t[["check", "value", "threshold", "result", "meaning"]]


# --------------------------------------------------------------------------- contributions


@_escaped
def contribution_sentence(r: MMMResult) -> str:
    s = r.summary.sort_values("contribution_mean", ascending=False)
    top = s.iloc[0]
    return (f"{top['channel']} contributed the most {r.kpi}: {_money(r, top['contribution_mean'])} "
            f"({fmt.estimate(top['contribution_share'], top['contribution_share_hdi_low'], top['contribution_share_hdi_high'], fmt.pct)} of all media contribution, {_label(r)}).")


@_escaped
def decomposition_sentence(r: MMMResult) -> str:
    m = r.media_share
    return (f"Media drives {fmt.estimate(m.mean, m.hdi_low, m.hdi_high, fmt.pct)} of modelled {r.kpi}; baseline demand is "
            f"{_money(r, r.decomp['baseline'].mean())} per week before trend, seasonality and controls.")


# --------------------------------------------------------------------------- ROAS and profit


@_escaped
def roas_sentence(r: MMMResult) -> str:
    text = f"By ROAS, in tiers (1 = best): {_tiers_text(r)}. {tied_sentence(r)}"
    u = _unranked(r)
    if len(u):
        text += f" {fmt.join(u['channel'].tolist())}: intervals too wide to rank."
    return text


@_escaped
def profit_sentence(r: MMMResult) -> str:
    clause = _margin_clause(r)
    return f"{clause[0].upper()}{clause[1:]}. " + " ".join(profitability_sentence(row, r.margin, r.currency) for _, row in r.summary.iterrows())


def channel_table(r: MMMResult) -> pd.DataFrame:
    s = r.summary
    est = lambda m, lo, hi, f=fmt.ratio: [fmt.estimate(a, b, c, f) for a, b, c in zip(s[m], s[lo], s[hi])]  # noqa: E731
    return pd.DataFrame({
        "channel": s["channel"],
        "tier": s["tier"].map(lambda v: fmt.number(v)),
        "spend": s["spend"].map(lambda v: _money(r, v)),
        "contribution": s["contribution_mean"].map(lambda v: _money(r, v)),
        "share of media": est("contribution_share", "contribution_share_hdi_low", "contribution_share_hdi_high", fmt.pct),
        "ROAS": est("roas_mean", "roas_hdi_low", "roas_hdi_high"),
        "profit ROI": est("profit_roi_mean", "profit_roi_hdi_low", "profit_roi_hdi_high", fmt.pct),
        "P(pays for itself)": s["prob_profitable"].map(fmt.prob),
        "marginal ROAS now": est("mroas_current_mean", "mroas_current_hdi_low", "mroas_current_hdi_high"),
        "P(next unit pays)": s["prob_marginal_profitable"].map(fmt.prob),
    })


# --------------------------------------------------------------------------- curves


@_escaped
def saturation_sentence(r: MMMResult) -> str:
    """The most saturated channel: lowest marginal ROAS at current spend / ROAS (not their difference)."""
    s = r.summary.dropna(subset=["saturation_ratio"])
    if not len(s):
        return "Saturation could not be measured: no marginal ROAS at current spend."
    sat = s.sort_values("saturation_ratio").iloc[0]
    m = sat["mroas_current_mean"] if pd.notna(sat.get("mroas_current_mean")) else sat["mroas_mean"]
    return (f"{sat['channel']} is the most saturated at current spend: the next unit returns {fmt.ratio(m)} against an average of "
            f"{fmt.ratio(sat['roas_mean'])} ({fmt.pct(sat['saturation_ratio'], 0)} of its average). {marginal_sentence(sat, r.margin, r.currency)}")


def carryover_sentence_from(carry: pd.DataFrame) -> str:
    """Where a week's effect lands, from the carry-over table (fixed text only when every channel agrees)."""
    most = carry[carry["same_week_share"] >= curves.SAME_WEEK_MOST]
    slow = carry[carry["same_week_share"] < curves.SAME_WEEK_MOST]
    if not len(slow):
        low = carry["same_week_share"].min()
        return f"For every channel most of a week's effect lands in the same week (at least {fmt.pct(low, 0)})."
    first = slow.iloc[0]
    lead = (f"{first['channel']} keeps working longest: only {fmt.pct(first['same_week_share'], 0)} of its effect lands in the week of the spend, "
            f"half of it by week {int(first['weeks_to_half'])} after")
    if not len(most):
        return f"For no channel does most of a week's effect land in the same week; {lead}."
    verb = "keeps" if len(slow) == 1 else "keep"
    return f"Most of a week's effect lands in the same week for {fmt.join(most['channel'].tolist())}; {fmt.join(slow['channel'].tolist())} {verb} working for weeks after the spend ({lead})."


@_escaped
def carryover_sentence(r: MMMResult) -> str:
    return carryover_sentence_from(r.carry)


# --------------------------------------------------------------------------- budget


def withheld_banner(r: MMMResult) -> tuple[str, str]:
    return html.escape(f"No recommendation: the health card failed on {fmt.join(r.health.failed_checks)}. Current weekly spend is shown for reference only.", quote=False), "danger"


@_escaped
def plan_sentence(r: MMMResult) -> str:
    p = r.plan
    bounds = f"moving each channel by at most {fmt.pct(r.budget_bounds, 0)}" if isinstance(r.budget_bounds, (int, float)) else "within the given bounds"
    text = (f"Keeping the weekly total at {_money(r, p.total_weekly_budget)} and {bounds}, the plan adds "
            f"{_money(r, p.expected_uplift_mean)} of {r.kpi} over {p.weeks} weeks from {fmt.date(p.start, 'day')} (probability of a gain {fmt.prob(p.prob_uplift_positive)}).")
    lim = p.limited_by_bounds
    if p.all_moved_at_bounds:
        text += " Every channel it moves sits on its bound: the plan is limited by the bounds, not by the response curves."
    elif lim:
        text += f" {fmt.join(lim)} {'sits' if len(lim) == 1 else 'sit'} on the allowed bound: there the bound, not the curve, sets the spend."
    if r.fixed_channels:
        text += f" {fmt.join(r.fixed_channels)} stay at current spend: their spend follows the baseline terms, so the data cannot support moving them."
    text += tier_rule_sentence(p)
    t = p.table.sort_values("change", ascending=False)
    up, down = t.iloc[0]["channel"], t.iloc[-1]["channel"]
    tiers = r.summary.set_index("channel")["tier"]
    if up in tiers.index and down in tiers.index and tiers[up] == tiers[down] and t.iloc[0]["change"] > 0:
        text += (f" {up} and {down} cannot be told apart by ROAS (same tier): the move between them rests on the response curves' "
                 "means, and the gain's interval below says what it is worth.")
    return text


@_escaped
def uplift_sentence(r: MMMResult) -> str:
    p = r.plan
    word = "clearly positive" if p.prob_uplift_positive >= GAIN_SURE else "not certain to be positive"
    held = _held(p)
    return (f"The gain is {word} (probability {fmt.prob(p.prob_uplift_positive)}): {_label(r)} "
            f"{fmt.interval(p.expected_uplift_hdi_low, p.expected_uplift_hdi_high, fmt.money, currency=r.currency)}, {held}.")


@_escaped
def profit_plan_sentence(r: MMMResult) -> str:
    q = r.profit_plan
    cur = float(q.table["current"].sum())
    text = (f"At a margin of {fmt.pct(r.margin, 0)}, the weekly total that maximises expected profit within the bounds is "
            f"{_money(r, q.total_weekly_budget)} (now {_money(r, cur)}): extra profit "
            f"{fmt.estimate(q.expected_profit_mean, q.expected_profit_hdi_low, q.expected_profit_hdi_high, fmt.money, currency=r.currency)} over {q.weeks} weeks "
            f"({_label(r)}, probability of a gain {fmt.prob(q.prob_profit_positive)}).")
    s = r.summary.set_index("channel")
    raised_losing = [ch for _, row in q.table.iterrows() if row["change"] > 0 and (ch := row["channel"]) in s.index
                     and s.loc[ch, "prob_marginal_profitable"] < budget.NO_RAISE_BELOW]
    if raised_losing:
        text += f" It raises {fmt.join(raised_losing)} although the next unit there more likely loses money than not; read it with care."
    capped = [ch for ch in r.summary["channel"] if ch not in r.fixed_channels and s.loc[ch, "prob_marginal_profitable"] < budget.NO_RAISE_BELOW]
    if capped:
        text += f" {fmt.join(capped)} may not rise: the next unit there more likely loses money than not."
    if q.all_moved_at_bounds:
        text += " Every channel it moves sits on its bound: the bounds, not the curves, limit it."
    return text + tier_rule_sentence(q)


def tier_rule_sentence(p: budget.BudgetPlan) -> str:
    """The tier rule, when it held channels: channels of one ROAS tier are not told apart, so no budget moves between them."""
    held = list(p.tier_held or [])
    if not held:
        return ""
    return (f" {fmt.join(held)} {'stays' if len(held) == 1 else 'stay'} at current spend by the tier rule: they share a ROAS tier, so the "
            "evidence does not tell their returns apart, and a plan that raised one and cut another would move budget on the curves' means alone.")


def plan_table(r: MMMResult, plan: budget.BudgetPlan) -> pd.DataFrame:
    t = plan.table
    m = lambda col: t[col].map(lambda v: _money(r, v))  # noqa: E731
    return pd.DataFrame({"channel": t["channel"], "current": m("current"), "recommended": m("optimal"), "lowest allowed": m("lower_bound"),
                         "highest allowed": m("upper_bound"), "change": t["change_pct"].map(lambda v: fmt.pct(v, 0, signed=True)),
                         "on a bound": t["at_bound"].map({True: "yes", False: "no"})})


def current_table(r: MMMResult) -> pd.DataFrame:
    return pd.DataFrame({"channel": r.current_weekly.index, "current weekly spend": r.current_weekly.map(lambda v: _money(r, v)).to_numpy()})


def spend_table(r: MMMResult) -> pd.DataFrame:
    t = r.checks.spend.merge(r.checks.vif, on="channel", how="left").merge(r.checks.baseline_r2, on="channel", how="left")
    return pd.DataFrame({"channel": t["channel"], "total spend": t["total_spend"].map(lambda v: _money(r, v)),
                         "weekly mean": t["weekly_mean"].map(lambda v: _money(r, v)), "share of spend": t["share_of_spend"].map(fmt.pct),
                         "weeks without spend": t["zero_spend_weeks"].map(fmt.number), "largest week": t["max_weekly"].map(lambda v: _money(r, v)),
                         "VIF": t["vif"].map(lambda v: fmt.number(v, 2)), "R² on baseline terms": t["baseline_r2"].map(lambda v: fmt.number(v, 2))})


# --------------------------------------------------------------------------- calibration


@_escaped
def calibration_sentence(r: MMMResult) -> str:
    tested = set(r.lifts["channel"])
    moves = "; ".join(f"{row['channel']}: {fmt.ratio(row['roas_mean_before'])} → {fmt.ratio(row['roas_mean_after'])}"
                      for _, row in r.calibration.iterrows() if row["channel"] in tested)
    return f"{r.lift_source} {moves}. {_lift_duration_text(r)}"


#: Human headers of the lift-test table (the columns of lift_tests.csv, money per week).
LIFT_HEADERS = {"channel": "Channel", "x": "Weekly spend before the test (x)", "delta_x": "Change in weekly spend (Δx)",
                "delta_y": "Measured change in weekly KPI (Δy)", "sigma": "Standard error of Δy (σ)"}


def lift_table(r: MMMResult) -> pd.DataFrame:
    """The lift tests used, money formatted, with human headers (:data:`LIFT_HEADERS`)."""
    t = r.lifts
    frame = pd.DataFrame({"channel": t["channel"], **{c: t[c].map(lambda v: _money(r, v)) for c in ("x", "delta_x", "delta_y", "sigma")}})
    return frame.rename(columns=LIFT_HEADERS)


def calibration_table(r: MMMResult) -> pd.DataFrame:
    c = r.calibration
    return pd.DataFrame({"channel": c["channel"],
                         "ROAS before": [fmt.estimate(a, b, d, fmt.ratio) for a, b, d in zip(c["roas_mean_before"], c["roas_hdi_low_before"], c["roas_hdi_high_before"])],
                         "ROAS after": [fmt.estimate(a, b, d, fmt.ratio) for a, b, d in zip(c["roas_mean_after"], c["roas_hdi_low_after"], c["roas_hdi_high_after"])],
                         "interval width change": c["hdi_width_change"].map(lambda v: fmt.pct(v, 0, signed=True))})


# --------------------------------------------------------------------------- appendix


def settings_table(r: MMMResult) -> pd.DataFrame:
    rows = [("sampler", r.settings.describe()), ("model", r.spec.describe()), ("automatic extension", r.extension.reason),
            ("controls", ", ".join(r.inp.controls) or "none"),
            ("weeks", f"{r.inp.n_weeks} ({fmt.date(r.first_week)} to {fmt.date(r.last_week)})"),
            ("holdout weeks", str(r.holdout.weeks if r.holdout else 0)), ("margin", fmt.pct(r.margin, 0)),
            ("intervals", _label(r)), ("smoke run", str(r.smoke))]
    return pd.DataFrame(rows, columns=["setting", "value"])


def shift_table(r: MMMResult) -> pd.DataFrame:
    t = r.shift.copy()
    for c in ["prior_mean", "prior_sd", "posterior_mean", "posterior_sd", "sd_ratio"]:
        t[c] = t[c].map(lambda v: fmt.number(v, 3))
    return t


def assumptions(r: MMMResult) -> pd.DataFrame:
    """The rules and constants behind every sentence, for the appendix."""
    rows = [
        ("pays for itself / loses money", f"P(ROAS × margin > 1) ≥ {fmt.prob(PROFIT_SURE)} / ≤ {fmt.prob(1 - PROFIT_SURE)}"),
        ("next unit pays / loses", f"P(marginal ROAS at current spend × margin > 1) ≥ {fmt.prob(MARGINAL_SURE)} / ≤ {fmt.prob(1 - MARGINAL_SURE)}"),
        ("ROAS tiers", f"a channel opens a new tier when every channel of the tier above beats it with probability ≥ {fmt.prob(decompose.ORDER_SURE)}"),
        ("too uncertain to rank", f"ROAS interval wider than {fmt.number(decompose.RANKABLE_REL_WIDTH, 1)}× its mean"),
        ("most saturated", "lowest marginal ROAS at current spend / ROAS"),
        ("same-week effect", f"posterior-mean share of the effect in the week of the spend ≥ {fmt.pct(curves.SAME_WEEK_MOST, 0)}"),
        ("collinear spend", f"|r| ≥ {fmt.number(data.CORRELATION_FLAG, 1)} or VIF > {fmt.number(data.VIF_FLAG)}"),
        ("confounded with the baseline", f"R² of spend on trend, seasonality and controls ≥ {fmt.number(data.CONFOUNDING_R2_FLAG, 1)} (kept at current spend)"),
        ("short lift test", f"shorter than the weeks holding {fmt.pct(curves.MOST_OF_EFFECT, 0)} of the channel's effect"),
        ("left out", f"spend in fewer than {data.MIN_SPEND_WEEKS} modelled weeks"),
        ("on a bound", f"within {fmt.pct(budget.AT_BOUND_TOL, 0)} of the allowed range from a bound"),
        ("automatic extension", f"×{model.EXTENSION_FACTOR} draws and warm-up, at most {model.MAX_EXTENSIONS} time(s), when R-hat, ESS or divergences miss"),
        ("profit plan may not raise", f"a channel whose P(next unit pays) is below {fmt.prob(budget.NO_RAISE_BELOW)}"),
        ("same tier, no shift", f"a plan that raises one channel of a ROAS tier and cuts another (each by more than {fmt.pct(budget.AT_BOUND_TOL, 0)}) "
                               "holds that tier at current spend"),
        ("gain called positive", f"P(gain > 0) ≥ {fmt.prob(GAIN_SURE)}"),
    ]
    return pd.DataFrame(rows, columns=["rule", "value"])


# --------------------------------------------------------------------------- brief


def brief(r: MMMResult) -> list[dict]:
    """The MMM's decision for the weekly brief: move budget (or hold), with evidence and risk (unescaped)."""
    if r.plan is None:
        return [{"kind": "budget_move", "decision": "Hold the media budget as it is: the MMM failed its health card",
                 "evidence": "failed: " + fmt.join(r.health.failed_checks), "risk": "the model's numbers are not reliable enough to move money",
                 "section": SECTION_BUDGET, "money_at_stake": None}]
    p = r.plan
    t = p.table.sort_values("change", ascending=False)
    decision = f"Shift weekly spend towards {t.iloc[0]['channel']} and away from {t.iloc[-1]['channel']} at the same total"
    risk = "the bounds, not the curves, set the plan" if p.all_moved_at_bounds else "none beyond the stated interval"
    return [{"kind": "budget_move", "decision": decision,
             "evidence": f"expected extra {r.kpi} {fmt.estimate(p.expected_uplift_mean, p.expected_uplift_hdi_low, p.expected_uplift_hdi_high, fmt.money, currency=r.currency)} over {p.weeks} weeks ({_label(r)})",
             "risk": risk, "section": SECTION_BUDGET, "money_at_stake": float(p.table["change"].abs().sum() / 2 * p.weeks),
             "value": p.expected_uplift_mean, "low": p.expected_uplift_hdi_low, "high": p.expected_uplift_hdi_high}]


def scope(r: MMMResult) -> str:
    """The report's opening scope line: the weekly KPI as the data record it, whose, first to last week."""
    measure = f"{r.kpi} per week, the KPI column as the data record it, explained by {fmt.plural(len(r.channels), 'media channel')}"
    who = f"every customer and order that {r.kpi} counts"
    return fmt.scope(measure, who, r.first_week, r.last_week) + f" {fmt.plural(len(r.inp.frame), 'week')} modelled."
