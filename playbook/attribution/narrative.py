"""Every sentence, tile and banner of the attribution report that states a number or draws a conclusion.

Each function takes an :class:`~playbook.attribution.AttributionResult` and returns HTML text
(channel names escaped) or a :class:`~playbook.report.Tile`. Which channel is "top", which
direction credit moves and whether two models agree are decided here, by the named rules below.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook import fmt
from playbook.attribution import funnel as F
from playbook.report import Tile

if TYPE_CHECKING:  # pragma: no cover
    from playbook.attribution import AttributionResult

#: Names of the funnel's steps and of the attribution models, as the report's charts, tables and sentences say them.
STAGE_LABELS = {"clicks": "impression → click", "signups": "click → sign-up", "orders": "sign-up → order"}
MODEL_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "position_based": "Position based",
    "markov": "Markov",
    "shapley": "Shapley",
    "mmm": "MMM contribution",
}

#: Last touch and the data-driven models "agree" on a channel when their shares differ by less than this.
SHIFT_MIN = 0.02
#: A channel is a closer (opener) when last touch gives it more (less) credit than first touch, by at least this share.
ROLE_MIN = 0.02
#: How many missed KPI targets the executive summary names.
TARGETS_NAMED = 4
#: How many alert episodes the KPI monitor draws.
ALERTS_DRAWN = 3

#: Section headings (the notebook uses the same text).
SECTION_FUNNEL = "Funnel: where do prospects drop out?"
SECTION_KPI = "KPI monitor: what is off target, what moved?"
SECTION_ATTRIBUTION = "Attribution: which channels earn the conversions?"
SECTION_TRIANGULATION = "Triangulation: MMM, attribution and lift tests side by side"
SECTIONS = (SECTION_FUNNEL, SECTION_KPI, SECTION_ATTRIBUTION, SECTION_TRIANGULATION)


def label(channel) -> str:
    """A channel name as shown (underscores as spaces), HTML-escaped."""
    return html.escape(str(channel).replace("_", " "), quote=False)


def _b(channel) -> str:
    return f"<b>{label(channel)}</b>"


def _ilabel(r: AttributionResult, kind: str = "interval") -> str:
    return fmt.interval_label(r.interval, kind)


def _money(r: AttributionResult, x) -> str:
    return fmt.money(x, r.settings.currency, 2 if abs(float(x)) < 100 else 0)


def _pct_interval(low, high) -> str:
    return fmt.interval(low, high, fmt.pct)


def _date(x) -> str:
    return fmt.date(pd.Timestamp(x))


def _span(start, end, days: int) -> str:
    return _date(start) + (f" to {_date(end)}" if days > 1 else "")


# --------------------------------------------------------------------------- funnel


def leak(r: AttributionResult) -> tuple[pd.Series, pd.Series]:
    """The all-channel step with the largest post-click loss, and the channel that converts worst at that step."""
    f = r.funnel
    allc = f.dropoffs.set_index("channel").loc[F.ALL]
    step = f.stages[(f.stages["to_stage"] == allc["to_stage"]) & (f.stages["channel"] != F.ALL)]
    worst = step.loc[step["rate"].idxmin()]
    return allc, worst


NO_LEAK = "Nobody went past an impression in the data, so no step of the funnel after the click can be measured."


def has_leak(r: AttributionResult) -> bool:
    """Whether any post-click step was entered (else there is no leak to report)."""
    return F.ALL in set(r.funnel.dropoffs["channel"])


def leak_finding(r: AttributionResult) -> str:
    if not has_leak(r):
        return NO_LEAK
    allc, worst = leak(r)
    return (
        f"<b>Biggest funnel leak:</b> {fmt.pct(allc['drop_off'])} of those who reach <i>{allc['from_stage']}</i> never reach "
        f"<i>{allc['to_stage']}</i> ({fmt.number(allc['lost'])} lost); it is worst in {_b(worst['channel'])}, where only "
        f"{fmt.pct(worst['rate'])} {_pct_interval(worst['rate_low'], worst['rate_high'])} get through."
    )


def _leak_steps(r: AttributionResult) -> pd.Series:
    per = r.funnel.dropoffs[r.funnel.dropoffs["channel"] != F.ALL].set_index("channel")
    return per["to_stage"].map(STAGE_LABELS).value_counts()


def leak_sentence(r: AttributionResult) -> str:
    if not has_leak(r):
        return NO_LEAK
    steps = _leak_steps(r)
    _, worst = leak(r)
    return (
        f"The largest post-click loss is at <b>{steps.index[0]}</b> for {steps.iloc[0]} of {int(steps.sum())} channels; "
        f"{label(worst['channel'])} converts worst there ({fmt.pct(worst['rate'])})."
    )


def leak_title(r: AttributionResult) -> str:
    if not has_leak(r):
        return "Step conversion by channel"
    return f"Step conversion by channel: the leak is {_leak_steps(r).index[0]}"


def leak_note(r: AttributionResult) -> str:
    return (
        "Each panel is one step of the funnel; a bar is the share of people at the previous step who make it through, "
        f"over the whole data period. Black whiskers are {_ilabel(r, 'credible intervals')} (Beta posterior)."
    )


def _roas(r: AttributionResult) -> pd.Series:
    return r.funnel.econ[r.funnel.econ["channel"] != F.ALL].set_index("channel")["roas"].dropna()


def economics_sentence(r: AttributionResult) -> str:
    roas = _roas(r)
    if roas.empty:
        return "No channel has spend, so no return on ad spend can be computed."
    if len(roas) == 1:
        return f"{label(roas.index[0])} returns {fmt.ratio(roas.iloc[0])} of attributed revenue per unit of spend (attributed ROAS)."
    return (
        f"{label(roas.idxmax())} returns the most attributed revenue per unit of spend (attributed ROAS {fmt.ratio(roas.max())}); "
        f"{label(roas.idxmin())} the least ({fmt.ratio(roas.min())})."
    )


def economics_title(r: AttributionResult) -> str:
    roas = _roas(r)
    lead = f": {label(roas.idxmax())} leads" if len(roas) > 1 else ""
    return f"Cost per paying customer and attributed return on ad spend{lead}"


def economics_note(r: AttributionResult) -> str:
    return (
        "Left: spend divided by paying customers (orders). Right: attributed ROAS, the revenue the funnel credits to the channel "
        "divided by its spend (not the incremental return the MMM estimates); right of the dashed line a channel's attributed revenue "
        f"covers its spend. Whiskers are {_ilabel(r, 'credible intervals')}."
    )


TREND_NOTE = ("One line per channel, one point per week. Gaps are weeks a channel was off air. Watch for lines that drift down over "
              "months (creative fatigue) rather than single dips (those are in the KPI monitor).")


def trend_sentence(r: AttributionResult) -> str:
    """The channel whose sign-up conversion most probably fell in the last window."""
    w = r.settings.kpi_window_days
    t = r.funnel.trend.set_index("channel").drop(index=F.ALL, errors="ignore")
    moved = t["prob_cvr_down"].dropna().sort_values(ascending=False)
    if moved.empty:
        return f"No channel had clicks in both of the last two {w}-day windows, so no change in sign-up conversion can be measured."
    ch = moved.index[0]
    return (
        f"Over the last {w} days, sign-up conversion in {label(ch)} changed by "
        f"{fmt.pct(t.loc[ch, 'cvr_change'], signed=True)} {_pct_interval(t.loc[ch, 'cvr_change_low'], t.loc[ch, 'cvr_change_high'])} "
        f"against the {w} days before (probability it fell: {fmt.prob(t.loc[ch, 'prob_cvr_down'])})."
    )


# --------------------------------------------------------------------------- KPI monitor


def _off(r: AttributionResult) -> pd.DataFrame:
    s = r.funnel.status
    return s[s["status"] == "off target"]


def targets_finding(r: AttributionResult) -> str | None:
    s = r.funnel.status if r.funnel is not None else None
    if s is None or not len(s):
        return None
    off = _off(r)
    named = "; ".join(f"{label(x.channel)} {x.kpi.upper()} ({fmt.pct(x.gap, signed=True)})" for x in off.head(TARGETS_NAMED).itertuples())
    return f"<b>{len(off)} of {len(s)}</b> KPI targets are missed over the last {r.settings.kpi_window_days} days" + (f": {named}." if named else ".")


def targets_banner(r: AttributionResult, targets_file: str = "") -> tuple[str, str] | None:
    """An info banner when there are no KPI targets to check; ``None`` when there are."""
    s = r.funnel.status
    if s is not None and len(s):
        return None
    where = f" (<code>{html.escape(targets_file)}</code>)" if targets_file else ""
    return f"No KPI targets found{where}: targets are not checked.", "info"


def targets_sentence(r: AttributionResult) -> str:
    s, off = r.funnel.status, _off(r)
    head = f"{len(off)} of {len(s)} KPI targets are missed over the last {r.settings.kpi_window_days} days"
    if not len(off):
        return head + "."
    worst = off.iloc[off["gap"].abs().argmax()]
    return head + f"; the largest gap is {label(worst['channel'])} {worst['kpi'].upper()} ({fmt.pct(worst['gap'], signed=True)})."


def targets_title(r: AttributionResult) -> str:
    return f"KPIs against targets, last {r.settings.kpi_window_days} days: {len(_off(r))} missed"


def targets_note(r: AttributionResult) -> str:
    p = r.settings.decide_prob
    return (
        f"Each cell compares a channel's KPI with its target: ✓ on target and ✗ off target when the data are at least {fmt.prob(p)} sure, "
        "? when they cannot tell yet. The percentage is actual vs target; green is better than target, red worse (for CPA lower is better). "
        "A ROAS target is checked against the attributed ROAS (funnel revenue ÷ spend), not the MMM's incremental ROAS."
    )


def alerts_finding(r: AttributionResult) -> str:
    bad, days = r.funnel.bad_episodes, r.settings.alert_days
    if not len(bad):
        return f"No KPI moved unexpectedly in the last {days} days."
    e = bad.iloc[0]
    return (
        f"<b>{len(bad)} alert(s)</b> in the last {days} days; the strongest: {label(e['channel'])} {e['metric'].upper()} "
        f"{fmt.pct(e['worst_change'], signed=True)} against expected on {_span(e['start'], e['end'], e['days'])}."
    )


def alert_episodes_drawn(r: AttributionResult) -> pd.DataFrame:
    """The strongest bad-news episodes, one per channel and metric, at most :data:`ALERTS_DRAWN`."""
    return r.funnel.bad_episodes.drop_duplicates(["channel", "metric"]).head(ALERTS_DRAWN)


def alerts_sentence(r: AttributionResult) -> str:
    shown = alert_episodes_drawn(r)
    items = "; ".join(
        f"{label(e.channel)} {e.metric.upper()} {fmt.pct(e.worst_change, signed=True)} ({fmt.date(e.start, 'day')}"
        + (f" to {fmt.date(e.end, 'day')}" if e.days > 1 else "") + ")"
        for e in shown.itertuples()
    )
    return f"{len(r.funnel.bad_episodes)} bad-news alert(s) in the last {r.settings.alert_days} days; the strongest are shown: {items}."


def alerts_note(r: AttributionResult) -> str:
    s = r.settings
    return (
        "Grey is the daily KPI, the dashed line what the channel's trend and day-of-week pattern predicted, the red band the alerted days. "
        f"A day is alerted when it is more than {fmt.number(s.alert_threshold, 1)} robust standard deviations and at least "
        f"{fmt.pct(s.alert_min_change, 0)} away from expected."
    )


def no_alerts_banner(r: AttributionResult) -> tuple[str, str]:
    return f"No alerts in the last {r.settings.alert_days} days.", "success"


# --------------------------------------------------------------------------- attribution


def skipped_banner(section: str) -> tuple[str, str]:
    """The warning shown in place of a section whose input is missing."""
    journeys = "no <code>paths.csv</code> or <code>touchpoints.csv</code> + <code>conversions.csv</code>."
    if section == SECTION_ATTRIBUTION:
        return f"Attribution skipped: {journeys}", "warning"
    if section == SECTION_TRIANGULATION:
        return f"Triangulation skipped: it lines the attribution models up against the MMM, and there are no journeys ({journeys[:-1]}).", "warning"
    name = "Funnel section" if section == SECTION_FUNNEL else "KPI monitor"
    return f"{name} skipped: no <code>funnel.csv</code> in the data folder.", "warning"


def lookback_banner(r: AttributionResult) -> tuple[str, str] | None:
    j = r.paths.journeys
    if j is None or not (j.touches_dropped or j.conversions_without_touch):
        return None
    return (
        f"{fmt.count(j.touches_dropped)} of {fmt.count(j.touches_used + j.touches_dropped)} touches were more than "
        f"{fmt.number(r.settings.lookback_days)} days before their conversion (or the journey's last touch) and are ignored; "
        f"{fmt.count(j.conversions_without_touch)} conversion(s) had no touch in the window.",
        "info",
    )


def attribution_banners(r: AttributionResult) -> list[tuple[str, str]]:
    """The attribution section's banners: touches outside the lookback window (info), a correction the Shapley rule made (warning)."""
    out = [(html.escape(w), "warning") for w in r.warnings]
    lb = lookback_banner(r)
    return ([lb] if lb else []) + out


