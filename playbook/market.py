"""Market analysis: size, growth, share, competitors, regions, seasonality and a forecast.

Input is the ``market`` contract: one row per period, region and brand (and optionally category
and channel) with revenue and units. Periods are months or weeks; :func:`detect_frequency` says
which. Every "last 12 months" quantity means the last *year of periods*: 12 months or 52 weeks.

Definitions (Farris et al., *Marketing Metrics*, ch. 2):

* **YoY growth** = revenue of the last year of periods ÷ revenue of the year before − 1.
* **CAGR** = (revenue of the last year ÷ revenue of the first year) ** (1 / years) − 1, where
  years = (number of periods − periods per year) ÷ periods per year (the distance between the
  centres of the two windows). Using whole-year windows keeps seasonality out of the ratio.
* **Share** = brand revenue ÷ market revenue in the window; **share change** in percentage
  points (pp) = 100 × (share last year − share the year before).
* **Share of growth** = the brand's revenue change ÷ the market's revenue change.
* **Relative share** = share ÷ share of the largest other brand.
* **Average price** = revenue ÷ units; **relative price** = average price ÷ market average price.
* **Herfindahl–Hirschman index (HHI)** = 10,000 × Σ share², from 0 (fragmented) to 10,000
  (monopoly).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MONTH_NAMES: tuple[str, ...] = tuple(calendar.month_name[m] for m in range(1, 13))

PRIORITY_FORMULA = (
    "priority score = market revenue of the last 12 months × (1 + YoY growth) × "
    "max(target share − our share, 0); target share = the leading competitor's share in that region "
    "unless a target is set. It is the yearly revenue we would add by reaching the target share "
    "in next year's market, if the region keeps growing at its current rate. "
    "Headroom is the same gap in today's market: market revenue × max(target share − our share, 0)."
)


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Frequency:
    """How often the panel is observed: ``monthly`` (12 periods a year) or ``weekly`` (52)."""

    name: str
    periods_per_year: int
    pandas_freq: str
    unit: str

    @property
    def window_label(self) -> str:
        """``"12 months"`` or ``"52 weeks"``."""
        return f"{self.periods_per_year} {self.unit}s"


def detect_frequency(periods: pd.Series | pd.DatetimeIndex) -> Frequency:
    """The panel's frequency (monthly or weekly), from the spacing of its distinct periods.

    Monthly: consecutive periods 28–31 days apart. Weekly: exactly 7 days apart (a multiple of
    7 where weeks are missing). Anything else raises ``ValueError`` naming the spacing found.
    """
    values = pd.DatetimeIndex(pd.unique(pd.to_datetime(pd.Series(periods)).dropna())).sort_values()
    if len(values) < 2:
        raise ValueError(f"need at least two distinct periods to tell months from weeks; found {len(values)}")
    gaps = np.asarray((values[1:] - values[:-1]) / pd.Timedelta(days=1), dtype=float)
    median = float(np.median(gaps))
    if 6.5 <= median <= 7.5:
        if not np.allclose(gaps % 7, 0):
            raise ValueError(f"weekly periods must be 7 days apart; found gaps of {sorted(set(gaps.round(1)))} days")
        day = calendar.day_abbr[values[0].dayofweek].upper()[:3]
        return Frequency("weekly", 52, f"W-{day}", "week")
    if 27.5 <= median <= 31.5:
        return Frequency("monthly", 12, "MS", "month")
    raise ValueError(f"periods must be months or weeks; the median gap between periods is {median:g} days")


def normalize_periods(frame: pd.DataFrame, freq: Frequency) -> pd.DataFrame:
    """The panel with ``period`` snapped to the first day of its month (monthly data) — a copy."""
    out = frame.copy()
    out["period"] = pd.to_datetime(out["period"]).dt.normalize()
    if freq.name == "monthly":
        out["period"] = out["period"].dt.to_period("M").dt.to_timestamp()
    return out


def filter_window(frame: pd.DataFrame, start: str = "", end: str = "") -> pd.DataFrame:
    """The rows whose ``period`` lies in [start, end] (ISO dates; ``""`` leaves that side open)."""
    mask = pd.Series(True, index=frame.index)
    if start:
        mask &= frame["period"] >= pd.Timestamp(start)
    if end:
        mask &= frame["period"] <= pd.Timestamp(end)
    out = frame.loc[mask]
    if out.empty:
        raise ValueError(
            f"no rows between {start or 'the start'} and {end or 'the end'}; the data covers "
            f"{frame['period'].min():%Y-%m-%d} to {frame['period'].max():%Y-%m-%d}"
        )
    return out


def market_series(frame: pd.DataFrame, freq: Frequency, value: str = "revenue") -> pd.Series:
    """Total market ``value`` (revenue by default, currency) per period, on a complete calendar.

    Raises ``ValueError`` if a period between the first and last has no rows at all.
    """
    totals = frame.groupby("period")[value].sum().sort_index()
    full = pd.date_range(totals.index[0], totals.index[-1], freq=freq.pandas_freq)
    missing = full.difference(totals.index)
    if len(missing):
        shown = ", ".join(f"{d:%Y-%m-%d}" for d in missing[:5])
        raise ValueError(f"the panel has no rows for {len(missing)} period(s) between its first and last: {shown}")
    out = totals.reindex(full)
    out.index.name = "period"
    out.name = value
    return out


def window_periods(periods: pd.Series | pd.DatetimeIndex, periods_per_year: int) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The last year of periods and the year before it (both empty where the data is too short)."""
    values = pd.DatetimeIndex(pd.unique(pd.Series(periods))).sort_values()
    last = values[-periods_per_year:] if len(values) >= periods_per_year else values[:0]
    prior = values[-2 * periods_per_year : -periods_per_year] if len(values) >= 2 * periods_per_year else values[:0]
    return last, prior


