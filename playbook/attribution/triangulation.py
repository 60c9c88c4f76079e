"""Triangulation: the MMM's incremental ROAS and revenue share, each attribution model's share of attributed revenue, and lift tests, per channel.

Units match: every share is a share of *revenue* (the MMM's share of media contribution; the
attribution models' value-weighted credit), every ROAS is revenue per unit of spend. The MMM and
lift tests measure what a channel *adds*; attribution shares out what was *observed*. Where they
disagree by more than their uncertainty, :func:`flag` says so with a plain explanation. Channels
present on one side only are listed (``missing``), never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from playbook import fmt

#: A share differs from the MMM's when it lies outside the MMM's share interval *and* is at least this many times larger (or smaller).
RATIO_FLAG = 1.5
#: The attribution models lined up against the MMM (value-weighted credit), by their JSON key prefix.
MODELS = {"markov": "Markov", "shapley": "Shapley", "last_touch": "last touch"}

OVER, UNDER, LIFT, NONE = "attribution_over", "attribution_under", "lift_test_disagrees", None


@dataclass
class Triangulation:
    """One row per channel on both sides, the channels on one side only, and the MMM's health."""

    table: pd.DataFrame  # index channel; mmm_*, <model>_share, lift_test_*, flag, explanation
    missing: dict[str, list[str]]  # mmm_only, attribution_only, lift_tests_only
    mmm_healthy: bool | None  # the MMM's own health check (None: not stated)
    mmm_interval: float | None
    lift_tests_given: bool
    notes: list[str] = field(default_factory=list)

    def results(self) -> dict:
        cols = ["mmm_roas_mean", "mmm_roas_hdi_low", "mmm_roas_hdi_high", "mmm_share", "mmm_share_hdi_low", "mmm_share_hdi_high",
                "markov_share", "shapley_share", "last_touch_share", "lift_test_roas", "lift_test_roas_low", "lift_test_roas_high",
                "flag", "explanation"]
        out: dict = {ch: {c: _clean(row.get(c)) for c in cols} for ch, row in self.table.iterrows()}
        out["missing"] = self.missing
        return out


def _clean(x):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return None
    return x


def lift_test_roas(lifts: pd.DataFrame | None, interval: float = 0.9) -> pd.DataFrame:
    """Per channel the lift tests' ROAS ``delta_y / delta_x`` and its interval (columns lift_test_roas, _low, _high, lift_tests).

    Several tests of one channel are pooled by inverse variance (each test's standard error is
    ``sigma / |delta_x|``); the interval is normal with mass ``interval``. Tests with
    ``delta_x = 0`` measure no return and are skipped.
    """
    cols = ["lift_test_roas", "lift_test_roas_low", "lift_test_roas_high", "lift_tests"]
    if lifts is None or not len(lifts):
        return pd.DataFrame(columns=cols).rename_axis("channel")
    t = lifts[lifts["delta_x"] != 0].copy()
    t["roas"] = t["delta_y"] / t["delta_x"]
    t["se"] = t["sigma"] / t["delta_x"].abs()
    z = stats.norm.ppf(1 - (1 - interval) / 2)
    rows = {}
    for ch, g in t.groupby("channel", sort=True):
        w = 1 / g["se"] ** 2
        est = float((w * g["roas"]).sum() / w.sum())
        se = float(np.sqrt(1 / w.sum()))
        rows[ch] = {"lift_test_roas": est, "lift_test_roas_low": est - z * se, "lift_test_roas_high": est + z * se, "lift_tests": len(g)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=cols).rename_axis("channel")


def mmm_table(mmm: Mapping | None) -> pd.DataFrame:
    """The MMM's per-channel ROAS and contribution share with their intervals, from ``mmm.json``."""
    cols = {"roas_mean": "mmm_roas_mean", "roas_hdi_low": "mmm_roas_hdi_low", "roas_hdi_high": "mmm_roas_hdi_high",
            "contribution_share": "mmm_share", "contribution_share_hdi_low": "mmm_share_hdi_low",
            "contribution_share_hdi_high": "mmm_share_hdi_high"}
    rows = {}
    for ch, entry in ((mmm or {}).get("channels") or {}).items():
        if isinstance(entry, Mapping):
            rows[ch] = {new: (float(entry[old]) if entry.get(old) is not None else np.nan) for old, new in cols.items()}
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(cols.values())).rename_axis("channel")


