"""Figures for the market report: each takes a :class:`~playbook.market.MarketResult`, returns a Figure.

Titles state the takeaway and come from :mod:`playbook.market.narrative`, where their rules are
tested. A figure whose data the result lacks (no prior year, no forecast) returns ``None``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from playbook import fmt, theme
from playbook.market import narrative

if TYPE_CHECKING:  # pragma: no cover
    from playbook.market import MarketResult

#: Background bands of the concentration chart: light to dark grey (no colour meaning implied).
HHI_SHADES = ("#F3F4F6", "#E5E7EB", "#D1D5DB")


def market_size(r: MarketResult) -> Figure:
    """Market revenue per period (bars) with the STL trend (line) when there is one."""
    series, unit = r.series, r.freq.unit
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    ax.bar(series.index, series.to_numpy(), width=25 if unit == "month" else 6, color=theme.COLORS["others"],
           label=f"revenue per {unit}")
    if r.seasonality is not None:
        trend = r.seasonality.components.set_index("period")["trend"]
        ax.plot(trend.index, trend.to_numpy(), color=theme.COLORS["ours"], lw=2.2, label="trend (STL)")
    theme.money_axis(ax)
    ax.set_ylabel(f"market revenue per {unit}")
    ax.set_title(narrative.market_size_title(r))
    ax.legend(loc="upper left")
    return fig


def yearly_totals(r: MarketResult) -> Figure:
    """Revenue of each successive year of periods ending at the last period, with growth labels."""
    series, ppy = r.series, r.freq.periods_per_year
    n_years = max(len(series) // ppy, 1)
    totals, labels = [], []
    for k in range(n_years, 0, -1):
        end = len(series) - (k - 1) * ppy
        window = series.iloc[max(end - ppy, 0) : end]
        totals.append(float(window.sum()))
        labels.append(f"{fmt.date(window.index[0], 'month')}–\n{fmt.date(window.index[-1], 'month')}")
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    colors = [theme.COLORS["others"]] * (len(totals) - 1) + [theme.COLORS["ours"]]
    bars = ax.bar(range(len(totals)), totals, color=colors)
    scale = fmt.scale_for(totals)
    for i, bar in enumerate(bars):
        text = fmt.money_scaled(totals[i], scale, digits=2)
        if i > 0 and totals[i - 1] > 0:
            text += f"\n{fmt.pct(totals[i] / totals[i - 1] - 1, signed=True)}"
        ax.annotate(text.replace("$", r"\$"), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                    va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(range(len(totals)), labels, fontsize=8.5)
    theme.money_axis(ax)
    ax.set_ylabel("market revenue per year")
    ax.set_ylim(0, max(max(totals) * 1.18, 1.0))
    ax.set_title(narrative.yearly_title(r))
    return fig


def share_trend(r: MarketResult) -> Figure:
    """Rolling share per brand over time, our brand highlighted and each line labelled at its end."""
    shares, ours = r.shares.dropna(how="all"), r.our_brand
    colors = theme.color_map(shares.columns, highlight=ours)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    order = shares.iloc[-1].sort_values(ascending=False).index
    label_y = _spread(shares.iloc[-1][order].to_numpy(), min_gap=0.022 * max(float(shares.max().max()), 0.05) / 0.4)
    for brand, y in zip(order, label_y):
        mine = brand == ours
        ax.plot(shares.index, shares[brand], color=colors[brand], lw=3 if mine else 1.6, label=brand, zorder=3 if mine else 2)
        ax.annotate(f"{narrative.label(brand)} {fmt.pct(shares[brand].iloc[-1], 0)}", (shares.index[-1], y), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, color=colors[brand],
                    fontweight="bold" if mine else None)
    theme.pct_axis(ax)
    ax.set_ylabel(f"share of market revenue (rolling {narrative.share_window_label(r)})")
    ax.set_ylim(bottom=0)
    span = shares.index[-1] - shares.index[0]
    ax.set_xlim(shares.index[0], shares.index[-1] + span * 0.12 if len(shares) > 1 else None)
    ax.set_title(narrative.share_title(r))
    return fig


def _spread(values: np.ndarray, min_gap: float) -> np.ndarray:
    """Label heights for values sorted high to low, pushed apart to at least ``min_gap``."""
    out = np.array(values, dtype=float)
    for i in range(1, len(out)):
        out[i] = min(out[i], out[i - 1] - min_gap)
    return out


def share_change(r: MarketResult) -> Figure | None:
    """Share change (pp) and share of growth per brand, side by side; ``None`` without a prior year or rivals."""
    if not r.has_prior_year or len(r.brands) < 2:
        return None
    df = r.brands.sort_values("share_change_pp")
    names = df["brand"].map(narrative.label)
    colors = [theme.COLORS["ours"] if b == r.our_brand else theme.COLORS["others"] for b in df["brand"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=theme.FIGSIZE_WIDE, sharey=True)
    ax1.barh(names, df["share_change_pp"], color=colors)
    ax1.axvline(0, color=theme.COLORS["neutral"], lw=0.8)
    for y, v in enumerate(df["share_change_pp"]):
        ax1.annotate(fmt.pp(v / 100), (v, y), xytext=(4 if v >= 0 else -4, 0), textcoords="offset points",
                     ha="left" if v >= 0 else "right", va="center", fontsize=9)
    ax1.set_xlabel("share change vs prior year (percentage points)")
    ax1.margins(x=0.25)
    ax1.set_title(narrative.share_change_title(r))
    ax2.barh(names, df["share_of_growth"].fillna(0), color=colors)
    ax2.axvline(0, color=theme.COLORS["neutral"], lw=0.8)
    for y, v in enumerate(df["share_of_growth"]):
        if np.isfinite(v):
            ax2.annotate(fmt.pct(v, 0, signed=True), (v, y), xytext=(4 if v >= 0 else -4, 0), textcoords="offset points",
                         ha="left" if v >= 0 else "right", va="center", fontsize=9)
    theme.pct_axis(ax2, "x")
    ax2.set_xlabel("share of the market's revenue change")
    ax2.margins(x=0.25)
    ax2.set_title("Who captured the change", fontsize=11)
    return fig


def price_positioning(r: MarketResult) -> Figure | None:
    """Relative price (× market average) vs share; bubble area = revenue; ``None`` when no brand has a price."""
    brands = r.brands.dropna(subset=["relative_price"])
    if brands.empty or brands["revenue_last"].max() <= 0:
        return None
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    colors = theme.color_map(r.brands["brand"], highlight=r.our_brand)
    size = 2500 * brands["revenue_last"] / brands["revenue_last"].max()
    ax.scatter(brands["relative_price"], brands["share_last"], s=size, c=[colors[b] for b in brands["brand"]], alpha=0.55,
               edgecolor="white", linewidth=1.5)
    for _, row in brands.iterrows():
        change = f"\n{fmt.pp(row['share_change_pp'] / 100)}" if np.isfinite(row["share_change_pp"]) else ""
        ax.annotate(f"{narrative.label(row['brand'])}{change}", (row["relative_price"], row["share_last"]), ha="center",
                    va="center", fontsize=9, fontweight="bold" if row["brand"] == r.our_brand else None)
    ax.axvline(1.0, color=theme.COLORS["neutral"], lw=0.8, ls="--")
    ax.annotate("market average price", (1.0, ax.get_ylim()[1]), xytext=(4, -12), textcoords="offset points", fontsize=8.5,
                color=theme.COLORS["neutral"])
    theme.pct_axis(ax)
    ax.set_xlabel("average price relative to the market (1.0 = market average; revenue ÷ units)")
    ax.set_ylabel("share of market revenue, last year")
    ax.margins(0.2)
    ax.set_title("Price positioning: relative price against share")
    return fig


def region_map(r: MarketResult) -> Figure:
    """Regions: market growth (or, without a prior year, size) vs our share; bubble area = market size."""
    regions = r.regions
    x = regions["yoy_growth"] if r.has_prior_year else regions["size_share"]
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    size = 3000 * regions["revenue_last"] / max(regions["revenue_last"].max(), 1e-12)
    first = regions["priority_rank"] == 1
    ax.scatter(x, regions["our_share"], s=size, alpha=0.5, edgecolor="white", linewidth=1.5,
               c=[theme.COLORS["ours"] if t else theme.COLORS["others"] for t in first])
    scale = fmt.scale_for(regions["revenue_last"])
    for xi, (_, row) in zip(x, regions.iterrows()):
        ax.annotate(f"#{row['priority_rank']} {narrative.label(row['region'])}\n"
                    + fmt.money_scaled(row["revenue_last"], scale).replace("$", r"\$"), (xi, row["our_share"]),
                    ha="center", va="center", fontsize=9, fontweight="bold" if row["priority_rank"] == 1 else None)
    theme.pct_axis(ax, "x")
    theme.pct_axis(ax)
    ax.set_xlabel("market growth, last year vs prior year" if r.has_prior_year else "region's share of the market")
    ax.set_ylabel("our share of the region's revenue")
    ax.margins(0.25)
    ax.set_title(narrative.region_map_title(r))
    return fig


def priority_bars(r: MarketResult) -> Figure:
    """Priority score per region (currency), ranked, with today's headroom for comparison."""
    df = r.regions.sort_values("priority_rank", ascending=False)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    y = np.arange(len(df))
    ax.barh(y + 0.2, df["priority_score"], height=0.4, color=theme.COLORS["ours"], label="priority score (next year's market)")
    ax.barh(y - 0.2, df["headroom"], height=0.4, color=theme.COLORS["others"], label="headroom (today's market)")
    ax.set_yticks(y, [f"#{k} {narrative.label(n)}" for k, n in zip(df["priority_rank"], df["region"])])
    theme.money_axis(ax, "x")
    ax.set_xlabel("yearly revenue from closing the gap to the target share")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    ax.set_title(narrative.priority_title(r))
    return fig


