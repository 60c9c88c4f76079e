"""Figures for the funnel, KPI-monitor and attribution report: each takes results and returns a Figure.

Inputs are the plain tables of :mod:`playbook.attribution` (its result object's parts). Titles
state the takeaway and come from :mod:`.narrative`.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from playbook import fmt, theme
from playbook.attribution.narrative import MODEL_LABELS, STAGE_LABELS

#: One fixed colour per attribution model (Okabe & Ito), last touch in the muted "others" grey.
MODEL_COLORS = {
    "last_touch": theme.COLORS["others"],
    "first_touch": "#56B4E9",
    "linear": "#009E73",
    "position_based": "#CC79A7",
    "time_decay": "#E69F00",
    "markov": "#0072B2",
    "shapley": "#D55E00",
    "mmm": "#000000",
}


def funnel_rates(stage_table: pd.DataFrame, title: str, all_label: str = "all channels") -> Figure:
    """Stage-to-stage conversion per channel with credible intervals, one panel per step."""
    steps = list(dict.fromkeys(stage_table["to_stage"]))
    colors = theme.color_map([c for c in stage_table["channel"].unique() if c != all_label])
    fig, axes = plt.subplots(1, len(steps), figsize=(11, 3.6), sharey=True)
    axes = np.atleast_1d(axes)
    channels = sorted(c for c in stage_table["channel"].unique() if c != all_label) + [all_label]
    for ax, step in zip(axes, steps):
        t = stage_table[stage_table["to_stage"] == step].set_index("channel").reindex(channels)
        y = np.arange(len(channels))
        col = [colors.get(c, theme.COLORS["neutral"]) for c in channels]
        ax.barh(y, t["rate"], color=col, alpha=0.85)
        ax.errorbar(t["rate"], y, xerr=[(t["rate"] - t["rate_low"]).clip(lower=0).fillna(0), (t["rate_high"] - t["rate"]).clip(lower=0).fillna(0)], fmt="none", ecolor="#111827", capsize=3, lw=1)
        ax.set_yticks(y, [c.replace("_", " ") for c in channels])
        ax.invert_yaxis()
        ax.set_title(STAGE_LABELS.get(step, step), fontsize=10, fontweight="normal")
        ax.set_xlabel("conversion rate")
        theme.pct_axis(ax, "x", 1 if t["rate"].max() < 0.05 else 0)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    return fig


def unit_economics_chart(econ: pd.DataFrame, title: str, currency: str = "$", all_label: str = "all channels") -> Figure:
    """CAC (currency per paying customer) and ROAS (revenue per unit spend) per channel with intervals."""
    e = econ.set_index("channel")
    channels = sorted(c for c in e.index if c != all_label) + [all_label]
    e = e.reindex(channels)
    colors = theme.color_map([c for c in channels if c != all_label])
    col = [colors.get(c, theme.COLORS["neutral"]) for c in channels]
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    y = np.arange(len(channels))
    for ax, kpi, label in ((axes[0], "cac", f"CAC ({currency} per paying customer)"), (axes[1], "roas", "attributed ROAS (revenue ÷ spend)")):
        ax.barh(y, e[kpi], color=col, alpha=0.85)
        ax.errorbar(e[kpi], y, xerr=[(e[kpi] - e[f"{kpi}_low"]).clip(lower=0).fillna(0), (e[f"{kpi}_high"] - e[kpi]).clip(lower=0).fillna(0)], fmt="none", ecolor="#111827", capsize=3, lw=1)
        ax.set_xlabel(label)
        for yi, v in zip(y, e[kpi]):
            ax.text(v, yi, f"  {currency if kpi == 'cac' else ''}{v:,.2f}", va="center", fontsize=8)
    axes[1].axvline(1.0, color=theme.COLORS["bad"], ls="--", lw=1)
    axes[1].text(1.0, len(channels) - 0.4, " break-even", color=theme.COLORS["bad"], fontsize=8)
    axes[0].set_yticks(y, [c.replace("_", " ") for c in channels])
    axes[0].invert_yaxis()
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    return fig


def weekly_trend(weekly: pd.DataFrame, metric: str, title: str, ylabel: str, percent: bool = False) -> Figure:
    """Weekly KPI per channel (one line each), e.g. CVR or CPA over the data period."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    colors = theme.color_map(weekly["channel"].unique())
    for ch, g in weekly.groupby("channel"):
        ax.plot(g["week"], g[metric], color=colors[ch], lw=1.4, label=ch.replace("_", " "))
    ax.set_ylabel(ylabel)
    ax.set_xlabel("week")
    if percent:
        theme.pct_axis(ax, "y", 0)
    ax.legend(ncol=min(6, len(colors)), loc="upper left", bbox_to_anchor=(0, -0.18))
    ax.set_title(title)
    return fig


