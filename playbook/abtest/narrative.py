"""Every sentence of the A/B report that states a number or draws a conclusion, chosen by a rule over the results.

Functions feeding the HTML report (findings, card sentences, banners, tiles, tables) return HTML
(data-borne names such as variants are escaped); :func:`brief` and :func:`decision_reason` return
plain text for the results JSON. Thresholds are named constants beside the rule that uses them, and
the appendix prints them (:func:`methods`). The interval mass in every label comes from the result's
``interval`` (:func:`playbook.fmt.interval_label`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook import fmt, mcmc
from playbook.abtest import decision as dec
from playbook.report import Tile

if TYPE_CHECKING:  # pragma: no cover
    from playbook.abtest import ABTestResult

#: The report's section headings (the ``section`` of each brief line): the notebook uses the same text.
SECTION_HEALTH = "Can we trust this test?"
SECTION_CONVERSION = "Conversion: which variant converts best?"
SECTION_REVENUE = "Revenue per unit: does the winner also earn more?"
SECTION_SEGMENTS = "Segments (exploratory): does the effect differ by group?"
SECTION_FACTORIAL = "Factorial test: which combination of factors works best?"
SECTION_DECISION = "Decision and next steps"
SECTIONS = (SECTION_HEALTH, SECTION_CONVERSION, SECTION_REVENUE, SECTION_SEGMENTS, SECTION_FACTORIAL, SECTION_DECISION)

#: Significance level of the frequentist cross-check in the appendix (two-sided).
FREQUENTIST_ALPHA = 0.05
#: Power the plan sizes the test for (the planning module's default).
PLAN_POWER = 0.8

ACTION_LEVEL = {"ship": "success", "keep testing": "info", "stop": "warning"}
ACTION_TONE = {"ship": "good", "stop": "warn"}


# --------------------------------------------------------------------------- small pieces


def e(text) -> str:
    """A data-borne name, HTML-escaped."""
    return html.escape(str(text), quote=False)


def p_value(x: float) -> str:
    """A p-value with two significant digits: ``0.0352`` → ``'0.035'``, ``3e-7`` → ``'3e-07'``."""
    return fmt.MISSING if fmt.is_missing(x) else f"{float(x):.2g}"


def ci(r: ABTestResult) -> str:
    """``'90% interval'``: the label of every interval of the report."""
    return fmt.interval_label(r.interval)


def uplift_text(mean: float, low: float, high: float) -> str:
    """``'+9.0% [-3.3%, +23.6%]'``."""
    return fmt.estimate(mean, low, high, fmt.pct, signed=True)


def loss_pp(x: float) -> str:
    """An expected loss in conversion-rate units as percentage points: ``2.1e-5`` → ``'0.002 pp'``."""
    return f"{fmt.number(100 * float(x), 3)} pp"


def conv(r: ABTestResult) -> pd.DataFrame:
    return r.conversion.table.set_index("variant")


def lead(r: ABTestResult) -> str:
    """The variant the report is about: the decision's variant, or the one most likely to beat control."""
    if r.decision.variant != r.control:
        return r.decision.variant
    t = conv(r)
    return max(r.treated, key=lambda v: (np.nan_to_num(t.loc[v, "prob_beats_control"], nan=-1.0)))


def action_label(d: dec.Decision) -> str:
    """``'ship B'``, ``'keep testing B'``, ``'stop'``."""
    return d.action if d.action == "stop" else f"{d.action} {d.variant}"


# --------------------------------------------------------------------------- decision


def decision_reason(d: dec.Decision) -> str:
    """The plain-text reason for the decision, one sentence per rule (:data:`playbook.abtest.decision` kinds)."""
    f, c = d.figures, d.control
    v = d.variant
    if d.kind == dec.SRM:
        return (f"The traffic split does not match the design (sample-ratio mismatch, p = {p_value(f['srm_p_value'])}), so no result "
                "can be trusted: fix the assignment and restart the test.")
    if d.kind == dec.TOO_EARLY:
        return f"Too early to call: {'; '.join(f['reasons'])}."
    if d.kind == dec.GUARDRAIL:
        return (f"{v} converts better than {c} ({fmt.prob(f['prob_beats_control'])} probability) but revenue per unit is lower "
                f"with {fmt.prob(f['revenue_prob_worse'])} probability: check the revenue guardrail before shipping.")
    if d.kind == dec.SHIP:
        return (f"{v} beats {c} with {fmt.prob(f['prob_beats_control'])} probability (best of all {f['arms']} arms with "
                f"{fmt.prob(f['prob_best'])}) and choosing it risks an expected {loss_pp(f['expected_loss'])} of conversion "
                f"({fmt.pct(f['expected_loss_relative'], 2)} of {c}'s rate).")
    if d.kind == dec.FUTILE:
        target = f"an uplift of at least {fmt.pct(f['mde'], 1)}" if f["mde"] > 0 else "any uplift"
        return (f"No variant is likely to deliver {target}: the strongest, {f['leader']}, beats {c} with "
                f"{fmt.prob(f['prob_beats_control'])} probability and reaches the target with {fmt.prob(f['prob_uplift_above_mde'])}; keep {c}.")
    if d.kind in (dec.SEQ_SHIP, dec.SEQ_KEEP, dec.SEQ_HARM, dec.SEQ_GUARDRAIL):
        return _sequential_reason(d)
    if d.kind == dec.BROKEN:
        return (f"{v} leads {c} on conversion ({fmt.prob(f['prob_beats_control'])} probability) but its data are broken (see the red "
                "banner): fix the tracking before shipping it.")
    if d.kind == dec.LEADING:
        return (f"{v} leads ({fmt.prob(f['prob_beats_control'])} probability of beating {c}, expected loss "
                f"{fmt.pct(f['expected_loss_relative'], 2)} of {c}'s rate) but has not yet reached {fmt.pct(f['prob_threshold'], 0)} "
                f"with a loss below {fmt.pct(f['loss_threshold'], 2)}.")
    raise ValueError(f"unknown decision kind {d.kind!r}")


def sequential_label(alpha: float) -> str:
    """``'always-valid 95% interval'``."""
    return f"always-valid {fmt.mass(1 - alpha)} interval"


def _seq_interval(f: dict, prefix: str = "sequential") -> str:
    if fmt.is_finite(f.get(f"{prefix}_uplift")):
        return uplift_text(f[f"{prefix}_uplift"], f[f"{prefix}_low"], f[f"{prefix}_high"])
    return f"{fmt.pp(f[f'{prefix}_abs'], 2)} {fmt.interval(f[f'{prefix}_abs_low'], f[f'{prefix}_abs_high'], fmt.pp, digits=2)}"


