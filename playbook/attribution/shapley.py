"""Shapley attribution (Shao & Li 2011; Dalessandro et al. 2012) over coalition conversion rates.

The value of a coalition ``U`` of channels is its conversion rate ``r(U)`` (journeys whose distinct
channels are exactly ``U``), shrunk towards an additive logistic model so rare coalitions are
stable; each converting journey's conversion is split among its channels by their Shapley values in
the game ``U ↦ r(U)`` over its own channels (``r(∅) = 0``). Exact for up to ``max_exact_channels``
players (2^n coalitions); seeded Monte-Carlo permutation sampling beyond.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from math import factorial

import numpy as np
import pandas as pd

from playbook import fmt
from playbook.attribution.journeys import channels_of

#: Exact Shapley values up to this many channels in one coalition: 2^n sub-coalition rates and n·2^(n-1)
#: marginal contributions (2^15 = 32,768 rates, about half a million terms); a permutation sample beyond.
MAX_EXACT_CHANNELS = 15
#: Random orders of the permutation estimator beyond :data:`MAX_EXACT_CHANNELS`.
N_PERMUTATIONS = 2000
#: The allocation rule, as the report states it.
ALLOCATION_RULE = (
    "each converting channel set's conversions are split in proportion to the positive part of its channels' Shapley "
    "values; a channel whose Shapley value in a set is negative gets nothing from that set"
)


def shapley_values(
    players: Sequence[Hashable],
    value: Callable[[frozenset], float],
    max_exact_players: int = MAX_EXACT_CHANNELS,
    n_permutations: int = 2000,
    seed: int = 0,
) -> dict[Hashable, float]:
    """Shapley value of each player in the game ``value`` (a function of a frozenset of players).

    Exact (all ``2^n`` coalitions, weights ``|S|!(n-|S|-1)!/n!``) for ``n <= max_exact_players``;
    beyond, the mean marginal contribution over ``n_permutations`` random orders drawn with
    ``seed`` (Castro, Gómez & Tejada 2009), whose values still sum to
    ``value(all) - value(∅)`` exactly.
    """
    players = list(players)
    n = len(players)
    if n == 0:
        return {}
    if n <= max_exact_players:
        cache: dict[int, float] = {}

        def v(mask: int) -> float:
            if mask not in cache:
                cache[mask] = float(value(frozenset(players[i] for i in range(n) if mask >> i & 1)))
            return cache[mask]

        weight = [factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)]
        phi = dict.fromkeys(players, 0.0)
        for i, p in enumerate(players):
            bit = 1 << i
            for mask in range(1 << n):
                if mask & bit:
                    continue
                phi[p] += weight[mask.bit_count()] * (v(mask | bit) - v(mask))
        return phi
    return permutation_shapley(players, value, n_permutations, seed)[0]


def permutation_shapley(
    players: Sequence[Hashable], value: Callable[[frozenset], float], n_permutations: int = 2000, seed: int = 0
) -> tuple[dict[Hashable, float], dict[Hashable, float]]:
    """Shapley values estimated from ``n_permutations`` random orders (seed ``seed``), and their standard errors.

    Each player's estimate is the mean of its marginal contributions over the orders (Castro,
    Gómez & Tejada 2009); its standard error is their standard deviation / sqrt(n_permutations).
    The estimates sum to ``value(all) - value(∅)`` exactly (each order's contributions telescope).
    """
    players = list(players)
    n = len(players)
    rng = np.random.default_rng(seed)
    marginals = np.zeros((n_permutations, n))
    cache_s: dict[frozenset, float] = {}

    def vs(u: frozenset) -> float:
        if u not in cache_s:
            cache_s[u] = float(value(u))
        return cache_s[u]

    for k in range(n_permutations):
        order = rng.permutation(n)
        current: frozenset = frozenset()
        before = vs(current)
        for i in order:
            nxt = current | {players[i]}
            after = vs(nxt)
            marginals[k, i] = after - before
            current, before = nxt, after
    mean = marginals.mean(axis=0)
    se = marginals.std(axis=0, ddof=1) / np.sqrt(n_permutations) if n_permutations > 1 else np.full(n, np.nan)
    return dict(zip(players, mean.tolist())), dict(zip(players, se.tolist()))


def coalition_rates(paths: pd.DataFrame, prior_strength: float = 10.0) -> pd.DataFrame:
    """Conversion rate per coalition (the exact set of distinct channels a journey touched).

    ``rate`` is the raw rate; ``prior_rate`` an additive logistic model on channel presence
    (scikit-learn, fitted to all journeys); ``smoothed_rate = (conversions + k × prior_rate) /
    (journeys + k)`` with ``k = prior_strength``, the posterior mean of a Beta prior centred on
    the logistic model. Columns: coalition (frozenset), size, journeys, conversions, rate,
    prior_rate, smoothed_rate.
    """
    sets = [frozenset(p) for p in paths["path"]]
    frame = pd.DataFrame({"coalition": sets, "conversions": paths["conversions"].to_numpy(float), "nulls": paths["nulls"].to_numpy(float)})
    frame = frame[frame["coalition"].map(len) > 0]
    grouped = frame.groupby("coalition", sort=False)[["conversions", "nulls"]].sum().reset_index()
    grouped["journeys"] = grouped["conversions"] + grouped["nulls"]
    grouped["size"] = grouped["coalition"].map(len)
    grouped["rate"] = grouped["conversions"] / grouped["journeys"]
    model = _fit_presence_model(grouped)
    grouped["prior_rate"] = model(list(grouped["coalition"]))
    grouped["smoothed_rate"] = (grouped["conversions"] + prior_strength * grouped["prior_rate"]) / (grouped["journeys"] + prior_strength)
    grouped.attrs["presence_model"] = model
    grouped.attrs["prior_strength"] = prior_strength
    return grouped[["coalition", "size", "journeys", "conversions", "rate", "prior_rate", "smoothed_rate"]].sort_values(
        "journeys", ascending=False, ignore_index=True
    )


def _fit_presence_model(grouped: pd.DataFrame) -> Callable[[list[frozenset]], np.ndarray]:
    """An additive logistic model of P(convert) on channel-presence indicators (a callable on coalitions)."""
    from sklearn.linear_model import LogisticRegression

    channels = sorted({c for s in grouped["coalition"] for c in s})
    col = {c: i for i, c in enumerate(channels)}

    def design(coalitions: list[frozenset]) -> np.ndarray:
        X = np.zeros((len(coalitions), len(channels)))
        for r, s in enumerate(coalitions):
            for c in s:
                if c in col:
                    X[r, col[c]] = 1.0
        return X

    conv = grouped["conversions"].to_numpy(float)
    nulls = grouped["nulls"].to_numpy(float)
    X = design(list(grouped["coalition"]))
    overall = conv.sum() / max(conv.sum() + nulls.sum(), 1e-12)
    if conv.sum() == 0 or nulls.sum() == 0:
        return lambda coalitions: np.full(len(coalitions), overall)
    Xw = np.vstack([X, X])
    y = np.concatenate([np.ones(len(X)), np.zeros(len(X))])
    w = np.concatenate([conv, nulls])
    keep = w > 0
    # A weak L2 penalty keeps coefficients finite when a channel never (or always) converts.
    fit = LogisticRegression(C=100.0, max_iter=2000).fit(Xw[keep], y[keep], sample_weight=w[keep])
    return lambda coalitions: fit.predict_proba(design(list(coalitions)))[:, 1]


@dataclass
class ShapleyResult:
    """Shapley credit per channel and the coalition rates it came from."""

    channels: pd.DataFrame  # channel, conversions, value, negative_marginals, conversions_unconstrained, touched_conversions, sampling_se
    coalitions: pd.DataFrame  # see coalition_rates
    method: str  # "exact" or "exact up to n channels, Monte Carlo permutation sample beyond"
    total_conversions: float
    total_value: float
    largest_coalition: int
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # sentences: the allocation rule had to act
    cost: str = ""  # what the exact computation costs, in words
    max_exact_channels: int = MAX_EXACT_CHANNELS


def shapley_attribution(
    paths: pd.DataFrame,
    prior_strength: float = 10.0,
    max_exact_channels: int = MAX_EXACT_CHANNELS,
    n_permutations: int = N_PERMUTATIONS,
    seed: int = 0,
) -> ShapleyResult:
    """Conversions and value credited to each channel by Shapley values of coalition conversion rates.

    For each coalition S that converted, ``phi_c`` is the Shapley value of c in the game
    ``U ↦ r(U)`` (``U ⊆ S``, ``r(∅) = 0``) with ``r`` the smoothed coalition rates of
    :func:`coalition_rates` (sub-coalitions never observed take the logistic model's rate).
    ``Σ_c phi_c = r(S) > 0``, but a ``phi_c`` can be negative (c's marginal contributions are
    negative on average: the journeys with c convert worse than those without it). Splitting in
    proportion to ``phi_c`` would then credit the other channels with more than S's conversions.
    The rule (:data:`ALLOCATION_RULE`) splits S's conversions and value in proportion to
    ``max(phi_c, 0)``, so every channel's credit lies in [0, conversions of the journeys that
    touched it] and the credits still sum to the total. ``negative_marginals`` is the credit the
    unconstrained split gave a channel below zero (≤ 0), ``conversions_unconstrained`` that split's
    credit; a warning names every channel the rule acted on.
    """
    rates = coalition_rates(paths, prior_strength=prior_strength)
    model = rates.attrs["presence_model"]
    known = dict(zip(rates["coalition"], rates["smoothed_rate"]))
    memo: dict[frozenset, float] = {}

    def r(u: frozenset) -> float:
        if not u:
            return 0.0
        if u in known:
            return float(known[u])
        if u not in memo:
            memo[u] = float(model([u])[0])
        return memo[u]

    sets = [frozenset(p) for p in paths["path"]]
    conv = pd.DataFrame({"coalition": sets, "conversions": paths["conversions"].to_numpy(float), "value": paths["value"].to_numpy(float)})
    conv = conv[(conv["conversions"] > 0) & (conv["coalition"].map(len) > 0)]
    conv = conv.groupby("coalition", sort=False)[["conversions", "value"]].sum().reset_index()
    channels = channels_of(paths)
    zero = dict.fromkeys(channels, 0.0)
    credit, credit_value, raw, negative, touched, var = (dict(zero) for _ in range(6))
    acted: dict[str, float] = {}
    largest = 0
    approximated = 0
    for row in conv.itertuples(index=False):
        players = sorted(row.coalition)
        largest = max(largest, len(players))
        if len(players) > max_exact_channels:
            approximated += 1
            phi, se = permutation_shapley(players, r, n_permutations, seed)
        else:
            phi, se = shapley_values(players, r, max_exact_players=max_exact_channels), dict.fromkeys(players, 0.0)
        total = sum(phi.values())  # = r(S) > 0
        positive = {c: max(x, 0.0) for c, x in phi.items()}
        pos_total = sum(positive.values())
        for c, x in phi.items():
            touched[c] += row.conversions
            raw[c] += row.conversions * x / total
            if x < 0:
                negative[c] += row.conversions * x / total
                acted[c] = acted.get(c, 0.0) + row.conversions * x / total
            credit[c] += row.conversions * positive[c] / pos_total
            credit_value[c] += row.value * positive[c] / pos_total
            var[c] += (row.conversions * se[c] / pos_total) ** 2
    notes = []
    if approximated:
        worst = max(np.sqrt(v) for v in var.values())
        notes.append(
            f"{fmt.plural(approximated, 'channel set')} had more than {max_exact_channels} channels; their Shapley values were "
            f"estimated from {fmt.count(n_permutations)} random orders (seed {seed}), with a standard error of at most "
            f"{fmt.number(worst, 1)} conversions per channel."
        )
    warnings = []
    if acted:
        names = fmt.join([f"{c} ({fmt.number(-v, 1)} conversions)" for c, v in sorted(acted.items(), key=lambda kv: kv[1])])
        warnings.append(
            f"Shapley: in some channel sets the journeys with {names} converted worse than those without, so the plain "
            f"Shapley split would give {'it' if len(acted) == 1 else 'them'} negative credit there and the other channels more than "
            f"those sets' conversions; by the stated rule {'its' if len(acted) == 1 else 'their'} credit in those sets is zero instead."
        )
    table = pd.DataFrame({
        "channel": channels,
        "conversions": [credit[c] for c in channels],
        "value": [credit_value[c] for c in channels],
        "negative_marginals": [negative[c] for c in channels],
        "conversions_unconstrained": [raw[c] for c in channels],
        "touched_conversions": [touched[c] for c in channels],
        "sampling_se": [float(np.sqrt(var[c])) for c in channels],
    })
    method = "exact" if not approximated else f"exact up to {max_exact_channels} channels, Monte Carlo permutation sample beyond"
    n_exact = min(largest, max_exact_channels)
    cost = (f"exact Shapley values evaluate all 2^n sub-coalitions of a channel set of n channels (the largest here: "
            f"{fmt.plural(largest, 'channel')}, {fmt.count(2 ** n_exact)} sub-coalitions); exact is used up to "
            f"{max_exact_channels} channels ({fmt.count(2 ** max_exact_channels)} sub-coalitions), a permutation sample of "
            f"{fmt.count(n_permutations)} random orders beyond")
    return ShapleyResult(table, rates, method, float(paths["conversions"].sum()), float(paths["value"].sum()), largest, notes,
                         warnings, cost, max_exact_channels)


def shapley_credit(paths: pd.DataFrame) -> pd.Series:
    """Shapley-credited conversions by channel (a Series; for :func:`bootstrap_credits`)."""
    return shapley_attribution(paths).channels.set_index("channel")["conversions"]
