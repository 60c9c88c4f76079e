"""Journeys from raw touchpoints: the lookback window, on hand-made events and on the demo."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.attribution import journeys as J

from .builders import _ts


def test_journeys_respect_the_lookback_window():
    tp = pd.DataFrame(
        [
            ("A", _ts(0), "email"),
            ("A", _ts(20), "search"),
            ("A", _ts(40), "social"),  # converts day 45
            ("B", _ts(0), "kol"),
            ("B", _ts(50), "search"),
            ("B", _ts(55), "email"),  # never converts
            ("C", _ts(0), "a"),
            ("C", _ts(2), "b"),
            ("C", _ts(5), "c"),
            ("C", _ts(8), "d"),  # converts day 3 and 6
            ("D", _ts(0), "kol"),  # converts day 40: no touch inside 30 days
        ],
        columns=["journey_id", "timestamp", "channel"],
    )
    cv = pd.DataFrame(
        [("A", _ts(45), 50.0), ("C", _ts(3), 10.0), ("C", _ts(6), 20.0), ("D", _ts(40), 7.0)],
        columns=["journey_id", "timestamp", "value"],
    )
    j = J.journeys_from_touchpoints(tp, cv, lookback_days=30)
    p = {(r.journey_id, r.path): r for r in j.paths.itertuples()}
    assert ("A", ("search", "social")) in p and p[("A", ("search", "social"))].conversions == 1
    assert p[("A", ("search", "social"))].days_to_end == pytest.approx((25.0, 5.0))
    assert ("B", ("search", "email")) in p and p[("B", ("search", "email"))].nulls == 1
    assert ("C", ("a", "b")) in p and p[("C", ("a", "b"))].value == 10.0
    assert ("C", ("c",)) in p and p[("C", ("c",))].value == 20.0
    assert ("C", ("d",)) in p and p[("C", ("d",))].nulls == 1
    assert j.touches_dropped == 3  # A day 0, B day 0, D day 0
    assert j.conversions_without_touch == 1 and j.value_without_touch == 7.0
    assert j.paths["conversions"].sum() == 3
    everything = J.journeys_from_touchpoints(tp, cv, lookback_days=None)
    assert ("A", ("email", "search", "social")) in {(r.journey_id, r.path) for r in everything.paths.itertuples()}
    assert everything.touches_dropped == 0 and everything.conversions_without_touch == 0


# --------------------------------------------------------------------------- comparison helpers


def test_lookback_drops_exactly_the_stale_touches(demo_journeys):
    journeys, truth = demo_journeys
    assert journeys.touches_dropped == truth["n_stale_touches"]
    assert journeys.conversions_without_touch == 0


def test_time_to_conversion_counts_each_channels_first_touch():
    tp = pd.DataFrame({"journey_id": ["1", "1", "1", "2", "2", "3"],
                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-01", "2024-01-02", "2024-01-01"]),
                       "channel": ["a", "b", "a", "b", "b", "a"]})
    cv = pd.DataFrame({"journey_id": ["1", "2"], "timestamp": pd.to_datetime(["2024-01-11", "2024-01-05"]), "value": [1.0, 1.0]})
    t = J.time_to_conversion(J.journeys_from_touchpoints(tp, cv, lookback_days=None).paths).set_index("channel")
    # journey 1: a first at day 0 (10 days before), b at day 2 (8 days); journey 2: b at day 0 (4 days); journey 3 never converts
    assert t.loc["a", "journeys"] == 1 and t.loc["a", "median_days"] == pytest.approx(10.0)
    assert t.loc["b", "journeys"] == 2 and t.loc["b", "median_days"] == pytest.approx(6.0)
    assert t.loc["b", "p90_days"] == pytest.approx(4.0 + 0.9 * 4.0)
    assert t.loc["all", "median_days"] == pytest.approx(7.0)
    assert J.time_to_conversion(pd.DataFrame({"path": [("a",)], "conversions": [1.0]})).empty  # no timestamps
