"""Tests for playbook.abtest.handoff (moved from tests/test_abtest.py)."""

from __future__ import annotations

import numpy as np
import pytest

from playbook.abtest import handoff


def test_lift_test_row_definitions():
    on = np.full(1000, 12.0) + np.random.default_rng(0).normal(0, 0.5, 1000)
    off = np.full(1000, 10.0)
    row = handoff.lift_test_row("search", on, off, spend_per_period=5000.0, units_per_period=2000.0, spend_share_kept=0.2).iloc[0]
    assert list(row.index) == ["channel", "x", "delta_x", "delta_y", "sigma"]
    assert row["x"] == pytest.approx(1000.0) and row["delta_x"] == pytest.approx(4000.0)
    assert row["delta_y"] == pytest.approx((on - off).mean() * 2000) and row["sigma"] == pytest.approx(on.std(ddof=1) * 2000)
    assert handoff.units_per_period(7000, days=14.0) == pytest.approx(3500.0)
    with pytest.raises(ValueError):
        handoff.lift_test_row("search", on, off, 0.0, 2000.0)

