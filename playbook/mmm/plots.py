"""Figures of the MMM report: each takes an :class:`~playbook.mmm.MMMResult` (or one of its plans) and returns a Figure.

Figures only: no computation a test would miss, no sentence that picks a winner (titles say what is drawn;
the card's sentence from :mod:`.narrative` says what it means). Interval labels come from ``fmt.interval_label``
and the break-even line sits at 1 / margin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from playbook import fmt, theme
from playbook.mmm.budget import BudgetPlan

if TYPE_CHECKING:  # pragma: no cover
    from playbook.mmm import MMMResult


def _safe(text: str) -> str:
    """Escape ``$`` so matplotlib does not read currency amounts as math."""
    return text.replace("$", r"\$")


def _break_even_label(r: MMMResult) -> str:
    return _safe(f"break-even ROAS {fmt.ratio(1 / r.margin)} (margin {fmt.pct(r.margin, 0)})")


def spend(r: MMMResult) -> Figure:
    """Weekly spend per channel (small multiples), with weeks without spend visible as gaps at zero."""
    s = r.inp.spend
    channels = list(s.columns)
    colors = theme.color_map(channels)
    ncol = 3
    nrow = int(np.ceil(len(channels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.2 * nrow), sharex=True, squeeze=False)
    for ax, ch in zip(axes.flat, channels):
        ax.plot(s.index, s[ch], color=colors[ch], lw=1.2)
        ax.set_title(ch, fontsize=10)
        theme.money_axis(ax, "y", r.currency)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    for ax in list(axes.flat)[len(channels) :]:
        ax.set_visible(False)
    fig.suptitle("Weekly spend per channel (currency per week)", fontweight="bold", x=0.01, ha="left")
    return fig


def correlation(r: MMMResult) -> Figure:
    """Heatmap of the correlation of weekly spend between channels."""
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(6.5, 5))
    sns.heatmap(r.checks.correlation, vmin=-1, vmax=1, cmap="RdBu_r", annot=True, fmt=".2f", ax=ax, cbar_kws={"label": "Pearson r of weekly spend"})
    ax.set_title("Correlation of weekly spend between channels")
    return fig


def fit(r: MMMResult) -> Figure:
    """Observed KPI against the model's predictive interval, with the holdout forecast if there is one."""
    f = r.fit
    label = fmt.interval_label(r.interval)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    ax.fill_between(f["date"], f["predicted_hdi_low"], f["predicted_hdi_high"], color=theme.COLORS["interval"], alpha=0.2, label=f"model, {label}")
    ax.plot(f["date"], f["predicted_mean"], color=theme.COLORS["interval"], lw=1.2, label="model, mean")
    ax.plot(f["date"], f["observed"], color="black", lw=0.9, label=f"observed {r.kpi}")
    title = f"Observed and modelled weekly {r.kpi}"
    h = r.holdout.frame if r.holdout is not None else None
    if h is not None and len(h):
        ax.fill_between(h["date"], h["predicted_hdi_low"], h["predicted_hdi_high"], color=theme.COLORS["warn"], alpha=0.25, label=f"holdout forecast, {label}")
        ax.plot(h["date"], h["predicted_mean"], color=theme.COLORS["warn"], lw=1.4, label="holdout forecast, mean")
        ax.axvline(h["date"].min(), color=theme.COLORS["neutral"], ls=":", lw=1)
        title += ", and the forecast of weeks the holdout fit never saw"
    ax.set_title(title)
    ax.set_ylabel(f"{r.kpi} per week")
    theme.money_axis(ax, "y", r.currency)
    ax.legend(ncol=3, loc="upper left")
    return fig


