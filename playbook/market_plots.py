"""Figures for the market analysis: each takes results from :mod:`playbook.market`, returns a Figure.

Titles are passed in by the notebook so they can state the takeaway computed from the numbers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from playbook import theme
from playbook.report import fmt_money, fmt_number

MONEY = FuncFormatter(lambda v, _: fmt_money(v))


def _pct_axis(ax, axis: str = "y", decimals: int = 0) -> None:
    """Percent tick labels at round steps (no repeated labels from rounding)."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    target.set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def _money_axis(ax, axis: str = "y") -> None:
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(MONEY)


def market_size(series: pd.Series, trend: pd.Series | None, title: str, unit: str = "month") -> Figure:
    """Market revenue per period (bars) with the STL trend (line)."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    width = 25 if unit == "month" else 6
    ax.bar(series.index, series.to_numpy(), width=width, color=theme.COLORS["others"], label=f"revenue per {unit}")
    if trend is not None:
        ax.plot(trend.index, trend.to_numpy(), color=theme.COLORS["ours"], lw=2.2, label="trend (STL)")
    _money_axis(ax)
    ax.set_ylabel(f"market revenue per {unit}")
    ax.set_xlabel("")
    ax.set_title(title)
    ax.legend(loc="upper left")
    return fig


def yearly_totals(series: pd.Series, periods_per_year: int, title: str) -> Figure:
    """Revenue of each successive 12-month (52-week) window ending at the last period, with growth labels."""
    n_years = len(series) // periods_per_year
    totals, labels = [], []
    for k in range(n_years, 0, -1):
        end = len(series) - (k - 1) * periods_per_year
        window = series.iloc[end - periods_per_year : end]
        totals.append(float(window.sum()))
        labels.append(f"{window.index[0]:%b %Y}–\n{window.index[-1]:%b %Y}")
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    colors = [theme.COLORS["others"]] * (len(totals) - 1) + [theme.COLORS["ours"]]
    bars = ax.bar(range(len(totals)), totals, color=colors)
    for i, bar in enumerate(bars):
        text = fmt_money(totals[i])
        if i > 0:
            text += f"\n{(totals[i] / totals[i - 1] - 1) * 100:+.1f}%"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(range(len(totals)), labels, fontsize=8.5)
    _money_axis(ax)
    ax.set_ylabel("market revenue per year")
    ax.set_ylim(0, max(totals) * 1.18)
    ax.set_title(title)
    return fig


def share_trend(shares: pd.DataFrame, our_brand: str, title: str, window_label: str) -> Figure:
    """Rolling share per brand over time, our brand highlighted."""
    colors = theme.color_map(shares.columns, highlight=our_brand)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    order = shares.iloc[-1].sort_values(ascending=False).index
    label_y = _spread(shares.iloc[-1][order].to_numpy(), min_gap=0.022 * max(float(shares.max().max()), 0.05) / 0.4)
    for brand, y in zip(order, label_y):
        ours = brand == our_brand
        ax.plot(shares.index, shares[brand], color=colors[brand], lw=3 if ours else 1.6, label=brand, zorder=3 if ours else 2)
        ax.annotate(f"{brand} {shares[brand].iloc[-1]:.0%}", (shares.index[-1], y), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=9, color=colors[brand], fontweight="bold" if ours else None)
    _pct_axis(ax)
    ax.set_ylabel(f"share of market revenue (rolling {window_label})")
    ax.set_ylim(bottom=0)
    ax.set_xlim(shares.index[0], shares.index[-1] + (shares.index[-1] - shares.index[0]) * 0.12)
    ax.set_title(title)
    return fig


def _spread(values: np.ndarray, min_gap: float) -> np.ndarray:
    """Label heights for values sorted high to low, pushed apart to at least ``min_gap``."""
    out = np.array(values, dtype=float)
    for i in range(1, len(out)):
        out[i] = min(out[i], out[i - 1] - min_gap)
    return out


def share_change(brands: pd.DataFrame, our_brand: str, title: str) -> Figure:
    """Share change (pp) and share of growth per brand, side by side."""
    df = brands.sort_values("share_change_pp")
    colors = [theme.COLORS["ours"] if b == our_brand else (theme.COLORS["good"] if v > 0 else theme.COLORS["bad"])
              for b, v in zip(df["brand"], df["share_change_pp"])]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=theme.FIGSIZE_WIDE, sharey=True)
    ax1.barh(df["brand"], df["share_change_pp"], color=colors)
    ax1.axvline(0, color=theme.COLORS["neutral"], lw=0.8)
    for y, v in enumerate(df["share_change_pp"]):
        ax1.annotate(f"{v:+.1f} pp", (v, y), xytext=(4 if v >= 0 else -4, 0), textcoords="offset points",
                     ha="left" if v >= 0 else "right", va="center", fontsize=9)
    ax1.set_xlabel("share change vs prior year (percentage points)")
    ax1.margins(x=0.25)
    ax1.set_title(title)
    ax2.barh(df["brand"], df["share_of_growth"], color=colors)
    ax2.axvline(0, color=theme.COLORS["neutral"], lw=0.8)
    for y, v in enumerate(df["share_of_growth"]):
        if np.isfinite(v):
            ax2.annotate(f"{v:+.0%}", (v, y), xytext=(4 if v >= 0 else -4, 0), textcoords="offset points",
                         ha="left" if v >= 0 else "right", va="center", fontsize=9)
    _pct_axis(ax2, "x")
    ax2.set_xlabel("share of the market's revenue growth")
    ax2.margins(x=0.25)
    ax2.set_title("Who captured the growth", fontsize=11)
    return fig


def price_positioning(brands: pd.DataFrame, our_brand: str, title: str) -> Figure:
    """Relative price (× market average) vs share; bubble area = revenue; colour = share change."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    colors = theme.color_map(brands["brand"], highlight=our_brand)
    size = 2500 * brands["revenue_last"] / brands["revenue_last"].max()
    ax.scatter(brands["relative_price"], brands["share_last"], s=size, c=[colors[b] for b in brands["brand"]], alpha=0.55,
               edgecolor="white", linewidth=1.5)
    for _, row in brands.iterrows():
        ax.annotate(f"{row['brand']}\n{row['share_change_pp']:+.1f} pp", (row["relative_price"], row["share_last"]),
                    ha="center", va="center", fontsize=9, fontweight="bold" if row["brand"] == our_brand else None)
    ax.axvline(1.0, color=theme.COLORS["neutral"], lw=0.8, ls="--")
    ax.annotate("market average price", (1.0, ax.get_ylim()[1]), xytext=(4, -12), textcoords="offset points", fontsize=8.5,
                color=theme.COLORS["neutral"])
    _pct_axis(ax)
    ax.set_xlabel("average price relative to the market (1.0 = market average; revenue ÷ units)")
    ax.set_ylabel("share of market revenue, last year")
    ax.margins(0.2)
    ax.set_title(title)
    return fig


