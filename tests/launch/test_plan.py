"""Phases by the stated rule, the MMM hand-off, and the budget rule, on closed forms."""

import math

import numpy as np
import pandas as pd
import pytest

from playbook.launch import bass, forecast, plan
from playbook.launch.history import History

from .factory import mmm_json

P, Q, M = 0.004, 0.05, 100_000.0


def draws(n=500):
    return bass.Draws(np.full(n, M), np.full(n, P), np.full(n, Q), np.full(n, 300.0), "posterior")


def timeline(source="prior", n=0, frequency="month"):
    start = pd.Timestamp("2026-01-01")
    step = pd.DateOffset(months=1) if frequency == "month" else pd.Timedelta(weeks=1)
    periods = pd.DatetimeIndex([start + i * step for i in range(n)])
    return History(source, frequency, start, periods, np.full(n, 400))


def make_plan(hist, basis, warmup_weeks=8):
    d = draws()
    table = forecast.forecast_table(d, hist, 80, 0.9)
    return plan.build_plan(d, hist, table, basis, warmup_weeks)


def test_phases_follow_the_rule_on_the_closed_forms():
    launch_end = math.floor(bass.time_to_share(P, Q, plan.INNOVATORS_SHARE))
    peak = math.floor(bass.peak_time(P, Q))
    assert plan.phase_bounds(draws(), 2) == [("warm-up", -2, -1), ("launch", 0, launch_end), ("growth", launch_end + 1, peak)]


def test_warm_up_weeks_become_whole_periods():
    assert make_plan(timeline(), plan.spend_basis(None)).warmup_periods == 2  # 8 weeks ≈ 1.8 months
    assert make_plan(timeline(frequency="week"), plan.spend_basis(None)).warmup_periods == 8
    assert make_plan(timeline(), plan.spend_basis(None), warmup_weeks=0).phases[0].status == "empty"


def test_phase_status_against_the_data():
    ahead = make_plan(timeline(), plan.spend_basis(None))
    assert [p.status for p in ahead.phases] == ["ahead", "ahead", "ahead"]
    launch_end = ahead.phases[1].end_index
    mid = make_plan(timeline("own", n=launch_end + 3), plan.spend_basis(None))
    assert [p.status for p in mid.phases] == ["past", "past", "current"]
    assert mid.phases[2].planned_periods == mid.phases[2].end_index - (launch_end + 3) + 1
    assert mid.phases[0].start == pd.Timestamp("2025-11-01")


def test_spend_basis_says_why_it_cannot_price_the_plan():
    assert plan.spend_basis(None).reason == plan.NO_MMM
    assert plan.spend_basis(mmm_json(curves=False)).reason == plan.NO_CURVES
    assert plan.spend_basis(mmm_json(passed=False)).reason == plan.MMM_UNHEALTHY
    broken = mmm_json()
    broken["optimizer"] = {}
    broken["meta"]["data_period"] = None
    assert plan.spend_basis(broken).reason == plan.NO_BUDGET
    assert plan.spend_basis(mmm_json(), revenue_per_adopter=0.0).revenue_per_adopter is None


def test_spend_basis_reads_mix_current_spend_and_interval():
    basis = plan.spend_basis(mmm_json(interval=0.94), revenue_per_adopter=50.0)
    assert basis.known and basis.mix_source == "current" and basis.mix == pytest.approx({"search": 1 / 3, "social": 2 / 3})
    assert basis.current_weekly_spend == 12_000.0 and basis.mmm_interval == 0.94 and basis.budget_source == "current_spend"
    recommended = plan.spend_basis(mmm_json(recommended=True), launch_budget=1e6)
    assert recommended.mix_source == "recommended" and recommended.mix == pytest.approx({"search": 0.5, "social": 0.5})
    assert recommended.budget == 1e6 and recommended.budget_source == "launch_budget"
    fallback = mmm_json()
    fallback["optimizer"] = {"recommended": False}
    weeks = (pd.Timestamp("2025-12-22") - pd.Timestamp("2023-01-02")).days / 7 + 1
    assert plan.spend_basis(fallback).current_weekly_spend == pytest.approx((520_000 + 1_040_000) / weeks)


def test_response_curves_interpolate_and_hold_at_their_end():
    curve = plan.ResponseCurve.from_points([{"spend": 10.0, "contribution_mean": 20.0, "contribution_hdi_low": 10.0,
                                             "contribution_hdi_high": 30.0},
                                            {"spend": 0.0, "contribution_mean": 0.0, "contribution_hdi_low": 0.0,
                                             "contribution_hdi_high": 0.0}])
    assert curve.at(5.0) == (10.0, 5.0, 15.0) and curve.at(50.0) == (20.0, 10.0, 30.0)


def test_the_budget_follows_the_open_share_and_buys_adopters_from_the_curves():
    basis = plan.spend_basis(mmm_json(), launch_budget=600_000.0, revenue_per_adopter=50.0)
    p = make_plan(timeline(), basis)
    assert p.spend == pytest.approx(600_000.0)
    # the stated rule, computed independently: weight 1 − F at mid-period, warm-up at WARMUP_INTENSITY × the first launch period
    ends = {ph.name: (ph.start_index, ph.end_index) for ph in p.phases}
    k = np.arange(0, ends["growth"][1] + 1)
    weight = 1 - bass.cumulative_share(P, Q, k + 0.5)
    warm = plan.WARMUP_INTENSITY * weight[0] * 2
    total = warm + weight.sum()
    assert p.phases[0].spend == pytest.approx(600_000.0 * warm / total)
    launch = slice(ends["launch"][0], ends["launch"][1] + 1)
    assert p.phases[1].spend == pytest.approx(600_000.0 * weight[launch].sum() / total)
    weeks = 365.25 / 12 / 7
    expected = sum(weeks * (plan.ResponseCurve.from_points(mmm_json()["response_curves"][ch]).at(share * 600_000.0 * w / total / weeks)[0])
                   for w in weight[launch] for ch, share in basis.mix.items())
    assert p.phases[1].contribution.mean == pytest.approx(expected)
    assert p.phases[1].adopters.mean == pytest.approx(expected / 50.0)
    assert p.phases[1].adopters_per_unit_spend == pytest.approx(p.phases[1].adopters.mean / p.phases[1].spend)
    assert p.phases[0].forecast_adopters == 0.0  # nobody adopts before the launch
    assert p.total("adopters").mean == pytest.approx(sum(ph.adopters.mean for ph in p.phases))
    assert not p.basis.beyond_curve


def test_without_a_budget_the_plan_holds_the_current_weekly_spend():
    p = make_plan(timeline(), plan.spend_basis(mmm_json()))
    periods = sum(ph.planned_periods for ph in p.phases)
    assert p.spend == pytest.approx(12_000.0 * 365.25 / 12 / 7 * periods)
    assert all(ph.adopters is None for ph in p.phases)  # no revenue per adopter: revenue only


def test_spend_beyond_a_curve_is_flagged_and_nothing_ahead_has_no_spend():
    p = make_plan(timeline(), plan.spend_basis(mmm_json(top=100.0), revenue_per_adopter=10.0))
    assert p.basis.beyond_curve == ("search", "social")
    done = make_plan(timeline("own", n=200), plan.spend_basis(mmm_json()))
    assert done.basis.reason == plan.NOTHING_AHEAD and done.spend is None and done.planned == ()
