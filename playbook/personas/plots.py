"""Figures of the personas report.

The low-level functions take frames and a title; the wrappers at the end take a
:class:`~playbook.personas.PersonasResult` and take their titles from :mod:`playbook.personas.narrative`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from playbook import fmt, theme
from playbook.personas import narrative

PCT = PercentFormatter(1.0, decimals=0)


def _money(currency: str = "$"):
    """A tick formatter for money (colour bars, log-scale ticks) from :func:`playbook.fmt.money`."""
    return FuncFormatter(lambda x, _pos=None: fmt.money(x, currency).replace("$", r"\$"))


def share_bars(summary: pd.DataFrame, title: str, label_col: str = "group") -> Figure:
    """Horizontal bars: share of customers vs share of revenue per group (from ``group_summary``)."""
    data = summary.iloc[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(data) + 1.6))
    y = np.arange(len(data))
    h = 0.38
    ax.barh(y + h / 2, data["customer_share"], height=h, color=theme.COLORS["others"], label="share of customers")
    ax.barh(y - h / 2, data["revenue_share"], height=h, color=theme.COLORS["ours"], label="share of revenue")
    for yi, (c, r) in enumerate(zip(data["customer_share"], data["revenue_share"])):
        ax.text(c + 0.005, yi + h / 2, f"{c:.0%}", va="center", fontsize=8, color=theme.COLORS["neutral"])
        ax.text(r + 0.005, yi - h / 2, f"{r:.0%}", va="center", fontsize=8, color=theme.COLORS["ours"])
    ax.set_yticks(y, data[label_col])
    ax.xaxis.set_major_formatter(PCT)
    ax.set_xlabel("share of all customers / of all revenue")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig


def lorenz(lorenz_customers: np.ndarray, lorenz_revenue: np.ndarray, top_20_share: float, title: str) -> Figure:
    """Lorenz-style curve: cumulative share of revenue against share of customers, biggest spenders first."""
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.plot(lorenz_customers, lorenz_revenue, color=theme.COLORS["ours"], lw=2.2, label="our customers")
    ax.plot([0, 1], [0, 1], color=theme.COLORS["others"], ls="--", lw=1, label="everyone spends the same")
    ax.scatter([0.2], [top_20_share], color=theme.COLORS["ours"], zorder=3)
    ax.annotate(
        f"top 20% bring {top_20_share:.0%}",
        (0.2, top_20_share),
        xytext=(0.3, top_20_share - 0.12),
        arrowprops=dict(arrowstyle="->", color=theme.COLORS["neutral"]),
        fontsize=9,
    )
    ax.xaxis.set_major_formatter(PCT)
    ax.yaxis.set_major_formatter(PCT)
    ax.set_xlabel("share of customers (biggest spenders first)")
    ax.set_ylabel("cumulative share of revenue")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig


def rf_grid(scores: pd.DataFrame, title: str) -> Figure:
    """R score × F score grid: number of customers in each cell, shaded by mean revenue per customer."""
    import seaborn as sns

    counts = pd.crosstab(scores["f_score"], scores["r_score"]).reindex(index=range(5, 0, -1), columns=range(1, 6), fill_value=0)
    value = scores.pivot_table(index="f_score", columns="r_score", values="monetary", aggfunc="mean").reindex(
        index=range(5, 0, -1), columns=range(1, 6)
    )
    fig, ax = plt.subplots(figsize=(7, 4.6))
    sns.heatmap(
        value,
        annot=counts,
        fmt="d",
        cmap="Blues",
        ax=ax,
        cbar_kws={"label": "mean revenue per customer", "format": _money()},
        linewidths=0.5,
        linecolor="white",
        annot_kws={"fontsize": 9},
    )
    ax.set_xlabel("R score (5 = bought most recently)")
    ax.set_ylabel("F score (5 = most orders)")
    ax.grid(False)
    ax.set_title(title)
    return fig


def k_choice(k_scores: pd.DataFrame, chosen: int, title: str) -> Figure:
    """Silhouette (and BIC or inertia) against the number of personas, the chosen k marked."""
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    ax.plot(
        k_scores["k"],
        k_scores["silhouette"],
        marker="o",
        color=theme.COLORS["ours"],
        label="silhouette (higher = better separated)",
    )
    ax.axvline(chosen, color=theme.COLORS["good"], ls="--", lw=1)
    ax.text(chosen, ax.get_ylim()[1], f" k = {chosen}", color=theme.COLORS["good"], va="top")
    ax.set_xlabel("number of personas k")
    ax.set_ylabel("silhouette score")
    other = "bic" if "bic" in k_scores else "inertia" if "inertia" in k_scores else None
    if other and k_scores[other].notna().any():
        ax2 = ax.twinx()
        ax2.plot(k_scores["k"], k_scores[other], marker="s", color=theme.COLORS["others"], label=other)
        ax2.set_ylabel(f"{other} (lower = tighter)")
        ax2.grid(False)
        lines = ax.get_legend_handles_labels()
        lines2 = ax2.get_legend_handles_labels()
        ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="lower right")
    else:
        ax.legend(loc="lower right")
    ax.set_title(title)
    return fig


def lift_heatmap(lift: pd.DataFrame, names: Mapping[int, str], title: str, labels: Mapping[str, str] | None = None) -> Figure:
    """Heatmap of persona mean ÷ population mean − 1 per feature (rows = personas)."""
    import seaborn as sns

    data = lift.rename(index=names)
    if labels:
        data = data.rename(columns=labels)
    fig, ax = plt.subplots(figsize=(max(8, 0.75 * data.shape[1] + 3), 0.55 * data.shape[0] + 2.2))
    sns.heatmap(
        data.clip(-1, 3),
        annot=data,
        fmt=".0%",
        cmap="RdBu_r",
        center=0,
        vmin=-1,
        vmax=3,
        ax=ax,
        cbar_kws={"label": "vs. average customer", "format": PCT},
        annot_kws={"fontsize": 8},
        linewidths=0.5,
        linecolor="white",
    )
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticklabels(ax.get_xticklabels(), rotation=35, ha="right")
    ax.grid(False)
    ax.set_title(title)
    return fig


def persona_lift_bars(lift_row: pd.Series, title: str, labels: Mapping[str, str] | None = None, top: int = 6) -> Figure:
    """Horizontal bars of the ``top`` features that set one persona apart most (persona mean vs. average customer)."""
    row = lift_row.dropna()
    row = row.reindex(row.abs().sort_values(ascending=False).index[:top])[::-1]
    names = [(labels or {}).get(c, c) for c in row.index]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(row) + 1.3))
    colors = [theme.COLORS["ours"] if v >= 0 else theme.COLORS["bad"] for v in row]
    ax.barh(np.arange(len(row)), row.to_numpy(), color=colors, alpha=0.85)
    for y, v in enumerate(row):
        ax.text(v, y, f" {v:+.0%} ", va="center", ha="left" if v >= 0 else "right", fontsize=9)
    ax.axvline(0, color=theme.COLORS["neutral"], lw=1)
    ax.set_yticks(np.arange(len(row)), names)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    high = max(0.5, float(row.max())) * 1.3 if (row > 0).any() else 0.1
    ax.set_xlim(-1.3 if (row < 0).any() else 0, high)  # a mean cannot fall more than 100% below average
    ax.set_xlabel("difference from the average customer")
    ax.set_title(title)
    return fig


def value_by_group(table: pd.DataFrame, title: str, value_label: str, label_col: str = "group", currency: str = "$") -> Figure:
    """Horizontal bars of ``clv_mean`` per group with the ``clv_low``–``clv_high`` credible interval."""
    data = table.sort_values("clv_mean")
    colors = theme.color_map(data[label_col])
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(data) + 1.6))
    y = np.arange(len(data))
    ax.barh(y, data["clv_mean"], color=[colors[g] for g in data[label_col]], alpha=0.85)
    err = np.vstack([data["clv_mean"] - data["clv_low"], data["clv_high"] - data["clv_mean"]])
    ax.errorbar(data["clv_mean"], y, xerr=err, fmt="none", ecolor=theme.COLORS["neutral"], capsize=4, lw=1.2)
    ax.set_yticks(y, data[label_col])
    theme.money_axis(ax, "x", currency)
    ax.set_xlabel(value_label)
    ax.set_title(title)
    return fig


def lifecycle_bars(counts: pd.DataFrame, title: str) -> Figure:
    """Stacked bars: customers per lifecycle stage at each snapshot date."""
    stage_colors = {"new": "#56B4E9", "growing": "#0072B2", "mature": "#009E73", "at_risk": "#E69F00", "dormant": "#9AA5B1"}
    fig, ax = plt.subplots(figsize=(9, 4.2))
    bottom = np.zeros(len(counts))
    x = np.arange(len(counts))
    for stage in counts.columns:
        vals = counts[stage].to_numpy()
        ax.bar(
            x,
            vals,
            bottom=bottom,
            color=stage_colors.get(stage, theme.COLORS["others"]),
            label=stage.replace("_", " "),
            width=0.7,
        )
        for xi, (b, v) in enumerate(zip(bottom, vals)):
            if v > 0.06 * counts.sum(axis=1).max():
                ax.text(xi, b + v / 2, f"{v:,}", ha="center", va="center", fontsize=8, color="white")
        bottom += vals
    ax.set_xticks(x, [pd.Timestamp(s).strftime("%Y-%m-%d") for s in counts.index])
    ax.set_xlabel("snapshot date")
    ax.set_ylabel("customers")
    ax.legend(ncol=5, loc="upper left", bbox_to_anchor=(0, -0.15))
    ax.set_title(title)
    return fig


def transition_heatmap(transitions: pd.DataFrame, title: str, start_label: str, end_label: str) -> Figure:
    """Heatmap of customers moving between lifecycle stages from one snapshot (rows) to the next (columns)."""
    import seaborn as sns

    share = transitions.div(transitions.sum(axis=1).replace(0, np.nan), axis=0)
    fig, ax = plt.subplots(figsize=(8, 4.4))
    annot = transitions.astype(int).astype(str) + "\n" + share.map(lambda v: "" if pd.isna(v) else f"{v:.0%}")
    sns.heatmap(
        share.fillna(0),
        annot=annot,
        fmt="",
        cmap="Blues",
        vmin=0,
        vmax=1,
        ax=ax,
        cbar_kws={"label": "share of the row's customers", "format": PCT},
        annot_kws={"fontsize": 8},
        linewidths=0.5,
        linecolor="white",
    )
    ax.set_ylabel(f"stage on {start_label}")
    ax.set_xlabel(f"stage on {end_label}")
    ax.set_yticklabels([t.get_text().replace("_", " ") for t in ax.get_yticklabels()], rotation=0)
    ax.set_xticklabels([t.get_text().replace("_", " ") for t in ax.get_xticklabels()], rotation=0)
    ax.grid(False)
    ax.set_title(title)
    return fig


def cohort_heatmap(retention: pd.DataFrame, sizes: pd.Series, title: str, max_months: int = 24) -> Figure:
    """Retention triangle: share of each monthly cohort (rows) ordering in each month since acquisition (columns)."""
    import seaborn as sns

    data = retention.iloc[:, 1 : max_months + 1]  # month 0 is 100% by construction
    fig, ax = plt.subplots(figsize=(11, 0.22 * len(data) + 2.2))
    annotate = len(data) <= 18 and data.shape[1] <= 18
    sns.heatmap(
        data,
        cmap="Blues",
        vmin=0,
        vmax=max(0.05, float(np.nanquantile(data.to_numpy(), 0.98))),
        ax=ax,
        annot=annotate,
        fmt=".0%",
        cbar_kws={"label": "share of cohort ordering", "format": PCT},
        linewidths=0.3,
        linecolor="white",
    )
    ax.set_yticks(np.arange(len(data)) + 0.5, [f"{p}  (n={n:,})" for p, n in zip(data.index.astype(str), sizes)], fontsize=7)
    ax.set_xlabel("months since first order")
    ax.set_ylabel("acquisition cohort (month of first order)")
    ax.grid(False)
    ax.set_title(title)
    return fig


def cohort_value_lines(revenue_per_customer: pd.DataFrame, title: str, every: int = 3, currency: str = "$") -> Figure:
    """Cumulative revenue per customer by months since acquisition, one line per (every n-th) cohort."""
    data = revenue_per_customer.iloc[::every]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    cmap = plt.get_cmap("viridis")
    for i, (cohort, row) in enumerate(data.iterrows()):
        ax.plot(row.index, row.to_numpy(), color=cmap(i / max(1, len(data) - 1)), lw=1.6, label=str(cohort))
    theme.money_axis(ax, "y", currency)
    ax.set_xlabel("months since first order")
    ax.set_ylabel("cumulative revenue per customer")
    ax.legend(ncol=2, fontsize=7, title="cohort", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title)
    return fig


def clv_distribution(customers: pd.DataFrame, title: str, value_label: str, currency: str = "$") -> Figure:
    """Customers ranked by expected CLV: the cumulative share of future value against the share of customers."""
    v = np.sort(customers["clv_mean"].to_numpy())[::-1]
    cum = np.cumsum(v) / v.sum()
    share = np.arange(1, len(v) + 1) / len(v)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.0))
    ax = axes[0]
    ax.hist(np.log10(np.maximum(v, 1.0)), bins=40, color=theme.COLORS["ours"], alpha=0.85)
    ticks = np.arange(0, max(1, np.ceil(np.log10(max(v.max(), 1.0)))) + 1)
    ax.set_xticks(ticks, [f"≤ {currency}1" if t == 0 else _money(currency)(10**t).replace("\\$", "$") for t in ticks])
    ax.set_xlabel(f"{value_label} (log scale)")
    ax.set_ylabel("customers")
    ax.set_title("How expected value is spread")
    ax = axes[1]
    ax.plot(share, cum, color=theme.COLORS["ours"], lw=2.2)
    ax.plot([0, 1], [0, 1], color=theme.COLORS["others"], ls="--", lw=1)
    i20 = max(0, int(np.ceil(0.2 * len(v))) - 1)
    ax.scatter([share[i20]], [cum[i20]], color=theme.COLORS["ours"], zorder=3)
    ax.annotate(
        f"top 20% hold {cum[i20]:.0%}",
        (share[i20], cum[i20]),
        xytext=(0.3, cum[i20] - 0.15),
        fontsize=9,
        arrowprops=dict(arrowstyle="->", color=theme.COLORS["neutral"]),
    )
    ax.xaxis.set_major_formatter(PCT)
    ax.yaxis.set_major_formatter(PCT)
    ax.set_xlabel("share of customers (highest expected value first)")
    ax.set_ylabel("share of expected future value")
    ax.set_title("Where the future value sits")
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    return fig


def p_alive_by_group(customers: pd.DataFrame, groups: pd.Series, order: Sequence[str], title: str) -> Figure:
    """Box plot of P(alive) per group (e.g. persona), in ``order``."""
    data = customers.assign(group=groups.reindex(customers["customer_id"]).to_numpy())
    colors = theme.color_map(order)
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(order) + 1.6))
    vals = [data.loc[data["group"] == g, "p_alive"].dropna().to_numpy() for g in order]  # unknown status left out
    bp = ax.boxplot(vals, orientation="horizontal", patch_artist=True, widths=0.6, showfliers=False)
    for patch, g in zip(bp["boxes"], order):
        patch.set_facecolor(colors[g])
        patch.set_alpha(0.7)
    for med in bp["medians"]:
        med.set_color("black")
    ax.set_yticks(np.arange(1, len(order) + 1), list(order))
    ax.xaxis.set_major_formatter(PCT)
    ax.set_xlim(0, 1)
    ax.set_xlabel("P(alive): probability the customer is still active")
    ax.set_title(title)
    return fig


def posterior_densities(draws: pd.DataFrame, title: str) -> Figure:
    """One small density (histogram) panel per model parameter's posterior draws."""
    n = draws.shape[1]
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.6))
    axes = np.atleast_1d(axes)
    for ax, col in zip(axes, draws.columns):
        ax.hist(draws[col], bins=30, color=theme.COLORS["ours"], alpha=0.8)
        ax.set_title(col, fontsize=10)
        ax.set_yticks([])
        ax.set_xlabel("value")
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    return fig


