"""Tests for playbook.personas.cohorts: the cohort triangle by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.personas import cohorts as cohorts_mod

from .builders import END, order_book


def test_cohort_retention_by_hand():
    cohorts = cohorts_mod.cohort_retention(order_book(), END)
    ret = cohorts.retention
    assert list(ret.index.astype(str)) == ["2024-01", "2024-02", "2024-03"]
    assert list(cohorts.sizes) == [2, 1, 1]
    assert ret.iloc[:, 0].tolist() == [1.0, 1.0, 1.0]
    # Jan cohort (A, B): A orders in Feb and Mar → 50% in months 1 and 2
    assert ret.loc[pd.Period("2024-01"), 1] == 0.5 and ret.loc[pd.Period("2024-01"), 2] == 0.5
    assert ret.loc[pd.Period("2024-02"), 1] == 1.0  # C orders again in March
    assert np.isnan(ret.loc[pd.Period("2024-03"), 1])  # not observed yet
    assert cohorts.revenue_per_customer.loc[pd.Period("2024-01"), 2] == pytest.approx((75 + 30) / 2)


def test_a_partial_last_month_is_left_out_with_its_new_customers():
    """Data ending on 15 Mar: March is partial, so its cells and the customer first seen in it (D) are left out."""
    book = order_book()
    cut = cohorts_mod.cohort_retention(book, "2024-03-15")
    full = cohorts_mod.cohort_retention(book, "2024-02-29")
    assert str(cut.partial_month) == "2024-03" and cut.partial_days == 15 and cut.partial_left_out
    assert cut.partial_cohort == 0  # D's first order (28 Mar) falls after the 15th: not in the data at all
    pd.testing.assert_frame_equal(cut.retention, full.retention)
    assert full.partial_month is None and not full.partial_left_out
    late = cohorts_mod.cohort_retention(book, "2024-03-30")
    assert late.partial_cohort == 1 and list(late.retention.index.astype(str)) == ["2024-01", "2024-02"]
    kept = cohorts_mod.cohort_retention(book, "2024-03-30", drop_partial=False)
    assert kept.partial_month is None and "2024-03" in set(kept.retention.index.astype(str))


def test_a_single_partial_month_is_kept_and_marked():
    book = order_book()
    one = cohorts_mod.cohort_retention(book.loc[book["order_date"] < "2024-01-20"], "2024-01-19")
    assert str(one.partial_month) == "2024-01" and not one.partial_left_out
    assert list(one.retention.columns) == [0] and one.retention.iloc[0, 0] == 1.0