def days_left_text(days_left) -> str:
    """``'88 more days'``, or what is missing when the traffic per day is unknown."""
    if days_left is None or not fmt.is_finite(days_left):
        return "an unknown number of days (no assignment times)"
    return fmt.plural(round(float(days_left)), "more day", "more days")


def _sequential_reason(d: dec.Decision) -> str:
    f, c, v = d.figures, d.control, d.variant
    label = sequential_label(f["sequential_alpha"])
    sample = f"{fmt.count(f['units_per_arm_now'])} of the planned {fmt.count(f['units_per_arm_needed'])} units per variant"
    if d.kind == dec.SEQ_SHIP:
        return (f"{v} beats {c} on the {label}, {_seq_interval(f)} conversion uplift, which stays valid however often the test "
                f"is read: ship before the planned sample ({sample}).")
    if d.kind == dec.SEQ_GUARDRAIL:
        return (f"{v} converts better than {c} on the {label} ({_seq_interval(f)}) but its revenue per unit is lower on the same "
                f"kind of interval ({_seq_interval(f, 'revenue')}): check the revenue guardrail before shipping.")
    if d.kind == dec.SEQ_HARM:
        return (f"Every variant converts worse than {c} on the {label} (the best, {f['leader']}: {_seq_interval(f)}): stop and keep {c}.")
    return (f"{v} leads ({_seq_interval(f)} conversion uplift on the {label}, which still includes zero; P(beats {c}) "
            f"{fmt.prob(f['prob_beats_control'])}), and the test has {sample}: keep testing for about {days_left_text(d.days_left)} "
            "to the planned sample, or until the always-valid interval clears zero.")


def decision_banner(r: ABTestResult) -> tuple[str, str]:
    """The decision in a banner: ``('<b>Decision: ship B</b>. B beats A …', 'success')``."""
    d = r.decision
    return f"<b>Decision: {e(action_label(d))}</b>. {e(decision_reason(d))}", ACTION_LEVEL[d.action]


def srm_banner(r: ABTestResult) -> str:
    """The red banner of a sample-ratio mismatch ('' when the split is as designed)."""
    if not r.srm.detected:
        return ""
    return ("<b>Results are not trustworthy.</b> The traffic split does not match the design (sample-ratio mismatch, "
            f"chi-square p = {p_value(r.srm.p_value)} &lt; {r.srm.alpha:g}). Find the cause (assignment, logging, bots) before reading any result.")


def broken_banners(r: ABTestResult) -> list[str]:
    """One red banner per broken arm: no conversions at all, or conversions but no revenue (a broken tag)."""
    out = []
    for v in r.broken.no_conversions:
        out.append(f"<b>{e(v)} recorded no conversions: check tracking.</b> Its conversion rate is analysed as zero, and it is "
                   "not shipped until the data are fixed.")
    for v in r.broken.no_revenue:
        left_out = ("so revenue per unit cannot be compared with the control" if v == r.control
                    else "its revenue is left out of the revenue comparison")
        out.append(f"<b>{e(v)} recorded no revenue: check tracking.</b> It converted "
                   f"{fmt.count(conv(r).loc[v, 'conversions'])} units but none has revenue; {left_out}, and it is not shipped on revenue it did not record.")
    return out


def zero_control(r: ABTestResult) -> bool:
    """The control recorded no conversions: relative uplifts are undefined and absolute differences speak instead."""
    return int(conv(r).loc[r.control, "conversions"]) == 0


def banners(r: ABTestResult) -> list[tuple[str, str]]:
    """The banners that open the report, most serious first: health problems, then the decision."""
    out = []
    if r.srm.detected:
        out.append((srm_banner(r), "danger"))
    out += [(b, "danger") for b in broken_banners(r)]
    out.append(decision_banner(r))
    return out


# --------------------------------------------------------------------------- executive summary


def _lead_finding(r: ABTestResult) -> str:
    t, c, v = conv(r), r.control, lead(r)
    row = t.loc[v]
    if zero_control(r):
        return (f"<b>{e(v)}</b> converts at {fmt.pct(row['rate_mean'], 2)} against {fmt.pct(t.loc[c, 'rate_mean'], 2)} for {e(c)}, which "
                f"recorded no conversions, so a relative uplift is undefined: the absolute difference is <b>{fmt.pp(row['uplift_abs_mean'], 2)}</b> "
                f"({ci(r)} {fmt.interval(row['uplift_abs_hdi_low'], row['uplift_abs_hdi_high'], fmt.pp, digits=2)}), with "
                f"{fmt.prob(row['prob_beats_control'])} probability of beating {e(c)}.")
    return (f"<b>{e(v)}</b> converts at {fmt.pct(row['rate_mean'], 2)} against {fmt.pct(t.loc[c, 'rate_mean'], 2)} for {e(c)}: "
            f"a relative uplift of <b>{fmt.pct(row['uplift_mean'], 1, signed=True)}</b> ({ci(r)} "
            f"{fmt.interval(row['uplift_hdi_low'], row['uplift_hdi_high'], fmt.pct, signed=True)}), with {fmt.prob(row['prob_beats_control'])} "
            f"probability of beating {e(c)} and {fmt.prob(row['prob_uplift_above_mde'])} of beating it by at least {fmt.pct(r.mde, 0)}.")


def _others_finding(r: ABTestResult) -> str:
    t, v = conv(r), lead(r)
    others = [o for o in r.treated if o != v]
    if not others:
        return ""
    parts = [f"{e(o)} {uplift_text(t.loc[o, 'uplift_mean'], t.loc[o, 'uplift_hdi_low'], t.loc[o, 'uplift_hdi_high'])}, "
             f"P(beats {e(r.control)}) {fmt.prob(t.loc[o, 'prob_beats_control'])}" for o in others]
    return ("The other variants: " if len(others) > 1 else "The other variant: ") + "; ".join(parts) + "."


def raw_revenue_leader(r: ABTestResult) -> str:
    """The variant with the highest raw mean revenue per unit."""
    raw = r.revenue["raw"]
    return str(raw.sort_values("revenue_per_unit_mean").iloc[-1]["variant"])


