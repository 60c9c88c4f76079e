"""Every sentence of the launch report that states a number or draws a conclusion, chosen by a rule over the results.

Functions that feed the HTML report (findings, card sentences, banners, tiles, tables) return
HTML-escaped plain text; :func:`brief` returns the same sentences unescaped for the results JSON.
Thresholds are named constants beside the rule that uses them; the appendix prints them
(:func:`assumptions`).
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from playbook import fmt, mcmc
from playbook.launch import bass, plan
from playbook.launch.forecast import Estimate
from playbook.report import Tile

if TYPE_CHECKING:  # pragma: no cover
    from playbook.launch import LaunchResult

#: The peak has passed (or is still ahead) when the posterior puts at least this probability on it.
PEAK_SURE = 0.9
#: p or q is called above (below) its analogue when P(above) is at least (at most 1 −) this.
DIRECTION_SURE = 0.9
#: m counts as determined by the data when its interval is at most this many times its median wide.
M_WIDTH_OK = 1.0

#: The report's section headings (the ``section`` of each brief line): the notebook uses the same text.
SECTION_FORECAST = "How many will adopt, and how fast?"
SECTION_PEAK = "When does adoption peak?"
SECTION_PLAN = "The launch plan: phases and budget"
SECTIONS = (SECTION_FORECAST, SECTION_PEAK, SECTION_PLAN)

_NO_SPEND = {
    plan.NO_MMM: "this run has no mmm.json, so the phases carry no spend",
    plan.NO_CURVES: "the run's mmm.json has no response curves, so the phases carry no spend",
    plan.MMM_UNHEALTHY: "the MMM's health check failed, so its response curves do not price the phases",
    plan.NO_BUDGET: "neither launch_budget nor the MMM's current spend gives a budget, so the phases carry no spend",
    plan.NOTHING_AHEAD: "every phase lies before the end of the data, so there is nothing left to budget",
}


def _escaped(fn: Callable[..., str]) -> Callable[..., str]:
    """The HTML-escaped output of a sentence function (data-borne names such as channels may contain markup)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return html.escape(fn(*args, **kwargs), quote=False)

    return wrapper


# --------------------------------------------------------------------------- small pieces


def unit(r: LaunchResult) -> str:
    """``'month'`` or ``'week'``."""
    return r.history.frequency


def period_label(date, frequency: str) -> str:
    """``'Oct 2026'`` for a month, ``'week of 05 Oct 2026'`` for a week."""
    return fmt.date(date, "month") if frequency == "month" else f"week of {fmt.date(date, 'day')}"


def _when(r: LaunchResult, date) -> str:
    return period_label(date, unit(r))


def _range(r: LaunchResult, timing) -> str:
    """The interval of a timing in months (``'Jun 2026 to May 2027'``), whatever the data's frequency."""
    return f"{fmt.date(timing.low_date, 'month')} to {fmt.date(timing.high_date, 'month')}"


def _short(r: LaunchResult, date) -> str:
    """A date for a tile: ``'Dec 2026'`` for monthly data, ``'07 Dec 2026'`` (the week's Monday) for weekly."""
    return fmt.date(date, "month" if unit(r) == "month" else "day")


def _label(r: LaunchResult) -> str:
    return fmt.interval_label(r.interval)


def _count(e: Estimate) -> str:
    return fmt.estimate(e.mean, e.low, e.high, fmt.number)


def _money(r: LaunchResult, x) -> str:
    return fmt.money(x, r.currency)


def _periods(r: LaunchResult, n: int) -> str:
    return fmt.plural(n, unit(r))


def m_determined(r: LaunchResult) -> bool:
    """The data pin m down: its interval is at most :data:`M_WIDTH_OK` × its median wide (always False prior-only)."""
    m = r.summary.m
    return bool(not r.prior_only and m.known and (m.high - m.low) <= M_WIDTH_OK * m.median)


