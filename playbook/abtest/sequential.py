"""Always-valid intervals for looking every day: asymptotic confidence sequences (Waudby-Smith et al. 2021).

A fixed-horizon interval is valid at one planned look; read daily and stopped at the first time it
excludes zero, it ships far too many false winners. An asymptotic confidence sequence holds its
coverage at every look at once. For a difference estimate with variance ``var`` (of the estimate)
over ``N = n_control + n_variant`` units and error rate ``alpha``, the half-width is (their eq. 9)::

    sqrt(var · N) · sqrt( 2 (N ρ² + 1) · ln( sqrt(N ρ² + 1) / alpha ) / (N ρ)² )

with ``ρ = sqrt( (−2 ln alpha + ln(−2 ln alpha + 1)) / N* )`` (eq. 161). The tuning value ``N*`` is
the total sample size at which the sequence is tightest (GrowthBook's default: 5,000). The relative
uplift θ_k / θ_c − 1 and its variance come from the delta method, as in GrowthBook's
``SequentialTwoSidedTTest``; with a control that has no conversions (or no revenue) the relative
uplift is undefined and the absolute difference decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: GrowthBook's default tuning value N* (total units at which the sequence is tightest).
DEFAULT_TUNING = 5000.0
#: Two-sided error rate of the always-valid intervals (GrowthBook's default).
DEFAULT_ALPHA = 0.05


def rho(tuning: float, alpha: float) -> float:
    """The mixing parameter ρ that makes the sequence tightest at ``tuning`` total units (eq. 161)."""
    if tuning <= 0:
        raise ValueError(f"the sequential tuning value must be > 0 (total units), got {tuning}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    a = -2.0 * math.log(alpha)
    return math.sqrt((a + math.log(a + 1.0)) / tuning)


def half_width(variance: float, n_total: float, alpha: float = DEFAULT_ALPHA, tuning: float = DEFAULT_TUNING) -> float:
    """Half-width of the asymptotic confidence sequence of an estimate with ``variance`` after ``n_total`` units (eq. 9)."""
    if n_total <= 0 or not math.isfinite(variance):
        return math.inf
    r = rho(tuning, alpha)
    nr2 = n_total * r * r
    return math.sqrt(variance * n_total) * math.sqrt(2.0 * (nr2 + 1.0) * math.log(math.sqrt(nr2 + 1.0) / alpha) / (nr2 * n_total))


def fixed_half_width(variance: float, alpha: float = DEFAULT_ALPHA) -> float:
    """Half-width of the fixed-horizon (one look) normal interval at the same ``alpha``, for comparison."""
    from scipy import stats

    return float(stats.norm.ppf(1 - alpha / 2) * math.sqrt(variance))


def difference(mean_c: float, var_c: float, n_c: float, mean_k: float, var_k: float, n_k: float) -> dict[str, float]:
    """Absolute and relative difference of two means with their variances (delta method for the relative one).

    ``var_*`` are per-unit variances. The relative entries are NaN when the control's mean is 0.
    """
    abs_est = mean_k - mean_c
    abs_var = var_k / n_k + var_c / n_c
    if mean_c > 0:
        rel_est = mean_k / mean_c - 1.0
        rel_var = var_k / (n_k * mean_c**2) + var_c * mean_k**2 / (n_c * mean_c**4)
    else:
        rel_est = rel_var = math.nan
    return {"abs": abs_est, "abs_var": abs_var, "rel": rel_est, "rel_var": rel_var}


@dataclass
class SequentialInterval:
    """The always-valid interval of one variant against the control, and whether it excludes zero (and which way)."""

    variant: str
    uplift: float  # relative (NaN when the control's mean is 0)
    uplift_low: float
    uplift_high: float
    abs_diff: float
    abs_low: float
    abs_high: float
    direction: int  # +1: the interval lies above zero, −1: below, 0: it includes zero

    @property
    def significant(self) -> bool:
        return self.direction != 0

    def as_dict(self) -> dict:
        def clean(x):
            return None if not math.isfinite(x) else float(x)
        return {"uplift": clean(self.uplift), "uplift_low": clean(self.uplift_low), "uplift_high": clean(self.uplift_high),
                "abs_diff": clean(self.abs_diff), "abs_low": clean(self.abs_low), "abs_high": clean(self.abs_high),
                "significant": self.significant, "direction": self.direction}


def interval(variant: str, mean_c: float, var_c: float, n_c: float, mean_k: float, var_k: float, n_k: float,
             alpha: float = DEFAULT_ALPHA, tuning: float = DEFAULT_TUNING) -> SequentialInterval:
    """The always-valid interval of variant k against the control from per-arm means, per-unit variances and units.

    The relative interval decides when the control's mean is positive (as GrowthBook does); otherwise the
    absolute one.
    """
    d = difference(mean_c, var_c, n_c, mean_k, var_k, n_k)
    n = n_c + n_k
    hw_abs = half_width(d["abs_var"], n, alpha, tuning)
    hw_rel = half_width(d["rel_var"], n, alpha, tuning) if math.isfinite(d["rel_var"]) else math.nan
    rel_low, rel_high = d["rel"] - hw_rel, d["rel"] + hw_rel
    abs_low, abs_high = d["abs"] - hw_abs, d["abs"] + hw_abs
    low, high = (rel_low, rel_high) if math.isfinite(d["rel"]) else (abs_low, abs_high)
    direction = 1 if low > 0 else (-1 if high < 0 else 0)
    return SequentialInterval(variant, d["rel"], rel_low, rel_high, d["abs"], abs_low, abs_high, direction)


@dataclass
class SequentialResult:
    """Always-valid intervals of every variant against the control: conversion and (when known) revenue per unit."""

    tuning: float
    alpha: float
    variants: dict[str, SequentialInterval]
    revenue: dict[str, SequentialInterval] | None = None

    def as_dict(self) -> dict:
        out = {"tuning": self.tuning, "alpha": self.alpha, "method": "asymptotic confidence sequence (Waudby-Smith et al. 2021), relative uplift by the delta method",
               "variants": {v: s.as_dict() for v, s in self.variants.items()}}
        if self.revenue is not None:
            out["revenue"] = {"variants": {v: s.as_dict() for v, s in self.revenue.items()}}
        return out


def conversion_intervals(counts: pd.DataFrame, control: str, alpha: float = DEFAULT_ALPHA, tuning: float = DEFAULT_TUNING) -> dict[str, SequentialInterval]:
    """Always-valid intervals of each variant's conversion rate against the control (Bernoulli variance p(1 − p))."""
    c = counts.set_index("variant")
    n_c = float(c.loc[control, "units"])
    p_c = float(c.loc[control, "conversions"]) / n_c if n_c else math.nan
    out = {}
    for v in c.index:
        if v == control:
            continue
        n_k = float(c.loc[v, "units"])
        p_k = float(c.loc[v, "conversions"]) / n_k if n_k else math.nan
        out[str(v)] = interval(str(v), p_c, p_c * (1 - p_c), n_c, p_k, p_k * (1 - p_k), n_k, alpha, tuning)
    return out


