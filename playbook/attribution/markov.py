"""Markov-chain attribution (Anderl et al. 2016): removal effects solved exactly on the absorbing chain.

``P(conv) = [(I - Q)^{-1} R]_{start, conversion}`` by a linear solve (no simulation), credit
allocated globally as ChannelAttribution does: ``credit_c = total × RE_c / Σ RE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

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


@dataclass
class ChainCounts:
    """Weighted first-order transition counts as arrays; state 0 is ``(start)``, state ``i`` is ``channels[i - 1]``."""

    channels: list[str]
    transitions: np.ndarray  # (K + 1) × (K + 1): journeys from state i to state j
    conversions: np.ndarray  # K: conversions whose last touch was the channel
    nulls: np.ndarray  # K + 1: non-converting journeys ending in the state
    value: np.ndarray  # K: value of those conversions


def chain_counts(paths: pd.DataFrame, self_loops: bool = False) -> ChainCounts:
    """Weighted transition counts of the paths as arrays, vectorised over the flattened paths.

    Channel names are coded once (``pd.factorize``) over all touches; each touch is a transition
    from the previous touch of its path (or ``(start)``) counted with the path's journeys
    (``conversions + nulls``) by one ``np.bincount`` on ``from × (K + 1) + to``. Paths without
    journeys or touches are left out, as are repeated consecutive touches unless ``self_loops``.
    """
    path_col = paths["path"].tolist()
    conv = paths["conversions"].to_numpy(float)
    nulls = paths["nulls"].to_numpy(float)
    value = paths["value"].to_numpy(float)
    weight = conv + nulls
    lengths = np.fromiter(map(len, path_col), dtype=np.int64, count=len(path_col))
    flat = np.fromiter(chain.from_iterable(path_col), dtype=object, count=int(lengths.sum()))
    codes, uniques = pd.factorize(flat, sort=False)
    channels = sorted(uniques)  # every channel of the table, as channels_of lists them
    k = len(channels)
    size = k + 1
    rank = {c: i for i, c in enumerate(channels)}
    codes = np.array([rank[u] for u in uniques], dtype=np.int64)[codes] if k else codes.astype(np.int64)
    row = np.repeat(np.arange(len(path_col)), lengths)
    keep = (weight > 0)[row]
    if not self_loops:
        keep[1:] &= ~((codes[1:] == codes[:-1]) & (row[1:] == row[:-1]))
    codes, row = codes[keep], row[keep]
    new_path = np.ones(len(row), dtype=bool)
    new_path[1:] = row[1:] != row[:-1]
    prev = np.empty_like(codes)
    prev[0:1] = -1
    prev[1:] = codes[:-1]
    frm = np.where(new_path, 0, prev + 1)
    w = weight[row]
    transitions = np.bincount(frm * size + codes + 1, weights=w, minlength=size * size).reshape(size, size)
    last = np.ones(len(row), dtype=bool)
    last[:-1] = new_path[1:]
    end_code, end_row = codes[last], row[last]
    c_end, n_end, v_end = conv[end_row], nulls[end_row], value[end_row]
    converted = c_end > 0
    conversions = np.bincount(end_code[converted], weights=c_end[converted], minlength=k)
    conv_value = np.bincount(end_code[converted], weights=v_end[converted], minlength=k)
    nulled = n_end > 0
    null_counts = np.zeros(size)
    null_counts[1:] = np.bincount(end_code[nulled], weights=n_end[nulled], minlength=k)
    return ChainCounts(channels, transitions, conversions, null_counts, conv_value)


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
    cc = chain_counts(paths, self_loops=self_loops)
    if cc.transitions.sum() == 0:
        raise ValueError("no journeys with at least one touch: nothing to attribute")
    channels = cc.channels
    k = len(channels)
    n = k + 1
    Q = cc.transitions.copy()
    R_conv_by_last = np.zeros((n, k))  # conversions, split by the channel they came from
    R_conv_by_last[np.arange(1, n), np.arange(k)] = cc.conversions
    R_null = cc.nulls.copy()
    out_total = Q.sum(axis=1) + R_conv_by_last.sum(axis=1) + R_null
    out_total[out_total == 0] = 1.0
    Q /= out_total[:, None]
    R_conv_by_last /= out_total[:, None]
    R_null /= out_total
    mean_value = np.divide(cc.value, cc.conversions, out=np.zeros(k), where=cc.conversions > 0)

    # The full chain and, stacked behind it, the chain with each channel removed: one batched solve.
    q = np.broadcast_to(Q, (k + 1, n, n)).copy()
    r_conv = np.broadcast_to(R_conv_by_last, (k + 1, n, k)).copy()
    for j in range(1, n):
        q[j, :, j] = 0.0  # into the removed channel → (null)
        q[j, j, :] = 0.0  # the removed state is unreachable; make it absorb harmlessly
        r_conv[j, j, :] = 0.0
    start = np.linalg.solve(np.eye(n) - q, r_conv)[:, 0, :]  # from (start), per chain
    p_all, v_all = start.sum(axis=1), start @ mean_value
    p_conv, e_value = float(p_all[0]), float(v_all[0])
    re = 1.0 - p_all[1:] / p_conv if p_conv > 0 else np.zeros(k)
    re_value = 1.0 - v_all[1:] / e_value if e_value > 0 else np.zeros(k)
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


def markov_credit(paths: pd.DataFrame, order: int = 1) -> pd.Series:
    """Markov-credited conversions by channel on the order-``order`` chain (a Series; for :func:`bootstrap_credits`)."""
    return markov_attribution_order(paths, order).channels.set_index("channel")["conversions"]


# --------------------------------------------------------------------------- higher order

#: Orders considered by :func:`choose_order` (ChannelAttribution offers the same range by simulation).
MAX_ORDER = 3
#: Folds of the cross-validation that chooses the order.
CV_FOLDS = 5
#: Add-α smoothing of the transition probabilities scored out of sample (Jeffreys: ½).
CV_ALPHA = 0.5
#: The rule, as the report states it.
ORDER_RULE = (
    f"{CV_FOLDS}-fold cross-validation over journeys: each order's transition probabilities (add-½ smoothing) are fitted on four "
    "folds and score the held-out journeys' log-likelihood (every touch and the final conversion or not); the lowest order "
    "within one standard error of the best score is chosen"
)


def chain_states(path, order: int = 1, self_loops: bool = False) -> list[tuple]:
    """The states a journey visits on an order-``order`` chain: after each touch, the tuple of its last ``order`` channels.

    Repeated consecutive touches of one channel are merged first unless ``self_loops``. The first
    states are shorter (``('a',)``, ``('a', 'b')``, …) until ``order`` touches have been seen.
    """
    steps = list(path)
    if not self_loops:
        steps = [c for i, c in enumerate(steps) if i == 0 or c != steps[i - 1]]
    return [tuple(steps[max(0, i - order + 1) : i + 1]) for i in range(len(steps))]


def markov_attribution_order(paths: pd.DataFrame, order: int = 1, self_loops: bool = False) -> MarkovResult:
    """Removal effects and credit on the order-``order`` chain, solved exactly (as :func:`markov_attribution` for order 1).

    States are the tuples of the last ``order`` channels (:func:`chain_states`); removing channel c
    redirects every transition into a state that contains c to ``(null)``. Conversions are split by
    the state they came from, each with its mean value, for the value removal effects. The
    transition matrix returned has one row per state (``'a > b'``).
    """
    if order == 1:
        return markov_attribution(paths, self_loops=self_loops)
    rows = []
    for row in paths.itertuples(index=False):
        n = float(row.conversions + row.nulls)
        if n > 0 and len(row.path):
            rows.append((chain_states(row.path, order, self_loops), float(row.conversions), float(row.nulls), float(row.value)))
    if not rows:
        raise ValueError("no journeys with at least one touch: nothing to attribute")
    states = sorted({s for st, *_ in rows for s in st}, key=lambda s: (len(s), s))
    idx = {s: i + 1 for i, s in enumerate(states)}
    n_states = len(states) + 1
    Q = np.zeros((n_states, n_states))
    conv = np.zeros(n_states)
    null = np.zeros(n_states)
    value = np.zeros(n_states)
    for st, c, nu, v in rows:
        w = c + nu
        Q[0, idx[st[0]]] += w
        for a, b in zip(st[:-1], st[1:]):
            Q[idx[a], idx[b]] += w
        conv[idx[st[-1]]] += c
        null[idx[st[-1]]] += nu
        value[idx[st[-1]]] += v
    out_total = Q.sum(axis=1) + conv + null
    out_total[out_total == 0] = 1.0
    mean_value = np.divide(value, conv, out=np.zeros(n_states), where=conv > 0)
    Qn, Rc, Rn = Q / out_total[:, None], conv / out_total, null / out_total
    channels = channels_of(paths)

    def solve(removed: str | None) -> tuple[float, float]:
        q, r = Qn.copy(), np.diag(Rc)
        if removed is not None:
            gone = [idx[s] for s in states if removed in s]
            q[:, gone] = 0.0
            q[gone, :] = 0.0
            r[gone, :] = 0.0
        B = absorption_probabilities(q, r)[0]  # from (start), split by the state the conversion came from
        return float(B.sum()), float(B @ mean_value)

    p_conv, e_value = solve(None)
    re = np.array([1.0 - solve(c)[0] / p_conv if p_conv > 0 else 0.0 for c in channels])
    re_value = np.array([1.0 - solve(c)[1] / e_value if e_value > 0 else 0.0 for c in channels])
    total_conv, total_value = float(paths["conversions"].sum()), float(paths["value"].sum())
    table = pd.DataFrame({
        "channel": channels,
        "removal_effect": re,
        "conversions": total_conv * re / re.sum() if re.sum() > 0 else np.zeros(len(channels)),
        "removal_effect_value": re_value,
        "value": total_value * re_value / re_value.sum() if re_value.sum() > 0 else np.zeros(len(channels)),
    })
    names = [START, *(" > ".join(s) for s in states)]
    tm = pd.DataFrame(np.column_stack([Qn[:, 1:], Rc, Rn]), index=names, columns=[*names[1:], CONVERSION, NULL])
    return MarkovResult(table, p_conv, tm, total_conv, total_value)


@dataclass
class OrderChoice:
    """The Markov order chosen out of sample, and every order's score."""

    order: int
    scores: pd.DataFrame  # order, loglik (mean per held-out journey), se
    rule: str = ORDER_RULE

    def as_dict(self) -> dict:
        return {"order": self.order, "rule": self.rule,
                "scores": {int(r.order): {"loglik_per_journey": float(r.loglik), "se": float(r.se)} for r in self.scores.itertuples()}}


