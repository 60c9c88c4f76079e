"""Markov attribution: hand-solved chains, value removal, self-loops, the fundamental matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.attribution import journeys as J
from playbook.attribution import markov as M

from .builders import paths_frame


def test_markov_toy_matches_hand_solution(toy):
    m = M.markov_attribution(toy)
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
    m = M.markov_attribution(paths_frame([("a", 1, 3.0, 1), ("b", 0, 0.0, 2)]))
    t = m.channels.set_index("channel")
    assert m.p_conversion == pytest.approx(0.25)
    assert t.loc["a", "removal_effect"] == pytest.approx(1.0)
    assert t.loc["b", "removal_effect"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["a", "conversions"] == pytest.approx(1.0)


def test_markov_value_removal_uses_last_channel_values():
    # Two converting channels with different order values; nothing is shared, so removing
    # a channel removes exactly its own conversions and value.
    m = M.markov_attribution(paths_frame([("a", 1, 100.0, 1), ("b", 3, 30.0, 1)]))
    t = m.channels.set_index("channel")
    # P(conv) = 2/6·1/2 + 4/6·3/4 = 2/3; without a: 1/2 → RE_a = 1/4; without b: 1/6 → RE_b = 3/4
    assert m.p_conversion == pytest.approx(2 / 3)
    assert t["removal_effect"].to_dict() == pytest.approx({"a": 0.25, "b": 0.75})
    # E[value] = 1/6·100 + 1/2·10 = 65/3; RE_value_a = (100/6)/(65/3) = 10/13
    assert t.loc["a", "removal_effect_value"] == pytest.approx(10 / 13)
    assert t["value"].sum() == pytest.approx(130.0)


def test_markov_same_for_journey_rows_and_aggregated_and_ignores_self_loops(toy):
    rows = paths_frame([("a>b", 1, 1.0, 0), ("a>b", 1, 1.0, 0), ("b", 0, 0.0, 1), ("a", 0, 0.0, 1)])
    agg = J.aggregate_paths(rows)
    r1 = M.markov_attribution(rows).channels.set_index("channel")
    r2 = M.markov_attribution(agg).channels.set_index("channel")
    pd.testing.assert_frame_equal(r1, r2)
    looped = paths_frame([("a>a>b", 2, 2.0, 0), ("b>b", 0, 0.0, 1), ("a", 0, 0.0, 1)])
    r3 = M.markov_attribution(looped).channels.set_index("channel")
    assert r3["removal_effect"].to_dict() == pytest.approx(r1["removal_effect"].to_dict())


def test_absorption_probabilities_equal_the_limit_of_matrix_powers():
    rng = np.random.default_rng(1)
    P = rng.uniform(size=(4, 6))
    P /= P.sum(axis=1, keepdims=True)
    Q, R = P[:, :4] * 0.9, P[:, 4:]
    R = R / R.sum(axis=1, keepdims=True) * (1 - Q.sum(axis=1, keepdims=True))
    full = np.block([[Q, R], [np.zeros((2, 4)), np.eye(2)]])
    limit = np.linalg.matrix_power(full, 2000)[:4, 4:]
    np.testing.assert_allclose(M.absorption_probabilities(Q, R), limit, atol=1e-10)


# --------------------------------------------------------------------------- heuristics


# --------------------------------------------------------------------------- higher order (issue 13 item 3)


def test_second_order_chain_matches_its_hand_solution():
    # a > b always converts, c > b never does. First order merges the two b's; second order keeps them apart.
    paths = paths_frame([("a>b", 2, 20.0, 0), ("c>b", 0, 0.0, 2)])
    first = M.markov_attribution_order(paths, order=1).channels.set_index("channel")
    # order 1: P(conv) = ½; removing a or c halves it (RE ½), removing b kills it (RE 1)
    assert first["removal_effect"].to_dict() == pytest.approx({"a": 0.5, "b": 1.0, "c": 0.5})
    assert first["conversions"].to_dict() == pytest.approx({"a": 0.5, "b": 1.0, "c": 0.5})
    second = M.markov_attribution_order(paths, order=2)
    t = second.channels.set_index("channel")
    # order 2: (start) → (a) → (a, b) → conversion, (start) → (c) → (c, b) → null. P(conv) = ½;
    # removing a or b kills every conversion (RE 1), removing c changes nothing (RE 0)
    assert second.p_conversion == pytest.approx(0.5)
    assert t["removal_effect"].to_dict() == pytest.approx({"a": 1.0, "b": 1.0, "c": 0.0}, abs=1e-12)
    assert t["conversions"].to_dict() == pytest.approx({"a": 1.0, "b": 1.0, "c": 0.0}, abs=1e-12)
    assert t["value"].sum() == pytest.approx(20.0)
    assert second.transition_matrix.loc["a > b", "(conversion)"] == pytest.approx(1.0)


def test_chain_states_and_order_one_is_the_first_order_solver(toy):
    assert M.chain_states(("a", "a", "b", "c"), order=2) == [("a",), ("a", "b"), ("b", "c")]
    assert M.chain_states(("a", "a", "b"), order=2, self_loops=True) == [("a",), ("a", "a"), ("a", "b")]
    t1 = M.markov_attribution(toy).channels.set_index("channel")["conversions"]
    t1k = M.markov_attribution_order(toy, order=1).channels.set_index("channel")["conversions"]
    assert t1.to_dict() == pytest.approx(t1k.to_dict())
    # on the toy, the second-order state (C2, C3) is reached from both journeys, as C3 is on the first-order chain:
    # by hand P(conv) = 2/3 · 1/2 · 1/2 + 1/3 · 1/2 = 1/3 and the credit is the first order's 0.2 / 0.4 / 0.4
    second = M.markov_attribution_order(toy, order=2)
    assert second.p_conversion == pytest.approx(1 / 3)
    assert second.channels.set_index("channel")["conversions"].to_dict() == pytest.approx({"C1": 0.2, "C2": 0.4, "C3": 0.4})


def test_order_choice_prefers_second_order_when_history_matters_and_first_when_not():
    memory = paths_frame([("a>b", 300, 3000.0, 100), ("c>b", 40, 400.0, 360), ("a", 50, 500.0, 150), ("c", 50, 500.0, 150)])
    assert M.choose_order(memory, max_order=3, seed=0).order == 2
    memoryless = paths_frame([("a>b", 100, 1.0, 300), ("c>b", 100, 1.0, 300), ("a", 50, 1.0, 150), ("c", 50, 1.0, 150)])
    choice = M.choose_order(memoryless, max_order=3, seed=0)
    assert choice.order == 1 and list(choice.scores["order"]) == [1, 2, 3]
    assert set(choice.as_dict()) == {"order", "rule", "scores"} and "one standard error" in choice.rule


def _transition_counts(paths: pd.DataFrame, self_loops: bool = False) -> pd.DataFrame:
    """Weighted transition counts between states (from, to, conversions, value, journeys), by a plain loop over the paths."""
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
        add(J.START, steps[0], n)
        for a, b in zip(steps[:-1], steps[1:]):
            add(a, b, n)
        if row.conversions > 0:
            add(steps[-1], J.CONVERSION, float(row.conversions), float(row.conversions), float(row.value))
        if row.nulls > 0:
            add(steps[-1], J.NULL, float(row.nulls))
    return pd.DataFrame(
        [(a, b, *v) for (a, b), v in rows.items()], columns=["from_state", "to_state", "journeys", "conversions", "value"]
    )


def _reference_counts(paths: pd.DataFrame, self_loops: bool):
    """Straightforward per-path loop: the dict counts of _transition_counts, as arrays over (start) + sorted channels."""
    counts = _transition_counts(paths, self_loops=self_loops)
    channels = J.channels_of(paths)
    idx = {s: i for i, s in enumerate([J.START, *channels])}
    n = len(idx)
    Q, conv, value, null = np.zeros((n, n)), np.zeros(len(channels)), np.zeros(len(channels)), np.zeros(n)
    for r in counts.itertuples(index=False):
        if r.to_state == J.CONVERSION:
            conv[idx[r.from_state] - 1] += r.journeys
            value[idx[r.from_state] - 1] += r.value
        elif r.to_state == J.NULL:
            null[idx[r.from_state]] += r.journeys
        else:
            Q[idx[r.from_state], idx[r.to_state]] += r.journeys
    return channels, Q, conv, value, null


@pytest.mark.parametrize("self_loops", [False, True])
def test_vectorised_chain_counts_match_a_per_path_loop_on_random_paths(self_loops):
    rng = np.random.default_rng(11)
    names = ["tv", "search", "email", "social", "display", "a b"]
    rows = []
    for i in range(400):
        length = 1 if i % 5 == 0 else int(rng.integers(1, 9))  # one-touch paths, and repeats of a channel in a row
        path = [names[j] for j in rng.integers(0, len(names), length)]
        if i % 7 == 0 and length > 1:
            path[1] = path[0]
        conv = int(rng.integers(0, 3))
        nulls = 0 if i % 11 == 0 else int(rng.integers(0, 4))  # includes rows with no journeys at all
        rows.append((" > ".join(path), conv, round(float(conv * rng.lognormal(3, 0.5)), 2), nulls))
    paths = paths_frame(rows)
    assert any(len(p) == 1 for p in paths["path"]) and any(a == b for p in paths["path"] for a, b in zip(p, p[1:]))
    assert ((paths["conversions"] + paths["nulls"]) == 0).any()
    cc = M.chain_counts(paths, self_loops=self_loops)
    channels, Q, conv, value, null = _reference_counts(paths, self_loops)
    assert cc.channels == channels == J.channels_of(paths)
    np.testing.assert_allclose(cc.transitions, Q, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(cc.conversions, conv, rtol=1e-12)
    np.testing.assert_allclose(cc.value, value, rtol=1e-12)
    np.testing.assert_allclose(cc.nulls, null, rtol=1e-12)
    if self_loops:
        assert np.trace(cc.transitions) > 0
    else:
        assert np.trace(cc.transitions) == 0


def test_parse_paths_splits_and_strips_like_str_split():
    raw = pd.DataFrame({"path": ["a > b>c", "  x ", "tv >tv> search", "é >  ü"], "conversions": [1, 0, 1, 2],
                        "value": [1.0, 0, 3, 4], "nulls": [0, 1, 0, 1]})
    expect = [tuple(s.strip() for s in p.split(">")) for p in raw["path"]]
    assert J.parse_paths(raw)["path"].tolist() == expect
    assert J.parse_paths(raw.astype({"path": object}))["path"].tolist() == expect
    assert J.parse_paths(pd.DataFrame({"path": [7, "a>b"], "conversions": [1, 1], "value": [1, 1], "nulls": [0, 0]}))["path"].tolist() == [("7",), ("a", "b")]