def roas(r: MMMResult, truth: dict[str, float] | None = None) -> Figure:
    """ROAS per channel with its interval (bars), marginal ROAS at current spend (diamonds), break-even at 1 / margin."""
    s = r.summary.sort_values("roas_mean")
    label = fmt.interval_label(r.interval)
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(s) + 1.6))
    for i, (_, row) in enumerate(s.iterrows()):
        color = theme.COLORS["ours"] if row["rankable"] else theme.COLORS["others"]
        ax.hlines(i, row["roas_hdi_low"], row["roas_hdi_high"], color=color, lw=6, alpha=0.45)
        ax.plot(row["roas_mean"], i, "o", color=color, ms=8)
        m = row["mroas_current_mean"] if np.isfinite(row.get("mroas_current_mean", np.nan)) else row["mroas_mean"]
        ax.plot(m, i, "D", color=theme.COLORS["warn"], ms=6)
        if truth and row["channel"] in truth:
            ax.plot(truth[row["channel"]], i, "x", color="black", ms=8, mew=2)
    ax.axvline(1 / r.margin, color=theme.COLORS["bad"], ls="--", lw=1)
    names = [f"{c} (tier {int(t)})" if rk else f"{c} (too uncertain to rank)" for c, t, rk in zip(s["channel"], s["tier"], s["rankable"])]
    ax.set_yticks(np.arange(len(s)), names)
    ax.set_xlabel(f"{r.kpi} returned per 1 currency unit spent")
    ax.set_title("ROAS per channel; left of the dashed line a channel loses money at the stated margin")
    handles = [
        plt.Line2D([], [], color=theme.COLORS["ours"], marker="o", lw=6, alpha=0.6, label=f"ROAS, mean and {label}"),
        plt.Line2D([], [], color=theme.COLORS["warn"], marker="D", lw=0, label="marginal ROAS at current spend"),
        plt.Line2D([], [], color=theme.COLORS["bad"], ls="--", label=_break_even_label(r)),
    ]
    if truth:
        handles.append(plt.Line2D([], [], color="black", marker="x", lw=0, mew=2, label="true ROAS (demo)"))
    ax.legend(handles=handles, loc="lower right")
    return fig


def decomposition(r: MMMResult) -> Figure:
    """Stacked weekly contributions: everything that is not media as one base layer, then each channel."""
    d, channels = r.decomp, r.channels
    base = d[[c for c in d.columns if c not in ("date", *channels)]].sum(axis=1)
    colors = theme.color_map(channels)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    layers = [base.to_numpy()] + [d[c].clip(lower=0).to_numpy() for c in channels]
    ax.stackplot(d["date"], *layers, labels=["baseline, trend, seasonality and controls", *channels],
                 colors=[theme.COLORS["others"], *[colors[c] for c in channels]], alpha=0.9)
    ax.set_title(f"Weekly {r.kpi}: baseline demand and each channel's contribution")
    ax.set_ylabel("contribution per week")
    theme.money_axis(ax, "y", r.currency)
    ax.legend(ncol=4, loc="upper left", fontsize=8)
    return fig


def waterfall(r: MMMResult) -> Figure:
    """Waterfall of total contribution over the window: non-media components, then each channel."""
    wf = r.waterfall
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    start = 0.0
    for i, (_, row) in enumerate(wf.iterrows()):
        v = row["contribution"]
        color = theme.COLORS["ours"] if row["is_media"] else (theme.COLORS["others"] if v >= 0 else theme.COLORS["bad"])
        ax.bar(i, v, bottom=start if v >= 0 else start + v, color=color)
        ax.text(i, start + max(v, 0), _safe(fmt.money(v, r.currency)), ha="center", va="bottom", fontsize=8)
        start += v
    ax.bar(len(wf), start, color=theme.COLORS["neutral"])
    ax.text(len(wf), start, _safe(fmt.money(start, r.currency)), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(wf) + 1), [*wf["component"], "total"], rotation=35, ha="right")
    theme.money_axis(ax, "y", r.currency)
    ax.set_ylabel("contribution over the whole period")
    ax.set_title(f"Modelled {r.kpi} over the period, component by component")
    return fig


def response_curves(r: MMMResult) -> Figure:
    """Per channel: weekly spend → weekly contribution (mean, interval), current spend marked, break-even line."""
    c_all = r.curves
    channels = list(dict.fromkeys(c_all["channel"]))
    colors = theme.color_map(channels)
    ncol = 3
    nrow = int(np.ceil(len(channels) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.8 * nrow), squeeze=False)
    for ax, ch in zip(axes.flat, channels):
        c = c_all[c_all["channel"] == ch]
        ax.fill_between(c["spend"], c["contribution_hdi_low"], c["contribution_hdi_high"], color=colors[ch], alpha=0.25)
        ax.plot(c["spend"], c["contribution_mean"], color=colors[ch], lw=1.6)
        cur = float(c["current_spend"].iloc[0])
        ycur = float(np.interp(cur, c["spend"], c["contribution_mean"]))
        ax.plot(cur, ycur, "o", color="black", ms=6)
        ax.plot(c["spend"], c["spend"] / r.margin, color=theme.COLORS["bad"], ls=":", lw=1)
        ax.set_ylim(0, max(c["contribution_hdi_high"].max(), ycur) * 1.1)
        ax.set_title(ch, fontsize=10)
        theme.money_axis(ax, "x", r.currency)
        theme.money_axis(ax, "y", r.currency)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(channels) :]:
        ax.set_visible(False)
    fig.supxlabel("weekly spend")
    fig.supylabel(f"weekly {r.kpi} contribution")
    fig.suptitle(_safe(f"Response curves ({fmt.interval_label(r.interval)}; dot: current spend; dotted: break-even at ROAS {fmt.ratio(1 / r.margin)})"),
                 fontweight="bold", x=0.01, ha="left")
    return fig


