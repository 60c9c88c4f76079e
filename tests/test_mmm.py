"""playbook.mmm: input preparation, data checks, health card, ranking and results (fast), recovery of the demo truth (slow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook import mmm as M


def _frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n, freq="7D")
    return pd.DataFrame(
        {
            "date": dates,
            "revenue": 1000 + rng.normal(0, 10, n),
            "spend_tv": rng.uniform(0, 100, n),
            "spend_search": rng.uniform(0, 50, n),
            "price": 2.0 + rng.normal(0, 0.1, n),
            "promo": (rng.uniform(size=n) < 0.3).astype(int),
        }
    )


# --------------------------------------------------------------------------- input


def test_prepare_input_scales_controls_and_adds_trend():
    f = _frame()
    inp = M.prepare_input(f, "revenue", ["price", "promo"])
    assert inp.channels == ["tv", "search"]
    assert inp.controls == ["price", "promo", "trend"]
    price = inp.frame["price"]
    # centred, largest absolute deviation exactly 1
    assert price.mean() == pytest.approx(0, abs=1e-12)
    assert price.abs().max() == pytest.approx(1.0)
    expected = (f["price"] - f["price"].mean()) / (f["price"] - f["price"].mean()).abs().max()
    np.testing.assert_allclose(price, expected)
    # binary controls unchanged, trend runs 0..1
    np.testing.assert_array_equal(inp.frame["promo"], f["promo"])
    assert inp.frame["trend"].iloc[0] == 0 and inp.frame["trend"].iloc[-1] == 1
    np.testing.assert_allclose(inp.frame["tv"], f["spend_tv"])


def test_prepare_input_errors_name_the_column():
    with pytest.raises(ValueError, match="nope"):
        M.prepare_input(_frame(), "revenue", ["nope"])
    with pytest.raises(ValueError, match="spend_<channel>"):
        M.prepare_input(_frame().drop(columns=["spend_tv", "spend_search"]), "revenue")


def test_prepare_input_sums_geos_and_keeps_last_weeks():
    a, b = _frame(seed=1), _frame(seed=2)
    panel = pd.concat([a.assign(geo="n"), b.assign(geo="s")])
    inp = M.prepare_input(panel, "revenue", ["promo"], trend=False)
    assert inp.aggregated_geos == 2
    np.testing.assert_allclose(inp.frame["revenue"], (a["revenue"] + b["revenue"]).to_numpy())
    short = M.prepare_input(_frame(), "revenue", last_weeks=20)
    assert len(short.frame) == 20 and short.frame["date"].iloc[-1] == _frame()["date"].iloc[-1]


def test_head_tail_split_keeps_scaling():
    inp = M.prepare_input(_frame(), "revenue", ["price"])
    head, tail = inp.head_weeks(50), inp.tail_weeks(10)
    assert len(head.frame) + len(tail.frame) == 60
    np.testing.assert_allclose(pd.concat([head.frame, tail.frame])["price"], inp.frame["price"])


# --------------------------------------------------------------------------- data checks


def test_vif_closed_form_for_two_channels():
    inp = M.prepare_input(_frame(), "revenue")
    checks = M.data_checks(inp)
    r = inp.spend.corr().iloc[0, 1]
    # with two regressors, VIF = 1 / (1 - r^2) for both
    np.testing.assert_allclose(checks.vif["vif"], 1 / (1 - r**2), rtol=1e-8)
    assert checks.passed


def test_collinear_and_dark_channels_are_flagged():
    f = _frame(n=80)
    rng = np.random.default_rng(3)
    f["spend_copy"] = f["spend_tv"] * 2 + rng.normal(0, 1, len(f))
    f["spend_dark"] = 0.0
    f.loc[:9, "spend_dark"] = 5.0
    checks = M.data_checks(M.prepare_input(f, "revenue"))
    assert ("tv", "copy") in [(a, b) for a, b, _ in checks.collinear_pairs]
    assert checks.vif.set_index("channel").loc["copy", "vif"] > M.VIF_FLAG
    text = " ".join(checks.problems)
    assert "dark has no spend in 70 of 80 weeks" in text
    assert "tv and copy move together" in text
    assert not checks.passed


def test_data_checks_spend_table():
    inp = M.prepare_input(_frame(), "revenue")
    t = M.data_checks(inp).spend.set_index("channel")
    assert t["share_of_spend"].sum() == pytest.approx(1.0)
    assert t.loc["tv", "total_spend"] == pytest.approx(_frame()["spend_tv"].sum())


# --------------------------------------------------------------------------- ranking, health, results


def _summary():
    return pd.DataFrame(
        {
            "channel": ["a", "b", "c"],
            "spend": [100.0, 100.0, 100.0],
            "contribution_mean": [300.0, 50.0, 120.0],
            "contribution_hdi_low": [250.0, 20.0, 10.0],
            "contribution_hdi_high": [350.0, 80.0, 400.0],
            "contribution_share": [300 / 470, 50 / 470, 120 / 470],
            "roas_mean": [3.0, 0.5, 1.2],
            "roas_hdi_low": [2.5, 0.2, 0.1],
            "roas_hdi_high": [3.5, 0.8, 4.0],
            "mroas_mean": [2.0, 0.4, 1.0],
            "mroas_hdi_low": [1.5, 0.1, 0.1],
            "mroas_hdi_high": [2.5, 0.7, 3.0],
        }
    )


def test_rank_channels_flags_wide_intervals():
    out = M.rank_channels(_summary())
    assert out["channel"].tolist() == ["a", "b", "c"]  # rankable first, by ROAS
    assert out.set_index("channel")["rankable"].to_dict() == {"a": True, "b": True, "c": False}
    assert out.set_index("channel")["rank"].iloc[:2].tolist() == [1, 2]
    assert np.isnan(out.set_index("channel").loc["c", "rank"])


def _holdout(mape, r2):
    return M.Holdout(13, mape, r2, 0.9, pd.DataFrame())


def test_health_card_passes_and_fails_line_by_line():
    good = M.assess_health(1.005, 900, 0, 0.95, chains=2, holdout=_holdout(0.04, 0.7), prior_sd_ratio_max=0.2)
    assert good.passed and good.failed_checks == []
    assert len(good.lines) == 7
    bad = M.assess_health(1.05, 150, 3, 0.6, chains=2, holdout=_holdout(0.2, 0.1), prior_sd_ratio_max=0.9)
    assert not bad.passed and len(bad.failed_checks) == 7
    # ESS floor scales with chains: 400 per 4 chains -> 200 for 2 chains, 100 for 1
    assert M.assess_health(1.0, 150, 0, 0.95, chains=1, prior_sd_ratio_max=0.2).passed
    assert M.assess_health(1.0, 150, 0, 0.95, chains=2, prior_sd_ratio_max=0.2).failed_checks == ["Sampling: min bulk ESS"]
    # a measurement that could not be made fails its line
    nan = M.assess_health(float("nan"), 900, 0, 0.95, chains=2, prior_sd_ratio_max=0.1)
    assert nan.failed_checks == ["Convergence: max R-hat"]


def test_results_payload_has_the_public_keys():
    summary = M.rank_channels(_summary())
    health = M.assess_health(1.0, 900, 0, 0.95, chains=2, holdout=_holdout(0.04, 0.7), prior_sd_ratio_max=0.2)
    table = pd.DataFrame({"channel": ["a", "b", "c"], "current": [10.0, 10.0, 10.0], "optimal": [13.0, 7.0, 10.0]})
    plan = M.BudgetPlan(13, pd.Timestamp("2026-01-05"), 30.0, table, 5.0, 1.0, 9.0, 0.99, 100.0, True)
    out = M.results_payload(summary, health, plan)
    for ch in "abc":
        assert set(out["channels"][ch]) >= {"spend", "contribution_mean", "contribution_share", "roas_mean", "roas_hdi_low", "roas_hdi_high", "mroas_mean"}
        assert set(out["optimizer"][ch]) == {"current", "optimal"}
    assert set(out["diagnostics"]) >= {"rhat_max", "ess_bulk_min", "divergences", "holdout_mape", "passed"}
    assert {"expected_uplift_mean", "expected_uplift_hdi_low", "expected_uplift_hdi_high"} <= set(out["optimizer"])
    assert out["optimizer"]["a"]["optimal"] == 13.0 and out["optimizer"]["recommended"]
    # failing the card withholds the recommendation
    failed = M.assess_health(1.2, 900, 0, 0.95, chains=2)
    withheld = M.results_payload(summary, failed, plan, pd.Series({"a": 10.0, "b": 10.0, "c": 10.0}))
    assert withheld["optimizer"]["a"] == {"current": 10.0, "optimal": None}
    assert withheld["optimizer"]["expected_uplift_mean"] is None and not withheld["optimizer"]["recommended"]


def test_calibration_comparison_widths():
    before = _summary()
    after = before.assign(roas_hdi_low=[2.8, 0.3, 0.9], roas_hdi_high=[3.2, 0.7, 1.4])
    out = M.calibration_comparison(before, after).set_index("channel")
    assert out.loc["a", "hdi_width_change"] == pytest.approx(0.4 / 1.0 - 1)
    assert out.loc["c", "hdi_width_after"] == pytest.approx(0.5)


def test_waterfall_sums_components():
    decomp = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, freq="7D"), "baseline": [10.0, 10, 10], "promo": [-1.0, 0, 0], "tv": [2.0, 3, 4]})
    wf = M.waterfall(decomp, ["tv"])
    assert wf["component"].tolist() == ["baseline", "promo", "tv"]
    assert wf["contribution"].tolist() == [30.0, -1.0, 9.0]
    assert wf["share_of_kpi"].sum() == pytest.approx(1.0)
    assert wf["is_media"].tolist() == [False, False, True]


def test_resolve_lift_tests(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir(), out.mkdir()
    assert M.resolve_lift_tests("none", data, out)[0] is None
    assert M.resolve_lift_tests("auto", data, out)[0] is None
    (out / "lift_tests.csv").write_text("channel,x,delta_x,delta_y,sigma\n")
    path, text = M.resolve_lift_tests("auto", data, out)
    assert path == out / "lift_tests.csv" and "output folder" in text
    (data / "lift_tests.csv").write_text("channel,x,delta_x,delta_y,sigma\n")
    assert M.resolve_lift_tests("auto", data, out)[0] == data / "lift_tests.csv"
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        M.resolve_lift_tests(str(tmp_path / "missing.csv"), data, out)


def test_planned_controls_continue_the_trend():
    inp = M.prepare_input(_frame(n=11), "revenue", ["promo"])
    last = inp.frame["date"].max()
    planned = M._planned_controls(inp, last + pd.Timedelta(weeks=1), last + pd.Timedelta(weeks=3))
    np.testing.assert_allclose(planned["trend"], [1.1, 1.2, 1.3])
    assert (planned["promo"] == inp.frame["promo"].tail(13).mean()).all()


def test_build_model_rejects_unknown_components():
    inp = M.prepare_input(_frame(), "revenue")
    with pytest.raises(ValueError, match="adstock must be one of"):
        M.build_model(inp, adstock="nope")
    with pytest.raises(ValueError, match="saturation must be one of"):
        M.build_model(inp, saturation="nope")
    model = M.build_model(inp, adstock="delayed", saturation="hill", l_max=4, yearly_seasonality=0)
    assert model.channel_columns == ["tv", "search"] and model.yearly_seasonality is None


# --------------------------------------------------------------------------- recovery (slow)


@pytest.fixture(scope="module")
def demo_fit():
    """The calibrated default model on the demo world (2 chains × 500 draws, nutpie)."""
    from playbook.demo.mmm import make
    from playbook.demo.world import World

    files, truth = make(World())
    inp = M.prepare_input(files["mmm.csv"], "revenue", ["price_index", "competitor_promo", "holiday"])
    model = M.fit_model(M.build_model(inp), inp, draws=500, tune=500, chains=2, sampler="nutpie", seed=3, lift_tests=files["lift_tests.csv"], prior_samples=200)
    return inp, model, truth


@pytest.mark.slow
def test_recovers_true_roas_and_shares(demo_fit):
    inp, model, truth = demo_fit
    s = M.channel_summary(model, inp).set_index("channel")
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
def test_health_and_budget_plan(demo_fit):
    inp, model, _ = demo_fit
    health = M.health_card(model)
    assert health.coverage > 0.85
    assert health.divergences <= 5
    plan = M.optimize_budget(model, inp, budget_weeks=8, max_draws=200)
    t = plan.table
    assert plan.converged
    assert t["optimal"].sum() == pytest.approx(t["current"].sum(), rel=1e-4)  # same weekly total
    assert (t["optimal"] >= t["lower_bound"] - 1e-6).all() and (t["optimal"] <= t["upper_bound"] + 1e-6).all()
    assert t["lower_bound"].to_numpy() == pytest.approx(0.7 * t["current"].to_numpy())
    # re-allocating towards higher marginal returns cannot lose in expectation
    assert plan.expected_uplift_mean > 0
    assert plan.expected_uplift_hdi_low <= plan.expected_uplift_mean <= plan.expected_uplift_hdi_high
    # spend moves towards the channel with the best marginal ROAS
    s = M.channel_summary(model, inp).set_index("channel")
    top_marginal = s["mroas_mean"].idxmax()
    assert t.set_index("channel").loc[top_marginal, "change"] > 0