def _direction(prob: float) -> str:
    if prob >= DIRECTION_SURE:
        return "above"
    if prob <= 1 - DIRECTION_SURE:
        return "below"
    return "in line with"


# --------------------------------------------------------------------------- risks


def model_risks(r: LaunchResult) -> list[str]:
    """What could make the forecast's dates and counts wrong, from the analysis's own checks."""
    out = []
    if r.prior_only:
        out.append("prior-only: no adoption history has tested these dates")
    if r.too_few_periods:
        out.append(f"only {_periods(r, r.history.n)} of history for {bass.N_PARAMETERS} parameters")
    if r.converged is False:
        out.append(f"the sampler did not converge ({fmt.join(r.diagnostics.problems())})")
    if r.m_known and not r.prior_only and not m_determined(r) and r.priors.m_source == "history":
        out.append("the data barely pin down the market potential; set market_potential from research")
    if r.priors.m_source == "comparable":
        out.append("the new service's potential is assumed equal to the comparable's")
    if r.horizon_capped:
        out.append(f"the forecast stops {fmt.plural(r.forecast['period_index'].max() + 1, unit(r))} after the launch")
    return out


def plan_risks(r: LaunchResult) -> list[str]:
    """What could make the plan's spend and adopters wrong: the MMM hand-off's own limits."""
    basis, out = r.plan.basis, []
    if not basis.known:
        return out
    if basis.mmm_interval is not None and abs(basis.mmm_interval - r.interval) > 1e-9:
        out.append(f"the MMM's response curves carry {fmt.mass(basis.mmm_interval)} intervals, this report {fmt.mass(r.interval)}")
    if basis.beyond_curve:
        out.append(f"spend on {fmt.join(list(basis.beyond_curve))} goes beyond what the MMM observed; "
                   "its contribution is held at the curve's end")
    bought, expected = r.plan.total("adopters"), r.plan.forecast_adopters
    if bought is not None and expected is not None and bought.mean > expected:
        out.append(f"the MMM credits the spend with more adopters ({fmt.number(bought.mean)}) than the Bass forecast "
                   f"expects in all ({fmt.number(expected)}); check revenue_per_adopter")
    if basis.revenue_per_adopter:
        out.append(f"adopters assume {fmt.money_precise(basis.revenue_per_adopter, r.currency)} of revenue per adopter "
                   "within the weeks the MMM credits")
    return out


def _risk(items: list[str]) -> str:
    return "; ".join(items) if items else "none flagged"


# --------------------------------------------------------------------------- banners and health


@_escaped
def mode_banner(r: LaunchResult) -> str:
    """Where p, q and m come from, when it is not the service's own history; ``''`` otherwise."""
    s = r.summary
    if r.prior_only:
        m = (f"m from market_potential, {_count(s.m)}" if r.m_known
             else "no market potential, so the forecast gives timing and shares of the potential, not adopters")
        return (f"Prior-only forecast: there is no adoption history, so p and q are the analogue priors "
                f"(innovation {fmt.ratio(r.priors.p.mean * r.history.periods_per_year, 3)}, imitation "
                f"{fmt.ratio(r.priors.q.mean * r.history.periods_per_year, 2)} a year on average) and {m}. "
                "Treat every date below as a planning range, not a forecast.")
    if r.history.source == "comparable":
        first, last = r.history.data_period
        m = "m from market_potential" if r.priors.m_source == "market_potential" else "m assumed equal to the comparable's"
        return (f"p and q come from a comparable service's history ({first} to {last}); the new service launches "
                f"{fmt.date(r.history.launch, 'day')}, with {m}.")
    return ""


def banners(r: LaunchResult) -> list[tuple[str, str]]:
    """The report's opening banners as ``(text, level)``: a failed fit (danger), then where p, q and m come from."""
    out = []
    if health_banner(r):
        out.append((health_banner(r), "danger"))
    if mode_banner(r):
        out.append((mode_banner(r), "warning" if r.prior_only else "info"))
    return out


