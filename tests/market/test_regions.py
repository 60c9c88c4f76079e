"""playbook.market.regions: the hand-computed priority ranking and breakdowns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.market import regions as rg

from .builders import MONTHS_24, hand_panel

PERIODS = pd.DatetimeIndex(MONTHS_24, freq="MS")


def test_region_table_hand_computed():
    rt = rg.region_table(hand_panel(), PERIODS, "Us", 12).set_index("region")
    a, b = rt.loc["A"], rt.loc["B"]
    assert (a["revenue_last"], a["revenue_prior"], b["revenue_last"], b["revenue_prior"]) == (144.0, 120.0, 144.0, 120.0)
    assert a["yoy_growth"] == pytest.approx(0.2) and a["size_share"] == pytest.approx(0.5)
    assert a["our_share"] == pytest.approx(36 / 144) and a["our_share_change_pp"] == pytest.approx(15.0)
    assert a["leader"] == "Them" and a["leader_share"] == pytest.approx(108 / 144)
    assert a["headroom"] == pytest.approx(72.0) and a["priority_score"] == pytest.approx(86.4)
    assert b["headroom"] == pytest.approx(96.0) and b["priority_score"] == pytest.approx(115.2)
    assert (b["priority_rank"], a["priority_rank"]) == (1, 2)


def test_region_table_with_target_share_and_clipping():
    rt = rg.region_table(hand_panel(), PERIODS, "Us", 12, target_share=0.2).set_index("region")
    assert rt.loc["A", "headroom"] == 0.0  # we already hold 25% > 20%: no negative headroom
    assert rt.loc["B", "priority_score"] == pytest.approx(144 * 1.2 * (0.2 - 24 / 144))
    assert rt.loc["B", "priority_rank"] == 1


def test_single_brand_has_no_gap_and_ties_break_on_growth():
    solo = hand_panel().loc[lambda d: d["brand"] == "Us"]
    rt = rg.region_table(solo, PERIODS, "Us", 12)
    assert rt["leader"].isna().all() and (rt["priority_score"] == 0).all()
    assert list(rt["region"]) == ["A", "B"]  # A grew (12 → 36), B did not


def test_region_trends_per_region():
    months = pd.date_range("2020-01-01", periods=36, freq="MS")
    frame = pd.DataFrame({"period": np.tile(months, 2), "region": np.repeat(["A", "B"], 36), "brand": "Us",
                          "revenue": np.r_[100 * 1.1 ** (np.arange(36) / 12), 50 * 0.9 ** (np.arange(36) / 12)], "units": 1.0})
    trends = rg.region_trends(frame, pd.DatetimeIndex(months, freq="MS"), 12, 0.9)
    assert trends["A"].rate == pytest.approx(0.1) and trends["B"].rate == pytest.approx(-0.1)


def test_breakdown_by_category_hand_computed():
    df = hand_panel()
    x = df.assign(category="x", revenue=df["revenue"] * 0.75, units=df["units"] * 0.75)
    y = df.assign(category="y", revenue=df["revenue"] * 0.25, units=df["units"] * 0.25)
    y.loc[y["brand"] == "Us", "revenue"] = 0.0  # we do not sell y
    tab = rg.breakdown(pd.concat([x, y]), PERIODS, "category", "Us", 12).set_index("category")
    assert tab.loc["x", "revenue_last"] == pytest.approx(0.75 * 288) and tab.loc["y", "revenue_last"] == pytest.approx(0.25 * 228)
    assert tab.loc["x", "our_share"] == pytest.approx(60 / 288) and tab.loc["y", "our_share"] == 0.0
    assert tab.loc["x", "yoy_growth"] == pytest.approx(0.2) and tab["size_share"].sum() == pytest.approx(1.0)
    with pytest.raises(KeyError, match="channel"):
        rg.breakdown(df, PERIODS, "channel", "Us", 12)
