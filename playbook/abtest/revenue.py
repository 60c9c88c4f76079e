"""Revenue per unit: the pooled winsorization cap, normal-approximation posteriors of the mean, CUPED, moments.

The raw mean is the estimate of revenue per unit; the capped mean estimates revenue per unit with
every order above the pooled cap counted at the cap (less noisy, biased low where large orders are
real); CUPED removes the part of capped revenue that pre-period revenue predicts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.abtest.checks import arm_codes
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


def normal_mean_draws_from_moments(moments: pd.DataFrame, arms: list[str], n_draws: int = DEFAULT_DRAWS, seed: int = 0) -> dict[str, np.ndarray]:
    """Draws of each arm's mean from its large-sample posterior N(mean, std² / units) (flat prior), from ``units``, ``mean``
    and ``std`` per arm (:func:`revenue_moments`), arms in the order given."""
    rng = np.random.default_rng(seed)
    m = moments.set_index("variant")
    return {v: rng.normal(float(m.loc[v, "mean"]), float(m.loc[v, "std"]) / math.sqrt(float(m.loc[v, "units"])), size=n_draws) for v in arms}


def mean_posterior_table(moments: pd.DataFrame, arms: list[str], control: str, interval: float = 0.9, mde: float = 0.0,
                         n_draws: int = DEFAULT_DRAWS, seed: int = 0, value_name: str = "revenue_per_unit") -> pd.DataFrame:
    """The posterior table of each arm's mean under its normal approximation N(mean, std² / units) (flat prior).

    In closed form (:func:`~playbook.abtest.posterior.summarize_normal`) when the control's mean lies far
    from zero, as the relative uplift needs; otherwise from ``n_draws`` seeded draws (:func:`~playbook.abtest.posterior.summarize_draws`).
    """
    from playbook.abtest.posterior import normal_closed_form_ok, summarize_draws, summarize_normal

    m = moments.set_index("variant").loc[arms]
    sd = m["std"] / np.sqrt(m["units"].astype(float))
    if normal_closed_form_ok(m["mean"].to_numpy(float), sd.to_numpy(float)) and arms[0] == control:
        return summarize_normal(dict(zip(arms, m["mean"])), dict(zip(arms, sd)), control, interval, mde, value_name)
    return summarize_draws(normal_mean_draws_from_moments(moments, arms, n_draws, seed), control, interval, mde, value_name)


@dataclass
class CupedResult:
    """CUPED adjustment Y − θ (X − mean X): θ, the variance reduction and the adjusted values."""

    theta: float
    variance_reduction: float
    adjusted: pd.Series = field(repr=False)
    correlation: float = 0.0


def arm_sums(values: np.ndarray, codes: np.ndarray, n_arms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units, mean and within-arm sum of squared deviations per arm code, in two passes (``bincount``; exact centring, no Σx² − n x̄²)."""
    n = np.bincount(codes, minlength=n_arms).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(codes, weights=values, minlength=n_arms) / n
    dev = values - mean[codes]
    return n, mean, np.bincount(codes, weights=dev * dev, minlength=n_arms)


def cuped(metric: pd.Series, covariate: pd.Series, variant: pd.Series) -> CupedResult:
    """CUPED (Deng et al. 2013): θ = cov(Y, X) / var(X) within arms, pooled; variance reduction = 1 − var(Y_adj) / var(Y).

    Variances are within-arm (pooled over arms), so the reduction equals the squared
    within-arm correlation of metric and covariate. The covariate's grand mean is subtracted,
    so the adjusted arm means stay unbiased for the arm means. Computed from each arm's sufficient
    statistics (means, then centred sums of squares and cross-products by ``bincount`` over one
    factorisation of ``variant``), equal to the per-unit group-by computation to rounding (tested).
    """
    y = metric.to_numpy(float)
    x = covariate.to_numpy(float)
    codes, names = arm_codes(variant)
    ok = codes >= 0  # a unit without an arm is left out of the within-arm sums, as a group-by leaves it
    c, yy, xx = (codes, y, x) if ok.all() else (codes[ok], y[ok], x[ok])
    _, mean_y, syy = arm_sums(yy, c, len(names))
    _, mean_x, sxx = arm_sums(xx, c, len(names))
    yc, xc = yy - mean_y[c], xx - mean_x[c]
    var_x, var_y = float(sxx.sum()), float(syy.sum())
    if var_x == 0:
        return CupedResult(0.0, 0.0, metric.astype(float).copy(), 0.0)
    sxy = float(np.dot(xc, yc))
    theta = sxy / var_x
    adjusted = pd.Series(y - theta * (x - x.mean()), index=metric.index, name=metric.name)
    # within-arm sum of squares of Y − θ X (the grand-mean shift is constant): Syy − 2θ Sxy + θ² Sxx
    reduction = 1.0 - (var_y - 2.0 * theta * sxy + theta**2 * var_x) / var_y
    corr = float(sxy / math.sqrt(var_x * var_y))
    return CupedResult(theta, float(reduction), adjusted, corr)


def revenue_moments(values: pd.Series, variant: pd.Series) -> pd.DataFrame:
    """Units, mean and standard deviation (ddof 1) of per-unit ``values`` per variant (sorted), from one factorisation and
    ``bincount`` (for the Welch test and the normal posteriors of the mean)."""
    codes, names = arm_codes(variant)
    v = values.to_numpy(float)
    ok = codes >= 0
    if not ok.all():
        codes, v = codes[ok], v[ok]
    n, mean, ss = arm_sums(v, codes, len(names))
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt(ss / (n - 1.0))
    std[n < 2] = np.nan
    return pd.DataFrame({"variant": names, "units": n.astype(np.int64), "mean": mean, "std": std})


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
    codes, names = arm_codes(variant)
    v = values.to_numpy(float)
    out = {}
    for i, name in enumerate(names):
        r = v[codes == i]
        total = r.sum()
        k = max(1, int(math.ceil(share * len(r))))
        out[name] = float(_top_sum(r, k) / total) if total > 0 else float("nan")
    return out


def _top_sum(values: np.ndarray, k: int) -> float:
    """The sum of the ``k`` largest values (partitions only the positive values when they hold the top ``k``, as they do for revenue)."""
    pos = values[values > 0]
    if k <= len(pos):
        return float(np.partition(pos, len(pos) - k)[len(pos) - k:].sum())
    rest = values[~(values > 0)]
    j = k - len(pos)
    return float(pos.sum() + np.partition(rest, len(rest) - j)[len(rest) - j:].sum())