def seasonality(r: MarketResult) -> Figure | None:
    """STL panels: observed with trend, seasonal index per month (peaks highlighted), remainder."""
    season = r.seasonality
    if season is None:
        return None
    comps = season.components
    fig = plt.figure(figsize=theme.FIGSIZE_TALL)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.1, 1])
    ax1 = fig.add_subplot(grid[0, :])
    ax1.plot(comps["period"], comps["observed"], color=theme.COLORS["others"], lw=1.4, label="observed")
    ax1.plot(comps["period"], comps["trend"], color=theme.COLORS["ours"], lw=2.2, label="trend")
    theme.money_axis(ax1)
    ax1.set_ylabel(f"revenue per {r.freq.unit}")
    ax1.legend(loc="upper left")
    ax1.set_title(narrative.seasonality_title(r))
    ax2 = fig.add_subplot(grid[1, 0])
    idx = season.seasonal_index
    colors = [theme.COLORS["ours"] if m in season.peak_months else theme.COLORS["neutral"] if m == season.trough_month
              else theme.COLORS["others"] for m in idx.index]
    ax2.bar([m[:3] for m in idx.index], idx.to_numpy() - 1, color=colors)
    ax2.axhline(0, color=theme.COLORS["neutral"], lw=0.8)
    theme.pct_axis(ax2)
    ax2.set_ylabel("vs trend (seasonal index − 1)")
    ax2.tick_params(axis="x", labelsize=8)
    ax2.set_title("Seasonal pattern", fontsize=11)
    ax3 = fig.add_subplot(grid[1, 1])
    ax3.plot(comps["period"], comps["remainder_factor"] - 1, color=theme.COLORS["neutral"], lw=1)
    ax3.axhline(0, color=theme.COLORS["neutral"], lw=0.8)
    theme.pct_axis(ax3, decimals=1)
    ax3.set_ylabel("remainder (vs trend × season)")
    ax3.tick_params(axis="x", labelsize=8)
    ax3.set_title("What trend and season leave unexplained", fontsize=11)
    return fig


