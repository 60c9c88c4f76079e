"""The named warnings of awkward attribution inputs, on small hand-made frames."""

from __future__ import annotations

import pandas as pd

from playbook.attribution import checks
from playbook.attribution import journeys as J

from .builders import OPEN_CLOSE, SINGLE, daily_funnel, paths_frame


def test_funnel_gaps_name_each_channel_with_missing_days():
    full = daily_funnel(days=10, channels=("a", "b_c"))
    assert checks.funnel_gaps(full) == []
    gappy = full[~((full["channel"] == "b_c") & full["date"].isin(pd.date_range("2024-01-03", periods=3)))]
    [w] = checks.funnel_gaps(gappy)
    assert (w.file, w.rows) == ("funnel.csv", "b c: 3 days") and "off air" in w.action
    many = daily_funnel(days=10, channels=tuple("abcdef"))
    many = many[~many["date"].eq(pd.Timestamp("2024-01-05"))]
    many.attrs["source"] = "funnel.parquet"
    [w] = checks.funnel_gaps(many)
    assert w.file == "funnel.parquet" and w.rows == "a: 1 day; b: 1 day; c: 1 day; d: 1 day and 2 more channel(s)"


def test_journey_warnings_on_paths_csv():
    assert checks.journey_warnings(paths_frame(OPEN_CLOSE), None) == []
    [w] = checks.journey_warnings(paths_frame(SINGLE), None)
    assert (w.file, w.rows) == ("paths.csv", "all 2 journeys") and "single touch" in w.action
    [w] = checks.journey_warnings(paths_frame([("a>b", 5, 50.0, 0), ("b", 5, 50.0, 20), ("a>c", 3, 30.0, 0), ("c>b", 1, 1.0, 4)]), None)
    assert w.rows == "channel a" and w.action.startswith("a appears only on converting journeys") and "its credit" in w.action
    [w] = checks.journey_warnings(paths_frame([("a>b", 5, 50.0, 0), ("c", 5, 50.0, 20), ("a", 3, 30.0, 0), ("b>c", 1, 1.0, 0)]), None)
    assert w.rows == "channel a, b" and w.action.startswith("a, b appear only") and "their credit" in w.action
    assert checks.journey_warnings(paths_frame([("a>b", 5, 50.0, 0), ("a", 3, 30.0, 0)]), None) == []  # nothing ever failed to convert


def test_journey_warnings_name_conversions_without_a_touch():
    tp = pd.DataFrame({"journey_id": ["j1", "j1", "j2", "j2"],
                       "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02"]), "channel": ["a", "b", "b", "a"]})
    cv = pd.DataFrame({"journey_id": ["j1", "j3"], "timestamp": pd.to_datetime(["2024-01-03", "2024-01-03"]), "value": [10.0, 7.5]})
    j = J.journeys_from_touchpoints(tp, cv, lookback_days=30)
    assert j.conversions_without_touch == 1
    [w] = checks.journey_warnings(j.paths, j, tp, cv, 30, "€")
    assert (w.file, w.rows) == ("conversions.csv", "1 conversion") and "within 30 days before it" in w.assumption
    assert "€7.50 of value left out" in w.action
