"""The report's tables, as keyword arguments of :func:`playbook.report.table` (frame, formats, caption)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playbook import fmt
from playbook.attribution.narrative import MODEL_LABELS

if TYPE_CHECKING:  # pragma: no cover
    from playbook.attribution import AttributionResult

_PCT1 = "{:.1%}"


def _model_headers(columns, suffix: str = "") -> dict[str, str]:
    """Human headers of attribution-model columns (``first_touch`` → ``First touch``), with ``suffix``."""
    return {c: MODEL_LABELS.get(c, c.replace("_", " ").capitalize()) + suffix for c in columns}


def _money(r: AttributionResult):
    return lambda x: fmt.money(x, r.settings.currency, 2 if abs(x) < 100 else 0)


def unit_economics(r: AttributionResult) -> dict:
    e = r.funnel.econ[["channel", "spend", "signups", "orders", "revenue", "cvr", "pay_rate", "cpa", "cac", "roas", "roas_low", "roas_high"]]
    m = _money(r)
    return {
        "frame": e,
        "formats": {"spend": m, "revenue": m, "cpa": m, "cac": m, "cvr": _PCT1, "pay_rate": _PCT1, "roas": fmt.ratio,
                    "roas_low": fmt.ratio, "roas_high": fmt.ratio, "signups": fmt.count, "orders": fmt.count},
        "headers": {"channel": "Channel", "spend": f"Spend, {r.settings.currency}", "signups": "Sign-ups", "orders": "Orders",
                    "revenue": f"Revenue, {r.settings.currency}", "cvr": "Click → sign-up", "pay_rate": "Sign-up → order",
                    "cpa": f"CPA, {r.settings.currency}", "cac": f"CAC, {r.settings.currency}", "roas": "ROAS",
                    "roas_low": f"ROAS, {fmt.interval_label(r.interval)}: low", "roas_high": f"ROAS, {fmt.interval_label(r.interval)}: high"},
        "caption": "Unit economics over the whole period (CPA = spend per sign-up, CAC = spend per paying customer; "
                   f"ROAS is attributed, with its {fmt.interval_label(r.interval)})",
    }


def alert_episodes(r: AttributionResult) -> dict:
    return {
        "frame": r.funnel.bad_episodes[["channel", "metric", "start", "end", "days", "worst_change", "worst_z"]],
        "formats": {"worst_change": lambda v: fmt.pct(v, signed=True), "worst_z": "{:+.1f}"},
        "headers": {"channel": "Channel", "metric": "KPI", "start": "First day", "end": "Last day", "days": "Days",
                    "worst_change": "Largest move vs expected", "worst_z": "Largest z-score"},
        "caption": "Alert episodes (consecutive alerted days), strongest first",
    }


def alerted_days(r: AttributionResult) -> dict:
    return {
        "frame": r.funnel.alerts.sort_values("date", ascending=False).head(30),
        "formats": {"expected": "{:.4g}", "actual": "{:.4g}", "change": "{:+.0%}", "z": "{:+.1f}"},
        "caption": "Alerted days (most recent 30)",
    }


def shares(r: AttributionResult) -> dict:
    from playbook.attribution.narrative import ranking

    tbl = r.paths.shares.copy()
    tbl.insert(0, "channel", tbl.index)
    return {"frame": tbl.loc[ranking(r)], "formats": {c: _PCT1 for c in r.paths.shares.columns},
            "headers": {"channel": "Channel", **_model_headers(r.paths.shares.columns)},
            "caption": "Share of observed conversions by model" + (" (MMM: share of incremental revenue)" if r.mmm_given else "")}


def removal_effects(r: AttributionResult) -> dict:
    rem = r.paths.markov.channels[["channel", "removal_effect", "conversions", "value"]].sort_values("removal_effect", ascending=False)
    return {"frame": rem, "formats": {"removal_effect": "{:.3f}", "conversions": "{:,.1f}", "value": _money(r)},
            "caption": "Markov removal effects and credit"}


def transition_matrix(r: AttributionResult) -> dict:
    """The chain's non-zero transitions as a long table (from, to, probability), largest first within each
    state: a higher-order chain has dozens of states, too many columns for a page or a phone."""
    tm = r.paths.markov.transition_matrix
    long = tm.rename_axis(index="from", columns="to").stack().rename("probability").reset_index()
    long = long.loc[long["probability"] > 0].sort_values(["from", "probability"], ascending=[True, False], kind="stable")
    return {"frame": long.reset_index(drop=True), "formats": {"probability": "{:.3f}"},
            "caption": "Markov transition probabilities (each state's non-zero transitions)"}


def coalitions(r: AttributionResult) -> dict:
    coal = r.paths.shapley.coalitions.head(15).copy()
    coal["coalition"] = coal["coalition"].map(lambda s: " + ".join(sorted(s)))
    return {"frame": coal, "formats": {"rate": _PCT1, "prior_rate": _PCT1, "smoothed_rate": _PCT1, "journeys": fmt.count, "conversions": fmt.count},
            "caption": "Most common channel sets: raw, model and pooled conversion rates"}


def path_lengths(r: AttributionResult) -> dict:
    from playbook.attribution.journeys import path_length_summary

    return {"frame": path_length_summary(r.paths.path_table), "formats": {"conversion_rate": _PCT1, "journeys": fmt.count, "conversions": fmt.count},
            "caption": "Journeys by number of touches"}


def triangulation(r: AttributionResult) -> dict:
    t = r.triangulation.table.drop(columns=["explanation"]).reset_index()
    share_cols = [c for c in t.columns if c.endswith("_share") or "_share_hdi" in c]
    roas_cols = [c for c in t.columns if "roas" in c]
    return {"frame": t, "formats": {**{c: _PCT1 for c in share_cols}, **{c: fmt.ratio for c in roas_cols}, "lift_tests": fmt.count,
                                    "flag": lambda v: str(v).replace("_", " ")},
            "headers": _triangulation_headers(t.columns, fmt.interval_label(r.interval)),
            "caption": "Triangulation per channel: MMM incremental ROAS and share of media contribution, attribution models' share of "
                       "attributed revenue, lift-test ROAS, and the disagreement flag"}


def time_to_conversion(r: AttributionResult) -> dict:
    return {"frame": r.paths.time_to_conversion, "formats": {"journeys": fmt.count, "median_days": "{:.1f}", "p90_days": "{:.1f}"},
            "headers": {"channel": "Channel", "journeys": "Converting journeys", "median_days": "Median days", "p90_days": "90th percentile, days"},
            "caption": "Days from a channel's first touch to the conversion, over the converting journeys it touched (all: the journey's first touch)"}


def _triangulation_headers(columns, band: str) -> dict[str, str]:
    """Human headers of the triangulation table (``mmm_roas_hdi_low`` → ``MMM ROAS, 90% interval: low``)."""
    fixed = {"channel": "Channel", "mmm_roas_mean": "MMM ROAS", "mmm_roas_hdi_low": f"MMM ROAS, {band}: low",
             "mmm_roas_hdi_high": f"MMM ROAS, {band}: high", "mmm_share": "MMM share of media contribution",
             "mmm_share_hdi_low": f"MMM share, {band}: low", "mmm_share_hdi_high": f"MMM share, {band}: high",
             "lift_test_roas": "Lift-test ROAS", "lift_test_roas_low": "Lift-test ROAS: low", "lift_test_roas_high": "Lift-test ROAS: high",
             "lift_tests": "Lift tests", "flag": "Disagreement"}
    shares = _model_headers([c.removesuffix("_share") for c in columns if c.endswith("_share") and c not in fixed], " share")
    return {**fixed, **{f"{c}_share": h for c, h in shares.items()}}
