"""Tests for playbook.attribution: closed forms, hand-counted heuristics, lookback, recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from playbook import attribution as A


def paths_frame(rows):
    """rows: (path string, conversions, value, nulls) → a path table."""
    return A.parse_paths(pd.DataFrame(rows, columns=["path", "conversions", "value", "nulls"]))


@pytest.fixture
def toy():
    # The field notes' toy: exact P(conv) = 1/3, RE C1 0.5, C2 1, C3 1, credit 0.2 / 0.4 / 0.4.
    return paths_frame([("C1>C2>C3", 1, 10.0, 0), ("C1", 0, 0.0, 1), ("C2>C3", 0, 0.0, 1)])


# --------------------------------------------------------------------------- Markov


def test_markov_toy_matches_hand_solution(toy):
    m = A.markov_attribution(toy)
    t = m.channels.set_index("channel")
    assert m.p_conversion == pytest.approx(1 / 3, abs=1e-12)
    assert t["removal_effect"].to_dict() == pytest.approx({"C1": 0.5, "C2": 1.0, "C3": 1.0}, abs=1e-12)
    assert t["conversions"].to_dict() == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4}, abs=1e-12)
    # one converting path: value credit = 10 × credit share
    assert t["value"].to_dict() == pytest.approx({"C1": 2.0, "C2": 4.0, "C3": 4.0}, abs=1e-12)
    assert t["conversions"].sum() == pytest.approx(1.0)


def test_markov_second_hand_chain():
    # start→a (2), start→b (2); a→conv 1, a→null 1; b→null 2.  P(conv) = ½·½ = ¼.
    # Removing a kills every conversion (RE 1); removing b changes nothing (RE 0).
    m = A.markov_attribution(paths_frame([("a", 1, 3.0, 1), ("b", 0, 0.0, 2)]))
    t = m.channels.set_index("channel")
    assert m.p_conversion == pytest.approx(0.25)
    assert t.loc["a", "removal_effect"] == pytest.approx(1.0)
    assert t.loc["b", "removal_effect"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["a", "conversions"] == pytest.approx(1.0)


def test_markov_value_removal_uses_last_channel_values():
    # Two converting channels with different order values; nothing is shared, so removing
    # a channel removes exactly its own conversions and value.
    m = A.markov_attribution(paths_frame([("a", 1, 100.0, 1), ("b", 3, 30.0, 1)]))
    t = m.channels.set_index("channel")
    # P(conv) = 2/6·1/2 + 4/6·3/4 = 2/3; without a: 1/2 → RE_a = 1/4; without b: 1/6 → RE_b = 3/4
    assert m.p_conversion == pytest.approx(2 / 3)
    assert t["removal_effect"].to_dict() == pytest.approx({"a": 0.25, "b": 0.75})
    # E[value] = 1/6·100 + 1/2·10 = 65/3; RE_value_a = (100/6)/(65/3) = 10/13
    assert t.loc["a", "removal_effect_value"] == pytest.approx(10 / 13)
    assert t["value"].sum() == pytest.approx(130.0)


def test_markov_same_for_journey_rows_and_aggregated_and_ignores_self_loops(toy):
    rows = paths_frame([("a>b", 1, 1.0, 0), ("a>b", 1, 1.0, 0), ("b", 0, 0.0, 1), ("a", 0, 0.0, 1)])
    agg = A.aggregate_paths(rows)
    r1 = A.markov_attribution(rows).channels.set_index("channel")
    r2 = A.markov_attribution(agg).channels.set_index("channel")
    pd.testing.assert_frame_equal(r1, r2)
    looped = paths_frame([("a>a>b", 2, 2.0, 0), ("b>b", 0, 0.0, 1), ("a", 0, 0.0, 1)])
    r3 = A.markov_attribution(looped).channels.set_index("channel")
    assert r3["removal_effect"].to_dict() == pytest.approx(r1["removal_effect"].to_dict())


def test_absorption_probabilities_equal_the_limit_of_matrix_powers():
    rng = np.random.default_rng(1)
    P = rng.uniform(size=(4, 6))
    P /= P.sum(axis=1, keepdims=True)
    Q, R = P[:, :4] * 0.9, P[:, 4:]
    R = R / R.sum(axis=1, keepdims=True) * (1 - Q.sum(axis=1, keepdims=True))
    full = np.block([[Q, R], [np.zeros((2, 4)), np.eye(2)]])
    limit = np.linalg.matrix_power(full, 2000)[:4, 4:]
    np.testing.assert_allclose(A.absorption_probabilities(Q, R), limit, atol=1e-10)


# --------------------------------------------------------------------------- heuristics


def test_heuristics_on_hand_counted_paths():
    paths = paths_frame([("a>b>c", 2, 20.0, 0), ("b>a", 1, 5.0, 0), ("c", 1, 4.0, 0), ("a>b", 0, 0.0, 3)])
    h = A.heuristic_attribution(paths).set_index(["model", "channel"])
    conv = h["conversions"]
    assert conv["first_touch"].to_dict() == pytest.approx({"a": 2, "b": 1, "c": 1})
    assert conv["last_touch"].to_dict() == pytest.approx({"a": 1, "b": 0, "c": 3})
    assert conv["linear"].to_dict() == pytest.approx({"a": 2 / 3 + 1 / 2, "b": 2 / 3 + 1 / 2, "c": 2 / 3 + 1})
    assert conv["position_based"].to_dict() == pytest.approx({"a": 0.8 + 0.5, "b": 0.4 + 0.5, "c": 0.8 + 1})
    # value follows the same weights: a>b>c carries 20, b>a 5, c 4
    assert h.loc[("last_touch", "c"), "value"] == pytest.approx(24.0)
    assert h.loc[("linear", "a"), "value"] == pytest.approx(20 / 3 + 2.5)
    for model in A.HEURISTIC_MODELS:
        assert conv[model].sum() == pytest.approx(4.0)
        assert h.loc[model, "value"].sum() == pytest.approx(29.0)


def test_linear_counts_repeated_touches_and_time_decay_halves_per_half_life():
    h = A.heuristic_attribution(paths_frame([("a>a>b", 1, 0.0, 0)])).set_index(["model", "channel"])["conversions"]
    assert h["linear"].to_dict() == pytest.approx({"a": 2 / 3, "b": 1 / 3})
    timed = pd.DataFrame({"path": [("a", "b", "c")], "days_to_end": [(14.0, 7.0, 0.0)], "conversions": [1.0], "value": [1.0], "nulls": [0.0]})
    td = A.heuristic_attribution(timed, models=["time_decay"], half_life_days=7).set_index("channel")["conversions"]
    assert td.to_dict() == pytest.approx({"a": 1 / 7, "b": 2 / 7, "c": 4 / 7})


# --------------------------------------------------------------------------- Shapley


def test_shapley_values_closed_forms():
    # glove game: player 1 holds a left glove, 2 and 3 right gloves → (2/3, 1/6, 1/6)
    def glove(s):
        return float("p1" in s and ("p2" in s or "p3" in s))

    assert A.shapley_values(["p1", "p2", "p3"], glove) == pytest.approx({"p1": 2 / 3, "p2": 1 / 6, "p3": 1 / 6})
    weights = {"a": 1.0, "b": 2.5, "c": -0.5, "d": 4.0}
    assert A.shapley_values(list(weights), lambda s: sum(weights[p] for p in s)) == pytest.approx(weights)


def test_shapley_monte_carlo_is_efficient_and_close():
    players = [f"p{i}" for i in range(14)]
    w = {p: (i + 1) / 10 for i, p in enumerate(players)}

    def v(s):  # non-additive: square of the summed weights
        return sum(w[p] for p in s) ** 2

    phi = A.shapley_values(players, v, max_exact_players=12, n_permutations=3000, seed=3)
    total = sum(w.values())
    assert sum(phi.values()) == pytest.approx(v(set(players)), rel=1e-12)  # efficiency, exactly
    # closed form for v = (Σw)²: phi_i = w_i × Σw
    for p in players:
        assert phi[p] == pytest.approx(w[p] * total, abs=0.05 * total)


def test_shapley_attribution_is_efficient_and_exact_for_single_channel_paths():
    single = paths_frame([("a", 3, 30.0, 7), ("b", 1, 5.0, 9), ("c", 0, 0.0, 4)])
    s = A.shapley_attribution(single).channels.set_index("channel")
    assert s["conversions"].to_dict() == pytest.approx({"a": 3, "b": 1, "c": 0})
    mixed = paths_frame([("a>b>c", 5, 50.0, 20), ("a>c", 2, 8.0, 10), ("b", 1, 2.0, 30), ("c>a", 4, 12.0, 6), ("a", 3, 9.0, 12)])
    r = A.shapley_attribution(mixed)
    assert r.channels["conversions"].sum() == pytest.approx(15.0)
    assert r.channels["value"].sum() == pytest.approx(81.0)
    assert r.method == "exact"


def test_shapley_beyond_exact_limit_stays_efficient():
    chans = [f"c{i:02d}" for i in range(14)]
    rows = [(">".join(chans), 2, 20.0, 1), (">".join(chans[:5]), 1, 5.0, 3)] + [(c, 1, 1.0, 5) for c in chans]
    r = A.shapley_attribution(paths_frame(rows), max_exact_channels=12, n_permutations=200, seed=1)
    assert r.largest_coalition == 14
    assert "Monte Carlo" in r.method and r.notes
    assert r.channels["conversions"].sum() == pytest.approx(2 + 1 + 14)
    assert r.channels["value"].sum() == pytest.approx(20 + 5 + 14)


# --------------------------------------------------------------------------- journeys


def _ts(day: float) -> pd.Timestamp:
    return pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)


def test_journeys_respect_the_lookback_window():
    tp = pd.DataFrame(
        [
            ("A", _ts(0), "email"), ("A", _ts(20), "search"), ("A", _ts(40), "social"),  # converts day 45
            ("B", _ts(0), "kol"), ("B", _ts(50), "search"), ("B", _ts(55), "email"),  # never converts
            ("C", _ts(0), "a"), ("C", _ts(2), "b"), ("C", _ts(5), "c"), ("C", _ts(8), "d"),  # converts day 3 and 6
            ("D", _ts(0), "kol"),  # converts day 40: no touch inside 30 days
        ],
        columns=["journey_id", "timestamp", "channel"],
    )
    cv = pd.DataFrame(
        [("A", _ts(45), 50.0), ("C", _ts(3), 10.0), ("C", _ts(6), 20.0), ("D", _ts(40), 7.0)],
        columns=["journey_id", "timestamp", "value"],
    )
    j = A.journeys_from_touchpoints(tp, cv, lookback_days=30)
    p = {(r.journey_id, r.path): r for r in j.paths.itertuples()}
    assert ("A", ("search", "social")) in p and p[("A", ("search", "social"))].conversions == 1
    assert p[("A", ("search", "social"))].days_to_end == pytest.approx((25.0, 5.0))
    assert ("B", ("search", "email")) in p and p[("B", ("search", "email"))].nulls == 1
    assert ("C", ("a", "b")) in p and p[("C", ("a", "b"))].value == 10.0
    assert ("C", ("c",)) in p and p[("C", ("c",))].value == 20.0
    assert ("C", ("d",)) in p and p[("C", ("d",))].nulls == 1
    assert j.touches_dropped == 3  # A day 0, B day 0, D day 0
    assert j.conversions_without_touch == 1 and j.value_without_touch == 7.0
    assert j.paths["conversions"].sum() == 3
    everything = A.journeys_from_touchpoints(tp, cv, lookback_days=None)
    assert ("A", ("email", "search", "social")) in {(r.journey_id, r.path) for r in everything.paths.itertuples()}
    assert everything.touches_dropped == 0 and everything.conversions_without_touch == 0


# --------------------------------------------------------------------------- comparison helpers


def test_model_comparison_shares_and_last_touch_bias():
    shares = A.model_comparison({"markov": {"a": 3, "b": 1}, "shapley": {"a": 2, "b": 2}, "last_touch": {"a": 1, "b": 3}})
    assert shares.sum().to_dict() == pytest.approx({"markov": 1, "shapley": 1, "last_touch": 1})
    bias = A.last_touch_bias(shares)
    assert bias.index[0] == "b" and bias.loc["b", "difference"] == pytest.approx(0.75 - 0.375)
    mmm = A.mmm_contribution_shares({"channels": {"a": {"contribution_share": 0.6}, "b": {"roas": 2.0}}})
    assert mmm.to_dict() == {"a": 0.6}


# --------------------------------------------------------------------------- recovery on the demo world


@pytest.fixture(scope="module")
def demo_journeys():
    from playbook.demo.attribution import make_journeys
    from playbook.demo.world import World

    tp, cv, truth = make_journeys(World())
    return A.journeys_from_touchpoints(tp, cv, lookback_days=30), truth


def test_lookback_drops_exactly_the_stale_touches(demo_journeys):
    journeys, truth = demo_journeys
    assert journeys.touches_dropped == truth["n_stale_touches"]
    assert journeys.conversions_without_touch == 0


def test_true_channel_effects_ranked_correctly_by_markov_and_shapley(demo_journeys):
    journeys, truth = demo_journeys
    true_inc = pd.Series({c: v["incremental_conversions"] for c, v in truth["channels"].items()})
    order = true_inc.sort_values(ascending=False).index
    markov = A.markov_attribution(journeys.paths).channels.set_index("channel")["conversions"]
    shapley = A.shapley_attribution(journeys.paths).channels.set_index("channel")["conversions"]
    heur = A.heuristic_attribution(journeys.paths, models=["last_touch"]).set_index("channel")["conversions"]
    rho = {}
    for name, credit in {"markov": markov, "shapley": shapley, "last_touch": heur}.items():
        rho[name] = spearmanr(credit[true_inc.index], true_inc)[0]
    for name, credit in {"markov": markov, "shapley": shapley}.items():
        ranked = credit.sort_values(ascending=False).index
        # tolerance: Spearman >= 0.8 (at most two adjacent swaps among six), the strongest
        # channel first and the two weakest last
        assert rho[name] >= 0.8, (name, rho)
        assert ranked[0] == order[0], (name, list(ranked))
        assert set(ranked[-2:]) == set(order[-2:]), (name, list(ranked))
        assert rho[name] > rho["last_touch"] + 0.5  # the closers fool last touch, not these
    assert rho["last_touch"] < 0.3


@pytest.mark.slow
def test_shapley_credit_recovers_true_expected_shapley_within_bootstrap_noise(demo_journeys):
    journeys, truth = demo_journeys
    true_shap = pd.Series({c: v["shapley_conversions"] for c, v in truth["channels"].items()})
    est = A.shapley_attribution(journeys.paths).channels.set_index("channel")["conversions"]
    boot = A.bootstrap_credits(journeys.paths, A.shapley_credit, n_boot=30, seed=2).set_index("channel")
    # tolerance: every channel within 3 bootstrap standard deviations of its true expected credit
    z = (est - true_shap[est.index]) / boot["sd"]
    assert (z.abs() < 3).all(), z.round(2).to_dict()
    # the realized total differs from the expected total only by binomial noise (< 4 sd)
    total_sd = np.sqrt(sum(v * (1 - v / truth["n_journeys"]) for v in [truth["expected_conversions"]]))
    assert abs(est.sum() - truth["expected_conversions"]) < 4 * total_sd
