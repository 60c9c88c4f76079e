"""Tests for playbook.abtest.checks (moved from tests/test_abtest.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.abtest import checks
from playbook.demo.abtest import make
from playbook.demo.world import World


def test_issue_srm_p_value():
    srm = checks.srm_check({"A": 10_000, "B": 10_300})
    assert srm.p_value == pytest.approx(0.0352, abs=5e-5)
    assert not srm.detected  # 0.035 is not below 0.001
    assert checks.srm_check({"A": 10_000, "B": 10_600}).detected


def test_srm_uses_expected_split_and_validates_names():
    srm = checks.srm_check({"A": 9_000, "B": 3_000}, {"A": 3, "B": 1})
    assert srm.expected == {"A": 9_000.0, "B": 3_000.0} and srm.p_value == pytest.approx(1.0)
    with pytest.raises(ValueError, match="missing"):
        checks.srm_check({"A": 1, "B": 2}, {"A": 0.5, "C": 0.5})


def test_minimum_data_check():
    counts = pd.DataFrame({"variant": ["A", "B"], "units": [100, 100], "conversions": [30, 12]})
    check = checks.minimum_data_check(counts, days=3, min_conversions=25, min_days=7)
    assert not check.passed and len(check.reasons) == 2 and "B" in check.reasons[0]
    assert checks.minimum_data_check(counts, days=None, min_conversions=10).passed


def test_arm_counts_from_units_and_summary_agree():
    files, _ = make(World(), units=3000)
    exp = files["experiment.csv"]
    c1 = checks.arm_counts(exp)
    summary = c1.drop(columns=["revenue_sum_sq"])
    c2 = checks.arm_counts(summary=summary)
    assert c1[["variant", "units", "conversions"]].equals(c2[["variant", "units", "conversions"]])
    assert c2["revenue_sum_sq"].isna().all()
    with pytest.raises(ValueError, match="control variant 'Z' not found"):
        checks.order_variants(c1["variant"], "Z")


def test_default_segments_picks_text_columns():
    files, _ = make(World(), units=2000)
    assert checks.default_segments(files["experiment.csv"]) == ["device", "region", "customer_type"]



def test_broken_arms_are_no_conversions_or_conversions_without_revenue():
    counts = pd.DataFrame({"variant": ["A", "B", "C", "D"], "units": [100] * 4, "conversions": [10, 12, 0, 9],
                           "revenue_sum": [500.0, 0.0, 0.0, 450.0], "revenue_sum_sq": [1.0] * 4})
    b = checks.broken_arms(counts)
    assert b.no_conversions == ["C"] and b.no_revenue == ["B"] and b.variants == ["C", "B"] and bool(b)
    # a file without revenue, or with no revenue anywhere, is not a broken tag
    assert checks.broken_arms(counts.assign(revenue_sum=float("nan"))).no_revenue == []
    assert checks.broken_arms(counts.assign(revenue_sum=0.0)).no_revenue == []
    assert not checks.broken_arms(counts.assign(conversions=5, revenue_sum=1.0))


def test_a_segment_whose_mix_differs_between_arms_is_refused():
    import numpy as np

    rng = np.random.default_rng(0)
    n = 6000
    variant = np.where(rng.uniform(size=n) < 0.5, "A", "B")
    frame = pd.DataFrame({"variant": variant, "device": rng.choice(["mobile", "desktop"], n),
                          # recorded after assignment: B's new checkout pushes people to the express step
                          "checkout_step": np.where((variant == "B") & (rng.uniform(size=n) < 0.3), "express", rng.choice(["cart", "express"], n, p=[0.8, 0.2]))})
    refused = checks.refused_segments(frame, ["device", "checkout_step", "missing"])
    assert list(refused) == ["checkout_step"] and refused["checkout_step"] < 1e-6
    assert checks.segment_balance(frame, "device") > 0.001


def test_segment_balance_equals_the_chi_square_of_the_crosstab():
    import numpy as np
    from scipy import stats

    rng = np.random.default_rng(4)
    n = 5000
    exp = pd.DataFrame({"variant": rng.choice(["A", "B", "C"], n), "device": rng.choice(["d", "m", "t"], n, p=[0.5, 0.4, 0.1])})
    exp.loc[exp["variant"] == "C", "device"] = rng.choice(["d", "m", "t"], (exp["variant"] == "C").sum(), p=[0.3, 0.6, 0.1])
    want = stats.chi2_contingency(pd.crosstab(exp["device"], exp["variant"]).to_numpy())[1]
    assert checks.segment_balance(exp, "device") == pytest.approx(want, rel=1e-12)
    assert checks.segment_balance(exp, "device") < 1e-3