def _revenue_finding(r: ABTestResult) -> str:
    if r.revenue is None:
        return ""
    v = lead(r)
    raw = r.revenue["raw"].set_index("variant")
    if v not in raw.index:
        return f"Revenue per unit: {e(v)} recorded no revenue and is left out of the revenue comparison (see the red banner)."
    text = (f"Revenue per unit: {e(v)} {fmt.pct(raw.loc[v, 'uplift_mean'], 1, signed=True)} on the raw average, the estimate ({ci(r)} "
            f"{fmt.interval(raw.loc[v, 'uplift_hdi_low'], raw.loc[v, 'uplift_hdi_high'], fmt.pct, signed=True)})")
    if "capped" in r.revenue:
        capped = r.revenue["capped"].set_index("variant")
        text += f"; {fmt.pct(capped.loc[v, 'uplift_mean'], 1, signed=True)} with orders capped at {fmt.money(r.revenue['cap'])}"
    if r.revenue_model is not None:
        model = r.revenue["variants"].set_index("variant")
        text += f"; {fmt.pct(model.loc[v, 'uplift_mean'], 1, signed=True)} in the log-normal model"
    return text + "."


def health_finding(r: ABTestResult) -> str:
    split = "<b>broken</b>" if r.srm.detected else "as designed"
    data = "enough data to decide" if r.data_check.passed else "not enough data yet: " + "; ".join(e(x) for x in r.data_check.reasons)
    size = fmt.count(r.conversion.table["units"].sum()) + " units"
    span = f"{fmt.days(r.days)}, {size}" if r.days else size
    return f"Health: traffic split {split} (SRM p = {p_value(r.srm.p_value)}); {data}; {span}."


def _segment_list(r: ABTestResult, rows: pd.DataFrame) -> str:
    return "; ".join(f"{e(x['variant'])} on {e(x['segment'])} = {e(x['level'])} "
                     f"({uplift_text(x['uplift_mean'], x['uplift_hdi_low'], x['uplift_hdi_high'])})" for _, x in rows.iterrows())


def segment_headline(r: ABTestResult) -> str:
    """Only segments whose shrunken interval excludes zero are named, with how many were looked at (no cherry-picking)."""
    n = len(r.segments.table)
    cred = r.credible_segments.sort_values("uplift_mean", ascending=False)
    looked = f"{fmt.plural(n, 'segment uplift')} looked at (levels × variants)"
    if cred.empty:
        return f"none of the {looked} has a {ci(r)} clear of zero"
    return f"of the {looked}, {fmt.count(len(cred))} {'has' if len(cred) == 1 else 'have'} a {ci(r)} clear of zero: {_segment_list(r, cred)}"


def _segment_finding(r: ABTestResult) -> str:
    if r.segments is None:
        return ""
    return f"Exploratory: {segment_headline(r)}; treat segment differences as hypotheses for the next test."


def refused_segments_note(r: ABTestResult) -> str:
    """Why a segment column was left out ('' when none was): its mix differs between arms."""
    if not r.refused_segments:
        return ""
    cols = fmt.join([f"{e(c)} (p = {p_value(p)})" for c, p in r.refused_segments.items()])
    return (f"Left out of the segment breakdown: {cols}. Its mix differs between the arms by more than chance, so it probably "
            "changed after assignment (recorded after the variant was shown), and a breakdown by it would compare unlike groups.")


def findings(r: ABTestResult) -> list[str]:
    """The executive summary, one finding per line (HTML)."""
    items = [_lead_finding(r), _others_finding(r), _revenue_finding(r), health_finding(r), _segment_finding(r)]
    return [i for i in items if i]


def tiles(r: ABTestResult) -> list[Tile]:
    """Headline tiles: decision, the lead's uplift and P(beats control), expected loss, revenue, SRM."""
    d, t, c, v = r.decision, conv(r), r.control, lead(r)
    row = t.loc[v]
    uplift = (Tile(f"Conversion difference, {v}", fmt.pp(row["uplift_abs_mean"], 2),
                   f"{ci(r)} {fmt.interval(row['uplift_abs_hdi_low'], row['uplift_abs_hdi_high'], fmt.pp, digits=2)}") if zero_control(r)
              else Tile(f"Conversion uplift, {v}", fmt.pct(row["uplift_mean"], 1, signed=True),
                        f"{ci(r)} {fmt.interval(row['uplift_hdi_low'], row['uplift_hdi_high'], fmt.pct, signed=True)}"))
    out = [
        Tile("Decision", action_label(d), fmt.clip_words(decision_reason(d).split(":")[0], 90), ACTION_TONE.get(d.action, "")),
        uplift,
        Tile(f"P({v} beats {c})", fmt.prob(row["prob_beats_control"]), f"best of all arms: {fmt.prob(row['prob_best'])}"),
        Tile(f"Expected loss choosing {v}", loss_pp(row["expected_loss"]), f"{fmt.pct(row['expected_loss_relative'], 2)} of {c}'s rate"),
    ]
    if r.revenue is not None and v in set(r.revenue["raw"]["variant"]):
        raw = r.revenue["raw"].set_index("variant")
        out.append(Tile(f"Revenue per unit, {v}", fmt.pct(raw.loc[v, "uplift_mean"], 1, signed=True),
                        f"raw average, {ci(r)} {fmt.interval(raw.loc[v, 'uplift_hdi_low'], raw.loc[v, 'uplift_hdi_high'], fmt.pct, signed=True)}"))
    out.append(Tile("Sample-ratio check", f"p = {p_value(r.srm.p_value)}", "mismatch" if r.srm.detected else "split as designed",
                    "bad" if r.srm.detected else "good"))
    return out


# --------------------------------------------------------------------------- health


def srm_sentence(r: ABTestResult) -> str:
    split = ", ".join(f"{e(v)} {fmt.count(n)}" for v, n in r.srm.observed.items())
    if r.srm.detected:
        return f"The split is <b>broken</b>: {split} units is too far from the design to be chance (p = {p_value(r.srm.p_value)})."
    return (f"Traffic was split as designed: {split} units (chi-square p = {p_value(r.srm.p_value)}; a mismatch is flagged "
            f"below p = {r.srm.alpha:g}).")


def srm_title(r: ABTestResult) -> str:
    return "Sample-ratio check: " + ("MISMATCH" if r.srm.detected else "units per variant match the design")


def data_check_banner(r: ABTestResult) -> tuple[str, str]:
    dc = r.data_check
    if dc.passed:
        span = f" over {fmt.days(r.days)}." if r.days else "."
        return f"Minimum data reached: at least {fmt.count(dc.min_conversions_found)} conversions per variant{span}", "success"
    return "Not enough data yet: " + "; ".join(e(x) for x in dc.reasons) + ".", "warning"


def _over_time_last(r: ABTestResult) -> pd.DataFrame:
    ot = r.over_time
    return ot[ot["date"] == ot["date"].max()].set_index("variant")