def roles(r: AttributionResult) -> pd.Series:
    """Per channel ``"closer"``, ``"opener"`` or ``"both"``: last-touch share minus first-touch share beyond :data:`ROLE_MIN`."""
    sh = r.paths.shares
    diff = sh["last_touch"] - sh["first_touch"]
    return diff.map(lambda d: "closer" if d >= ROLE_MIN else "opener" if d <= -ROLE_MIN else "both")


def shift(r: AttributionResult) -> tuple[str, str] | None:
    """(over-credited, under-credited) channel by last touch against the data-driven mean; ``None`` when all agree within :data:`SHIFT_MIN`."""
    bias = r.paths.bias
    if bias.empty or bias["difference"].abs().max() < SHIFT_MIN:
        return None
    over, under = bias.index[0], bias.index[-1]
    if bias.loc[over, "difference"] < SHIFT_MIN and bias.loc[under, "difference"] > -SHIFT_MIN:
        return None
    return over, under


def bias_finding(r: AttributionResult) -> str:
    s = shift(r)
    if s is None:
        return f"<b>Last touch and the data-driven models agree</b>: no channel's share differs by {fmt.pp(SHIFT_MIN).lstrip('+')} or more."
    over, under = s
    b = r.paths.bias
    return (
        f"<b>Last touch over-credits {label(over)}</b> ({fmt.pct(b.loc[over, 'last_touch_share'])} of conversions vs "
        f"{fmt.pct(b.loc[over, 'data_driven_share'])} by Markov and Shapley) and <b>under-credits {label(under)}</b> "
        f"({fmt.pct(b.loc[under, 'last_touch_share'])} vs {fmt.pct(b.loc[under, 'data_driven_share'])})."
    )