def health(r: LaunchResult) -> tuple[str, str]:
    """The appendix's health line and its banner level: ``success`` converged, ``danger`` not, ``info`` prior-only."""
    level = "info" if r.diagnostics is None else "success" if r.diagnostics.converged else "danger"
    return health_line(r), level


@_escaped
def health_line(r: LaunchResult) -> str:
    """The sampler's R-hat / ESS / divergence read-out in one sentence."""
    d = r.diagnostics
    if d is None:
        return f"No sampling: {fmt.count(len(r.draws))} independent draws from the priors."
    verdict = "converged" if d.converged else "did not converge: " + fmt.join(d.problems())
    rhat = fmt.ratio(d.rhat_max, 3) if fmt.is_finite(d.rhat_max) else fmt.MISSING
    return (f"Sampling ({r.settings.describe()}): R-hat {rhat} (at most {mcmc.RHAT_MAX}), bulk ESS "
            f"{fmt.count(d.ess_bulk_min)} (at least {fmt.count(d.ess_bulk_floor)}), "
            f"{fmt.plural(d.divergences, 'divergent transition')}: {verdict}.")


@_escaped
def health_banner(r: LaunchResult) -> str:
    """A danger banner when the fit did not converge (its dates must not be planned on); ``''`` otherwise."""
    if r.converged is not False:
        return ""
    return (f"The Bass fit did not converge ({fmt.join(r.diagnostics.problems())}): the plan below is withheld "
            "from decisions. Refit with more draws (draws, tune) before using these dates.")


# --------------------------------------------------------------------------- findings and tiles


def _potential_finding(r: LaunchResult) -> str:
    s, h = r.summary, r.history
    if not r.m_known:
        return "The market potential is unknown (no history, no market_potential): the report gives timing and shares only."
    if r.prior_only:
        return f"The market potential is the stated prior, {_count(s.m)} adopters ({_label(r)}); no history revises it."
    adopted = fmt.count(h.adopters.sum())
    if h.source == "comparable":
        return f"The comparable service reached {adopted} adopters; the new service's potential is {_count(s.m)} ({_label(r)})."
    share = h.adopters.sum() / s.m.mean
    sure = "" if m_determined(r) else "; the data barely pin it down"
    return (f"The market potential m is {_count(s.m)} adopters ({_label(r)}); {adopted} have adopted so far, "
            f"about {fmt.pct(share, 0)} of it{sure}.")


def _next_year(r: LaunchResult) -> str:
    window = min(int(round(r.history.periods_per_year)), r.periods_ahead)
    start = "the launch" if r.history.source != "own" else "the data"
    new, share = r.ahead(window)
    if new is None:
        return (f"By {_periods(r, window)} after {start}, {fmt.pct(share.mean, 1)} of the potential should have adopted "
                f"({_label(r)} {fmt.interval(share.low, share.high, fmt.pct)}).")
    return (f"The {_periods(r, window)} after {start} should bring {_count(new)} new adopters ({_label(r)}), "
            f"taking adoption to {fmt.pct(share.mean, 0)} of the potential.")


def findings(r: LaunchResult) -> list[str]:
    """The executive summary: potential, timing, the next year, the plan (HTML-escaped)."""
    items = [_potential_finding(r), _peak(r), _next_year(r), _plan(r)]
    return [html.escape(i, quote=False) for i in items]


