"""Tests for playbook.personas.clv: predictions (closed forms), group sums, fits and recovery (slow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from playbook.demo.personas import simulate_btyd_orders
from playbook.personas import clv
from playbook.personas import summary as customer_summaries


@pytest.fixture(scope="module")
def map_fit():
    orders, truth = simulate_btyd_orders(600, r=0.8, alpha=6.0, a=1.2, b=4.0, p=4.0, q=6.0, v=100.0, seed=5)
    summary = customer_summaries.customer_summary(orders, truth["observation_end"], "W")
    bg = clv.fit_bgnbd(summary, method="map", seed=1)
    gg = clv.fit_gamma_gamma(summary, method="map", seed=1)
    return summary, bg, gg


def test_predictions_match_the_bgnbd_and_gamma_gamma_closed_forms(map_fit):
    summary, bg, gg = map_fit
    horizon = 26.0
    value = clv.predict_customer_value(bg, gg, summary, horizon=horizon, chunk_size=250)  # several chunks
    r, alpha, a, b = (float(np.asarray(bg.fit_result[k]).reshape(-1)[0]) for k in clv.BGNBD_PARAMS)
    p, q, v = (float(np.asarray(gg.fit_result[k]).reshape(-1)[0]) for k in clv.GAMMA_GAMMA_PARAMS)
    x, tx, T, z = (summary[c].to_numpy(float) for c in ("frequency", "recency", "T", "monetary_value"))
    # Fader, Hardie & Lee (2005) eq. 10: conditional expected purchases in (T, T + t]
    t = horizon
    num = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t)))
    )
    den = 1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)
    purchases = num / den
    # P(alive) (Fader, Hardie & Lee 2008): 1 for customers without repeats
    p_alive = np.where(x > 0, 1 / (1 + a / (b + np.maximum(x, 1) - 1) * ((alpha + T) / (alpha + tx)) ** (r + x)), 1.0)
    # Gamma-Gamma conditional mean spend (Fader & Hardie 2013, eq. 5)
    spend = (p * (v + x * z)) / (p * x + q - 1)
    got = value.customers
    assert list(got["customer_id"]) == list(summary["customer_id"])
    np.testing.assert_allclose(got["expected_purchases"], purchases, rtol=1e-6)
    np.testing.assert_allclose(got["p_alive"], p_alive, rtol=1e-6)
    np.testing.assert_allclose(got["expected_spend"], spend, rtol=1e-6)
    np.testing.assert_allclose(got["clv_mean"], purchases * spend, rtol=1e-6)
    # one draw: intervals collapse onto the point estimate
    np.testing.assert_allclose(got["clv_low"], got["clv_high"])


def test_discounted_margin_clv_by_hand(map_fit):
    """One step: every purchase of the horizon discounted to its midpoint; many steps: between that and undiscounted."""
    summary, bg, gg = map_fit
    horizon, rate, margin = 52.0, 0.2, 0.3
    plain = clv.predict_customer_value(bg, gg, summary, horizon=horizon).customers
    one = clv.predict_customer_value(bg, gg, summary, horizon=horizon, discount_rate=rate, margin=margin, discount_steps=1).customers
    per_year = 365.25 / 7
    np.testing.assert_allclose(one["clv_mean"], plain["clv_mean"] * margin * (1 + rate) ** (-(horizon / 2) / per_year), rtol=1e-9)
    fine = clv.predict_customer_value(bg, gg, summary, horizon=horizon, discount_rate=rate, margin=1.0, discount_steps=26).customers
    # purchases fall off over the horizon (dropout), so front-loaded purchases are discounted less than the midpoint rule says
    assert (fine["clv_mean"] <= plain["clv_mean"] + 1e-9).all()
    assert (fine["clv_mean"] >= plain["clv_mean"] * (1 + rate) ** (-horizon / per_year) - 1e-9).all()
    assert fine["clv_mean"].sum() > one["clv_mean"].sum() / margin
    np.testing.assert_allclose(fine["expected_purchases"], plain["expected_purchases"])  # counts stay undiscounted
    with pytest.raises(ValueError, match="discount_rate"):
        clv.predict_customer_value(bg, gg, summary, horizon=horizon, margin=1.5)


def _spread_posterior(model, names, chains: int, draws: int, seed: int):
    """``model`` with its MAP posterior replaced by ``chains`` × ``draws`` jittered copies (a stand-in for NUTS draws)."""
    import copy

    import xarray as xr

    out = copy.copy(model)
    post = model.fit_result
    rng = np.random.default_rng(seed)
    ds = xr.Dataset({n: (("chain", "draw"), float(np.asarray(post[n]).reshape(-1)[0]) * np.exp(rng.normal(0, 0.05, (chains, draws))))
                     for n in names}, coords={"chain": np.arange(chains), "draw": np.arange(draws)})
    out.idata = xr.DataTree.from_dict({"/posterior": ds, **{f"/{g}": model.idata[g].to_dataset() for g in model.idata.children
                                                              if g != "posterior"}})
    return out


def test_predictions_on_thinned_draws_equal_predictions_on_every_draw_then_picked(map_fit):
    """predict_customer_value computes on the ``max_draws`` kept draws only: the same numbers as computing every draw
    and keeping those (chains stacked chain by chain, draws paired by position)."""
    summary, bg, gg = map_fit
    bg2 = _spread_posterior(bg, ("r", "alpha", "a", "b"), 2, 60, seed=1)
    gg2 = _spread_posterior(gg, clv.GAMMA_GAMMA_PARAMS, 2, 45, seed=2)
    value = clv.predict_customer_value(bg2, gg2, summary, horizon=26, max_draws=37, discount_rate=0.1, chunk_size=250)
    idx_bg, idx_gg = clv._draw_index(120, 37), clv._draw_index(90, 37)
    alive = clv._flat(bg2.expected_probability_alive(data=summary))[idx_bg]
    spend = clv._flat(gg2.expected_customer_spend(data=summary))[idx_gg]
    steps = np.linspace(0, 26, 27)
    factors = 1.1 ** (-((steps[:-1] + steps[1:]) / 2) / (365.25 / 7))
    cum = [np.zeros_like(alive)] + [clv._flat(bg2.expected_purchases(data=summary, future_t=float(t)))[idx_bg] for t in steps[1:]]
    clv_draws = spend * sum(f * (b - a) for f, a, b in zip(factors, cum[:-1], cum[1:]))
    np.testing.assert_allclose(value.clv_draws, clv_draws, rtol=1e-10)
    np.testing.assert_allclose(value.customers["p_alive"], alive.mean(0), rtol=1e-12)
    np.testing.assert_allclose(value.customers["expected_purchases"], cum[-1].mean(0), rtol=1e-12)
    np.testing.assert_allclose(value.customers["expected_spend"], spend.mean(0), rtol=1e-12)
    assert bg2.fit_result.sizes["draw"] == 60 and bg2.fit_result.sizes["chain"] == 2  # the model's posterior is restored
    mean, low, high = clv.expected_purchases_new_customer(bg2, 26, 0.9)
    every = np.asarray(bg2.expected_purchases_new_customer(t=26)).reshape(2, 60, -1)
    assert np.allclose(every, every[..., :1])  # the same for every customer (no covariates)
    assert mean == pytest.approx(every[..., 0].mean(), rel=1e-12)
    assert (low, high) == pytest.approx(tuple(np.quantile(every[..., 0], [0.05, 0.95])), rel=1e-12)


def test_group_value_sums_draws_per_group(map_fit):
    summary, bg, gg = map_fit
    value = clv.predict_customer_value(bg, gg, summary, horizon=10)
    rng = np.random.default_rng(0)
    groups = pd.Series(rng.choice(["x", "y", "z"], len(summary)), index=summary["customer_id"].to_numpy())
    by_group = clv.group_value(value, groups).set_index("group")
    total = clv.group_value(value).iloc[0]
    assert by_group["clv_mean"].sum() == pytest.approx(total["clv_mean"])
    assert by_group["customers"].sum() == len(summary) == total["customers"]
    expected_x = value.customers.loc[groups.to_numpy() == "x", "clv_mean"].sum()
    assert by_group.loc["x", "clv_mean"] == pytest.approx(expected_x)


def test_group_value_interval_comes_from_summed_draws():
    ids = ["a", "b", "c"]
    draws = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, 2.0, 2.0], [4.0, 0.0, 2.0]])
    customers = pd.DataFrame({"customer_id": ids, "clv_mean": draws.mean(0)})
    value = clv.CustomerValue(customers, draws, horizon=1, time_unit="W", interval_prob=0.5)
    out = clv.group_value(value, pd.Series(["g", "g", "h"], index=ids)).set_index("group")
    sums = draws[:, :2].sum(1)  # 3, 5, 4, 4
    assert out.loc["g", "clv_mean"] == pytest.approx(sums.mean())
    assert out.loc["g", "clv_low"] == pytest.approx(np.quantile(sums, 0.25))
    assert out.loc["g", "clv_high"] == pytest.approx(np.quantile(sums, 0.75))
    assert out.loc["h", "customers"] == 1


def test_parameter_table_for_a_map_fit_has_means_only(map_fit):
    _, bg, _ = map_fit
    table = clv.parameter_table(bg, clv.BGNBD_PARAMS)
    assert list(table["parameter"]) == list(clv.BGNBD_PARAMS)
    assert table["mean"].gt(0).all() and table["hdi_low"].isna().all()


def test_gamma_gamma_needs_repeat_customers():
    one_timers = pd.DataFrame(
        {"customer_id": ["a", "b"], "frequency": [0, 0], "recency": [0.0, 0.0], "T": [3.0, 4.0], "monetary_value": [0.0, 0.0]}
    )
    with pytest.raises(ValueError, match="repeat customers"):
        clv.fit_gamma_gamma(one_timers, method="map")


# --------------------------------------------------------------------------- recovery


@pytest.mark.slow
def test_bgnbd_and_gamma_gamma_recover_known_parameters():
    """Data simulated from one known (r, α, a, b, p, q, v): each true value lies inside the 94% HDI.

    2,500 customers acquired over the first year of a two-year window (weeks), 2 chains × 500 draws;
    fixed seeds, so the check is deterministic. Convergence is asserted too (R-hat < 1.05).
    """
    true = dict(r=0.8, alpha=6.0, a=1.2, b=4.0, p=4.0, q=6.0, v=100.0)
    orders, truth = simulate_btyd_orders(2500, **true, days=730, seed=11)
    summary = customer_summaries.customer_summary(orders, truth["observation_end"], "W")
    bg = clv.fit_bgnbd(summary, draws=500, tune=500, chains=2, seed=11)
    gg = clv.fit_gamma_gamma(summary, draws=500, tune=500, chains=2, seed=11)
    table = pd.concat([clv.parameter_table(bg, clv.BGNBD_PARAMS), clv.parameter_table(gg, clv.GAMMA_GAMMA_PARAMS)]).set_index(
        "parameter"
    )
    for name, value in true.items():
        low, high = table.loc[name, ["hdi_low", "hdi_high"]]
        assert low <= value <= high, f"{name}: true {value} outside 94% HDI [{low:.3f}, {high:.3f}]"
    assert table["r_hat"].max() < 1.05
    # and the per-customer spend prediction tracks each customer's true mean order value
    value = clv.predict_customer_value(bg, gg, summary, horizon=52, max_draws=200)
    true_mov = pd.Series(truth["mean_order_value"]).reindex(value.customers["customer_id"]).to_numpy()
    repeaters = summary["frequency"].to_numpy() >= 3
    corr = np.corrcoef(value.customers["expected_spend"].to_numpy()[repeaters], true_mov[repeaters])[0, 1]
    assert corr > 0.8


@pytest.mark.slow
def test_p_alive_separates_the_demo_worlds_truly_alive_customers():
    """On the demo world (a mixture of five segments), P(alive) ranks truly alive above dropped-out customers: AUC ≥ 0.8 (measured 0.93)."""
    from sklearn.metrics import roc_auc_score

    from playbook.demo import personas as demo_customers
    from playbook.demo.world import World

    world = World()
    files, truth = demo_customers.make(world)
    summary = customer_summaries.customer_summary(files["orders.csv"], world.end, "W")
    bg = clv.fit_bgnbd(summary, method="map", seed=0)
    gg = clv.fit_gamma_gamma(summary, method="map", seed=0)
    value = clv.predict_customer_value(bg, gg, summary, horizon=52)
    alive = demo_customers.true_alive(truth).reindex(value.customers["customer_id"]).to_numpy()
    auc = roc_auc_score(alive, value.customers["p_alive"])
    assert auc >= 0.8, f"AUC {auc:.3f}"


# --------------------------------------------------------------------------- the Gamma-Gamma independence check


def test_frequency_spend_check_by_hand():
    s = pd.DataFrame({"frequency": [0, 1, 2, 3, 4], "monetary_value": [0.0, 10.0, 20.0, 30.0, 41.0]})
    check = clv.frequency_spend_check(s)
    assert check.customers == 4  # the one-time buyer is left out
    assert check.correlation == pytest.approx(np.corrcoef([1, 2, 3, 4], [10, 20, 30, 41])[0, 1])
    assert check.ok is False
    flat = clv.frequency_spend_check(s.assign(monetary_value=[0.0, 20.0, 10.0, 10.0, 20.0]))
    assert abs(flat.correlation) < clv.GG_CORRELATION_MAX and flat.ok is True
    assert clv.frequency_spend_check(s.iloc[:3]).ok is None  # two repeat customers: cannot tell


def test_independence_check_fires_on_the_demo():
    """The demo's spend rises with frequency (Pearson 0.34 among 3,058 repeat customers): above the 0.3 threshold."""
    from conftest import ROOT

    from playbook import io
    from playbook.personas import summary as customer_summaries

    orders = io.load("orders", ROOT / "data" / "demo")
    check = clv.frequency_spend_check(customer_summaries.customer_summary(orders, None, "W"))
    assert check.customers > 3000 and check.correlation == pytest.approx(0.34, abs=0.02)
    assert check.ok is False



