"""KPI monitoring: weekly KPIs, recent trends, targets with P(on target), and anomaly alerts.

Anomaly alerts (:func:`detect_anomalies`) work on the log of each daily KPI per channel: a robust
STL decomposition (statsmodels, weekly period) gives the expected value (trend + day-of-week
pattern); a day is alerted when its residual is more than ``threshold`` robust standard deviations
(1.4826 × MAD) from zero *and* the KPI moved by at least ``min_change``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from playbook.attribution.funnel import (
    ALL,
    COUNT_COLUMNS,
    KPI_DEFINITIONS,
    KPI_DIRECTION,
    KPI_PARTS,
    _totals,
    roas_log_sd,
    unit_economics,
)


def kpi_frame(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` with every KPI added as a column (NaN where the denominator is zero)."""
    out = counts.copy()
    for kpi, (num, den) in KPI_PARTS.items():
        out[kpi] = out[num] / out[den].where(out[den] > 0)
    return out


def weekly_kpis(funnel: pd.DataFrame) -> pd.DataFrame:
    """Per week (starting Monday) and channel: summed counts, revenue, spend and the KPIs."""
    f = funnel.copy()
    f["week"] = f["date"] - pd.to_timedelta(f["date"].dt.dayofweek, unit="D")
    counts = f.groupby(["week", "channel"], sort=True)[list(COUNT_COLUMNS)].sum().reset_index()
    return kpi_frame(counts)


