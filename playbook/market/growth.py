"""Market size and growth: YoY growth, CAGR and the underlying (trend) growth rate with its interval.

Definitions (Farris et al., *Marketing Metrics*, ch. 2):

* **YoY growth** = revenue of the last year of periods ÷ revenue of the year before − 1.
* **CAGR** = (revenue of the last year ÷ revenue of the first year) ** (1 / years) − 1, where
  years = (number of periods − periods per year) ÷ periods per year (the distance between the
  centres of the two windows). Whole-year windows keep seasonality out of the ratio.
* **Trend growth**: OLS of log revenue on time and season, with Newey–West errors.

All three need two full years of periods; with less they are NaN (the checks say so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


def yoy_growth(series: pd.Series, periods_per_year: int) -> float:
    """Year-over-year growth (fraction): last ``periods_per_year`` total ÷ the year before − 1.

    NaN when there are fewer than two years of periods or the prior year is zero.
    """
    if len(series) < 2 * periods_per_year:
        return float("nan")
    last = float(series.iloc[-periods_per_year:].sum())
    prior = float(series.iloc[-2 * periods_per_year : -periods_per_year].sum())
    return last / prior - 1 if prior > 0 else float("nan")


def cagr(series: pd.Series, periods_per_year: int) -> tuple[float, float]:
    """(CAGR as a fraction per year, years spanned) from the first and last year of periods.

    years = (periods − periods_per_year) / periods_per_year; the CAGR is NaN for fewer than two
    years of periods (less than one year between the windows' centres) or a first year without revenue.
    """
    n = len(series)
    years = max((n - periods_per_year) / periods_per_year, 0.0)
    if n < 2 * periods_per_year:
        return float("nan"), years
    first = float(series.iloc[:periods_per_year].sum())
    last = float(series.iloc[-periods_per_year:].sum())
    if first <= 0:
        return float("nan"), years
    return (last / first) ** (1 / years) - 1, years


@dataclass(frozen=True)
class TrendGrowth:
    """Underlying yearly growth rate (fraction) of a series, with its confidence interval.

    ``excluded`` counts the periods without revenue left out of the fit; ``rate`` and the interval
    are NaN when the series is too short or has too few positive periods (``n_periods`` used).
    """

    rate: float
    lower: float
    upper: float
    level: float
    n_periods: int
    excluded: int = 0

    @property
    def known(self) -> bool:
        """Whether the rate could be estimated."""
        return bool(np.isfinite(self.rate))

    @property
    def sign(self) -> int:
        """+1 if the whole interval is above 0, −1 if below, 0 if it includes 0 (or is unknown)."""
        if not self.known:
            return 0
        return 1 if self.lower > 0 else -1 if self.upper < 0 else 0


def trend_growth(series: pd.Series, periods_per_year: int, level: float = 0.9) -> TrendGrowth:
    """Underlying yearly growth (fraction) from OLS of log revenue on time and season, with a CI at ``level``.

    Model: log y_t = a + b·t + season(t) + e_t, season by calendar month (monthly data) or six
    Fourier pairs (weekly); Newey–West (HAC) standard errors allow autocorrelated e_t.
    Growth = exp(b · periods_per_year) − 1; the interval transforms b's interval the same way.
    Periods with zero revenue (log undefined: a stock-out) are left out of the fit; time keeps its
    place. Needs two years of periods and more positive periods than parameters + 2, else NaN.
    """
    import statsmodels.api as sm

    values = series.to_numpy(dtype=float)
    positive = values > 0
    t = np.arange(len(values), dtype=float)
    X = _season_design(series.index, t, periods_per_year)
    X.insert(0, "t", t)
    X = sm.add_constant(X, has_constant="add")
    n_fit, excluded = int(positive.sum()), int((~positive).sum())
    if len(values) < 2 * periods_per_year or n_fit < X.shape[1] + 2:
        return TrendGrowth(float("nan"), float("nan"), float("nan"), level, n_fit, excluded)
    y, X = np.log(values[positive]), X.loc[positive].reset_index(drop=True)
    lags = max(1, int(round(4 * (len(y) / 100) ** (2 / 9))))
    fit = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    low, high = fit.conf_int(alpha=1 - level).loc["t"]
    return TrendGrowth(_to_rate(fit.params["t"], periods_per_year), _to_rate(low, periods_per_year),
                       _to_rate(high, periods_per_year), level, n_fit, excluded)


def _to_rate(slope: float, periods_per_year: int) -> float:
    return float(np.expm1(slope * periods_per_year))


def _season_design(index: pd.DatetimeIndex, t: np.ndarray, periods_per_year: int) -> pd.DataFrame:
    if periods_per_year == 12:
        months = pd.Categorical(pd.DatetimeIndex(index).month, categories=range(1, 13))
        return pd.get_dummies(months, prefix="m", drop_first=True, dtype=float).set_axis(range(len(t)))
    cols = {}
    for k in range(1, 7):
        cols[f"sin{k}"] = np.sin(2 * np.pi * k * t / periods_per_year)
        cols[f"cos{k}"] = np.cos(2 * np.pi * k * t / periods_per_year)
    return pd.DataFrame(cols)