# --------------------------------------------------------------------------- the NumPy posterior mode (MAP)


@pytest.fixture(scope="module")
def small_summary():
    orders, truth = simulate_btyd_orders(800, r=0.8, alpha=6.0, a=1.2, b=4.0, p=4.0, q=6.0, v=100.0, seed=11)
    return customer_summaries.customer_summary(orders, truth["observation_end"], "W")


def _means(model, names):
    return clv.parameter_table(model, names).set_index("parameter")["mean"]


def test_bgnbd_gradient_matches_finite_differences(small_summary):
    from scipy.optimize import approx_fprime

    x, tx, T = (small_summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    terms = clv._BGNBDTerms(x, tx, T, np.ones_like(x))
    theta = np.array([0.7, 5.0, 1.1, 3.5])
    _, grad = terms.value_grad(*theta)
    numeric = approx_fprime(theta, lambda th: terms.value_grad(*th)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4)


def test_bgnbd_loglik_equals_pymc_marketing_logp(small_summary):
    import pymc as pm
    from pymc_marketing.clv.distributions import BetaGeoNBD

    s = small_summary
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    r, alpha, a, b = 0.7, 5.0, 1.1, 3.5
    ref = pm.logp(BetaGeoNBD.dist(a=a, b=b, r=r, alpha=alpha, T=T), np.stack([tx, x], axis=1)).eval().sum()
    ll, _ = clv._BGNBDTerms(x, tx, T, np.ones_like(x)).value_grad(r, alpha, a, b)
    assert ll == pytest.approx(float(ref), rel=1e-8)  # float rounding of the two formulas


def test_weighted_distinct_rows_give_the_same_mode_as_all_rows(small_summary):
    s = small_summary
    rows = [s[c].to_numpy() for c in ("frequency", "recency", "T")]
    # duplicate every customer a random number of times so that weights differ from 1
    reps = np.random.default_rng(0).integers(1, 4, len(s))
    full = [np.repeat(c, reps) for c in rows]
    distinct, w = clv.collapse_rows(*full)
    assert len(distinct[0]) < len(full[0]) and w.sum() == len(full[0])
    unweighted, weighted = clv.bgnbd_map(*full), clv.bgnbd_map(*distinct, weights=w)
    for k in unweighted:
        assert weighted[k] == pytest.approx(unweighted[k], rel=1e-6), k
    rep = s[s["frequency"] > 0]
    fz = [np.repeat(rep[c].to_numpy(), reps[: len(rep)]) for c in ("frequency", "monetary_value")]
    (dx, dz), wz = clv.collapse_rows(*fz)
    g_un, g_w = clv.gamma_gamma_map(*fz), clv.gamma_gamma_map(dx, dz, weights=wz)
    for k in g_un:
        assert g_w[k] == pytest.approx(g_un[k], rel=1e-6), k


def test_numpy_map_equals_pymc_find_map(small_summary):
    s = small_summary
    fast_bg, slow_bg = clv.fit_bgnbd(s, method="map", map_engine="numpy"), clv.fit_bgnbd(s, method="map", map_engine="pymc")
    np.testing.assert_allclose(_means(fast_bg, clv.BGNBD_PARAMS), _means(slow_bg, clv.BGNBD_PARAMS), rtol=1e-3)
    fast_gg = clv.fit_gamma_gamma(s, method="map", map_engine="numpy")
    slow_gg = clv.fit_gamma_gamma(s, method="map", map_engine="pymc")
    np.testing.assert_allclose(_means(fast_gg, clv.GAMMA_GAMMA_PARAMS), _means(slow_gg, clv.GAMMA_GAMMA_PARAMS), rtol=1e-3)
    # the fitted model object predicts like PyMC-Marketing's own MAP fit
    data = s[["customer_id", "frequency", "recency", "T"]].head(50)
    np.testing.assert_allclose(np.asarray(fast_bg.expected_probability_alive(data=data)),
                               np.asarray(slow_bg.expected_probability_alive(data=data)), rtol=1e-3)
    assert set(fast_bg.fit_result.data_vars) == set(slow_bg.fit_result.data_vars)


@pytest.mark.parametrize("model", ["mbgnbd", "pareto"])
def test_numpy_map_of_mbgnbd_and_pareto_equals_pymc_find_map(small_summary, model):
    """The holdout comparison's MAP fits: the NumPy mode is PyMC's ``find_MAP`` mode, and predicts like it."""
    s = small_summary
    fast = clv.fit_purchase_model(s, model, method="map", map_engine="numpy")
    slow = clv.fit_purchase_model(s, model, method="map", map_engine="pymc")
    names = clv.PURCHASE_MODELS[model][1]
    np.testing.assert_allclose(_means(fast, names), _means(slow, names), rtol=2e-3)
    data = s[["customer_id", "frequency", "recency", "T"]].head(80)
    np.testing.assert_allclose(np.asarray(fast.expected_purchases(data=data, future_t=20)),
                               np.asarray(slow.expected_purchases(data=data, future_t=20)), rtol=2e-3)
    assert set(fast.fit_result.data_vars) == set(slow.fit_result.data_vars)


def test_numpy_mbgnbd_and_pareto_logliks_equal_pymc_marketing_logp(small_summary):
    import pymc as pm
    from pymc_marketing.clv.distributions import ModifiedBetaGeoNBD, ParetoNBD

    x, tx, T = (small_summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    value = np.stack([tx, x], axis=1)
    w = np.ones_like(x)
    want = pm.logp(ModifiedBetaGeoNBD.dist(a=0.9, b=3.1, r=0.7, alpha=5.0, T=T), value).eval().sum()
    assert clv._mbgnbd_loglik(x, tx, T, w, 0.7, 5.0, 0.9, 3.1) == pytest.approx(want, rel=1e-7)  # PyTensor compiles with fastmath
    for alpha, beta in [(5.0, 9.0), (9.0, 5.0)]:  # both branches of the hypergeometric terms
        want = pm.logp(ParetoNBD.dist(r=0.7, alpha=alpha, s=0.6, beta=beta, T=T), value).eval().sum()
        assert clv._pareto_loglik(x, tx, T, w, 0.7, alpha, 0.6, beta) == pytest.approx(want, rel=1e-7)  # PyTensor compiles with fastmath


def test_map_engine_checks():
    s = pd.DataFrame({"customer_id": [1, 2, 3], "frequency": [0, 1, 2], "recency": [0.0, 1.0, 2.0], "T": [3.0, 3.0, 3.0]})
    with pytest.raises(ValueError, match="map_engine"):
        clv.fit_bgnbd(s, method="map", map_engine="fast")
    with pytest.raises(ValueError, match="default priors"):
        clv.fit_bgnbd(s, method="map", map_engine="numpy", model_config={"r": clv.default_bgnbd_priors()["r"]})