def shares_sentence(r: AttributionResult) -> str:
    """How credit moves between last touch and the data-driven models, with the closer/opener words only when the roles say so."""
    s = shift(r)
    b = r.paths.bias
    if s is None:
        text = (f"Last touch, Markov and Shapley give every channel a similar share of observed conversions "
                f"(within {fmt.pp(SHIFT_MIN).lstrip('+')}).")
    else:
        over, under = s
        role = roles(r)
        if role[over] == "closer" and role[under] == "opener":
            verb = "move credit from the closers to the openers"
        else:
            verb = f"move credit away from {label(over)} towards {label(under)}"
        text = (
            f"The data-driven models {verb}: last touch gives {label(over)} {fmt.pct(b.loc[over, 'last_touch_share'])} of observed "
            f"conversions, Markov and Shapley {fmt.pct(b.loc[over, 'data_driven_share'])}; {label(under)} gets "
            f"{fmt.pct(b.loc[under, 'last_touch_share'])} from last touch and {fmt.pct(b.loc[under, 'data_driven_share'])} from them."
        )
    if r.mmm_given:
        text += " The MMM's contribution shares are shown beside them (a share of revenue, not of conversions)."
    return text


def shares_note(r: AttributionResult) -> str:
    return (
        "Each group is a channel; each bar the share of observed conversions a model gives it (bars of one colour add up to 100%). "
        "Last touch (grey) credits whoever came last; Markov (blue) and Shapley (red-orange) share the conversions out by each "
        "channel's part in the converting journeys. None of them measures what a channel adds: that is the MMM's and the lift "
        "tests' job (see the triangulation). "
        + ("The black bars are the MMM's shares of media contribution. " if r.mmm_given else "")
        + "First-touch, position-based and time-decay shares are in the table below."
    )


