"""Funnel metrics with Beta intervals and unit economics (CPA, CAC, ROAS); KPI targets and alerts are in :mod:`.kpi`.

Input is the daily funnel by channel (``funnel.csv``: date, channel, impressions, clicks,
signups, orders, revenue, spend). Definitions used throughout:

=========  ===========================  =========================================
KPI        formula                      uncertainty
=========  ===========================  =========================================
ctr        clicks / impressions         Beta(k + ½, n − k + ½) (Jeffreys) posterior
cvr        signups / clicks             Beta, as above
pay_rate   orders / signups             Beta, as above
cpa        spend / signups              signups ~ Poisson; Gamma(k + ½) posterior
cac        spend / orders               orders ~ Poisson; Gamma(k + ½) posterior
roas       revenue / spend              attributed ROAS: order count (Poisson) and order value (spread from daily AOV)
=========  ===========================  =========================================
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

STAGES: tuple[str, ...] = ("impressions", "clicks", "signups", "orders")
#: The stage-to-stage rate names, keyed by (from stage, to stage).
STAGE_RATES: dict[tuple[str, str], str] = {("impressions", "clicks"): "ctr", ("clicks", "signups"): "cvr", ("signups", "orders"): "pay_rate"}
KPIS: tuple[str, ...] = ("ctr", "cvr", "pay_rate", "cpa", "cac", "roas")
#: +1 when higher is better, -1 when lower is better.
KPI_DIRECTION: dict[str, int] = {"ctr": 1, "cvr": 1, "pay_rate": 1, "cpa": -1, "cac": -1, "roas": 1}
#: (numerator, denominator) of each KPI in funnel columns.
KPI_PARTS: dict[str, tuple[str, str]] = {
    "ctr": ("clicks", "impressions"),
    "cvr": ("signups", "clicks"),
    "pay_rate": ("orders", "signups"),
    "cpa": ("spend", "signups"),
    "cac": ("spend", "orders"),
    "roas": ("revenue", "spend"),
}
#: What each KPI is, in words (``kpi_status[].definition``): ROAS targets are checked against the attributed ROAS.
KPI_DEFINITIONS: dict[str, str] = {
    "ctr": "clicks / impressions",
    "cvr": "sign-ups / clicks",
    "pay_rate": "orders / sign-ups",
    "cpa": "spend / sign-ups",
    "cac": "spend / orders",
    "roas": "attributed ROAS: funnel revenue / spend (not the MMM's incremental ROAS)",
}
COUNT_COLUMNS = ("impressions", "clicks", "signups", "orders", "revenue", "spend")
ALL = "all channels"


# --------------------------------------------------------------------------- intervals


def beta_interval(successes: float | np.ndarray, trials: float | np.ndarray, cred: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed ``cred`` credible interval (low, high) of a rate under the Jeffreys Beta(½, ½) prior."""
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    a, b = k + 0.5, np.maximum(n - k, 0) + 0.5
    tail = (1 - cred) / 2
    return stats.beta.ppf(tail, a, b), stats.beta.ppf(1 - tail, a, b)