# --------------------------------------------------------------------------- from a PersonasResult


def segments(r) -> Figure:
    return share_bars(narrative.shown_segments(r), narrative.segment_title(r))


def rf(r) -> Figure:
    return rf_grid(r.scores, narrative.rf_title(r))


def concentration(r) -> Figure:
    c = r.concentration
    return lorenz(c.lorenz_customers, c.lorenz_revenue, c.top_20_share, narrative.concentration_title(r))


def k_scores(r) -> Figure:
    return k_choice(r.fit.k_scores, r.fit.k, narrative.k_title(r))


def lift(r) -> Figure:
    return lift_heatmap(r.lift, narrative.persona_names(r), "What sets each persona apart", narrative.feature_labels(r))


def persona(r, pid) -> Figure:
    return persona_lift_bars(r.lift.loc[pid], narrative.persona_title(r, pid), narrative.feature_labels(r))


def lifecycle(r) -> Figure:
    return lifecycle_bars(r.stage_counts, narrative.lifecycle_title(r))


def transitions(r) -> Figure | None:
    if r.transitions is None:
        return None
    return transition_heatmap(r.transitions, narrative.transition_title(r), *narrative.snapshot_labels(r))


def retention(r) -> Figure:
    return cohort_heatmap(r.cohorts.retention, r.cohorts.sizes, narrative.retention_title(r))


