"""The ``lift_tests.csv`` hand-off to the MMM: one PyMC-Marketing lift-test row from a spend-holdout experiment."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from playbook.abtest import ABTestResult


# --------------------------------------------------------------------------- lift test hand-off


def lift_test_row(
    channel: str,
    kpi_per_unit_on: np.ndarray,
    kpi_per_unit_off: np.ndarray,
    spend_per_period: float,
    units_per_period: float,
    spend_share_kept: float = 0.0,
) -> pd.DataFrame:
    """One row of ``lift_tests.csv`` in PyMC-Marketing's format: channel, x, delta_x, delta_y, sigma.

    The experiment is a spend holdout: the control arm saw the channel at its normal spend
    ``spend_per_period`` (currency per MMM period, e.g. per week) and the holdout arm at
    ``spend_share_kept`` × that (0 = channel dark). PyMC-Marketing compares the saturation curve
    at ``x`` and ``x + delta_x``, so ``x`` = spend in the holdout arm = ``spend_share_kept`` ×
    ``spend_per_period`` and ``delta_x`` = ``spend_per_period`` − ``x`` (> 0). ``delta_y`` = the
    KPI per unit of the ads-on arm minus that of the holdout arm, times ``units_per_period`` (the
    units the MMM's KPI covers per period), i.e. the KPI per period the spend difference buys;
    ``sigma`` is its posterior standard deviation. ``kpi_per_unit_on`` / ``_off`` are posterior
    draws (same length, independent arms).
    """
    if not channel:
        raise ValueError("channel must name the held-out channel")
    if spend_per_period <= 0 or units_per_period <= 0:
        raise ValueError(f"spend_per_period and units_per_period must be > 0, got {spend_per_period} and {units_per_period}")
    if not 0 <= spend_share_kept < 1:
        raise ValueError(f"spend_share_kept must be in [0, 1), got {spend_share_kept}")
    diff = (np.asarray(kpi_per_unit_on, float) - np.asarray(kpi_per_unit_off, float)) * units_per_period
    x = spend_share_kept * spend_per_period
    return pd.DataFrame(
        [{"channel": channel, "x": float(x), "delta_x": float(spend_per_period - x), "delta_y": float(diff.mean()), "sigma": float(diff.std(ddof=1))}]
    )


def units_per_period(total_units: int, days: float | None, periods: float = 0.0, period_days: float = 7.0) -> float:
    """Units per MMM period: ``total_units`` / ``periods`` (or / (days / ``period_days``) when ``periods`` is 0)."""
    if periods and periods > 0:
        return total_units / periods
    if not days:
        raise ValueError("without assigned_at, set holdout_periods (how many MMM periods the test ran) or holdout_units_per_period")
    return total_units / (days / period_days)


def holdout_lift_test(
    result: ABTestResult,
    channel: str,
    spend_per_period: float,
    holdout_variant: str = "",
    kpi: str = "revenue",
    spend_share_kept: float = 0.0,
    periods: float = 0.0,
    units_per_period_: float = 0.0,
) -> pd.DataFrame:
    """The ``lift_tests.csv`` row for a spend-holdout experiment (see :func:`lift_test_row`).

    The control arm had the channel on; ``holdout_variant`` (default: the first other variant)
    had it at ``spend_share_kept`` of normal. ``kpi`` is ``"revenue"`` (revenue per unit draws
    from the revenue model, else the raw-mean posterior) or ``"conversions"`` (rate draws).
    Units per period: ``units_per_period_`` if > 0, else all units / ``periods`` (or / weeks
    of the test when ``periods`` is 0).
    """
    names = list(result.conversion.table["variant"])
    off = holdout_variant or names[1]
    if off not in names or off == result.control:
        raise ValueError(f"holdout_variant must be a non-control variant of {names}, got {off!r}")
    if kpi == "conversions":
        draws = result.conversion.draws
    elif kpi == "revenue":
        if result.revenue is None:
            raise ValueError("kpi='revenue' needs revenue in the experiment data")
        draws = result.revenue_model.draws if result.revenue_model is not None else None
        if draws is None:
            raise ValueError("kpi='revenue' needs the revenue model (unit-level data, draws > 0)")
    else:
        raise ValueError(f"kpi must be 'revenue' or 'conversions', got {kpi!r}")
    per_period = units_per_period_ if units_per_period_ > 0 else units_per_period(int(result.counts["units"].sum()), result.days, periods)
    return lift_test_row(channel, draws[result.control], draws[off], spend_per_period, per_period, spend_share_kept)
