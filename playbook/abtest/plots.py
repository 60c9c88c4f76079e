"""Figures of the A/B report: each takes results from :mod:`playbook.abtest` and returns a Figure.

Titles come from :mod:`playbook.abtest.narrative` (the notebook passes them in); interval labels are
formatted from the interval mass used (``interval``), never typed.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import special

from playbook import fmt, theme
from playbook.abtest import narrative


def variant_colors(variants, control: str) -> dict[str, str]:
    """Control in neutral grey, the variants in the theme palette (stable per name)."""
    others = theme.color_map([v for v in variants if v != control])
    return {control: theme.COLORS["neutral"], **others}


def plot_rate_posteriors(table: pd.DataFrame, control: str, prior: tuple[float, float], title: str) -> Figure:
    """Posterior density of each variant's conversion rate (exact Beta), its interval shaded."""
    colors = variant_colors(table["variant"], control)
    fig, ax = plt.subplots()
    lo = table["rate_hdi_low"].min()
    hi = table["rate_hdi_high"].max()
    pad = (hi - lo) * 0.6
    x = np.linspace(max(0.0, lo - pad), min(1.0, hi + pad), 600)
    for row in table.itertuples():
        a = prior[0] + row.conversions
        b = prior[1] + row.units - row.conversions
        dens = np.exp(special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b))
        c = colors[row.variant]
        ax.plot(x, dens, color=c, lw=2, label=f"{row.variant}: {fmt.pct(row.rate_mean, 2)}")
        inside = (x >= row.rate_hdi_low) & (x <= row.rate_hdi_high)
        ax.fill_between(x[inside], dens[inside], color=c, alpha=0.15)
    theme.pct_axis(ax, "x", 1)
    ax.set_xlabel("Conversion rate (share of units that converted)")
    ax.set_ylabel("Posterior density")
    ax.set_yticks([])
    ax.legend(title="Variant: mean rate", loc="upper right")
    ax.set_title(title)
    return fig


def plot_uplift_forest(frame: pd.DataFrame, label_col: str, title: str, mde: float = 0.0, xlabel: str = "Relative uplift vs control",
                       colors: Mapping[str, str] | None = None, interval: float = 0.9) -> Figure:
    """Relative uplift (mean and interval) per row of ``frame``; zero line and the MDE marked."""
    frame = frame.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(9.0, 0.55 * len(frame) + 1.6))
    y = np.arange(len(frame))[::-1]
    for yi, row in zip(y, frame.itertuples()):
        c = (colors or {}).get(getattr(row, "variant", ""), theme.COLORS["ours"])
        ax.plot([row.uplift_hdi_low, row.uplift_hdi_high], [yi, yi], color=c, lw=3, solid_capstyle="butt", alpha=0.8)
        ax.plot(row.uplift_mean, yi, "o", color=c, ms=8)
        ax.annotate(fmt.pct(row.uplift_mean, 1, signed=True), (row.uplift_hdi_high, yi), xytext=(6, 0), textcoords="offset points", va="center", fontsize=9)
    ax.axvline(0, color=theme.COLORS["neutral"], lw=1)
    if mde > 0:
        ax.axvline(mde, color=theme.COLORS["warn"], lw=1, ls="--", label=f"MDE {fmt.pct(mde, 0, signed=True)}")
        ax.legend(loc="lower right")
    ax.set_yticks(y, frame[label_col])
    ax.set_ylim(-0.7, len(frame) - 0.3)
    theme.pct_axis(ax, "x")
    ax.set_xlabel(f"{xlabel} (dot = mean, bar = {fmt.interval_label(interval)})")
    ax.set_title(title)
    return fig


def plot_over_time(over_time: pd.DataFrame, prob_threshold: float, title: str, colors: Mapping[str, str] | None = None,
                   interval: float = 0.9) -> Figure:
    """Two panels: cumulative P(beats control) and the relative uplift with its interval band, per day."""
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9.0, 6.0), sharex=True)
    for v, g in over_time.groupby("variant"):
        c = (colors or {}).get(v, theme.COLORS["ours"])
        ax1.plot(g["date"], g["prob_beats_control"], color=c, lw=2, label=v)
        ax2.plot(g["date"], g["uplift_mean"], color=c, lw=2, label=v)
        ax2.fill_between(g["date"], g["uplift_hdi_low"], g["uplift_hdi_high"], color=c, alpha=0.15)
    ax1.axhline(prob_threshold, color=theme.COLORS["warn"], ls="--", lw=1, label=f"threshold {fmt.pct(prob_threshold, 0)}")
    ax1.axhline(1 - prob_threshold, color=theme.COLORS["warn"], ls=":", lw=1)
    ax1.set_ylim(0, 1)
    theme.pct_axis(ax1, "y")
    ax1.set_ylabel("P(beats control)")
    ax1.legend(loc="lower left", ncols=4)
    ax2.axhline(0, color=theme.COLORS["neutral"], lw=1)
    theme.pct_axis(ax2, "y")
    ax2.set_ylabel(f"Relative uplift\n(mean, {fmt.interval_label(interval)})")
    ax2.set_xlabel("Day of the experiment (cumulative data)")
    fig.autofmt_xdate()
    ax1.set_title(title)
    return fig


