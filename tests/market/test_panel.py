"""playbook.market.panel: periodicity, windows, one row per key, the gap rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.market import panel as p

from .builders import MONTHS_24, hand_panel


def test_detect_frequency_monthly_and_weekly():
    monthly = p.detect_frequency(pd.Series(MONTHS_24))
    assert (monthly.name, monthly.periods_per_year, monthly.pandas_freq) == ("monthly", 12, "MS")
    assert monthly.window_label == "12 months"
    weekly = p.detect_frequency(pd.Series(pd.date_range("2024-01-01", periods=60, freq="7D")))  # Mondays
    assert (weekly.name, weekly.periods_per_year, weekly.pandas_freq, weekly.window_label) == ("weekly", 52, "W-MON", "52 weeks")


def test_detect_frequency_rejects_daily_ragged_and_single():
    with pytest.raises(ValueError, match="neither a month nor a week"):
        p.detect_frequency(pd.Series(pd.date_range("2024-01-01", periods=30, freq="D")))
    with pytest.raises(ValueError, match="whole weeks apart"):
        p.detect_frequency(pd.Series(pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-25"])))
    with pytest.raises(ValueError, match="1 distinct period"):
        p.detect_frequency(pd.Series(pd.to_datetime(["2024-01-01"])))


def test_normalize_periods_snaps_months_to_first_day():
    frame = pd.DataFrame({"period": pd.to_datetime(["2024-01-31", "2024-02-29", "2024-03-31"]), "revenue": [1.0, 2.0, 3.0]})
    out = p.normalize_periods(frame, p.detect_frequency(frame["period"]))
    assert list(out["period"]) == list(pd.date_range("2024-01-01", periods=3, freq="MS"))
    assert frame["period"].iloc[0] == pd.Timestamp("2024-01-31")  # the input is not modified


def test_filter_window_is_inclusive_and_refuses_under_two_periods():
    df = hand_panel()
    assert len(p.filter_window(df, "", "")) == len(df)
    out = p.filter_window(df, "2023-03-01", "2023-05-01")
    assert sorted(out["period"].unique()) == list(pd.date_range("2023-03-01", "2023-05-01", freq="MS"))
    with pytest.raises(ValueError, match="leave 0 period"):
        p.filter_window(df, "2030-01-01", "")
    with pytest.raises(ValueError, match="leave 1 period"):
        p.filter_window(df, "2024-12-01", "")


def test_market_series_totals_and_zero_where_no_row():
    df = hand_panel()
    s = p.market_series(df, pd.DatetimeIndex(MONTHS_24, freq="MS"))
    assert len(s) == 24 and s.index.freq == "MS"
    assert s.iloc[0] == 20.0 and s.iloc[-1] == 24.0  # 1+9+2+8 and 3+9+2+10
    assert p.market_series(df.loc[df["period"] != MONTHS_24[5]], pd.DatetimeIndex(MONTHS_24)).iloc[5] == 0.0


def test_window_periods_full_partial_and_empty_prior():
    periods = pd.date_range("2023-01-01", periods=30, freq="MS")
    last, prior = p.window_periods(periods, 12)
    assert list(last) == list(periods[-12:]) and list(prior) == list(periods[-24:-12])
    last, prior = p.window_periods(periods[:18], 12)
    assert len(last) == 12 and len(prior) == 0  # no partial prior year
    last, prior = p.window_periods(periods[:8], 12)
    assert len(last) == 8 and len(prior) == 0  # under a year: all periods


def test_prepare_sums_rows_that_share_a_key():
    df = hand_panel()
    dup = pd.concat([df, df.iloc[[0]].assign(revenue=5.0, units=1.0)], ignore_index=True)
    prepared = p.prepare(dup)
    assert prepared.rows_summed == 1 and prepared.summed_example == (MONTHS_24[0], "A", "Us")
    first = prepared.frame.set_index(["period", "region", "brand"]).loc[(MONTHS_24[0], "A", "Us")]
    assert first["revenue"] == 6.0 and first["units"] == 1.5
    assert len(prepared.frame) == len(df) and not prepared.frame["filled"].any()


def test_a_gap_is_filled_from_the_series_ratio_to_the_rest_of_the_market():
    # region A, brand Us lacks month 5; the rest of the market doubles in month 5: the fill follows it
    df = hand_panel().loc[lambda d: d["period"] < MONTHS_24[12]].copy()
    df.loc[df["period"] == MONTHS_24[5], "revenue"] *= 2
    df.loc[df["period"] == MONTHS_24[5], "units"] *= 2
    gappy = df.loc[~((df["period"] == MONTHS_24[5]) & (df["region"] == "A") & (df["brand"] == "Us"))]
    prepared = p.prepare(gappy)
    (cell,) = prepared.gaps.itertuples(index=False)
    assert (cell.period, cell.region, cell.brand) == (MONTHS_24[5], "A", "Us")
    row = prepared.frame.loc[prepared.frame["filled"]].iloc[0]
    # ratio to the rest is 1 / 19 in the neighbouring months; the rest is 38 in month 5 → 2.0
    assert row["revenue"] == pytest.approx(2.0) and row["units"] == pytest.approx(1.0)
    assert len(prepared.frame) == len(df)


def test_gap_with_an_empty_rest_is_interpolated_linearly_and_ends_are_not_filled():
    frame = pd.DataFrame({"period": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"]), "region": "A",
                          "brand": "Us", "revenue": [10.0, 20.0, 40.0], "units": [1.0, 2.0, 4.0]})
    late = pd.DataFrame({"period": pd.to_datetime(["2024-05-01"]), "region": "A", "brand": "New", "revenue": [5.0], "units": [1.0]})
    prepared = p.prepare(pd.concat([frame, late]))
    filled = prepared.frame.loc[prepared.frame["filled"]]
    assert list(filled["brand"]) == ["Us"] and filled["period"].iloc[0] == pd.Timestamp("2024-03-01")
    assert filled["revenue"].iloc[0] == pytest.approx(30.0)  # no other series in March: linear
    assert len(prepared.calendar) == 5  # Us has no May row and New no row before May: zeros, not gaps


def test_positive_for_logs_interpolates_log_revenue_across_zero_periods():
    s = pd.Series([100.0, 0.0, 400.0, 0.0], index=pd.date_range("2024-01-01", periods=4, freq="MS"))
    out = p.positive_for_logs(s)
    np.testing.assert_allclose(out.to_numpy(), [100.0, 200.0, 400.0, 400.0])  # geometric mean; the end repeats
    same = pd.Series([1.0, 2.0])
    assert p.positive_for_logs(same) is same
    assert (p.positive_for_logs(pd.Series([0.0, 0.0])) == 0).all()
