"""Figures of the launch report: each takes a :class:`~playbook.launch.LaunchResult` and returns a Figure.

Titles come from :mod:`playbook.launch.narrative`; every number drawn is already in the result.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from playbook import fmt, theme
from playbook.launch import narrative

#: Background shading of the plan's phases (neutral colours: a phase is neither good nor bad).
PHASE_COLORS = {"warm-up": "#ECEDEF", "launch": "#EDE9FE", "growth": "#FEF3C7"}


def _period_days(r) -> float:
    return 365.25 / r.history.periods_per_year


def _shade_phases(ax, r) -> None:
    """Shade each non-empty phase; its name goes into the legend (labels on narrow spans would collide)."""
    half = pd.Timedelta(days=_period_days(r) / 2)
    for ph in r.plan.phases:
        if ph.status != "empty":
            ax.axvspan(ph.start - half, ph.end + half, color=PHASE_COLORS[ph.name], zorder=0, lw=0, label=f"{ph.name} phase")


def _mark_data_end(ax, r) -> None:
    if r.history.source == "own":
        ax.axvline(r.history.periods[-1], color=theme.COLORS["neutral"], ls="--", lw=1, label="last data")


def adoption_forecast(r) -> Figure:
    """New adopters per period: observed (bars), expected (line) with its prediction band, phases shaded;
    the cumulative share of the potential instead when m is unknown."""
    if not r.m_known:
        return cumulative(r, title=narrative.forecast_title(r))
    f = r.forecast
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    _shade_phases(ax, r)
    width = _period_days(r) * 0.8
    seen = f.dropna(subset=["observed"])
    if len(seen):
        ax.bar(seen["period"], seen["observed"], width=width, color=theme.COLORS["others"], lw=0, label="observed", zorder=2)
    ax.fill_between(f["period"], f["lower"], f["upper"], color=theme.COLORS["interval"], alpha=0.18, lw=0,
                    label=f"{fmt.interval_label(r.interval, 'prediction interval')}", zorder=1)
    ax.plot(f["period"], f["mean"], color=theme.COLORS["ours"], lw=2, label="expected (Bass)", zorder=3)
    _mark_data_end(ax, r)
    theme.count_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_ylabel(f"new adopters per {r.history.frequency}")
    ax.set_title(narrative.forecast_title(r))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def cumulative(r, title: str | None = None) -> Figure:
    """The share of the potential adopted by the end of each period (band: interval), half marked; observed when m is known."""
    f = r.forecast
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    _shade_phases(ax, r)
    ax.fill_between(f["period"], f["share_lower"], f["share_upper"], color=theme.COLORS["interval"], alpha=0.18, lw=0,
                    label=fmt.interval_label(r.interval, "credible interval"))
    ax.plot(f["period"], f["share_mean"], color=theme.COLORS["ours"], lw=2, label="expected share adopted")
    if r.history.source == "own" and r.m_known:
        seen = f.dropna(subset=["observed"])
        ax.plot(seen["period"], seen["cumulative_mean"] / r.summary.m.median, "o", ms=3, color=theme.COLORS["neutral"],
                label="observed ÷ median m")
    ax.axhline(0.5, color=theme.COLORS["neutral"], lw=0.8, ls=":")
    ax.axvline(r.summary.half_potential.date, color=theme.COLORS["neutral"], lw=0.8, ls=":", label="half the potential")
    _mark_data_end(ax, r)
    theme.pct_axis(ax)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of the potential adopted")
    ax.set_title(title or narrative.cumulative_title(r))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def timing(r) -> Figure:
    """Histograms of the draws' peak time and half-potential time, as dates, their intervals shaded."""
    fig, ax = plt.subplots(figsize=theme.FIGSIZE)
    days = _period_days(r)
    for timing_, label, color in ((r.summary.peak, "peak of new adoptions", theme.PALETTE[0]),
                                  (r.summary.half_potential, "half the potential adopted", theme.PALETTE[1])):
        dates = r.history.launch + pd.to_timedelta(np.asarray(timing_.times) * days, unit="D")
        ax.hist(dates, bins=40, color=color, alpha=0.55, label=label)
        low = r.history.launch + pd.Timedelta(days=timing_.time.low * days)
        high = r.history.launch + pd.Timedelta(days=timing_.time.high * days)
        ax.axvspan(low, high, color=color, alpha=0.08, lw=0)
    _mark_data_end(ax, r)
    ax.set_yticks([])
    ax.set_ylabel("draws")
    ax.set_title(narrative.timing_title(r))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def budget(r) -> Figure | None:
    """Spend per planned phase (left) and the adopters it buys with their interval (right); ``None`` without spend."""
    phases = [p for p in r.plan.planned] if r.plan.basis.known else []
    if not phases:
        return None
    fig, (left, right) = plt.subplots(1, 2, figsize=theme.FIGSIZE_WIDE)
    names = [p.name for p in phases]
    left.bar(names, [p.spend for p in phases], color=theme.COLORS["ours"])
    theme.money_axis(left, currency=r.currency)
    left.set_ylabel(f"spend, {r.currency}")
    left.set_title(narrative.budget_title(r))
    if all(p.adopters is not None for p in phases):
        mean = np.array([p.adopters.mean for p in phases])
        err = np.array([[m - p.adopters.low for m, p in zip(mean, phases)], [p.adopters.high - m for m, p in zip(mean, phases)]])
        right.bar(names, mean, yerr=err, capsize=4, color=theme.COLORS["others"])
        theme.count_axis(right)
        right.set_ylabel("adopters bought")
        right.set_title(f"Adopters from that spend ({fmt.interval_label(r.plan.basis.mmm_interval or r.interval)})")
    else:
        right.set_axis_off()
        right.text(0.5, 0.5, "set revenue_per_adopter\nto count adopters", ha="center", va="center", color=theme.COLORS["neutral"])
    return fig