def shares_title(r: AttributionResult) -> str:
    sh = r.paths.shares
    gain = (sh["shapley"] - sh["last_touch"]).sort_values()
    if gain.abs().max() < SHIFT_MIN:
        return "Shapley and last touch give similar shares of observed conversions"
    return f"Shapley moves credit from {label(gain.index[0])} to {label(gain.index[-1])} compared with last touch"


def ranking(r: AttributionResult) -> list:
    """Channels by Shapley credit, most first."""
    return list(r.paths.shares["shapley"].sort_values(ascending=False).index)


def _ci(r: AttributionResult, model: str) -> pd.DataFrame:
    return (r.paths.shapley_ci if model == "shapley" else r.paths.markov_ci).set_index("channel")


def top_separated(r: AttributionResult) -> bool | None:
    """Whether the top Shapley channel's interval lies above the runner-up's (``None`` with one channel)."""
    order = ranking(r)
    if len(order) < 2:
        return None
    ci = _ci(r, "shapley")
    return bool(ci.loc[order[0], "low"] > ci.loc[order[1], "high"])


def top_finding(r: AttributionResult) -> str:
    order = ranking(r)
    top = order[0]
    ci = _ci(r, "shapley").loc[top]
    sep = top_separated(r)
    tail = "" if sep is None else (
        f"; its {_ilabel(r)} lies above {label(order[1])}'s" if sep else f"; its {_ilabel(r)} overlaps {label(order[1])}'s, so the order of the two is not settled")
    return (
        f"{_b(top)} gets the largest share of observed conversions by Shapley value: {fmt.number(r.paths.credits['shapley'][top])} "
        f"{fmt.interval(ci['low'], ci['high'])} of {fmt.number(r.paths.shapley.total_conversions)}{tail}."
    )


def ranking_sentence(r: AttributionResult) -> str:
    return (
        f"Ranked by Shapley credit: {', '.join(label(c) for c in ranking(r))}. "
        "Intervals show how much the credit could move with another sample of journeys."
    )


def ranking_title(r: AttributionResult) -> str:
    top = ranking(r)[0]
    markov_top = r.paths.credits["markov"].idxmax()
    if markov_top == top:
        return f"{label(top)} gets the most credit under both data-driven models"
    return f"{label(top)} gets the most credit by Shapley, {label(markov_top)} by Markov"


def ranking_note(r: AttributionResult) -> str:
    return (
        f"Dots are credited conversions, whiskers {_ilabel(r, 'intervals')} from re-sampling the journeys "
        f"({fmt.plural(r.settings.bootstrap_replicates, 'bootstrap replicate')}). Both models share out the observed conversions, "
        "including those that would have happened anyway; they are not incremental effects."
    )


def credit_axis_label(r: AttributionResult) -> str:
    return f"credited conversions ({_ilabel(r, 'bootstrap interval')})"


# --------------------------------------------------------------------------- summary


def findings(r: AttributionResult) -> list[str]:
    out = []
    if r.funnel is not None:
        out += [leak_finding(r), alerts_finding(r)]
        t = targets_finding(r)
        if t:
            out.append(t)
    if r.paths is not None:
        out += [bias_finding(r), top_finding(r)]
        tri = triangulation_finding(r)
        if tri:
            out.append(tri)
    return out


def tiles(r: AttributionResult) -> list[Tile]:
    out = []
    lab = _ilabel(r)
    if r.funnel is not None:
        a = r.funnel.econ.set_index("channel").loc[F.ALL]
        cur = r.settings.currency
        out += [
            Tile("Blended CAC", _money(r, a["cac"]), f"{lab} {fmt.interval(a['cac_low'], a['cac_high'], fmt.money, currency=cur, digits=2)}"),
            Tile("Blended attributed ROAS", fmt.ratio(a["roas"]), f"{lab} {fmt.interval(a['roas_low'], a['roas_high'], fmt.ratio)}",
                 tone="good" if a["roas_low"] > 1 else "warn"),
        ]
        n = len(r.funnel.bad_episodes)
        out.append(Tile("Alerts (bad news)", fmt.count(n), f"last {r.settings.alert_days} days", tone="bad" if n else "good"))
    if r.paths is not None:
        top = ranking(r)[0]
        ci = _ci(r, "shapley").loc[top]
        total = r.paths.shapley.total_conversions
        out.append(Tile(f"Top channel (Shapley): {label(top)}", fmt.pct(r.paths.shares.loc[top, "shapley"]),
                        f"{lab} {_pct_interval(ci['low'] / total, ci['high'] / total)} of observed conversions"))
    return out


# --------------------------------------------------------------------------- appendix


