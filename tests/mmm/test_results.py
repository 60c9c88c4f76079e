"""playbook.mmm results: mmm.json from a hand-made result object, with the plan recommended and withheld."""

import json

import pandas as pd
import pytest

from playbook import mmm as M
from playbook.launch.plan import spend_basis
from playbook.results import to_jsonable

from .factory import failed_card, holdout, passed_card, plan, result, summary


def test_results_payload_has_the_public_keys():
    s = M.rank_channels(summary())
    health = M.assess_health(1.0, 900, 0, 0.95, chains=2, holdout=holdout(0.04, 0.7), prior_sd_ratio_max=0.2)
    p = plan(current={"a": 10.0, "b": 10.0, "c": 10.0}, optimal={"a": 13.0, "b": 7.0, "c": 10.0})
    out = M.results_payload(s, health, p)
    for ch in "abc":
        assert set(out["channels"][ch]) >= {"spend", "contribution_mean", "contribution_share", "roas_mean", "roas_hdi_low", "roas_hdi_high", "mroas_mean"}
        assert set(out["optimizer"][ch]) == {"current", "optimal", "at_bound", "limited_by"}
    assert set(out["diagnostics"]) >= {"rhat_max", "ess_bulk_min", "divergences", "holdout_mape", "passed"}
    assert {"expected_uplift_mean", "expected_uplift_hdi_low", "expected_uplift_hdi_high"} <= set(out["optimizer"])
    assert out["optimizer"]["a"]["optimal"] == 13.0 and out["optimizer"]["recommended"]
    assert out["optimizer"]["a"]["at_bound"] and not out["optimizer"]["c"]["at_bound"]
    # failing the card withholds the recommendation
    failed = M.assess_health(1.2, 900, 0, 0.95, chains=2)
    withheld = M.results_payload(s, failed, p, pd.Series({"a": 10.0, "b": 10.0, "c": 10.0}))
    assert withheld["optimizer"]["a"] == {"current": 10.0, "optimal": None, "at_bound": None, "limited_by": None}
    assert withheld["optimizer"]["expected_uplift_mean"] is None and not withheld["optimizer"]["recommended"]
    assert withheld["optimizer_profit"]["expected_profit_mean"] is None


def test_mmm_json_from_a_result_carries_every_new_key():
    r = result(margin=0.5, dropped=("radio",))
    out = json.loads(json.dumps(to_jsonable(r.results())))
    tv = out["channels"]["tv"]
    for k in ("profit_roi_mean", "profit_roi_hdi_low", "profit_roi_hdi_high", "prob_profitable", "prob_marginal_profitable",
              "mroas_current_mean", "mroas_current_hdi_low", "mroas_current_hdi_high", "tier", "contribution_share_hdi_low"):
        assert tv[k] is not None, k
    assert tv["profit_roi_mean"] == pytest.approx(tv["roas_mean"] * 0.5 - 1)
    assert out["settings"]["margin"] == 0.5 and out["settings"]["break_even_roas"] == 2.0
    assert set(out["media_share"]) == {"mean", "hdi_low", "hdi_high"}
    assert out["optimizer_profit"]["total_weekly_budget"] == 1650.0 and out["optimizer_profit"]["tv"]["at_bound"] is True
    assert out["optimizer_profit"]["expected_profit_hdi_low"] < out["optimizer_profit"]["expected_profit_mean"]
    assert out["diagnostics"]["extended"]["attempted"] is False and out["diagnostics"]["extended"]["reason"].startswith("not needed")
    assert out["data_checks"]["dropped_channels"][0]["channel"] == "radio"
    assert out["brief"][0]["kind"] == "budget_move"
    assert set(out["response_curves"]) == {"tv", "search"}


def test_the_launch_notebook_can_price_its_plan_from_mmm_json():
    """The hand-off: launch reads response_curves, diagnostics.passed and the optimizer's weekly spend."""
    out = to_jsonable(result().results())
    basis = spend_basis({**out, "meta": {"interval": 0.9}})
    assert basis.known and set(basis.curves) == {"tv", "search"} and basis.mix_source == "recommended"
    withheld = to_jsonable(result(passed=False).results())
    assert spend_basis({**withheld, "meta": {"interval": 0.9}}).reason is not None


def test_cards_fixture_health_lines():
    assert passed_card().passed and not failed_card().passed


@pytest.mark.parametrize("passed", [True, False])
def test_mmm_json_has_every_required_key_of_the_smoke_test(passed):
    from test_notebook_smoke import REQUIRED_KEYS, lookup

    data = json.loads(json.dumps(to_jsonable(result(passed=passed).results())))
    for key in REQUIRED_KEYS["mmm"]:
        values = lookup(data, key)
        if not passed and key.startswith(("optimizer.", "optimizer_profit.")):
            continue  # withheld: the keys stay, their values are null
        assert values and all(v is not None for v in values), key