def tiles(r: LaunchResult) -> list[Tile]:
    """Headline tiles: potential, peak, half the potential, adopters so far (or the launch), the budget."""
    s, h = r.summary, r.history
    out = [
        Tile("Market potential", fmt.number(s.m.mean), f"{fmt.mass(r.interval)}: {fmt.interval(s.m.low, s.m.high)}") if r.m_known
        else Tile("Market potential", "unknown", "set market_potential", "warn"),
        Tile("Adoption peak", _short(r, s.peak.date), f"{fmt.mass(r.interval)}: {_range(r, s.peak)}", "warn" if r.prior_only else ""),
        Tile("Half the potential", _short(r, s.half_potential.date), f"{fmt.mass(r.interval)}: {_range(r, s.half_potential)}"),
    ]
    if h.source == "own":
        detail = f"{fmt.pct(h.adopters.sum() / s.m.mean, 0)} of potential" if r.m_known else f"in {_periods(r, h.n)}"
        out.append(Tile("Adopted so far", fmt.count(h.adopters.sum()), detail))
    else:
        out.append(Tile("Launch", fmt.date(h.launch, "day"), "prior-only forecast" if r.prior_only else "p, q from a comparable"))
    spend = r.plan.spend
    if spend is None:
        out.append(Tile("Launch budget", "not sized", "no MMM pricing", ""))
    else:
        bought = r.plan.total("adopters")
        out.append(Tile("Launch budget", _money(r, spend), f"≈ {fmt.number(bought.mean)} adopters" if bought else "spend only"))
    return out


# --------------------------------------------------------------------------- cards


def _fit(r: LaunchResult) -> str:
    s = r.summary
    p = fmt.estimate(s.p_per_year.mean, s.p_per_year.low, s.p_per_year.high, fmt.ratio, digits=3)
    q = fmt.estimate(s.q_per_year.mean, s.q_per_year.low, s.q_per_year.high, fmt.ratio)
    if r.prior_only:
        return (f"These are the priors, untested by data: innovation p {p} and imitation q {q} a year ({_label(r)}), "
                "centred on the analogue values.")
    driver = ("word of mouth (imitation) drives adoption more than advertising (innovation)" if s.prob_imitation_led >= DIRECTION_SURE
              else "advertising (innovation) drives adoption at least as much as word of mouth" if s.prob_imitation_led <= 1 - DIRECTION_SURE
              else "the data cannot tell whether word of mouth or advertising drives adoption more")
    prior_p = r.priors.p.mean * r.history.periods_per_year
    prior_q = r.priors.q.mean * r.history.periods_per_year
    return (f"The fit puts innovation p at {p} and imitation q at {q} a year ({_label(r)}): {driver}. "
            f"p is {_direction(s.prob_p_above_analogue)} its analogue ({fmt.ratio(prior_p, 3)}) and q "
            f"{_direction(s.prob_q_above_analogue)} its analogue ({fmt.ratio(prior_q, 2)}).")


fit_sentence = _escaped(_fit)


def _forecast(r: LaunchResult) -> str:
    f = r.forecast
    first = r.history.last_observed_index + 1
    peak_row = f.loc[f["period_index"] == r.summary.peak.index]
    if not r.m_known:
        return (f"Without a market potential the forecast is in shares: half the potential adopts by "
                f"{_when(r, r.summary.half_potential.date)} ({_range(r, r.summary.half_potential)}).")
    nxt = f.loc[f["period_index"] == first].iloc[0]
    where = "next " + unit(r) if r.history.source == "own" else f"launch {unit(r)}"
    text = (f"Expect {fmt.number(nxt['mean'])} new adopters in the {where} ({_when(r, nxt['period'])}, "
            f"{_label(r)} {fmt.interval(nxt['lower'], nxt['upper'])})")
    if not peak_row.empty and r.summary.peak.index > first:
        pk = peak_row.iloc[0]
        text += f", rising to {fmt.number(pk['mean'])} a {unit(r)} at the peak ({fmt.interval(pk['lower'], pk['upper'])})"
    return text + "."


forecast_sentence = _escaped(_forecast)


