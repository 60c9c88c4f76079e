"""Comparing models: shares of credited conversions, last-touch bias, MMM shares and bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from playbook.attribution.journeys import aggregate_paths


def model_comparison(credits: Mapping[str, pd.Series | Mapping[str, float]]) -> pd.DataFrame:
    """Share of credited conversions per channel (rows) and model (columns); each column sums to 1."""
    frame = pd.DataFrame({m: pd.Series(dict(v) if not isinstance(v, pd.Series) else v, dtype=float) for m, v in credits.items()})
    frame = frame.fillna(0.0)
    totals = frame.sum(axis=0).replace(0.0, np.nan)
    return (frame / totals).fillna(0.0).rename_axis("channel")


def last_touch_bias(shares: pd.DataFrame, data_driven: Sequence[str] = ("markov", "shapley"), last: str = "last_touch") -> pd.DataFrame:
    """Per channel, last-touch share minus the mean data-driven share (positive = over-credited by last touch)."""
    dd = shares[list(data_driven)].mean(axis=1)
    out = pd.DataFrame({"last_touch_share": shares[last], "data_driven_share": dd, "difference": shares[last] - dd})
    return out.sort_values("difference", ascending=False)


def mmm_contribution_shares(mmm_results: Mapping) -> pd.Series:
    """MMM contribution share per channel from an MMM results JSON (``channels.<ch>.contribution_share``)."""
    channels = mmm_results.get("channels") or {}
    out = {}
    for ch, entry in channels.items():
        if isinstance(entry, Mapping) and entry.get("contribution_share") is not None:
            out[ch] = float(entry["contribution_share"])
    return pd.Series(out, dtype=float, name="mmm")


def bootstrap_credits(
    paths: pd.DataFrame,
    model: Callable[[pd.DataFrame], pd.Series],
    n_boot: int = 100,
    seed: int = 0,
    cred: float = 0.9,
) -> pd.DataFrame:
    """Credible-style interval of each channel's credited conversions: channel, low, high, sd.

    A Poisson bootstrap over journeys: every path row's conversions and nulls are redrawn as
    Poisson counts with their observed means (value scales with conversions), ``model`` is
    re-run on each of ``n_boot`` replicates (``seed``), and the equal-tailed ``cred`` range of
    the credits is reported. ``model`` maps a path table to a Series of credit by channel,
    e.g. ``lambda p: markov_attribution(p).channels.set_index("channel")["conversions"]``.
    """
    rng = np.random.default_rng(seed)
    agg = aggregate_paths(paths[["path", "conversions", "value", "nulls"]])
    mean_value = np.divide(agg["value"], agg["conversions"], out=np.zeros(len(agg)), where=agg["conversions"] > 0)
    draws = []
    for _ in range(n_boot):
        rep = agg[["path"]].copy()
        rep["conversions"] = rng.poisson(agg["conversions"].to_numpy()).astype(float)
        rep["nulls"] = rng.poisson(agg["nulls"].to_numpy()).astype(float)
        rep["value"] = rep["conversions"] * mean_value
        rep = rep[(rep["conversions"] + rep["nulls"]) > 0]
        # a replicate of a tiny table can hold no journey at all: nothing to credit
        draws.append(model(rep) if len(rep) else pd.Series(0.0, index=sorted({c for p in agg["path"] for c in p})))
    frame = pd.DataFrame(draws).fillna(0.0)
    tail = (1 - cred) / 2
    return pd.DataFrame(
        {"low": frame.quantile(tail), "high": frame.quantile(1 - tail), "sd": frame.std(ddof=1)}
    ).rename_axis("channel").reset_index()
