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
    units = pd.Series(np.concatenate(list(values.values())))
    variant = pd.Series(["A"] * 3000 + ["B"] * 3000)
    d1 = revenue.normal_mean_draws_from_moments(revenue.revenue_moments(units, variant), ["A", "B"], 100_000, seed=1)
    d2 = revenue.normal_mean_draws_from_moments(revenue.revenue_moments_from_sums(counts), ["A", "B"], 100_000, seed=1)
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


def _per_unit_cuped(y: pd.Series, x: pd.Series, variant: pd.Series):
    """The per-unit group-by CUPED the sufficient-statistic version replaced."""
    yc = y - y.groupby(variant).transform("mean")
    xc = x - x.groupby(variant).transform("mean")
    theta = float((xc * yc).sum() / (xc**2).sum())
    adjusted = y - theta * (x - x.mean())
    adj_c = adjusted - adjusted.groupby(variant).transform("mean")
    return theta, 1.0 - float((adj_c**2).sum() / (yc**2).sum()), adjusted, float((xc * yc).sum() / np.sqrt((xc**2).sum() * (yc**2).sum()))


@pytest.mark.parametrize("categorical", [False, True])
def test_sufficient_statistic_cuped_equals_per_unit_cuped(categorical):
    rng = np.random.default_rng(8)
    n = 50_000
    variant = pd.Series(rng.choice(["A", "B", "C", "D"], n))
    if categorical:
        variant = variant.astype("category")
    x = pd.Series(np.where(rng.uniform(size=n) < 0.3, rng.lognormal(4.0, 0.8, n), 0.0))
    y = pd.Series(np.where(rng.uniform(size=n) < 0.1, 0.4 * x + rng.lognormal(3.5, 0.6, n), 0.0) + np.where(variant == "B", 1.5, 0.0))
    res = revenue.cuped(y, x, variant)
    theta, reduction, adjusted, corr = _per_unit_cuped(y, x, variant.astype(str))
    assert res.theta == pytest.approx(theta, rel=1e-9)
    assert res.variance_reduction == pytest.approx(reduction, rel=1e-9)
    assert res.correlation == pytest.approx(corr, rel=1e-9)
    np.testing.assert_allclose(res.adjusted.to_numpy(), adjusted.to_numpy(), rtol=1e-9)


def test_revenue_moments_and_top_share_equal_the_group_by():
    rng = np.random.default_rng(9)
    n = 30_000
    variant = pd.Series(rng.choice(["B", "A", "C"], n)).astype("category")
    values = pd.Series(np.where(rng.uniform(size=n) < 0.05, rng.lognormal(4.0, 1.0, n), 0.0))
    m = revenue.revenue_moments(values, variant).set_index("variant")
    g = values.groupby(variant.astype(str))
    np.testing.assert_allclose(m["mean"], g.mean(), rtol=1e-12)
    np.testing.assert_allclose(m["std"], g.std(ddof=1), rtol=1e-12)
    assert list(m.index) == ["A", "B", "C"] and (m["units"] == g.size()).all()
    share = revenue.top_share(values, variant)
    for v, r in g:
        r = np.sort(r.to_numpy())[::-1]
        assert share[v] == pytest.approx(r[: int(np.ceil(0.01 * len(r)))].sum() / r.sum(), rel=1e-12)
    # more top units than units with revenue: the zeros (and any refunds) join the top
    small = pd.Series([5.0, 0.0, -1.0, 0.0] * 50)
    assert revenue._top_sum(small.to_numpy(), 60) == pytest.approx(np.sort(small.to_numpy())[::-1][:60].sum())


def test_mean_posterior_table_is_closed_form_far_from_zero_and_draws_near_it():
    far = pd.DataFrame({"variant": ["A", "B"], "units": [10_000, 10_000], "mean": [13.0, 13.5], "std": [40.0, 41.0]})
    t = revenue.mean_posterior_table(far, ["A", "B"], "A", 0.9, 0.05, n_draws=1000, seed=1)
    assert t.loc[0, "revenue_per_unit_hdi_low"] == pytest.approx(13.0 - 1.6448536269514722 * 0.4, abs=1e-12)
    near = pd.DataFrame({"variant": ["A", "B"], "units": [10, 10], "mean": [0.5, 0.6], "std": [1.0, 1.0]})
    t2 = revenue.mean_posterior_table(near, ["A", "B"], "A", 0.9, 0.05, n_draws=1000, seed=1)
    want = revenue.normal_mean_draws_from_moments(near, ["A", "B"], 1000, 1)
    assert t2.loc[0, "revenue_per_unit_mean"] == pytest.approx(want["A"].mean(), abs=1e-12)
