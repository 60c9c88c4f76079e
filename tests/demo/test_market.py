"""The demo part ``market``: contract, shape and truth, and that the analysis recovers the truth.

Tolerances are about four standard deviations of the estimation error measured over seeds 0–7:
the panel carries a region × month demand shock (σ 4%) and row noise (σ 5%), so 12-month sums
of one region move by about 1.2% and a region's YoY growth by about 1.7% (market: 0.9%).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from playbook import io
from playbook.demo import business, write_csv
from playbook.demo.market import make
from playbook.demo.world import World
from playbook.market import analyze, growth, regions, seasonality, shares
from playbook.market import panel as panel_mod


@pytest.fixture(scope="module")
def prepared(demo):
    return panel_mod.prepare(demo[1])


@pytest.fixture(scope="module")
def demo():
    world = World()
    files, truth = make(world)
    return world, files["market.csv"], truth


def test_files_satisfy_the_contract_and_size_budget(demo, tmp_path):
    world, panel, _ = demo
    write_csv(panel, tmp_path / "market.csv")
    assert (tmp_path / "market.csv").stat().st_size < 1_000_000  # the whole demo folder must stay under ~1.5 MB
    loaded = io.load("market", tmp_path)
    assert len(loaded) == len(panel)
    assert set(loaded.columns) == {"period", "region", "brand", "category", "revenue", "units"}
    assert (loaded["revenue"] > 0).all() and (loaded["units"] > 0).all()


def test_panel_shape_follows_the_world(demo):
    world, panel, truth = demo
    months = pd.date_range("2021-01-01", "2025-12-01", freq="MS")
    assert list(pd.DatetimeIndex(sorted(panel["period"].unique()))) == list(months)
    assert set(panel["region"]) == set(world.regions)
    assert set(panel["brand"]) == {world.our_brand, *world.competitors}
    assert panel["category"].nunique() == 3
    ours = panel.loc[panel["brand"] == world.our_brand, "period"]
    assert ours.min() == pd.Timestamp("2023-01-01") == pd.Timestamp(truth["launch_period"])  # launch at world.start
    assert panel_mod.detect_frequency(panel["period"]).name == "monthly"


def test_truth_is_json_safe_and_self_consistent(demo):
    world, _, truth = demo
    json.dumps(truth, allow_nan=False)
    shares = [b["share_last_12m"] for b in truth["brands"].values()]
    assert sum(shares) == pytest.approx(1.0)
    assert sum(b["share_of_growth"] for b in truth["brands"].values()) == pytest.approx(1.0)
    # closed form: constant growth and a fixed seasonal pattern make a region's YoY equal its growth rate
    for region, g in truth["region_growth"].items():
        assert truth["regions"][region]["yoy_growth"] == pytest.approx(g, rel=1e-9)
    assert np.mean(list(truth["seasonal_index"].values())) == pytest.approx(1.0)
    assert truth["seasonal_peak_months"] == ["December", "November"]
    assert truth["rising_threat"] == world.competitors[-1] == truth["biggest_share_gainer_among_competitors"]
    # one business: our brand's revenue is the MMM's, month by month, so its YoY growth is the MMM's over the last
    # 12 months, and its share falls (seed 7) because the MMM's revenue grows more slowly than the market
    ours = business.monthly_revenue(world)
    mmm_yoy = ours.iloc[-12:].sum() / ours.iloc[-24:-12].sum() - 1
    assert truth["brands"][world.our_brand]["yoy_growth"] == pytest.approx(mmm_yoy, rel=1e-9)
    assert mmm_yoy < truth["market"]["yoy_growth"] and truth["brands"][world.our_brand]["share_change_pp"] < 0
    assert len(truth["market"]["expected_next_12m"]) == 12


def test_same_seed_same_data_and_scale_changes_categories():
    a, _ = make(World(seed=3))
    b, _ = make(World(seed=3))
    pd.testing.assert_frame_equal(a["market.csv"], b["market.csv"])
    small, truth = make(World(scale=0.3))
    assert small["market.csv"]["category"].nunique() == 1 and truth["categories"] == ["basic"]


def test_recovers_market_growth(demo, prepared):
    _, _, truth = demo
    s = panel_mod.market_series(prepared.frame, prepared.calendar)
    assert s.iloc[-12:].sum() == pytest.approx(truth["market"]["revenue_last_12m"], rel=0.02)
    assert growth.yoy_growth(s, 12) == pytest.approx(truth["market"]["yoy_growth"], abs=0.035)
    rate, years = growth.cagr(s, 12)
    assert years == truth["market"]["cagr_years"]
    assert rate == pytest.approx(truth["market"]["cagr"], abs=0.005)


def test_recovers_brand_shares_prices_and_threat(demo, prepared):
    world, _, truth = demo
    bt = shares.brand_table(prepared.frame, prepared.calendar, 12, world.our_brand).set_index("brand")
    for brand, t in truth["brands"].items():
        assert bt.loc[brand, "share_last"] == pytest.approx(t["share_last_12m"], abs=0.005), brand
        assert bt.loc[brand, "share_change_pp"] == pytest.approx(t["share_change_pp"], abs=0.5), brand
        assert bt.loc[brand, "relative_price"] == pytest.approx(t["relative_price"], rel=0.02), brand
    assert shares.biggest_threat(bt.reset_index(), world.our_brand) == truth["rising_threat"]
    assert shares.herfindahl(bt["share_last"]) == pytest.approx(truth["market"]["hhi_last_12m"], abs=50)


def test_recovers_regions(demo, prepared):
    world, _, truth = demo
    rt = regions.region_table(prepared.frame, prepared.calendar, world.our_brand, 12).set_index("region")
    trends = regions.region_trends(prepared.frame, prepared.calendar, 12, 0.9)
    for region, t in truth["regions"].items():
        assert rt.loc[region, "yoy_growth"] == pytest.approx(t["yoy_growth"], abs=0.07), region
        assert rt.loc[region, "our_share"] == pytest.approx(t["our_share"], abs=0.005), region
        # the trend regression uses all 60 months: much tighter than YoY (error sd 0.25 pp over seeds)
        assert trends[region].rate == pytest.approx(truth["region_growth"][region], abs=0.015), region


def test_recovers_seasonality(demo, prepared):
    _, _, truth = demo
    season = seasonality.stl_seasonality(panel_mod.market_series(prepared.frame, prepared.calendar), 12)
    assert season.peak_months == truth["seasonal_peak_months"]
    assert season.trough_month == truth["seasonal_trough_month"]
    for month, value in truth["seasonal_index"].items():
        assert season.seasonal_index[month] == pytest.approx(value, abs=0.05), month


@pytest.mark.slow
def test_full_analysis_recovers_truth_and_forecasts_the_next_year(demo):
    world, panel, truth = demo
    result = analyze(panel, world.our_brand, forecast_periods=12)
    assert [w.rows for w in result.warnings] == [f"brand {world.our_brand}: no rows before {truth['launch_period']}"]
    r = result.results()
    assert r["market"]["yoy_growth"] == pytest.approx(truth["market"]["yoy_growth"], abs=0.035)
    assert r["brands"][world.our_brand]["share_last_12m"] == pytest.approx(truth["brands"][world.our_brand]["share_last_12m"], abs=0.005)
    assert r["biggest_threat"] == truth["rising_threat"]
    expected = np.array([p["revenue"] for p in truth["market"]["expected_next_12m"]])
    fc = r["forecast"]
    assert list(fc["period"].dt.strftime("%Y-%m-%d")) == [p["period"] for p in truth["market"]["expected_next_12m"]]
    # the noise-free next year: total within 5%, each month within 8%
    assert fc["mean"].sum() == pytest.approx(expected.sum(), rel=0.05)
    np.testing.assert_allclose(fc["mean"].to_numpy(), expected, rtol=0.08)
    fm = r["forecast_model"]
    assert fm["backtest_mape"] < fm["seasonal_naive_mape"]
    assert fm["backtest_mape"] < 0.06
    # calibrated 90% interval: the rolling-origin backtest has enough origins to calibrate every horizon,
    # and the interval covers the noise-free next year in at least 10 of 12 months (the truth has no
    # noise, so a calibrated interval should miss it only when the forecast mean is off)
    assert fm["interval_method"] == "conformal" and fm["backtest_origins"] >= 30
    inside = (fc["lower"].to_numpy() <= expected) & (expected <= fc["upper"].to_numpy())
    assert inside.sum() >= 10
    # the model's own interval under-covers the backtest's actuals; the calibrated one is near nominal
    assert fm["coverage_before"] < 0.8
    assert fm["coverage_after"] == pytest.approx(0.9, abs=0.07)
    # the total over the next year: its calibrated interval holds the noise-free total
    assert fm["total"]["lower"] < expected.sum() < fm["total"]["upper"]
    model = fm["model_interval"]
    assert ((fc["upper"] - fc["lower"]) > (model["upper"] - model["lower"])).all()
