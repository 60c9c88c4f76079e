"""Tests for playbook.abtest.decision (moved from tests/test_abtest.py)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy import stats

from playbook.abtest import checks, decision, narrative, posterior


def _table(ka, kb, n=10_000, mde=0.0):
    return posterior.conversion_analysis(pd.DataFrame({"variant": ["A", "B"], "units": [n, n], "conversions": [ka, kb]}), "A", mde=mde, n_draws=20_000).table


def test_decide_ship_keep_stop_and_srm():
    d = decision.decide(_table(200, 240), "A", 0.95, 0.005)
    assert (d.action, d.variant) == ("ship", "B") and "97%" in narrative.decision_reason(d)
    assert decision.decide(_table(200, 240), "A", 0.975, 0.005).action == "keep testing"
    assert decision.decide(_table(240, 200), "A", 0.95, 0.005).action == "stop"
    assert decision.decide(_table(200, 215, mde=0.3), "A", 0.95, 0.005, mde=0.3).action == "stop"  # futile: +30% is out of reach
    srm = checks.srm_check({"A": 10_000, "B": 11_000})
    assert decision.decide(_table(200, 240), "A", srm=srm).action == "stop"
    guard = decision.decide(_table(200, 240), "A", guardrail_prob_worse={"B": 0.99})
    assert guard.action == "keep testing" and "revenue" in narrative.decision_reason(guard)


def test_sample_size_matches_cohens_h_formula():
    p, mde = 0.10, 0.10
    h = 2 * math.asin(math.sqrt(p * 1.1)) - 2 * math.asin(math.sqrt(p))
    # the arcsine-transformed difference has variance 2 / n with n units per arm
    expected = 2 * ((stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) / h) ** 2
    assert decision.sample_size_per_arm(p, mde, 0.95, 0.8) == math.ceil(expected)
    # and it agrees with the textbook unpooled-variance formula within 2%
    p2 = p * 1.1
    textbook = (stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) ** 2 * (p * (1 - p) + p2 * (1 - p2)) / (p2 - p) ** 2
    assert decision.sample_size_per_arm(p, mde) == pytest.approx(textbook, rel=0.02)
    counts = pd.DataFrame({"variant": ["A", "B"], "units": [1000, 1000], "conversions": [100, 110]})
    plan = decision.plan(counts, "A", mde, 0.95, days=10)
    assert plan.units_per_arm_per_day == 100 and plan.days_to_decision == pytest.approx((math.ceil(expected) - 1000) / 100)


def test_thompson_allocation_equals_prob_best_with_floor():
    alloc = decision.thompson_allocation({"A": 0.02, "B": 0.9, "C": 0.08})
    assert alloc == pytest.approx({"A": 0.02, "B": 0.9, "C": 0.08})
    floored = decision.thompson_allocation({"A": 0.0, "B": 1.0}, min_share=0.1)
    assert floored == pytest.approx({"A": 0.1, "B": 0.9}) and sum(floored.values()) == pytest.approx(1.0)


def test_aa_false_ship_rate_near_nominal_and_peeking_inflates():
    single = decision.aa_false_ship_rate(0.1, 4000, n_sims=400, looks=1, seed=3)
    # one look, one comparison: about 1 − prob_threshold = 5% (the loss cap rarely binds at this size)
    assert 0.02 <= single.false_ship_rate <= 0.085
    assert single.false_ship_rate_se == pytest.approx(math.sqrt(single.false_ship_rate * (1 - single.false_ship_rate) / 400))
    peeking = decision.aa_false_ship_rate(0.1, 4000, n_sims=150, looks=10, seed=3)
    assert peeking.false_ship_rate > single.false_ship_rate + 0.03



# ----------------------------------------------------------------------------- the sequential rule before the planned sample


def _seq(direction_b, rev_direction=None, low=0.01):
    from playbook.abtest.sequential import SequentialInterval, SequentialResult

    high = low + 0.2
    b = SequentialInterval("B", 0.1, low if direction_b > 0 else (-0.3 if direction_b < 0 else -0.05), high if direction_b >= 0 else -0.01,
                           0.004, 0.001 if direction_b > 0 else -0.002, 0.008 if direction_b >= 0 else -0.001, direction_b)
    rev = None if rev_direction is None else {"B": SequentialInterval("B", -0.1, -0.2, -0.01 if rev_direction < 0 else 0.1, -1, -2, 1, rev_direction)}
    return SequentialResult(5000.0, 0.05, {"B": b}, rev)


def test_before_the_plan_only_the_always_valid_interval_ships():
    table = _table(200, 240)  # the Bayesian rule alone would ship B (97%)
    early = decision.Plan(0.05, 30_000, 10_000, 500.0, 40.0)
    keep = decision.decide(table, "A", 0.95, 0.005, 0.05, plan=early, sequential=_seq(0))
    assert (keep.action, keep.rule, keep.kind, keep.days_left) == ("keep testing", "sequential", decision.SEQ_KEEP, 40.0)
    ship = decision.decide(table, "A", plan=early, sequential=_seq(1))
    assert (ship.action, ship.variant, ship.rule, ship.kind, ship.days_left) == ("ship", "B", "sequential", decision.SEQ_SHIP, None)
    guarded = decision.decide(table, "A", plan=early, sequential=_seq(1, rev_direction=-1))
    assert (guarded.action, guarded.kind) == ("keep testing", decision.SEQ_GUARDRAIL)
    harm = decision.decide(_table(240, 200), "A", plan=early, sequential=_seq(-1))
    assert (harm.action, harm.variant, harm.kind) == ("stop", "A", decision.SEQ_HARM)


def test_once_the_plan_is_reached_the_bayesian_rule_decides():
    reached = decision.Plan(0.05, 8_000, 10_000, 500.0, 0.0)
    d = decision.decide(_table(200, 240), "A", 0.95, 0.005, 0.05, plan=reached, sequential=_seq(0))
    assert (d.action, d.rule, d.kind, d.days_left) == ("ship", "fixed horizon", decision.SHIP, None)
    # health checks come first under either rule
    srm = checks.srm_check({"A": 10_000, "B": 11_000})
    early = decision.Plan(0.05, 30_000, 10_000, 500.0, 40.0)
    stopped = decision.decide(_table(200, 240), "A", srm=srm, plan=early, sequential=_seq(1))
    assert (stopped.action, stopped.kind, stopped.rule) == ("stop", decision.SRM, "sequential")


def test_aa_actions_make_the_calls_of_decide_on_each_test():
    import numpy as np

    rng = np.random.default_rng(6)
    units = np.repeat(rng.integers(200, 12_000, (250, 1)), 3, axis=1)
    convs = rng.binomial(units, 0.13)
    names = ["arm0", "arm1", "arm2"]
    code = {"ship": 1, "stop": -1, "keep testing": 0}
    for mde in (0.0, 0.05):
        act = decision.aa_actions(convs, units, decision.RULE_FIXED, 0.95, 0.005, mde)
        want = [code[decision.decide(decision._fast_table(names, convs[s], units[s], (1.0, 1.0), mde), "arm0", 0.95, 0.005, mde).action]
                for s in range(len(units))]
        np.testing.assert_array_equal(act, want)
        assert set(act) == {-1, 0, 1}  # every branch met
    seq_act = decision.aa_actions(convs, units, decision.RULE_SEQUENTIAL, alpha=0.05, tuning=5000)
    for s in range(0, len(units), 25):
        d = decision.seq.ship_direction(units[s, 0], convs[s, 0], units[s, 1:], convs[s, 1:], 0.05, 5000)
        assert seq_act[s] == (1 if (d > 0).any() else (-1 if (d < 0).all() else 0))


def test_aa_one_look_reads_the_same_simulated_tests_as_one_test_at_a_time():
    import numpy as np

    # one look: the tests' draws are the old loop's (n_arms binomials per test, test after test), so the rate is the old one exactly
    rng = np.random.default_rng(3)
    names = ["arm0", "arm1"]
    shipped = 0
    for _ in range(120):
        convs = rng.binomial(4000, 0.1, size=2)
        units = np.array([4000, 4000])
        shipped += decision.decide(decision._fast_table(names, convs, units, (1.0, 1.0), 0.0), "arm0", 0.95, 0.005, 0.0).action == "ship"
    assert decision.aa_false_ship_rate(0.1, 4000, n_sims=120, looks=1, seed=3).false_ship_rate == shipped / 120
