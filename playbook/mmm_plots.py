"""Figures for the marketing mix model: each takes results from :mod:`playbook.mmm` and returns a Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from playbook import theme
from playbook.report import fmt_money


def _safe(text: str) -> str:
    """Escape ``$`` so matplotlib does not read currency amounts as math."""
    return text.replace("$", r"\$")


def _money_axis(ax, axis: str = "y", currency: str = "$") -> None:
    fmt = FuncFormatter(lambda v, _: _safe(fmt_money(v, currency)))
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(fmt)
    target.set_major_locator(MaxNLocator(5))


def _colors(channels) -> dict[str, str]:
    return theme.color_map(channels)


def plot_spend(spend: pd.DataFrame, currency: str = "$") -> Figure:
    """Weekly spend per channel (small multiples), with weeks without spend visible as gaps at zero."""
    channels = list(spend.columns)
    colors = _colors(channels)
    ncol = 3
    nrow = int(np.ceil(len(channels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.2 * nrow), sharex=True, squeeze=False)
    for ax, ch in zip(axes.flat, channels):
        ax.plot(spend.index, spend[ch], color=colors[ch], lw=1.2)
        ax.set_title(ch, fontsize=10)
        _money_axis(ax, currency=currency)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for ax in list(axes.flat)[len(channels) :]:
        ax.set_visible(False)
    fig.suptitle("Weekly spend per channel (currency per week)", fontweight="bold", x=0.01, ha="left")
    return fig


def plot_correlation(correlation: pd.DataFrame) -> Figure:
    """Heatmap of the correlation of weekly spend between channels."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(6.5, 5))
    sns.heatmap(correlation, vmin=-1, vmax=1, cmap="RdBu_r", annot=True, fmt=".2f", ax=ax, cbar_kws={"label": "Pearson r of weekly spend"})
    strongest = correlation.where(~np.eye(len(correlation), dtype=bool)).abs().max().max()
    ax.set_title(f"Channels' spend moves together at most |r| = {strongest:.2f}")
    return fig