def kpi_status_grid(status: pd.DataFrame, title: str) -> Figure:
    """Channels × KPIs: gap to target (colour: green better, red worse) and the status in each cell."""
    kpis = [k for k in ("ctr", "cvr", "cpa", "roas", "pay_rate", "cac") if k in set(status["kpi"])]
    channels = sorted(status["channel"].unique())
    direction = {"ctr": 1, "cvr": 1, "pay_rate": 1, "cpa": -1, "cac": -1, "roas": 1}
    grid = np.full((len(channels), len(kpis)), np.nan)
    text = [["" for _ in kpis] for _ in channels]
    for r in status.itertuples(index=False):
        i, j = channels.index(r.channel), kpis.index(r.kpi)
        grid[i, j] = np.clip(direction[r.kpi] * r.gap, -0.5, 0.5)
        mark = {"on target": "✓", "off target": "✗", "unclear": "?"}[r.status]
        text[i][j] = f"{mark} {fmt.pct(r.gap, 0, signed=True)}"
    fig, ax = plt.subplots(figsize=(8.5, 0.5 * len(channels) + 1.6))
    cmap = plt.get_cmap("RdYlGn")
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=0.5, aspect="auto")
    for i in range(len(channels)):
        for j in range(len(kpis)):
            ax.text(j, i, text[i][j], ha="center", va="center", fontsize=9)
    names = {"pay_rate": "pay rate", "roas": "attributed ROAS"}
    ax.set_xticks(range(len(kpis)), [names.get(k, k.upper()) for k in kpis])
    ax.set_yticks(range(len(channels)), [c.replace("_", " ") for c in channels])
    ax.grid(False)
    ax.set_title(title)
    ax.set_xlabel("KPI (cell: ✓ on / ✗ off target / ? unclear, and actual vs target)")
    return fig


def alert_panels(daily: pd.DataFrame, expected: dict, alerts: pd.DataFrame, title: str, pad_days: int = 28) -> Figure:
    """One panel per alert episode: the daily KPI, its expected value, and the alerted days marked.

    ``daily``: date, channel and KPI columns; ``expected``: {(channel, metric): Series by date}
    (the seasonal expectation); ``alerts``: episodes (channel, metric, start, end).
    """
    n = len(alerts)
    fig, axes = plt.subplots(1, max(n, 1), figsize=(min(11, 3.9 * max(n, 1)), 3.4), squeeze=False)
    for ax, ep in zip(axes[0], alerts.itertuples(index=False)):
        lo, hi = ep.start - pd.Timedelta(days=pad_days), ep.end + pd.Timedelta(days=pad_days)
        d = daily[(daily["channel"] == ep.channel) & daily["date"].between(lo, hi)]
        ax.plot(d["date"], d[ep.metric], color=theme.COLORS["neutral"], lw=1.2, label="actual")
        exp = expected.get((ep.channel, ep.metric))
        if exp is not None:
            e = exp[(exp.index >= lo) & (exp.index <= hi)]
            ax.plot(e.index, e.values, color=theme.COLORS["ours"], lw=1.2, ls="--", label="expected")
        ax.axvspan(ep.start - pd.Timedelta(hours=12), ep.end + pd.Timedelta(hours=12), color=theme.COLORS["bad"], alpha=0.15, label="alert")
        ax.set_title(f"{ep.channel.replace('_', ' ')}: {ep.metric.upper()}", fontsize=10)
        ax.set_ylabel(ep.metric.upper() + (" (currency)" if ep.metric in ("cpa", "cac") else ""))
        if ep.metric in ("ctr", "cvr", "pay_rate"):
            theme.pct_axis(ax, "y", 1)
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=5))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %d\n%Y"))
        ax.tick_params(axis="x", labelsize=8)
    axes[0][0].legend(loc="best", fontsize=8)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    return fig