def methods(r: AttributionResult) -> list[str]:
    s, lab = r.settings, _ilabel(r, "equal-tailed credible intervals")
    out = [
        "<b>Funnel.</b> Stages impressions → clicks → sign-ups → orders. CTR = clicks / impressions; CVR = sign-ups / clicks; pay rate = "
        "orders / sign-ups; CPA = spend / sign-ups; CAC = spend / orders; attributed ROAS = funnel revenue / spend. Rates carry "
        f"{lab} from a Beta(½, ½) (Jeffreys) prior; CPA and CAC from a Gamma posterior on the Poisson count; attributed ROAS from the "
        "order count and the spread of order values (estimated from the daily order values; log-normal). Attributed ROAS is what the "
        "funnel credits to a channel, not the incremental ROAS of the MMM.",
        f"<b>KPI targets.</b> Over the last {s.kpi_window_days} days: on target when P(KPI meets target) ≥ {fmt.prob(s.decide_prob)}, "
        f"off target when ≤ {fmt.prob(1 - s.decide_prob)}, unclear otherwise. ROAS targets are checked against the attributed ROAS.",
        "<b>Anomaly alerts.</b> Per channel and KPI, the daily log KPI is decomposed by a robust STL (statsmodels; weekly period, 35-day trend, "
        "51-week seasonal smoother). Each residual is divided by its own noise: the day's sampling variance plus an extra day-to-day variance "
        "fitted so the z-scores have a robust (MAD) standard deviation of 1. "
        f"Alert: |z| ≥ {fmt.number(s.alert_threshold, 1)} and |change| ≥ {fmt.pct(s.alert_min_change, 0)}."
        + (f" Smoke run: only the last {fmt.plural(180, 'day')} were analysed." if r.funnel is not None and r.funnel.history_limited else ""),
    ]
    if r.paths is not None:
        if r.paths.journeys is not None:
            out.append(f"<b>Journeys.</b> A conversion's path is its journey's touches within {fmt.number(s.lookback_days)} days before it; "
                       "a non-converting journey ends at its last touch.")
        else:
            out.append("<b>Journeys.</b> Read as aggregated paths from <code>paths.csv</code> (no timestamps: time decay counts touches).")
        out += [
            f"<b>Heuristics.</b> First / last touch; linear (repeated touches count); time decay with a {fmt.number(s.half_life_days, 1)}-day "
            "half-life; position based 40/20/40.",
            f"<b>Markov.</b> Chain of order {r.paths.order} over (start), states of the last {fmt.plural(r.paths.order, 'channel')} "
            "touched, (conversion) and (null); repeated touches of one channel merged. Removal effects are solved exactly: "
            "P(conversion) = [(I − Q)⁻¹ R] from (start) by a linear solve; removing a channel sends every transition into a state "
            "that contains it to (null). Credit = total conversions × removal effect / sum of removal effects (ChannelAttribution's "
            f"allocation). Order: {markov_order_text(r)}.",
            "<b>Shapley.</b> The value of a set of channels is the conversion rate of journeys that touched exactly that set, partially "
            "pooled towards an additive logistic model (scikit-learn) with the weight of 10 journeys. Each converting set's conversions "
            f"are split by the rule: {shapley_rule_text()}. That keeps every channel between zero and the conversions of the journeys that "
            f"touched it, and the credits sum to the total. Method used: {html.escape(r.paths.shapley.method)}; cost: "
            f"{html.escape(r.paths.shapley.cost)}.",
            "<b>What the credit means.</b> Markov and Shapley share out all observed conversions, including those that would have happened "
            "without any marketing: a channel's credit is its share of observed conversions, not its incremental effect (that is the MMM's "
            "and the lift tests' job).",
            f"<b>Intervals for attribution.</b> Poisson bootstrap over journeys, {fmt.plural(s.bootstrap_replicates, 'replicate')}, "
            f"{fmt.interval_label(r.interval)}.",
        ]
    return out


def markov_order_text(r: AttributionResult) -> str:
    """How the Markov order was set: the stated rule and its scores, or the fixed parameter."""
    from playbook.attribution.markov import ORDER_RULE

    choice = r.paths.order_choice
    if choice is None:
        return f"fixed at {r.paths.order} by the markov_order parameter"
    scores = "; ".join(f"order {int(x.order)}: {fmt.number(x.loglik, 3)} ± {fmt.number(x.se, 3)}" for x in choice.scores.itertuples())
    return f"{html.escape(ORDER_RULE)} (held-out log-likelihood per journey: {scores}; chosen: {choice.order})"


def time_to_conversion_sentence(r: AttributionResult) -> str | None:
    """How long conversions take from the first touch, overall and for the slowest channel; ``None`` without timestamps."""
    from playbook.attribution.journeys import ALL_CHANNELS

    t = r.paths.time_to_conversion
    if t is None or not len(t):
        return None
    t = t.set_index("channel")
    per = t.drop(index=ALL_CHANNELS, errors="ignore")
    text = ""
    if ALL_CHANNELS in t.index:
        a = t.loc[ALL_CHANNELS]
        text = (f"Half of the conversions come within {fmt.number(a['median_days'], 1)} days of the journey's first touch, "
                f"90% within {fmt.number(a['p90_days'], 1)} days.")
    if len(per) > 1:
        slow, fast = per["median_days"].idxmax(), per["median_days"].idxmin()
        text += (f" From its first touch, {label(slow)} takes longest to convert (median {fmt.number(per.loc[slow, 'median_days'], 1)} days), "
                 f"{label(fast)} the least ({fmt.number(per.loc[fast, 'median_days'], 1)} days).")
    return text.strip()


def shapley_rule_text() -> str:
    from playbook.attribution.shapley import ALLOCATION_RULE

    return html.escape(ALLOCATION_RULE)


def diagnostics(r: AttributionResult) -> list[str]:
    p = r.paths
    line = (
        f"Journeys: {fmt.count(p.agg_paths['journeys'].sum())}; conversions: {fmt.number(p.markov.total_conversions)}; "
        f"P(conversion) on the chain: {fmt.pct(p.markov.p_conversion)}; distinct paths: {fmt.count(len(p.agg_paths))}; "
        f"largest coalition: {fmt.plural(p.shapley.largest_coalition, 'channel')}."
    )
    return [line, *(html.escape(n) for n in p.shapley.notes), *(html.escape(w) for w in r.warnings)]