def _peak(r: LaunchResult) -> str:
    t = r.summary.peak
    half = r.summary.half_potential
    if t.index == 0:
        return (f"New adoptions are highest at the launch and fall from there: innovation outweighs imitation. "
                f"Half the potential adopts by {_when(r, half.date)} ({_range(r, half)}).")
    if t.prob_observed is not None and t.prob_observed >= PEAK_SURE:
        return (f"New adoptions peaked in {_when(r, t.date)} (P = {fmt.prob(t.prob_observed)} that the peak is behind us): "
                f"from here adoption declines, and the growth phase is over.")
    if t.prob_observed is not None and t.prob_observed > 1 - PEAK_SURE:
        return (f"Adoption may be peaking now: the posterior puts the peak in {_when(r, t.date)} ({_range(r, t)}), "
                f"with P = {fmt.prob(t.prob_observed)} that it has already passed.")
    after = "the last data" if r.history.source == "own" else "the launch"
    ahead = t.index - max(r.history.last_observed_index, 0) if r.history.source == "own" else t.index
    return (f"New adoptions should peak in {_when(r, t.date)} ({_range(r, t)}, {_label(r)}), "
            f"{_periods(r, ahead)} after {after}; half the potential adopts by {_when(r, half.date)}.")


peak_sentence = _escaped(_peak)


def _phase_span(r: LaunchResult, phase) -> str:
    return f"{_when(r, phase.start)} to {_when(r, phase.end)}"


def _phase_list(r: LaunchResult) -> str:
    parts = []
    for ph in r.plan.phases:
        if ph.status == "empty":
            parts.append(f"no {ph.name} phase (adoption peaks before the innovators have adopted)" if ph.name == "growth"
                         else f"no {ph.name} phase")
        else:
            done = " (behind us)" if ph.status == "past" else " (under way)" if ph.status == "current" else ""
            parts.append(f"{ph.name} {_phase_span(r, ph)}{done}")
    return "; ".join(parts)


def _phases(r: LaunchResult) -> str:
    return f"Phases: {_phase_list(r)}."


phases_sentence = _escaped(_phases)


def _plan(r: LaunchResult) -> str:
    basis = r.plan.basis
    if not basis.known:
        return f"The launch plan: {_phase_list(r)}; {_NO_SPEND[basis.reason]}."
    parts = [f"{_money(r, ph.spend)} in {ph.name}" for ph in r.plan.planned]
    source = "launch_budget" if basis.budget_source == "launch_budget" else "the MMM's current weekly spend held over the plan"
    text = f"Spend {fmt.join(parts)} ({_money(r, r.plan.spend)} in all, from {source})"
    bought = r.plan.total("adopters")
    if bought is None:
        return text + "; set revenue_per_adopter to turn the MMM's revenue into adopters."
    per = bought.mean / r.plan.spend * 1000 if r.plan.spend else None
    return (text + f": the MMM's response curves say it buys {_count(bought)} adopters "
            f"({fmt.number(per, 1)} per {_money(r, 1000)}).")


plan_sentence = _escaped(_plan)


# --------------------------------------------------------------------------- tables


def phase_table(r: LaunchResult) -> pd.DataFrame:
    """The phases with human headers, formatted (spend columns only when the MMM priced the plan)."""
    rows = []
    for ph in r.plan.phases:
        row = {
            "Phase": ph.name,
            "From": _when(r, ph.start) if ph.start is not None else fmt.MISSING,
            "To": _when(r, ph.end) if ph.end is not None else fmt.MISSING,
            f"Length, {unit(r)}s": fmt.count(ph.periods),
            "Status": {"past": "behind us", "current": "under way", "ahead": "ahead", "empty": "none"}[ph.status],
            "Forecast adopters in the plan": fmt.number(ph.forecast_adopters) if ph.forecast_adopters is not None else fmt.MISSING,
        }
        if r.plan.basis.known:
            row[f"Spend, {r.currency}"] = _money(r, ph.spend)
            row[f"Weekly spend, {r.currency}"] = _money(r, ph.weekly_spend)
            c = ph.contribution
            row[f"Revenue from spend, {r.currency}"] = fmt.estimate(c.mean, c.low, c.high, fmt.money, currency=r.currency) if c else fmt.MISSING
            if r.plan.basis.revenue_per_adopter:
                row["Adopters from spend"] = _count(ph.adopters) if ph.adopters else fmt.MISSING
        rows.append(row)
    return pd.DataFrame(rows)


