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

from playbook.attribution.journeys import channels_of


def shapley_values(
    players: Sequence[Hashable],
    value: Callable[[frozenset], float],
    max_exact_players: int = 12,
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
    rng = np.random.default_rng(seed)
    phi = dict.fromkeys(players, 0.0)
    cache_s: dict[frozenset, float] = {}

    def vs(s: frozenset) -> float:
        if s not in cache_s:
            cache_s[s] = float(value(s))
        return cache_s[s]

    for _ in range(n_permutations):
        order = rng.permutation(n)
        current: frozenset = frozenset()
        before = vs(current)
        for i in order:
            nxt = current | {players[i]}
            after = vs(nxt)
            phi[players[i]] += after - before
            current, before = nxt, after
    return {p: x / n_permutations for p, x in phi.items()}


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

    channels: pd.DataFrame  # channel, conversions, value
    coalitions: pd.DataFrame  # see coalition_rates
    method: str  # "exact" or "monte_carlo (n permutations)"
    total_conversions: float
    total_value: float
    largest_coalition: int
    notes: list[str] = field(default_factory=list)


def shapley_attribution(
    paths: pd.DataFrame,
    prior_strength: float = 10.0,
    max_exact_channels: int = 12,
    n_permutations: int = 2000,
    seed: int = 0,
) -> ShapleyResult:
    """Conversions and value credited to each channel by Shapley values of coalition conversion rates.

    For each coalition S that converted, its conversions (and value) are split among its
    channels in proportion to ``phi_c``, the Shapley value of c in the game ``U ↦ r(U)``
    (``U ⊆ S``, ``r(∅) = 0``) with ``r`` the smoothed coalition rates of :func:`coalition_rates`
    (sub-coalitions never observed take the logistic model's rate). Since ``Σ_c phi_c = r(S)``,
    the credits sum to the total conversions and value exactly.
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
    credit = dict.fromkeys(channels, 0.0)
    credit_value = dict.fromkeys(channels, 0.0)
    largest = 0
    approximated = 0
    for row in conv.itertuples(index=False):
        players = sorted(row.coalition)
        largest = max(largest, len(players))
        approximated += len(players) > max_exact_channels
        phi = shapley_values(players, r, max_exact_players=max_exact_channels, n_permutations=n_permutations, seed=seed)
        total = sum(phi.values())  # = r(S) > 0
        for c, x in phi.items():
            credit[c] += row.conversions * x / total
            credit_value[c] += row.value * x / total
    notes = []
    if approximated:
        notes.append(
            f"{approximated} coalition(s) had more than {max_exact_channels} channels; their Shapley values were "
            f"estimated from {n_permutations} random orders (seed {seed})."
        )
    table = pd.DataFrame({"channel": channels, "conversions": [credit[c] for c in channels], "value": [credit_value[c] for c in channels]})
    method = "exact" if not approximated else f"exact up to {max_exact_channels} channels, Monte Carlo beyond"
    return ShapleyResult(table, rates, method, float(paths["conversions"].sum()), float(paths["value"].sum()), largest, notes)


def shapley_credit(paths: pd.DataFrame) -> pd.Series:
    """Shapley-credited conversions by channel (a Series; for :func:`bootstrap_credits`)."""
    return shapley_attribution(paths).channels.set_index("channel")["conversions"]
