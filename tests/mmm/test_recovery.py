"""Recovery of the demo truth by the calibrated default model (slow: MCMC with 2 chains × 500 draws)."""

import numpy as np
import pandas as pd
import pytest

from playbook import mcmc
from playbook import mmm as M
from playbook.mmm import budget


@pytest.fixture(scope="module")
def demo_fit():
    """The calibrated default model on the demo world (2 chains × 500 draws, nutpie), its planner and summary."""
    from playbook.demo.mmm import make
    from playbook.demo.world import World

    files, truth = make(World())
    inp = M.prepare_input(files["mmm.csv"], "revenue", ["price_index", "competitor_promo", "holiday"])
    settings = mcmc.Settings(draws=500, tune=500, chains=2, sampler="nutpie", seed=3, target_accept=M.model.TARGET_ACCEPT)
    model = M.fit_model(M.build_model(inp), inp, settings, lift_tests=files["lift_tests.csv"], prior_samples=200)
    planner = budget.Planner(model, inp, budget_weeks=8, max_draws=200)
    mroas_now = planner.marginal_roas(budget.current_weekly_spend(inp, 8))
    return inp, model, truth, planner, mroas_now


@pytest.mark.slow
def test_recovers_true_roas_and_shares(demo_fit):
    inp, model, truth, _, _ = demo_fit
    s = M.channel_summary(model, inp, interval=0.94).set_index("channel")
    true = truth["channels"]
    inside = [ch for ch in inp.channels if s.loc[ch, "roas_hdi_low"] <= true[ch]["roas"] <= s.loc[ch, "roas_hdi_high"]]
    # stated tolerance: the true ROAS of at least 5 of 6 channels lies inside the 94 % HDI
    assert len(inside) >= 5, s[["roas_mean", "roas_hdi_low", "roas_hdi_high"]]
    # contribution shares of total media contribution within 8 percentage points of the truth
    for ch in inp.channels:
        assert abs(s.loc[ch, "contribution_share"] - true[ch]["contribution_share"]) < 0.08, ch
    # marginal ROAS below ROAS for every channel (diminishing returns), and the best and worst channels are found
    assert (s["mroas_mean"] < s["roas_mean"]).all()
    best_true = max(true, key=lambda c: true[c]["roas"])
    assert s.loc[best_true, "roas_mean"] > 2
    assert s.loc["offline_events", "roas_hdi_high"] < 1.5


@pytest.mark.slow
def test_profitability_and_marginal_roas_now_against_the_truth(demo_fit):
    from playbook.demo.mmm import marginal_roas_now

    inp, model, truth, _, mroas_now = demo_fit
    s = M.channel_summary(model, inp, interval=0.9, margin=1.0, mroas_current=mroas_now).set_index("channel")
    true_now = marginal_roas_now(truth, inp.spend, weeks=8)
    for ch, tr in truth["channels"].items():
        # P(ROAS > 1) sides with the truth for every channel whose true ROAS is clearly off break-even
        if tr["roas"] >= 1.4:
            assert s.loc[ch, "prob_profitable"] > 0.5, ch
        if tr["roas"] <= 0.6:
            assert s.loc[ch, "prob_profitable"] < 0.5, ch
        # marginal ROAS at current spend: within 40 % (relative) of the truth, or its interval covers the truth
        lo, hi, mean = s.loc[ch, ["mroas_current_hdi_low", "mroas_current_hdi_high", "mroas_current_mean"]]
        assert lo <= true_now[ch] <= hi or abs(mean / true_now[ch] - 1) < 0.4, (ch, mean, lo, hi, true_now[ch])
    assert s["tier"].min() == 1 and s.loc["kol", "tier"] > s.loc["search", "tier"]


