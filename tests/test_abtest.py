"""Tests for playbook.abtest: closed forms, hand-computed cases, decision rule, A/A, recovery on the demo."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from playbook import abtest as ab
from playbook.demo.abtest import make
from playbook.demo.world import World

# ----------------------------------------------------------------------------- closed forms from the issue

A_B = pd.DataFrame({"variant": ["A", "B"], "units": [10_000, 10_000], "conversions": [200, 240]})


@pytest.fixture(scope="module")
def issue_case():
    return ab.conversion_analysis(A_B, "A", prior=(1.0, 1.0), mde=0.05, n_draws=200_000, seed=1).table.set_index("variant")


def test_issue_prob_b_beats_a(issue_case):
    assert issue_case.loc["B", "prob_best"] == pytest.approx(0.97301, abs=5e-6)
    assert issue_case.loc["B", "prob_beats_control"] == pytest.approx(0.97301, abs=5e-6)
    assert issue_case["prob_best"].sum() == pytest.approx(1.0, abs=1e-10)


def test_issue_expected_losses(issue_case):
    # absolute loss in conversion-rate units: E[max(θA, θB) − θ_chosen]
    assert issue_case.loc["B", "expected_loss"] == pytest.approx(2.142e-5, abs=5e-9)
    assert issue_case.loc["A", "expected_loss"] == pytest.approx(4.021e-3, abs=5e-7)
    # loss(A) − loss(B) = E[θB] − E[θA] exactly
    assert issue_case.loc["A", "expected_loss"] - issue_case.loc["B", "expected_loss"] == pytest.approx(241 / 10_002 - 201 / 10_002, abs=1e-12)
    # relative loss = absolute ÷ control's posterior mean rate (201 / 10 002)
    assert issue_case.loc["B", "expected_loss_relative"] == pytest.approx(2.142e-5 / (201 / 10_002), rel=1e-3)


def test_issue_srm_p_value():
    srm = ab.srm_check({"A": 10_000, "B": 10_300})
    assert srm.p_value == pytest.approx(0.0352, abs=5e-5)
    assert not srm.detected  # 0.035 is not below 0.001
    assert ab.srm_check({"A": 10_000, "B": 10_600}).detected


def evan_miller_prob_b_beats_a(a_a, b_a, a_b, b_b):
    """Closed form P(θB > θA) for integer Beta parameters (Evan Miller), in logs."""
    total = 0.0
    for i in range(int(a_b)):
        total += math.exp(special.betaln(a_a + i, b_a + b_b) - math.log(b_b + i) - special.betaln(1 + i, b_b) - special.betaln(a_a, b_a))
    return total


@pytest.mark.parametrize("ka,na,kb,nb", [(200, 10_000, 240, 10_000), (3, 40, 9, 35), (50, 100, 45, 120), (0, 500, 2, 480)])
def test_prob_beats_matches_evan_miller_closed_form(ka, na, kb, nb):
    a_a, b_a, a_b, b_b = 1 + ka, 1 + na - ka, 1 + kb, 1 + nb - kb
    exact = evan_miller_prob_b_beats_a(a_a, b_a, a_b, b_b)
    assert ab.prob_ratio_above(a_b, b_b, a_a, b_a, 0.0) == pytest.approx(exact, abs=1e-9)
    assert ab.prob_best([a_a, a_b], [b_a, b_b])[1] == pytest.approx(exact, abs=1e-9)


def test_three_arm_quantities_match_adaptive_quadrature():
    alphas, betas = np.array([121.0, 140.0, 118.0]), np.array([880.0, 861.0, 900.0])
    pb = ab.prob_best(alphas, betas)
    ref = []
    for k in range(3):
        f = lambda x, k=k: stats.beta.pdf(x, alphas[k], betas[k]) * np.prod([stats.beta.cdf(x, alphas[j], betas[j]) for j in range(3) if j != k])  # noqa: E731
        ref.append(integrate.quad(f, 0, 1, points=[0.1, 0.12, 0.14], limit=400, epsabs=1e-13)[0])
    assert pb == pytest.approx(ref, abs=1e-9)
    emax = integrate.quad(lambda x: 1 - np.prod([stats.beta.cdf(x, a, b) for a, b in zip(alphas, betas)]), 0, 1, points=[0.1, 0.12, 0.14], limit=400, epsabs=1e-13)[0]
    assert ab.expected_loss(alphas, betas) == pytest.approx(emax - alphas / (alphas + betas), abs=1e-9)
    # Monte Carlo agrees within its error
    rng = np.random.default_rng(0)
    d = rng.beta(alphas, betas, size=(400_000, 3))
    assert np.bincount(d.argmax(1), minlength=3) / len(d) == pytest.approx(pb, abs=3e-3)


def test_prob_uplift_above_mde_matches_monte_carlo():
    rng = np.random.default_rng(3)
    b, a = rng.beta(241, 9761, 1_000_000), rng.beta(201, 9801, 1_000_000)
    assert ab.prob_ratio_above(241, 9761, 201, 9801, 0.05) == pytest.approx(np.mean(b / a - 1 > 0.05), abs=2e-3)


def test_beta_hdi_is_narrowest_and_holds_mass():
    lo, hi = ab.beta_hdi(241, 9761, 0.95)
    assert stats.beta.cdf(hi, 241, 9761) - stats.beta.cdf(lo, 241, 9761) == pytest.approx(0.95, abs=1e-8)
    # equal density at both ends is the HDI condition for a unimodal density
    assert stats.beta.pdf(lo, 241, 9761) == pytest.approx(stats.beta.pdf(hi, 241, 9761), rel=1e-4)
    eq_lo, eq_hi = stats.beta.ppf([0.025, 0.975], 241, 9761)
    assert hi - lo <= eq_hi - eq_lo
    # no conversions: the mode is 0, so the HDI starts at 0
    lo0, hi0 = ab.beta_hdi(1, 501, 0.95)
    assert lo0 == pytest.approx(0.0, abs=1e-9) and stats.beta.cdf(hi0, 1, 501) == pytest.approx(0.95, abs=1e-8)


def test_uplift_mean_exact_and_uplift_hdi_exact(issue_case):
    # E[θB/θA] = E[θB] E[1/θA] = 241/10002 × 10001/200
    assert issue_case.loc["B", "uplift_mean"] == pytest.approx(241 / 10_002 * 10_001 / 200 - 1, abs=1e-12)
    for ak, bk, ac, bc in [(241, 9761, 201, 9801), (60, 41, 50, 51), (3, 40, 2, 50)]:
        lo, hi = ab.uplift_hdi(ak, bk, ac, bc, 0.95)
        def cdf(r, ak=ak, bk=bk, ac=ac, bc=bc):
            return 1 - ab.prob_ratio_above(ak, bk, ac, bc, r)

        def dens(r, cdf=cdf):
            h = 1e-5 * (1 + abs(r))
            return (cdf(r + h) - cdf(r - h)) / (2 * h)

        assert cdf(hi) - cdf(lo) == pytest.approx(0.95, abs=1e-4)  # holds the mass
        assert dens(lo) == pytest.approx(dens(hi), rel=0.02)  # equal density at both ends: the narrowest interval
        # Monte Carlo HDIs agree within their own noise
        rng = np.random.default_rng(0)
        r = rng.beta(ak, bk, 1_000_000) / rng.beta(ac, bc, 1_000_000) - 1
        mc_lo, mc_hi = ab.draws_hdi(r)
        assert abs(mc_lo - lo) < 0.01 * (1 + abs(lo)) and abs(mc_hi - hi) < 0.01 * (1 + abs(hi))
    # the absolute uplift HDI against draws
    lo, hi = ab.uplift_hdi(241, 9761, 201, 9801, 0.95, relative=False)
    assert lo == pytest.approx(issue_case.loc["B", "uplift_abs_hdi_low"]) and hi == pytest.approx(issue_case.loc["B", "uplift_abs_hdi_high"])
    d = np.random.default_rng(1).beta(241, 9761, 1_000_000) - np.random.default_rng(2).beta(201, 9801, 1_000_000)
    assert ab.draws_hdi(d) == pytest.approx((lo, hi), abs=2e-4)


def test_conversion_figures_do_not_depend_on_seed():
    t1 = ab.conversion_analysis(A_B, "A", n_draws=1000, seed=11).table
    t2 = ab.conversion_analysis(A_B, "A", n_draws=1000, seed=12).table
    pd.testing.assert_frame_equal(t1, t2)


def test_summarize_draws_hand_case():
    draws = {"A": np.array([1.0, 2.0, 3.0, 4.0]), "B": np.array([2.0, 1.0, 5.0, 4.0])}
    t = ab.summarize_draws(draws, "A", value_name="x").set_index("variant")
    assert t.loc["B", "prob_best"] == pytest.approx(0.5)  # B > A in draws 0 and 2; ties go to the first (A)
    assert t.loc["A", "expected_loss"] == pytest.approx((1 + 0 + 2 + 0) / 4)
    assert t.loc["B", "expected_loss"] == pytest.approx((0 + 1 + 0 + 0) / 4)
    assert t.loc["B", "prob_beats_control"] == pytest.approx(0.5)
    assert t.loc["B", "uplift_mean"] == pytest.approx(np.mean([1.0, -0.5, 2 / 3, 0.0]))


# ----------------------------------------------------------------------------- checks, revenue helpers


def test_srm_uses_expected_split_and_validates_names():
    srm = ab.srm_check({"A": 9_000, "B": 3_000}, {"A": 3, "B": 1})
    assert srm.expected == {"A": 9_000.0, "B": 3_000.0} and srm.p_value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="missing"):
        ab.srm_check({"A": 1, "B": 2}, {"A": 0.5, "C": 0.5})


def test_minimum_data_check():
    counts = pd.DataFrame({"variant": ["A", "B"], "units": [100, 100], "conversions": [30, 12]})
    check = ab.minimum_data_check(counts, days=3, min_conversions=25, min_days=7)
    assert not check.passed and len(check.reasons) == 2 and "B" in check.reasons[0]
    assert ab.minimum_data_check(counts, days=None, min_conversions=10).passed


def test_winsorize_uses_pooled_cap_on_non_zero_values():
    rev = pd.Series([0.0] * 96 + [10.0, 20.0, 30.0, 1000.0])
    cap = ab.revenue_cap(rev, 0.5)
    assert cap == pytest.approx(25.0)  # median of the four non-zero values, not of all 100 (which is 0)
    assert ab.winsorize(rev, cap).max() == 25.0 and ab.winsorize(rev, cap).sum() == pytest.approx(10 + 20 + 25 + 25)


def test_cuped_variance_reduction_equals_squared_correlation():
    rng = np.random.default_rng(5)
    n = 20_000
    x = rng.gamma(2.0, 10.0, n)
    variant = pd.Series(np.where(rng.uniform(size=n) < 0.5, "A", "B"))
    y = pd.Series(0.6 * x + rng.normal(0, 10, n) + np.where(variant == "B", 2.0, 0.0))
    res = ab.cuped(y, pd.Series(x), variant)
    assert res.variance_reduction == pytest.approx(res.correlation**2, abs=1e-10)
    assert res.theta == pytest.approx(0.6, abs=0.02)
    # the adjusted difference in means stays unbiased for the true +2
    adj = res.adjusted.groupby(variant).mean()
    assert adj["B"] - adj["A"] == pytest.approx(2.0, abs=0.25)


def test_normal_mean_draws_from_sums_match_unit_level():
    rng = np.random.default_rng(2)
    values = {"A": rng.exponential(5, 3000), "B": rng.exponential(6, 3000)}
    counts = pd.DataFrame({"variant": ["A", "B"], "units": [3000, 3000], "revenue_sum": [v.sum() for v in values.values()], "revenue_sum_sq": [(v**2).sum() for v in values.values()]})
    d1 = ab.normal_mean_draws(values, 100_000, seed=1)
    d2 = ab.normal_mean_draws_from_sums(counts, 100_000, seed=1)
    for v in ("A", "B"):
        assert d1[v].mean() == pytest.approx(d2[v].mean(), rel=1e-9) and d1[v].std() == pytest.approx(d2[v].std(), rel=1e-6)


# ----------------------------------------------------------------------------- decision, planning, allocation


def _table(ka, kb, n=10_000, mde=0.0):
    return ab.conversion_analysis(pd.DataFrame({"variant": ["A", "B"], "units": [n, n], "conversions": [ka, kb]}), "A", mde=mde, n_draws=20_000).table


def test_decide_ship_keep_stop_and_srm():
    d = ab.decide(_table(200, 240), "A", 0.95, 0.005)
    assert (d.action, d.variant) == ("ship", "B") and "97%" in d.reason
    assert ab.decide(_table(200, 240), "A", 0.975, 0.005).action == "keep testing"
    assert ab.decide(_table(240, 200), "A", 0.95, 0.005).action == "stop"
    assert ab.decide(_table(200, 215, mde=0.3), "A", 0.95, 0.005, mde=0.3).action == "stop"  # futile: +30% is out of reach
    srm = ab.srm_check({"A": 10_000, "B": 11_000})
    assert ab.decide(_table(200, 240), "A", srm=srm).action == "stop"
    guard = ab.decide(_table(200, 240), "A", guardrail_prob_worse={"B": 0.99})
    assert guard.action == "keep testing" and "revenue" in guard.reason


def test_sample_size_matches_cohens_h_formula():
    p, mde = 0.10, 0.10
    h = 2 * math.asin(math.sqrt(p * 1.1)) - 2 * math.asin(math.sqrt(p))
    # the arcsine-transformed difference has variance 2 / n with n units per arm
    expected = 2 * ((stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) / h) ** 2
    assert ab.sample_size_per_arm(p, mde, 0.95, 0.8) == math.ceil(expected)
    # and it agrees with the textbook unpooled-variance formula within 2%
    p2 = p * 1.1
    textbook = (stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) ** 2 * (p * (1 - p) + p2 * (1 - p2)) / (p2 - p) ** 2
    assert ab.sample_size_per_arm(p, mde) == pytest.approx(textbook, rel=0.02)
    counts = pd.DataFrame({"variant": ["A", "B"], "units": [1000, 1000], "conversions": [100, 110]})
    plan = ab.plan(counts, "A", mde, 0.95, days=10)
    assert plan.units_per_arm_per_day == 100 and plan.days_to_decision == pytest.approx((math.ceil(expected) - 1000) / 100)


def test_thompson_allocation_equals_prob_best_with_floor():
    alloc = ab.thompson_allocation({"A": 0.02, "B": 0.9, "C": 0.08})
    assert alloc == pytest.approx({"A": 0.02, "B": 0.9, "C": 0.08})
    floored = ab.thompson_allocation({"A": 0.0, "B": 1.0}, min_share=0.1)
    assert floored == pytest.approx({"A": 0.1, "B": 0.9}) and sum(floored.values()) == pytest.approx(1.0)


def test_aa_false_ship_rate_near_nominal_and_peeking_inflates():
    single = ab.aa_false_ship_rate(0.1, 4000, n_sims=400, looks=1, seed=3)
    # one look, one comparison: about 1 − prob_threshold = 5% (the loss cap rarely binds at this size)
    assert 0.02 <= single.false_ship_rate <= 0.085
    assert single.false_ship_rate_se == pytest.approx(math.sqrt(single.false_ship_rate * (1 - single.false_ship_rate) / 400))
    peeking = ab.aa_false_ship_rate(0.1, 4000, n_sims=150, looks=10, seed=3)
    assert peeking.false_ship_rate > single.false_ship_rate + 0.03


# ----------------------------------------------------------------------------- inputs, lift test, results


def test_arm_counts_from_units_and_summary_agree():
    files, _ = make(World(), units=3000)
    exp = files["experiment.csv"]
    c1 = ab.arm_counts(exp)
    summary = c1.drop(columns=["revenue_sum_sq"])
    c2 = ab.arm_counts(summary=summary)
    assert c1[["variant", "units", "conversions"]].equals(c2[["variant", "units", "conversions"]])
    assert c2["revenue_sum_sq"].isna().all()
    with pytest.raises(ValueError, match="control variant 'Z' not found"):
        ab.order_variants(c1["variant"], "Z")


def test_lift_test_row_definitions():
    on = np.full(1000, 12.0) + np.random.default_rng(0).normal(0, 0.5, 1000)
    off = np.full(1000, 10.0)
    row = ab.lift_test_row("search", on, off, spend_per_period=5000.0, units_per_period=2000.0, spend_share_kept=0.2).iloc[0]
    assert list(row.index) == ["channel", "x", "delta_x", "delta_y", "sigma"]
    assert row["x"] == pytest.approx(1000.0) and row["delta_x"] == pytest.approx(4000.0)
    assert row["delta_y"] == pytest.approx((on - off).mean() * 2000) and row["sigma"] == pytest.approx(on.std(ddof=1) * 2000)
    assert ab.units_per_period(7000, days=14.0) == pytest.approx(3500.0)
    with pytest.raises(ValueError):
        ab.lift_test_row("search", on, off, 0.0, 2000.0)


def test_summary_input_analysis_and_results_keys(tmp_path):
    summary = pd.DataFrame({"variant": ["A", "B", "C"], "units": [10_000, 10_000, 10_000], "conversions": [200, 240, 205],
                            "revenue_sum": [50_000.0, 56_000.0, 50_500.0], "revenue_sum_sq": [2.6e7, 3.0e7, 2.7e7]})
    res = ab.analyze(summary=summary, control="A", n_draws=20_000, aa_sims=0)
    out = res.results()
    for v in ("A", "B", "C"):
        for key in ("rate_mean", "rate_hdi_low", "rate_hdi_high", "prob_best", "expected_loss", "uplift_mean", "uplift_hdi_low", "uplift_hdi_high"):
            assert key in out["conversion"]["variants"][v]
        for key in ("revenue_per_unit_mean", "revenue_per_unit_hdi_low", "revenue_per_unit_hdi_high", "prob_best", "expected_loss", "uplift_mean", "uplift_hdi_low", "uplift_hdi_high"):
            assert key in out["revenue"]["variants"][v]
    assert set(out["srm"]) >= {"p_value", "detected"} and set(out["decision"]) == {"action", "variant", "reason"}
    assert out["decision"]["action"] in {"ship", "keep testing", "stop"}
    pooled = 440 / 20_000
    z = (0.024 - 0.020) / math.sqrt(pooled * (1 - pooled) * 2 / 10_000)  # pooled two-proportion z, by hand
    assert res.frequentist.set_index("variant").loc["B", "z_p_value"] == pytest.approx(2 * stats.norm.sf(z), rel=1e-9)
    from playbook.report import write_json_atomic

    write_json_atomic(out, tmp_path / "ab_test.json")  # JSON-safe


def test_default_segments_picks_text_columns():
    files, _ = make(World(), units=2000)
    assert ab.default_segments(files["experiment.csv"]) == ["device", "region", "customer_type"]


# ----------------------------------------------------------------------------- recovery on the demo world (slow)


@pytest.fixture(scope="module")
def demo():
    files, truth = make(World())
    from playbook.contracts import contract, validate

    return validate(files["experiment.csv"], contract("experiment")), truth


def test_demo_conversion_uplift_recovered(demo):
    exp, truth = demo
    t = ab.conversion_analysis(ab.arm_counts(exp), "A", n_draws=100_000).table.set_index("variant")
    for v in ("B", "C"):
        # the true relative uplift lies inside the 95% HDI, and the estimate is within 6 pp of it
        assert t.loc[v, "uplift_hdi_low"] <= truth["uplift"][v] <= t.loc[v, "uplift_hdi_high"], v
        assert abs(t.loc[v, "uplift_mean"] - truth["uplift"][v]) < 0.06, v
        assert abs(t.loc[v, "rate_mean"] - truth["rate"][v]) < 0.01, v
    assert ab.decide(t.reset_index(), "A").action == "ship"


@pytest.mark.slow
def test_demo_full_analysis_recovers_revenue_and_segments(demo):
    exp, truth = demo
    res = ab.analyze(exp, control="A", draws=300, tune=300, n_draws=50_000, aa_sims=0, seed=7)
    assert not res.srm.detected and res.data_check.passed
    assert (res.decision.action, res.decision.variant) == ("ship", "B")
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
    seg = res.segments.table.set_index(["segment", "level", "variant"])
    assert res.segments.rhat_max < 1.05
    assert seg.loc[("device", "mobile", "B"), "uplift_mean"] > seg.loc[("device", "desktop", "B"), "uplift_mean"]
    true_mobile = truth["segments"]["device"]["mobile"]["uplift"]["B"]
    assert seg.loc[("device", "mobile", "B"), "uplift_hdi_low"] <= true_mobile <= seg.loc[("device", "mobile", "B"), "uplift_hdi_high"]
    # holdout hand-off: revenue kpi draws from the model
    lt = ab.holdout_lift_test(res, "search", 20_000.0, periods=4.0).iloc[0]
    assert lt["delta_x"] == 20_000.0 and lt["x"] == 0.0 and lt["sigma"] > 0
    assert lt["delta_y"] == pytest.approx((model.loc["A", "revenue_per_unit_mean"] - model.loc["B", "revenue_per_unit_mean"]) * len(exp) / 4.0, rel=1e-6)


def test_srm_demo_is_flagged_and_stops():
    files, truth = make(World(), srm_drop=0.08)  # 8% of B's units lost after randomization
    res = ab.analyze(files["experiment.csv"], control="A", draws=0, n_draws=20_000, aa_sims=0)
    assert res.srm.detected and res.srm.p_value < 0.001
    assert res.decision.action == "stop" and "sample-ratio" in res.decision.reason
