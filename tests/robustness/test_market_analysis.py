"""Market analysis on the awkward but legal inputs real teams have (issue 17): a report with named warnings.

Each case is built from the demo panel (or a small hand-made one) and run through ``analyze()``;
one smoke run of the notebook covers the two crashes the issue names (a region missing a month,
a region with zero revenue in a month). Input that cannot support the analysis (a single period)
is refused by the contract before anything runs.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, run_cli

from playbook import io
from playbook.contracts import ContractError
from playbook.market import analyze, narrative

DEMO = ROOT / "data" / "demo"
MARCH = pd.Timestamp("2024-03-01")


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return io.load("market", DEMO)


def run(frame: pd.DataFrame, our_brand: str = "Nimbus", **kwargs):
    """analyze() without the forecast fit (the forecast has its own cases), and every sentence built from it."""
    kwargs.setdefault("forecast_periods", 0)
    r = analyze(frame, our_brand, **kwargs)
    text = [*narrative.findings(r), narrative.trend_sentence(r), narrative.share_sentence(r),
            narrative.priority_sentence(r), narrative.seasonality_sentence(r), narrative.forecast_sentence(r)]
    assert all(isinstance(t, str) and t for t in text)
    r.results()  # the JSON builds
    return r


def rows(r) -> list[str]:
    return [w.rows for w in r.warnings]


def test_the_demo_names_only_our_launch(demo):
    assert rows(run(demo)) == ["brand Nimbus: no rows before 2023-01-01"]


def test_a_region_missing_a_month_is_filled_and_named(demo):
    full = run(demo)
    r = run(demo.loc[~((demo["region"] == "north") & (demo["period"] == MARCH))])
    assert "region north (every brand): no rows for 2024-03-01" in rows(r)
    # the fill follows the rest of the market: north's March is off only by its own demand shock (σ 4%) and row noise
    north = (demo["region"] == "north") & (demo["period"] == MARCH)
    assert r.series[MARCH] - full.series[MARCH] == pytest.approx(0, abs=0.1 * demo.loc[north, "revenue"].sum())
    assert r.yoy_growth == pytest.approx(full.yoy_growth, abs=0.005)  # one filled region-month of 24 in the two years
    assert r.trend.rate == pytest.approx(full.trend.rate, abs=0.002)


def test_a_region_with_zero_revenue_in_a_month_keeps_its_trend_growth(demo):
    zero = demo.copy()
    zero.loc[(zero["region"] == "south") & (zero["period"] == MARCH), "revenue"] = 0.0
    r = run(zero)
    assert "region south: no revenue in 2024-03-01" in rows(r)
    south = r.region_trend["south"]
    assert south.known and south.excluded == 1 and south.rate == pytest.approx(run(demo).region_trend["south"].rate, abs=0.01)


def test_one_brand_missing_months_in_one_region(demo):
    gone = (demo["region"] == "east") & (demo["brand"] == "Cirrus") & demo["period"].between("2023-05-01", "2023-07-01")
    r = run(demo.loc[~gone])
    assert "region east, brand Cirrus: no rows for 2023-05-01 to 2023-07-01 (3 months)" in rows(r)
    assert r.panel.frame["filled"].sum() == 9  # 3 months × 3 categories


def test_a_brand_that_leaves_mid_panel(demo):
    r = run(demo.loc[~((demo["brand"] == "Altus") & (demo["period"] > "2024-06-01"))])
    assert "brand Altus: no rows after 2024-06-01" in rows(r)
    assert r.brands.set_index("brand").loc["Altus", "share_last"] == 0.0 and r.threat != "Altus"


def test_a_single_region(demo):
    r = run(demo.loc[demo["region"] == "west"])
    assert "one region: west" in rows(r) and len(r.regions) == 1 and r.priority["priority_rank"] == 1
    assert narrative.region_finding(r).startswith("All the data is one region, <b>West</b>")


def test_a_single_brand(demo):
    r = run(demo.loc[demo["brand"] == "Nimbus"])
    assert "one brand: Nimbus" in rows(r) and r.threat is None and (r.regions["priority_score"] == 0).all()
    assert r.brands["share_last"].tolist() == [1.0] and narrative.brief(r)[0]["decision"].startswith("Hold position")


def test_fewer_than_two_years_gives_no_yoy_and_says_so(demo):
    r = run(demo, period_start="2024-07-01")
    assert np.isnan(r.yoy_growth) and np.isnan(r.cagr) and not r.trend.known and r.seasonality is None and r.forecast is None
    assert any(w.rows.startswith("18 months from 2024-07-01") for w in r.warnings)
    assert r.results()["forecast"] == [] and "no year-on-year growth yet" in narrative.size_finding(r)
    shorter = run(demo, period_start="2025-05-01")
    assert any("covers only the 8 months available" in w.action for w in shorter.warnings)
    assert shorter.revenue_last == pytest.approx(demo.loc[demo["period"] >= "2025-05-01", "revenue"].sum())


def test_weekly_periods():
    weeks = pd.date_range("2023-01-02", periods=120, freq="7D")
    t = np.arange(120) / 52
    season = 1 + 0.2 * np.cos(2 * np.pi * (weeks.dayofyear.to_numpy() - 350) / 365)
    frame = pd.concat([pd.DataFrame({"period": weeks, "region": region, "brand": brand, "revenue": size * share * 1.08**t * season,
                                     "units": size * share * 1.08**t * season / 10})
                       for region, size in (("n", 100.0), ("s", 50.0)) for brand, share in (("Nimbus", 0.3), ("Other", 0.7))])
    r = run(frame)
    assert r.freq.name == "weekly" and "weekly periods (120 weeks)" in rows(r)
    assert r.trend.rate == pytest.approx(0.08, abs=0.01) and r.yoy_growth == pytest.approx(1.08 - 1, abs=0.01)
    assert narrative.market_size_title(r).startswith("Market revenue per week: growth")


def test_spellings_that_collide_once_merged_are_refused_with_their_rows(demo, tmp_path):
    """Two spellings of one brand on the same period and region are two rows for one key: a double
    export or two partial ones, which the playbook cannot tell apart, so it refuses them."""
    spelled = demo.copy()
    spelled["period"] = spelled["period"].dt.strftime("%Y-%m-%d")
    mask = (spelled["brand"] == "Altus") & (spelled["region"] == "north")
    doubled = spelled.loc[mask].assign(brand="ALTUS", revenue=1.0, units=1.0)
    pd.concat([spelled, doubled]).to_csv(tmp_path / "market.csv", index=False)
    with pytest.raises(ContractError) as err:
        io.load("market", tmp_path, merge_label_variants=True)
    text = str(err.value)
    assert "each combination must appear once (after merging spellings of brand)" in text
    assert f"{2 * mask.sum()} offending row(s)" in text and "north Altus" in text  # both spellings' rows


def test_revenue_without_units(demo):
    odd = demo.copy()
    odd.loc[odd.index[:5], "units"] = 0.0
    r = run(odd)
    assert any(w.rows.startswith("5 rows with revenue but zero units") for w in r.warnings)
    assert np.isfinite(r.brands["avg_price"]).all()


def test_a_whole_market_stock_out_still_gets_seasonality_and_a_forecast():
    months = pd.date_range("2021-01-01", periods=36, freq="MS")
    revenue = 100 * 1.1 ** (np.arange(36) / 12) * (1 + 0.2 * np.cos(2 * np.pi * (months.month.to_numpy() - 12) / 12))
    revenue[20] = 0.0
    frame = pd.DataFrame({"period": months, "region": "n", "brand": "Nimbus", "revenue": revenue, "units": revenue / 5})
    r = run(frame, forecast_periods=3, backtest_origins=0)
    assert rows(r)[0] == "the whole market: no revenue in 2022-09-01"
    assert r.trend.excluded == 1 and r.trend.rate == pytest.approx(0.1, abs=0.01)
    assert r.seasonality is not None and r.forecast is not None and (r.forecast.table["mean"] > 0).all()
    assert narrative.calibration_banner(r).startswith("No backtest ran")


def test_a_single_period_is_refused_by_the_contract_before_anything_runs(demo, tmp_path):
    one = demo.loc[demo["period"] == demo["period"].max()].assign(period=lambda d: d["period"].dt.strftime("%Y-%m-%d"))
    one.to_csv(tmp_path / "market.csv", index=False)
    with pytest.raises(ContractError, match=r"column: period\n  rule:   must hold at least two distinct periods"):
        io.load("market", tmp_path)
    res = run_cli("validate", "--data", str(tmp_path), "market_analysis")
    assert res.returncode == 2 and "market.csv" in res.stderr + res.stdout and "period" in res.stderr + res.stdout


@pytest.mark.notebook
def test_notebook_reports_a_missing_month_and_a_stock_out_with_named_warnings(demo, tmp_path):
    """The two crashes issue 17 names, in one smoke run through the CLI."""
    data = tmp_path / "data"
    data.mkdir()
    broken = demo.loc[~((demo["region"] == "north") & (demo["period"] == MARCH))].copy()
    broken.loc[(broken["region"] == "south") & (broken["period"] == MARCH), "revenue"] = 0.0
    broken.assign(period=broken["period"].dt.strftime("%Y-%m-%d")).to_csv(data / "market.csv", index=False)
    out = tmp_path / "out"
    res = run_cli("run", "market_analysis", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "forecast_periods=0")
    assert res.returncode == 0, res.stderr[-3000:]
    html = (out / "market_analysis.html").read_text()
    document = json.loads((out / "market_analysis.json").read_text())
    named = [w["rows"] for w in document["warnings"]]
    assert "region north (every brand): no rows for 2024-03-01" in named and "region south: no revenue in 2024-03-01" in named
    assert "region north (every brand): no rows for 2024-03-01" in html and "region south: no revenue in 2024-03-01" in html
    assert "Traceback" not in html and document["brief"][0]["section"] == narrative.SECTIONS["regions"]