# --------------------------------------------------------------------------- triangulation



def _flagged(r: AttributionResult) -> pd.DataFrame:
    t = r.triangulation.table
    return t[t["flag"].notna()] if len(t) else t


def triangulation_banners(r: AttributionResult) -> list[tuple[str, str]]:
    """What the triangulation lacks or cannot trust: no MMM, a failed MMM health check, another interval mass, one-sided channels."""
    tri, out = r.triangulation, []
    if tri is None:
        return [skipped_banner(SECTION_TRIANGULATION)]
    if not tri.table["mmm_roas_mean"].notna().any():
        out.append(("No <code>mmm.json</code> in this run: the MMM's incremental ROAS and shares are missing, so only the attribution "
                    "models" + (" and the lift tests" if tri.lift_tests_given else "") + " are lined up, and nothing is flagged.", "info"))
    if tri.mmm_healthy is False:
        out.append(("The MMM's health check failed: its numbers are shown for reference, but no disagreement is flagged against them.", "warning"))
    if tri.mmm_interval is not None and abs(float(tri.mmm_interval) - r.interval) > 1e-9:
        out.append((f"The MMM's intervals are {fmt.mass(tri.mmm_interval)} intervals, this report's {fmt.mass(r.interval)}.", "info"))
    sides = {"mmm_only": "in the MMM only (no tracked journeys)", "attribution_only": "in the journeys only (not in the MMM)",
             "lift_tests_only": "in the lift tests only"}
    parts = [f"{fmt.join([label(c) for c in tri.missing[k]])} {v}" for k, v in sides.items() if tri.missing.get(k)]
    if parts:
        out.append(("Channels on one side only, listed rather than dropped: " + "; ".join(parts) + ".", "info"))
    return out


def triangulation_sentence(r: AttributionResult) -> str:
    tri = r.triangulation
    t = tri.table
    if not t["mmm_roas_mean"].notna().any():
        return f"Attribution's shares of attributed revenue for {fmt.plural(len(t), 'channel')}; the MMM's incremental view is missing."
    if tri.mmm_healthy is False:
        return "The MMM failed its health check, so its incremental shares are not used to judge the attribution models."
    flagged = _flagged(r)
    n = int(t["mmm_share"].notna().sum())
    if not len(flagged):
        return (f"For all {fmt.plural(n, 'channel')} on both sides, the attribution models' revenue shares and the lift tests agree with "
                f"the MMM within its intervals or within {fmt.number(_ratio_flag(), 1)}×.")
    named = fmt.join([label(c) for c in flagged.index])
    return (f"{fmt.count(len(flagged))} of {fmt.plural(n, 'channel')} disagree beyond the uncertainty: {named}. "
            "Attribution shares out observed revenue; the MMM and lift tests measure what a channel adds.")


def _ratio_flag() -> float:
    from playbook.attribution.triangulation import RATIO_FLAG

    return RATIO_FLAG


def triangulation_flags(r: AttributionResult) -> list[str]:
    """One plain explanation per flagged channel."""
    return [html.escape(e) for e in _flagged(r)["explanation"]] if r.triangulation is not None else []


def triangulation_title(r: AttributionResult) -> str:
    flagged = _flagged(r)
    if not r.triangulation.table["mmm_share"].notna().any():
        return "Share of attributed revenue by model (no MMM in this run)"
    if not len(flagged):
        return "Attribution and the MMM agree within their uncertainty"
    return f"Attribution and the MMM disagree on {fmt.join([label(c) for c in flagged.index])}"


def triangulation_note(r: AttributionResult) -> str:
    return (
        f"Black bars are the MMM's share of media contribution with its {fmt.interval_label(r.triangulation.mmm_interval or r.interval)}; "
        "coloured marks are each attribution model's share of attributed revenue (value-weighted credit, so both are shares of revenue). "
        f"A channel is flagged when a model's share lies outside the MMM's interval and is at least {fmt.number(_ratio_flag(), 1)}× larger "
        "or smaller, or when a lift test's ROAS interval misses the MMM's."
    )


def triangulation_finding(r: AttributionResult) -> str | None:
    if r.triangulation is None or r.triangulation.mmm_healthy is False or not len(_flagged(r)):
        return None
    first = _flagged(r).iloc[0]
    return f"<b>Attribution and the MMM disagree on {fmt.plural(len(_flagged(r)), 'channel')}</b>: {html.escape(first['explanation'])}"


# --------------------------------------------------------------------------- weekly brief

#: The risk of a brief line when the analysis flagged nothing. Last touch "mis-credits" a channel in the brief when its
#: share differs from the reference's by at least :data:`SHIFT_MIN` and lies outside the reference's interval.
NO_RISK = "none flagged"


def _plain(channel) -> str:
    """A channel name as plain text (the brief escapes on rendering)."""
    return str(channel).replace("_", " ")


def _risk(items: list[str]) -> str:
    """Risks as one plain sentence part ("; "-joined, without their own full stops), or :data:`NO_RISK`."""
    return "; ".join(i.strip().rstrip(".") for i in items) or NO_RISK


def _kpi_name(row) -> str:
    return f"{_plain(row['channel'])} {str(row['kpi']).upper().replace('_', ' ')}"


def _kpi_value(r: AttributionResult, kpi: str, x) -> str:
    if kpi in ("ctr", "cvr", "pay_rate"):
        return fmt.pct(x)
    if kpi == "roas":
        return fmt.ratio(x)
    return _money(r, x)


