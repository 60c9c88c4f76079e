"""playbook.market.growth: YoY, CAGR and trend growth, closed forms and the zero-revenue rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.market import growth as g
from playbook.market.panel import market_series

from .builders import MONTHS_24, hand_panel


def hand_series() -> pd.Series:
    return market_series(hand_panel(), pd.DatetimeIndex(MONTHS_24, freq="MS"))


def test_yoy_growth_hand_computed():
    s = hand_series()
    assert g.yoy_growth(s, 12) == pytest.approx(288 / 240 - 1)  # = 0.2
    assert np.isnan(g.yoy_growth(s.iloc[:23], 12))  # under two years


def test_cagr_closed_form_and_short_data():
    months = pd.date_range("2020-01-01", periods=36, freq="MS")
    s = pd.Series(100 * 1.1 ** (np.arange(36) // 12), index=months)  # × 1.1 each year: CAGR 10% exactly
    rate, years = g.cagr(s, 12)
    assert years == 2.0 and rate == pytest.approx(0.1, abs=1e-12)
    assert g.cagr(hand_series(), 12) == (pytest.approx(0.2), 1.0)  # 24 months: CAGR equals YoY growth
    rate, years = g.cagr(s.iloc[:18], 12)
    assert np.isnan(rate) and years == 0.5  # under two years: no CAGR


def test_trend_growth_recovers_exact_log_linear_rate():
    months = pd.date_range("2019-01-01", periods=60, freq="MS")
    season = 1 + 0.2 * np.cos(2 * np.pi * (months.month.to_numpy() - 12) / 12)
    s = pd.Series(1000 * 1.08 ** (np.arange(60) / 12) * season, index=months)
    tg = g.trend_growth(s, 12, level=0.9)
    assert tg.rate == pytest.approx(0.08, abs=1e-9) and tg.lower <= tg.rate <= tg.upper
    assert (tg.n_periods, tg.excluded, tg.known) == (60, 0, True)


def test_trend_growth_leaves_zero_periods_out_instead_of_failing():
    months = pd.date_range("2019-01-01", periods=48, freq="MS")
    s = pd.Series(1000 * 1.05 ** (np.arange(48) / 12), index=months)
    s.iloc[[10, 30]] = 0.0  # two stock-outs
    tg = g.trend_growth(s, 12)
    assert tg.rate == pytest.approx(0.05, abs=1e-9) and (tg.n_periods, tg.excluded) == (46, 2)


def test_trend_growth_is_unknown_under_two_years():
    s = pd.Series(np.linspace(1, 2, 18), index=pd.date_range("2024-01-01", periods=18, freq="MS"))
    tg = g.trend_growth(s, 12)
    assert not tg.known and tg.sign == 0 and np.isnan(tg.lower)


def test_trend_growth_sign_follows_the_interval():
    assert g.TrendGrowth(0.05, 0.01, 0.09, 0.9, 60).sign == 1
    assert g.TrendGrowth(-0.05, -0.09, -0.01, 0.9, 60).sign == -1
    assert g.TrendGrowth(0.01, -0.02, 0.04, 0.9, 60).sign == 0


def test_trend_growth_interval_covers_truth_with_noise_weekly():
    rng = np.random.default_rng(1)
    weeks = pd.date_range("2020-01-06", periods=208, freq="7D")
    t = np.arange(208)
    s = pd.Series(500 * 1.05 ** (t / 52) * (1 + 0.15 * np.sin(2 * np.pi * t / 52)) * rng.lognormal(0, 0.03, 208), index=weeks)
    tg = g.trend_growth(s, 52, level=0.95)
    assert tg.lower < 0.05 < tg.upper and tg.upper - tg.lower < 0.03
