"""playbook.market.narrative: every branch of every sentence, on small hand-made results (no demo, no forecast fit)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from playbook.market import narrative as n
from playbook.market.forecast import Backtest, Forecast, IntervalCalibration
from playbook.results import DataWarning

from .builders import panel, result

TWO = {"A": (100.0, 0.10), "B": (60.0, 0.05)}


@pytest.fixture(scope="module")
def base():
    """36 months, regions A (larger, faster) and B; Us gains share on the leader Them."""
    return result()


@pytest.fixture(scope="module")
def threat():
    return result(panel(brands={"Us": (1.0, 0.1), "Them": (3.0, 0.0), "Rival": (0.5, 0.6)}))


@pytest.fixture(scope="module")
def short():
    return result(panel(periods=18))


def fake_forecast(r, calibrated: bool = True, total: bool = True, coverage: float = 0.9):
    """A hand-made forecast and backtest of 3 months for ``r``."""
    periods = pd.date_range(r.last_period, periods=4, freq="MS")[1:]
    table = pd.DataFrame({"period": periods, "mean": [100.0, 110.0, 120.0], "lower": [90.0, 98.0, 105.0],
                          "upper": [110.0, 122.0, 135.0], "model_lower": [95.0, 104.0, 113.0], "model_upper": [105.0, 116.0, 127.0]})
    fc = Forecast(table, 0.9, "ETS(A,A,A) on log revenue", 1.0, {}, "conformal" if calibrated else "model",
                  *((300.0, 360.0) if total else (np.nan, np.nan)))
    bh = pd.DataFrame({"horizon": [1, 2, 3], "n": [10, 10, 10], "mape": [0.02, 0.03, 0.04], "seasonal_naive_mape": [0.08] * 3,
                       "coverage_model": [0.6] * 3, "coverage_calibrated": [coverage] * 3, "half_width": [0.1] * 3})
    cal = IntervalCalibration(np.full(3, 0.1), np.full(3, 10), 0.9, 0.05, 8)
    bt = Backtest(pd.DataFrame(), bh, cal, 0.03, 0.08, 0.6, coverage, 0.9, 10, 24, 3)
    return replace(r, forecast=fc, backtest=bt)


# --------------------------------------------------------------------------- helpers and classes


def test_labels_capitalise_lower_case_only_and_html_is_escaped():
    assert n.label("north") == "North" and n.label("new york") == "New York" and n.label("USA") == "USA"
    assert n._h("<B>") == "&lt;B&gt;"


def test_window_growth_verb_and_classes(base, short):
    assert n.window(base) == "the last 12 months" and n.window(result(panel(periods=8))) == "the 8 months of data"
    assert (n.growth_verb(0.1), n.growth_verb(-0.1), n.growth_verb(0.0)) == ("grew", "shrank", "did not change")
    assert n.hhi_class(3000) == "highly concentrated" and n.hhi_class(2000) == "moderately concentrated"
    assert n.hhi_class(1000) == "unconcentrated"
    assert n.season_class(short) == "none" and n.season_class(base) == "strong"
    assert n.season_class(replace(base, seasonality=replace(base.seasonality, strength=0.45))) == "moderate"
    assert n.season_class(replace(base, seasonality=replace(base.seasonality, strength=0.1))) == "weak"


# --------------------------------------------------------------------------- executive summary


def test_size_finding_with_and_without_a_prior_year(base, short):
    assert "on the 12 months before; it has compounded at" in n.size_finding(base)
    assert "no year-on-year growth yet" in n.size_finding(short) and "18 months" in n.size_finding(short)


def test_share_finding_trailing_leading_single_and_no_prior(base, short):
    assert "<b>Us</b> holds" in n.share_finding(base) and "Them leads with" in n.share_finding(base)
    assert "captured" in n.share_finding(base)  # the market grew
    leading = result(panel(brands={"Us": (3.0, 0.0), "Them": (1.0, 0.0)}))
    assert "<b>Us</b> leads the market with" in n.share_finding(leading) and "Them follows" in n.share_finding(leading)
    solo = result(panel(brands={"Us": (1.0, 0.0)}))
    assert "the only brand" in n.share_finding(solo)
    assert "on the year" not in n.share_finding(short) and "captured" not in n.share_finding(short)
    falling = result(panel(regions={"A": (100.0, -0.2)}))
    assert "captured" not in n.share_finding(falling)  # no growth to capture in a shrinking market


def test_threat_finding(base, threat, short):
    assert n.threat_finding(base) == "No competitor gained share over the last year."
    assert n.threat_finding(threat).startswith("The biggest threat is <b>Rival</b>: +") and "average price" in n.threat_finding(threat)
    assert n.threat_finding(short) is None and n.threat_finding(result(panel(brands={"Us": (1.0, 0.0)}))) is None
    assert len(n.findings(base)) == 5 and len(n.findings(short)) == 4


def test_region_finding_branches(base, short):
    assert n.region_finding(base).startswith("<b>A</b> is both the fastest-growing region")
    other = result(panel(regions={"A": (200.0, 0.02), "B": (30.0, 0.30)}))
    text = n.region_finding(other)
    assert text.startswith("<b>B</b> is the fastest-growing region") and "<b>A</b> ranks first for priority" in text
    one = result(panel(regions={"A": (100.0, 0.1)}))
    assert n.region_finding(one).startswith("All the data is one region, <b>A</b>")
    ahead = result(panel(brands={"Us": (3.0, 0.0), "Them": (1.0, 0.0)}))
    assert n.region_finding(ahead).startswith("No region has a share gap to close: we hold the target share")
    assert "fastest-growing" in n.region_finding(ahead)
    solo = result(panel(regions={"A": (100.0, 0.1)}, brands={"Us": (1.0, 0.0)}))
    assert n.region_finding(solo) == "No region has a share gap to close: there is no competitor in the data."
    assert "fastest-growing" not in n.region_finding(short)


def test_outlook_finding_branches(base, short):
    assert n.outlook_finding(base).startswith("Demand peaks in <b>") and "forecast" not in n.outlook_finding(base)
    assert n.outlook_finding(short).startswith("Seasonality and the forecast need two years")
    with_fc = n.outlook_finding(fake_forecast(base))
    assert "the next 3 months should bring <b>$330</b> (90% interval [$300, $360])" in with_fc
    assert "no calibrated interval for the total" in n.outlook_finding(fake_forecast(base, total=False))
    weak = replace(base, seasonality=replace(base.seasonality, strength=0.1))
    assert n.outlook_finding(weak).startswith("Demand shows little seasonal pattern")


def test_tiles_are_short_and_toned(base, short):
    tiles = n.tiles(fake_forecast(base))
    assert [t.label for t in tiles] == ["Market, last 12 months", "Underlying growth", "Us share", "Priority region",
                                        "Forecast, next 3 months"]
    assert tiles[1].tone == "good" and tiles[2].tone == "good" and tiles[4].detail == "90% interval [$300, $360]"
    assert all(len(t.detail) <= 40 and len(t.value) <= 20 for t in tiles)
    s = n.tiles(short)
    assert s[0].detail == "no YoY: under 2 years" and s[1].value == "–" and s[2].detail == "no prior year" and len(s) == 4
    assert n.tiles(result(panel(periods=8)))[0].label == "Market, all 8 months"
    falling = n.tiles(result(panel(regions={"A": (100.0, -0.2)}, brands={"Us": (1.0, -0.3), "Them": (1.0, 0.0)})))
    assert falling[1].tone == "bad" and falling[2].tone == "bad"
    assert n.tiles(fake_forecast(base, total=False))[4].detail == "interval not calibrated"
    ahead = result(panel(brands={"Us": (3.0, 0.0), "Them": (1.0, 0.0)}))
    assert n.tiles(ahead)[3].detail == "no share gap to close"


# --------------------------------------------------------------------------- size, growth and the chart title


def test_yearly_and_trend_sentences(base, short):
    assert n.yearly_sentence(base).startswith("The market grew +") and "CAGR over 2 years" in n.yearly_sentence(base)
    assert "no YoY growth or CAGR yet" in n.yearly_sentence(short)
    assert n.trend_sentence(base).startswith("Underneath the seasons the market grows +")
    assert "90% confidence interval [+" in n.trend_sentence(base)
    assert n.trend_sentence(short).startswith("The underlying growth rate needs two years")
    assert n.yearly_title(base).startswith("Market revenue per year: $")


def test_trend_sentence_falling_flat_and_stock_outs():
    falling = result(panel(regions={"A": (100.0, -0.2)}))
    assert n.trend_sentence(falling).startswith("Underneath the seasons the market shrinks -")
    assert n.yearly_sentence(falling).startswith("The market shrank -")
    flat = result(panel(regions={"A": (100.0, 0.0)}, noise=0.08, seed=3))
    assert flat.trend.sign == 0
    assert "cannot be told from zero" in n.trend_sentence(flat)
    df = panel(regions={"A": (100.0, 0.1)}, brands={"Us": (1.0, 0.0)})
    df.loc[df["period"] == df["period"].unique()[7], "revenue"] = 0.0
    assert "1 month without revenue are left out of the fit" in n.trend_sentence(result(df))


def test_market_size_title_follows_growth_interval_and_seasonal_strength(base, short):
    # the issue: "steady growth under a strong seasonal swing" was fixed text
    assert n.market_size_title(base) == "Market revenue per month: growth under a strong seasonal swing"
    falling = result(panel(regions={"A": (100.0, -0.2)}, swing=0.0, noise=0.01))
    assert n.market_size_title(falling) == "Market revenue per month: decline with little seasonality"
    flat = result(panel(regions={"A": (100.0, 0.0)}, noise=0.08, seed=3))
    moderate = replace(flat, seasonality=replace(flat.seasonality, strength=0.45))
    assert n.market_size_title(moderate) == "Market revenue per month: no clear trend under a moderate seasonal swing"
    assert n.market_size_title(short) == "Market revenue per month: too short to tell a trend"


# --------------------------------------------------------------------------- share and competitors


def test_share_sentences(base, threat, short):
    assert n.share_sentence(threat).startswith("Rival gained most share (+") and "Them lost most (-" in n.share_sentence(threat)
    assert n.share_title(threat) == "Share of market revenue: Rival is gaining fastest"
    assert "Share changes need two years" in n.share_sentence(short) and n.share_title(short) == "Share of market revenue"
    solo = result(panel(brands={"Us": (1.0, 0.0)}))
    assert "the only brand: its share is 100%" in n.share_sentence(solo) and n.share_title(solo) == "Share of market revenue"
    still = result(panel(brands={"Us": (1.0, 0.0), "Them": (1.0, 0.0)}))
    assert n.share_sentence(still).startswith("No brand's share moved")
    assert n.share_window_label(base) == "12 months" and n.share_window_label(result(panel(periods=8))) == "8 months"


def test_growth_capture_sentence_grew_shrank_flat_and_short(base, short):
    assert n.growth_capture_sentence(base).startswith("The market added $") and "of that increase" in n.growth_capture_sentence(base)
    falling = result(panel(regions={"A": (100.0, -0.2)}, brands={"Us": (1.0, 1.0), "Them": (3.0, 0.0)}))
    assert n.growth_capture_sentence(falling).startswith("The market lost $") and "own revenue changed by +$" in n.growth_capture_sentence(falling)
    falling_us = result(panel(regions={"A": (100.0, -0.2)}, brands={"Us": (1.0, -0.3), "Them": (1.0, 0.0)}))
    assert "own revenue changed by -$" in n.growth_capture_sentence(falling_us)
    flat = result(panel(regions={"A": (100.0, 0.0)}, swing=0.0, brands={"Us": (1.0, 0.0), "Them": (1.0, 0.0)}))
    assert "did not change on the year" in n.growth_capture_sentence(flat)
    assert "they are not shown" in n.growth_capture_sentence(short)
    assert n.share_change_title(base) == "Share change over the last 12 months"


def test_concentration_sentence(base, short):
    assert n.concentration_sentence(base).startswith("Market concentration (HHI) is ") and "on the year" in n.concentration_sentence(base)
    assert "on the year" not in n.concentration_sentence(short)
    assert n.concentration_sentence(result(panel(brands={"Us": (1.0, 0.0)}))) == \
        "Market concentration (HHI) is 10,000 (+0 on the year): highly concentrated."


def test_price_sentence_branches(base):
    # units = revenue / (2 + k): Us (k = 0) is the cheapest
    assert n.price_sentence(base).startswith("Us is the cheapest brand at 0.")
    pricey = result(panel(brands={"Them": (2.0, 0.0), "Us": (1.0, 0.3)}))
    assert pricey.ours["relative_price"] > 1
    assert n.price_sentence(pricey).startswith("Them is the cheapest brand") and "Us sells at 1." in n.price_sentence(pricey)
    no_units = panel()
    no_units.loc[no_units["brand"] == "Us", "units"] = 0.0
    assert "Us sells at an unknown multiple" in n.price_sentence(result(no_units))
    no_units["units"] = 0.0
    assert n.price_sentence(result(no_units)) == "No brand reports units in the last year, so prices cannot be compared."
    assert "its price is the market's average" in n.price_sentence(result(panel(brands={"Us": (1.0, 0.0)})))


# --------------------------------------------------------------------------- regions


def test_region_and_priority_sentences(base, short):
    assert n.region_sentence(base).startswith("A grows fastest (+") and "our share ranges from" in n.region_sentence(base)
    assert n.region_sentence(short).startswith("Our share ranges") and "needs two years" in n.region_sentence(short)
    one = result(panel(regions={"A": (100.0, 0.1)}))
    assert n.region_sentence(one).startswith("All the data is one region (A)")
    assert n.priority_sentence(base).startswith("A ranks first: closing the gap from")
    assert n.priority_sentence(one).startswith("A is the only region: closing the gap")
    ahead = result(panel(brands={"Us": (3.0, 0.0), "Them": (1.0, 0.0)}))
    assert n.priority_sentence(ahead).startswith("No region has a share gap to close")
    solo = result(panel(brands={"Us": (1.0, 0.0)}))
    assert "set target_share" in n.priority_sentence(solo)
    assert n.region_map_title(base) == "Regions: market growth against our share"
    assert n.region_map_title(short) == "Regions: market size against our share"
    assert n.priority_title(base).startswith("Regional priority")


# --------------------------------------------------------------------------- seasonality


def test_seasonality_sentences(base, short):
    assert n.seasonality_sentence(base).startswith("Demand peaks in December and January") or "Demand peaks in" in n.seasonality_sentence(base)
    assert "the seasonal pattern is strong" in n.seasonality_sentence(base)
    assert n.seasonality_title(base).startswith("Seasonality: December is the peak")
    weak = replace(base, seasonality=replace(base.seasonality, strength=0.1))
    assert n.seasonality_sentence(weak).startswith("Demand shows little seasonal pattern (strength 0.10, below 0.30)")
    assert n.seasonality_title(weak) == "Seasonality: little seasonal pattern"
    moderate = replace(base, seasonality=replace(base.seasonality, strength=0.45))
    assert "the seasonal pattern is moderate" in n.seasonality_sentence(moderate)
    assert n.seasonality_sentence(short).startswith("Seasonality needs two years")


# --------------------------------------------------------------------------- forecast


def test_forecast_sentence_note_and_titles(base):
    r = fake_forecast(base)
    assert n.forecast_sentence(r).startswith("The model expects $330 over the next 3 months (90% interval [$300, $360])")
    assert "alone is forecast at $120 (90% interval [$105, $135])" in n.forecast_sentence(r)
    assert "(90% interval" not in n.forecast_sentence(fake_forecast(base, total=False)).split(";")[0]
    assert n.forecast_sentence(base).startswith("No forecast")
    assert n.forecast_title(r) == "Market forecast for the next 3 months"
    note = n.forecast_note(r)
    assert "calibrated on 10 past forecasts" in note and "caught only 60%" in note and "missed by 3.0% on average" in note
    assert "model's own interval, which tends to be too narrow" in n.forecast_note(fake_forecast(base, calibrated=False))
    no_bt = replace(fake_forecast(base, calibrated=False), backtest=None)
    assert "dashed line" not in n.forecast_note(no_bt) and "no backtest ran" in n.forecast_note(no_bt)


def test_calibration_banner_branches(base):
    assert n.calibration_banner(base) is None  # no forecast
    assert n.calibration_banner(fake_forecast(base)) is None  # calibrated and covering
    assert n.calibration_banner(fake_forecast(base, coverage=0.7)).startswith("Even the calibrated interval caught only 70%")
    assert n.calibration_banner(fake_forecast(base, calibrated=False)).startswith("The backtest has too few origins")
    assert n.calibration_banner(replace(fake_forecast(base), backtest=None)).startswith("No backtest ran")


def test_backtest_sentence(base):
    r = fake_forecast(base)
    assert n.backtest_sentence(r) == ("Past forecasts missed by 2.0% one month ahead and 4.0% 3 months ahead; the model's own "
                                      "90% interval caught 60% of outcomes, the calibrated one 90%.")
    assert n.backtest_sentence(fake_forecast(base, calibrated=False)).endswith("caught 60% of outcomes.")
    assert n.backtest_title(r) == "Backtest error by horizon"


# --------------------------------------------------------------------------- breakdowns


def test_breakdown_sentences():
    df = panel()
    two = pd.concat([df.assign(category="basic"), df.assign(category="plus", revenue=df["revenue"] / 3)])
    r = result(two)
    assert n.breakdown_sentence(r, "category").startswith("Basic is the largest category (75% of revenue)")
    one = result(df.assign(category="basic"))
    assert n.breakdown_sentence(one, "category").startswith("All revenue is in one category (Basic)")
    assert n.breakdown_title(one, "category") == "Market by category, the last 12 months"


# --------------------------------------------------------------------------- brief


def test_brief_line_has_the_decision_evidence_risk_and_section(base):
    (line,) = n.brief(base)
    assert set(line) == {"kind", "decision", "evidence", "risk", "section", "money_at_stake"}
    assert line["kind"] == "priority_region" and line["section"] == n.SECTIONS["regions"]
    assert line["decision"].startswith("Go after A first: $") and line["money_at_stake"] == pytest.approx(base.priority["priority_score"])
    assert "A's market grows +" in line["evidence"] and "90% confidence interval" in line["evidence"]
    assert line["risk"] == "none flagged"


def test_brief_risks_from_the_checks(short):
    close = result(panel(regions={"A": (100.0, 0.10), "B": (99.0, 0.10)}))
    assert any("B is within 10% of the score" in r for r in n.brief_risks(close))
    shrinking = result(panel(regions={"A": (100.0, -0.2), "B": (10.0, 0.0)}))
    assert "A's market is shrinking" in n.brief_risks(shrinking)
    flat = result(panel(regions={"A": (100.0, 0.0)}, noise=0.08, seed=3))
    assert "A's growth interval includes 0" in n.brief_risks(flat)
    assert n.brief(flat)[0]["decision"].startswith("Close the share gap in A:")
    warned = replace(close, warnings=[DataWarning("market.csv", "region A (every brand): no rows for 2023-06-01", "x", "y"),
                                      DataWarning("market.csv", "region AB: no revenue in 2023-06-01", "x", "y")])
    assert "1 data warning on A" in n.brief_risks(warned)  # region AB's warning is not A's
    risks = n.brief_risks(short)
    assert any("no growth rate for" in r for r in risks) and any("under two years" in r for r in risks)
    assert "A's growth rate is unknown" in n.brief(short)[0]["evidence"]
    ahead = result(panel(brands={"Us": (3.0, 0.0), "Them": (1.0, 0.0)}))
    assert n.brief(ahead)[0]["decision"] == "Hold position: no region has a share gap to close"


def test_brief_is_plain_text_and_sentences_escape_names():
    odd = panel(brands={"Us & Co": (1.0, 0.3), "<Them>": (2.0, 0.0)})
    r = result(odd, our_brand="Us & Co")
    assert "&lt;Them&gt;" in n.share_finding(r) and "<Them>" not in n.share_finding(r)
    assert "&amp;" not in str(n.brief(r))


# --------------------------------------------------------------------------- appendix


def test_glossary_and_thresholds(base):
    terms = n.glossary(base)
    assert {"HHI", "STL", "MAPE", "CAGR", "Prediction interval", "Seasonal strength"} <= set(terms)
    assert "90%" in terms["Prediction interval"]
    rules = n.thresholds()
    assert rules["Strong seasonal swing"] == "seasonal strength ≥ 0.60" and rules["Highly concentrated"] == "HHI above 2,500"


def test_scope_line_names_the_revenue_the_brands_and_the_period(base, short):
    from playbook import fmt

    s = n.scope(base)
    assert s.startswith("Scope: revenue as the market panel records it (monthly periods), every brand's sales, our brand Us;")
    assert f"{fmt.plural(len(base.brands), 'brand')} in {fmt.plural(len(base.regions), 'region')}" in s
    assert s.endswith(f"; {base.first_period:%Y-%m-%d} to {base.last_period:%Y-%m-%d}.")
    assert n.scope(short).endswith(f"to {short.last_period:%Y-%m-%d}.") and short.last_period != base.last_period