def region_map(regions: pd.DataFrame, title: str) -> Figure:
    """Regions: market growth vs our share, bubble area = market size, label = priority rank."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    size = 3000 * regions["revenue_last"] / regions["revenue_last"].max()
    top = regions["priority_rank"] == 1
    ax.scatter(regions["yoy_growth"], regions["our_share"], s=size, alpha=0.5, edgecolor="white", linewidth=1.5,
               c=[theme.COLORS["ours"] if t else theme.COLORS["others"] for t in top])
    for _, row in regions.iterrows():
        ax.annotate(f"#{row['priority_rank']} {row['region']}\n{fmt_money(row['revenue_last'])}", (row["yoy_growth"], row["our_share"]),
                    ha="center", va="center", fontsize=9, fontweight="bold" if row["priority_rank"] == 1 else None)
    _pct_axis(ax, "x")
    _pct_axis(ax)
    ax.set_xlabel("market growth, last year vs prior year")
    ax.set_ylabel("our share of the region's revenue")
    ax.margins(0.25)
    ax.set_title(title)
    return fig


def priority_bars(regions: pd.DataFrame, title: str) -> Figure:
    """Priority score per region (currency), ranked, with today's headroom for comparison."""
    df = regions.sort_values("priority_rank", ascending=False)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    y = np.arange(len(df))
    ax.barh(y + 0.2, df["priority_score"], height=0.4, color=theme.COLORS["ours"], label="priority score (next year's market)")
    ax.barh(y - 0.2, df["headroom"], height=0.4, color=theme.COLORS["others"], label="headroom (today's market)")
    ax.set_yticks(y, [f"#{r} {n}" for r, n in zip(df["priority_rank"], df["region"])])
    _money_axis(ax, "x")
    ax.set_xlabel("yearly revenue from closing the gap to the target share")
    ax.legend(loc="lower right")
    ax.set_title(title)
    return fig