def plot_srm(srm, title: str) -> Figure:
    """Observed vs expected units per variant (sample-ratio check)."""
    names = list(srm.observed)
    fig, ax = plt.subplots(figsize=(9.0, 3.2))
    x = np.arange(len(names))
    ax.bar(x - 0.2, [srm.expected[v] for v in names], 0.4, color=theme.COLORS["others"], label="expected by design")
    ax.bar(x + 0.2, [srm.observed[v] for v in names], 0.4, color=theme.COLORS["bad"] if srm.detected else theme.COLORS["ours"], label="observed")
    ax.set_xticks(x, names)
    theme.count_axis(ax)
    ax.set_ylabel("Units assigned")
    ax.set_xlabel("Variant")
    ax.legend(loc="lower right")
    ax.set_title(title)
    return fig


def plot_segments(table: pd.DataFrame, title: str, colors: Mapping[str, str] | None = None, interval: float = 0.9) -> Figure:
    """Per-segment relative uplift: partially pooled mean with its interval (bar) beside the raw estimate (x)."""
    table = table.reset_index(drop=True)
    labels = table["segment"] + " = " + table["level"] + "  (" + table["variant"] + ")"
    fig, ax = plt.subplots(figsize=(9.0, 0.42 * len(table) + 1.6))
    y = np.arange(len(table))[::-1]
    for yi, row in zip(y, table.itertuples()):
        c = (colors or {}).get(row.variant, theme.COLORS["ours"])
        ax.plot([row.uplift_hdi_low, row.uplift_hdi_high], [yi, yi], color=c, lw=3, alpha=0.75, solid_capstyle="butt")
        ax.plot(row.uplift_mean, yi, "o", color=c, ms=7)
        ax.plot(row.uplift_raw, yi, "x", color=theme.COLORS["neutral"], ms=7)
    ax.plot([], [], "o", color=theme.COLORS["neutral"], label=f"partially pooled mean (bar = {fmt.interval_label(interval)})")
    ax.plot([], [], "x", color=theme.COLORS["neutral"], ls="none", label="raw segment estimate")
    ax.axvline(0, color=theme.COLORS["neutral"], lw=1)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, len(table) - 0.3)
    theme.pct_axis(ax, "x")
    ax.set_xlabel("Relative uplift in conversion vs control")
    fig.legend(loc="outside lower center", ncols=2)
    ax.set_title(title)
    return fig


def plot_allocation(allocation: Mapping[str, float], title: str, colors: Mapping[str, str] | None = None) -> Figure:
    """Recommended traffic share per variant for the next period (Thompson sampling)."""
    names = list(allocation)
    fig, ax = plt.subplots(figsize=(9.0, 0.5 * len(names) + 1.4))
    y = np.arange(len(names))[::-1]
    shares = [allocation[v] for v in names]
    ax.barh(y, shares, color=[(colors or {}).get(v, theme.COLORS["ours"]) for v in names])
    for yi, s in zip(y, shares):
        ax.annotate(fmt.pct(s, 0), (s, yi), xytext=(4, 0), textcoords="offset points", va="center")
    ax.set_yticks(y, names)
    ax.set_xlim(0, 1.08)
    theme.pct_axis(ax, "x")
    ax.set_xlabel("Share of next period's traffic")
    ax.set_title(title)
    return fig