def _transitions(states: list[tuple]) -> list[tuple]:
    return [((), states[0])] + list(zip(states[:-1], states[1:]))


def choose_order(paths: pd.DataFrame, max_order: int = MAX_ORDER, folds: int = CV_FOLDS, seed: int = 0,
                 self_loops: bool = False) -> OrderChoice:
    """The Markov order by :data:`ORDER_RULE`: cross-validated log-likelihood of held-out journeys, one-standard-error rule.

    Journeys (the path table's conversions and nulls) are dealt to ``folds`` folds at random
    (``seed``). A transition's probability is ``(n(s → x) + α) / (n(s) + α·A)`` over the ``A``
    next symbols (channels, conversion, null), fitted on the other folds; a state never seen there
    gives every symbol ``1/A``, which is how a too-high order loses out of sample.
    """
    rng = np.random.default_rng(seed)
    agg = paths[(paths["conversions"] + paths["nulls"]) > 0]
    agg = agg[[len(p) > 0 for p in agg["path"]]]
    channels = channels_of(agg)
    A = len(channels) + 2
    conv = np.round(agg["conversions"].to_numpy(float)).astype(int)
    nulls = np.round(agg["nulls"].to_numpy(float)).astype(int)
    share = np.full(folds, 1.0 / folds)
    conv_f = np.array([rng.multinomial(c, share) for c in conv]).reshape(len(agg), folds)
    null_f = np.array([rng.multinomial(n, share) for n in nulls]).reshape(len(agg), folds)
    rows = []
    for k in range(1, max_order + 1):
        trans = [_transitions(chain_states(p, k, self_loops)) for p in agg["path"]]
        per_fold = []
        for f in range(folds):
            counts: dict = {}
            totals: dict = {}
            wc = conv_f.sum(axis=1) - conv_f[:, f]
            wn = null_f.sum(axis=1) - null_f[:, f]
            for tr, c, n in zip(trans, wc, wn):
                if c + n == 0:
                    continue
                for s, x in tr:
                    counts[(s, x)] = counts.get((s, x), 0) + c + n
                    totals[s] = totals.get(s, 0) + c + n
                last = tr[-1][1]
                counts[(last, CONVERSION)] = counts.get((last, CONVERSION), 0) + c
                counts[(last, NULL)] = counts.get((last, NULL), 0) + n
                totals[last] = totals.get(last, 0) + c + n

            def logp(s, x, counts=counts, totals=totals):
                return np.log((counts.get((s, x), 0) + CV_ALPHA) / (totals.get(s, 0) + CV_ALPHA * A))

            ll, n_held = 0.0, 0
            for tr, c, n in zip(trans, conv_f[:, f], null_f[:, f]):
                if c + n == 0:
                    continue
                path_ll = sum(logp(s, x) for s, x in tr)
                last = tr[-1][1]
                ll += (c + n) * path_ll + c * logp(last, CONVERSION) + n * logp(last, NULL)
                n_held += c + n
            per_fold.append(ll / max(n_held, 1))
        per_fold = np.asarray(per_fold)
        rows.append({"order": k, "loglik": float(per_fold.mean()), "se": float(per_fold.std(ddof=1) / np.sqrt(folds)) if folds > 1 else 0.0})
    scores = pd.DataFrame(rows)
    best = scores.loc[scores["loglik"].idxmax()]
    chosen = int(scores.loc[scores["loglik"] >= best["loglik"] - best["se"], "order"].min())
    return OrderChoice(chosen, scores)