def value_shares(credits_value: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Each model's share of attributed revenue per channel (value-weighted credit; columns ``<model>_share``)."""
    out = {}
    for model in MODELS:
        v = credits_value.get(model)
        if v is None:
            continue
        total = float(v.sum())
        out[f"{model}_share"] = v / total if total > 0 else v * np.nan
    return pd.DataFrame(out).rename_axis("channel")


def flag(row: pd.Series, mmm_healthy: bool | None) -> tuple[str | None, str]:
    """The disagreement flag of one channel and its plain explanation (``(None, '')`` when the sources agree).

    Rules, in order: a lift test whose interval does not overlap the MMM's ROAS interval; then the
    attribution model whose revenue share is furthest from the MMM's share, when it lies outside the
    MMM's share interval and is at least :data:`RATIO_FLAG` times larger or smaller. An MMM whose
    health check failed is not used to flag.
    """
    ch = str(row.name).replace("_", " ")
    if mmm_healthy is False:
        return NONE, ""
    lt, lo, hi = row.get("lift_test_roas"), row.get("mmm_roas_hdi_low"), row.get("mmm_roas_hdi_high")
    if fmt.is_finite(lt) and fmt.is_finite(lo) and fmt.is_finite(hi):
        if row["lift_test_roas_high"] < lo or row["lift_test_roas_low"] > hi:
            side = "below" if row["lift_test_roas_high"] < lo else "above"
            return LIFT, (
                f"The lift test measures a ROAS of {fmt.ratio(lt)} {fmt.interval(row['lift_test_roas_low'], row['lift_test_roas_high'], fmt.ratio)} "
                f"for {ch}, {side} the MMM's {fmt.ratio(row['mmm_roas_mean'])} {fmt.interval(lo, hi, fmt.ratio)}: calibrate the MMM with this "
                "test, or check that both cover the same period and spend level."
            )
    share, s_lo, s_hi = row.get("mmm_share"), row.get("mmm_share_hdi_low"), row.get("mmm_share_hdi_high")
    if not (fmt.is_finite(share) and share > 0):
        return NONE, ""
    s_lo = s_lo if fmt.is_finite(s_lo) else share
    s_hi = s_hi if fmt.is_finite(s_hi) else share
    worst, worst_ratio, worst_strength = None, 1.0, 0.0
    for model in MODELS:
        a = row.get(f"{model}_share")
        if not fmt.is_finite(a) or s_lo <= a <= s_hi:
            continue
        ratio = a / share
        strength = 1 / ratio if ratio > 0 else np.inf
        strength = max(ratio, strength)
        if strength >= RATIO_FLAG and strength > worst_strength:
            worst, worst_ratio, worst_strength = model, ratio, strength
    if worst is None:
        return NONE, ""
    name = MODELS[worst]
    if worst_ratio > 1:
        return OVER, (
            f"{name[0].upper() + name[1:]} credits {ch} with {fmt.number(worst_ratio, 1)}× its incremental share "
            f"({fmt.pct(row[f'{worst}_share'])} of attributed revenue against {fmt.pct(share)} of the MMM's media contribution): "
            f"{ch} sits on journeys that would often have converted anyway, harvesting demand that other channels or the brand "
            "created, so the tracked paths over-state what it adds."
        )
    shown = fmt.pct(row[f"{worst}_share"])
    return UNDER, (
        f"{name[0].upper() + name[1:]} gives {ch} {shown} of attributed revenue, under the MMM's {fmt.pct(share)} "
        f"of media contribution: {ch} creates demand that reaches buyers off the tracked paths (views without clicks, offline, "
        "word of mouth) or before the lookback window, and other channels collect the credit."
    )


def triangulate(
    credits_value: Mapping[str, pd.Series] | None,
    mmm: Mapping | None,
    lifts: pd.DataFrame | None,
    interval: float = 0.9,
) -> Triangulation:
    """Line up the MMM, the attribution models' revenue shares and the lift tests per channel, with flags and the one-sided channels."""
    m = mmm_table(mmm)
    a = value_shares(credits_value or {})
    lt = lift_test_roas(lifts, interval)
    both = sorted(set(m.index) & set(a.index)) if len(m) and len(a) else sorted(set(m.index) | set(a.index))
    missing = {
        "mmm_only": sorted(set(m.index) - set(a.index)) if len(a) else [],
        "attribution_only": sorted(set(a.index) - set(m.index)) if len(m) else [],
        "lift_tests_only": sorted(set(lt.index) - set(m.index) - set(a.index)),
    }
    table = pd.concat([m.reindex(both), a.reindex(both), lt.reindex(both)], axis=1)
    table.index.name = "channel"
    diag = (mmm or {}).get("diagnostics") or {}
    healthy = diag.get("passed") if isinstance(diag, Mapping) else None
    flags = [flag(row, healthy) for _, row in table.iterrows()] if len(table) else []
    table["flag"] = [f for f, _ in flags] if flags else pd.Series(dtype=object)
    table["explanation"] = [e for _, e in flags] if flags else pd.Series(dtype=object)
    meta = (mmm or {}).get("meta") or {}
    return Triangulation(table, missing, healthy, meta.get("interval"), lifts is not None and len(lifts) > 0)
