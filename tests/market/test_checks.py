"""playbook.market.checks: each broken assumption becomes one named DataWarning (file, rows, assumption, action)."""

from __future__ import annotations

import pandas as pd

from playbook.market import checks
from playbook.market.panel import detect_frequency, prepare

from .builders import MONTHS_24, hand_panel, panel

FILE = "market.csv"


def warnings_of(frame, **kwargs):
    return checks.data_warnings(prepare(frame), FILE, **kwargs)


def test_clean_panel_has_no_warnings():
    assert warnings_of(hand_panel()) == []


def test_period_runs_compress_consecutive_periods():
    freq = detect_frequency(pd.Series(MONTHS_24))
    text = checks.period_runs([MONTHS_24[2], MONTHS_24[5], MONTHS_24[6], MONTHS_24[7]], freq)
    assert text == "2023-03-01; 2023-06-01 to 2023-08-01 (3 months)"
    many = checks.period_runs(MONTHS_24[::2], freq)
    assert many.endswith("and 8 more runs") and checks.period_runs([], freq) == ""


def test_summed_rows_say_why_and_give_an_example():
    df = pd.concat([hand_panel(), hand_panel().iloc[[0]]], ignore_index=True)
    (w,) = warnings_of(df)
    assert w.file == FILE and "1 row after dates were read as their month" in w.rows and "2023-01-01, A, Us" in w.rows
    assert "period, region, brand appears once" in w.assumption and w.action.startswith("Summed")


def test_a_region_missing_a_month_is_named_once_for_every_brand():
    df = hand_panel()
    (w,) = warnings_of(df.loc[~((df["region"] == "A") & (df["period"] == MONTHS_24[5]))])
    assert w.rows == "region A (every brand): no rows for 2023-06-01"
    assert "between its first and last" in w.assumption and "ratio to the rest of the market" in w.action


def test_one_brand_missing_months_in_one_region_is_named_by_region_and_brand():
    df = hand_panel()
    gone = (df["region"] == "B") & (df["brand"] == "Them") & df["period"].isin(MONTHS_24[3:5])
    (w,) = warnings_of(df.loc[~gone])
    assert w.rows == "region B, brand Them: no rows for 2023-04-01 to 2023-05-01 (2 months)"


def test_many_gapped_series_are_grouped_after_the_first_few():
    df = panel(periods=24, regions={f"r{i}": (10.0, 0.0) for i in range(8)})
    gone = (df["brand"] == "Us") & (df["period"] == df["period"].unique()[4])
    out = warnings_of(df.loc[~gone])
    assert len(out) == checks.MAX_SERIES_SHOWN + 1 and out[-1].rows.startswith("2 more series")


def test_a_brand_entering_and_a_region_leaving_are_named():
    df = hand_panel()
    late = (df["brand"] == "Us") & (df["period"] < MONTHS_24[3])
    gone = (df["region"] == "B") & (df["period"] > MONTHS_24[20])
    out = warnings_of(df.loc[~late & ~gone])
    rows = [w.rows for w in out]
    assert rows == ["brand Us: no rows before 2023-04-01", "region B: no rows after 2024-09-01"]
    assert "counted as zero revenue before 2023-04-01" in out[0].action.lower()
    assert "set period_end" in out[1].action


def test_zero_revenue_of_a_region_a_brand_and_the_market():
    df = hand_panel()
    df.loc[(df["region"] == "A") & (df["period"] == MONTHS_24[5]), "revenue"] = 0.0
    (w,) = warnings_of(df)
    assert w.rows == "region A: no revenue in 2023-06-01" and "trend-growth regression" in w.action
    df.loc[(df["brand"] == "Us") & (df["period"] == MONTHS_24[7]), "revenue"] = 0.0
    assert [w.rows for w in warnings_of(df)][-1] == "brand Us: no revenue in 2023-08-01"
    df.loc[df["period"] == MONTHS_24[9], "revenue"] = 0.0
    first = warnings_of(df)[0]
    assert first.rows == "the whole market: no revenue in 2023-10-01" and "interpolate log revenue" in first.action


def test_revenue_without_units():
    df = hand_panel()
    df.loc[0, "units"] = 0.0
    (w,) = warnings_of(df)
    assert w.rows.startswith("1 row with revenue but zero units, e.g. 2023-01-01, A, Us") and "average prices" in w.action


def test_short_history_under_two_years_and_under_one_year():
    df = hand_panel()
    (w,) = warnings_of(df.loc[df["period"] >= MONTHS_24[6]])
    assert w.rows == "18 months from 2023-07-01 to 2024-12-01" and w.action.startswith("No YoY growth")
    short = warnings_of(df.loc[df["period"] >= MONTHS_24[16]])
    assert len(short) == 2 and "covers only the 8 months available" in short[1].action


def test_weekly_periods_say_a_year_is_52_weeks():
    df = panel(periods=110, freq="7D", start="2022-01-03")
    (w,) = warnings_of(df)
    assert w.rows == "weekly periods (110 weeks)" and "52 weeks (364 days)" in w.action


def test_single_region_and_single_brand():
    df = hand_panel()
    out = warnings_of(df.loc[(df["region"] == "A") & (df["brand"] == "Us")])
    assert [w.rows for w in out] == ["one region: A", "one brand: Us"]
    assert "no choice between regions" in out[0].action and "target_share" in out[1].action