def plot_false_ship(rows: pd.DataFrame, title: str, labels: list[str] | None = None) -> Figure:
    """False-ship rate of the decision rule in A/A simulations, by number of looks (with ±2 SE)."""
    fig, ax = plt.subplots(figsize=(9.0, 3.4))
    x = np.arange(len(rows))
    rate = rows["false_ship_rate"].to_numpy()
    err = 2 * rows["false_ship_rate_se"].to_numpy()
    ax.bar(x, rate, color=theme.COLORS["bad"], alpha=0.8, yerr=[np.minimum(err, rate), err], capsize=4)
    for xi, r in zip(x, rows["false_ship_rate"]):
        ax.annotate(fmt.pct(r, 1), (xi, r), xytext=(8, 4), textcoords="offset points")
    ax.set_xticks(x, labels or [fmt.plural(n, "look") for n in rows["looks"]])
    theme.pct_axis(ax, "y")
    ax.set_ylabel("Share of A/A tests shipped")
    ax.set_xlabel("How often the results were checked during the test")
    ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- the report's figures, from the result


def _colors(r) -> dict[str, str]:
    return variant_colors(r.variants, r.control)


def srm(r) -> Figure:
    """The sample-ratio chart of the report."""
    return plot_srm(r.srm, narrative.srm_title(r))


def over_time(r) -> Figure:
    """P(beats control) and the uplift per day (needs assignment times)."""
    return plot_over_time(r.over_time, r.prob_threshold, narrative.over_time_title(r), _colors(r), r.interval)


def rates(r) -> Figure:
    """The conversion-rate posteriors."""
    return plot_rate_posteriors(r.conversion.table, r.control, r.prior, narrative.rates_title(r))


def uplift(r) -> Figure:
    """The conversion uplift of every treated variant against the control."""
    t = r.conversion.table
    t = t[t["variant"] != r.control]
    if narrative.zero_control(r):  # no control rate to be relative to: absolute differences, no relative MDE
        t = t.assign(uplift_mean=t["uplift_abs_mean"], uplift_hdi_low=t["uplift_abs_hdi_low"], uplift_hdi_high=t["uplift_abs_hdi_high"])
        return plot_uplift_forest(t, "variant", narrative.uplift_title(r), colors=_colors(r), interval=r.interval,
                                  xlabel=f"Absolute difference in conversion rate vs {r.control}")
    return plot_uplift_forest(t, "variant", narrative.uplift_title(r), r.mde, colors=_colors(r), interval=r.interval)


def revenue(r) -> Figure:
    """Revenue per unit against the control, one row per variant and view (model, capped, CUPED, raw)."""
    return plot_uplift_forest(narrative.revenue_views(r), "label", narrative.revenue_title(r), colors=_colors(r),
                              xlabel=f"Relative uplift in revenue per unit vs {r.control}", interval=r.interval)


def segments(r) -> Figure:
    """The exploratory segment uplifts (partially pooled)."""
    return plot_segments(r.segments.table, "Uplift by segment (exploratory, partially pooled)", _colors(r), r.interval)


def allocation(r) -> Figure:
    """The Thompson-sampling traffic shares."""
    return plot_allocation(r.allocation, narrative.allocation_title(r), _colors(r))


def false_ship(r) -> Figure:
    """The A/A simulation's false-ship rates."""
    return plot_false_ship(pd.DataFrame([vars(a) for a in r.aa]), narrative.aa_title(r), narrative.aa_labels(r))


def factorial(r) -> Figure:
    """Main effects and two-way interactions of the factorial model (log-odds against the first levels)."""
    fr = r.factorial
    rows = [{"label": f"{f} = {lv}", "mean": x["mean"], "low": x["hdi_low"], "high": x["hdi_high"]}
            for f, levels in fr.main_effects.items() for lv, x in levels.items()]
    rows += [{"label": f"{i['factors'][0]} = {i['levels'][0]} × {i['factors'][1]} = {i['levels'][1]}", "mean": i["mean"],
              "low": i["hdi_low"], "high": i["hdi_high"]} for i in fr.interactions]
    fig, ax = plt.subplots(figsize=(9.0, 0.5 * len(rows) + 1.6))
    y = np.arange(len(rows))[::-1]
    for yi, row in zip(y, rows):
        ax.plot([row["low"], row["high"]], [yi, yi], color=theme.COLORS["ours"], lw=3, alpha=0.8, solid_capstyle="butt")
        ax.plot(row["mean"], yi, "o", color=theme.COLORS["ours"], ms=8)
    ax.axvline(0, color=theme.COLORS["neutral"], lw=1)
    ax.set_yticks(y, [row["label"] for row in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel(f"Effect on the log-odds of converting (dot = mean, bar = {fmt.interval_label(r.interval)})")
    ax.set_title(narrative.factorial_title(r))
    return fig
