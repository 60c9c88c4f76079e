"""analyze(): which parts run for which inputs, and the results JSON they build."""

from __future__ import annotations

import pytest

from playbook import attribution

from .builders import daily_funnel, result


def test_nothing_to_analyse_is_refused():
    with pytest.raises(ValueError, match="nothing to analyse"):
        attribution.analyze()


def test_paths_only_results_carry_the_attribution_keys(paths_only):
    out = paths_only.results()
    assert out["alerts"] == [] and "funnel" not in out
    assert set(out["markov"]["a"]) == {"conversions", "conversions_low", "conversions_high", "value", "removal_effect", "removal_effect_value"}
    assert {"first_touch", "last_touch", "linear", "time_decay", "position_based", "shapley", "shares"} <= set(out)
    meta = out["attribution_meta"]
    assert meta["lookback_days"] is None and meta["n_bootstrap"] == 2 and meta["interval"] == 0.9 and meta["warnings"] == []
    assert sum(v["conversions"] for v in out["markov"].values()) == pytest.approx(75)
    assert paths_only.data_period is None


def test_funnel_only_results_carry_the_funnel_keys(funnel_only):
    out = funnel_only.results()
    assert "markov" not in out and "attribution_meta" not in out
    assert out["funnel"]["a"]["largest_dropoff_stage"] == "clicks→signups" and out["kpi_status"] == []
    assert {r["channel"] for r in out["kpi_trend"]} >= {"a", "b"}
    assert funnel_only.data_period == (daily_funnel()["date"].min().date(), daily_funnel()["date"].max().date())


def test_the_interval_parameter_sets_every_interval():
    wide, narrow = result(paths=None, funnel=daily_funnel(), interval=0.95), result(paths=None, funnel=daily_funnel(), interval=0.5)
    w, n = wide.results()["funnel"]["a"], narrow.results()["funnel"]["a"]
    assert w["cvr"] == pytest.approx(n["cvr"]) and w["cvr_high"] - w["cvr_low"] > n["cvr_high"] - n["cvr_low"]


def test_smoke_caps_the_bootstrap():
    assert attribution.Settings(n_bootstrap=100, smoke=True).bootstrap_replicates == attribution.SMOKE_BOOTSTRAP
    assert attribution.Settings(n_bootstrap=100).bootstrap_replicates == 100


def test_the_markov_order_is_chosen_out_of_sample_or_fixed():
    from .builders import paths_csv

    memory = [("a>b", 300, 3000.0, 100), ("c>b", 40, 400.0, 360), ("a", 50, 500.0, 150), ("c", 50, 500.0, 150)]
    chosen = attribution.analyze(paths=paths_csv(memory), settings=attribution.Settings(n_bootstrap=2))
    out = chosen.results()
    assert out["markov_order"] == 2 and out["markov_order_selection"]["order"] == 2
    assert set(out["markov_first_order"]) == {"a", "b", "c"} and out["time_to_conversion"] == {}
    # second order sees that c > b rarely converts: c gets less than on the first-order chain
    assert out["markov"]["c"]["conversions"] < out["markov_first_order"]["c"]["conversions"]
    fixed = attribution.analyze(paths=paths_csv(memory), settings=attribution.Settings(n_bootstrap=2, markov_order=1)).results()
    assert fixed["markov_order"] == 1 and "markov_first_order" not in fixed
    assert fixed["markov_order_selection"] == {"order": 1, "rule": "fixed by the markov_order parameter"}
