"""playbook.mmm.budget: bounds, the at-bound flag, planned controls and the plan's bound-limited reading."""

import numpy as np
import pandas as pd
import pytest

from playbook.mmm import budget as B
from playbook.mmm import data as D

from .factory import frame, plan


def test_planned_controls_continue_the_trend():
    inp = D.prepare_input(frame(n=11), "revenue", ["promo"])
    last = inp.frame["date"].max()
    planned = B.planned_controls(inp, last + pd.Timedelta(weeks=1), last + pd.Timedelta(weeks=3))
    np.testing.assert_allclose(planned["trend"], [1.1, 1.2, 1.3])
    assert (planned["promo"] == inp.frame["promo"].tail(13).mean()).all()


def test_spend_bounds_are_a_fraction_of_current_spend_rescaled_to_the_total():
    current = pd.Series({"a": 100.0, "b": 50.0})
    assert B.spend_bounds(current, 150.0, 0.3) == {"a": (70.0, 130.0), "b": (35.0, 65.0)}
    assert B.spend_bounds(current, 300.0, 0.5) == {"a": (100.0, 300.0), "b": (50.0, 150.0)}
    assert B.spend_bounds(current, 150.0, {"a": (1, 2), "b": (3, 4)}) == {"a": (1.0, 2.0), "b": (3.0, 4.0)}


def test_at_bound_flags_channels_on_their_limits():
    bounds = {"a": (70.0, 130.0), "b": (35.0, 65.0), "c": (10.0, 20.0)}
    flags = B.at_bound(pd.Series({"a": 130.0, "b": 50.0, "c": 10.05}), bounds, pd.Series({"a": 100.0, "b": 50.0, "c": 15.0}))
    assert flags.to_dict() == {"a": True, "b": False, "c": True}


def test_a_plan_set_by_its_bounds_says_so():
    p = plan(current={"tv": 1000.0, "search": 500.0}, optimal={"tv": 1150.0, "search": 350.0})  # search on its lower bound, tv inside
    assert p.limited_by_bounds == ["search"] and not p.all_moved_at_bounds
    q = plan(current={"tv": 1000.0, "search": 500.0}, optimal={"tv": 1300.0, "search": 350.0})
    assert q.all_moved_at_bounds and q.limited_by_bounds == ["tv", "search"]
    assert set(q.gain_dict()) == {"expected_uplift_mean", "expected_uplift_hdi_low", "expected_uplift_hdi_high", "prob_uplift_positive"}


def test_current_weekly_spend_is_the_mean_of_the_last_weeks():
    inp = D.prepare_input(frame(), "revenue")
    assert B.current_weekly_spend(inp, 13)["tv"] == pytest.approx(frame()["spend_tv"].tail(13).mean())


class _FakePlanner(B.Planner):
    """A planner whose response is a known curve: 10 draws of sum over channels of k · sqrt(weekly spend) per week."""

    def __init__(self, inp, weeks=4):
        self.inp, self.weeks = inp, weeks

    def response(self, spend, on="evaluate"):
        return np.full(5, sum(np.sqrt(max(float(v), 0.0)) for v in spend.to_numpy()) * self.weeks)


def test_marginal_roas_at_current_spend_is_the_derivative_of_the_response():
    inp = D.prepare_input(frame(), "revenue")
    p = _FakePlanner(inp)
    current = pd.Series({"tv": 100.0, "search": 25.0})
    m = p.marginal_roas(current, step=1e-4)
    assert len(m) == 10  # both halves of the draws
    assert m["tv"].mean() == pytest.approx(1 / (2 * np.sqrt(100.0)), rel=1e-3)
    assert m["search"].mean() == pytest.approx(1 / (2 * np.sqrt(25.0)), rel=1e-3)


def test_a_channel_paused_lately_is_stepped_from_its_usual_level():
    inp = D.prepare_input(frame(), "revenue")
    m = _FakePlanner(inp).marginal_roas(pd.Series({"tv": 0.0, "search": 25.0}))
    step = 0.01 * inp.spend["tv"].mean()
    assert m["tv"].mean() == pytest.approx(np.sqrt(step) / step, rel=1e-6) and np.isfinite(m["tv"]).all()


