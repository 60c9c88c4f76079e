"""Forecast of market revenue: ETS on log revenue, a rolling-origin backtest, and conformal intervals.

The model's own prediction interval treats its estimated parameters and trend as known, so it is
too narrow; the published interval is calibrated on the backtest's errors (split-conformal on the
log scale), per horizon and for the total over the whole horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd


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
    total_lower: float = float("nan")  # calibrated interval of the total over the horizon (NaN: not calibrated)
    total_upper: float = float("nan")

    @property
    def horizon(self) -> int:
        """Periods forecast."""
        return len(self.table)

    @property
    def total(self) -> float:
        """Forecast revenue over the whole horizon: the sum of the per-period means (currency)."""
        return float(self.table["mean"].sum())

    @property
    def total_calibrated(self) -> bool:
        """Whether the total has a calibrated interval."""
        return bool(np.isfinite(self.total_lower) and np.isfinite(self.total_upper))


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
    total_half_width: float = float("nan")  # q for the total over the whole horizon (log scale)
    total_n_errors: int = 0  # backtest origins behind it (those whose whole horizon was observed)


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
    The total over the horizon gets the interval total × exp(±q_total) when the calibration has a
    finite ``total_half_width`` for this horizon (:func:`calibrate_total`); else it stays NaN.
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
    out = Forecast(table, level, name, float(fit.aicc), params, method)
    if calibration is not None and len(calibration.half_width) == horizon and np.isfinite(calibration.total_half_width):
        out.total_lower = out.total * float(np.exp(-calibration.total_half_width))
        out.total_upper = out.total * float(np.exp(calibration.total_half_width))
    return out


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


def calibrate_total(table: pd.DataFrame, horizon: int, level: float) -> tuple[float, int]:
    """(q, n): half-width (log scale) of the calibrated interval for the total over ``horizon`` periods.

    From the backtest origins that saw their whole horizon: e = log(Σ actual) − log(Σ forecast
    mean) over the horizon, q = :func:`conformal_quantile` of |e| at ``level`` (``inf`` when the n
    origins are too few, NaN for none). The total's interval is then Σ mean × exp(±q).
    """
    whole = table.groupby("origin")["horizon"].transform("max") == horizon
    sums = table.loc[whole].groupby("origin")[["actual", "mean"]].sum()
    errors = np.log(sums["actual"] / sums["mean"])
    return conformal_quantile(errors, level), int(len(errors))


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
    q_total, n_total = calibrate_total(table, horizon, level)
    calibration = replace(calibrate_intervals(table, horizon, level), total_half_width=q_total, total_n_errors=n_total)
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
