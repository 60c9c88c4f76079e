"""Seasonality: STL decomposition of log revenue and a multiplicative seasonal index per calendar month."""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np
import pandas as pd

MONTH_NAMES: tuple[str, ...] = tuple(calendar.month_name[m] for m in range(1, 13))


@dataclass
class Seasonality:
    """STL decomposition of log revenue and the seasonal index (multiplicative, mean 1) by month."""

    components: pd.DataFrame  # period, observed, trend, seasonal_factor, remainder_factor
    seasonal_index: pd.Series  # index: month name (January …), multiplicative, mean 1
    peak_months: list[str]
    trough_month: str
    strength: float  # 0 (none) … 1 (pure seasonality): max(0, 1 − var(R) / var(S + R))
    period: int
    robust: bool = True

    @property
    def peak(self) -> float:
        """How far the highest month sits above the trend (fraction): max index − 1."""
        return float(self.seasonal_index.max() - 1)

    @property
    def trough(self) -> float:
        """How far the lowest month sits below the trend (fraction, negative): min index − 1."""
        return float(self.seasonal_index.min() - 1)


def stl_seasonality(series: pd.Series, periods_per_year: int, robust: bool = True, n_peaks: int = 2) -> Seasonality:
    """STL (statsmodels, robust LOESS) of log revenue; seasonal index per calendar month, mean 1.

    Decomposing the log makes the seasonality multiplicative (a December that is 30% above
    trend stays 30% above as the market grows). The index averages exp(seasonal) over the
    periods of each calendar month and is rescaled to mean 1 across months; ``peak_months``
    are the ``n_peaks`` highest months. Seasonal strength follows Wang, Smith & Hyndman (2006).
    Needs at least two full years of periods and positive revenue in every period (see
    :func:`playbook.market.panel.positive_for_logs`).
    """
    from statsmodels.tsa.seasonal import STL

    if len(series) < 2 * periods_per_year:
        raise ValueError(f"STL needs at least two years ({2 * periods_per_year} periods); found {len(series)}")
    y = np.log(series.astype(float))
    if not np.all(np.isfinite(y)):
        raise ValueError("seasonality needs strictly positive revenue in every period")
    res = STL(y, period=periods_per_year, robust=robust).fit()
    comps = pd.DataFrame(
        {
            "period": series.index,
            "observed": series.to_numpy(dtype=float),
            "trend": np.exp(res.trend.to_numpy()),
            "seasonal_factor": np.exp(res.seasonal.to_numpy()),
            "remainder_factor": np.exp(res.resid.to_numpy()),
        }
    )
    by_month = comps.groupby(comps["period"].dt.month)["seasonal_factor"].mean()
    index = (by_month / by_month.mean()).rename(lambda m: MONTH_NAMES[m - 1])
    index.index.name = "month"
    index.name = "seasonal_index"
    var_r = float(np.var(res.resid))
    var_sr = float(np.var(res.seasonal + res.resid))
    strength = max(0.0, 1 - var_r / var_sr) if var_sr > 0 else 0.0
    ranked = index.sort_values(ascending=False)
    return Seasonality(comps, index, list(ranked.index[:n_peaks]), str(ranked.index[-1]), strength, periods_per_year, robust)