def plot_fit(fit: pd.DataFrame, holdout: pd.DataFrame | None = None, kpi: str = "revenue", currency: str = "$") -> Figure:
    """Observed KPI against the model's 94 % predictive interval, with the holdout forecast if given."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    ax.fill_between(fit["date"], fit["predicted_hdi_low"], fit["predicted_hdi_high"], color=theme.COLORS["interval"], alpha=0.2, label="model, 94 % interval")
    ax.plot(fit["date"], fit["predicted_mean"], color=theme.COLORS["interval"], lw=1.2, label="model, mean")
    ax.plot(fit["date"], fit["observed"], color="black", lw=0.9, label=f"observed {kpi}")
    title = "The model tracks weekly " + kpi
    if holdout is not None and len(holdout):
        ax.fill_between(holdout["date"], holdout["predicted_hdi_low"], holdout["predicted_hdi_high"], color=theme.COLORS["warn"], alpha=0.25, label="holdout forecast, 94 %")
        ax.plot(holdout["date"], holdout["predicted_mean"], color=theme.COLORS["warn"], lw=1.4, label="holdout forecast, mean")
        ax.axvline(holdout["date"].min(), color=theme.COLORS["neutral"], ls=":", lw=1)
        title += " and forecasts weeks it never saw"
    ax.set_title(title)
    ax.set_ylabel(f"{kpi} per week")
    _money_axis(ax, currency=currency)
    ax.legend(ncol=3, loc="upper left")
    return fig


def plot_roas(summary: pd.DataFrame, truth: dict[str, float] | None = None) -> Figure:
    """ROAS per channel with 94 % HDI (bars) and marginal ROAS (diamonds); break-even at 1."""
    s = summary.sort_values("roas_mean")
    y = np.arange(len(s))
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(s) + 1.6))
    for i, (_, r) in enumerate(s.iterrows()):
        color = theme.COLORS["ours"] if r["rankable"] else theme.COLORS["others"]
        ax.hlines(i, r["roas_hdi_low"], r["roas_hdi_high"], color=color, lw=6, alpha=0.45)
        ax.plot(r["roas_mean"], i, "o", color=color, ms=8)
        ax.plot(r["mroas_mean"], i, "D", color=theme.COLORS["warn"], ms=6)
        if truth and r["channel"] in truth:
            ax.plot(truth[r["channel"]], i, "x", color="black", ms=8, mew=2)
    ax.axvline(1.0, color=theme.COLORS["bad"], ls="--", lw=1)
    ax.set_yticks(y, [c if r else f"{c} (too uncertain to rank)" for c, r in zip(s["channel"], s["rankable"])])
    ax.set_xlabel("revenue returned per 1 currency unit spent")
    best = summary.sort_values("roas_mean", ascending=False).iloc[0]
    ax.set_title(f"{best['channel']} returns the most per unit spent; left of the dashed line loses money")
    handles = [
        plt.Line2D([], [], color=theme.COLORS["ours"], marker="o", lw=6, alpha=0.6, label="ROAS, mean and 94 % HDI"),
        plt.Line2D([], [], color=theme.COLORS["warn"], marker="D", lw=0, label="marginal ROAS (next unit)"),
        plt.Line2D([], [], color=theme.COLORS["bad"], ls="--", label="break-even (1.0)"),
    ]
    if truth:
        handles.append(plt.Line2D([], [], color="black", marker="x", lw=0, mew=2, label="true ROAS (demo)"))
    ax.legend(handles=handles, loc="lower right")
    return fig


def plot_decomposition(decomp: pd.DataFrame, channels: list[str], currency: str = "$") -> Figure:
    """Stacked weekly contributions: everything that is not media as one base layer, then each channel."""
    base_cols = [c for c in decomp.columns if c not in ("date", *channels)]
    base = decomp[base_cols].sum(axis=1)
    colors = _colors(channels)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    layers = [base.to_numpy()] + [decomp[c].clip(lower=0).to_numpy() for c in channels]
    ax.stackplot(decomp["date"], *layers, labels=["baseline, trend, seasonality and controls", *channels], colors=[theme.COLORS["others"], *[colors[c] for c in channels]], alpha=0.9)
    media_share = decomp[channels].sum().sum() / (decomp[channels].sum().sum() + base.sum())
    ax.set_title(f"Media drives {media_share:.0%} of modelled revenue; the rest is baseline demand")
    ax.set_ylabel("contribution per week")
    _money_axis(ax, currency=currency)
    ax.legend(ncol=4, loc="upper left", fontsize=8)
    return fig


def plot_waterfall(wf: pd.DataFrame, currency: str = "$") -> Figure:
    """Waterfall of total contribution over the window: non-media components, then each channel."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    start = 0.0
    for i, (_, r) in enumerate(wf.iterrows()):
        v = r["contribution"]
        color = theme.COLORS["ours"] if r["is_media"] else (theme.COLORS["others"] if v >= 0 else theme.COLORS["bad"])
        ax.bar(i, v, bottom=start if v >= 0 else start + v, color=color)
        ax.text(i, start + max(v, 0), _safe(fmt_money(v, currency)), ha="center", va="bottom", fontsize=8)
        start += v
    ax.bar(len(wf), start, color=theme.COLORS["neutral"])
    ax.text(len(wf), start, _safe(fmt_money(start, currency)), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(wf) + 1), [*wf["component"], "total"], rotation=35, ha="right")
    _money_axis(ax, currency=currency)
    ax.set_ylabel("contribution over the whole period")
    media = wf.loc[wf["is_media"], "contribution"].sum()
    ax.set_title(_safe(f"Media added {fmt_money(media, currency)} of {fmt_money(start, currency)} modelled revenue"))
    return fig


def plot_response_curves(curves: pd.DataFrame, currency: str = "$") -> Figure:
    """Per channel: weekly spend → weekly contribution (mean, 94 % HDI) with current spend marked."""
    channels = list(dict.fromkeys(curves["channel"]))
    colors = _colors(channels)
    ncol = 3
    nrow = int(np.ceil(len(channels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.8 * nrow), squeeze=False)
    for ax, ch in zip(axes.flat, channels):
        c = curves[curves["channel"] == ch]
        ax.fill_between(c["spend"], c["contribution_hdi_low"], c["contribution_hdi_high"], color=colors[ch], alpha=0.25)
        ax.plot(c["spend"], c["contribution_mean"], color=colors[ch], lw=1.6)
        cur = float(c["current_spend"].iloc[0])
        ycur = float(np.interp(cur, c["spend"], c["contribution_mean"]))
        ax.plot(cur, ycur, "o", color="black", ms=6)
        ax.plot(c["spend"], c["spend"], color=theme.COLORS["bad"], ls=":", lw=1)
        ax.set_ylim(0, max(c["contribution_hdi_high"].max(), ycur) * 1.1)
        ax.set_title(ch, fontsize=10)
        _money_axis(ax, "x", currency)
        _money_axis(ax, "y", currency)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(channels) :]:
        ax.set_visible(False)
    fig.supxlabel("weekly spend")
    fig.supylabel("weekly revenue contribution")
    fig.suptitle("Returns flatten as spend grows (dot: current spend; dotted: break-even)", fontweight="bold", x=0.01, ha="left")
    return fig


