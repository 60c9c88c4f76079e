"""Regions and breakdowns: size, growth, our share, headroom and the priority ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.market.growth import TrendGrowth, trend_growth
from playbook.market.panel import market_series, window_periods

PRIORITY_FORMULA = (
    "priority score = market revenue of the last year × (1 + YoY growth) × "
    "max(target share − our share, 0); target share = the leading competitor's share in that region "
    "unless a target is set (no competitor: no gap). It is the yearly revenue we would add by reaching the "
    "target share in next year's market, if the region keeps growing at its current rate (growth counts as 0 "
    "where it is unknown). Headroom is the same gap in today's market: market revenue × max(target share − "
    "our share, 0). Ties are broken by higher growth."
)


def region_table(frame: pd.DataFrame, periods: pd.DatetimeIndex, our_brand: str, periods_per_year: int,
                 target_share: float | None = None) -> pd.DataFrame:
    """Per region: size, growth, our share, headroom and priority score (currency), ranked.

    Columns: region, revenue_last, revenue_prior, size_share (region's share of the whole
    market), yoy_growth, our_revenue_last, our_share, our_share_prior, our_share_change_pp,
    leader (largest competitor, ``None`` without one), leader_share, target_share, headroom,
    priority_score, priority_rank (1 = first). With target share = ``target_share`` or else the
    leading competitor's share in the region::

        headroom       = revenue_last × max(target_share − our_share, 0)
        priority_score = revenue_last × (1 + yoy_growth) × max(target_share − our_share, 0)

    (see :data:`PRIORITY_FORMULA`). Ties in the score are broken by higher growth.
    """
    last, prior = window_periods(periods, periods_per_year)
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
                "revenue_prior": rev_prior if len(prior) else np.nan,
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
    gap = (out["target_share"] - out["our_share"]).clip(lower=0).fillna(0.0)
    out["headroom"] = out["revenue_last"] * gap
    out["priority_score"] = out["revenue_last"] * (1 + out["yoy_growth"].fillna(0)) * gap
    out = out.sort_values(["priority_score", "yoy_growth"], ascending=[False, False], ignore_index=True)
    out["priority_rank"] = np.arange(1, len(out) + 1)
    return out


def region_trends(frame: pd.DataFrame, periods: pd.DatetimeIndex, periods_per_year: int, level: float) -> dict[str, TrendGrowth]:
    """Underlying yearly growth of each region's market (:func:`~playbook.market.growth.trend_growth`), by region."""
    return {str(region): trend_growth(market_series(g, periods), periods_per_year, level)
            for region, g in frame.groupby("region", sort=True)}


def breakdown(frame: pd.DataFrame, periods: pd.DatetimeIndex, by: str, our_brand: str, periods_per_year: int) -> pd.DataFrame:
    """Per value of ``by`` (e.g. category, channel): size, share of market, growth and our share.

    Columns: <by>, revenue_last, size_share, yoy_growth, our_share, our_share_change_pp.
    Sorted by revenue_last, largest first.
    """
    if by not in frame.columns:
        raise KeyError(f"column {by!r} is not in the panel; it has {', '.join(frame.columns)}")
    last, prior = window_periods(periods, periods_per_year)
    in_last, in_prior = frame["period"].isin(last), frame["period"].isin(prior)
    ours = frame["brand"] == our_brand
    keys = sorted(frame[by].dropna().unique())

    def total(mask: pd.Series) -> pd.Series:
        return frame.loc[mask].groupby(by)["revenue"].sum().reindex(keys, fill_value=0.0)

    rev_last, rev_prior = total(in_last), total(in_prior)
    our_last, our_prior = total(in_last & ours), total(in_prior & ours)
    out = pd.DataFrame({by: keys})
    out["revenue_last"] = rev_last.to_numpy()
    out["size_share"] = out["revenue_last"] / out["revenue_last"].sum() if out["revenue_last"].sum() > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        out["yoy_growth"] = np.where(rev_prior > 0, rev_last.to_numpy() / rev_prior.to_numpy() - 1, np.nan)
        share_last = np.where(rev_last > 0, our_last / rev_last, np.nan)
        share_prior = np.where(rev_prior > 0, our_prior / rev_prior, np.nan)
    out["our_share"] = share_last
    out["our_share_change_pp"] = 100 * (share_last - share_prior)
    return out.sort_values("revenue_last", ascending=False, ignore_index=True)
