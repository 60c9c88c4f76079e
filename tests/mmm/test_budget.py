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