def over_time_sentence(r: ABTestResult) -> str:
    """When the lead's P(beats control) first crossed the threshold, where it ends, and its last interval."""
    v, ot = lead(r), r.over_time
    last = _over_time_last(r).loc[v]
    crossed = ot[(ot["variant"] == v) & (ot["prob_beats_control"] >= r.prob_threshold)]
    when = (f"first crossed {fmt.pct(r.prob_threshold, 0)} on {fmt.date(crossed['date'].min(), 'day')}" if len(crossed)
            else f"has not crossed {fmt.pct(r.prob_threshold, 0)}")
    return (f"{e(v)}'s probability of beating {e(r.control)} {when} and ends at {fmt.prob(last['prob_beats_control'])}; "
            f"its uplift {ci(r)} narrowed to {fmt.interval(last['uplift_hdi_low'], last['uplift_hdi_high'], fmt.pct, signed=True)}.")


def over_time_title(r: ABTestResult) -> str:
    v = lead(r)
    return f"{v} vs {r.control}: {fmt.prob(_over_time_last(r).loc[v, 'prob_beats_control'])} chance of being better after {fmt.days(r.days)}"


# --------------------------------------------------------------------------- conversion


def rates_sentence(r: ABTestResult) -> str:
    t, c = conv(r), r.control
    best = str(t["prob_best"].idxmax())
    return (f"{e(best)} has the highest conversion rate with {fmt.prob(t.loc[best, 'prob_best'])} probability among all {len(t)} variants; "
            f"{e(c)} converts at {fmt.pct(t.loc[c, 'rate_mean'], 2)} ({ci(r)} "
            f"{fmt.interval(t.loc[c, 'rate_hdi_low'], t.loc[c, 'rate_hdi_high'], fmt.pct, digits=2)}).")


def rates_title(r: ABTestResult) -> str:
    t = conv(r)
    best = str(t["prob_best"].idxmax())
    return f"{best} converts best with {fmt.prob(t.loc[best, 'prob_best'])} probability"


def rates_note(r: ABTestResult) -> str:
    return ("Each curve shows how plausible each conversion rate is for that variant given the data; the shaded part is the "
            f"{ci(r)}. The less two curves overlap, the surer we are that the rates differ.")


def uplift_sentence(r: ABTestResult) -> str:
    t, v = conv(r), lead(r)
    if zero_control(r):
        return (f"{e(r.control)} recorded no conversions, so the chart shows absolute differences: {e(v)} converts "
                f"{fmt.pp(t.loc[v, 'uplift_abs_mean'], 2)} more ({ci(r)} {fmt.interval(t.loc[v, 'uplift_abs_hdi_low'], t.loc[v, 'uplift_abs_hdi_high'], fmt.pp, digits=2)}).")
    return (f"{e(v)}'s relative uplift is {fmt.pct(t.loc[v, 'uplift_mean'], 1, signed=True)}; the chance it is at least the minimum "
            f"effect worth having ({fmt.pct(r.mde, 0, signed=True)}) is {fmt.prob(t.loc[v, 'prob_uplift_above_mde'])}.")


def uplift_title(r: ABTestResult) -> str:
    return f"{'Absolute difference' if zero_control(r) else 'Relative uplift'} in conversion vs {r.control}"


def uplift_note(r: ABTestResult) -> str:
    return (f"Dots are the expected relative uplift against {e(r.control)}, bars the {ci(r)}: the range holding "
            f"{fmt.mass(r.interval)} of the probability. A bar clear of zero means the variant very probably helps; the dashed "
            "line is the minimum effect worth having.")


CONVERSION_HEADERS = {
    "variant": "Variant", "units": "Units", "conversions": "Conversions", "rate_mean": "Rate", "rate_hdi_low": "Rate low",
    "rate_hdi_high": "Rate high", "prob_best": "P(best)", "prob_beats_control": "P(beats control)", "uplift_mean": "Uplift",
    "uplift_hdi_low": "Uplift low", "uplift_hdi_high": "Uplift high", "prob_uplift_above_mde": "P(uplift > MDE)",
    "expected_loss": "Expected loss", "expected_loss_relative": "Loss ÷ control rate",
}
CONVERSION_FORMATS = {
    "rate_mean": lambda x: fmt.pct(x, 2), "rate_hdi_low": lambda x: fmt.pct(x, 2), "rate_hdi_high": lambda x: fmt.pct(x, 2),
    "prob_best": fmt.prob, "prob_beats_control": fmt.prob, "uplift_mean": lambda x: fmt.pct(x, 1, signed=True),
    "uplift_hdi_low": lambda x: fmt.pct(x, 1, signed=True), "uplift_hdi_high": lambda x: fmt.pct(x, 1, signed=True),
    "prob_uplift_above_mde": fmt.prob, "expected_loss": lambda x: f"{fmt.number(100 * x, 4)} pp", "expected_loss_relative": lambda x: fmt.pct(x, 2),
}


def conversion_table(r: ABTestResult) -> dict:
    """The conversion table: ``report.table(**conversion_table(r))``."""
    frame = r.conversion.table[list(CONVERSION_HEADERS)]
    caption = (f"Conversion by variant (low/high: {ci(r)}; expected loss: conversion given up, on average, by choosing this "
               "variant instead of the best)")
    return {"frame": frame, "formats": CONVERSION_FORMATS, "headers": CONVERSION_HEADERS, "caption": caption}


# --------------------------------------------------------------------------- revenue


def no_revenue_banner(r: ABTestResult) -> str:
    """'' when revenue is analysed, else why not."""
    if r.revenue is not None:
        return ""
    broken_control = [v for v in (r.control,) if v in r.broken.variants]
    if broken_control:
        return f"{e(r.control)} (the control) recorded no revenue or no conversions: revenue per unit cannot be compared with it."
    if len(r.broken.variants) >= len(r.variants) - 1:
        return "Every variant but one recorded no revenue: there is no revenue comparison to make."
    if r.source == "experiment_summary":
        return "The summary has no revenue_sum and revenue_sum_sq: revenue per unit is not analysed."
    return "No revenue in the data: revenue per unit is not analysed."


#: The raw leader's revenue counts as concentrated in a few orders when its top 1 % of units hold at least this
#: share of it, and at least :data:`CONCENTRATION_RATIO` times the share of the arm that leads once orders are capped.
CONCENTRATED_SHARE = 0.25
CONCENTRATION_RATIO = 1.25


