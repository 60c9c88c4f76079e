"""Markov-chain attribution (Anderl et al. 2016): removal effects solved exactly on the absorbing chain.

``P(conv) = [(I - Q)^{-1} R]_{start, conversion}`` by a linear solve (no simulation), credit
allocated globally as ChannelAttribution does: ``credit_c = total × RE_c / Σ RE``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.attribution.journeys import CONVERSION, NULL, START, channels_of


def absorption_probabilities(Q: np.ndarray, R: np.ndarray) -> np.ndarray:
    """Probability of ending in each absorbing state from each transient state: ``(I - Q)^{-1} R``."""
    n = Q.shape[0]
    return np.linalg.solve(np.eye(n) - Q, R)


@dataclass
class MarkovResult:
    """A first-order Markov attribution: per-channel removal effects and credit, and the chain."""

    channels: pd.DataFrame  # channel, removal_effect, conversions, removal_effect_value, value
    p_conversion: float  # P(a journey from (start) ends in conversion)
    transition_matrix: pd.DataFrame  # rows: (start) + channels; columns: channels + (conversion), (null)
    total_conversions: float
    total_value: float


def transition_counts(paths: pd.DataFrame, self_loops: bool = False) -> pd.DataFrame:
    """Weighted transition counts between states (from, to, conversions, value, journeys)."""
    rows: dict[tuple[str, str], list[float]] = {}

    def add(a: str, b: str, n: float, conv: float = 0.0, value: float = 0.0) -> None:
        acc = rows.setdefault((a, b), [0.0, 0.0, 0.0])
        acc[0] += n
        acc[1] += conv
        acc[2] += value

    for row in paths.itertuples(index=False):
        n = float(row.conversions + row.nulls)
        if n <= 0 or len(row.path) == 0:
            continue
        steps = list(row.path)
        if not self_loops:
            steps = [c for i, c in enumerate(steps) if i == 0 or c != steps[i - 1]]
        add(START, steps[0], n)
        for a, b in zip(steps[:-1], steps[1:]):
            add(a, b, n)
        if row.conversions > 0:
            add(steps[-1], CONVERSION, float(row.conversions), float(row.conversions), float(row.value))
        if row.nulls > 0:
            add(steps[-1], NULL, float(row.nulls))
    return pd.DataFrame(
        [(a, b, *v) for (a, b), v in rows.items()], columns=["from_state", "to_state", "journeys", "conversions", "value"]
    )


def markov_attribution(paths: pd.DataFrame, self_loops: bool = False) -> MarkovResult:
    """Removal effects (fraction of conversions lost without the channel) and credited conversions and value.

    The chain has transient states ``(start)`` and the channels, absorbing states
    ``(conversion)`` and ``(null)``. ``P(conv) = [(I - Q)^{-1} R]_{start, conversion}``;
    removing channel c redirects every transition into c to ``(null)``;
    ``RE_c = 1 - P(conv | c removed) / P(conv)``; credit ``= total × RE_c / Σ RE``.
    For value, conversions are split by the channel they came from (each with its mean value),
    so ``RE_value_c = 1 - E[value | c removed] / E[value]`` — the exact counterpart of
    ChannelAttribution's simulation. Self-transitions (``c → c``) do not change absorption
    probabilities and are dropped unless ``self_loops=True``.
    """
    counts = transition_counts(paths, self_loops=self_loops)
    if counts.empty:
        raise ValueError("no journeys with at least one touch: nothing to attribute")
    channels = channels_of(paths)
    idx = {s: i for i, s in enumerate([START, *channels])}
    n = len(idx)
    k = len(channels)
    Q = np.zeros((n, n))
    R_conv_by_last = np.zeros((n, k))  # conversions, split by the channel they came from
    R_null = np.zeros(n)
    conv_value = np.zeros(k)
    for r in counts.itertuples(index=False):
        i = idx[r.from_state]
        if r.to_state == CONVERSION:
            R_conv_by_last[i, idx[r.from_state] - 1] += r.journeys
            conv_value[idx[r.from_state] - 1] += r.value
        elif r.to_state == NULL:
            R_null[i] += r.journeys
        else:
            Q[i, idx[r.to_state]] += r.journeys
    out_total = Q.sum(axis=1) + R_conv_by_last.sum(axis=1) + R_null
    out_total[out_total == 0] = 1.0
    Q /= out_total[:, None]
    R_conv_by_last /= out_total[:, None]
    R_null /= out_total
    conv_counts = np.array([counts.loc[(counts.from_state == c) & (counts.to_state == CONVERSION), "journeys"].sum() for c in channels])
    mean_value = np.divide(conv_value, conv_counts, out=np.zeros(k), where=conv_counts > 0)

    def solve(removed: int | None) -> tuple[float, float]:
        q = Q.copy()
        r_conv = R_conv_by_last.copy()
        if removed is not None:
            j = removed + 1
            q[:, j] = 0.0  # into the removed channel → (null)
            q[j, :] = 0.0  # the removed state is unreachable; make it absorb harmlessly
            r_conv[j, :] = 0.0
        B = absorption_probabilities(q, r_conv)
        start = B[idx[START]]
        return float(start.sum()), float(start @ mean_value)

    p_conv, e_value = solve(None)
    re, re_value = np.zeros(k), np.zeros(k)
    for j in range(k):
        p_j, v_j = solve(j)
        re[j] = 1.0 - p_j / p_conv if p_conv > 0 else 0.0
        re_value[j] = 1.0 - v_j / e_value if e_value > 0 else 0.0
    total_conv = float(paths["conversions"].sum())
    total_value = float(paths["value"].sum())
    table = pd.DataFrame(
        {
            "channel": channels,
            "removal_effect": re,
            "conversions": total_conv * re / re.sum() if re.sum() > 0 else np.zeros(k),
            "removal_effect_value": re_value,
            "value": total_value * re_value / re_value.sum() if re_value.sum() > 0 else np.zeros(k),
        }
    )
    states = [START, *channels]
    tm = pd.DataFrame(np.column_stack([Q[:, 1:], R_conv_by_last.sum(axis=1), R_null]), index=states, columns=[*channels, CONVERSION, NULL])
    return MarkovResult(table, p_conv, tm, total_conv, total_value)


def markov_credit(paths: pd.DataFrame) -> pd.Series:
    """Markov-credited conversions by channel (a Series; for :func:`bootstrap_credits`)."""
    return markov_attribution(paths).channels.set_index("channel")["conversions"]
