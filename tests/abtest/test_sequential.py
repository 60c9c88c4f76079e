"""Always-valid intervals: the confidence-sequence formula, GrowthBook's figures on the demo, and A/A tests read daily."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from playbook.abtest import checks, decision, sequential

DEMO_COUNTS = pd.DataFrame({"variant": ["A", "B", "C"], "units": [8036, 8049, 7915], "conversions": [1061, 1171, 1064]})


def test_half_width_is_waudby_smith_eq_9_with_rho_from_eq_161():
    alpha, tuning, n, var = 0.05, 5000.0, 12_000.0, 3e-6
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)
    expected = math.sqrt(var * n) * math.sqrt(2 * (n * rho**2 + 1) / (n * rho) ** 2 * math.log(math.sqrt(n * rho**2 + 1) / alpha))
    assert sequential.half_width(var, n, alpha, tuning) == pytest.approx(expected, rel=1e-12)
    # always wider than the fixed-horizon interval at the same level, and tightest relative to it near N*
    ratios = {m: sequential.half_width(var, m, alpha, tuning) / sequential.fixed_half_width(var, alpha) for m in (500, 5000, 50_000)}
    assert all(r > 1 for r in ratios.values())
    with pytest.raises(ValueError, match="tuning"):
        sequential.rho(0, 0.05)


def test_demo_b_vs_a_matches_growthbook_sequential_and_fixed_intervals():
    """gbstats 0.8.0 SequentialTwoSidedTTest, relative, α 0.05 (notes/wave2.md): [−3.3 %, +23.6 %]; fixed [+1.7 %, +18.7 %]."""
    b = sequential.conversion_intervals(DEMO_COUNTS, "A")["B"]
    assert b.uplift_low == pytest.approx(-0.033, abs=0.0015) and b.uplift_high == pytest.approx(0.236, abs=0.0015)
    assert not b.significant and b.direction == 0
    d = sequential.difference(1061 / 8036, 1061 / 8036 * (1 - 1061 / 8036), 8036, 1171 / 8049, 1171 / 8049 * (1 - 1171 / 8049), 8049)
    hw = sequential.fixed_half_width(d["rel_var"])
    assert d["rel"] - hw == pytest.approx(0.017, abs=0.0015) and d["rel"] + hw == pytest.approx(0.187, abs=0.0015)


def test_zero_conversion_control_falls_back_to_the_absolute_difference():
    counts = pd.DataFrame({"variant": ["A", "B"], "units": [5000, 5000], "conversions": [0, 60]})
    b = sequential.conversion_intervals(counts, "A")["B"]
    assert math.isnan(b.uplift) and b.abs_diff == pytest.approx(0.012) and b.direction == 1
    assert b.as_dict()["uplift"] is None and b.as_dict()["significant"] is True


def test_revenue_intervals_from_moments():
    moments = pd.DataFrame({"variant": ["A", "B"], "units": [4000, 4000], "mean": [10.0, 8.0], "std": [20.0, 20.0]})
    b = sequential.mean_intervals(moments, "A", tuning=5000)["B"]
    assert b.uplift == pytest.approx(-0.2) and b.direction == -1


def test_sequential_rule_read_daily_stays_at_or_below_its_nominal_rate_where_the_bayesian_rule_does_not():
    """The A/A case read daily (28 looks): the Bayesian rule's false ships inflate, the sequential rule's stay ≤ α."""
    kw = {"n_sims": 300, "looks": 28, "n_arms": 2, "seed": 5}
    fixed = decision.aa_false_ship_rate(0.13, 8000, rule=decision.RULE_FIXED, **{**kw, "n_sims": 120})
    seq = decision.aa_false_ship_rate(0.13, 8000, rule=decision.RULE_SEQUENTIAL, alpha=0.05, tuning=5000, **kw)
    assert seq.nominal == 0.05 and seq.false_ship_rate <= seq.nominal
    assert fixed.false_ship_rate > 0.08 and fixed.false_ship_rate > seq.false_ship_rate + 0.04
    with pytest.raises(ValueError, match="rule"):
        decision.aa_false_ship_rate(0.1, 100, rule="peek")


def test_ship_direction_vectorised_agrees_with_the_scalar_interval():
    import numpy as np

    d = sequential.ship_direction(8036, 1061, np.array([8049, 7915]), np.array([1171, 1064]), 0.05, 5000)
    scalar = sequential.conversion_intervals(DEMO_COUNTS, "A")
    assert list(d) == [scalar["B"].direction, scalar["C"].direction]
    assert checks.order_variants(DEMO_COUNTS["variant"], "A") == ["A", "B", "C"]