def revenue_views(r: ABTestResult) -> pd.DataFrame:
    """The revenue forest: one row per treated variant and view, each labelled with what it estimates."""
    rev = r.revenue
    views = [("Raw average: revenue per unit (the estimate)", rev["raw"])]
    if "capped" in rev:
        views.append((f"Capped at {fmt.money(rev['cap'])}: orders above it counted at it (less noisy, biased low)", rev["capped"]))
    if "cuped" in rev:
        views.append(("Capped + CUPED: less the part pre-period revenue predicts", rev["cuped"]))
    if r.revenue_model is not None:
        views.append(("Model: revenue per unit if spend is log-normal (hurdle)", rev["variants"]))
    forest = pd.concat([t.assign(view=label) for label, t in views])
    forest = forest[forest["variant"] != r.control].sort_values(["variant"], kind="stable")
    return forest.assign(label=forest["variant"] + ": " + forest["view"])


def concentration(r: ABTestResult) -> str:
    """Why the raw view may disagree, from the data: each arm's share of revenue from its top 1 % of units."""
    shares = (r.revenue or {}).get("top_share") or {}
    if not shares:
        return ""
    listed = ", ".join(f"{e(v)} {fmt.pct(x, 0)}" for v, x in shares.items())
    return f"share of each arm's revenue from its top 1% of units: {listed}"


def _concentrated(r: ABTestResult, v: str, other: str) -> bool:
    """``v``'s revenue rests on a few orders compared with ``other``'s (top-1 % shares, see :data:`CONCENTRATED_SHARE`)."""
    shares = {k: x for k, x in ((r.revenue or {}).get("top_share") or {}).items() if fmt.is_finite(x)}
    if v not in shares or other not in shares:
        return False
    return shares[v] >= CONCENTRATED_SHARE and shares[v] >= CONCENTRATION_RATIO * shares[other]


def revenue_sentence(r: ABTestResult) -> str:
    """The raw mean is the estimate; when the guarded views disagree, the data say whether a few orders explain it."""
    raw = r.revenue["raw"].set_index("variant")
    raw_best = raw_revenue_leader(r)
    text = f"On the raw average, the estimate of revenue per unit, {e(raw_best)} leads (P(best) {fmt.prob(raw.loc[raw_best, 'prob_best'])})"
    if "capped" not in r.revenue:
        return text + "; summary sums allow no capping."
    guarded = r.revenue["capped"].set_index("variant")
    guarded_best = str(guarded["prob_best"].idxmax())
    if guarded_best == raw_best:
        return text + f"; with orders capped at {fmt.money(r.revenue['cap'])} it leads too."
    text += f"; with orders capped at {fmt.money(r.revenue['cap'])}, <b>{e(guarded_best)}</b> leads instead"
    if _concentrated(r, raw_best, guarded_best):
        return text + (f": {e(raw_best)}'s lead rests on a few very large orders ({concentration(r)}). Check those orders "
                       "before trusting either view.")
    return text + (f", although {e(raw_best)}'s revenue is no more concentrated in a few orders than {e(guarded_best)}'s "
                   f"({concentration(r)}): the views differ by more than outliers explain, so revenue cannot call a winner yet.")


def revenue_title(r: ABTestResult) -> str:
    base = f"Revenue per unit vs {r.control}"
    if "capped" not in (r.revenue or {}):
        return base
    raw_best = raw_revenue_leader(r)
    guarded_best = str(r.revenue["capped"].set_index("variant")["prob_best"].idxmax())
    return base if raw_best == guarded_best else f"{base}: the raw average and the capped view disagree"


def revenue_table(r: ABTestResult) -> dict:
    """The revenue table: ``report.table(**revenue_table(r))``."""
    cols = {"variant": "Variant", "revenue_per_unit_mean": "Revenue per unit", "revenue_per_unit_hdi_low": "low",
            "revenue_per_unit_hdi_high": "high", "prob_best": "P(best)", "uplift_mean": "Uplift", "uplift_hdi_low": "Uplift low",
            "uplift_hdi_high": "Uplift high", "expected_loss": "Expected loss per unit"}
    signed = lambda x: fmt.pct(x, 1, signed=True)  # noqa: E731
    formats = {"revenue_per_unit_mean": fmt.money_precise, "revenue_per_unit_hdi_low": fmt.money_precise, "revenue_per_unit_hdi_high": fmt.money_precise,
               "prob_best": fmt.prob, "uplift_mean": signed, "uplift_hdi_low": signed, "uplift_hdi_high": signed, "expected_loss": fmt.money_precise}
    caption = f"Revenue per unit by variant ({r.revenue['method']}; low/high: {ci(r)}; currency units)"
    return {"frame": r.revenue["variants"][list(cols)], "formats": formats, "headers": cols, "caption": caption}


def cuped_shift(r: ABTestResult) -> dict:
    """How CUPED moved the lead's absolute difference in capped revenue per unit and how much it narrowed its interval."""
    v = lead(r)
    capped, adj = r.revenue["capped"].set_index("variant"), r.revenue["cuped"].set_index("variant")
    if v not in capped.index:
        return {}
    before, after = float(capped.loc[v, "uplift_abs_mean"]), float(adj.loc[v, "uplift_abs_mean"])
    w0 = float(capped.loc[v, "uplift_abs_hdi_high"] - capped.loc[v, "uplift_abs_hdi_low"])
    w1 = float(adj.loc[v, "uplift_abs_hdi_high"] - adj.loc[v, "uplift_abs_hdi_low"])
    return {"variant": v, "difference_before": before, "difference_after": after,
            "moved": (after - before) / abs(before) if before else float("nan"), "narrowed": 1 - w1 / w0 if w0 > 0 else float("nan")}


def cuped_sentence(r: ABTestResult) -> str:
    """What CUPED did: the variance removed, how far the difference moved and how much its interval narrowed."""
    if r.revenue is None or "cuped" not in r.revenue:
        return ""
    shift = cuped_shift(r)
    text = (f"CUPED used pre-period revenue to remove {fmt.pct(r.revenue['cuped_variance_reduction'], 1)} of the variance of capped "
            f"revenue per unit (θ = {fmt.number(r.revenue['cuped_theta'], 3)})")
    if not shift:
        return text + "."
    v = e(shift["variant"])
    moved = shift["moved"]
    how = (f"moved {v}'s difference from control from {fmt.money_precise(shift['difference_before'])} to "
           f"{fmt.money_precise(shift['difference_after'])} per unit" + (f" ({fmt.pct(moved, 0, signed=True)})" if fmt.is_finite(moved) else ""))
    narrowed = shift["narrowed"]
    width = (f"narrowed its {ci(r)} by {fmt.pct(narrowed, 0)}" if fmt.is_finite(narrowed) and narrowed >= 0
             else f"widened its {ci(r)} by {fmt.pct(-narrowed, 0)}")
    return text + f": it {how} and {width}."


