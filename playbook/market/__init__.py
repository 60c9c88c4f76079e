"""Market analysis: size, growth, share, competitors, regions, seasonality and a forecast.

``analyze(panel, our_brand, …)`` takes the loaded ``market`` panel and returns a
:class:`MarketResult`; ``result.results()`` is the public results JSON, ``result.warnings`` the
data warnings, and :mod:`~playbook.market.narrative`, :mod:`~playbook.market.plots` and
:mod:`~playbook.market.tables` turn it into the report. The computation is split into
:mod:`~playbook.market.panel` (periodicity, window, gaps), :mod:`~playbook.market.growth`,
:mod:`~playbook.market.shares`, :mod:`~playbook.market.regions`,
:mod:`~playbook.market.seasonality`, :mod:`~playbook.market.forecast` and the data
:mod:`~playbook.market.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from playbook import io
from playbook.market import checks
from playbook.market.forecast import Backtest, Forecast, forecast_market, rolling_backtest
from playbook.market.growth import TrendGrowth, cagr, trend_growth, yoy_growth
from playbook.market.panel import Frequency, Panel, market_series, positive_for_logs, prepare
from playbook.market.regions import PRIORITY_FORMULA, breakdown, region_table, region_trends
from playbook.market.seasonality import Seasonality, stl_seasonality
from playbook.market.shares import biggest_threat, brand_table, herfindahl, hhi_by_period, share_by_period
from playbook.results import DataWarning

__all__ = ["MarketResult", "analyze", "PRIORITY_FORMULA", "Backtest", "Forecast", "Frequency", "Panel", "Seasonality",
           "TrendGrowth"]


@dataclass
class MarketResult:
    """Every result the market report shows, computed by :func:`analyze`."""

    our_brand: str
    interval: float
    panel: Panel
    series: pd.Series  # market revenue per period
    revenue_last: float
    revenue_prior: float  # NaN without a full prior year
    yoy_growth: float
    cagr: float
    cagr_years: float
    trend: TrendGrowth
    brands: pd.DataFrame
    shares: pd.DataFrame  # rolling one-year shares, period × brand
    hhi: pd.Series
    threat: str | None
    regions: pd.DataFrame
    region_trend: dict[str, TrendGrowth]
    seasonality: Seasonality | None
    forecast: Forecast | None
    backtest: Backtest | None
    breakdowns: dict[str, pd.DataFrame]
    warnings: list[DataWarning] = field(default_factory=list)

    @property
    def freq(self) -> Frequency:
        return self.panel.freq

    @property
    def first_period(self) -> pd.Timestamp:
        return self.series.index[0]

    @property
    def last_period(self) -> pd.Timestamp:
        return self.series.index[-1]

    @property
    def data_period(self) -> tuple[str, str]:
        """(first, last) period as ISO dates, for the results JSON's ``meta``."""
        return f"{self.first_period:%Y-%m-%d}", f"{self.last_period:%Y-%m-%d}"

    @property
    def has_prior_year(self) -> bool:
        """Whether the data hold two full years of periods (YoY growth and what depends on it)."""
        return len(self.series) >= 2 * self.freq.periods_per_year

    @property
    def window(self) -> int:
        """Periods in the 'last year' window: a year, or all periods when the data is shorter."""
        return min(len(self.series), self.freq.periods_per_year)

    @property
    def ours(self) -> pd.Series:
        """Our brand's row of :attr:`brands`."""
        return self.brands.loc[self.brands["brand"] == self.our_brand].iloc[0]

    @property
    def leader(self) -> pd.Series:
        """The brand with the most revenue in the last year (row of :attr:`brands`)."""
        return self.brands.iloc[0]

    @property
    def hhi_now(self) -> float:
        return herfindahl(self.brands["share_last"])

    @property
    def hhi_change(self) -> float:
        """HHI change on the year (NaN without a prior year)."""
        return self.hhi_now - herfindahl(self.brands["share_prior"]) if self.has_prior_year else float("nan")

    @property
    def priority(self) -> pd.Series:
        """The region ranked first for priority (row of :attr:`regions`)."""
        return self.regions.iloc[0]

    def results(self) -> dict:
        """The results JSON: the public keys (README's table) plus supporting detail and the brief lines."""
        from playbook.market import narrative

        fc, bt = self.forecast, self.backtest
        season = self.seasonality
        return {
            "period": {"frequency": self.freq.name, "periods_per_year": self.freq.periods_per_year,
                       "window": self.freq.window_label, "first": self.first_period, "last": self.last_period,
                       "periods": len(self.series)},
            "market": {
                "revenue_last_12m": self.revenue_last,
                "revenue_prior_12m": self.revenue_prior,
                "yoy_growth": self.yoy_growth,
                "cagr": self.cagr,
                "cagr_years": self.cagr_years,
                "trend_growth": self.trend.rate,
                "trend_growth_lower": self.trend.lower,
                "trend_growth_upper": self.trend.upper,
                "trend_growth_level": self.trend.level,
                "hhi_last_12m": self.hhi_now,
                "hhi_change": self.hhi_change,
            },
            "our_brand": self.our_brand,
            "biggest_threat": self.threat,
            "brands": {
                row["brand"]: {
                    "revenue_last_12m": row["revenue_last"],
                    "share_last_12m": row["share_last"],
                    "share_prior_12m": row["share_prior"],
                    "share_change_pp": row["share_change_pp"],
                    "yoy_growth": row["yoy_growth"],
                    "share_of_growth": row["share_of_growth"],
                    "avg_price": row["avg_price"],
                    "relative_price": row["relative_price"],
                    "relative_share": row["relative_share"],
                }
                for _, row in self.brands.iterrows()
            },
            "regions": {
                row["region"]: {
                    "revenue_last_12m": row["revenue_last"],
                    "yoy_growth": row["yoy_growth"],
                    "trend_growth": self.region_trend[row["region"]].rate,
                    "trend_growth_lower": self.region_trend[row["region"]].lower,
                    "trend_growth_upper": self.region_trend[row["region"]].upper,
                    "our_share": row["our_share"],
                    "our_share_change_pp": row["our_share_change_pp"],
                    "leader": row["leader"],
                    "target_share": row["target_share"],
                    "headroom": row["headroom"],
                    "priority_score": row["priority_score"],
                    "priority_rank": row["priority_rank"],
                }
                for _, row in self.regions.iterrows()
            },
            "priority_formula": PRIORITY_FORMULA,
            "seasonality": {
                "peak_months": season.peak_months if season else [],
                "trough_month": season.trough_month if season else None,
                "strength": season.strength if season else None,
                "seasonal_index": season.seasonal_index if season else {},
            },
            "forecast": fc.table[["period", "mean", "lower", "upper"]] if fc else [],
            "forecast_model": {
                "model": fc.model if fc else None,
                "level": self.interval,
                "aicc": fc.aicc if fc else None,
                "total": {"periods": fc.horizon, "mean": fc.total, "lower": fc.total_lower, "upper": fc.total_upper} if fc else None,
                "backtest_periods": bt.periods if bt else 0,
                "backtest_mape": bt.mape if bt else None,
                "seasonal_naive_mape": bt.seasonal_naive_mape if bt else None,
                # coverage of the published interval: the calibrated one when calibrated
                "interval_coverage": (bt.coverage_calibrated if fc and fc.interval_method == "conformal"
                                      else bt.coverage_model) if bt else None,
                "interval_method": fc.interval_method if fc else None,
                "backtest_origins": bt.origins if bt else 0,
                "backtest_min_train": bt.min_train if bt else None,
                "coverage_before": bt.coverage_model if bt else None,
                "coverage_after": bt.coverage_calibrated if bt else None,
                "by_horizon": bt.by_horizon if bt else [],
                "model_interval": fc.table[["period", "model_lower", "model_upper"]].rename(
                    columns={"model_lower": "lower", "model_upper": "upper"}) if fc else [],
            },
            **{f"{column}_breakdown": {
                row[column]: {k: row[k] for k in ("revenue_last", "size_share", "yoy_growth", "our_share", "our_share_change_pp")}
                for _, row in table.iterrows()} for column, table in self.breakdowns.items()},
            "brief": narrative.brief(self),
        }


