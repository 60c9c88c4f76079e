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
roas       revenue / spend              from the order count (value per order held fixed)
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
    idx = table.groupby("channel", sort=False)["drop_off"].idxmax()
    return table.loc[idx.dropna().astype(int)].reset_index(drop=True)


def unit_economics(funnel: pd.DataFrame, cred: float = 0.9) -> pd.DataFrame:
    """Per channel (and all channels): totals, ctr, cvr, pay_rate, CPA, CAC and ROAS with credible intervals.

    CPA and CAC are currency per sign-up and per order; ROAS is revenue per unit of spend.
    Intervals treat the sign-up and order counts as Poisson (Jeffreys Gamma posterior); ROAS
    takes its uncertainty from the order count only.
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
    low, high = count_rate_interval(t["orders"], cred)
    orders = t["orders"].replace(0, np.nan)
    out["roas"] = t["revenue"] / t["spend"].replace(0, np.nan)
    out["roas_low"] = out["roas"] * low / orders
    out["roas_high"] = out["roas"] * high / orders
    out["aov"] = t["revenue"] / orders
    return out.rename_axis("channel").reset_index()