@pytest.mark.slow
def test_health_and_budget_plans(demo_fit):
    inp, model, _, planner, mroas_now = demo_fit
    health = M.health_card(model)
    assert health.coverage > 0.85
    assert health.divergences <= 5
    plan = M.optimize_budget(model, inp, budget_weeks=8, planner=planner)
    t = plan.table
    assert plan.converged and plan.held_out
    assert t["optimal"].sum() == pytest.approx(t["current"].sum(), rel=1e-4)  # same weekly total
    assert (t["optimal"] >= t["lower_bound"] - 1e-6).all() and (t["optimal"] <= t["upper_bound"] + 1e-6).all()
    assert t["lower_bound"].to_numpy() == pytest.approx(0.7 * t["current"].to_numpy())
    # re-allocating towards higher marginal returns should not lose in expectation, even on draws that did not choose it
    assert plan.expected_uplift_mean > 0
    assert plan.expected_uplift_hdi_low <= plan.expected_uplift_mean <= plan.expected_uplift_hdi_high
    # spend moves towards the channel with the best marginal ROAS at current spend
    s = M.channel_summary(model, inp, mroas_current=mroas_now).set_index("channel")
    assert t.set_index("channel").loc[s["mroas_current_mean"].idxmax(), "change"] > 0
    # the profit plan at a 50 % margin never raises a channel whose next unit more likely loses money than not
    s50 = M.channel_summary(model, inp, margin=0.5, mroas_current=mroas_now).set_index("channel")
    losing = s50.index[s50["prob_marginal_profitable"] < budget.NO_RAISE_BELOW].tolist()
    tiers = s50["tier"].to_dict()  # the run's tier rule too, as the report applies it
    profit = M.optimize_profit(model, inp, budget_weeks=8, margin=0.5, planner=planner, no_raise=losing, grid=5, tiers=tiers)
    pt = profit.table.set_index("channel")
    assert (pt.loc[losing, "change"] <= 1e-6 * pt.loc[losing, "current"]).all(), pt
    # no tier is split: no plan raises one channel of a tier and cuts another
    for q in (profit, M.optimize_budget(model, inp, budget_weeks=8, planner=planner, tiers=tiers)):
        t = q.table.set_index("channel").assign(tier=pd.Series(tiers))
        rel = t["change"] / t["current"]
        for _, g in t.assign(rel=rel).dropna(subset=["tier"]).groupby("tier"):
            assert not (g["rel"].max() > budget.AT_BOUND_TOL and g["rel"].min() < -budget.AT_BOUND_TOL), g
    assert pt["lower_bound"].sum() - 1e-6 <= profit.total_weekly_budget <= pt["upper_bound"].sum() + 1e-6
    assert np.isfinite(profit.expected_profit_mean) and profit.expected_profit_hdi_low <= profit.expected_profit_mean


@pytest.mark.slow
def test_marginal_roas_now_and_profit_plan_direction_side_with_the_recorded_truth(demo_fit):
    """Where the posterior is decisive (P(marginal ROAS × margin > 1) above 0.9 or below 0.1), the playbook's marginal
    ROAS at current spend and its profit plan's direction per channel agree with the truth's (same weeks, bounds, margin)."""
    from playbook.demo.mmm import marginal_roas_now, profit_plan_now

    inp, model, truth, planner, mroas_now = demo_fit
    weeks, margin = planner.weeks, 1.0
    s = M.channel_summary(model, inp, interval=0.9, margin=margin, mroas_current=mroas_now).set_index("channel")
    true_now = marginal_roas_now(truth, inp.spend, weeks=weeks)
    true_plan = profit_plan_now(truth, inp.spend, weeks=weeks, margin=margin, bounds=0.3)
    losing = s.index[s["prob_marginal_profitable"] < budget.NO_RAISE_BELOW].tolist()
    profit = M.optimize_profit(model, inp, budget_weeks=weeks, margin=margin, planner=planner, no_raise=losing, grid=5,
                               tiers=s["tier"].to_dict())
    pt = profit.table.set_index("channel")
    decisive = [ch for ch in inp.channels if not 0.1 <= s.loc[ch, "prob_marginal_profitable"] <= 0.9]
    assert len(decisive) >= 3, s["prob_marginal_profitable"]
    for ch in decisive:
        pays = s.loc[ch, "prob_marginal_profitable"] > 0.9
        assert (true_now[ch] * margin > 1) == pays, (ch, true_now[ch], s.loc[ch, "prob_marginal_profitable"])
        true_up = true_plan[ch] > pt.loc[ch, "current"]
        if pt.loc[ch, "change"] > 0.01 * pt.loc[ch, "current"]:
            assert true_up, (ch, pt.loc[ch].to_dict(), true_plan[ch])
        if pt.loc[ch, "change"] < -0.01 * pt.loc[ch, "current"]:
            assert not true_up, (ch, pt.loc[ch].to_dict(), true_plan[ch])