# --------------------------------------------------------------------------- segments


def no_segments_banner(r: ABTestResult) -> str:
    if r.segments is not None:
        return ""
    if r.refused_segments:
        return "No segment breakdown: every segment column was left out (see the note below)."
    return "No segment breakdown (summary data, no segment columns, or the models were skipped)."


def _overlap(a: pd.Series, b: pd.Series) -> bool:
    return bool(a["uplift_hdi_low"] <= b["uplift_hdi_high"] and b["uplift_hdi_low"] <= a["uplift_hdi_high"])


def segments_sentence(r: ABTestResult) -> str:
    """The segment card: credible segments only, how many were looked at, and whether the extremes' intervals overlap."""
    seg = r.segments.table
    text = segment_headline(r)[0].upper() + segment_headline(r)[1:]
    if len(seg) < 2:
        return text + "."
    top = seg.sort_values("uplift_mean", ascending=False).iloc[0]
    low = seg.sort_values("uplift_mean").iloc[0]
    if _overlap(top, low):
        return text + f"; even the highest and lowest estimates have overlapping {ci(r)}s, so differences are leads, not findings."
    return text + f"; the highest and lowest estimates' {ci(r)}s do not overlap, a lead worth a dedicated test (still exploratory)."


def segments_note(r: ABTestResult) -> str:
    return (f"Each row is one segment level for one variant: the dot and bar are the model's estimate and {ci(r)}, the cross the raw "
            "estimate from that segment alone. Pooling pulls small, noisy segments toward the variant's overall effect.")


# --------------------------------------------------------------------------- factorial


def no_factorial_banner(r: ABTestResult) -> str:
    if r.factorial is not None:
        return ""
    return "Not a factorial test (fewer than two factor_ columns, summary data, or the models were skipped)."


def _combo(c: dict) -> str:
    return ", ".join(f"{e(f)} = {e(lv)}" for f, lv in c.items())


def factorial_sentence(r: ABTestResult) -> str:
    """The best combination with its P(best), the clear main effects, and whether interactions matter."""
    fr = r.factorial
    best = fr.best
    clear = [f"{e(f)} = {e(lv)} {fmt.number(x['mean'], 2)} {fmt.interval(x['hdi_low'], x['hdi_high'], fmt.number, digits=2)}"
             for f, levels in fr.main_effects.items() for lv, x in levels.items() if x["hdi_low"] > 0 or x["hdi_high"] < 0]
    text = (f"The best combination is {_combo(best['combination'])} (P(best) {fmt.prob(best['prob_best'])}, conversion "
            f"{fmt.pct(best['rate_mean'], 2)}). ")
    text += (f"Main effects clear of zero ({ci(r)}, log-odds against each factor's first level): {'; '.join(clear)}. " if clear
             else f"No main effect has a {ci(r)} clear of zero. ")
    strong = [i for i in fr.interactions if i["hdi_low"] > 0 or i["hdi_high"] < 0]
    if strong:
        parts = "; ".join(f"{e(i['factors'][0])} = {e(i['levels'][0])} × {e(i['factors'][1])} = {e(i['levels'][1])} "
                          f"{fmt.number(i['mean'], 2)} {fmt.interval(i['hdi_low'], i['hdi_high'], fmt.number, digits=2)}" for i in strong)
        return text + f"Interactions matter: {parts}, so read the factors together, not one at a time."
    return text + f"No two-way interaction has a {ci(r)} clear of zero: the factors can be read one at a time."


def factorial_title(r: ABTestResult) -> str:
    return f"Factor effects on conversion (log-odds), best: {', '.join(r.factorial.best['combination'].values())}"


# --------------------------------------------------------------------------- plan and allocation


def plan_sentence(r: ABTestResult) -> str:
    p = r.plan
    if p is None:
        return ""
    effect = f"a {fmt.pct(r.mde, 0, signed=True)} uplift"
    if p.days_to_decision is None:
        text = f"To detect {effect} needs about {fmt.count(p.units_per_arm_needed)} units per variant (now {fmt.count(p.units_per_arm_now)})."
    elif p.days_to_decision == 0:
        text = f"The test already has the {fmt.count(p.units_per_arm_needed)} units per variant needed to detect {effect}."
    else:
        text = (f"Detecting {effect} reliably needs about {fmt.count(p.units_per_arm_needed)} units per variant; at the observed "
                f"{fmt.count(p.units_per_arm_per_day)} units per variant per day that is about <b>{fmt.days(p.days_to_decision)} more</b>.")
    return text + f" (Chance of {fmt.pct(r.prob_threshold, 0)} certainty: {fmt.pct(PLAN_POWER, 0)}, if the true uplift equals the MDE.)"


def allocation_leader(r: ABTestResult) -> str:
    return max(r.allocation, key=r.allocation.get)


def allocation_sentence(r: ABTestResult) -> str:
    v = allocation_leader(r)
    return f"If the test continues, Thompson sampling would send {fmt.pct(r.allocation[v], 0)} of next period's traffic to {e(v)}."


def allocation_title(r: ABTestResult) -> str:
    return f"Next period's traffic: lean toward {allocation_leader(r)}"


def lift_test_banner(lift_test: pd.DataFrame, channel: str, kpi: str) -> str:
    """A warning when the holdout arm did not do worse ('' otherwise): PyMC-Marketing rejects such a row."""
    lt = lift_test.iloc[0]
    if lt["delta_y"] > 0:
        return ""
    return (f"The arm with {e(channel)} switched off did not do worse ({fmt.number(lt['delta_y'], 1)} {e(kpi)} per period): "
            "PyMC-Marketing rejects lift tests whose KPI change has the opposite sign to the spend change; check the set-up "
            "before using this row to calibrate the MMM.")


def lift_test_sentence(lift_test: pd.DataFrame, channel: str, kpi: str, filename: str) -> str:
    lt = lift_test.iloc[0]
    return (f"Spend holdout for <b>{e(channel)}</b>: the channel's spend of {fmt.money(lt['delta_x'])} per period bought "
            f"{fmt.number(lt['delta_y'], 1)} ± {fmt.number(lt['sigma'], 1)} {e(kpi)} per period; written to <code>{e(filename)}</code> for the MMM report.")


# --------------------------------------------------------------------------- appendix