#: Weekly forecasts list every fourth week in the appendix table (a year in 13 rows).
WEEKLY_TABLE_STEP = 4


def forecast_rows(r: LaunchResult) -> pd.DataFrame:
    """The forecast for the year after the data (after the launch without own history), human headers;
    every :data:`WEEKLY_TABLE_STEP`-th week of weekly data."""
    f = r.forecast.loc[r.forecast["period_index"] > r.history.last_observed_index].head(int(round(r.history.periods_per_year)))
    f = f.iloc[:: WEEKLY_TABLE_STEP if unit(r) == "week" else 1]
    lab = _label(r)
    out = pd.DataFrame({unit(r).capitalize(): [_when(r, d) for d in f["period"]]})
    if r.m_known:
        out["New adopters, mean"] = [fmt.number(v) for v in f["mean"]]
        out[f"New adopters, {lab}"] = [fmt.interval(lo, hi) for lo, hi in zip(f["lower"], f["upper"])]
        out[f"Cumulative adopters, {lab}"] = [fmt.interval(lo, hi, fmt.count) for lo, hi in zip(f["cumulative_lower"], f["cumulative_upper"])]
    out["Share of potential adopted"] = [fmt.pct(v, 1) for v in f["share_mean"]]
    out[f"Share, {lab}"] = [fmt.interval(lo, hi, fmt.pct) for lo, hi in zip(f["share_lower"], f["share_upper"])]
    return out


def parameter_table(r: LaunchResult) -> pd.DataFrame:
    """m, p and q (and p, q per year) with prior and posterior, human headers."""
    s, pr, ppy = r.summary, r.priors, r.history.periods_per_year
    lab = _label(r)
    kind = "Prior" if r.prior_only else "Posterior"

    def prior_text(prior, digits=None, f=fmt.number, scale=1.0):
        if prior is None:
            return "none"
        lo, hi = prior.interval(r.interval)
        kw = {"digits": digits} if digits is not None else {}
        return fmt.estimate(prior.mean * scale, lo * scale, hi * scale, f, **kw)

    rows = [
        ("Market potential m, adopters", prior_text(pr.m), _count(s.m) if s.m.known else fmt.MISSING),
        ("Innovation p, per year", prior_text(pr.p, 3, fmt.ratio, ppy), fmt.estimate(s.p_per_year.mean, s.p_per_year.low, s.p_per_year.high, fmt.ratio, digits=3)),
        ("Imitation q, per year", prior_text(pr.q, 2, fmt.ratio, ppy), fmt.estimate(s.q_per_year.mean, s.q_per_year.low, s.q_per_year.high, fmt.ratio)),
        (f"Innovation p, per {unit(r)}", prior_text(pr.p, 5, fmt.ratio), fmt.estimate(s.p.mean, s.p.low, s.p.high, fmt.ratio, digits=5)),
        (f"Imitation q, per {unit(r)}", prior_text(pr.q, 4, fmt.ratio), fmt.estimate(s.q.mean, s.q.low, s.q.high, fmt.ratio, digits=4)),
        (f"Peak, {unit(r)}s after the launch", fmt.MISSING, fmt.estimate(s.peak.time.mean, s.peak.time.low, s.peak.time.high, fmt.number, digits=1)),
        (f"Half the potential, {unit(r)}s after the launch", fmt.MISSING,
         fmt.estimate(s.half_potential.time.mean, s.half_potential.time.low, s.half_potential.time.high, fmt.number, digits=1)),
    ]
    return pd.DataFrame(rows, columns=["Quantity", f"Prior, mean {lab}", f"{kind}, mean {lab}"])


