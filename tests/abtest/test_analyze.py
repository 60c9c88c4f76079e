"""Tests for playbook.abtest.analyze (moved from tests/test_abtest.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from playbook import abtest, mcmc
from playbook.abtest import checks, decision, handoff, narrative, posterior
from playbook.demo.abtest import make
from playbook.demo.world import World


def test_summary_input_analysis_and_results_keys(tmp_path):
    summary = pd.DataFrame({"variant": ["A", "B", "C"], "units": [10_000, 10_000, 10_000], "conversions": [200, 240, 205],
                            "revenue_sum": [50_000.0, 56_000.0, 50_500.0], "revenue_sum_sq": [2.6e7, 3.0e7, 2.7e7]})
    res = abtest.analyze(summary=summary, control="A", n_draws=20_000, aa_sims=0)
    out = res.results()
    for v in ("A", "B", "C"):
        for key in ("rate_mean", "rate_hdi_low", "rate_hdi_high", "prob_best", "expected_loss", "uplift_mean", "uplift_hdi_low", "uplift_hdi_high"):
            assert key in out["conversion"]["variants"][v]
        for key in ("revenue_per_unit_mean", "revenue_per_unit_hdi_low", "revenue_per_unit_hdi_high", "prob_best", "expected_loss", "uplift_mean", "uplift_hdi_low", "uplift_hdi_high"):
            assert key in out["revenue"]["variants"][v]
    assert set(out["srm"]) >= {"p_value", "detected"} and set(out["decision"]) >= {"action", "variant", "reason"}
    assert out["decision"]["action"] in {"ship", "keep testing", "stop"}
    pooled = 440 / 20_000
    z = (0.024 - 0.020) / math.sqrt(pooled * (1 - pooled) * 2 / 10_000)  # pooled two-proportion z, by hand
    assert res.frequentist.set_index("variant").loc["B", "z_p_value"] == pytest.approx(2 * stats.norm.sf(z), rel=1e-9)
    from playbook.report import write_json_atomic

    write_json_atomic(out, tmp_path / "ab_test.json")  # JSON-safe


@pytest.fixture(scope="module")
def demo():
    files, truth = make(World())
    from playbook.contracts import contract, validate

    return validate(files["experiment.csv"], contract("experiment")), truth


def test_demo_conversion_uplift_recovered(demo):
    exp, truth = demo
    t = posterior.conversion_analysis(checks.arm_counts(exp), "A", interval=0.95, n_draws=100_000).table.set_index("variant")
    for v in ("B", "C"):
        # the true relative uplift lies inside the 95% HDI, and the estimate is within 6 pp of it
        assert t.loc[v, "uplift_hdi_low"] <= truth["uplift"][v] <= t.loc[v, "uplift_hdi_high"], v
        assert abs(t.loc[v, "uplift_mean"] - truth["uplift"][v]) < 0.06, v
        assert abs(t.loc[v, "rate_mean"] - truth["rate"][v]) < 0.01, v
    assert decision.decide(t.reset_index(), "A").action == "ship"


@pytest.mark.slow
def test_demo_full_analysis_recovers_revenue_and_segments(demo):
    exp, truth = demo
    res = abtest.analyze(exp, control="A", settings=mcmc.Settings(draws=300, tune=300, chains=2, sampler="pymc"), n_draws=50_000, aa_sims=0, seed=7, interval=0.95)
    assert not res.srm.detected and res.data_check.passed
    # issue 11: 7,915 units per arm of a planned ~33,200 → the always-valid interval decides, and it includes zero
    assert (res.decision.action, res.decision.variant, res.decision.rule) == ("keep testing", "B", "sequential")
    model = res.revenue["variants"].set_index("variant")
    capped = res.revenue["capped"].set_index("variant")
    raw = res.revenue["raw"].set_index("variant")
    # revenue per unit of B (no planted outliers) lies in the model's 95% HDI, within 10%
    assert model.loc["B", "revenue_per_unit_hdi_low"] <= truth["revenue_per_unit"]["B"] <= model.loc["B", "revenue_per_unit_hdi_high"]
    assert model.loc["B", "revenue_per_unit_mean"] == pytest.approx(truth["revenue_per_unit"]["B"], rel=0.10)
    # the planted wholesale orders make raw revenue favour C; capping restores B as best
    assert raw.loc["C", "revenue_per_unit_mean"] > raw.loc["B", "revenue_per_unit_mean"]
    assert capped["prob_best"].idxmax() == "B"
    # CUPED on pre-period revenue removes variance (about the squared correlation, a few %)
    assert 0.02 < res.revenue["cuped_variance_reduction"] < 0.3
    # the segment model converges and ranks B's uplift on mobile above desktop (the true heterogeneity)
    out = res.results()
    assert out["segments"]["looked_at"] == len(res.segments.table)
    assert all(c["uplift_hdi_low"] > 0 or c["uplift_hdi_high"] < 0 for c in out["segments"]["credible"])
    assert out["revenue"]["top1_share"]["C"] > out["revenue"]["top1_share"]["B"]  # the planted wholesale orders are C's
    assert out["revenue"]["cuped"]["moved"] == pytest.approx(-0.15, abs=0.08)  # CUPED moves B's difference (issue 11)
    seg = res.segments.table.set_index(["segment", "level", "variant"])
    assert res.segments.diagnostics.rhat_max < 1.05
    assert seg.loc[("device", "mobile", "B"), "uplift_mean"] > seg.loc[("device", "desktop", "B"), "uplift_mean"]
    true_mobile = truth["segments"]["device"]["mobile"]["uplift"]["B"]
    assert seg.loc[("device", "mobile", "B"), "uplift_hdi_low"] <= true_mobile <= seg.loc[("device", "mobile", "B"), "uplift_hdi_high"]
    # holdout hand-off: revenue kpi draws from the model
    lt = handoff.holdout_lift_test(res, "search", 20_000.0, periods=4.0).iloc[0]
    assert lt["delta_x"] == 20_000.0 and lt["x"] == 0.0 and lt["sigma"] > 0
    assert lt["delta_y"] == pytest.approx((model.loc["A", "revenue_per_unit_mean"] - model.loc["B", "revenue_per_unit_mean"]) * len(exp) / 4.0, rel=1e-6)


def test_srm_demo_is_flagged_and_stops():
    files, truth = make(World(), srm_drop=0.08)  # 8% of B's units lost after randomization
    res = abtest.analyze(files["experiment.csv"], control="A", settings=None, n_draws=20_000, aa_sims=0)
    assert res.srm.detected and res.srm.p_value < 0.001
    assert res.decision.action == "stop" and "sample-ratio" in narrative.decision_reason(res.decision)



def test_demo_decision_agrees_with_the_plan(demo):
    """Issue 11: the demo's B leads (P(beats A) 99 %) but has a quarter of the planned sample; read daily, only the
    always-valid interval may ship, and it includes zero, so: keep testing, with the plan's days left."""
    exp, _ = demo
    res = abtest.analyze(exp, control="A", settings=None, n_draws=20_000, aa_sims=0)
    d, p = res.decision, res.plan
    assert p.units_per_arm_now < p.units_per_arm_needed and p.units_per_arm_needed == pytest.approx(33_200, rel=0.01)
    assert (d.action, d.variant, d.rule) == ("keep testing", "B", "sequential")
    assert d.days_left == pytest.approx(p.days_to_decision) and d.days_left == pytest.approx(88, abs=1)
    out = res.results()
    assert out["decision"]["rule"] == "sequential" and out["decision"]["days_left"] == pytest.approx(d.days_left)
    b = out["sequential"]["variants"]["B"]
    assert b["significant"] is False and b["uplift_low"] < 0 < b["uplift_high"] and out["sequential"]["tuning"] == 5000.0
    assert "88 more days" in out["decision"]["reason"] and out["brief"][0]["decision"] == "Keep testing B: 88 more days to the planned sample"
    # the Bayesian rule alone would have shipped B: the old report's call
    assert decision.decide(res.conversion.table, "A").action == "ship"


