"""Multi-touch attribution: journeys from touchpoints, heuristics, exact Markov and Shapley credit.

Everything works on one representation, the **path table**: a DataFrame with

``path``
    a tuple of channel names in time order (``("social", "search")``);
``conversions``, ``value``, ``nulls``
    how many journeys took this path and converted, their total value, and how many took it
    and did not convert;
``days_to_end`` (optional)
    a tuple of floats, per touch the days from the touch to the end of the journey (the
    conversion, or the last touch of a non-converting journey). Only time-decay uses it.

A row is one journey (from :func:`journeys_from_touchpoints`) or a group of identical paths
(from :func:`parse_paths` on ``paths.csv`` or :func:`aggregate_paths`). Every model below gives
the same answer for both, because it only uses the weighted counts.

Models
------
* Heuristics (:func:`heuristic_attribution`): first touch, last touch, linear (repeated touches
  count), time decay (weight ``2^(-days_to_end / half_life_days)``), position based (40/20/40).
  They match ChannelAttribution's ``heuristic_models`` exactly.
* First-order Markov (:func:`markov_attribution`, Anderl et al. 2016): removal effects solved
  exactly on the absorbing chain with a linear solve of ``(I - Q)`` (no simulation), credit
  allocated globally as ChannelAttribution does: ``credit_c = total × RE_c / Σ RE``.
* Shapley (:func:`shapley_attribution`, Shao & Li 2011; Dalessandro et al. 2012): the value of a
  coalition ``U`` of channels is its conversion rate ``r(U)`` (journeys whose distinct channels are
  exactly ``U``), shrunk towards an additive logistic model so rare coalitions are stable; each
  converting journey's conversion is split among its channels in proportion to their Shapley
  values in the game ``U ↦ r(U)`` over its own channels (``r(∅) = 0``). Credit therefore sums to
  the total conversions exactly (efficiency). Shapley values are exact for up to
  ``max_exact_channels`` players (2^n coalitions) and estimated by seeded Monte-Carlo permutation
  sampling beyond (still exactly efficient: each permutation's marginal contributions telescope).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import factorial

import numpy as np
import pandas as pd

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
HEURISTIC_MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based")


# --------------------------------------------------------------------------- path tables


def parse_paths(frame: pd.DataFrame, sep: str = ">") -> pd.DataFrame:
    """Path table from ``paths.csv``: ``path`` split on ``sep`` into a tuple of channel names."""
    out = frame.copy()
    out["path"] = pd.Series([tuple(step.strip() for step in str(p).split(sep)) for p in out["path"]], index=out.index, dtype=object)
    for col in ("conversions", "value", "nulls"):
        out[col] = pd.to_numeric(out[col]).astype(float)
    return out.reset_index(drop=True)


def path_label(path: Sequence[str], sep: str = " > ") -> str:
    """A path as readable text: ``('a', 'b')`` → ``'a > b'``."""
    return sep.join(path)


def aggregate_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """Path table with one row per distinct path: summed conversions, value and nulls, busiest first."""
    out = paths.groupby("path", sort=False)[["conversions", "value", "nulls"]].sum().reset_index()
    out["journeys"] = out["conversions"] + out["nulls"]
    return out.sort_values(["journeys", "conversions"], ascending=False, ignore_index=True)


def channels_of(paths: pd.DataFrame) -> list[str]:
    """The channels that appear in any path, sorted."""
    return sorted({c for p in paths["path"] for c in p})


@dataclass
class Journeys:
    """Paths built from raw touchpoints, and what the lookback window removed."""

    paths: pd.DataFrame  # one row per journey: journey_id, path, days_to_end, end, conversions, value, nulls
    lookback_days: float | None
    touches_used: int
    touches_dropped: int  # older than the lookback window before the journey's end
    conversions_without_touch: int  # conversions with no touch inside the window (not attributable)
    value_without_touch: float


def journeys_from_touchpoints(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    lookback_days: float | None = 30,
) -> Journeys:
    """Journeys (one path per conversion, plus one per non-converting remainder) from raw events.

    A conversion's path is the journey's touches after its previous conversion and at most
    ``lookback_days`` before it (touches at the conversion's timestamp count). Touches after a
    journey's last conversion form a non-converting path that ends at its last touch, with the
    same window measured back from that touch. ``lookback_days=None`` keeps every touch.
    """
    tp = touchpoints[["journey_id", "timestamp", "channel"]].copy()
    tp["journey_id"] = tp["journey_id"].astype(str)
    tp["timestamp"] = pd.to_datetime(tp["timestamp"])
    cv = conversions[["journey_id", "timestamp", "value"]].copy()
    cv["journey_id"] = cv["journey_id"].astype(str)
    cv["timestamp"] = pd.to_datetime(cv["timestamp"])
    cv = cv.sort_values(["journey_id", "timestamp"], kind="stable").reset_index(drop=True)
    cv["conversion_no"] = cv.groupby("journey_id").cumcount()
    tp = tp.sort_values(["journey_id", "timestamp"], kind="stable").reset_index(drop=True)

    # Each touch belongs to the first conversion of its journey at or after it.
    merged = pd.merge_asof(
        tp.sort_values("timestamp", kind="stable"),
        cv[["journey_id", "timestamp", "conversion_no"]].rename(columns={"timestamp": "end"}).sort_values("end", kind="stable"),
        left_on="timestamp",
        right_on="end",
        by="journey_id",
        direction="forward",
    )
    converting = merged["end"].notna()
    remainder_end = merged[~converting].groupby("journey_id")["timestamp"].transform("max")
    merged.loc[~converting, "end"] = remainder_end
    merged["conversion_no"] = merged["conversion_no"].fillna(-1).astype(int)
    merged["days_to_end"] = (merged["end"] - merged["timestamp"]).dt.total_seconds() / 86400.0
    keep = merged["days_to_end"] <= lookback_days if lookback_days is not None else pd.Series(True, index=merged.index)
    dropped = int((~keep).sum())
    used = merged[keep].sort_values(["journey_id", "conversion_no", "timestamp"], kind="stable")

    grouped = used.groupby(["journey_id", "conversion_no"], sort=True)
    paths = grouped.agg(
        path=("channel", tuple),
        days_to_end=("days_to_end", tuple),
        end=("end", "first"),
    ).reset_index()
    # Plain tuples in an object column (pandas may otherwise infer an Arrow list type).
    paths["path"] = pd.Series([tuple(str(c) for c in p) for p in paths["path"]], index=paths.index, dtype=object)
    paths["days_to_end"] = pd.Series([tuple(float(d) for d in p) for p in paths["days_to_end"]], index=paths.index, dtype=object)
    paths = paths.merge(cv[["journey_id", "conversion_no", "value"]], on=["journey_id", "conversion_no"], how="left")
    paths["conversions"] = (paths["conversion_no"] >= 0).astype(float)
    paths["nulls"] = 1.0 - paths["conversions"]
    paths["value"] = paths["value"].fillna(0.0).astype(float)

    attributed = set(zip(paths.loc[paths["conversions"] > 0, "journey_id"], paths.loc[paths["conversions"] > 0, "conversion_no"]))
    unattributed = [(j, k) not in attributed for j, k in zip(cv["journey_id"], cv["conversion_no"])]
    return Journeys(
        paths=paths[["journey_id", "path", "days_to_end", "end", "conversions", "value", "nulls"]],
        lookback_days=lookback_days,
        touches_used=int(keep.sum()),
        touches_dropped=dropped,
        conversions_without_touch=int(np.sum(unattributed)),
        value_without_touch=float(cv.loc[unattributed, "value"].sum()),
    )


def path_length_summary(paths: pd.DataFrame) -> pd.DataFrame:
    """Journeys, conversions and conversion rate by number of touches (a count table)."""
    frame = pd.DataFrame(
        {"touches": [len(p) for p in paths["path"]], "conversions": paths["conversions"], "nulls": paths["nulls"]}
    )
    out = frame.groupby("touches")[["conversions", "nulls"]].sum()
    out["journeys"] = out["conversions"] + out["nulls"]
    out["conversion_rate"] = out["conversions"] / out["journeys"]
    return out.reset_index()[["touches", "journeys", "conversions", "conversion_rate"]]


# --------------------------------------------------------------------------- heuristics


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


# --------------------------------------------------------------------------- Markov


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


# --------------------------------------------------------------------------- Shapley


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


# --------------------------------------------------------------------------- comparison


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
        draws.append(model(rep))
    frame = pd.DataFrame(draws).fillna(0.0)
    tail = (1 - cred) / 2
    return pd.DataFrame(
        {"low": frame.quantile(tail), "high": frame.quantile(1 - tail), "sd": frame.std(ddof=1)}
    ).rename_axis("channel").reset_index()


def markov_credit(paths: pd.DataFrame) -> pd.Series:
    """Markov-credited conversions by channel (a Series; for :func:`bootstrap_credits`)."""
    return markov_attribution(paths).channels.set_index("channel")["conversions"]


def shapley_credit(paths: pd.DataFrame) -> pd.Series:
    """Shapley-credited conversions by channel (a Series; for :func:`bootstrap_credits`)."""
    return shapley_attribution(paths).channels.set_index("channel")["conversions"]