def assumptions(r: LaunchResult) -> pd.DataFrame:
    """The rules and constants behind the report, for the appendix."""
    basis = r.plan.basis
    h = r.history
    used = {"own": "the service's own history", "comparable": "a comparable service's history"}.get(h.source, "none")
    rows = [
        ("History", f"{_periods(r, h.n)}, {h.data_period[0]} to {h.data_period[1]}, {fmt.count(h.adopters.sum())} adopters ({used})"
         if h.n else "none: prior-only forecast"),
        ("Timeline", f"one {unit(r)} per period; period 0 is the launch ({fmt.date(h.launch, 'day')})"),
        ("Innovators (end of the launch phase)", fmt.pct(plan.INNOVATORS_SHARE, 1) + " of the potential adopted (Rogers)"),
        ("Warm-up", _periods(r, r.plan.warmup_periods) + " before the launch"),
        ("Budget weights", "share of the potential not yet adopted (1 − F); warm-up at "
         + fmt.pct(plan.WARMUP_INTENSITY, 0) + " of the first launch period"),
        ("Peak passed / ahead", f"P at least {fmt.prob(PEAK_SURE)}"),
        ("p, q above or below the analogue", f"P at least {fmt.prob(DIRECTION_SURE)}"),
        ("m determined by the data", f"interval at most {fmt.ratio(M_WIDTH_OK, 1)} × its median wide"),
        ("Prior spread of p, q (log scale)", f"{fmt.ratio(bass.P_LOG_SD, 2)}, {fmt.ratio(bass.Q_LOG_SD, 2)}"),
        ("m prior without market_potential", f"median {fmt.ratio(bass.M_PRIOR_MULTIPLE, 0)} × adopters so far, log-scale spread "
         + fmt.ratio(bass.M_PRIOR_LOG_SD, 1)),
        ("Revenue per adopter", fmt.money_precise(basis.revenue_per_adopter, r.currency) if basis.revenue_per_adopter else "not set"),
    ]
    if basis.known:
        mix = ", ".join(f"{ch} {fmt.pct(w, 0)}" for ch, w in sorted(basis.mix.items(), key=lambda kv: -kv[1]))
        rows.append((f"Channel mix ({basis.mix_source})", mix))
    return pd.DataFrame(rows, columns=["Rule", "Value"])


# --------------------------------------------------------------------------- glossary and brief


def glossary(r: LaunchResult) -> dict[str, str]:
    """The terms the report uses, in plain words."""
    lab = _label(r)
    terms = {
        "Bass model": "A model of how a new product spreads: some people adopt on their own (innovation, p), others "
                      "because others did (imitation, q), until the market potential m has adopted.",
        "Innovation p": "The share of those who have not adopted yet who adopt each period on their own, moved by "
                        "advertising and other outside influence.",
        "Imitation q": "How strongly adopters pull in others (word of mouth): the pull grows with the share that has adopted.",
        "Market potential m": "The number of people who will eventually adopt.",
        "Peak": "The period in which the most new adopters arrive; the Bass model puts it at ln(q/p) / (p + q) after the launch.",
        "Warm-up, launch, growth": "The plan's phases: before the launch; from the launch until the first "
                                   f"{fmt.pct(plan.INNOVATORS_SHARE, 1)} of the potential (the innovators) adopted; from there to the peak.",
        "Credible interval": f"The {lab} holds the true value with that probability, given the model and the data.",
        "Prediction interval": f"The {lab} a period's actual count should fall in, noise included.",
        "Prior": "What is assumed before the data: here, p and q from comparable services (Sultan, Farley & Lehmann 1990).",
    }
    if r.plan.basis.known or r.plan.basis.reason == plan.MMM_UNHEALTHY:
        terms["Response curve"] = ("The MMM's estimate of the weekly revenue a steady weekly spend on a channel brings, "
                                   "carry-over included.")
    if r.diagnostics is not None:
        terms["R-hat"] = "Agreement between sampling chains; at most 1.01 means they agree."
        terms["ESS"] = "Effective sample size: how many independent draws the chains are worth."
        terms["Divergent transition"] = "A sampler step that failed; any means the intervals may be wrong."
    return terms


