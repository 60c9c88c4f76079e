"""Tests for playbook.abtest.posterior (moved from tests/test_abtest.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

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