def mean_intervals(moments: pd.DataFrame, control: str, alpha: float = DEFAULT_ALPHA, tuning: float = DEFAULT_TUNING) -> dict[str, SequentialInterval]:
    """Always-valid intervals of each variant's mean (revenue per unit) against the control from ``variant, units, mean, std``."""
    m = moments.set_index("variant")
    out = {}
    for v in m.index:
        if v == control:
            continue
        out[str(v)] = interval(str(v), float(m.loc[control, "mean"]), float(m.loc[control, "std"]) ** 2, float(m.loc[control, "units"]),
                               float(m.loc[v, "mean"]), float(m.loc[v, "std"]) ** 2, float(m.loc[v, "units"]), alpha, tuning)
    return out


def analyze(counts: pd.DataFrame, control: str, moments: pd.DataFrame | None = None, alpha: float = DEFAULT_ALPHA,
            tuning: float = DEFAULT_TUNING) -> SequentialResult:
    """The :class:`SequentialResult` of the experiment: conversion, and revenue per unit when ``moments`` are given."""
    rev = mean_intervals(moments, control, alpha, tuning) if moments is not None else None
    return SequentialResult(float(tuning), float(alpha), conversion_intervals(counts, control, alpha, tuning), rev)


def ship_direction(n_c: np.ndarray, k_c: np.ndarray, n_k: np.ndarray, k_k: np.ndarray, alpha: float, tuning: float) -> np.ndarray:
    """Vectorised direction (+1, −1, 0) of the conversion interval for the A/A simulation (relative uplift)."""
    p_c, p_k = k_c / n_c, k_k / n_k
    n = n_c + n_k
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = p_k / p_c - 1.0
        var = p_k * (1 - p_k) / (n_k * p_c**2) + p_c * (1 - p_c) * p_k**2 / (n_c * p_c**4)
        r = rho(tuning, alpha)
        nr2 = n * r * r
        hw = np.sqrt(var * n) * np.sqrt(2.0 * (nr2 + 1.0) * np.log(np.sqrt(nr2 + 1.0) / alpha) / (nr2 * n))
    low, high = rel - hw, rel + hw
    return np.where(np.isfinite(low) & (low > 0), 1, np.where(np.isfinite(high) & (high < 0), -1, 0))