def brief(r: LaunchResult) -> list[dict]:
    """The launch decisions for the weekly brief: timing, then budget, each with evidence and risk."""
    s = r.summary
    lab = _label(r)
    t = s.peak
    if r.converged is False:
        timing = "Refit the Bass model before planning on its dates: the sampler did not converge"
    elif t.prob_observed is not None and t.prob_observed >= PEAK_SURE:
        timing = f"Adoption has peaked ({_when(r, t.date)}): plan for a maturing service, not for growth"
    elif r.prior_only:
        timing = f"Plan on a prior-only range: adoption peaks around {_when(r, t.date)} ({_range(r, t)})"
    else:
        timing = (f"Plan for new adoptions to peak in {_when(r, t.date)} and for half the potential by "
                  f"{_when(r, s.half_potential.date)}")
    evidence = (f"peak {fmt.estimate(t.time.mean, t.time.low, t.time.high, fmt.number, digits=1)} {unit(r)}s after the launch "
                f"({lab})")
    if s.m.known:
        evidence += f"; market potential {_count(s.m)}"
    out = [{"kind": "launch_timing", "decision": timing, "evidence": evidence, "risk": _risk(model_risks(r)),
            "section": SECTION_PEAK, "money_at_stake": None}]
    basis = r.plan.basis
    if not basis.known:
        decision, evidence, money = "Phase the launch by timing only: " + _NO_SPEND[basis.reason], _phases(r), None
    elif r.converged is False:
        decision, evidence, money = "Hold the launch budget until the Bass fit converges", _phases(r), r.plan.spend
    else:
        decision, money = _plan(r).rstrip("."), r.plan.spend
        bought = r.plan.total("adopters")
        evidence = (f"adopters from spend {_count(bought)} (MMM response curves, "
                    f"{fmt.mass(basis.mmm_interval) if basis.mmm_interval else 'their'} interval)" if bought
                    else f"revenue from spend {fmt.estimate(*(getattr(r.plan.total('contribution'), k) for k in ('mean', 'low', 'high')), fmt.money, currency=r.currency)}")
    out.append({"kind": "launch_budget", "decision": decision, "evidence": evidence, "risk": _risk(model_risks(r) + plan_risks(r)),
                "section": SECTION_PLAN, "money_at_stake": money})
    return out


# --------------------------------------------------------------------------- chart titles


@_escaped
def forecast_title(r: LaunchResult) -> str:
    """Title of the adoption chart: what is drawn and when the peak comes."""
    what = f"New adopters per {unit(r)}" if r.m_known else "Share of the potential adopted"
    return f"{what}: the peak comes in {_when(r, r.summary.peak.date)}"


@_escaped
def cumulative_title(r: LaunchResult) -> str:
    return f"Share of the potential adopted: half by {_when(r, r.summary.half_potential.date)}"


@_escaped
def timing_title(r: LaunchResult) -> str:
    kind = "Prior" if r.prior_only else "Posterior"
    return f"{kind} timing of the peak and of half the potential ({_label(r)} shaded)"


@_escaped
def budget_title(r: LaunchResult) -> str:
    return f"Launch budget per phase: {_money(r, r.plan.spend)} in all"


#: Whose adopters the history counts, per source of the history.
SCOPE_WHO = {"own": "the service's own new adopters", "comparable": "a comparable product's new adopters",
             "prior": "no adopters observed (the forecast rests on the priors)"}


def scope(r: LaunchResult) -> str:
    """The report's opening scope line: new adopters per period (not revenue), whose, first to last observed period."""
    h = r.history
    measure = f"new adopters per {h.frequency} (subscribers, not revenue)"
    first, last = h.data_period if h.data_period else (None, None)
    return fmt.scope(measure, SCOPE_WHO.get(h.source, h.source), first, last)
