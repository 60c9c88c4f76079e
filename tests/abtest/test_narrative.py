"""Every branch of the A/B narrative, on hand-made results (no MCMC)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from playbook.abtest import decision as dec
from playbook.abtest import narrative
from playbook.abtest.checks import srm_check
from playbook.abtest.decision import Decision, Plan

from .factory import FAILED, build, from_summary, with_aa, with_revenue_model, with_segments


@pytest.fixture(scope="module")
def shipped():
    return build(mde=0.3)  # B converts 12% against 10% on 4,000 units per arm, the plan (for +30%) reached: ship B


@pytest.fixture(scope="module")
def early():
    return build()  # the same test sized for +5%: far from the planned sample, the sequential rule keeps testing


@pytest.fixture(scope="module")
def summary_only():
    return from_summary({"A": (10_000, 200), "B": (10_000, 240), "C": (10_000, 205)})


# --------------------------------------------------------------------------- decision reasons, one per rule


def _d(kind, action="keep testing", variant="B", **figures):
    base = {"prob_threshold": 0.95, "loss_threshold": 0.005, "mde": 0.05, "arms": 2, "prob_beats_control": 0.9731,
            "prob_best": 0.9731, "expected_loss": 2.142e-5, "expected_loss_relative": 1.07e-3, "prob_uplift_above_mde": 0.6}
    return Decision(action, variant, kind, "A", {**base, **figures})


def test_every_decision_rule_has_its_reason():
    assert "sample-ratio mismatch, p = 3e-05" in narrative.decision_reason(_d(dec.SRM, "stop", "A", srm_p_value=3e-5))
    assert narrative.decision_reason(_d(dec.TOO_EARLY, reasons=["variant B has only 3 conversions"])) == \
        "Too early to call: variant B has only 3 conversions."
    guard = narrative.decision_reason(_d(dec.GUARDRAIL, revenue_prob_worse=0.99))
    assert "revenue per unit is lower with 99% probability" in guard and "97%" in guard
    ship = narrative.decision_reason(_d(dec.SHIP, "ship"))
    assert ship.startswith("B beats A with 97% probability (best of all 2 arms with 97%)") and "0.002 pp" in ship and "0.11%" in ship
    futile = narrative.decision_reason(_d(dec.FUTILE, "stop", "A", leader="B"))
    assert "an uplift of at least 5.0%" in futile and futile.endswith("keep A.")
    assert "any uplift" in narrative.decision_reason(_d(dec.FUTILE, "stop", "A", leader="B", mde=0.0))
    leading = narrative.decision_reason(_d(dec.LEADING))
    assert leading.startswith("B leads (97% probability") and "not yet reached 95% with a loss below 0.50%" in leading
    assert "its data are broken" in narrative.decision_reason(_d(dec.BROKEN))
    with pytest.raises(ValueError, match="unknown decision kind"):
        narrative.decision_reason(_d("coin toss"))


def test_decision_banner_level_follows_the_action(shipped):
    text, level = narrative.decision_banner(shipped)
    assert level == "success" and text.startswith("<b>Decision: ship B</b>.")
    stop = replace(shipped, decision=_d(dec.FUTILE, "stop", "A", leader="B"))
    text, level = narrative.decision_banner(stop)
    assert level == "warning" and text.startswith("<b>Decision: stop</b>.")
    assert narrative.decision_banner(replace(shipped, decision=_d(dec.LEADING)))[1] == "info"


# --------------------------------------------------------------------------- banners and health


def test_srm_detected_opens_with_a_red_banner_and_a_broken_split():
    r = build(drop={"B": 400})  # 10% of B's units lost
    assert r.srm.detected and r.decision.action == "stop"
    (srm_text, level), (decision_text, _) = narrative.banners(r)
    assert level == "danger" and "not trustworthy" in srm_text and "&lt; 0.001" in srm_text
    assert "sample-ratio mismatch" in decision_text
    assert narrative.srm_sentence(r).startswith("The split is <b>broken</b>: A 4,000, B 3,600 units")
    assert narrative.srm_title(r) == "Sample-ratio check: MISMATCH"
    assert "<b>broken</b>" in narrative.health_finding(r)
    assert narrative.tiles(r)[-1].tone == "bad" and narrative.brief(r)[0]["risk"].startswith("sample-ratio mismatch")


def test_split_as_designed_reads_so(shipped):
    assert narrative.srm_banner(shipped) == "" and len(narrative.banners(shipped)) == 1
    assert narrative.srm_sentence(shipped).startswith("Traffic was split as designed: A 4,000, B 4,000 units")
    assert narrative.srm_title(shipped).endswith("match the design") and narrative.tiles(shipped)[-1].tone == "good"


def test_minimum_data_banner_both_ways(shipped):
    text, level = narrative.data_check_banner(shipped)
    assert level == "success" and "over 14 days" in text
    early = build(units=300, days=3)
    text, level = narrative.data_check_banner(early)
    assert level == "warning" and "the test has run 3.0 days" in text
    assert early.decision.kind == dec.TOO_EARLY and "not enough data yet" in narrative.health_finding(early)


def test_summary_only_input_has_no_days_no_over_time_no_revenue_no_segments(summary_only):
    r = summary_only
    assert r.over_time is None and r.revenue is None and r.segments is None
    assert narrative.health_finding(r).endswith("enough data to decide; 30,000 units.")
    assert narrative.no_revenue_banner(r).startswith("The summary has no revenue_sum")
    assert narrative.no_segments_banner(r).startswith("No segment breakdown")
    assert not any("Revenue per unit" in f for f in narrative.findings(r))
    assert [t.label for t in narrative.tiles(r)] == ["Decision", "Conversion uplift, B", "P(B beats A)", "Expected loss choosing B", "Sample-ratio check"]
    text, _ = narrative.data_check_banner(r)
    assert text.endswith("per variant.")
    assert "To detect a +5% uplift needs about" in narrative.plan_sentence(r)  # no days: no days left
    assert r.decision.rule == dec.RULE_SEQUENTIAL and "unknown number of days" in narrative.decision_reason(r.decision)


def test_other_variants_are_listed_with_their_intervals(summary_only, shipped):
    others = [f for f in narrative.findings(summary_only) if f.startswith("The other variant")]
    assert others == [others[0]] and others[0].startswith("The other variant: C +3.0% [") and "P(beats A)" in others[0]
    assert not any(f.startswith("The other") for f in narrative.findings(shipped))


def test_no_revenue_column_is_named(shipped):
    r = build(revenue=False)
    assert r.revenue is None and narrative.no_revenue_banner(r) == "No revenue in the data: revenue per unit is not analysed."
    assert narrative.no_revenue_banner(shipped) == "" and narrative.cuped_sentence(r) == ""


# --------------------------------------------------------------------------- over time, conversion


def test_over_time_crossed_and_not_crossed(shipped):
    assert "first crossed 95% on" in narrative.over_time_sentence(shipped)
    flat = build(rates={"A": 0.10, "B": 0.10})
    assert "has not crossed 95%" in narrative.over_time_sentence(flat)
    assert narrative.over_time_title(flat).endswith("after 14 days")


def test_interval_mass_comes_from_the_parameter():
    r = build(interval=0.8)
    texts = [narrative.rates_note(r), narrative.uplift_note(r), narrative.over_time_sentence(r), *narrative.findings(r)]
    assert all("95%" not in t.replace("crossed 95%", "") and "HDI" not in t for t in texts)
    assert "80% interval" in narrative.rates_note(r) and "holding 80% of the probability" in narrative.uplift_note(r)
    assert narrative.methods(r)["frame"].iloc[0]["definition"].startswith("Every interval is a 80% interval")


def test_rates_sentence_names_the_most_likely_best(summary_only):
    assert narrative.rates_sentence(summary_only).startswith("B has the highest conversion rate with")
    assert narrative.rates_title(summary_only).startswith("B converts best with")
    assert "the chance it is at least the minimum effect worth having (+5%)" in narrative.uplift_sentence(summary_only)
    table = narrative.conversion_table(summary_only)
    assert list(table["frame"]["variant"]) == ["A", "B", "C"] and "90% interval" in table["caption"]


# --------------------------------------------------------------------------- revenue


def test_revenue_views_are_labelled_with_what_they_estimate(shipped):
    views = list(dict.fromkeys(narrative.revenue_views(shipped)["view"]))
    assert views[0] == "Raw average: revenue per unit (the estimate)" and views[1].startswith("Capped at $")
    assert "biased low" in views[1] and views[2].startswith("Capped + CUPED")
    assert "Model: revenue per unit if spend is log-normal (hurdle)" in set(narrative.revenue_views(with_revenue_model(shipped))["view"])
    text = narrative.revenue_sentence(shipped)
    assert text.startswith("On the raw average, the estimate of revenue per unit, B leads") and text.endswith("it leads too.")
    assert narrative.revenue_title(shipped) == "Revenue per unit vs A"


def _flip(r, top_share):
    capped = r.revenue["capped"].copy()
    capped["prob_best"] = capped["variant"].map({"A": 0.9, "B": 0.1})
    return replace(r, revenue={**r.revenue, "capped": capped, "top_share": top_share})


def test_a_disagreement_is_explained_from_the_top_one_percent_share(shipped):
    few_orders = _flip(shipped, {"A": 0.12, "B": 0.41})
    text = narrative.revenue_sentence(few_orders)
    assert "<b>A</b> leads instead: B's lead rests on a few very large orders (share of each arm's revenue from its top 1% of units: A 12%, B 41%)" in text
    assert "rests on" not in narrative.revenue_sentence(_flip(shipped, {"A": 0.30, "B": 0.34}))  # 34% < 1.25 × 30%
    spread = _flip(shipped, {"A": 0.12, "B": 0.13})
    text = narrative.revenue_sentence(spread)
    assert "although B's revenue is no more concentrated in a few orders than A's" in text and "cannot call a winner yet" in text
    assert narrative.revenue_title(spread).endswith("the raw average and the capped view disagree")


def test_revenue_from_sums_cannot_be_capped(summary_only):
    frame = pd.DataFrame({"variant": ["A", "B"], "units": [10_000] * 2, "conversions": [200, 240], "revenue_sum": [5e4, 5.6e4], "revenue_sum_sq": [2.6e7, 3e7]})
    from playbook import abtest

    r = abtest.analyze(summary=frame, control="A", n_draws=4000, aa_sims=0)
    assert narrative.revenue_sentence(r).endswith("summary sums allow no capping.") and narrative.revenue_title(r) == "Revenue per unit vs A"


def test_cuped_sentence_states_the_move_and_the_narrowing(shipped):
    text = narrative.cuped_sentence(shipped)
    shift = narrative.cuped_shift(shipped)
    assert text.startswith("CUPED used pre-period revenue to remove") and "moved B's difference from control from" in text
    assert fmt_pct_signed(shift["moved"]) in text and ("narrowed its 90% interval by" in text or "widened its 90% interval by" in text)
    assert narrative.cuped_sentence(build(pre=False)) == ""
    assert "without moving" not in text


def fmt_pct_signed(x):
    from playbook import fmt

    return fmt.pct(x, 0, signed=True)


# --------------------------------------------------------------------------- segments


def _seg(level, mean, low, high):
    return {"segment": "device", "level": level, "variant": "B", "uplift_mean": mean, "uplift_hdi_low": low, "uplift_hdi_high": high}


def test_segment_headline_names_only_credible_segments_and_counts_the_looks(shipped):
    # the largest posterior mean (east) has an interval across zero; the planted one (mobile) is credible
    rows = [_seg("mobile", 0.12, 0.02, 0.22), _seg("desktop", 0.01, -0.1, 0.12), {**_seg("east", 0.15, -0.02, 0.3), "segment": "region"}]
    r = with_segments(shipped, rows)
    finding = next(f for f in narrative.findings(r) if f.startswith("Exploratory"))
    assert "of the 3 segment uplifts looked at (levels × variants), 1 has a 90% interval clear of zero: B on device = mobile (+12.0% [+2.0%, +22.0%])" in finding
    assert "east" not in finding
    text = narrative.segments_sentence(r)
    assert text.startswith("Of the 3 segment uplifts looked at") and text.endswith("so differences are leads, not findings.")
    out = r.results()
    assert out["segments"]["looked_at"] == 3 and [c["level"] for c in out["segments"]["credible"]] == ["mobile"]


def test_when_no_segment_is_credible_the_headline_says_so(shipped):
    r = with_segments(shipped, [_seg("mobile", 0.1, -0.02, 0.22), _seg("desktop", -0.2, -0.3, -0.01)])
    assert "1 has" in narrative.segments_sentence(r)  # desktop's interval lies below zero: credible (a harm)
    none = with_segments(shipped, [_seg("mobile", 0.1, -0.02, 0.22), _seg("desktop", 0.0, -0.1, 0.1)])
    finding = next(f for f in narrative.findings(none) if f.startswith("Exploratory"))
    assert finding.startswith("Exploratory: none of the 2 segment uplifts looked at (levels × variants) has a 90% interval clear of zero")
    assert none.results()["segments"]["credible"] == []
    apart = with_segments(shipped, [_seg("mobile", 0.3, 0.2, 0.4), _seg("desktop", -0.1, -0.2, 0.0)])
    assert "do not overlap" in narrative.segments_sentence(apart)
    assert "90% interval" in narrative.segments_note(apart) and narrative.no_segments_banner(apart) == ""
    single = with_segments(shipped, [_seg("mobile", 0.1, -0.02, 0.22)])
    assert narrative.segments_sentence(single).endswith("clear of zero.")


def test_a_segment_column_that_changed_after_assignment_is_refused_with_a_note(shipped):
    r = replace(shipped, refused_segments={"checkout_step": 1e-9})
    note = narrative.refused_segments_note(r)
    assert note.startswith("Left out of the segment breakdown: checkout_step (p = 1e-09)") and "changed after assignment" in note
    assert narrative.no_segments_banner(r).startswith("No segment breakdown: every segment column was left out")
    assert narrative.refused_segments_note(shipped) == "" and r.results()["segments"]["refused"] == {"checkout_step": 1e-9}


# --------------------------------------------------------------------------- plan, allocation, lift test


def test_plan_sentence_branches(shipped, early):
    assert "about <b>" in narrative.plan_sentence(early) and "days more</b>" in narrative.plan_sentence(early)
    done = replace(shipped, plan=Plan(0.05, 1000, 4000, 286.0, 0.0))
    assert narrative.plan_sentence(done).startswith("The test already has the 1,000 units per variant needed")
    assert narrative.plan_sentence(replace(shipped, plan=None)) == ""
    assert "Chance of 95% certainty: 80%" in narrative.plan_sentence(early)


def test_allocation_names_the_leaning(shipped):
    assert narrative.allocation_sentence(shipped).endswith("of next period's traffic to B.")
    assert narrative.allocation_title(shipped) == "Next period's traffic: lean toward B"


def test_lift_test_banner_only_when_the_holdout_did_not_do_worse():
    good = pd.DataFrame([{"channel": "search", "x": 0.0, "delta_x": 5000.0, "delta_y": 120.0, "sigma": 30.0}])
    bad = good.assign(delta_y=-4.0)
    assert narrative.lift_test_banner(good, "search", "revenue") == ""
    assert "did not do worse (-4.0 revenue per period)" in narrative.lift_test_banner(bad, "search", "revenue")
    assert narrative.lift_test_sentence(good, "search", "revenue", "lift_tests.csv").startswith(
        "Spend holdout for <b>search</b>: the channel's spend of $5,000 per period bought 120.0 ± 30.0 revenue")


# --------------------------------------------------------------------------- appendix


def test_frequentist_sentence_both_ways(shipped):
    assert narrative.frequentist_sentence(shipped).startswith("The z-test finds B significant at p < 0.05.")
    flat = from_summary({"A": (10_000, 200), "B": (10_000, 201)})
    assert narrative.frequentist_sentence(flat).startswith("No variant is significant at p < 0.05")
    assert "95% CI" in narrative.frequentist_table(flat)["caption"]


def test_aa_note_states_the_simulated_rate_not_a_typed_multiple(shipped):
    r = with_aa(shipped, single=0.045, peek=0.155, looks=28)
    note = narrative.aa_note(r)
    assert "4.5%" in note and "×" not in note and "5% per comparison (1 variant against the control)" in note
    assert narrative.aa_sentence(r).endswith("and 15.5% when read 28 times and stopped at the first call.")
    assert narrative.aa_title(r) == "False winners: 4% with one look, 16% with 28 looks"
    single = with_aa(shipped, peek=None)
    assert narrative.aa_sentence(single).endswith("with one look at the end.") and narrative.aa_title(single) == "False winners: 4% with one look"


def test_diagnostics_table_and_banner(shipped):
    assert narrative.diagnostics_table(shipped) is None and narrative.diagnostics_banner(shipped) == ""
    ok = with_revenue_model(shipped)
    assert list(narrative.diagnostics_table(ok)["frame"]["converged"]) == ["yes"] and narrative.diagnostics_banner(ok) == ""
    bad = with_segments(with_revenue_model(shipped, FAILED), [_seg("mobile", 0.1, 0.0, 0.2)], FAILED)
    text = narrative.diagnostics_banner(bad)
    assert "the revenue model (R-hat 1.050 above 1.01" in text and "the segment model" in text
    assert "no sampling" in narrative.diagnostics_caption(shipped)


def test_methods_name_the_split_and_the_models(shipped):
    r = replace(with_revenue_model(shipped), expected_split={"A": 2, "B": 1})
    items = dict(narrative.methods(r)["frame"].values)
    assert "the designed split A 66.7%, B 33.3%" in items["Sample-ratio check"] and "Revenue model" in items and "CUPED" in items
    assert "Segments" not in items
    assert "an equal split" in dict(narrative.methods(shipped)["frame"].values)["Sample-ratio check"]


def test_brief_line_states_the_decision_and_the_interval(shipped):
    [line] = narrative.brief(shipped)
    assert line["kind"] == "ab_decision" and line["decision"] == "Ship B" and line["section"] == narrative.SECTION_DECISION
    assert "(90% interval)" in line["evidence"] and line["low"] < line["value"] < line["high"] and line["risk"] == "none flagged"


def test_variant_names_are_escaped():
    r = from_summary({"<i>A</i>": (10_000, 200), "B&co": (10_000, 240)}, control="<i>A</i>")
    text = " ".join(narrative.findings(r))
    assert "<i>" not in text and "&lt;i&gt;A&lt;/i&gt;" in text and "B&amp;co" in text


def test_srm_check_fixture_sanity():
    assert srm_check({"A": 4000, "B": 3600}).detected


# --------------------------------------------------------------------------- the sequential rule


def _sd(kind, action="keep testing", variant="B", days_left=88.5, **figures):
    base = {"sequential_alpha": 0.05, "sequential_tuning": 5000.0, "units_per_arm_needed": 33_197, "units_per_arm_now": 7915,
            "sequential_uplift": 0.102, "sequential_low": -0.033, "sequential_high": 0.236, "sequential_abs": 0.013,
            "sequential_abs_low": -0.003, "sequential_abs_high": 0.03, "days_left": days_left}
    d = _d(kind, action, variant, **{**base, **figures})
    return replace(d, rule=dec.RULE_SEQUENTIAL, days_left=days_left if action == "keep testing" else None)


def test_sequential_reasons_state_the_always_valid_interval_and_the_plan():
    keep = _sd(dec.SEQ_KEEP)
    text = narrative.decision_reason(keep)
    assert "+10.2% [-3.3%, +23.6%] conversion uplift on the always-valid 95% interval, which still includes zero" in text
    assert "7,915 of the planned 33,197 units per variant" in text and "about 88 more days" in text
    assert narrative.brief_decision(keep) == "Keep testing B: 88 more days to the planned sample"
    no_days = _sd(dec.SEQ_KEEP, days_left=None)
    assert "unknown number of days" in narrative.decision_reason(no_days) and narrative.brief_decision(no_days) == "Keep testing B"
    ship = narrative.decision_reason(_sd(dec.SEQ_SHIP, "ship"))
    assert ship.startswith("B beats A on the always-valid 95% interval") and "ship before the planned sample" in ship
    guard = narrative.decision_reason(_sd(dec.SEQ_GUARDRAIL, revenue_uplift=-0.1, revenue_low=-0.2, revenue_high=-0.01,
                                          revenue_abs=-1.0, revenue_abs_low=-2.0, revenue_abs_high=-0.1))
    assert "revenue per unit is lower on the same kind of interval (-10.0% [-20.0%, -1.0%])" in guard
    harm = narrative.decision_reason(_sd(dec.SEQ_HARM, "stop", "A", leader="B"))
    assert harm.startswith("Every variant converts worse than A") and harm.endswith("stop and keep A.")
    assert narrative.brief_decision(_sd(dec.SEQ_HARM, "stop", "A", leader="B")) == "Stop: keep A"


def test_sequential_interval_of_a_zero_conversion_control_is_absolute():
    d = _sd(dec.SEQ_SHIP, "ship", sequential_uplift=float("nan"), sequential_abs=0.012, sequential_abs_low=0.004, sequential_abs_high=0.02)
    assert "+1.20 pp [+0.40 pp, +2.00 pp]" in narrative.decision_reason(d)


def test_aa_sentence_compares_both_rules_read_daily(shipped):
    from playbook.abtest.decision import AAResult

    aa = [AAResult(0.045, 0.01, 0.1, 200, 1, 8000, 0.13), AAResult(0.155, 0.02, 0.3, 200, 28, 8000, 0.13),
          AAResult(0.02, 0.01, 0.0, 200, 28, 8000, 0.13, dec.RULE_SEQUENTIAL, 0.05)]
    r = replace(shipped, aa=aa)
    text = narrative.aa_sentence(r)
    assert "the Bayesian rule ships a variant 4.5% of the time with one look" in text and "15.5% when read 28 times" in text
    assert text.endswith("the sequential rule, read 28 times, ships 2.0% (nominal at most 5%, within it).")
    assert narrative.aa_labels(r) == ["Bayesian, 1 look", "Bayesian, 28 looks", "sequential, 28 looks"]
    above = replace(shipped, aa=aa[:2] + [replace(aa[2], false_ship_rate=0.08)])
    assert "above it" in narrative.aa_sentence(above) and narrative.aa_title(above).endswith("sequential 8%")


def test_the_demo_like_case_keeps_testing_with_the_days_left(early, shipped):
    """Small test, clear Bayesian lead, plan far away: the sequential rule keeps testing (the fixed rule would ship)."""
    assert early.decision.rule == dec.RULE_SEQUENTIAL and early.decision.action == "keep testing"
    assert early.decision.days_left == pytest.approx(early.plan.days_to_decision) and early.decision.days_left > 100
    assert shipped.decision.rule == dec.RULE_FIXED and shipped.decision.action == "ship"
    assert "Sequential rule" in dict(narrative.methods(early)["frame"].values)
    assert narrative.decision_banner(early)[1] == "info" and "always-valid" in narrative.tiles(early)[0].detail


def test_scope_line_names_the_units_the_arms_and_the_test_dates(shipped, summary_only):
    s = narrative.scope(shipped)
    units = int(shipped.conversion.table["units"].sum())
    assert s.startswith("Scope: conversion and revenue per randomized unit during the test")
    assert f"; {units:,} units split between A and B; " in s
    assert s.endswith(f"{shipped.first_date} to {shipped.last_date}.") if shipped.first_date else s.endswith("no dated data.")
    assert "30,000 units split between A, B and C; no dated data." in narrative.scope(summary_only)