def cohort_value(r) -> Figure:
    return cohort_value_lines(r.cohorts.revenue_per_customer, "Cumulative revenue per customer by cohort", every=3, currency=r.currency)


def clv_by_persona(r) -> Figure:
    pv = r.persona_value.rename(columns={"group": "persona"})
    return value_by_group(pv, narrative.clv_persona_title(r), narrative.value_label(r), label_col="persona", currency=r.currency)


def p_alive(r) -> Figure:
    return p_alive_by_group(r.value.customers, r.persona_of, list(r.profiles["name"]), narrative.p_alive_title(r))


def clv_spread(r) -> Figure:
    return clv_distribution(r.value.customers, narrative.clv_concentration_title(r), narrative.value_label(r), currency=r.currency)


def posterior(r) -> Figure:
    return posterior_densities(r.posterior, narrative.posterior_title(r))


def holdout(r) -> Figure | None:
    """Mean actual and predicted repeat purchases in the holdout window per calibration-frequency bucket, one line per model."""
    from playbook.personas import clv

    c = r.comparison
    if not c.compared:
        return None
    fig, ax = plt.subplots(figsize=theme.FIGSIZE_WIDE)
    first = next(iter(x for x in c.candidates.values() if len(x.buckets)), None)
    if first is None:
        plt.close(fig)
        return None
    x = np.arange(len(first.buckets))
    ax.plot(x, first.buckets["actual"], color="black", lw=2.4, marker="o", label="actual")
    colors = theme.color_map([clv.model_label(m) for m in c.candidates], highlight=clv.model_label(r.purchase_model))
    for m, cand in c.candidates.items():
        if not len(cand.buckets):
            continue
        name = clv.model_label(m)
        ax.plot(x, cand.buckets["predicted"], marker="s", ls="--", lw=2.2 if m == r.purchase_model else 1.2,
                color=colors[name], label=f"{name}{' (used)' if m == r.purchase_model else ''}")
    ax.set_xticks(x, first.buckets["frequency"])
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean repeat purchases in the holdout period")
    ax.set_ylim(bottom=0)
    ax.set_title(narrative.model_title(r))
    ax.legend(loc="upper left")
    return fig