def analyze(
    panel: pd.DataFrame,
    our_brand: str,
    period_start: str = "",
    period_end: str = "",
    forecast_periods: int = 12,
    backtest_origins: int = 40,
    interval: float = 0.9,
    target_share: float | None = None,
) -> MarketResult:
    """Run the whole market analysis on a validated ``market`` panel; returns :class:`MarketResult`.

    ``interval`` is the mass of every interval (trend-growth confidence intervals, the forecast's
    prediction interval and its calibration). The forecast's interval is calibrated on a
    rolling-origin backtest (horizons 1 … ``forecast_periods``, at most ``backtest_origins``
    origins; 0 skips the backtest and publishes the model's own interval); ``forecast_periods=0``
    skips the forecast. Legal data never raise: what they break is in ``result.warnings``. Raises
    ``ValueError`` only for settings: ``our_brand`` not a brand of the panel, or a window
    (``period_start``, ``period_end``) that leaves fewer than two periods.
    """
    prepared = prepare(panel, period_start, period_end)
    df, periods, freq = prepared.frame, prepared.calendar, prepared.freq
    brands_present = sorted(df["brand"].unique())
    if our_brand not in brands_present:
        raise ValueError(f"our_brand {our_brand!r} is not a brand of the panel; brands: {', '.join(brands_present)}; "
                         "pass -p our_brand=...")
    ppy = freq.periods_per_year
    series = market_series(df, periods)
    merged = io.loaded_warnings(panel)
    warnings = merged + checks.data_warnings(prepared, panel.attrs.get("source", "market.csv"))
    brands = brand_table(df, periods, ppy, our_brand)
    shares = share_by_period(df, window=min(ppy, len(series)))
    modelled = positive_for_logs(series)
    two_years = len(series) >= 2 * ppy and bool((series > 0).any())
    bt = (rolling_backtest(modelled, ppy, forecast_periods, interval, max_origins=backtest_origins)
          if two_years and forecast_periods > 0 and backtest_origins > 0 and len(series) > 2 * ppy else None)
    growth_rate, years = cagr(series, ppy)
    return MarketResult(
        our_brand=our_brand,
        interval=interval,
        panel=prepared,
        series=series,
        revenue_last=float(series.iloc[-ppy:].sum()),
        revenue_prior=float(series.iloc[-2 * ppy : -ppy].sum()) if len(series) >= 2 * ppy else float("nan"),
        yoy_growth=yoy_growth(series, ppy),
        cagr=growth_rate,
        cagr_years=years,
        trend=trend_growth(series, ppy, interval),
        brands=brands,
        shares=shares,
        hhi=hhi_by_period(shares),
        threat=biggest_threat(brands, our_brand),
        regions=region_table(df, periods, our_brand, ppy, target_share),
        region_trend=region_trends(df, periods, ppy, interval),
        seasonality=stl_seasonality(modelled, ppy) if two_years else None,
        forecast=(forecast_market(modelled, ppy, forecast_periods, interval, bt.calibration if bt else None)
                  if two_years and forecast_periods > 0 else None),
        backtest=bt,
        breakdowns={c: breakdown(df, periods, c, our_brand, ppy) for c in ("category", "channel") if c in prepared.ids},
        warnings=warnings,
    )

