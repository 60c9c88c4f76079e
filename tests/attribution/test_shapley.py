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


# --------------------------------------------------------------------------- the allocation rule (issue 13)


def _issue_example():
    # a-only 1,000 conversions of 10,000; b-only 500 of 10,000; a then b 400 of 10,000
    return paths_frame([("a", 1000, 1000.0, 9000), ("b", 500, 500.0, 9500), ("a>b", 400, 400.0, 9600)])


def test_issue_example_keeps_every_channel_within_its_touched_conversions():
    r = S.shapley_attribution(_issue_example())
    t = r.channels.set_index("channel")
    assert t["touched_conversions"].to_dict() == {"a": 1400.0, "b": 900.0}
    assert ((t["conversions"] >= 0) & (t["conversions"] <= t["touched_conversions"] + 1e-9)).all()
    assert t["conversions"].sum() == pytest.approx(1900) and t["value"].sum() == pytest.approx(1900)
    # the plain split over-credits a (the issue's 1,450 of 1,400) and gives b negative credit
    assert t.loc["a", "conversions_unconstrained"] == pytest.approx(1450, abs=2)
    assert t.loc["b", "negative_marginals"] == pytest.approx(-50, abs=2) and t.loc["a", "negative_marginals"] == 0
    # the rule: b's negative share in {a, b} goes to zero, so a gets that set's 400 conversions
    assert t.loc["a", "conversions"] == pytest.approx(1400) and t.loc["b", "conversions"] == pytest.approx(500)
    assert len(r.warnings) == 1 and r.warnings[0].startswith("Shapley: in some channel sets the journeys with b (")


def test_no_warning_when_the_rule_does_not_act(toy):
    r = S.shapley_attribution(toy)
    assert r.warnings == [] and (r.channels["negative_marginals"] == 0).all()
    assert np.allclose(r.channels["conversions"], r.channels["conversions_unconstrained"])


def test_permutation_estimator_reports_its_standard_error():
    weights = {f"p{i}": float(i) for i in range(5)}

    def v(s):
        return sum(weights[p] for p in s) + (2.0 if {"p1", "p2"} <= s else 0.0)

    phi, se = S.permutation_shapley(list(weights), v, n_permutations=4000, seed=0)
    exact = S.shapley_values(list(weights), v)
    assert sum(phi.values()) == pytest.approx(v(set(weights)))
    for p in weights:
        assert abs(phi[p] - exact[p]) < 4 * se[p] + 1e-12
    assert se["p1"] > 0 and se["p0"] == 0  # p0 adds nothing in any order: no sampling error


def test_beyond_the_exact_limit_the_cost_and_error_are_stated():
    rows = [(">".join(f"c{i}" for i in range(5)), 10, 100.0, 10), ("c0", 5, 50.0, 20), ("c1>c2", 3, 30.0, 20)]
    r = S.shapley_attribution(paths_frame(rows), max_exact_channels=4, n_permutations=200, seed=1)
    assert r.method == "exact up to 4 channels, Monte Carlo permutation sample beyond"
    assert "standard error of at most" in r.notes[0] and (r.channels["sampling_se"] > 0).any()
    assert "largest here: 5 channels" in r.cost and S.MAX_EXACT_CHANNELS == 15
