"""Tests for playbook.personas.lifecycle: lifecycle stages, flow and snapshots."""

from __future__ import annotations

import pandas as pd

from playbook.personas import lifecycle

from .builders import END, order_book


def test_lifecycle_stage_rules():
    tenure = [0, 7, 8, 90, 91, 400, 400, 400]
    recency = [0, 3, 8, 30, 60, 90, 91, 181]
    assert list(lifecycle.lifecycle_stage(tenure, recency)) == [
        "new",
        "new",
        "growing",
        "growing",
        "mature",
        "mature",
        "at_risk",
        "dormant",
    ]
    custom = lifecycle.lifecycle_stage([400], [100], {"at_risk": 120})
    assert custom[0] == "mature"


def test_lifecycle_flow_and_transitions():
    stages, counts = lifecycle.lifecycle_flow(order_book(), ["2024-01-10", END])
    first, last = pd.Timestamp("2024-01-10"), pd.Timestamp(END)
    assert stages.loc["A", first] == "growing"  # customer for 9 days, bought 9 days ago
    assert pd.isna(stages.loc["B", first])  # not acquired yet
    assert stages.loc["A", last] == "growing" and stages.loc["B", last] == "growing"  # 76 days of tenure
    assert stages.loc["D", last] == "new"
    assert counts.loc[last].sum() == 4 and counts.loc[first].sum() == 1
    moves = lifecycle.stage_transitions(stages, first, last)
    assert moves.loc["not yet acquired", "new"] == 1 and moves.to_numpy().sum() == 4


def test_snapshot_dates():
    snaps = lifecycle.snapshot_dates("2025-12-28", 3)
    assert snaps == [pd.Timestamp("2025-06-30"), pd.Timestamp("2025-09-30"), pd.Timestamp("2025-12-28")]
