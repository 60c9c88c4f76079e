"""playbook.market.shares: hand-computed shares, changes, prices, HHI and the threat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.market import shares as s

from .builders import MONTHS_24, hand_panel

PERIODS = pd.DatetimeIndex(MONTHS_24, freq="MS")


def test_brand_table_hand_computed():
    bt = s.brand_table(hand_panel(), PERIODS, 12, our_brand="Us").set_index("brand")
    us, them = bt.loc["Us"], bt.loc["Them"]
    assert (us["revenue_last"], us["revenue_prior"], them["revenue_last"], them["revenue_prior"]) == (60.0, 36.0, 228.0, 204.0)
    assert us["share_last"] == pytest.approx(60 / 288) and us["share_prior"] == pytest.approx(36 / 240)
    assert us["share_change_pp"] == pytest.approx(100 * (60 / 288 - 36 / 240))
    assert them["share_change_pp"] == pytest.approx(-us["share_change_pp"])
    assert us["yoy_growth"] == pytest.approx(60 / 36 - 1) and them["yoy_growth"] == pytest.approx(228 / 204 - 1)
    assert us["share_of_growth"] == pytest.approx(0.5) and bt["share_of_growth"].sum() == pytest.approx(1.0)
    assert (us["avg_price"], them["avg_price"]) == (pytest.approx(2.0), pytest.approx(1.0))
    assert us["relative_price"] == pytest.approx(2.0 / (288 / (30 + 228)))
    assert us["relative_share"] == pytest.approx(60 / 228) and them["relative_share"] == pytest.approx(228 / 60)
    assert bool(us["is_ours"]) and not bool(them["is_ours"])
    assert list(s.brand_table(hand_panel(), PERIODS, 12)["brand"]) == ["Them", "Us"]  # largest first


def test_new_brand_has_nan_growth_and_positive_share_of_growth():
    df = hand_panel()
    newcomer = df.loc[(df["brand"] == "Us") & (df["period"] >= MONTHS_24[12])].assign(brand="New", revenue=1.0)
    bt = s.brand_table(pd.concat([df, newcomer]), PERIODS, 12).set_index("brand")
    assert np.isnan(bt.loc["New", "yoy_growth"]) and bt.loc["New", "share_prior"] == 0.0
    assert bt.loc["New", "share_of_growth"] == pytest.approx(24 / (312 - 240))


def test_prices_leave_out_rows_without_units():
    df = hand_panel()
    df.loc[(df["brand"] == "Us") & (df["period"] == MONTHS_24[-1]) & (df["region"] == "A"), "units"] = 0.0
    us = s.brand_table(df, PERIODS, 12).set_index("brand").loc["Us"]
    assert us["avg_price"] == pytest.approx(2.0)  # revenue and units of the same rows: still 2 per unit
    assert us["revenue_last"] == 60.0  # the row still counts in revenue


def test_under_two_years_has_no_prior_columns():
    short = hand_panel().loc[lambda d: d["period"] >= MONTHS_24[6]]
    bt = s.brand_table(short, PERIODS[6:], 12).set_index("brand")
    assert bt["share_change_pp"].isna().all() and bt["share_of_growth"].isna().all() and bt["revenue_prior"].isna().all()
    assert bt["share_last"].sum() == pytest.approx(1.0)


def test_share_by_period_and_hhi():
    df = hand_panel()
    monthly = s.share_by_period(df)
    assert monthly.loc[MONTHS_24[0], "Us"] == pytest.approx(3 / 20) and monthly.loc[MONTHS_24[-1], "Us"] == pytest.approx(5 / 24)
    rolling = s.share_by_period(df, window=12)
    assert len(rolling) == 13 and rolling.iloc[0]["Us"] == pytest.approx(36 / 240)
    np.testing.assert_allclose(rolling.sum(axis=1), 1.0)
    assert s.hhi_by_period(rolling).iloc[-1] == pytest.approx(10_000 * ((60 / 288) ** 2 + (228 / 288) ** 2))
    empty = s.share_by_period(df.assign(revenue=0.0))
    assert empty.isna().all().all() and s.hhi_by_period(empty).isna().all()


def test_herfindahl_closed_forms():
    assert s.herfindahl([1.0]) == 10_000 and s.herfindahl([0.5, 0.5]) == 5_000
    assert s.herfindahl(np.full(10, 0.1)) == pytest.approx(1_000)


def test_biggest_threat_is_largest_competitor_gain():
    bt = pd.DataFrame({"brand": ["Us", "A", "B", "C"], "share_change_pp": [5.0, 1.0, 3.0, -9.0]})
    assert s.biggest_threat(bt, "Us") == "B"
    assert s.biggest_threat(bt.assign(share_change_pp=[5.0, -1.0, -2.0, -2.0]), "Us") is None
