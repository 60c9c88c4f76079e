"""Response curves (weekly spend → weekly contribution at steady state) and carry-over (adstock) per channel."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.mmm.data import MMMInput
from playbook.mmm.stats import summary_columns

#: Most of a week's effect lands in the same week when the posterior-mean weight of week 0 is at least this.
SAME_WEEK_MOST = 0.5
#: A test "covers" a channel's carry-over when it lasts the weeks in which this share of the effect lands.
MOST_OF_EFFECT = 0.9
#: Columns of one point of a response curve in ``mmm.json`` (read by the launch notebook).
CURVE_POINT_KEYS = ("spend", "contribution_mean", "contribution_hdi_low", "contribution_hdi_high")


def response_curves(mmm, inp: MMMInput, interval: float = 0.9, num_points: int = 60, max_multiple: float = 1.5, recent_weeks: int = 13) -> pd.DataFrame:
    """Saturation curve per channel: weekly spend (currency) → weekly KPI contribution at steady state (mean, interval).

    The x-axis runs to ``max_multiple`` × the largest weekly spend seen; ``current_spend``
    is the mean weekly spend of the last ``recent_weeks`` weeks.
    """
    scales = mmm.data.get_channel_scale()
    curves = mmm.summary.saturation_curves(max_value=max_multiple, num_points=num_points, hdi_probs=[interval], random_state=0)
    low, high = summary_columns(interval)
    recent = inp.spend.tail(recent_weeks).mean()
    curves = curves.rename(columns={"mean": "contribution_mean", low: "contribution_hdi_low", high: "contribution_hdi_high"})
    curves["spend"] = curves["x"] * curves["channel"].map(lambda c: float(scales.sel(channel=c)))
    curves["current_spend"] = curves["channel"].map(recent)
    return curves[["channel", "spend", "contribution_mean", "contribution_hdi_low", "contribution_hdi_high", "current_spend"]].reset_index(drop=True)


def curve_points(curves: pd.DataFrame) -> dict[str, list[dict]]:
    """``mmm.json``'s ``response_curves``: per channel, the list of points {spend, contribution_mean, _hdi_low, _hdi_high}."""
    out = {}
    for ch, c in curves.groupby("channel", sort=False):
        pts = c.sort_values("spend")[list(CURVE_POINT_KEYS)].astype(float)
        out[str(ch)] = [{k: float(v) for k, v in row.items()} for row in pts.to_dict(orient="records")]
    return out


def adstock_decay(mmm, interval: float = 0.9) -> pd.DataFrame:
    """Per channel and weeks since spend: share of the effect that lands that week (mean, interval)."""
    ad = mmm.summary.adstock_curves(hdi_probs=[interval])
    low, high = summary_columns(interval)
    return ad.rename(
        columns={"time since exposure": "weeks_since_spend", "mean": "weight_mean", low: "weight_hdi_low", high: "weight_hdi_high"}
    )[["channel", "weeks_since_spend", "weight_mean", "weight_hdi_low", "weight_hdi_high"]]


def carryover(decay: pd.DataFrame) -> pd.DataFrame:
    """Per channel: share of a week's effect landing in the same week, the share after it, the weeks to half of it
    (0 = the same week) and the weeks holding :data:`MOST_OF_EFFECT` of it (1 = the same week).

    Channels sorted by the share landing later (longest carry-over first).
    """
    rows = []
    for ch, d in decay.groupby("channel", sort=False):
        d = d.sort_values("weeks_since_spend")
        w = d["weight_mean"].to_numpy(dtype=float)
        total = w.sum() if w.sum() > 0 else 1.0
        w = w / total
        same = float(w[0]) if len(w) else np.nan
        cum = np.cumsum(w)
        half = int(np.argmax(cum >= 0.5)) if len(w) else 0
        most = int(np.argmax(cum >= MOST_OF_EFFECT)) if len(w) else 0
        rows.append({"channel": str(ch), "same_week_share": same, "later_share": 1 - same, "weeks_to_half": half, "weeks_to_most": most + 1})
    return pd.DataFrame(rows).sort_values("later_share", ascending=False).reset_index(drop=True)
