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