def test_demo_aa_simulation_reads_daily_and_shows_both_rules(demo):
    exp, _ = demo
    res = abtest.analyze(exp, control="A", settings=None, n_draws=20_000, aa_sims=40, seed=2)
    rules = [(a.rule, a.looks) for a in res.aa]
    assert rules == [("fixed horizon", 1), ("fixed horizon", 28), ("sequential", 28)]
    fixed_daily, seq_daily = res.aa[1], res.aa[2]
    assert seq_daily.false_ship_rate <= seq_daily.nominal and fixed_daily.false_ship_rate > seq_daily.false_ship_rate
    assert [r["rule"] for r in res.results()["aa_simulation"]] == ["fixed horizon", "fixed horizon", "sequential"]


# ----------------------------------------------------------------------------- broken arms (issue 11 item 2)


def _no_revenue(frame, arm):
    return frame.assign(revenue=frame["revenue"].where(frame["variant"] != arm, 0.0))


def test_an_arm_without_revenue_is_named_left_out_of_revenue_and_never_shipped():
    from .factory import experiment

    exp = _no_revenue(experiment({"A": 0.10, "B": 0.14, "C": 0.10}, units=4000), "B")
    res = abtest.analyze(exp, control="A", settings=None, n_draws=5000, aa_sims=0, segments=[], mde=0.5)
    assert res.broken.no_revenue == ["B"] and res.results()["health"]["broken_variants"] == ["B"]
    assert list(res.revenue["variants"]["variant"]) == ["A", "C"]  # analysed as far as the data allow
    assert res.decision.action == "keep testing" and res.decision.kind == decision.BROKEN  # B wins conversion, but is broken
    banners = narrative.banners(res)
    assert banners[0][1] == "danger" and "B recorded no revenue: check tracking" in banners[0][0]
    assert "left out of the revenue comparison" in " ".join(narrative.findings(res))
    assert "fix the tracking before shipping it" in narrative.decision_reason(res.decision)
    assert res.results()["revenue"]["variants"].keys() == {"A", "C"}
    assert [w.rows for w in res.warnings] == ["variant B"] and "left out of the revenue comparison" in res.warnings[0].sentence()
    # two arms, the treated one broken: no revenue comparison at all, still a report
    two = abtest.analyze(_no_revenue(experiment({"A": 0.10, "B": 0.14}), "B"), control="A", settings=None, n_draws=5000, aa_sims=0, segments=[])
    assert two.revenue is None and narrative.no_revenue_banner(two).startswith("Every variant but one recorded no revenue")
    ctrl = abtest.analyze(_no_revenue(experiment({"A": 0.10, "B": 0.14}), "A"), control="A", settings=None, n_draws=5000, aa_sims=0, segments=[])
    assert ctrl.revenue is None and "(the control) recorded no revenue" in narrative.no_revenue_banner(ctrl)
    assert "cannot be compared with the control" in narrative.broken_banners(ctrl)[0]