def plot_adstock(decay: pd.DataFrame) -> Figure:
    """Share of a week's spend effect that lands 0, 1, 2, … weeks later, per channel."""
    channels = list(dict.fromkeys(decay["channel"]))
    colors = _colors(channels)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    for ch in channels:
        d = decay[decay["channel"] == ch]
        ax.plot(d["weeks_since_spend"], d["weight_mean"], marker="o", color=colors[ch], label=ch)
    ax.set_xlabel("weeks since the spend")
    ax.set_ylabel("share of the effect (posterior mean)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0%}"))
    lag = decay.assign(late=np.where(decay["weeks_since_spend"] > 0, decay["weight_mean"], 0)).groupby("channel")["late"].sum()
    ax.set_title(f"{lag.idxmax()} has the longest carry-over: {lag.max():.0%} of its effect comes after the first week")
    ax.legend(ncol=3)
    return fig


def plot_budget(table: pd.DataFrame, currency: str = "$") -> Figure:
    """Current vs recommended weekly spend per channel, with the allowed range."""
    t = table.reset_index(drop=True)
    x = np.arange(len(t))
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    ax.bar(x - 0.2, t["current"], width=0.4, color=theme.COLORS["others"], label="current")
    ax.bar(x + 0.2, t["optimal"], width=0.4, color=theme.COLORS["ours"], label="recommended")
    ax.vlines(x + 0.2, t["lower_bound"], t["upper_bound"], color="black", lw=1, label="allowed range")
    for i, r in t.iterrows():
        if pd.notna(r["change_pct"]):
            ax.text(i + 0.2, r["optimal"], f"{r['change_pct']:+.0%}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, t["channel"])
    ax.set_ylabel("spend per week")
    _money_axis(ax, currency=currency)
    up = t.loc[t["change"].idxmax(), "channel"]
    down = t.loc[t["change"].idxmin(), "channel"]
    ax.set_title(f"Move budget from {down} towards {up}")
    ax.legend()
    return fig


def plot_uplift(gain_mean: float, gain_low: float, gain_high: float, weeks: int, currency: str = "$") -> Figure:
    """Expected extra revenue of the recommended plan over the current one, with its 94 % HDI."""
    fig, ax = plt.subplots(figsize=(9, 1.8))
    ax.hlines(0, gain_low, gain_high, color=theme.COLORS["ours"], lw=10, alpha=0.4)
    ax.plot(gain_mean, 0, "o", color=theme.COLORS["ours"], ms=10)
    ax.axvline(0, color=theme.COLORS["bad"], ls="--", lw=1)
    ax.set_yticks([])
    _money_axis(ax, "x", currency)
    ax.set_xlabel(f"extra revenue over {weeks} weeks (and their carry-over)")
    ax.set_title(_safe(f"Expected gain {fmt_money(gain_mean, currency)} (94 % HDI {fmt_money(gain_low, currency)} to {fmt_money(gain_high, currency)})"))
    return fig


def plot_calibration(comparison: pd.DataFrame) -> Figure:
    """ROAS (mean, 94 % HDI) per channel before and after lift-test calibration."""
    c = comparison.sort_values("roas_mean_after").reset_index(drop=True)
    y = np.arange(len(c))
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(c) + 1.6))
    ax.hlines(y + 0.15, c["roas_hdi_low_before"], c["roas_hdi_high_before"], color=theme.COLORS["others"], lw=5)
    ax.plot(c["roas_mean_before"], y + 0.15, "o", color=theme.COLORS["others"], label="before calibration")
    ax.hlines(y - 0.15, c["roas_hdi_low_after"], c["roas_hdi_high_after"], color=theme.COLORS["ours"], lw=5)
    ax.plot(c["roas_mean_after"], y - 0.15, "o", color=theme.COLORS["ours"], label="after calibration")
    ax.axvline(1.0, color=theme.COLORS["bad"], ls="--", lw=1)
    ax.set_yticks(y, c["channel"])
    ax.set_xlabel("ROAS (revenue per unit spent), mean and 94 % HDI")
    narrowed = c.loc[c["hdi_width_change"].idxmin()]
    ax.set_title(f"Lift tests narrow {narrowed['channel']}'s ROAS interval by {-narrowed['hdi_width_change']:.0%}")
    ax.legend(loc="lower right")
    return fig