def seasonality(season, title: str) -> Figure:
    """STL panels: observed with trend, seasonal index per month (peaks highlighted), remainder."""
    comps = season.components
    fig = plt.figure(figsize=theme.FIGSIZE_TALL)
    grid = fig.add_gridspec(2, 2, height_ratios=[1.1, 1])
    ax1 = fig.add_subplot(grid[0, :])
    ax1.plot(comps["period"], comps["observed"], color=theme.COLORS["others"], lw=1.4, label="observed")
    ax1.plot(comps["period"], comps["trend"], color=theme.COLORS["ours"], lw=2.2, label="trend")
    _money_axis(ax1)
    ax1.set_ylabel("revenue per period")
    ax1.legend(loc="upper left")
    ax1.set_title(title)
    ax2 = fig.add_subplot(grid[1, 0])
    idx = season.seasonal_index
    colors = [theme.COLORS["ours"] if m in season.peak_months else (theme.COLORS["bad"] if m == season.trough_month
              else theme.COLORS["others"]) for m in idx.index]
    ax2.bar([m[:3] for m in idx.index], idx.to_numpy() - 1, color=colors)
    ax2.axhline(0, color=theme.COLORS["neutral"], lw=0.8)
    _pct_axis(ax2)
    ax2.set_ylabel("vs trend (seasonal index − 1)")
    ax2.tick_params(axis="x", labelsize=8)
    ax2.set_title("Seasonal pattern", fontsize=11)
    ax3 = fig.add_subplot(grid[1, 1])
    ax3.plot(comps["period"], comps["remainder_factor"] - 1, color=theme.COLORS["neutral"], lw=1)
    ax3.axhline(0, color=theme.COLORS["neutral"], lw=0.8)
    _pct_axis(ax3, decimals=1)
    ax3.set_ylabel("remainder (vs trend × season)")
    ax3.tick_params(axis="x", labelsize=8)
    ax3.set_title("What trend and season leave unexplained", fontsize=11)
    return fig