def forecast(r: MarketResult, history_periods: int = 36) -> Figure | None:
    """History, the forecast mean with its published (calibrated) interval, the model's own interval
    (dotted) and one backtest forecast: the latest origin whose horizon was seen in full."""
    fc, backtest = r.forecast, r.backtest
    if fc is None:
        return None
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    hist = r.series.iloc[-history_periods:]
    ax.plot(hist.index, hist.to_numpy(), color=theme.COLORS["neutral"], lw=1.6, label="actual")
    t = fc.table
    calibrated = fc.interval_method == "conformal"
    ax.fill_between(t["period"], t["lower"], t["upper"], color=theme.COLORS["interval"], alpha=0.2,
                    label=fmt.interval_label(r.interval, "prediction interval") + (" (calibrated on the backtest)" if calibrated else ""))
    if calibrated:
        for col in ("model_lower", "model_upper"):
            ax.plot(t["period"], t[col], color=theme.COLORS["interval"], lw=1, ls=":",
                    label="model's own interval (too narrow)" if col == "model_lower" else None)
    ax.plot(t["period"], t["mean"], color=theme.COLORS["ours"], lw=2.2, label="forecast")
    if backtest is not None:
        b = backtest.table
        full = b.groupby("origin")["horizon"].max()
        origin = full.index[full == full.max()].max()
        one = b.loc[b["origin"] == origin]
        ax.plot(one["period"], one["mean"], color=theme.COLORS["warn"], lw=1.4, ls="--",
                label=f"backtest: forecast made in {fmt.date(origin, 'month')}")
    theme.money_axis(ax)
    ax.set_ylabel(f"market revenue per {r.freq.unit}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=9)
    ax.set_title(narrative.forecast_title(r))
    return fig


def backtest_by_horizon(r: MarketResult) -> Figure | None:
    """Rolling-origin backtest per horizon: MAPE of model and seasonal naive (left), interval
    coverage of the model's own and of the calibrated interval against the nominal mass (right)."""
    backtest, unit = r.backtest, r.freq.unit
    if backtest is None:
        return None
    bh = backtest.by_horizon
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=theme.FIGSIZE_WIDE)
    ax1.plot(bh["horizon"], bh["mape"], marker="o", color=theme.COLORS["ours"], label="model")
    ax1.plot(bh["horizon"], bh["seasonal_naive_mape"], marker="o", color=theme.COLORS["others"], label="same period last year")
    theme.pct_axis(ax1, decimals=1)
    ax1.set_ylim(bottom=0)
    ax1.set_xlabel(f"{unit}s ahead")
    ax1.set_ylabel("mean absolute percentage error")
    ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=9)
    ax1.set_title(narrative.backtest_title(r))
    ax2.axhline(backtest.level, color=theme.COLORS["neutral"], lw=1, ls="--")
    ax2.annotate(f"nominal {fmt.mass(backtest.level)}", (bh["horizon"].iloc[-1], backtest.level), xytext=(0, -12),
                 textcoords="offset points", ha="right", fontsize=8.5, color=theme.COLORS["neutral"])
    ax2.plot(bh["horizon"], bh["coverage_model"], marker="o", color=theme.COLORS["warn"], label="model's own interval")
    ax2.plot(bh["horizon"], bh["coverage_calibrated"], marker="o", color=theme.COLORS["interval"],
             label="calibrated (leave one origin out)")
    theme.pct_axis(ax2)
    ax2.set_ylim(0, 1.05)
    ax2.set_xlabel(f"{unit}s ahead")
    ax2.set_ylabel("share of actuals inside the interval")
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=9)
    ax2.set_title("Interval coverage in the backtest", fontsize=11)
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def breakdown_bars(r: MarketResult, column: str) -> Figure:
    """Revenue per value of ``column`` (bars, with growth labels) and our share in each."""
    df = r.breakdowns[column].sort_values("revenue_last")
    names = df[column].map(narrative.label)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=theme.FIGSIZE_WIDE, sharey=True)
    ax1.barh(names, df["revenue_last"], color=theme.COLORS["others"])
    scale = fmt.scale_for(df["revenue_last"])
    for y, (v, g) in enumerate(zip(df["revenue_last"], df["yoy_growth"])):
        text = fmt.money_scaled(v, scale) + (f"  ({fmt.pct(g, 0, signed=True)} YoY)" if np.isfinite(g) else "")
        ax1.annotate(text.replace("$", r"\$"), (v, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    theme.money_axis(ax1, "x")
    ax1.margins(x=0.45)
    ax1.set_xlabel(f"market revenue, {narrative.window(r)}")
    ax1.set_title(narrative.breakdown_title(r, column))
    ax2.barh(names, df["our_share"].fillna(0), color=theme.COLORS["ours"])
    for y, (v, c) in enumerate(zip(df["our_share"], df["our_share_change_pp"])):
        change = f" ({fmt.pp(c / 100)})" if np.isfinite(c) else ""
        ax2.annotate(f"{fmt.pct(v)}{change}", (v if np.isfinite(v) else 0, y), xytext=(4, 0), textcoords="offset points",
                     va="center", fontsize=9)
    theme.pct_axis(ax2, "x")
    ax2.margins(x=0.45)
    ax2.set_xlabel("our share of revenue")
    ax2.set_title("Our share", fontsize=11)
    return fig


def hhi_trend(r: MarketResult) -> Figure:
    """Herfindahl–Hirschman index over time with the concentration bands of the narrative's rule."""
    hhi = r.hhi.dropna()
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    top = max(3000.0, float(hhi.max()) * 1.2 if len(hhi) else 3000.0)
    bands = ((0, narrative.HHI_MODERATE), (narrative.HHI_MODERATE, narrative.HHI_HIGH), (narrative.HHI_HIGH, top))
    for (low, high), shade in zip(bands, HHI_SHADES):
        ax.axhspan(low, high, color=shade, alpha=0.8, zorder=0)
    ax.plot(hhi.index, hhi.to_numpy(), color=theme.COLORS["ours"], lw=2, marker="o" if len(hhi) < 3 else None)
    ax.set_ylim(0, top)
    names = (f"unconcentrated (< {fmt.count(narrative.HHI_MODERATE)})", "moderately concentrated",
             f"highly concentrated (> {fmt.count(narrative.HHI_HIGH)})")
    for (low, high), text in zip(bands, names):  # at the right end, near each band's lower edge
        ax.annotate(text, (hhi.index[-1], low + 0.08 * (min(high, top) - low)), fontsize=8.5, color=theme.COLORS["neutral"],
                    ha="right", va="bottom")
    theme.count_axis(ax)
    ax.set_ylabel(f"HHI (0–10,000, rolling {narrative.share_window_label(r)})")
    ax.set_title("Market concentration over time (Herfindahl–Hirschman index)")
    return fig