def kpi_trend(funnel: pd.DataFrame, recent_days: int = 28, cred: float = 0.9, draws: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Per channel, CVR and CPA in the last ``recent_days`` against the ``recent_days`` before.

    Columns: channel, cvr_recent, cvr_previous, cvr_change (relative), cvr_change_low/high,
    prob_cvr_down, cpa_recent, cpa_previous, cpa_change, cpa_change_low/high, prob_cpa_up.
    Changes and probabilities come from posterior draws (Beta for CVR, Gamma for the sign-up
    count behind CPA) with ``seed``.
    """
    rng = np.random.default_rng(seed)
    last = funnel["date"].max()
    recent_start = last - pd.Timedelta(days=recent_days - 1)
    prev_start = recent_start - pd.Timedelta(days=recent_days)
    periods = {
        "recent": funnel[funnel["date"] >= recent_start],
        "previous": funnel[(funnel["date"] >= prev_start) & (funnel["date"] < recent_start)],
    }
    sums = {k: _totals(v) for k, v in periods.items()}
    tail = (1 - cred) / 2
    rows = []
    for ch in sums["recent"].index.union(sums["previous"].index):
        r = sums["recent"].loc[ch] if ch in sums["recent"].index else pd.Series(0.0, index=COUNT_COLUMNS)
        p = sums["previous"].loc[ch] if ch in sums["previous"].index else pd.Series(0.0, index=COUNT_COLUMNS)
        row = {"channel": ch}
        if r["clicks"] > 0 and p["clicks"] > 0:
            cr = rng.beta(r["signups"] + 0.5, r["clicks"] - r["signups"] + 0.5, draws)
            cp = rng.beta(p["signups"] + 0.5, p["clicks"] - p["signups"] + 0.5, draws)
            ratio = cr / cp - 1
            row.update(cvr_recent=r["signups"] / r["clicks"], cvr_previous=p["signups"] / p["clicks"],
                       cvr_change=(r["signups"] / r["clicks"]) / (p["signups"] / p["clicks"]) - 1 if p["signups"] > 0 else np.nan,
                       cvr_change_low=np.quantile(ratio, tail), cvr_change_high=np.quantile(ratio, 1 - tail),
                       prob_cvr_down=float(np.mean(cr < cp)))
        if r["spend"] > 0 and p["spend"] > 0:
            lr = rng.gamma(r["signups"] + 0.5, 1.0, draws)
            lp = rng.gamma(p["signups"] + 0.5, 1.0, draws)
            ratio = (r["spend"] / lr) / (p["spend"] / lp) - 1
            cpa_r = r["spend"] / r["signups"] if r["signups"] > 0 else np.nan
            cpa_p = p["spend"] / p["signups"] if p["signups"] > 0 else np.nan
            row.update(cpa_recent=cpa_r, cpa_previous=cpa_p, cpa_change=cpa_r / cpa_p - 1,
                       cpa_change_low=np.quantile(ratio, tail), cpa_change_high=np.quantile(ratio, 1 - tail),
                       prob_cpa_up=float(np.mean(ratio > 0)))
        rows.append(row)
    cols = ["channel", "cvr_recent", "cvr_previous", "cvr_change", "cvr_change_low", "cvr_change_high", "prob_cvr_down",
            "cpa_recent", "cpa_previous", "cpa_change", "cpa_change_low", "cpa_change_high", "prob_cpa_up"]
    return pd.DataFrame(rows).reindex(columns=cols)


# --------------------------------------------------------------------------- KPI targets


def parse_targets(targets: Mapping | None, channels: Sequence[str]) -> pd.DataFrame:
    """Long table (channel, kpi, target) from a KPI-targets mapping ``{channel: {kpi: target}}``.

    A ``default`` entry applies to every channel without its own value; an optional top-level
    ``channels:`` wrapper is accepted. Unknown KPI names raise ``ValueError``.
    """
    if not targets:
        return pd.DataFrame(columns=["channel", "kpi", "target"])
    mapping = targets.get("channels", targets) if isinstance(targets.get("channels"), Mapping) else targets
    default = mapping.get("default", {}) or {}
    rows = []
    for ch in channels:
        entry = {**default, **(mapping.get(ch) or {})}
        for kpi, target in entry.items():
            if kpi not in KPI_DIRECTION:
                raise ValueError(f"KPI targets: unknown KPI {kpi!r} for channel {ch!r}; expected one of {sorted(KPI_DIRECTION)}")
            rows.append({"channel": ch, "kpi": kpi, "target": float(target)})
    return pd.DataFrame(rows, columns=["channel", "kpi", "target"])


def kpi_status(
    funnel: pd.DataFrame,
    targets: Mapping | None,
    window_days: int = 28,
    cred: float = 0.9,
    decide_prob: float = 0.9,
) -> pd.DataFrame:
    """KPIs of the last ``window_days`` against their targets, with P(on target) and a status.

    Columns: channel, kpi, actual, low, high, target, gap (actual / target − 1), prob_on_target,
    status: ``"on target"`` when P(on target) ≥ ``decide_prob``, ``"off target"`` when it is
    ≤ 1 − ``decide_prob``, ``"unclear"`` otherwise. P(on target) uses the same posteriors as
    :func:`unit_economics`.
    """
    last = funnel["date"].max()
    window = funnel[funnel["date"] > last - pd.Timedelta(days=window_days)]
    econ = unit_economics(window, cred).set_index("channel")
    goals = parse_targets(targets, [c for c in econ.index if c != ALL])
    rows = []
    for g in goals.itertuples(index=False):
        e = econ.loc[g.channel]
        kpi, target = g.kpi, g.target
        if kpi in ("ctr", "cvr", "pay_rate"):
            num, den = KPI_PARTS[kpi]
            p_on = float(stats.beta.sf(target, e[num] + 0.5, max(e[den] - e[num], 0) + 0.5))
        elif kpi in ("cpa", "cac"):
            count = "signups" if kpi == "cpa" else "orders"
            # cost per unit <= target  <=>  Poisson mean >= spend / target
            p_on = float(stats.gamma.sf(e["spend"] / target, e[count] + 0.5)) if target > 0 else 0.0
        else:  # attributed ROAS >= target, log ROAS normal with the sd of its interval (orders and order value)
            sd = float(roas_log_sd(e["orders"], e["aov_cv"]))
            ok = e["roas"] > 0 and target > 0 and np.isfinite(sd) and sd > 0
            p_on = float(stats.norm.sf(np.log(target), np.log(e["roas"]), sd)) if ok else float(e["roas"] >= target) if target > 0 else 1.0
        status = "on target" if p_on >= decide_prob else "off target" if p_on <= 1 - decide_prob else "unclear"
        rows.append({"channel": g.channel, "kpi": kpi, "actual": e[kpi], "low": e[f"{kpi}_low"], "high": e[f"{kpi}_high"],
                     "target": target, "gap": e[kpi] / target - 1, "prob_on_target": p_on, "status": status,
                     "definition": KPI_DEFINITIONS[kpi]})
    return pd.DataFrame(rows, columns=["channel", "kpi", "actual", "low", "high", "target", "gap", "prob_on_target", "status", "definition"])


# --------------------------------------------------------------------------- anomaly alerts


def _log_kpi(frame: pd.DataFrame, kpi: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """log of a daily KPI (counts smoothed by ½ so zeros stay finite), its sampling variance and where it is defined.

    Sampling variances (delta method): log rate k/n → 1/k − 1/n; log cost per count → 1/k;
    log ROAS → 1/orders (count noise only; extra spread goes into the fitted overdispersion).
    """
    num, den = KPI_PARTS[kpi]
    defined = frame[den] > 0
    if kpi in ("ctr", "cvr", "pay_rate"):
        value = (frame[num] + 0.5) / (frame[den] + 1.0)
        var = 1.0 / (frame[num] + 0.5) - 1.0 / (frame[den] + 1.0)
    elif kpi in ("cpa", "cac"):
        value = frame[num] / (frame[den] + 0.5)
        var = 1.0 / (frame[den] + 0.5)
        defined = defined & (frame[num] > 0)
    else:  # roas
        value = (frame[num] + 1.0) / frame[den].where(defined)
        var = 1.0 / (frame["orders"] + 0.5)
    return np.log(value.where(defined)), var.clip(lower=1e-9), defined


def _robust_standardize(resid: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, float, float]:
    """z-scores ``resid / (s × sqrt(var + tau²))`` with tau² (extra day-to-day spread) and s chosen
    so that the robust standard deviation (1.4826 × MAD) of the z-scores is 1."""
    def spread(tau2: float) -> float:
        r = resid / np.sqrt(var + tau2)
        return 1.4826 * np.median(np.abs(r - np.median(r)))

    if len(resid) == 0:
        return resid, 0.0, 1.0
    if spread(0.0) <= 1.0:  # no more spread than sampling noise: scale only
        s = spread(0.0)
        return resid / (max(s, 1e-12) * np.sqrt(var)), 0.0, s
    lo, hi = 0.0, float(np.var(resid)) * 4 + 1e-6
    for _ in range(60):  # spread() decreases in tau2: bisect for spread == 1
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if spread(mid) > 1.0 else (lo, mid)
    tau2 = (lo + hi) / 2
    return resid / np.sqrt(var + tau2), tau2, 1.0


def detect_anomalies(
    funnel: pd.DataFrame,
    metrics: Sequence[str] = ("ctr", "cvr", "cpa", "roas"),
    threshold: float = 4.0,
    min_change: float = 0.2,
    period: int = 7,
    seasonal: int = 51,
    trend: int = 35,
    since: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Anomaly alerts: date, channel, metric, expected, actual, change (actual / expected − 1), z, direction, bad.

    Per channel and metric, the daily log KPI is decomposed with a robust STL (statsmodels,
    ``period`` days; seasonal smoother ``seasonal`` weeks, trend smoother ``trend`` days, long
    enough that an anomaly of a week does not drag the expected value with it); undefined days (no spend, no clicks) are
    interpolated for the fit and never alerted. ``expected`` = exp(trend + seasonal). The
    residual of each day is standardized by its own noise: the sampling variance of the day's
    counts plus an extra day-to-day variance tau², fitted so the z-scores have a robust
    standard deviation (1.4826 × MAD) of 1 — so quiet days are not flagged for being small. A
    day is alerted when ``|z| >= threshold`` and ``|change| >= min_change``. ``bad`` says
    whether the move hurts (CPA up, CVR down). ``since`` keeps only alerts on or after that date.
    """
    from statsmodels.tsa.seasonal import STL

    unknown = [m for m in metrics if m not in KPI_PARTS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; expected some of {list(KPI_PARTS)}")
    rows = []
    for ch, g in funnel.groupby("channel", sort=True):
        g = g.set_index("date").sort_index()
        full = pd.date_range(g.index.min(), g.index.max(), freq="D")
        g = g.reindex(full)
        g[list(COUNT_COLUMNS)] = g[list(COUNT_COLUMNS)].fillna(0.0)
        for metric in metrics:
            y, var, defined = _log_kpi(g, metric)
            if defined.sum() < 3 * period:
                continue
            filled = y.interpolate(limit_direction="both")
            fit = STL(filled.to_numpy(), period=period, seasonal=seasonal, trend=trend, robust=True).fit()
            expected_log = fit.trend + fit.seasonal
            resid = y.to_numpy() - expected_log
            ok = defined.to_numpy()
            z = np.full(len(resid), np.nan)
            z[ok], _, _ = _robust_standardize(resid[ok], var.to_numpy()[ok])
            change = np.exp(resid) - 1
            hit = ok & (np.abs(z) >= threshold) & (np.abs(change) >= min_change)
            num, den = KPI_PARTS[metric]
            actual = (g[num] / g[den].where(g[den] > 0)).to_numpy()
            for i in np.flatnonzero(hit):
                direction = "up" if resid[i] > 0 else "down"
                rows.append(
                    {"date": full[i], "channel": ch, "metric": metric, "expected": float(np.exp(expected_log[i])),
                     "actual": float(actual[i]), "change": float(change[i]), "z": float(z[i]), "direction": direction,
                     "bad": bool(np.sign(resid[i]) != KPI_DIRECTION[metric])}
                )
    out = pd.DataFrame(rows, columns=["date", "channel", "metric", "expected", "actual", "change", "z", "direction", "bad"])
    if since is not None:
        out = out[out["date"] >= pd.Timestamp(since)]
    return out.sort_values(["date", "channel", "metric"], ignore_index=True)


def alert_episodes(alerts: pd.DataFrame, max_gap_days: int = 1) -> pd.DataFrame:
    """Consecutive alert days of one channel, metric and direction merged into episodes.

    Columns: channel, metric, direction, bad, start, end, days, worst_change, worst_z.
    Days at most ``max_gap_days`` apart belong to the same episode.
    """
    cols = ["channel", "metric", "direction", "bad", "start", "end", "days", "worst_change", "worst_z"]
    if alerts.empty:
        return pd.DataFrame(columns=cols)
    rows = []
    for (ch, metric, direction), g in alerts.sort_values("date").groupby(["channel", "metric", "direction"], sort=False):
        episode = (g["date"].diff().dt.days.fillna(0) > max_gap_days).cumsum()
        for _, e in g.groupby(episode):
            worst = e.loc[e["z"].abs().idxmax()]
            rows.append({"channel": ch, "metric": metric, "direction": direction, "bad": bool(worst["bad"]),
                         "start": e["date"].min(), "end": e["date"].max(), "days": len(e),
                         "worst_change": worst["change"], "worst_z": worst["z"]})
    return pd.DataFrame(rows, columns=cols).sort_values(["start", "channel"], ignore_index=True)


def kpi_expectation(
    funnel: pd.DataFrame, channel: str, metric: str, period: int = 7, seasonal: int = 51, trend: int = 35
) -> pd.DataFrame:
    """Daily KPI of one channel with its seasonal expectation: date, actual, expected, z (as in :func:`detect_anomalies`)."""
    from statsmodels.tsa.seasonal import STL

    g = funnel[funnel["channel"] == channel].set_index("date").sort_index()
    full = pd.date_range(g.index.min(), g.index.max(), freq="D")
    g = g.reindex(full)
    g[list(COUNT_COLUMNS)] = g[list(COUNT_COLUMNS)].fillna(0.0)
    y, var, defined = _log_kpi(g, metric)
    fit = STL(y.interpolate(limit_direction="both").to_numpy(), period=period, seasonal=seasonal, trend=trend, robust=True).fit()
    expected_log = fit.trend + fit.seasonal
    resid = y.to_numpy() - expected_log
    ok = defined.to_numpy()
    z = np.full(len(resid), np.nan)
    z[ok], _, _ = _robust_standardize(resid[ok], var.to_numpy()[ok])
    num, den = KPI_PARTS[metric]
    return pd.DataFrame({"date": full, "actual": (g[num] / g[den].where(g[den] > 0)).to_numpy(), "expected": np.exp(expected_log), "z": z})
