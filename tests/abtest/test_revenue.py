"""Tests for playbook.abtest.revenue (moved from tests/test_abtest.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.abtest import revenue


def test_winsorize_uses_pooled_cap_on_non_zero_values():
    rev = pd.Series([0.0] * 96 + [10.0, 20.0, 30.0, 1000.0])
    cap = revenue.revenue_cap(rev, 0.5)
    assert cap == pytest.approx(25.0)  # median of the four non-zero values, not of all 100 (which is 0)
    assert revenue.winsorize(rev, cap).max() == 25.0 and revenue.winsorize(rev, cap).sum() == pytest.approx(10 + 20 + 25 + 25)


def test_cuped_variance_reduction_equals_squared_correlation():
    rng = np.random.default_rng(5)
    n = 20_000
    x = rng.gamma(2.0, 10.0, n)
    variant = pd.Series(np.where(rng.uniform(size=n) < 0.5, "A", "B"))
    y = pd.Series(0.6 * x + rng.normal(0, 10, n) + np.where(variant == "B", 2.0, 0.0))
    res = revenue.cuped(y, pd.Series(x), variant)
    assert res.variance_reduction == pytest.approx(res.correlation**2, abs=1e-10)
    assert res.theta == pytest.approx(0.6, abs=0.02)
    # the adjusted difference in means stays unbiased for the true +2
    adj = res.adjusted.groupby(variant).mean()
    assert adj["B"] - adj["A"] == pytest.approx(2.0, abs=0.25)


def test_normal_mean_draws_from_sums_match_unit_level():
    rng = np.random.default_rng(2)
    values = {"A": rng.exponential(5, 3000), "B": rng.exponential(6, 3000)}
    counts = pd.DataFrame({"variant": ["A", "B"], "units": [3000, 3000], "revenue_sum": [v.sum() for v in values.values()], "revenue_sum_sq": [(v**2).sum() for v in values.values()]})
    d1 = revenue.normal_mean_draws(values, 100_000, seed=1)
    d2 = revenue.normal_mean_draws_from_sums(counts, 100_000, seed=1)
    for v in ("A", "B"):
        assert d1[v].mean() == pytest.approx(d2[v].mean(), rel=1e-9) and d1[v].std() == pytest.approx(d2[v].std(), rel=1e-6)



def test_revenue_model_on_sufficient_statistics_has_the_per_unit_posterior():
    from playbook.abtest import models

    from .factory import experiment

    exp = experiment(units=600, seed=3)
    assert (exp["revenue"] > 0).sum() > 20
    fast, slow = models.revenue_model(exp, "A"), models.revenue_model(exp, "A", per_unit=True)
    logp_fast, logp_slow = fast.compile_logp(), slow.compile_logp()
    rng = np.random.default_rng(0)
    k = exp["variant"].nunique()
    diffs = []
    for _ in range(5):  # same log posterior at random parameter values (same constant: the Gaussian normaliser is included)
        point = {"spend_prob_logodds__": rng.normal(-2, 0.5, k), "log_spend_mu": rng.normal(4, 0.5, k),
                 "log_spend_sigma_log__": rng.normal(-0.5, 0.3, k)}
        diffs.append(float(logp_fast(point)) - float(logp_slow(point)))
    assert np.allclose(diffs, 0.0, atol=1e-8), diffs
    # and the two differ from a model with the wrong statistics
    wrong = exp.assign(revenue=exp["revenue"] * 1.5)
    assert abs(float(models.revenue_model(wrong, "A").compile_logp()(point)) - float(logp_slow(point))) > 1.0