def _kpi_evidence(r: AttributionResult, row) -> str:
    k = row["kpi"]
    interval = fmt.interval(row["low"], row["high"], lambda x: _kpi_value(r, k, x))
    return (f"{_kpi_name(row)} {_kpi_value(r, k, row['actual'])} {interval} ({_ilabel(r)}) against a target of "
            f"{_kpi_value(r, k, row['target'])} over the last {r.settings.kpi_window_days} days; P(on target) {fmt.prob(row['prob_on_target'])}")


def _window_spend(r: AttributionResult, channels) -> float:
    """Spend of ``channels`` over the KPI window (what is being spent while their KPIs miss)."""
    d = r.funnel.data
    last = d["date"].max()
    win = d[(d["date"] > last - pd.Timedelta(days=r.settings.kpi_window_days)) & d["channel"].isin(list(channels))]
    return float(win["spend"].sum())


def _data_risks(r: AttributionResult, funnel_side: bool) -> list[str]:
    """The data warnings of the funnel file (``funnel_side``) or of the journey files."""
    from pathlib import Path

    mine = [w for w in r.data_warnings if Path(str(w.file)).stem.startswith("funnel") == funnel_side]
    return [f"{fmt.plural(len(mine), 'data warning')} on {fmt.join(sorted({Path(str(w.file)).name for w in mine}))}"] if mine else []


def kpi_risks(r: AttributionResult) -> list[str]:
    """What would make the KPI line wrong, from the report's own checks."""
    f, out = r.funnel, []
    s = f.status
    if s is None or not len(s):
        out.append("no KPI targets given: only unexpected moves are checked")
    else:
        unclear = s[s["status"] == "unclear"]
        if len(unclear):
            out.append(f"{fmt.plural(len(unclear), 'KPI')} too uncertain to call ({fmt.join([_kpi_name(x) for _, x in unclear.iterrows()])})")
    if f.history_limited:
        out.append(f"smoke run: alerts fitted on the last {fmt.plural(180, 'day')} only")
    return out + _data_risks(r, funnel_side=True)


def _kpi_line(r: AttributionResult) -> dict:
    f, s = r.funnel, r.funnel.status
    bad = f.bad_episodes
    line = {"kind": "attribution_kpi", "section": SECTION_KPI, "risk": _risk(kpi_risks(r)), "money_at_stake": None}
    off = _off(r) if s is not None else s
    if off is not None and len(off):
        off = off.assign(_p=off["prob_on_target"], _g=-off["gap"].abs()).sort_values(["_p", "_g"])  # surest miss first, then largest gap
        names = [_kpi_name(x) for _, x in off.head(TARGETS_NAMED).iterrows()]
        more = f" and {len(off) - TARGETS_NAMED} more" if len(off) > TARGETS_NAMED else ""
        worst = off.iloc[0]
        evidence = _kpi_evidence(r, worst)
        if len(bad):
            evidence += f"; {fmt.plural(len(bad), 'unexpected move')} alerted"
        return {**line, "decision": f"Fix the {'KPIs' if len(off) > 1 else 'KPI'} off target: {', '.join(names)}{more}", "action": "fix: " + ", ".join(_kpi_name(x) for _, x in off.iterrows()),
                "evidence": evidence, "value": float(worst["actual"]), "low": float(worst["low"]), "high": float(worst["high"]),
                "money_at_stake": _window_spend(r, off["channel"].unique())}
    if len(bad):
        e = bad.iloc[0]
        name = f"{_plain(e['channel'])} {str(e['metric']).upper().replace('_', ' ')}"
        head = "No KPI off target" if s is not None and len(s) else "No KPI targets to check"
        return {**line, "decision": f"{head}; investigate the unexpected move in {name}", "action": f"investigate {name}",
                "evidence": (f"{name} {fmt.pct(e['worst_change'], signed=True)} against its seasonal expectation on "
                             f"{_span(e['start'], e['end'], e['days'])} (robust z {fmt.number(e['worst_z'], 1)}); "
                             f"{fmt.plural(len(bad), 'bad-news alert')} in the last {r.settings.alert_days} days"),
                "value": float(e["worst_change"])}
    if s is None or not len(s):
        return {**line, "decision": "No KPI targets to check and no unexpected KPI move", "action": "no KPI targets; no alerts",
                "evidence": f"no bad-news alert in the last {r.settings.alert_days} days"}
    closest = s.sort_values("prob_on_target").iloc[0]
    met = int((s["status"] == "on target").sum())
    return {**line, "decision": "No KPI off target and no unexpected KPI move", "action": "no KPI off target",
            "evidence": f"{met} of {len(s)} KPI targets met; least sure: " + _kpi_evidence(r, closest),
            "value": float(closest["actual"]), "low": float(closest["low"]), "high": float(closest["high"])}


def credit_reference(r: AttributionResult) -> str:
    """What last touch is judged against in the brief: ``"mmm"`` when the MMM is in the run and healthy, else ``"markov"``."""
    tri = r.triangulation
    if tri is not None and tri.mmm_healthy is not False and len(tri.table) and tri.table["mmm_share"].notna().any() \
            and tri.table["last_touch_share"].notna().any():
        return "mmm"
    return "markov"