def count_rate_interval(count: float | np.ndarray, cred: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed ``cred`` interval (low, high) of a Poisson mean given one observed ``count`` (Jeffreys)."""
    k = np.asarray(count, dtype=float)
    tail = (1 - cred) / 2
    return stats.gamma.ppf(tail, k + 0.5), stats.gamma.ppf(1 - tail, k + 0.5)


# --------------------------------------------------------------------------- attributed ROAS


def order_value_cv(funnel: pd.DataFrame) -> pd.Series:
    """Coefficient of variation of one order's value per channel (and all channels), from the daily funnel.

    A day with ``n_d`` orders has mean order value ``aov_d``; with independent order values of
    variance ``σ²``, ``E[n_d (aov_d − aov)²] = σ²``, so ``σ² ≈ Σ_d n_d (aov_d − aov)² / (D − 1)``
    over the ``D`` days with orders (a method-of-moments estimate; real day-to-day swings in value
    make it larger, which widens the ROAS interval on the safe side). NaN with fewer than two such days.
    """
    f = funnel[funnel["orders"] > 0]
    frames = [(ch, g) for ch, g in f.groupby("channel", sort=True)] + [(ALL, f)]
    out = {}
    for ch, g in frames:
        n, rev = g["orders"].to_numpy(float), g["revenue"].to_numpy(float)
        if len(g) < 2 or n.sum() <= 0 or rev.sum() <= 0:
            out[ch] = np.nan
            continue
        aov = rev.sum() / n.sum()
        var = float(np.sum(n * (rev / n - aov) ** 2) / (len(g) - 1))
        out[ch] = np.sqrt(var) / aov
    return pd.Series(out, dtype=float, name="aov_cv")


def roas_log_sd(orders, aov_cv) -> np.ndarray:
    """Standard deviation of log attributed ROAS: ``sqrt(1 / (orders + ½) + cv² / orders)``.

    Revenue is the order count times the mean order value: the count is Poisson (Jeffreys: log
    variance ≈ 1/(k + ½)) and the mean of ``k`` order values has relative variance ``cv²/k``.
    An unknown ``cv`` (fewer than two days with orders) counts as 0: the count's noise only.
    """
    k = np.asarray(orders, dtype=float)
    cv = np.nan_to_num(np.asarray(aov_cv, dtype=float), nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(k > 0, np.sqrt(1.0 / (k + 0.5) + cv**2 / np.where(k > 0, k, 1.0)), np.nan)


# --------------------------------------------------------------------------- funnel


def _totals(funnel: pd.DataFrame, include_all: bool = True) -> pd.DataFrame:
    cols = [c for c in COUNT_COLUMNS if c in funnel.columns]
    out = funnel.groupby("channel", sort=True)[cols].sum()
    if include_all:
        out.loc[ALL] = out.sum(axis=0)
    return out


def stage_conversion(funnel: pd.DataFrame, stages: Sequence[str] = STAGES, cred: float = 0.9) -> pd.DataFrame:
    """Stage-to-stage conversion rate per channel with its Beta credible interval (fractions).

    One row per channel (and ``"all channels"``) and step: channel, from_stage, to_stage,
    entered, advanced, lost, rate, rate_low, rate_high, drop_off (= 1 − rate).
    """
    totals = _totals(funnel)
    rows = []
    for ch, t in totals.iterrows():
        for a, b in zip(stages[:-1], stages[1:]):
            n, k = float(t[a]), float(t[b])
            low, high = beta_interval(k, n, cred)
            rate = k / n if n > 0 else np.nan
            rows.append(
                {"channel": ch, "from_stage": a, "to_stage": b, "entered": n, "advanced": k, "lost": n - k,
                 "rate": rate, "rate_low": float(low), "rate_high": float(high), "drop_off": 1 - rate}
            )
    return pd.DataFrame(rows)


def largest_dropoff(stage_table: pd.DataFrame, from_stage: str | None = "clicks") -> pd.DataFrame:
    """Per channel, the step that loses the largest share of those who entered it (from ``from_stage`` on).

    ``from_stage="clicks"`` ignores impressions → clicks (a media metric, always the largest
    loss); ``None`` considers every step.
    """
    table = stage_table
    if from_stage is not None:
        stages = list(dict.fromkeys(table["from_stage"]))
        if from_stage not in stages:
            raise ValueError(f"from_stage must be one of {stages}, got {from_stage!r}")
        table = table[table["from_stage"].isin(stages[stages.index(from_stage) :])]
    table = table[table["drop_off"].notna()]  # a step nobody entered has no drop-off
    idx = table.groupby("channel", sort=False)["drop_off"].idxmax()
    return table.loc[idx.dropna().astype(int)].reset_index(drop=True)


def unit_economics(funnel: pd.DataFrame, cred: float = 0.9) -> pd.DataFrame:
    """Per channel (and all channels): totals, ctr, cvr, pay_rate, CPA, CAC and ROAS with credible intervals.

    CPA and CAC are currency per sign-up and per order; ROAS is the *attributed* ROAS, the
    funnel's revenue per unit of spend (not the MMM's incremental ROAS). Intervals treat the
    sign-up and order counts as Poisson (Jeffreys Gamma posterior); the ROAS interval adds the
    variability of order value (:func:`roas_log_sd`). ``aov_cv`` is the order values' coefficient
    of variation estimated from the daily data (:func:`order_value_cv`).
    """
    t = _totals(funnel).astype(float)
    out = t.copy()
    for kpi in ("ctr", "cvr", "pay_rate"):
        num, den = KPI_PARTS[kpi]
        out[kpi] = t[num] / t[den].replace(0, np.nan)
        out[f"{kpi}_low"], out[f"{kpi}_high"] = beta_interval(t[num], t[den], cred)
    for kpi, count in (("cpa", "signups"), ("cac", "orders")):
        low, high = count_rate_interval(t[count], cred)
        out[kpi] = t["spend"] / t[count].replace(0, np.nan)
        out[f"{kpi}_low"] = t["spend"] / high
        out[f"{kpi}_high"] = t["spend"] / np.where(low > 0, low, np.nan)
    orders = t["orders"].replace(0, np.nan)
    out["roas"] = t["revenue"] / t["spend"].replace(0, np.nan)
    out["aov"] = t["revenue"] / orders
    out["aov_cv"] = order_value_cv(funnel).reindex(out.index)
    sd = roas_log_sd(t["orders"], out["aov_cv"])
    z = stats.norm.ppf(1 - (1 - cred) / 2)
    out["roas_low"] = out["roas"] * np.exp(-z * sd)
    out["roas_high"] = out["roas"] * np.exp(z * sd)
    return out.rename_axis("channel").reset_index()
