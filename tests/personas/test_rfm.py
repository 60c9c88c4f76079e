"""Tests for playbook.personas.rfm: RFM scores, segment maps, group summaries and concentration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.personas import rfm, summary

from .builders import END, order_book


def test_quintile_scores_are_exact_quintiles_and_ties_share_a_score():
    assert list(rfm.quintile_score(np.arange(1, 11))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert list(rfm.quintile_score(np.arange(1, 11), higher_is_better=False)) == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    # 6 one-time buyers out of 10 share one score (mid-rank 3.5 of 10 → quintile 2)
    scores = rfm.quintile_score([1, 1, 1, 1, 1, 1, 2, 3, 5, 8])
    assert len(set(scores[:6])) == 1 and scores[0] == 2
    assert list(scores[6:]) == [4, 4, 5, 5]


def test_rfm_segment_map_and_precedence():
    scores = pd.DataFrame({"r_score": [5, 4, 1, 5, 3, 2], "f_score": [5, 4, 1, 1, 5, 1], "m_score": [5, 4, 1, 1, 1, 5]})
    first = rfm.rfm_segment(scores, "rfm11", "first")
    last = rfm.rfm_segment(scores, "rfm11", "last")
    assert first[0] == last[0] == "Champions"
    assert first[1] == "Champions" and last[1] == "Need attention"  # 444 matches both; precedence decides
    assert first[2] == last[2] == "Lost"
    assert first[3] == "Potential loyalists" and last[3] == "New customers"  # 511
    assert first[4] == last[4] == rfm.OTHERS  # 351 matches no range
    with pytest.raises(ValueError, match="precedence"):
        rfm.rfm_segment(scores, "rfm11", "middle")


def test_rf10_map_partitions_every_score_cell():
    grid = pd.DataFrame(
        [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)], columns=["r_score", "f_score", "m_score"]
    )
    first = rfm.rfm_segment(grid, "rf10", "first")
    last = rfm.rfm_segment(grid, "rf10", "last")
    assert (first != rfm.OTHERS).all()
    assert (first == last).all()  # no overlaps
    assert first[(grid.r_score == 5) & (grid.f_score == 5)].eq("Champions").all()


def test_group_summary_shares_and_empty_segments():
    table = summary.rfm_table(order_book(), END)
    labels = pd.Series(["x", "y", "x", "y"])
    out = rfm.group_summary(table, labels, order=["y", "x", "empty"]).set_index("group")
    assert list(out.index) == ["y", "x", "empty"]
    assert out["customer_share"].sum() == pytest.approx(1.0) and out["revenue_share"].sum() == pytest.approx(1.0)
    assert out.loc["x", "revenue"] == pytest.approx(95.0)  # A 75 + C 20
    assert out.loc["x", "aov"] == pytest.approx(95.0 / 6)
    assert out.loc["empty", "customers"] == 0 and out.loc["empty", "revenue_share"] == 0


def test_revenue_concentration_closed_forms():
    equal = rfm.revenue_concentration(np.full(100, 5.0))
    assert equal.gini == pytest.approx(0.0, abs=1e-12)
    assert equal.top_20_share == pytest.approx(0.2)
    one = rfm.revenue_concentration(np.r_[100.0, np.zeros(9)])
    assert one.gini == pytest.approx(0.9)  # (n − 1) / n
    assert one.top_10_share == pytest.approx(1.0)
    # Gini of 1..n is (n − 1) / (3n)
    assert rfm.revenue_concentration(np.arange(1, 51)).gini == pytest.approx(49 / 150)