def adstock(r: MMMResult) -> Figure:
    """Share of a week's spend effect that lands 0, 1, 2, … weeks later, per channel."""
    decay = r.decay
    channels = list(dict.fromkeys(decay["channel"]))
    colors = theme.color_map(channels)
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    for ch in channels:
        d = decay[decay["channel"] == ch]
        ax.plot(d["weeks_since_spend"], d["weight_mean"], marker="o", color=colors[ch], label=ch)
    ax.set_xlabel("weeks since the spend")
    ax.set_ylabel("share of the effect (posterior mean)")
    theme.pct_axis(ax, "y")
    ax.set_title("Share of one week's effect landing 0, 1, 2, … weeks later")
    ax.legend(ncol=3)
    return fig


def budget(r: MMMResult, plan: BudgetPlan) -> Figure:
    """Current vs recommended weekly spend per channel, with the allowed range."""
    t = plan.table.reset_index(drop=True)
    x = np.arange(len(t))
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    ax.bar(x - 0.2, t["current"], width=0.4, color=theme.COLORS["others"], label="current")
    ax.bar(x + 0.2, t["optimal"], width=0.4, color=theme.COLORS["ours"], label="recommended")
    ax.vlines(x + 0.2, t["lower_bound"], t["upper_bound"], color="black", lw=1, label="allowed range")
    for i, row in t.iterrows():
        if np.isfinite(row["change_pct"]):
            ax.text(i + 0.2, row["optimal"], fmt.pct(row["change_pct"], 0, signed=True), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, t["channel"])
    ax.set_ylabel("spend per week")
    theme.money_axis(ax, "y", r.currency)
    ax.set_title("Current and recommended weekly spend per channel")
    ax.legend()
    return fig


def uplift(r: MMMResult, plan: BudgetPlan, profit: bool = False) -> Figure:
    """Expected extra KPI (or profit) of a plan over the current one, with its interval (held-out draws)."""
    mean, lo, hi = ((plan.expected_profit_mean, plan.expected_profit_hdi_low, plan.expected_profit_hdi_high) if profit
                    else (plan.expected_uplift_mean, plan.expected_uplift_hdi_low, plan.expected_uplift_hdi_high))
    fig, ax = plt.subplots(figsize=(9, 1.8))
    ax.hlines(0, lo, hi, color=theme.COLORS["ours"], lw=10, alpha=0.4)
    ax.plot(mean, 0, "o", color=theme.COLORS["ours"], ms=10)
    ax.axvline(0, color=theme.COLORS["bad"], ls="--", lw=1)
    ax.set_yticks([])
    theme.money_axis(ax, "x", r.currency)
    what = "profit" if profit else r.kpi
    ax.set_xlabel(f"extra {what} over {plan.weeks} weeks (and their carry-over)")
    ax.set_title(f"Expected extra {what}, mean and {fmt.interval_label(r.interval)}")
    return fig


def calibration(r: MMMResult) -> Figure:
    """ROAS (mean, interval) per channel before and after lift-test calibration."""
    c = r.calibration.sort_values("roas_mean_after").reset_index(drop=True)
    y = np.arange(len(c))
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(c) + 1.6))
    ax.hlines(y + 0.15, c["roas_hdi_low_before"], c["roas_hdi_high_before"], color=theme.COLORS["others"], lw=5)
    ax.plot(c["roas_mean_before"], y + 0.15, "o", color=theme.COLORS["others"], label="before calibration")
    ax.hlines(y - 0.15, c["roas_hdi_low_after"], c["roas_hdi_high_after"], color=theme.COLORS["ours"], lw=5)
    ax.plot(c["roas_mean_after"], y - 0.15, "o", color=theme.COLORS["ours"], label="after calibration")
    ax.axvline(1 / r.margin, color=theme.COLORS["bad"], ls="--", lw=1, label=_break_even_label(r))
    ax.set_yticks(y, c["channel"])
    ax.set_xlabel(f"ROAS, mean and {fmt.interval_label(r.interval)}")
    ax.set_title("ROAS before and after lift-test calibration")
    ax.legend(loc="lower right")
    return fig