def methods(r: ABTestResult) -> dict:
    """The methods table (every rule and constant behind the numbers, with the values used): ``report.table(**methods(r))``."""
    a, b = r.prior
    c = r.control
    split = ("the designed split " + ", ".join(f"{k} {fmt.pct(v / sum(r.expected_split.values()), 1)}" for k, v in r.expected_split.items())
             if r.expected_split else "an equal split")
    rows = [
        ("Intervals", f"Every interval is a {ci(r)} (highest-density for posteriors): the range holding {fmt.mass(r.interval)} of the probability."),
        ("Conversion model", f"Beta-Binomial: rate ~ Beta({fmt.number(a, 1)}, {fmt.number(b, 1)}) prior, posterior Beta(α + conversions, β + non-conversions), per variant."),
        ("Exact quantities", "P(best), expected loss, P(beats control), P(uplift > MDE), the rate intervals and the uplift intervals are exact "
                             "(1-D numerical integration, Beta quantiles); the revenue model's figures come from its posterior draws, those of the normal "
                             "approximation (raw, capped, CUPED) from normal quantiles and 1-D integration."),
        ("Uplift intervals", "Exact: from the CDF of the uplift, a 1-D integral over the control's rate, tabulated on a fine grid "
                             f"(the daily intervals over time use {fmt.count(20_000)} seeded draws)."),
        ("Expected loss", "E[max over variants − chosen variant]: conversion given up, on average, by choosing a variant; relative = ÷ control's rate."),
        ("Decision rule", f"Once the planned sample is reached (fixed horizon): ship if P(beats {c}) ≥ {fmt.pct(r.prob_threshold, 1)} and relative expected loss ≤ {fmt.pct(r.loss_threshold, 2)}, "
                          "unless capped revenue is worse with that certainty; stop if every variant is very unlikely "
                          f"(≤ {fmt.pct(1 - r.prob_threshold, 0)}) to reach the MDE of {fmt.pct(r.mde, 0, signed=True)}; SRM stops the test; too little data keeps it running."),
        ("Sequential rule", (f"Before the planned sample: ship only when the {sequential_label(r.sequential.alpha)} of the uplift "
                             "(asymptotic confidence sequence, Waudby-Smith et al. 2021; relative uplift by the delta method) lies above zero, "
                             f"tightest at {fmt.count(r.sequential.tuning)} units in all (tuning value N*); stop when every variant's lies below "
                             "zero; otherwise keep testing.") if r.sequential is not None else "not computed"),
        ("Sample-ratio check", f"Pearson chi-square of units per variant against {split}, flagged at p < {r.srm.alpha:g}."),
        ("Minimum data", f"At least {fmt.count(r.data_check.min_conversions_required)} conversions per variant and {fmt.days(r.data_check.days_required)} of data."),
    ]
    if r.revenue is not None:
        rows += [
            ("Revenue model", "PyMC hurdle: buyers ~ Binomial(units, q), log(spend) ~ Normal(μ, σ); revenue per unit = q·exp(μ + σ²/2). "
                              "Priors q ~ Beta(1, 1), μ ~ Normal(log median spend, 1), σ ~ HalfNormal(1)."),
            ("Capped and raw revenue", "Posterior of the mean under a normal approximation (flat prior); the cap is the "
                                       f"{fmt.pct(r.revenue_cap_quantile, 1)} quantile of non-zero revenue over all variants, applied to every variant."),
        ]
    if r.cuped is not None:
        rows.append(("CUPED", "Y − θ(X − mean X) with θ = within-variant cov(Y, X) / var(X), X = pre-period revenue, Y = capped revenue (Deng et al. 2013)."))
    if r.segments is not None:
        rows.append(("Segments", "Hierarchical logistic model per segment column: variant effect per level = overall effect + spread × z, "
                                 "spread ~ HalfNormal(0.2) on the log-odds scale."))
    if r.plan is not None:
        rows.append(("Planning", f"Units per variant for a one-sided test at α = {fmt.number(1 - r.prob_threshold, 3)} with "
                                 f"{fmt.pct(PLAN_POWER, 0)} power at the MDE (statsmodels NormalIndPower, Cohen's h)."))
    return {"frame": pd.DataFrame(rows, columns=["item", "definition"]), "caption": "Methods and assumptions"}


def frequentist_table(r: ABTestResult) -> dict:
    """The frequentist cross-check: ``report.table(**frequentist_table(r))``."""
    freq = r.frequentist
    formats = {"z_statistic": lambda x: fmt.number(x, 2), "z_p_value": lambda x: fmt.number(x, 4),
               "diff_ci_low": lambda x: fmt.pp(x, 2), "diff_ci_high": lambda x: fmt.pp(x, 2)}
    formats.update({col: (lambda x: fmt.number(x, 4)) if col.startswith("welch_p") else (lambda x: fmt.number(x, 2))
                    for col in freq.columns if col.startswith("welch")})
    caption = (f"Frequentist cross-check vs {r.control}: two-proportion z-test (conversion, {fmt.mass(1 - FREQUENTIST_ALPHA)} CI of the "
               "difference) and Welch t-test (revenue per unit)")
    return {"frame": freq, "formats": formats, "caption": caption}


def frequentist_sentence(r: ABTestResult) -> str:
    significant = [str(row.variant) for row in r.frequentist.itertuples() if row.z_p_value < FREQUENTIST_ALPHA]
    level = p_value(FREQUENTIST_ALPHA)
    head = (f"The z-test finds {e(fmt.join(significant))} significant at p < {level}. " if significant
            else f"No variant is significant at p < {level} in the z-test. ")
    return head + (f"P(beats control) ≥ {fmt.pct(1 - FREQUENTIST_ALPHA, 0)} is roughly a one-sided p < {level}, so the two-sided "
                   "test (and the interval) can disagree with it near the threshold.")


def _aa(r: ABTestResult):
    """(fixed horizon with one look, fixed horizon read daily or None, sequential read daily or None)."""
    fixed = [a for a in r.aa if a.rule == dec.RULE_FIXED]
    single = next((a for a in fixed if a.looks == 1), fixed[0] if fixed else r.aa[0])
    daily = max((a for a in fixed if a.looks > 1), key=lambda a: a.looks, default=None)
    seq_ = next((a for a in r.aa if a.rule == dec.RULE_SEQUENTIAL), None)
    return single, daily, seq_


def aa_sentence(r: ABTestResult) -> str:
    """The false-ship rates of both rules, as simulated (one look; read daily and stopped at the first call)."""
    single, daily, seq_ = _aa(r)
    text = (f"On {fmt.count(single.n_sims)} simulated A/A tests of this size (no real difference), the Bayesian rule ships a variant "
            f"{fmt.pct(single.false_ship_rate, 1)} of the time with one look at the end")
    if daily is not None:
        text += f", and {fmt.pct(daily.false_ship_rate, 1)} when read {fmt.count(daily.looks)} times and stopped at the first call"
    if seq_ is not None:
        text += (f"; the sequential rule, read {fmt.count(seq_.looks)} times, ships {fmt.pct(seq_.false_ship_rate, 1)} "
                 f"(nominal at most {fmt.pct(seq_.nominal, 0)}" + (", within it" if seq_.false_ship_rate <= seq_.nominal else ", above it") + ")")
    return text + "."


