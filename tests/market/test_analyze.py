"""playbook.market.analyze and MarketResult.results(): the public keys, the brief, the settings errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.market import analyze

from .builders import long_hand_panel


@pytest.fixture(scope="module")
def hand():
    return analyze(long_hand_panel(), "Us", forecast_periods=6, backtest_origins=4)


def test_results_have_the_public_keys(hand):
    r = hand.results()
    for key in ("revenue_last_12m", "yoy_growth", "cagr"):
        assert key in r["market"]
    for brand in ("Us", "Them"):
        assert {"share_last_12m", "share_change_pp"} <= set(r["brands"][brand])
    for region in ("A", "B"):
        assert {"yoy_growth", "our_share", "priority_rank", "trend_growth", "trend_growth_lower"} <= set(r["regions"][region])
    assert list(r["forecast"].columns) == ["period", "mean", "lower", "upper"] and len(r["forecast"]) == 6
    assert r["market"]["yoy_growth"] == pytest.approx(0.2) and r["market"]["cagr_years"] == 2.0
    assert r["brands"]["Us"]["share_change_pp"] == pytest.approx(100 * (60 / 288 - 36 / 240))
    assert r["regions"]["B"]["priority_rank"] == 1 and "category_breakdown" in r
    fm = r["forecast_model"]
    assert fm["backtest_origins"] == 4 and fm["backtest_periods"] == 10  # origins after 26, 29, 32, 35 months
    assert fm["interval_method"] == "model" and np.isnan(fm["coverage_after"])  # 4 origins cannot calibrate 90%
    assert fm["level"] == 0.9 and r["market"]["trend_growth_level"] == 0.9
    assert fm["total"]["periods"] == 6 and fm["total"]["mean"] == pytest.approx(r["forecast"]["mean"].sum())
    assert np.isnan(fm["total"]["lower"])  # no origin saw 6 months: the total has no calibrated interval
    assert r["brief"][0]["kind"] == "priority_region" and r["period"]["periods"] == 36


def test_interval_sets_every_interval():
    wide = analyze(long_hand_panel(), "Us", forecast_periods=0, interval=0.99)
    narrow = analyze(long_hand_panel(), "Us", forecast_periods=0, interval=0.5)
    assert wide.trend.level == 0.99 and narrow.region_trend["A"].level == 0.5
    assert (wide.trend.upper - wide.trend.lower) > (narrow.trend.upper - narrow.trend.lower)
    r = narrow.results()
    assert r["forecast"] == [] and r["forecast_model"]["total"] is None and r["market"]["trend_growth_level"] == 0.5


def test_settings_errors_name_the_choices():
    with pytest.raises(ValueError, match=r"'Nope' is not a brand of the panel; brands: Them, Us"):
        analyze(long_hand_panel(), "Nope")
    with pytest.raises(ValueError, match="leave 1 period"):
        analyze(long_hand_panel(), "Us", period_start="2025-12-01")


def test_label_merges_become_warnings(tmp_path):
    from playbook import io

    df = long_hand_panel()
    df.loc[(df["brand"] == "Them") & (df["region"] == "A") & (df["period"] < df["period"].min() + pd.DateOffset(months=3)), "brand"] = "THEM"
    df.to_csv(tmp_path / "market.csv", index=False)
    frame = io.load("market", tmp_path, merge_label_variants=True)
    r = analyze(frame, "Us", forecast_periods=0)
    assert "spellings of one brand" in r.warnings[0].assumption
    assert not any("appears once" in w.assumption for w in r.warnings)
    assert sorted(r.brands["brand"]) == ["Them", "Us"]
