"""Shares, competitors and concentration (Farris et al., *Marketing Metrics*, ch. 2).

* **Share** = brand revenue ÷ market revenue in the window; **share change** in percentage
  points (pp) = 100 × (share last year − share the year before).
* **Share of growth** = the brand's revenue change ÷ the market's revenue change.
* **Relative share** = share ÷ share of the largest other brand.
* **Average price** = revenue ÷ units over the rows that report units; **relative price** =
  average price ÷ market average price.
* **Herfindahl–Hirschman index (HHI)** = 10,000 × Σ share², from 0 (fragmented) to 10,000 (monopoly).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.market.panel import window_periods


def herfindahl(shares: pd.Series | np.ndarray) -> float:
    """Herfindahl–Hirschman index on the 0–10,000 scale: 10,000 × Σ share² (shares as fractions)."""
    s = np.asarray(shares, dtype=float)
    return float(10_000 * np.sum(s**2))


def brand_table(frame: pd.DataFrame, periods: pd.DatetimeIndex, periods_per_year: int, our_brand: str | None = None) -> pd.DataFrame:
    """Per brand: revenue, share, share change (pp), growth, share of growth and price, last year.

    Columns: brand, revenue_last, revenue_prior, share_last, share_prior, share_change_pp
    (percentage points), yoy_growth (NaN for a brand with no prior-year revenue), share_of_growth,
    units_last, avg_price (revenue ÷ units, rows with units only), relative_price (÷ market average
    price), relative_share (÷ largest other brand's share), is_ours. Prior-year columns are NaN
    when the data hold less than two years. Sorted by revenue_last, largest first.
    """
    last, prior = window_periods(periods, periods_per_year)
    in_last, in_prior = frame["period"].isin(last), frame["period"].isin(prior)
    brands = sorted(frame["brand"].unique())

    def total(mask: pd.Series, column: str = "revenue") -> pd.Series:
        return frame.loc[mask].groupby("brand")[column].sum().reindex(brands, fill_value=0.0)

    rev_last, rev_prior, units_last = total(in_last), total(in_prior), total(in_last, "units")
    priced = total(in_last & (frame["units"] > 0))
    market_last, market_prior = rev_last.sum(), rev_prior.sum()
    out = pd.DataFrame({"brand": brands})
    out["revenue_last"] = rev_last.to_numpy()
    out["revenue_prior"] = rev_prior.to_numpy() if len(prior) else np.nan
    out["share_last"] = out["revenue_last"] / market_last if market_last > 0 else np.nan
    out["share_prior"] = out["revenue_prior"] / market_prior if market_prior > 0 else np.nan
    out["share_change_pp"] = 100 * (out["share_last"] - out["share_prior"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["yoy_growth"] = np.where(out["revenue_prior"] > 0, out["revenue_last"] / out["revenue_prior"] - 1, np.nan)
    change = market_last - market_prior
    out["share_of_growth"] = (out["revenue_last"] - out["revenue_prior"]) / change if len(prior) and change != 0 else np.nan
    out["units_last"] = units_last.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["avg_price"] = np.where(out["units_last"] > 0, priced.to_numpy() / out["units_last"].to_numpy(), np.nan)
    market_units = units_last.sum()
    market_price = priced.sum() / market_units if market_units > 0 else np.nan
    out["relative_price"] = out["avg_price"] / market_price
    largest_other = [out["share_last"].drop(index=i).max() if len(out) > 1 else np.nan for i in out.index]
    out["relative_share"] = out["share_last"] / pd.Series(largest_other, index=out.index)
    out["is_ours"] = out["brand"] == our_brand
    return out.sort_values("revenue_last", ascending=False, ignore_index=True)


def share_by_period(frame: pd.DataFrame, window: int = 1) -> pd.DataFrame:
    """Revenue share (fraction) per period (rows) and brand (columns), over trailing ``window`` periods.

    ``window=12`` on monthly data gives rolling 12-month shares, free of seasonal wiggle; the
    first ``window − 1`` periods are dropped. A brand absent in a period has share 0; a period
    without any revenue has NaN shares.
    """
    wide = frame.pivot_table(index="period", columns="brand", values="revenue", aggfunc="sum", fill_value=0.0).sort_index()
    rolled = wide.rolling(window).sum().iloc[window - 1 :] if window > 1 else wide
    totals = rolled.sum(axis=1)
    shares = rolled.div(totals.where(totals > 0), axis=0)
    shares.columns.name = "brand"
    return shares


def hhi_by_period(shares: pd.DataFrame) -> pd.Series:
    """Herfindahl–Hirschman index (0–10,000) per period from a period × brand share table."""
    return (10_000 * (shares**2).sum(axis=1, min_count=1)).rename("hhi")


def biggest_threat(brands: pd.DataFrame, our_brand: str) -> str | None:
    """The competitor that gained the most share (pp) over the last year; ``None`` if none gained."""
    rivals = brands.loc[(brands["brand"] != our_brand) & (brands["share_change_pp"] > 0)]
    if rivals.empty:
        return None
    return str(rivals.sort_values("share_change_pp", ascending=False).iloc[0]["brand"])
