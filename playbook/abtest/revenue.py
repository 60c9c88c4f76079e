"""Revenue per unit: the pooled winsorization cap, normal-approximation posteriors of the mean, CUPED, moments.

The raw mean is the estimate of revenue per unit; the capped mean estimates revenue per unit with
every order above the pooled cap counted at the cap (less noisy, biased low where large orders are
real); CUPED removes the part of capped revenue that pre-period revenue predicts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.abtest.posterior import DEFAULT_DRAWS

# --------------------------------------------------------------------------- revenue

#: Units an arm needs before the spread of its revenue (and so a posterior of its mean) can be estimated.
MIN_UNITS = 2


def revenue_cap(revenue: pd.Series, quantile: float = 0.99) -> float:
    """The pooled winsorization cap: the ``quantile`` of the non-zero revenue values of all arms."""
    positive = revenue[revenue > 0]
    if positive.empty:
        return 0.0
    return float(positive.quantile(quantile))


def winsorize(revenue: pd.Series, cap: float) -> pd.Series:
    """Revenue with every value above ``cap`` set to ``cap`` (same cap for every arm)."""
    return revenue.clip(upper=cap)


def normal_mean_draws(values_by_variant: Mapping[str, np.ndarray], n_draws: int = DEFAULT_DRAWS, seed: int = 0) -> dict[str, np.ndarray]:
    """Draws of each arm's mean from its large-sample posterior N(mean, var / n) (flat prior)."""
    rng = np.random.default_rng(seed)
    out = {}
    for v, values in values_by_variant.items():
        values = np.asarray(values, float)
        out[v] = rng.normal(values.mean(), values.std(ddof=1) / math.sqrt(len(values)), size=n_draws)
    return out


def normal_mean_draws_from_sums(counts: pd.DataFrame, n_draws: int = DEFAULT_DRAWS, seed: int = 0) -> dict[str, np.ndarray]:
    """Like :func:`normal_mean_draws`, from ``units``, ``revenue_sum`` and ``revenue_sum_sq`` per arm."""
    rng = np.random.default_rng(seed)
    out = {}
    for row in counts.itertuples():
        n = float(row.units)
        mean = row.revenue_sum / n
        var = max(0.0, (row.revenue_sum_sq - n * mean**2) / (n - 1.0))
        out[str(row.variant)] = rng.normal(mean, math.sqrt(var / n), size=n_draws)
    return out


@dataclass
class CupedResult:
    """CUPED adjustment Y − θ (X − mean X): θ, the variance reduction and the adjusted values."""

    theta: float
    variance_reduction: float
    adjusted: pd.Series = field(repr=False)
    correlation: float = 0.0


def cuped(metric: pd.Series, covariate: pd.Series, variant: pd.Series) -> CupedResult:
    """CUPED (Deng et al. 2013): θ = cov(Y, X) / var(X) within arms, pooled; variance reduction = 1 − var(Y_adj) / var(Y).

    Variances are within-arm (pooled over arms), so the reduction equals the squared
    within-arm correlation of metric and covariate. The covariate's grand mean is subtracted,
    so the adjusted arm means stay unbiased for the arm means.
    """
    y = metric.astype(float)
    x = covariate.astype(float)
    yc = y - y.groupby(variant).transform("mean")
    xc = x - x.groupby(variant).transform("mean")
    var_x = float((xc**2).sum())
    if var_x == 0:
        return CupedResult(0.0, 0.0, y.copy(), 0.0)
    theta = float((xc * yc).sum() / var_x)
    adjusted = y - theta * (x - x.mean())
    adj_c = adjusted - adjusted.groupby(variant).transform("mean")
    reduction = 1.0 - float((adj_c**2).sum() / (yc**2).sum())
    corr = float((xc * yc).sum() / math.sqrt(var_x * float((yc**2).sum())))
    return CupedResult(theta, reduction, adjusted, corr)

def revenue_moments(values: pd.Series, variant: pd.Series) -> pd.DataFrame:
    """Units, mean and standard deviation of per-unit revenue per variant (for the Welch test)."""
    g = values.groupby(variant)
    return pd.DataFrame({"units": g.size(), "mean": g.mean(), "std": g.std(ddof=1)}).rename_axis("variant").reset_index()


def revenue_moments_from_sums(counts: pd.DataFrame) -> pd.DataFrame:
    """Like :func:`revenue_moments`, from ``units``, ``revenue_sum`` and ``revenue_sum_sq``."""
    n = counts["units"].astype(float)
    mean = counts["revenue_sum"] / n
    var = ((counts["revenue_sum_sq"] - n * mean**2) / (n - 1)).clip(lower=0)
    return pd.DataFrame({"variant": counts["variant"], "units": counts["units"], "mean": mean, "std": np.sqrt(var)})




#: Share of units whose revenue the concentration check sums (the top 1 %).
TOP_SHARE_UNITS = 0.01


def top_share(values: pd.Series, variant: pd.Series, share: float = TOP_SHARE_UNITS) -> dict[str, float]:
    """Per arm, the share of its revenue that comes from its top ``share`` of units (by revenue; NaN without revenue)."""
    out = {}
    for v, r in values.groupby(variant):
        r = np.sort(r.to_numpy(float))[::-1]
        total = r.sum()
        k = max(1, int(math.ceil(share * len(r))))
        out[str(v)] = float(r[:k].sum() / total) if total > 0 else float("nan")
    return out