# --------------------------------------------------------------------------- growth


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

    years = (periods − periods_per_year) / periods_per_year; NaN CAGR when the span is under a year.
    """
    n = len(series)
    years = (n - periods_per_year) / periods_per_year
    if n <= periods_per_year:
        return float("nan"), max(years, 0.0)
    first = float(series.iloc[:periods_per_year].sum())
    last = float(series.iloc[-periods_per_year:].sum())
    if first <= 0:
        return float("nan"), years
    return (last / first) ** (1 / years) - 1, years


@dataclass(frozen=True)
class TrendGrowth:
    """Underlying yearly growth rate (fraction) of a series, with its confidence interval."""

    rate: float
    lower: float
    upper: float
    level: float
    n_periods: int


def trend_growth(series: pd.Series, periods_per_year: int, level: float = 0.9) -> TrendGrowth:
    """Underlying yearly growth (fraction) from OLS of log revenue on time and season, with a CI.

    Model: log y_t = a + b·t + season(t) + e_t, season by calendar month (monthly data) or six
    Fourier pairs (weekly); Newey–West (HAC) standard errors allow autocorrelated e_t.
    Growth = exp(b · periods_per_year) − 1; the interval transforms b's interval the same way.
    """
    import statsmodels.api as sm

    y = np.log(series.to_numpy(dtype=float))
    if not np.all(np.isfinite(y)):
        raise ValueError("trend growth needs strictly positive revenue in every period")
    t = np.arange(len(y), dtype=float)
    X = _season_design(series.index, t, periods_per_year)
    X.insert(0, "t", t)
    X = sm.add_constant(X, has_constant="add")
    lags = max(1, int(round(4 * (len(y) / 100) ** (2 / 9))))
    fit = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    low, high = fit.conf_int(alpha=1 - level).loc["t"]
    to_rate = lambda b: float(np.expm1(b * periods_per_year))  # noqa: E731
    return TrendGrowth(to_rate(fit.params["t"]), to_rate(low), to_rate(high), level, len(y))


def _season_design(index: pd.DatetimeIndex, t: np.ndarray, periods_per_year: int) -> pd.DataFrame:
    if periods_per_year == 12:
        months = pd.Categorical(pd.DatetimeIndex(index).month, categories=range(1, 13))
        return pd.get_dummies(months, prefix="m", drop_first=True, dtype=float).set_axis(range(len(t)))
    cols = {}
    for k in range(1, 7):
        cols[f"sin{k}"] = np.sin(2 * np.pi * k * t / periods_per_year)
        cols[f"cos{k}"] = np.cos(2 * np.pi * k * t / periods_per_year)
    return pd.DataFrame(cols)


# --------------------------------------------------------------------------- shares and competitors


def herfindahl(shares: pd.Series | np.ndarray) -> float:
    """Herfindahl–Hirschman index on the 0–10,000 scale: 10,000 × Σ share² (shares as fractions)."""
    s = np.asarray(shares, dtype=float)
    return float(10_000 * np.sum(s**2))


def brand_table(frame: pd.DataFrame, periods_per_year: int, our_brand: str | None = None) -> pd.DataFrame:
    """Per brand: revenue, share, share change (pp), growth, share of growth and price, last year.

    Columns: brand, revenue_last, revenue_prior, share_last, share_prior, share_change_pp
    (percentage points), yoy_growth (NaN for a brand with no prior-year revenue), share_of_growth,
    units_last, avg_price (revenue ÷ units), relative_price (÷ market average price),
    relative_share (÷ largest other brand's share), is_ours. Sorted by revenue_last, largest first.
    """
    last, prior = window_periods(frame["period"], periods_per_year)
    in_last = frame["period"].isin(last)
    in_prior = frame["period"].isin(prior)
    brands = sorted(frame["brand"].unique())
    rev_last = frame.loc[in_last].groupby("brand")["revenue"].sum().reindex(brands, fill_value=0.0)
    rev_prior = frame.loc[in_prior].groupby("brand")["revenue"].sum().reindex(brands, fill_value=0.0)
    units_last = frame.loc[in_last].groupby("brand")["units"].sum().reindex(brands, fill_value=0.0)
    market_last, market_prior = rev_last.sum(), rev_prior.sum()
    out = pd.DataFrame({"brand": brands})
    out["revenue_last"] = rev_last.to_numpy()
    out["revenue_prior"] = rev_prior.to_numpy()
    out["share_last"] = out["revenue_last"] / market_last if market_last > 0 else np.nan
    out["share_prior"] = out["revenue_prior"] / market_prior if market_prior > 0 else np.nan
    out["share_change_pp"] = 100 * (out["share_last"] - out["share_prior"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["yoy_growth"] = np.where(out["revenue_prior"] > 0, out["revenue_last"] / out["revenue_prior"] - 1, np.nan)
    change = market_last - market_prior
    out["share_of_growth"] = (out["revenue_last"] - out["revenue_prior"]) / change if change != 0 else np.nan
    out["units_last"] = units_last.to_numpy()
    out["avg_price"] = np.where(out["units_last"] > 0, out["revenue_last"] / out["units_last"].where(out["units_last"] > 0), np.nan)
    market_units = units_last.sum()
    market_price = market_last / market_units if market_units > 0 else np.nan
    out["relative_price"] = out["avg_price"] / market_price
    largest_other = [out["share_last"].drop(index=i).max() if len(out) > 1 else np.nan for i in out.index]
    out["relative_share"] = out["share_last"] / pd.Series(largest_other, index=out.index)
    out["is_ours"] = out["brand"] == our_brand
    return out.sort_values("revenue_last", ascending=False, ignore_index=True)


def share_by_period(frame: pd.DataFrame, window: int = 1) -> pd.DataFrame:
    """Revenue share (fraction) per period (rows) and brand (columns), over trailing ``window`` periods.

    ``window=12`` on monthly data gives rolling 12-month shares, free of seasonal wiggle; the
    first ``window − 1`` periods are dropped. A brand absent in a period has share 0.
    """
    wide = frame.pivot_table(index="period", columns="brand", values="revenue", aggfunc="sum", fill_value=0.0).sort_index()
    rolled = wide.rolling(window).sum().iloc[window - 1 :] if window > 1 else wide
    shares = rolled.div(rolled.sum(axis=1), axis=0)
    shares.columns.name = "brand"
    return shares


def hhi_by_period(shares: pd.DataFrame) -> pd.Series:
    """Herfindahl–Hirschman index (0–10,000) per period from a period × brand share table."""
    return (10_000 * (shares**2).sum(axis=1)).rename("hhi")


def biggest_threat(brands: pd.DataFrame, our_brand: str) -> str | None:
    """The competitor that gained the most share (pp) over the last year; ``None`` if none gained."""
    rivals = brands.loc[brands["brand"] != our_brand]
    rivals = rivals.loc[rivals["share_change_pp"] > 0]
    if rivals.empty:
        return None
    return str(rivals.sort_values("share_change_pp", ascending=False).iloc[0]["brand"])


# --------------------------------------------------------------------------- regions and breakdowns


def region_table(frame: pd.DataFrame, our_brand: str, periods_per_year: int, target_share: float | None = None) -> pd.DataFrame:
    """Per region: size, growth, our share, headroom and priority score (currency), ranked.

    Columns: region, revenue_last, revenue_prior, size_share (region's share of the whole
    market), yoy_growth, our_revenue_last, our_share, our_share_prior, our_share_change_pp,
    leader (largest competitor), leader_share, target_share, headroom, priority_score,
    priority_rank (1 = first). Formulas, with target share = ``target_share`` or else the
    leading competitor's share in the region::

        headroom       = revenue_last × max(target_share − our_share, 0)
        priority_score = revenue_last × (1 + yoy_growth) × max(target_share − our_share, 0)

    (see :data:`PRIORITY_FORMULA`). Ties in the score are broken by higher growth.
    """
    last, prior = window_periods(frame["period"], periods_per_year)
    rows = []
    total_last = frame.loc[frame["period"].isin(last), "revenue"].sum()
    for region, g in frame.groupby("region", sort=True):
        g_last = g.loc[g["period"].isin(last)]
        g_prior = g.loc[g["period"].isin(prior)]
        by_brand = g_last.groupby("brand")["revenue"].sum()
        rev_last, rev_prior = float(by_brand.sum()), float(g_prior["revenue"].sum())
        ours_last = float(by_brand.get(our_brand, 0.0))
        ours_prior = float(g_prior.loc[g_prior["brand"] == our_brand, "revenue"].sum())
        rivals = by_brand.drop(our_brand, errors="ignore")
        leader = str(rivals.idxmax()) if len(rivals) else None
        leader_share = float(rivals.max() / rev_last) if len(rivals) and rev_last > 0 else np.nan
        our_share = ours_last / rev_last if rev_last > 0 else np.nan
        our_prior = ours_prior / rev_prior if rev_prior > 0 else np.nan
        rows.append(
            {
                "region": region,
                "revenue_last": rev_last,
                "revenue_prior": rev_prior,
                "size_share": rev_last / total_last if total_last > 0 else np.nan,
                "yoy_growth": rev_last / rev_prior - 1 if rev_prior > 0 else np.nan,
                "our_revenue_last": ours_last,
                "our_share": our_share,
                "our_share_prior": our_prior,
                "our_share_change_pp": 100 * (our_share - our_prior),
                "leader": leader,
                "leader_share": leader_share,
            }
        )
    out = pd.DataFrame(rows)
    out["target_share"] = float(target_share) if target_share is not None else out["leader_share"]
    gap = (out["target_share"] - out["our_share"]).clip(lower=0)
    out["headroom"] = out["revenue_last"] * gap
    out["priority_score"] = out["revenue_last"] * (1 + out["yoy_growth"].fillna(0)) * gap
    out = out.sort_values(["priority_score", "yoy_growth"], ascending=[False, False], ignore_index=True)
    out["priority_rank"] = np.arange(1, len(out) + 1)
    return out


def breakdown(frame: pd.DataFrame, by: str, our_brand: str, periods_per_year: int) -> pd.DataFrame:
    """Per value of ``by`` (e.g. category, channel): size, share of market, growth and our share.

    Columns: <by>, revenue_last, size_share, yoy_growth, our_share, our_share_change_pp.
    Sorted by revenue_last, largest first.
    """
    if by not in frame.columns:
        raise KeyError(f"column {by!r} is not in the panel; it has {', '.join(frame.columns)}")
    last, prior = window_periods(frame["period"], periods_per_year)
    in_last, in_prior = frame["period"].isin(last), frame["period"].isin(prior)
    ours = frame["brand"] == our_brand
    keys = sorted(frame[by].dropna().unique())

    def total(mask: pd.Series) -> pd.Series:
        return frame.loc[mask].groupby(by)["revenue"].sum().reindex(keys, fill_value=0.0)

    rev_last, rev_prior = total(in_last), total(in_prior)
    our_last, our_prior = total(in_last & ours), total(in_prior & ours)
    out = pd.DataFrame({by: keys})
    out["revenue_last"] = rev_last.to_numpy()
    out["size_share"] = out["revenue_last"] / out["revenue_last"].sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["yoy_growth"] = np.where(rev_prior > 0, rev_last.to_numpy() / rev_prior.to_numpy() - 1, np.nan)
        share_last = np.where(rev_last > 0, our_last / rev_last, np.nan)
        share_prior = np.where(rev_prior > 0, our_prior / rev_prior, np.nan)
    out["our_share"] = share_last
    out["our_share_change_pp"] = 100 * (share_last - share_prior)
    return out.sort_values("revenue_last", ascending=False, ignore_index=True)


# --------------------------------------------------------------------------- seasonality


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


def stl_seasonality(series: pd.Series, periods_per_year: int, robust: bool = True, n_peaks: int = 2) -> Seasonality:
    """STL (statsmodels, robust LOESS) of log revenue; seasonal index per calendar month, mean 1.

    Decomposing the log makes the seasonality multiplicative (a December that is 30% above
    trend stays 30% above as the market grows). The index averages exp(seasonal) over the
    periods of each calendar month and is rescaled to mean 1 across months; ``peak_months``
    are the ``n_peaks`` highest months. Seasonal strength follows Wang, Smith & Hyndman (2006).
    Needs at least two full years of periods.
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


# --------------------------------------------------------------------------- forecast


@dataclass
class Forecast:
    """Market revenue forecast per future period: mean, and the prediction interval at ``level``.

    ``table`` holds period, mean, lower, upper (the published interval: calibrated when
    ``interval_method`` says so) and model_lower, model_upper (the ETS model's own interval, kept
    for comparison).
    """

    table: pd.DataFrame  # period, mean, lower, upper, model_lower, model_upper
    level: float
    model: str
    aicc: float
    params: dict = field(default_factory=dict)
    interval_method: str = "model"


@dataclass(frozen=True)
class IntervalCalibration:
    """Half-width of the calibrated interval per horizon, on the log-revenue scale.

    ``half_width[h − 1]`` is q_h: the published interval for h periods ahead is
    exp(μ_h ± q_h), μ_h the model's log-scale point forecast. NaN where the backtest had too few
    errors at that horizon (:func:`forecast_market` then extends the last finite q_h along the
    model's own growth of uncertainty). ``n_errors[h − 1]`` counts the backtest errors behind q_h.
    """

    half_width: np.ndarray
    n_errors: np.ndarray
    level: float


def _fit_ets(series: pd.Series, periods_per_year: int):
    """ETS on log revenue: additive error and season, additive trend damped or not (lower AICc wins)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    y = np.log(series.astype(float))
    if not np.all(np.isfinite(y)):
        raise ValueError("the forecast needs strictly positive revenue in every period")
    if len(y) < 2 * periods_per_year:
        raise ValueError(f"the forecast needs at least two years ({2 * periods_per_year} periods) to fit; found {len(y)}")
    init = "estimated" if periods_per_year <= 12 else "heuristic"
    fits = []
    for damped in (False, True):
        model = ETSModel(y, error="add", trend="add", damped_trend=damped, seasonal="add",
                         seasonal_periods=periods_per_year, initialization_method=init)
        fits.append(model.fit(disp=False, maxiter=2000))
    return min(fits, key=lambda f: f.aicc)


def _log_forecast(fit, n: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """(μ, σ) per horizon of the fitted log model's normal predictive distribution."""
    frame = fit.get_prediction(start=n, end=n + horizon - 1).summary_frame(alpha=0.3173105078629141)  # ±1σ
    mu = frame["mean"].to_numpy()
    return mu, frame["pi_upper"].to_numpy() - mu


def forecast_market(series: pd.Series, periods_per_year: int, horizon: int, level: float = 0.9,
                    calibration: IntervalCalibration | None = None) -> Forecast:
    """Revenue forecast for the next ``horizon`` periods (currency), mean and prediction interval.

    Model: ETS(A, A, A) or ETS(A, Ad, A) — additive error, additive (damped or not, whichever has
    the lower AICc) trend, additive season — fitted by maximum likelihood to log revenue
    (statsmodels ``ETSModel``), i.e. multiplicative growth and seasonality on the revenue scale.
    The mean is the log-normal mean exp(μ + σ²/2). The model's own interval (``model_lower``,
    ``model_upper``) is exp(μ ± z·σ): it treats the estimated parameters and trend as known, so it
    is too narrow. With a ``calibration`` (see :func:`calibrate_intervals`) the published
    ``lower``/``upper`` are exp(μ_h ± q_h) instead; horizons without a calibrated q_h take the last
    calibrated one grown in proportion to the model's σ_h. Without one they equal the model's.
    """
    from scipy.stats import norm

    if horizon < 1:
        raise ValueError(f"forecast horizon must be at least 1 period; got {horizon}")
    fit = _fit_ets(series, periods_per_year)
    mu, sigma = _log_forecast(fit, len(series), horizon)
    z = norm.ppf(0.5 + level / 2)
    index = pd.date_range(series.index[-1], periods=horizon + 1, freq=series.index.freq or pd.infer_freq(series.index))[1:]
    table = pd.DataFrame({"period": index, "mean": np.exp(mu + sigma**2 / 2),
                          "lower": np.exp(mu - z * sigma), "upper": np.exp(mu + z * sigma)})
    table["model_lower"], table["model_upper"] = table["lower"], table["upper"]
    method = "model"
    if calibration is not None:
        half = _extend_half_width(calibration.half_width, sigma)
        if np.all(np.isfinite(half)):
            table["lower"], table["upper"] = np.exp(mu - half), np.exp(mu + half)
            method = "conformal"
    params = {name: float(v) for name, v in zip(fit.model.param_names, fit.params) if not name.startswith("initial")}
    name = "ETS(A,Ad,A) on log revenue" if fit.model.damped_trend else "ETS(A,A,A) on log revenue"
    return Forecast(table, level, name, float(fit.aicc), params, method)


def _extend_half_width(calibrated: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """q_h for every model horizon: calibrated where finite, else the last finite q × σ_h / σ_last."""
    out = np.full(len(sigma), np.nan)
    k = min(len(calibrated), len(sigma))
    out[:k] = calibrated[:k]
    finite = np.flatnonzero(np.isfinite(out))
    if finite.size == 0:
        return out
    last = finite[-1]
    for h in range(len(out)):
        if not np.isfinite(out[h]):
            out[h] = out[last] * sigma[h] / sigma[last] if h > last else np.nan
    return out


def conformal_quantile(abs_errors: np.ndarray | pd.Series, level: float) -> float:
    """Split-conformal quantile (same units as the errors): the ⌈(n + 1)·level⌉-th smallest of n.

    If the n errors and the next one are exchangeable, the next error is at most this value with
    probability ≥ ``level``. ``inf`` when n is too small (⌈(n + 1)·level⌉ > n); NaN for no errors.
    """
    e = np.sort(np.abs(np.asarray(abs_errors, dtype=float)))
    n = len(e)
    if n == 0:
        return float("nan")
    k = int(np.ceil(round((n + 1) * level, 9)))
    return float(e[k - 1]) if k <= n else float("inf")


def calibrate_intervals(errors: pd.DataFrame, horizon: int, level: float) -> IntervalCalibration:
    """Half-width per horizon (log scale) of the calibrated interval, from rolling-origin errors.

    ``errors`` has columns ``horizon`` and ``log_error`` = log(actual) − μ (μ the model's log-scale
    point forecast). q_h = :func:`conformal_quantile` of |log_error| at horizon h, then made
    non-decreasing in h (a running maximum: uncertainty does not shrink with the horizon). A
    horizon with too few errors for a finite quantile gets NaN (and so do all later horizons).
    """
    half = np.full(horizon, np.nan)
    counts = np.zeros(horizon, dtype=int)
    by_h = errors.groupby("horizon")["log_error"]
    for h in range(1, horizon + 1):
        e = by_h.get_group(h).to_numpy() if h in by_h.groups else np.array([])
        counts[h - 1] = len(e)
        q = conformal_quantile(e, level)
        if not np.isfinite(q):
            break
        half[h - 1] = q
    finite = np.isfinite(half)
    half[finite] = np.maximum.accumulate(half[finite])
    return IntervalCalibration(half, counts, level)


@dataclass
class Backtest:
    """Rolling-origin backtest: forecasts from many past origins against what happened.

    ``table`` has one row per origin and horizon: origin (last training period), horizon, period,
    actual, mean, lower, upper (the model's own interval), seasonal_naive, log_error
    (log actual − the model's log point forecast), log_sigma (the model's σ_h), inside_model and
    inside_calibrated (1/0: whether the actual fell in the model's / the leave-one-origin-out
    calibrated interval; NaN where nothing could be calibrated). ``by_horizon``
    summarises it per horizon: n, mape, seasonal_naive_mape, coverage_model, coverage_calibrated,
    half_width (q_h of the calibration on all origins, log scale).
    """

    table: pd.DataFrame
    by_horizon: pd.DataFrame
    calibration: IntervalCalibration
    mape: float  # mean absolute percentage error of the forecast mean over all origins and horizons (fraction)
    seasonal_naive_mape: float  # same for "same period last year" (the benchmark to beat)
    coverage_model: float  # share of backtest actuals inside the model's own interval ("before")
    coverage_calibrated: float  # same for the calibrated interval, leave-one-origin-out ("after")
    level: float
    origins: int
    min_train: int
    horizon: int

    @property
    def periods(self) -> int:
        """Distinct periods forecast in the backtest."""
        return int(self.table["period"].nunique())


def mape(actual: np.ndarray | pd.Series, predicted: np.ndarray | pd.Series) -> float:
    """Mean absolute percentage error (fraction): mean(|actual − predicted| / |actual|)."""
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    return float(np.mean(np.abs(a - p) / np.abs(a)))


def backtest_origins(n: int, min_train: int, max_origins: int) -> list[int]:
    """Training lengths (periods) of the backtest origins: from ``min_train`` to n − 1, evenly
    thinned to at most ``max_origins`` and always including the latest (n − 1)."""
    if max_origins < 1 or n - 1 < min_train:
        return []
    step = int(np.ceil((n - min_train) / max_origins))
    return sorted(range(n - 1, min_train - 1, -step))[-max_origins:]


def rolling_backtest(series: pd.Series, periods_per_year: int, horizon: int, level: float = 0.9,
                     min_train: int | None = None, max_origins: int = 40) -> Backtest:
    """Rolling-origin (expanding-window) backtest: MAPE by horizon and interval coverage.

    At each origin the model is refitted (trend form re-chosen by AICc) on all periods up to it
    and forecasts h = 1 … ``horizon`` periods ahead, as far as actuals exist. ``min_train``
    (default two years, the least the model fits) is the first origin's training length; origins
    are every period after it, thinned evenly to at most ``max_origins``. The seasonal naive
    benchmark predicts each period by the same period one year earlier. Coverage "before" is that
    of the model's own interval; "after" is that of the calibrated interval
    (:func:`calibrate_intervals`) judged leave-one-origin-out: each origin's errors against
    q_h calibrated on the other origins. Origins overlap in time, so "after" is somewhat
    optimistic; a fresh-future check lives in the tests.
    """
    from scipy.stats import norm

    n = len(series)
    min_train = 2 * periods_per_year if min_train is None else min_train
    if min_train < 2 * periods_per_year or n - min_train < 1:
        raise ValueError(
            f"the backtest needs a first origin with at least two years ({2 * periods_per_year} periods) to fit and "
            f"at least one period after it; got min_train={min_train} for {n} periods"
        )
    z = norm.ppf(0.5 + level / 2)
    values = series.to_numpy(dtype=float)
    rows = []
    for n_train in backtest_origins(n, min_train, max_origins):
        steps = min(horizon, n - n_train)
        fit = _fit_ets(series.iloc[:n_train], periods_per_year)
        mu, sigma = _log_forecast(fit, n_train, steps)
        for h in range(1, steps + 1):
            t = n_train + h - 1
            rows.append({"origin": series.index[n_train - 1], "horizon": h, "period": series.index[t], "actual": values[t],
                         "mean": np.exp(mu[h - 1] + sigma[h - 1] ** 2 / 2), "lower": np.exp(mu[h - 1] - z * sigma[h - 1]),
                         "upper": np.exp(mu[h - 1] + z * sigma[h - 1]),
                         "seasonal_naive": values[t - periods_per_year], "log_error": np.log(values[t]) - mu[h - 1],
                         "log_sigma": sigma[h - 1]})
    table = pd.DataFrame(rows)
    table["inside_model"] = (table["actual"] >= table["lower"]) & (table["actual"] <= table["upper"])
    table["inside_calibrated"] = _leave_one_origin_out(table, horizon, level)  # NaN where no q could be calibrated
    calibration = calibrate_intervals(table, horizon, level)
    covered = table["inside_calibrated"].dropna()
    coverage_calibrated = float(covered.mean()) if len(covered) else float("nan")
    ape = (table["actual"] - table["mean"]).abs() / table["actual"]
    ape_naive = (table["actual"] - table["seasonal_naive"]).abs() / table["actual"]
    by_horizon = (table.assign(ape=ape, ape_naive=ape_naive).groupby("horizon")
                  .agg(n=("ape", "size"), mape=("ape", "mean"), seasonal_naive_mape=("ape_naive", "mean"),
                       coverage_model=("inside_model", "mean"), coverage_calibrated=("inside_calibrated", "mean"))  # mean skips NaN
                  .reset_index())
    by_horizon["half_width"] = calibration.half_width[by_horizon["horizon"].to_numpy() - 1]
    return Backtest(table, by_horizon, calibration, float(ape.mean()), float(ape_naive.mean()),
                    float(table["inside_model"].mean()), coverage_calibrated, level,
                    int(table["origin"].nunique()), min_train, horizon)


def _leave_one_origin_out(table: pd.DataFrame, horizon: int, level: float) -> np.ndarray:
    """1.0/0.0: whether each backtest error lies within q_h calibrated on the other origins.

    Horizons past the calibrated ones are extended as in :func:`forecast_market`, with that
    origin's model σ_h; NaN where nothing could be calibrated.
    """
    inside = np.full(len(table), np.nan)
    for origin in table["origin"].unique():
        mine = (table["origin"] == origin).to_numpy()
        rows = table.loc[mine].sort_values("horizon")
        sigma = np.full(horizon, np.nan)
        sigma[rows["horizon"].to_numpy() - 1] = rows["log_sigma"].to_numpy()
        half = _extend_half_width(calibrate_intervals(table.loc[~mine], horizon, level).half_width, sigma)
        q = half[table.loc[mine, "horizon"].to_numpy() - 1]
        err = np.abs(table.loc[mine, "log_error"].to_numpy())
        inside[mine] = np.where(np.isfinite(q), (err <= q).astype(float), np.nan)
    return inside


# --------------------------------------------------------------------------- the whole analysis


@dataclass
class MarketAnalysis:
    """Every result the market notebook shows, computed by :func:`analyze`."""

    our_brand: str
    freq: Frequency
    panel: pd.DataFrame  # the validated panel, periods normalised, window applied
    series: pd.Series  # market revenue per period
    revenue_last: float
    revenue_prior: float
    yoy_growth: float
    cagr: float
    cagr_years: float
    trend: TrendGrowth
    brands: pd.DataFrame
    shares: pd.DataFrame  # rolling one-year shares, period × brand
    hhi: pd.Series
    threat: str | None
    regions: pd.DataFrame
    region_trend: pd.DataFrame  # region, rate, lower, upper
    seasonality: Seasonality
    forecast: Forecast
    backtest: Backtest | None
    breakdowns: dict[str, pd.DataFrame]

    @property
    def first_period(self) -> pd.Timestamp:
        return self.series.index[0]

    @property
    def last_period(self) -> pd.Timestamp:
        return self.series.index[-1]

    @property
    def ours(self) -> pd.Series:
        """Our brand's row of :attr:`brands`."""
        return self.brands.loc[self.brands["brand"] == self.our_brand].iloc[0]

    def results(self) -> dict:
        """The results JSON: the public keys of issue #3 plus supporting detail (see the notebook appendix)."""
        ppy = self.freq.periods_per_year
        hhi_now = herfindahl(self.brands["share_last"])
        hhi_prior = herfindahl(self.brands["share_prior"]) if self.revenue_prior > 0 else float("nan")
        out = {
            "period": {
                "frequency": self.freq.name,
                "periods_per_year": ppy,
                "window": self.freq.window_label,
                "first": self.first_period,
                "last": self.last_period,
            },
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
                "hhi_last_12m": hhi_now,
                "hhi_change": hhi_now - hhi_prior,
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
                "peak_months": self.seasonality.peak_months,
                "trough_month": self.seasonality.trough_month,
                "strength": self.seasonality.strength,
                "seasonal_index": self.seasonality.seasonal_index,
            },
            "forecast": self.forecast.table[["period", "mean", "lower", "upper"]],
            "forecast_model": {
                "model": self.forecast.model,
                "level": self.forecast.level,
                "aicc": self.forecast.aicc,
                "backtest_periods": self.backtest.periods if self.backtest else 0,
                "backtest_mape": self.backtest.mape if self.backtest else None,
                "seasonal_naive_mape": self.backtest.seasonal_naive_mape if self.backtest else None,
                # coverage of the published interval: the calibrated one when calibrated
                "interval_coverage": (self.backtest.coverage_calibrated if self.forecast.interval_method == "conformal"
                                      else self.backtest.coverage_model) if self.backtest else None,
                "interval_method": self.forecast.interval_method,
                "backtest_origins": self.backtest.origins if self.backtest else 0,
                "backtest_min_train": self.backtest.min_train if self.backtest else None,
                "coverage_before": self.backtest.coverage_model if self.backtest else None,
                "coverage_after": self.backtest.coverage_calibrated if self.backtest else None,
                "by_horizon": self.backtest.by_horizon if self.backtest else [],
                "model_interval": self.forecast.table[["period", "model_lower", "model_upper"]].rename(
                    columns={"model_lower": "lower", "model_upper": "upper"}),
            },
        }
        for column, table in self.breakdowns.items():
            out[f"{column}_breakdown"] = {
                row[column]: {k: row[k] for k in ("revenue_last", "size_share", "yoy_growth", "our_share", "our_share_change_pp")}
                for _, row in table.iterrows()
            }
        return out


def analyze(
    panel: pd.DataFrame,
    our_brand: str,
    period_start: str = "",
    period_end: str = "",
    forecast_periods: int = 12,
    backtest_origins: int = 40,
    level: float = 0.9,
    target_share: float | None = None,
) -> MarketAnalysis:
    """Run the whole market analysis on a validated ``market`` panel; returns :class:`MarketAnalysis`.

    The forecast's interval is calibrated on a rolling-origin backtest (:func:`rolling_backtest`,
    horizons 1 … ``forecast_periods``, at most ``backtest_origins`` origins; 0 skips the backtest
    and publishes the model's own interval). Raises ``ValueError`` when ``our_brand`` is not in the panel or the
    window leaves less than two years of periods.
    """
    freq = detect_frequency(panel["period"])
    df = filter_window(normalize_periods(panel, freq), period_start, period_end)
    brands_present = sorted(df["brand"].unique())
    if our_brand not in brands_present:
        raise ValueError(f"our_brand {our_brand!r} is not in the panel's brand column; found {', '.join(brands_present)}")
    ppy = freq.periods_per_year
    series = market_series(df, freq)
    if len(series) < 2 * ppy:
        raise ValueError(f"the analysis needs at least two years of periods ({2 * ppy} {freq.unit}s); the window has {len(series)}")
    last, prior = float(series.iloc[-ppy:].sum()), float(series.iloc[-2 * ppy : -ppy].sum())
    growth_rate, years = cagr(series, ppy)
    brands = brand_table(df, ppy, our_brand)
    shares = share_by_period(df, window=ppy)
    regions = region_table(df, our_brand, ppy, target_share)
    region_trend = []
    for region, g in df.groupby("region", sort=True):
        tg = trend_growth(market_series(g, freq), ppy, level)
        region_trend.append({"region": region, "rate": tg.rate, "lower": tg.lower, "upper": tg.upper})
    bt = (rolling_backtest(series, ppy, forecast_periods, level, max_origins=backtest_origins)
          if backtest_origins > 0 and len(series) > 2 * ppy else None)
    return MarketAnalysis(
        our_brand=our_brand,
        freq=freq,
        panel=df,
        series=series,
        revenue_last=last,
        revenue_prior=prior,
        yoy_growth=yoy_growth(series, ppy),
        cagr=growth_rate,
        cagr_years=years,
        trend=trend_growth(series, ppy, level),
        brands=brands,
        shares=shares,
        hhi=hhi_by_period(shares),
        threat=biggest_threat(brands, our_brand),
        regions=regions,
        region_trend=pd.DataFrame(region_trend),
        seasonality=stl_seasonality(series, ppy),
        forecast=forecast_market(series, ppy, forecast_periods, level, bt.calibration if bt else None),
        backtest=bt,
        breakdowns={c: breakdown(df, c, our_brand, ppy) for c in ("category", "channel") if c in df.columns and df[c].notna().any()},
    )