def model_shares(shares: pd.DataFrame, title: str, models: Sequence[str] | None = None) -> Figure:
    """Share of conversions credited to each channel by each model, side by side (grouped bars)."""
    models = list(models or shares.columns)
    channels = list(shares.index)
    fig, ax = plt.subplots(figsize=(11, 0.42 * len(channels) * max(1.0, len(models) / 3) + 1.6))
    height = 0.8 / len(models)
    y = np.arange(len(channels))
    for k, m in enumerate(models):
        ax.barh(y + k * height - 0.4 + height / 2, shares[m], height=height, color=MODEL_COLORS.get(m, theme.COLORS["neutral"]),
                label=MODEL_LABELS.get(m, m))
    ax.set_yticks(y, [c.replace("_", " ") for c in channels])
    ax.invert_yaxis()
    ax.set_xlabel("share of observed conversions credited")
    theme.pct_axis(ax, "x")
    ax.legend(ncol=4, loc="upper left", bbox_to_anchor=(0, -0.12))
    ax.set_title(title)
    return fig


def credit_intervals(table: pd.DataFrame, title: str, xlabel: str = "credited conversions", truth: pd.Series | None = None) -> Figure:
    """Credited conversions per channel for Markov and Shapley with their bootstrap intervals.

    ``table``: channel, model, conversions, low, high.
    """
    channels = sorted(table["channel"].unique(), key=lambda c: -table[table.channel == c]["conversions"].mean())
    models = list(dict.fromkeys(table["model"]))
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    colors = MODEL_COLORS
    y = np.arange(len(channels))
    for k, m in enumerate(models):
        t = table[table["model"] == m].set_index("channel").reindex(channels)
        off = (k - (len(models) - 1) / 2) * 0.25
        # a bootstrap interval of a few replicates may miss the point estimate: whiskers never go negative
        xerr = [(t["conversions"] - t["low"]).clip(lower=0), (t["high"] - t["conversions"]).clip(lower=0)]
        ax.errorbar(t["conversions"], y + off, xerr=xerr, fmt="o",
                    color=colors.get(m, theme.PALETTE[k]), capsize=3, label=MODEL_LABELS.get(m, m))
    if truth is not None:
        ax.scatter(truth.reindex(channels), y, marker="|", s=200, color="#111827", label="truth")
    ax.set_yticks(y, [c.replace("_", " ") for c in channels])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(loc="lower right")
    ax.set_title(title)
    return fig


def triangulation(table: pd.DataFrame, title: str) -> Figure:
    """Per channel: the MMM's share of media contribution with its interval, and each attribution model's revenue share."""
    channels = list(table.index)
    fig, ax = plt.subplots(figsize=(11, 0.55 * len(channels) + 2.2))
    y = np.arange(len(channels))
    if table["mmm_share"].notna().any():
        lo = (table["mmm_share"] - table["mmm_share_hdi_low"]).clip(lower=0).fillna(0)
        hi = (table["mmm_share_hdi_high"] - table["mmm_share"]).clip(lower=0).fillna(0)
        ax.barh(y, table["mmm_share"], color="#d1d5db", height=0.6, label=MODEL_LABELS["mmm"] + " (share of media contribution)")
        ax.errorbar(table["mmm_share"], y, xerr=[lo, hi], fmt="none", ecolor="#111827", capsize=3, lw=1)
    for k, (model, marker) in enumerate((("last_touch", "s"), ("markov", "o"), ("shapley", "D"))):
        col = f"{model}_share"
        if col in table:
            ax.scatter(table[col], y + (k - 1) * 0.22 + 0.11, marker=marker, s=36, color=MODEL_COLORS[model], zorder=3,
                       label=MODEL_LABELS[model] + " (share of attributed revenue)")
    for yi, f in zip(y, table["flag"]):
        if isinstance(f, str):
            ax.text(1.0, yi, " flagged", transform=ax.get_yaxis_transform(), va="center", fontsize=8, color=theme.COLORS["bad"])
    ax.set_yticks(y, [str(c).replace("_", " ") for c in channels])
    ax.invert_yaxis()
    ax.set_xlabel("share of revenue")
    theme.pct_axis(ax, "x")
    ax.legend(ncol=2, loc="upper left", bbox_to_anchor=(0, -0.3), fontsize=8)
    ax.set_title(title)
    return fig
