"""Rule-based attribution: first touch, last touch, linear, time decay and position based.

They match ChannelAttribution's ``heuristic_models`` exactly (first, last, linear; linear counts
repeated touches). Time decay weighs a touch ``2^(-days_to_end / half_life_days)``; position based
gives 40/20/40 to first / middle / last touch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from playbook.attribution.journeys import channels_of

HEURISTIC_MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")


def _weights(model: str, n: int, days: Sequence[float] | None, half_life_days: float, half_life_touches: float,
             position_weights: tuple[float, float, float]) -> np.ndarray:
    if model == "first_touch":
        w = np.zeros(n)
        w[0] = 1.0
    elif model == "last_touch":
        w = np.zeros(n)
        w[-1] = 1.0
    elif model == "linear":
        w = np.full(n, 1.0 / n)
    elif model == "time_decay":
        if days is not None:
            age = np.asarray(days, dtype=float) / half_life_days
        else:  # no timestamps: decay by touches before the end
            age = (n - 1 - np.arange(n)) / half_life_touches
        w = np.power(2.0, -age)
        w = w / w.sum()
    elif model == "position_based":
        first, middle, last = position_weights
        if n == 1:
            w = np.ones(1)
        elif n == 2:
            w = np.array([0.5, 0.5])
        else:
            w = np.full(n, middle / (n - 2))
            w[0], w[-1] = first, last
    else:
        raise ValueError(f"unknown heuristic model {model!r}; expected one of {HEURISTIC_MODELS}")
    return w


def heuristic_attribution(
    paths: pd.DataFrame,
    models: Iterable[str] = HEURISTIC_MODELS,
    half_life_days: float = 7.0,
    half_life_touches: float = 1.0,
    position_weights: tuple[float, float, float] = (0.4, 0.2, 0.4),
) -> pd.DataFrame:
    """Conversions and value credited to each channel by each rule: long table (model, channel, conversions, value).

    Time decay uses ``days_to_end`` when the path table has it (half-life in days), otherwise
    the number of touches before the end (half-life in touches). Position based gives
    ``position_weights`` to first / middle (shared) / last touch; 50/50 for two touches.
    """
    models = list(models)
    if not np.isclose(sum(position_weights), 1.0):
        raise ValueError(f"position_weights must sum to 1, got {position_weights}")
    has_days = "days_to_end" in paths.columns
    conv = paths[paths["conversions"] > 0]
    credit: dict[tuple[str, str], list[float]] = {}
    for row in conv.itertuples(index=False):
        path = row.path
        days = row.days_to_end if has_days else None
        for model in models:
            w = _weights(model, len(path), days, half_life_days, half_life_touches, position_weights)
            for ch, wi in zip(path, w):
                acc = credit.setdefault((model, ch), [0.0, 0.0])
                acc[0] += wi * row.conversions
                acc[1] += wi * row.value
    channels = channels_of(paths)
    rows = [
        {"model": m, "channel": c, "conversions": credit.get((m, c), [0.0, 0.0])[0], "value": credit.get((m, c), [0.0, 0.0])[1]}
        for m in models
        for c in channels
    ]
    return pd.DataFrame(rows, columns=["model", "channel", "conversions", "value"])
