"""Tests for playbook.abtest.posterior (moved from tests/test_abtest.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special, stats

from playbook.abtest import posterior

A_B = pd.DataFrame({"variant": ["A", "B"], "units": [10_000, 10_000], "conversions": [200, 240]})


@pytest.fixture(scope="module")
def issue_case():
    return posterior.conversion_analysis(A_B, "A", prior=(1.0, 1.0), interval=0.95, mde=0.05, n_draws=200_000, seed=1).table.set_index("variant")


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
    assert posterior.prob_ratio_above(a_b, b_b, a_a, b_a, 0.0) == pytest.approx(exact, abs=1e-9)
    assert posterior.prob_best([a_a, a_b], [b_a, b_b])[1] == pytest.approx(exact, abs=1e-9)


def test_three_arm_quantities_match_adaptive_quadrature():
    alphas, betas = np.array([121.0, 140.0, 118.0]), np.array([880.0, 861.0, 900.0])
    pb = posterior.prob_best(alphas, betas)
    ref = []
    for k in range(3):
        f = lambda x, k=k: stats.beta.pdf(x, alphas[k], betas[k]) * np.prod([stats.beta.cdf(x, alphas[j], betas[j]) for j in range(3) if j != k])  # noqa: E731
        ref.append(integrate.quad(f, 0, 1, points=[0.1, 0.12, 0.14], limit=400, epsabs=1e-13)[0])
    assert pb == pytest.approx(ref, abs=1e-9)
    emax = integrate.quad(lambda x: 1 - np.prod([stats.beta.cdf(x, a, b) for a, b in zip(alphas, betas)]), 0, 1, points=[0.1, 0.12, 0.14], limit=400, epsabs=1e-13)[0]
    assert posterior.expected_loss(alphas, betas) == pytest.approx(emax - alphas / (alphas + betas), abs=1e-9)
    # Monte Carlo agrees within its error
    rng = np.random.default_rng(0)
    d = rng.beta(alphas, betas, size=(400_000, 3))
    assert np.bincount(d.argmax(1), minlength=3) / len(d) == pytest.approx(pb, abs=3e-3)


def test_prob_uplift_above_mde_matches_monte_carlo():
    rng = np.random.default_rng(3)
    b, a = rng.beta(241, 9761, 1_000_000), rng.beta(201, 9801, 1_000_000)
    assert posterior.prob_ratio_above(241, 9761, 201, 9801, 0.05) == pytest.approx(np.mean(b / a - 1 > 0.05), abs=2e-3)


def test_beta_hdi_is_narrowest_and_holds_mass():
    lo, hi = posterior.beta_hdi(241, 9761, 0.95)
    assert stats.beta.cdf(hi, 241, 9761) - stats.beta.cdf(lo, 241, 9761) == pytest.approx(0.95, abs=1e-8)
    # equal density at both ends is the HDI condition for a unimodal density
    assert stats.beta.pdf(lo, 241, 9761) == pytest.approx(stats.beta.pdf(hi, 241, 9761), rel=1e-4)
    eq_lo, eq_hi = stats.beta.ppf([0.025, 0.975], 241, 9761)
    assert hi - lo <= eq_hi - eq_lo
    # no conversions: the mode is 0, so the HDI starts at 0
    lo0, hi0 = posterior.beta_hdi(1, 501, 0.95)
    assert lo0 == pytest.approx(0.0, abs=1e-9) and stats.beta.cdf(hi0, 1, 501) == pytest.approx(0.95, abs=1e-8)


def test_uplift_mean_exact_and_uplift_hdi_exact(issue_case):
    # E[θB/θA] = E[θB] E[1/θA] = 241/10002 × 10001/200
    assert issue_case.loc["B", "uplift_mean"] == pytest.approx(241 / 10_002 * 10_001 / 200 - 1, abs=1e-12)
    for ak, bk, ac, bc in [(241, 9761, 201, 9801), (60, 41, 50, 51), (3, 40, 2, 50)]:
        lo, hi = posterior.uplift_hdi(ak, bk, ac, bc, 0.95)
        def cdf(r, ak=ak, bk=bk, ac=ac, bc=bc):
            return 1 - posterior.prob_ratio_above(ak, bk, ac, bc, r)

        def dens(r, cdf=cdf):
            h = 1e-5 * (1 + abs(r))
            return (cdf(r + h) - cdf(r - h)) / (2 * h)

        assert cdf(hi) - cdf(lo) == pytest.approx(0.95, abs=1e-4)  # holds the mass
        assert dens(lo) == pytest.approx(dens(hi), rel=0.02)  # equal density at both ends: the narrowest interval
        # Monte Carlo HDIs agree within their own noise
        rng = np.random.default_rng(0)
        r = rng.beta(ak, bk, 1_000_000) / rng.beta(ac, bc, 1_000_000) - 1
        mc_lo, mc_hi = posterior.draws_hdi(r)
        assert abs(mc_lo - lo) < 0.01 * (1 + abs(lo)) and abs(mc_hi - hi) < 0.01 * (1 + abs(hi))
    # the absolute uplift HDI against draws
    lo, hi = posterior.uplift_hdi(241, 9761, 201, 9801, 0.95, relative=False)
    assert lo == pytest.approx(issue_case.loc["B", "uplift_abs_hdi_low"]) and hi == pytest.approx(issue_case.loc["B", "uplift_abs_hdi_high"])
    d = np.random.default_rng(1).beta(241, 9761, 1_000_000) - np.random.default_rng(2).beta(201, 9801, 1_000_000)
    assert posterior.draws_hdi(d) == pytest.approx((lo, hi), abs=2e-4)


def test_conversion_figures_do_not_depend_on_seed():
    t1 = posterior.conversion_analysis(A_B, "A", n_draws=1000, seed=11).table
    t2 = posterior.conversion_analysis(A_B, "A", n_draws=1000, seed=12).table
    pd.testing.assert_frame_equal(t1, t2)


def test_summarize_draws_hand_case():
    draws = {"A": np.array([1.0, 2.0, 3.0, 4.0]), "B": np.array([2.0, 1.0, 5.0, 4.0])}
    t = posterior.summarize_draws(draws, "A", value_name="x").set_index("variant")
    assert t.loc["B", "prob_best"] == pytest.approx(0.5)  # B > A in draws 0 and 2; ties go to the first (A)
    assert t.loc["A", "expected_loss"] == pytest.approx((1 + 0 + 2 + 0) / 4)
    assert t.loc["B", "expected_loss"] == pytest.approx((0 + 1 + 0 + 0) / 4)
    assert t.loc["B", "prob_beats_control"] == pytest.approx(0.5)
    assert t.loc["B", "uplift_mean"] == pytest.approx(np.mean([1.0, -0.5, 2 / 3, 0.0]))



@pytest.mark.parametrize("a, b", [(1_500.0, 24_000.0), (147_434.0, 2_352_117.0), (40_000.0, 9_000_000.0)])
def test_interpolated_beta_cdf_matches_betainc_for_large_counts(a, b):
    lo, hi = special.betaincinv(a, b, 1e-14), special.betainccinv(a, b, 1e-14)
    y = np.random.default_rng(1).uniform(lo - (hi - lo), hi + (hi - lo), 60_000)
    np.testing.assert_allclose(posterior._beta_cdf(a, b, y), special.betainc(a, b, y), rtol=0, atol=1e-12)


def test_posterior_over_time_counts_match_a_pivot_table():
    from .factory import experiment

    exp = experiment(units=3000, days=10, seed=2)
    got = posterior.posterior_over_time(exp, "A", n_draws=2000)
    daily = exp.assign(day=exp["assigned_at"].dt.normalize()).pivot_table(index="day", columns="variant", values="converted",
                                                                         aggfunc="size", fill_value=0).cumsum()
    want = daily.sum(axis=1)
    assert got.groupby("date")["units"].first().to_numpy().tolist() == want.to_numpy().tolist()
    conv = exp.assign(day=exp["assigned_at"].dt.normalize()).pivot_table(index="day", columns="variant", values="converted",
                                                                        aggfunc="sum", fill_value=0).cumsum()
    last = got[got["date"] == got["date"].max()].set_index("variant")
    a, b = posterior.beta_posterior(conv.iloc[-1].to_numpy(), daily.iloc[-1].to_numpy())
    cols = list(daily.columns)
    for v in last.index:
        i = cols.index(v)
        assert last.loc[v, "prob_beats_control"] == pytest.approx(posterior.prob_ratio_above(a[i], b[i], a[0], b[0], 0.0), abs=1e-12)


# --------------------------------------------------------------------------- closed forms that replaced Monte Carlo


def test_normal_hdi_is_the_narrowest_interval_of_the_draws_within_monte_carlo_error():
    rng = np.random.default_rng(11)
    draws = rng.normal(13.4, 0.5, 2_000_000)
    lo, hi = posterior.normal_hdi(13.4, 0.5, 0.9)
    assert hi - lo == pytest.approx(2 * 1.6448536269514722 * 0.5, rel=1e-12)
    d_lo, d_hi = posterior.draws_hdi(draws, 0.9)
    assert abs(d_lo - lo) < 0.01 and abs(d_hi - hi) < 0.01  # the draws' HDI wanders by ~0.003 here (flat width near its optimum)
    assert stats.norm.cdf(hi, 13.4, 0.5) - stats.norm.cdf(lo, 13.4, 0.5) == pytest.approx(0.9, abs=1e-12)


def _normal_case():
    means = {"A": 13.4, "B": 14.6, "C": 13.25, "D": 13.9}
    sds = {"A": 0.5, "B": 0.52, "C": 0.48, "D": 1.1}
    return means, sds


def test_summarize_normal_matches_summarize_draws_within_monte_carlo_error():
    means, sds = _normal_case()
    exact = posterior.summarize_normal(means, sds, "A", 0.9, 0.05, "rpu").set_index("variant")
    rng = np.random.default_rng(3)
    n = 2_000_000
    mc = posterior.summarize_draws({v: rng.normal(means[v], sds[v], n) for v in means}, "A", 0.9, 0.05, "rpu").set_index("variant")
    assert list(exact.columns) == list(mc.columns) and list(exact.index) == list(mc.index)
    for col in ("prob_best", "prob_beats_control", "prob_uplift_above_mde"):  # shares of n draws: se ≤ 0.5 / √n = 3.5e-4
        np.testing.assert_allclose(exact[col], mc[col], atol=5 * 0.5 / math.sqrt(n))
    for col in ("rpu_mean", "uplift_abs_mean", "expected_loss"):  # means of draws with sd ≤ 1.3: se ≤ 1e-3
        np.testing.assert_allclose(exact[col], mc[col], atol=5e-3)
    for col in ("uplift_mean", "expected_loss_relative"):
        np.testing.assert_allclose(exact[col], mc[col], atol=5e-4)
    for col in ("rpu_hdi_low", "rpu_hdi_high", "uplift_abs_hdi_low", "uplift_abs_hdi_high"):
        np.testing.assert_allclose(exact[col], mc[col], atol=0.03)
    for col in ("uplift_hdi_low", "uplift_hdi_high"):
        np.testing.assert_allclose(exact[col], mc[col], atol=2e-3)
    assert exact["prob_best"].sum() == pytest.approx(1.0, abs=1e-12)


def test_summarize_normal_closed_forms_against_quadrature_and_the_ratio_cdf():
    means, sds = _normal_case()
    t = posterior.summarize_normal(means, sds, "A", 0.9, 0.05, "rpu").set_index("variant")
    # prob_best of B and E[max] by adaptive quadrature
    pdf = {v: stats.norm(means[v], sds[v]) for v in means}
    best_b = integrate.quad(lambda x: pdf["B"].pdf(x) * pdf["A"].cdf(x) * pdf["C"].cdf(x) * pdf["D"].cdf(x), 5, 25, points=[14.6], limit=200)[0]
    assert t.loc["B", "prob_best"] == pytest.approx(best_b, abs=1e-9)
    emax = integrate.quad(lambda x: x * sum(pdf[k].pdf(x) * np.prod([pdf[j].cdf(x) for j in means if j != k]) for k in means),
                          5, 25, points=[13.4, 14.6], limit=400)[0]
    assert t.loc["A", "expected_loss"] == pytest.approx(emax - 13.4, abs=1e-8)
    # differences of independent normals
    diff_sd = math.hypot(0.52, 0.5)
    assert t.loc["B", "prob_beats_control"] == pytest.approx(stats.norm.sf(0, 1.2, diff_sd), abs=1e-12)
    assert t.loc["B", "uplift_abs_hdi_low"] == pytest.approx(1.2 - 1.6448536269514722 * diff_sd, abs=1e-12)
    # the relative uplift: its interval holds 90 % of the exact ratio CDF, and no shift of it is narrower
    lo, hi = t.loc["D", "uplift_hdi_low"], t.loc["D", "uplift_hdi_high"]
    cdf = lambda r: float(posterior.ratio_cdf(r, 13.9, 1.1, 13.4, 0.5))  # noqa: E731
    assert cdf(hi) - cdf(lo) == pytest.approx(0.9, abs=1e-9)
    for shift in (-0.01, 0.01):
        lo2 = lo + shift
        hi2 = optimize.brentq(lambda r, lo2=lo2: cdf(r) - cdf(lo2) - 0.9, lo2, lo2 + 5)
        assert hi2 - lo2 > hi - lo
    assert t.loc["B", "prob_uplift_above_mde"] == pytest.approx(stats.norm.sf(0, 14.6 - 1.05 * 13.4, math.hypot(0.52, 1.05 * 0.5)), abs=1e-12)
    # E[X_B / X_A] − 1 by quadrature over the control
    e_inv = integrate.quad(lambda x: pdf["A"].pdf(x) / x, 13.4 - 8 * 0.5, 13.4 + 8 * 0.5)[0]
    assert t.loc["B", "uplift_mean"] == pytest.approx(14.6 * e_inv - 1, abs=1e-10)


def test_summarize_normal_refuses_a_control_mean_near_zero():
    assert not posterior.normal_closed_form_ok([0.3, 0.5], [0.1, 0.1])
    with pytest.raises(ValueError, match="summarize_draws"):
        posterior.summarize_normal({"A": 0.3, "B": 0.5}, {"A": 0.1, "B": 0.1}, "A")


def test_decision_quantities_equal_the_one_experiment_functions():
    rng = np.random.default_rng(4)
    units = rng.integers(20, 20_000, (40, 3))
    convs = rng.binomial(units, 0.12)
    convs[0, 1] = 0
    q = posterior.decision_quantities(convs, units, (1.0, 1.0), mde=0.05)
    for s in range(len(units)):
        a, b = posterior.beta_posterior(convs[s], units[s])
        np.testing.assert_allclose(q["prob_best"][s], posterior.prob_best(a, b), atol=1e-12)
        np.testing.assert_allclose(q["expected_loss"][s], posterior.expected_loss(a, b), atol=1e-12)
        for k in (1, 2):
            assert q["prob_beats_control"][s, k - 1] == pytest.approx(posterior.prob_ratio_above(a[k], b[k], a[0], b[0], 0.0), abs=1e-12)
            assert q["prob_uplift_above_mde"][s, k - 1] == pytest.approx(posterior.prob_ratio_above(a[k], b[k], a[0], b[0], 0.05), abs=1e-12)


def test_day_codes_equal_factorising_the_normalised_times():
    rng = np.random.default_rng(2)
    t = pd.Series(pd.Timestamp("2026-03-02") + pd.to_timedelta(rng.integers(0, 20 * 86400, 5000), unit="s"))
    t = t[~t.dt.day.isin([5, 9])]  # days without units
    codes, days = posterior._day_codes(t)
    want_codes, want_days = pd.factorize(t.dt.normalize(), sort=True)
    np.testing.assert_array_equal(codes, want_codes)
    assert list(days) == list(want_days)
