"""playbook.personas.analyze: the result object, its results JSON and the personas.csv side file."""

import pytest

from playbook.personas import lifecycle

from . import factory


@pytest.fixture(scope="module")
def r():
    return factory.base()


def test_results_keep_every_documented_key(r):
    res = r.results()
    assert {"customers", "orders", "revenue", "observation_end", "revenue_concentration", "segments", "personas", "persona_model",
            "lifecycle", "at_risk", "cohorts", "clv"} <= set(res)
    assert set(res["clv"]["bgnbd"]) == {"r", "alpha", "a", "b"} and {"p", "q", "v"} <= set(res["clv"]["gamma_gamma"])
    gg = res["clv"]["gamma_gamma"]
    assert gg["frequency_spend_correlation"] == pytest.approx(r.independence.correlation)
    assert gg["independence_ok"] == (abs(gg["frequency_spend_correlation"]) < gg["correlation_threshold"])
    assert res["clv"]["interval_prob"] == 0.9 and res["clv"]["method"] == "map"
    assert sum(p["customers"] for p in res["personas"].values()) == res["customers"] == r.customers
    assert sum(s["customers"] for s in res["segments"].values()) == res["customers"]
    assert set(res["lifecycle"]) == set(lifecycle.LIFECYCLE_STAGES)
    assert res["settings"] == {"discount_rate": 0.1, "margin": 0.4, "horizon": 26, "time_unit": "W", "interval": 0.9,
                               "purchase_model": "mbgnbd"}


def test_persona_model_states_its_strength(r):
    pm = r.results()["persona_model"]
    assert pm["bootstrap_resamples"] == 10 and -1 <= pm["stability_ari"] <= 1 and pm["stability_ari_low"] <= pm["stability_ari"]
    assert pm["silhouette"] == r.fit.k_scores.set_index("k").loc[r.fit.k, "silhouette"]
    assert pm["weak"] == (pm["silhouette"] < 0.5 or pm["stability_ari"] < 0.75)
    assert pm["lead"] == ("rfm_segments" if pm["weak"] else "personas") and pm["k_rule"] == "highest silhouette among the k tried"


def test_bootstrap_stability_is_high_for_well_separated_groups_and_low_for_noise():
    import numpy as np
    import pandas as pd

    from playbook.personas import clusters

    rng = np.random.default_rng(0)
    centers = np.array([[0, 0], [8, 0], [0, 8]])
    X = pd.DataFrame(centers[np.repeat([0, 1, 2], 100)] + rng.normal(0, 0.5, (300, 2)), columns=["a", "b"])
    fit = clusters.fit_personas(X, 3, seed=1)
    aris = clusters.bootstrap_stability(X, fit, n_boot=5, seed=1)
    assert len(aris) == 5 and aris.min() > 0.95
    noise = pd.DataFrame(rng.normal(0, 1, (300, 6)), columns=list("abcdef"))
    nfit = clusters.fit_personas(noise, 6, seed=1)
    assert clusters.bootstrap_stability(noise, nfit, n_boot=5, seed=1).mean() < 0.75
    assert len(clusters.bootstrap_stability(X, fit, n_boot=0)) == 0


def test_activation_has_one_row_per_customer(r):
    a = r.activation()
    assert len(a) == r.customers and a["customer_id"].is_unique
    assert list(a.columns) == ["customer_id", "rfm_segment", "persona", "lifecycle", "p_alive", "clv_mean", "clv_low", "clv_high"]


def test_profiles_are_ordered_by_revenue_share_and_carry_clv(r):
    shares = r.profiles["revenue_share"].tolist()
    assert shares == sorted(shares, reverse=True)
    assert {"clv_mean", "clv_low", "clv_high"} <= set(r.profiles.columns)


def test_observation_end_drops_later_orders():
    frame = factory.orders()
    end = frame["order_date"].quantile(0.8).normalize()
    from playbook import mcmc
    from playbook.personas import analyze

    cut = analyze(frame, None, observation_end=end, method="map", k_range=range(2, 4),
                  settings=mcmc.Settings(draws=1, tune=0, chains=1, sampler="pymc", seed=1))
    assert cut.end == end and cut.orders == int((frame["order_date"] <= end).sum())
    assert cut.rfm["recency_days"].min() >= 0


@pytest.mark.parametrize("model", ["mbgnbd", "bgnbd"])
def test_no_one_time_buyer_silent_for_years_is_reported_certainly_alive(model):
    """Customers acquired in the first two months of four years, most of them never back: under MBG/NBD their P(alive)
    falls with silence; under BG/NBD (where it would be 1) it is left empty, and they are left out of the counts."""
    from playbook.personas import analyze

    frame = factory.silent_one_timers()
    r = analyze(frame, None, method="map", k_range=range(2, 4), settings=factory.MAP, purchase_model=model)
    one = r.one_time.assign(silence=r.btyd.loc[r.btyd["frequency"] == 0, "T"].to_numpy())
    long_silent = one.loc[one["silence"] > 104]  # two years and more, in weeks
    assert len(long_silent) > 50
    csv = r.activation().set_index("customer_id")
    res = r.results()["clv"]
    if model == "mbgnbd":
        assert long_silent["p_alive"].max() < 0.9 and long_silent["p_alive"].median() < 0.5
        assert res["one_time_buyers"]["status"] == "modelled" and res["one_time_buyers"]["p_alive_max"] < 1
        assert csv.loc[long_silent["customer_id"], "p_alive"].notna().all()
    else:
        assert long_silent["p_alive"].isna().all()
        assert csv.loc[long_silent["customer_id"], "p_alive"].isna().all()
        assert res["one_time_buyers"]["status"] == "unknown" and res["status"]["unknown"] == len(r.one_time)
        assert res["status"]["alive"] + res["status"]["gone"] + res["status"]["unknown"] == r.customers
    assert res["model"]["chosen"] == model

