"""Estimates, timing and the forecast table against closed forms and simulation."""

import numpy as np
import pandas as pd
import pytest

from playbook.launch import bass, forecast
from playbook.launch.history import History

P, Q, M = 0.004, 0.05, 100_000.0


def fixed_draws(n=2000, m=M, dispersion=1e9):
    """Draws that all equal (m, p, q): the forecast's mean is then the closed form; huge dispersion is Poisson."""
    return bass.Draws(None if m is None else np.full(n, m), np.full(n, P), np.full(n, Q), np.full(n, dispersion), "posterior")


def own(n=12):
    periods = pd.date_range("2024-01-01", periods=n, freq="MS")
    return History("own", "month", periods[0], periods, np.arange(100, 100 + n))


def test_estimate_is_the_mean_with_arviz_hdi():
    values = np.random.default_rng(0).standard_normal(100_000)
    e = forecast.estimate(values, 0.9)
    assert e.mean == pytest.approx(0, abs=0.01) and e.median == pytest.approx(0, abs=0.01)
    assert (e.low, e.high) == pytest.approx((-1.645, 1.645), abs=0.03)
    assert e.as_dict() == {"mean": e.mean, "hdi_low": e.low, "hdi_high": e.high}
    assert forecast.estimate(None, 0.9) is forecast.UNKNOWN and not forecast.UNKNOWN.known


def test_timing_takes_the_period_of_the_median_and_knows_if_it_was_observed():
    h = own(12)
    t = forecast.timing(np.array([9.5, 10.2, 10.9, 11.4, 30.0]), h, 0.9)
    assert t.index == 10 and t.date == pd.Timestamp("2024-11-01")
    assert t.prob_observed == pytest.approx(0.8)  # four of five draws fall before period 12
    later = History("prior", "month", pd.Timestamp("2026-01-01"), pd.DatetimeIndex([]), np.zeros(0, dtype=int))
    assert forecast.timing(np.array([3.0, 4.0]), later, 0.9).prob_observed is None


def test_summary_converts_p_and_q_to_years_and_compares_them_with_the_analogues():
    s = forecast.summarize(fixed_draws(), own(), 0.9, analogue_p=0.03, analogue_q=0.38)
    assert s.p_per_year.mean == pytest.approx(P * 12) and s.q_per_year.mean == pytest.approx(Q * 12)
    assert s.prob_p_above_analogue == 1.0 and s.prob_q_above_analogue == 1.0 and s.prob_imitation_led == 1.0
    assert s.peak.time.mean == pytest.approx(bass.peak_time(P, Q)) and s.peak.index == int(bass.peak_time(P, Q))
    assert s.half_potential.time.mean == pytest.approx(bass.time_to_share(P, Q, 0.5))


def test_forecast_of_fixed_draws_is_the_closed_form():
    h = own(12)
    table = forecast.forecast_table(fixed_draws(), h, 60, 0.9)
    k = np.arange(60)
    np.testing.assert_allclose(table["mean"], M * bass.adoption_rate(P, Q, k + 0.5))
    np.testing.assert_allclose(table["share_mean"], bass.cumulative_share(P, Q, k + 1))
    assert list(table["observed"][:12]) == list(h.adopters) and table["observed"][12:].isna().all()
    np.testing.assert_allclose(table["cumulative_mean"][:12], np.cumsum(h.adopters))
    ahead = table["cumulative_mean"][12] - h.adopters.sum()
    assert ahead == pytest.approx(table["mean"][12], rel=0.02)  # observed total, then the forecast
    assert table["period"][12] == pd.Timestamp("2025-01-01")


def test_prediction_intervals_cover_their_mass():
    h = History("prior", "month", pd.Timestamp("2026-01-01"), pd.DatetimeIndex([]), np.zeros(0, dtype=int))
    table = forecast.forecast_table(fixed_draws(4000, m=2000.0, dispersion=30.0), h, 40, 0.8, seed=1)
    rng = np.random.default_rng(99)  # fresh periods from the same process
    mu = 2000.0 * bass.adoption_rate(P, Q, np.arange(40) + 0.5)
    y = rng.negative_binomial(30.0, 30.0 / (30.0 + mu), size=(2000, 40))
    inside = (y >= table["lower"].to_numpy()) & (y <= table["upper"].to_numpy())
    assert inside.mean() == pytest.approx(0.8, abs=0.04)  # count data: quantile ends add a little coverage


def test_without_m_the_forecast_is_in_shares_only():
    table = forecast.forecast_table(fixed_draws(m=None), own(), 30, 0.9)
    assert table[["mean", "lower", "upper", "cumulative_mean"]].isna().all().all()
    assert table["share_mean"].notna().all()


def test_horizon_covers_the_plan_and_stops_at_the_cap():
    h = own(12)
    assert forecast.horizon(h, 24, 20) == (36, False)
    assert forecast.horizon(h, 6, 50) == (51, False)
    periods, capped = forecast.horizon(h, 6, 10_000)
    assert capped and periods == forecast.MAX_HORIZON_YEARS * 12 + 12