class _LinearPlanner(B.Planner):
    """A planner whose channels return k per unit (linear): the allocation fills the best channels first within bounds."""

    def __init__(self, inp, k, weeks=4):
        self.inp, self.weeks, self.k, self.start, self.held_out = inp, weeks, k, pd.Timestamp("2025-03-03"), True

    def response(self, spend, on="evaluate"):
        return np.full(5, sum(self.k[c] * float(spend[c]) for c in spend.index) * self.weeks)

    def allocate(self, total, bounds, x0=None):
        out = {c: bounds[c][0] for c in self.inp.channels}
        left = total - sum(out.values())
        for c in sorted(self.inp.channels, key=lambda c: -self.k[c]):
            add = min(left, bounds[c][1] - bounds[c][0])
            out[c] += add
            left -= add
        return pd.Series(out).reindex(self.inp.channels), True


def _three_channels():
    f = frame().assign(spend_radio=lambda d: d["spend_tv"] * 0.5 + 10)
    return D.prepare_input(f, "revenue")


def test_the_tier_rule_holds_a_tier_the_plan_would_split():
    inp = _three_channels()
    current = pd.Series({"tv": 100.0, "search": 100.0, "radio": 100.0})
    bounds = B.spend_bounds(current, 300.0, 0.3)
    p = _LinearPlanner(inp, {"tv": 3.0, "search": 0.5, "radio": 1.0})
    # without the rule: tv up to its bound, search cut to its bound, radio in between
    free, _ = p.allocate(300.0, bounds)
    assert free.to_dict() == {"tv": 130.0, "search": 70.0, "radio": 100.0}
    # tv and search share a tier: raising one and cutting the other is a shift the evidence does not support
    opt, ok, held, total = B.allocate_by_tiers(p, 300.0, bounds, current, {"tv": 1, "search": 1, "radio": 2})
    assert held == ["tv", "search"] and total == 300.0 and ok
    assert opt.to_dict() == {"tv": 100.0, "search": 100.0, "radio": 100.0}
    # tiers that the plan does not split are left alone: same-direction moves inside a tier are allowed
    opt, _, held, _ = B.allocate_by_tiers(p, 300.0, bounds, current, {"tv": 1, "search": 2, "radio": 1})
    assert held == [] and opt.to_dict() == free.to_dict()
    # an unranked channel (no tier) is not held
    opt, _, held, _ = B.allocate_by_tiers(p, 300.0, bounds, current, {"tv": 1, "search": float("nan"), "radio": 2})
    assert held == []


def test_the_plans_record_what_the_tier_rule_held():
    inp = _three_channels()
    k = {"tv": 3.0, "search": 0.5, "radio": 1.0}
    tiers = {"tv": 1, "search": 1, "radio": 2}
    current = B.current_weekly_spend(inp, 4)
    plan = B.optimize_budget(None, inp, budget_weeks=4, planner=_LinearPlanner(inp, k), tiers=tiers)
    assert plan.tier_held == ["tv", "search"] and plan.limited_by("tv") == "tier" and plan.limited_by("radio") in (None, "bound")
    t = plan.table.set_index("channel")
    assert t.loc[["tv", "search"], "change"].abs().max() < 1e-9 and t["optimal"].sum() == pytest.approx(current.sum())
    untied = B.optimize_budget(None, inp, budget_weeks=4, planner=_LinearPlanner(inp, k))
    assert untied.tier_held == [] and untied.table.set_index("channel").loc["tv", "change"] > 0
    # the profit plan: every total on the grid follows the rule; a channel below break-even may still fall, never rise
    profit = B.optimize_profit(None, inp, budget_weeks=4, margin=1.0, planner=_LinearPlanner(inp, k), tiers=tiers, no_raise=["search"], grid=5)
    pt = profit.table.set_index("channel")
    split = (pt.loc[["tv", "search"], "change"] > 1e-6).any() and (pt.loc[["tv", "search"], "change"] < -1e-6).any()
    assert not split and pt.loc["search", "change"] <= 1e-9
