"""The MMM demo part: contracts, shared media plan, and a data-generating process that matches PyMC-Marketing."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from playbook import contracts
from playbook.demo import mmm as demo_mmm
from playbook.demo import write_csv
from playbook.demo.world import World


@pytest.fixture(scope="module")
def made():
    return demo_mmm.make(World())


def test_files_satisfy_contracts(made):
    files, _ = made
    assert set(files) == {"mmm.csv", "lift_tests.csv"}
    contracts.validate(files["mmm.csv"], contracts.contract("mmm"))
    contracts.validate(files["lift_tests.csv"], contracts.contract("lift_tests"))
    assert list(files["lift_tests.csv"].columns) == ["channel", "x", "delta_x", "delta_y", "sigma"]


def test_weekly_spend_is_the_shared_daily_plan_summed(made):
    world = World()
    files, _ = made
    daily = world.daily_spend()
    frame = files["mmm.csv"]
    assert len(frame) == world.weeks == 156
    for ch in world.channels:
        assert frame[f"spend_{ch}"].sum() == pytest.approx(daily[ch].sum(), rel=1e-6)
        # first week = first seven days of the plan
        assert frame[f"spend_{ch}"].iloc[0] == pytest.approx(daily[ch].iloc[:7].sum(), abs=0.05)


def test_truth_is_json_safe_and_consistent(made):
    files, truth = made
    json.dumps(truth)
    ch = truth["channels"]
    shares = sum(v["contribution_share"] for v in ch.values())
    assert shares == pytest.approx(1.0)
    for name, v in ch.items():
        assert v["roas"] == pytest.approx(v["contribution"] / v["spend"])
        assert v["roas"] == pytest.approx(demo_mmm.CHANNEL_TRUTH[name]["roas"])
        assert 0 < v["mroas"] < v["roas"]  # concave response: the next unit returns less than the average
    roas = sorted(v["roas"] for v in ch.values())
    assert roas[0] < 1 and roas[-1] > 2  # clearly different returns, some below break-even


def test_channels_are_not_collinear(made):
    files, _ = made
    spend = files["mmm.csv"].filter(like="spend_")
    corr = spend.corr().to_numpy()
    assert np.abs(corr[~np.eye(len(corr), dtype=bool)]).max() < 0.8


def test_adstock_and_saturation_match_pymc_marketing():
    import pytensor.tensor as pt
    import pytensor.xtensor as ptx
    from pymc_marketing.mmm.transformers import geometric_adstock, logistic_saturation

    x = np.array([0, 5, 0, 0, 3, 1, 0, 0, 0, 2, 0, 0], dtype=float)
    xt = ptx.as_xtensor(pt.as_tensor_variable(x), dims=("date",))
    theirs = geometric_adstock(xt, alpha=0.6, l_max=4, normalize=True, dim="date").eval()
    np.testing.assert_allclose(demo_mmm.geometric_adstock(x, alpha=0.6, l_max=4), np.asarray(theirs), rtol=1e-10)
    z = np.linspace(0, 3, 7)
    zt = ptx.as_xtensor(pt.as_tensor_variable(z), dims=("x",))
    np.testing.assert_allclose(demo_mmm.logistic_saturation(z, 2.5), np.asarray(logistic_saturation(zt, lam=2.5).eval()), rtol=1e-10)


def test_adstock_hand_computed():
    # weights 1, .5 normalised: (2/3, 1/3); spend 3 then 0: 2, 1, 0
    np.testing.assert_allclose(demo_mmm.geometric_adstock(np.array([3.0, 0.0, 0.0]), alpha=0.5, l_max=2), [2.0, 1.0, 0.0])
    # logistic saturation: (1 - e^-z)/(1 + e^-z) = tanh(z/2)
    np.testing.assert_allclose(demo_mmm.logistic_saturation(np.array([0.0, 1.0]), 2.0), [0.0, np.tanh(1.0)])


def test_lift_tests_measure_the_true_curve(made):
    files, truth = made
    lifts = files["lift_tests.csv"]
    for _, r in lifts.iterrows():
        true = truth["channels"][r["channel"]]["lift_test_true_delta_y"]
        assert abs(r["delta_y"] - true) < 4 * r["sigma"]
        assert r["delta_y"] > 0


def test_write_csv_size_and_scale(tmp_path, made):
    files, _ = made
    for name, frame in files.items():
        write_csv(frame, tmp_path / name)
    size = sum((tmp_path / n).stat().st_size for n in files)
    assert size < 100_000
    back = pd.read_csv(tmp_path / "mmm.csv")
    contracts.validate(back, contracts.contract("mmm"))
    # the world's seed drives the data: another seed, other revenue
    other, _ = demo_mmm.make(World(seed=8))
    assert not np.allclose(other["mmm.csv"]["revenue"], files["mmm.csv"]["revenue"])


def test_truth_records_marginal_roas_now_and_the_profit_optimal_plan(made):
    files, truth = made
    spend = files["mmm.csv"].filter(like="spend_").rename(columns=lambda c: c.removeprefix("spend_"))
    weeks, frac, margin = truth["budget"]["weeks"], truth["budget"]["bounds"], truth["budget"]["margin"]
    assert (weeks, frac, margin) == (13, 0.3, 1.0)  # the playbook's run defaults
    now = demo_mmm.marginal_roas_now(truth, spend, weeks=weeks)
    plan = demo_mmm.profit_plan_now(truth, spend, weeks=weeks, margin=margin, bounds=frac)
    for ch, v in truth["channels"].items():
        assert v["mroas_now"] == pytest.approx(now[ch], rel=1e-3)
        assert v["current_weekly"] == pytest.approx(spend[ch].tail(weeks).mean(), rel=1e-6)
        assert v["profit_optimal_weekly"] == pytest.approx(plan[ch], rel=1e-3) == truth["budget"]["profit_optimal_weekly"][ch]
        lo, hi = v["current_weekly"] * (1 - frac), v["current_weekly"] * (1 + frac)
        assert lo - 1e-6 <= v["profit_optimal_weekly"] <= hi + 1e-6
        # direction: raise where the next unit pays (marginal ROAS × margin > 1), cut where it does not
        if v["mroas_now"] * margin > 1.05:
            assert v["profit_optimal_weekly"] > v["current_weekly"], ch
        if v["mroas_now"] * margin < 0.95:
            assert v["profit_optimal_weekly"] < v["current_weekly"], ch
    moved = [ch for ch, v in truth["channels"].items() if abs(v["profit_optimal_weekly"] / v["current_weekly"] - 1) > 0.05]
    assert len(moved) >= 4  # the truth's plan is not "keep everything"


def _one_channel(alpha, lam=2.0, scale=100.0, beta=1000.0):
    return {"channels": {"a": {"adstock_alpha": alpha, "saturation_lam": lam, "channel_scale": scale, "beta_currency": beta}}}


def test_marginal_roas_now_matches_the_derivative_of_the_curve_without_carry_over():
    # alpha = 0: weekly response beta·tanh(lam·s / (2·scale)), derivative beta·lam / (2·scale) / cosh²(lam·s / (2·scale))
    truth = _one_channel(0.0)
    spend = pd.DataFrame({"a": np.full(30, 60.0)})
    z = 2.0 * 60.0 / (2 * 100.0)
    exact = 1000.0 * 2.0 / (2 * 100.0) / np.cosh(z) ** 2
    assert demo_mmm.marginal_roas_now(truth, spend, weeks=13, step=1e-5)["a"] == pytest.approx(exact, rel=1e-4)
    # with carry-over the weeks after the window add to it (the steady in-window level is unchanged by normalisation),
    # at most the l_max tail weeks' worth
    steady = demo_mmm.marginal_roas_now(_one_channel(0.5), spend, weeks=13, step=1e-5)["a"]
    assert exact * 1.01 < steady < exact * (1 + demo_mmm.L_MAX / 13)


def test_the_true_profit_plan_sits_where_the_next_unit_breaks_even():
    # wide bounds: the optimum is inside them, where margin × d(response over the window)/d(weekly spend) = weeks
    truth = _one_channel(0.3, beta=250.0)
    spend = pd.DataFrame({"a": np.full(40, 60.0)})
    weeks, margin = 13, 0.8
    s = demo_mmm.profit_plan_now(truth, spend, weeks=weeks, margin=margin, bounds=0.99)["a"]
    assert 0.6 < s < 119.4
    tr = truth["channels"]["a"]
    h = 1e-3 * s
    slope = (demo_mmm.future_response(tr, spend["a"], s + h, weeks) - demo_mmm.future_response(tr, spend["a"], s - h, weeks)) / (2 * h)
    assert margin * slope / weeks == pytest.approx(1.0, rel=1e-3)
    # closed form without carry-over: beta·lam/(2·scale)/cosh²(lam·s/(2·scale)) = 1 / margin
    s0 = demo_mmm.profit_plan_now(_one_channel(0.0, beta=250.0), spend, weeks=weeks, margin=margin, bounds=0.99)["a"]
    exact = 2 * 100.0 / 2.0 * np.arccosh(np.sqrt(250.0 * 2.0 / (2 * 100.0) * margin))
    assert s0 == pytest.approx(exact, rel=1e-4)
    # tight bounds: the plan stops at the bound on the side the break-even lies
    tight = demo_mmm.profit_plan_now(truth, spend, weeks=weeks, margin=margin, bounds=0.05)["a"]
    assert tight == pytest.approx(60.0 * (1.05 if s > 60 else 0.95), rel=1e-4)


def test_the_bundled_truth_records_the_plan_truth(made):
    from pathlib import Path

    _, truth = made
    bundled = json.loads((Path(__file__).resolve().parents[2] / "data" / "demo" / "truth.json").read_text())["mmm"]
    assert bundled["budget"]["profit_optimal_weekly"] == pytest.approx(truth["budget"]["profit_optimal_weekly"])
    for ch, v in truth["channels"].items():
        assert bundled["channels"][ch]["mroas_now"] == pytest.approx(v["mroas_now"])