def test_a_control_with_zero_conversions_gets_an_absolute_difference_not_nan():
    summary = pd.DataFrame({"variant": ["A", "B"], "units": [5000, 5000], "conversions": [0, 60]})
    res = abtest.analyze(summary=summary, control="A", n_draws=5000, aa_sims=0, min_conversions=0)
    row = res.conversion.table.set_index("variant").loc["B"]
    assert math.isnan(row["uplift_mean"]) and math.isnan(row["uplift_hdi_low"])  # undefined, and said so
    assert row["uplift_abs_mean"] == pytest.approx(61 / 5002 - 1 / 5002) and row["uplift_abs_hdi_low"] > 0
    out = res.results()
    assert out["conversion"]["variants"]["B"]["uplift_mean"] is None and out["conversion"]["variants"]["B"]["uplift_abs_mean"] > 0
    assert res.broken.no_conversions == ["A"] and out["health"]["broken_variants"] == ["A"]
    lead = narrative.findings(res)[0]
    assert "recorded no conversions, so a relative uplift is undefined: the absolute difference is <b>+1.20 pp</b>" in lead
    assert "nan" not in " ".join(narrative.findings(res)).lower() and narrative.tiles(res)[1].label == "Conversion difference, B"
    assert "absolute differences" in narrative.uplift_sentence(res) and narrative.uplift_title(res).startswith("Absolute difference")
    assert "conversion difference +1.20 pp" in narrative.brief(res)[0]["evidence"]
    assert out["sequential"]["variants"]["B"]["significant"] is True  # the absolute always-valid interval decides


def test_an_arm_with_no_conversions_at_all_is_named_and_the_test_keeps_running():
    from .factory import experiment

    exp = experiment({"A": 0.10, "B": 0.0})
    res = abtest.analyze(exp, control="A", settings=None, n_draws=5000, aa_sims=0, segments=[])
    assert res.broken.no_conversions == ["B"] and res.decision.action != "ship"
    assert "B recorded no conversions: check tracking" in narrative.broken_banners(res)[0]
    assert "B recorded no conversions" in narrative.brief(res)[0]["risk"]


@pytest.mark.slow
def test_the_revenue_model_fits_the_arms_that_recorded_revenue():
    from .factory import experiment

    exp = _no_revenue(experiment({"A": 0.10, "B": 0.14, "C": 0.10}, units=1500), "C")
    res = abtest.analyze(exp, control="A", settings=mcmc.Settings(draws=150, tune=150, chains=1, sampler="pymc"), n_draws=5000,
                         aa_sims=0, segments=["device"])
    assert res.revenue_model is not None and set(res.revenue_model.draws) == {"A", "B"}
    assert set(res.revenue["variants"]["variant"]) == {"A", "B"} and res.segments is not None


def test_a_segment_column_recorded_after_assignment_is_refused_with_a_warning():
    from .factory import experiment

    exp = experiment({"A": 0.10, "B": 0.12}, units=3000, seed=6)
    exp["checkout_step"] = np.where(exp["variant"] == "B", "express", "cart")  # set by the variant itself
    res = abtest.analyze(exp, control="A", settings=None, n_draws=4000, aa_sims=0, segments=["device", "checkout_step"])
    assert list(res.refused_segments) == ["checkout_step"] and res.results()["segments"]["refused"]["checkout_step"] < 1e-9
    assert [w.rows for w in res.warnings] == ["column checkout_step"] and "left out of the segment breakdown" in res.warnings[0].sentence()
    assert narrative.refused_segments_note(res).startswith("Left out of the segment breakdown: checkout_step")