def aa_title(r: ABTestResult) -> str:
    single, daily, seq_ = _aa(r)
    text = f"False winners: {fmt.pct(single.false_ship_rate, 0)} with one look"
    if daily is not None:
        text += f", {fmt.pct(daily.false_ship_rate, 0)} with {fmt.count(daily.looks)} looks"
    if seq_ is not None:
        text += f"; sequential {fmt.pct(seq_.false_ship_rate, 0)}"
    return text


def aa_labels(r: ABTestResult) -> list[str]:
    """The bar labels of the A/A chart: rule and looks."""
    return [f"{'sequential' if a.rule == dec.RULE_SEQUENTIAL else 'Bayesian'}, {fmt.plural(a.looks, 'look')}" for a in r.aa]


def aa_note(r: ABTestResult) -> str:
    """How to read the A/A chart: the simulated single-look rate against the nominal rate per comparison."""
    single, _, _ = _aa(r)
    comparisons = len(r.treated)
    nominal = 1 - r.prob_threshold
    return (f"Each simulated test has {fmt.count(single.units_per_arm)} units per variant and the control's conversion rate "
            f"({fmt.pct(single.rate, 2)}) in every arm, so every 'ship' is a false winner. The Bayesian rule's nominal error is "
            f"{fmt.pct(nominal, 0)} per comparison ({fmt.plural(comparisons, 'variant')} against the control); with one look the "
            f"simulation gives {fmt.pct(single.false_ship_rate, 1)} ± {fmt.pct(2 * single.false_ship_rate_se, 1)}. The sequential "
            "rule's always-valid intervals hold their error rate however often they are read. Bars show ±2 standard errors of the simulation.")


def diagnostics_table(r: ABTestResult) -> dict | None:
    """The MCMC diagnostics table (``None`` without PyMC models): ``report.table(**diagnostics_table(r))``."""
    rows = []
    if r.revenue_model is not None:
        rows.append(("revenue model", r.revenue_model.diagnostics))
    if r.segments is not None:
        rows.append(("segment model", r.segments.diagnostics))
    if not rows:
        return None
    frame = pd.DataFrame([{"model": name, "rhat_max": d.rhat_max, "ess_bulk_min": d.ess_bulk_min, "divergences": d.divergences,
                           "converged": "yes" if d.converged else "no"} for name, d in rows])
    formats = {"rhat_max": lambda x: fmt.number(x, 3), "ess_bulk_min": fmt.count, "divergences": fmt.count}
    return {"frame": frame, "formats": formats, "caption": diagnostics_caption(r)}


def diagnostics_caption(r: ABTestResult) -> str:
    how = r.settings.describe() if r.settings is not None else "no sampling"
    return (f"MCMC diagnostics ({how}): R-hat should be at most {mcmc.RHAT_MAX}, bulk ESS at least "
            f"{fmt.count(mcmc.ESS_BULK_PER_CHAIN_MIN)} per chain, divergences 0")


def diagnostics_banner(r: ABTestResult) -> str:
    """A warning when a PyMC model missed a convergence threshold ('' otherwise)."""
    bad = []
    for name, model in (("revenue model", r.revenue_model), ("segment model", r.segments)):
        if model is not None and not model.diagnostics.converged:
            bad.append(f"the {name} ({fmt.join(model.diagnostics.problems())})")
    if not bad:
        return ""
    return (f"Some MCMC diagnostics are outside their limits: {fmt.join(bad)}. Rerun with more draws and tuning before relying on the "
            "model-based numbers.")


# --------------------------------------------------------------------------- brief


def brief(r: ABTestResult) -> list[dict]:
    """The brief line of the A/B test: the decision, the lead's uplift with its interval, and the risks (plain text)."""
    d, t, v = r.decision, conv(r), lead(r)
    row = t.loc[v]
    risks = []
    if r.srm.detected:
        risks.append("sample-ratio mismatch")
    if not r.data_check.passed:
        risks.extend(r.data_check.reasons)
    risks += [f"{v} recorded no conversions" for v in r.broken.no_conversions] + [f"{v} recorded no revenue" for v in r.broken.no_revenue]
    return [{
        "kind": "ab_decision",
        "action": d.action,
        "decision": brief_decision(d),
        "evidence": (f"{v} vs {r.control}: conversion difference {fmt.pp(row['uplift_abs_mean'], 2)} ({ci(r)} "
                     f"{fmt.interval(row['uplift_abs_hdi_low'], row['uplift_abs_hdi_high'], fmt.pp, digits=2)})" if zero_control(r) else
                     f"{v} vs {r.control}: conversion uplift {uplift_text(row['uplift_mean'], row['uplift_hdi_low'], row['uplift_hdi_high'])} "
                     f"({ci(r)})") + f", P(beats {r.control}) {fmt.prob(row['prob_beats_control'])}",
        "risk": "; ".join(risks) or "none flagged",
        "section": SECTION_DECISION,
        "money_at_stake": None,
        "value": _finite(row["uplift_mean"]),
        "low": _finite(row["uplift_hdi_low"]),
        "high": _finite(row["uplift_hdi_high"]),
    }]


def brief_decision(d: dec.Decision) -> str:
    """``'Ship B'``, ``'Stop: keep A'``, ``'Keep testing B: 88 more days to the planned sample'``."""
    if d.action == "ship":
        return f"Ship {d.variant}"
    if d.action == "stop":
        return f"Stop: keep {d.control}"
    if d.days_left is not None and fmt.is_finite(d.days_left):
        return f"Keep testing {d.variant}: {days_left_text(d.days_left)} to the planned sample"
    return f"Keep testing {d.variant}"


def _finite(x) -> float | None:
    return float(x) if fmt.is_finite(x) else None


def scope(r: ABTestResult) -> str:
    """The report's opening scope line: conversion and revenue per randomized unit, how many units, the test's dates."""
    table = r.conversion.table
    measure = "conversion and revenue per randomized unit during the test, every unit's revenue as recorded"
    who = f"{fmt.plural(table['units'].sum(), 'unit')} split between {fmt.join(list(table['variant']))}"
    first, last = r.data_period if r.data_period else (None, None)
    return fmt.scope(measure, who, first, last)