def forecast(series: pd.Series, fc, backtest, title: str, history_periods: int = 36) -> Figure:
    """History, the forecast mean with its published (calibrated) interval, the model's own interval
    (dotted) and one backtest forecast: the latest origin whose horizon was seen in full."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    hist = series.iloc[-history_periods:]
    ax.plot(hist.index, hist.to_numpy(), color=theme.COLORS["neutral"], lw=1.6, label="actual")
    t = fc.table
    calibrated = fc.interval_method == "conformal"
    ax.fill_between(t["period"], t["lower"], t["upper"], color=theme.COLORS["interval"], alpha=0.2,
                    label=f"{fc.level:.0%} prediction interval" + (" (calibrated on the backtest)" if calibrated else ""))
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
                label=f"backtest: forecast made in {origin:%b %Y}")
    _money_axis(ax)
    ax.set_ylabel("market revenue per period")
    ax.legend(loc="upper left", fontsize=9)
    ax.set_title(title)
    return fig


def backtest_by_horizon(backtest, title: str, unit: str = "month") -> Figure:
    """Rolling-origin backtest per horizon: MAPE of model and seasonal naive (left), interval
    coverage of the model's own and of the calibrated interval against the nominal level (right)."""
    bh = backtest.by_horizon
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=theme.FIGSIZE_WIDE)
    ax1.plot(bh["horizon"], bh["mape"], marker="o", color=theme.COLORS["ours"], label="model")
    ax1.plot(bh["horizon"], bh["seasonal_naive_mape"], marker="o", color=theme.COLORS["others"], label="same period last year")
    _pct_axis(ax1, decimals=1)
    ax1.set_ylim(bottom=0)
    ax1.set_xlabel(f"{unit}s ahead")
    ax1.set_ylabel("mean absolute percentage error")
    ax1.legend(loc="best", fontsize=9)
    ax1.set_title(title)
    ax2.axhline(backtest.level, color=theme.COLORS["neutral"], lw=1, ls="--")
    ax2.annotate(f"nominal {backtest.level:.0%}", (bh["horizon"].iloc[-1], backtest.level), xytext=(0, -12),
                 textcoords="offset points", ha="right", fontsize=8.5, color=theme.COLORS["neutral"])
    ax2.plot(bh["horizon"], bh["coverage_model"], marker="o", color=theme.COLORS["warn"], label="model's own interval")
    ax2.plot(bh["horizon"], bh["coverage_calibrated"], marker="o", color=theme.COLORS["interval"],
             label="calibrated (leave one origin out)")
    _pct_axis(ax2)
    ax2.set_ylim(0, 1.05)
    ax2.set_xlabel(f"{unit}s ahead")
    ax2.set_ylabel("share of actuals inside the interval")
    ax2.legend(loc="lower left", fontsize=9)
    ax2.set_title("Interval coverage in the backtest", fontsize=11)
    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def breakdown_bars(table: pd.DataFrame, by: str, title: str) -> Figure:
    """Revenue per <by> (bars, with growth labels) and our share in each."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=theme.FIGSIZE_WIDE, sharey=True)
    df = table.sort_values("revenue_last")
    ax1.barh(df[by], df["revenue_last"], color=theme.COLORS["others"])
    for y, (v, g) in enumerate(zip(df["revenue_last"], df["yoy_growth"])):
        ax1.annotate(f"{fmt_money(v)}  ({g:+.0%} YoY)" if np.isfinite(g) else fmt_money(v), (v, y), xytext=(4, 0),
                     textcoords="offset points", va="center", fontsize=9)
    _money_axis(ax1, "x")
    ax1.margins(x=0.45)
    ax1.set_xlabel("market revenue, last year")
    ax1.set_title(title)
    ax2.barh(df[by], df["our_share"], color=theme.COLORS["ours"])
    for y, (v, c) in enumerate(zip(df["our_share"], df["our_share_change_pp"])):
        ax2.annotate(f"{v:.1%} ({c:+.1f} pp)", (v, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    _pct_axis(ax2, "x")
    ax2.margins(x=0.45)
    ax2.set_xlabel("our share of revenue, last year")
    ax2.set_title("Our share", fontsize=11)
    return fig


def hhi_trend(hhi: pd.Series, title: str, window_label: str) -> Figure:
    """Herfindahl–Hirschman index over time with the usual concentration bands."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    ax.axhspan(0, 1500, color=theme.COLORS["good"], alpha=0.10)
    ax.axhspan(1500, 2500, color=theme.COLORS["warn"], alpha=0.10)
    ax.axhspan(2500, 10_000, color=theme.COLORS["bad"], alpha=0.10)
    ax.plot(hhi.index, hhi.to_numpy(), color=theme.COLORS["ours"], lw=2)
    top = max(3000.0, float(hhi.max()) * 1.2)
    ax.set_ylim(0, top)
    for y, text in ((750, "unconcentrated (< 1,500)"), (2000, "moderately concentrated"), (min(2750, top * 0.95), "highly concentrated (> 2,500)")):
        ax.annotate(text, (hhi.index[0], y), fontsize=8.5, color=theme.COLORS["neutral"], va="center")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt_number(v)))
    ax.set_ylabel(f"HHI (0–10,000, rolling {window_label})")
    ax.set_title(title)
    return fig
