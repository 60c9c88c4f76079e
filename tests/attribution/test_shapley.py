"""Shapley values and Shapley attribution: closed forms, efficiency, the permutation estimator, recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.attribution import compare as C
from playbook.attribution import shapley as S

from .builders import paths_frame


def test_shapley_values_closed_forms():
    # glove game: player 1 holds a left glove, 2 and 3 right gloves → (2/3, 1/6, 1/6)
    def glove(s):
        return float("p1" in s and ("p2" in s or "p3" in s))

    assert S.shapley_values(["p1", "p2", "p3"], glove) == pytest.approx({"p1": 2 / 3, "p2": 1 / 6, "p3": 1 / 6})
    weights = {"a": 1.0, "b": 2.5, "c": -0.5, "d": 4.0}
    assert S.shapley_values(list(weights), lambda s: sum(weights[p] for p in s)) == pytest.approx(weights)


def test_shapley_monte_carlo_is_efficient_and_close():
    players = [f"p{i}" for i in range(14)]
    w = {p: (i + 1) / 10 for i, p in enumerate(players)}

    def v(s):  # non-additive: square of the summed weights
        return sum(w[p] for p in s) ** 2

    phi = S.shapley_values(players, v, max_exact_players=12, n_permutations=3000, seed=3)
    total = sum(w.values())
    assert sum(phi.values()) == pytest.approx(v(set(players)), rel=1e-12)  # efficiency, exactly
    # closed form for v = (Σw)²: phi_i = w_i × Σw
    for p in players:
        assert phi[p] == pytest.approx(w[p] * total, abs=0.05 * total)


def test_shapley_attribution_is_efficient_and_exact_for_single_channel_paths():
    single = paths_frame([("a", 3, 30.0, 7), ("b", 1, 5.0, 9), ("c", 0, 0.0, 4)])
    s = S.shapley_attribution(single).channels.set_index("channel")
    assert s["conversions"].to_dict() == pytest.approx({"a": 3, "b": 1, "c": 0})
    mixed = paths_frame([("a>b>c", 5, 50.0, 20), ("a>c", 2, 8.0, 10), ("b", 1, 2.0, 30), ("c>a", 4, 12.0, 6), ("a", 3, 9.0, 12)])
    r = S.shapley_attribution(mixed)
    assert r.channels["conversions"].sum() == pytest.approx(15.0)
    assert r.channels["value"].sum() == pytest.approx(81.0)
    assert r.method == "exact"


def test_shapley_beyond_exact_limit_stays_efficient():
    chans = [f"c{i:02d}" for i in range(14)]
    rows = [(">".join(chans), 2, 20.0, 1), (">".join(chans[:5]), 1, 5.0, 3)] + [(c, 1, 1.0, 5) for c in chans]
    r = S.shapley_attribution(paths_frame(rows), max_exact_channels=12, n_permutations=200, seed=1)
    assert r.largest_coalition == 14
    assert "Monte Carlo" in r.method and r.notes
    assert r.channels["conversions"].sum() == pytest.approx(2 + 1 + 14)
    assert r.channels["value"].sum() == pytest.approx(20 + 5 + 14)


# --------------------------------------------------------------------------- journeys


@pytest.mark.slow
def test_shapley_credit_recovers_true_expected_shapley_within_bootstrap_noise(demo_journeys):
    journeys, truth = demo_journeys
    true_shap = pd.Series({c: v["shapley_conversions"] for c, v in truth["channels"].items()})
    est = S.shapley_attribution(journeys.paths).channels.set_index("channel")["conversions"]
    boot = C.bootstrap_credits(journeys.paths, S.shapley_credit, n_boot=30, seed=2).set_index("channel")
    # tolerance: every channel within 3 bootstrap standard deviations of its true expected credit
    z = (est - true_shap[est.index]) / boot["sd"]
    assert (z.abs() < 3).all(), z.round(2).to_dict()
    # the realized total differs from the expected total only by binomial noise (< 4 sd)
    total_sd = np.sqrt(sum(v * (1 - v / truth["n_journeys"]) for v in [truth["expected_conversions"]]))
    assert abs(est.sum() - truth["expected_conversions"]) < 4 * total_sd