def _credit_gaps(r: AttributionResult) -> pd.DataFrame:
    """Per channel: last-touch share, the reference share and its interval, the gap (last touch − reference) and its interval.

    Against the MMM: shares of revenue (last touch's value-weighted credit against the MMM's share of media contribution,
    with its interval). Against Markov: shares of observed conversions, Markov's interval from the bootstrap.
    """
    if credit_reference(r) == "mmm":
        t = r.triangulation.table.dropna(subset=["mmm_share", "last_touch_share"])
        lt, ref = t["last_touch_share"], t["mmm_share"]
        lo = t["mmm_share_hdi_low"].fillna(ref)
        hi = t["mmm_share_hdi_high"].fillna(ref)
    else:
        p = r.paths
        total = float(p.markov.total_conversions) or np.nan
        lt, ref = p.shares["last_touch"], p.shares["markov"]
        ci = p.markov_ci.set_index("channel").reindex(ref.index)
        lo, hi = (ci["low"] / total).fillna(ref), (ci["high"] / total).fillna(ref)
    out = pd.DataFrame({"last_touch": lt, "reference": ref, "ref_low": lo, "ref_high": hi})
    out["gap"] = out["last_touch"] - out["reference"]
    out["gap_low"], out["gap_high"] = out["last_touch"] - out["ref_high"], out["last_touch"] - out["ref_low"]
    # largest gap first; a tie (two channels always tie) goes to the channel last touch over-credits
    return out.assign(_size=out["gap"].abs().round(9)).sort_values(["_size", "gap"], ascending=False).drop(columns="_size")


def credit_risks(r: AttributionResult) -> list[str]:
    """What would make the credit line wrong: the Shapley rule's warnings, conversions left uncredited, the MMM's state, data warnings."""
    out = list(r.warnings)
    j = r.paths.journeys
    if j is not None and j.conversions_without_touch:
        out.append(f"{fmt.count(j.conversions_without_touch)} conversion(s) had no touch in the {fmt.number(r.settings.lookback_days)}-day "
                   "lookback window and are not credited")
    tri = r.triangulation
    if tri is not None and tri.mmm_healthy is False:
        out.append("the MMM failed its health check: last touch is judged against Markov only")
    elif credit_reference(r) == "markov":
        out.append("no MMM in this run: last touch is judged against Markov, which also shares out conversions that would have happened anyway")
    return out + _data_risks(r, funnel_side=False)


def _credit_line(r: AttributionResult) -> dict:
    ref = credit_reference(r)
    g = _credit_gaps(r)
    section = SECTION_TRIANGULATION if ref == "mmm" else SECTION_ATTRIBUTION
    line = {"kind": "attribution_credit", "section": section, "risk": _risk(credit_risks(r))}
    against = "the MMM" if ref == "mmm" else "Markov"
    unit = "attributed revenue" if ref == "mmm" else "observed conversions"
    ref_unit = " of media contribution" if ref == "mmm" else ""
    total_value = float(r.paths.credits_value["last_touch"].sum()) if ref == "mmm" else float(r.paths.markov.total_value)
    if not len(g):
        return {**line, "decision": "No channel credit to compare", "action": "no credit to compare", "evidence": "no credited channel",
                "money_at_stake": None}
    ch, x = g.index[0], g.iloc[0]
    settled = abs(x["gap"]) >= SHIFT_MIN and not (x["ref_low"] <= x["last_touch"] <= x["ref_high"])
    evidence = (f"last touch gives {_plain(ch)} {fmt.pct(x['last_touch'])} of {unit}, {against} {fmt.pct(x['reference'])}{ref_unit} "
                f"{_pct_interval(x['ref_low'], x['ref_high'])} ({_ilabel(r)}); gap {fmt.pp(x['gap'])} "
                f"{fmt.interval(x['gap_low'], x['gap_high'], fmt.pp)}")
    numbers = {"value": float(x["gap"]), "low": float(x["gap_low"]), "high": float(x["gap_high"]),
               "money_at_stake": abs(float(x["gap"])) * total_value if np.isfinite(total_value) else None}
    if not settled:
        return {**line, **numbers, "decision": f"Last-touch credit can stand: it agrees with {against} on every channel within the uncertainty",
                "action": f"last touch agrees with {against}", "evidence": "largest gap: " + evidence}
    if x["gap"] > 0:
        decision = f"Do not scale {_plain(ch)} on last-touch numbers: last touch over-credits it against {against}"
        action = f"{_plain(ch)} over-credited by last touch"
    else:
        decision = f"Do not cut {_plain(ch)} on last-touch numbers: last touch under-credits it against {against}"
        action = f"{_plain(ch)} under-credited by last touch"
    return {**line, **numbers, "decision": decision, "action": action, "evidence": evidence}


def brief(r: AttributionResult) -> list[dict]:
    """The attribution decisions for the weekly brief (plain text): the KPI line (with a funnel), the credit line (with journeys)."""
    out = []
    if r.funnel is not None:
        out.append(_kpi_line(r))
    if r.paths is not None:
        out.append(_credit_line(r))
    return out


def scope(r: AttributionResult) -> str:
    """The report's opening scope line: which orders and revenue (funnel, journeys), whose, which period."""
    measures, whos = [], []
    if r.funnel is not None:
        orders = float(r.funnel.data["orders"].sum())
        measures.append("orders and revenue per paid channel as funnel.csv records them")
        whos.append(f"the {fmt.plural(orders, 'order')} the funnel counts")
    if r.paths is not None:
        t = r.paths.path_table
        journeys = float(t["conversions"].sum() + t["nulls"].sum())
        measures.append("conversions and their value in the journeys")
        whos.append(f"{fmt.plural(journeys, 'journey')}, {fmt.count(t['conversions'].sum())} converted")
    first, last = r.data_period if r.data_period else (None, None)
    return fmt.scope(fmt.join(measures) or "no funnel and no journeys", fmt.join(whos) or "nobody", first, last)
