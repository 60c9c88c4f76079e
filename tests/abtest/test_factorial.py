"""Factorial tests: the cells, the contract's cell rule, every narrative branch on hand-made results, and recovery (slow)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from playbook import abtest, mcmc
from playbook.abtest import checks, factorial, narrative
from playbook.contracts import ContractError, contract, validate
from playbook.demo.abtest import make_factorial
from playbook.demo.world import World

from .factory import CONVERGED, build


def test_factor_columns_cells_and_segments_exclude_them():
    files, _ = make_factorial(World(), units=2000)
    exp = files["experiment.csv"]
    assert factorial.factor_columns(exp) == ["factor_subject", "factor_image", "factor_send_time"]
    cells = factorial.cells(exp, factorial.factor_columns(exp))
    assert len(cells) == 8 and cells["units"].sum() == 2000
    assert checks.default_segments(exp) == []  # factor_ columns are the design, not segments


def test_the_contract_refuses_a_variant_that_mixes_cells():
    files, _ = make_factorial(World(), units=1000)
    exp = files["experiment.csv"]
    validate(exp, contract("experiment"))
    bad = exp.copy()
    bad.loc[0, "factor_image"] = "product" if bad.loc[0, "factor_image"] == "lifestyle" else "lifestyle"
    with pytest.raises(ContractError, match="one combination of factor_ levels per variant"):
        validate(bad, contract("experiment"))
    gap = exp.copy()
    gap.loc[3, "factor_subject"] = None
    with pytest.raises(ContractError, match="a level for every unit"):
        validate(gap, contract("experiment"))


def _fact(interaction=(0.4, 0.2, 0.6), main=(0.2, 0.05, 0.35)):
    m, lo, hi = main
    im, ilo, ihi = interaction
    combos = pd.DataFrame({"subject": ["plain", "question"], "image": ["product", "product"], "rate_mean": [0.1, 0.14],
                           "prob_best": [0.1, 0.9], "units": [100, 100], "conversions": [10, 14]})
    return factorial.FactorialResult(
        {"subject": ["plain", "question"], "image": ["lifestyle", "product"]},
        {"subject": {"question": {"mean": m, "hdi_low": lo, "hdi_high": hi}}, "image": {"product": {"mean": 0.0, "hdi_low": -0.1, "hdi_high": 0.1}}},
        [{"factors": ["subject", "image"], "levels": ["question", "product"], "mean": im, "hdi_low": ilo, "hdi_high": ihi}],
        combos, CONVERGED)


@pytest.fixture(scope="module")
def base():
    return build()


def test_factorial_sentence_with_interactions_that_matter(base):
    r = replace(base, factorial=_fact())
    text = narrative.factorial_sentence(r)
    assert text.startswith("The best combination is subject = question, image = product (P(best) 90%, conversion 14.00%).")
    assert "Main effects clear of zero (90% interval, log-odds against each factor's first level): subject = question 0.20 [0.05, 0.35]." in text
    assert text.endswith("Interactions matter: subject = question × image = product 0.40 [0.20, 0.60], so read the factors together, not one at a time.")
    assert r.factorial.interactions_matter and r.results()["factorial"]["best"]["combination"] == {"subject": "question", "image": "product"}
    assert narrative.no_factorial_banner(r) == "" and narrative.factorial_title(r).endswith("best: question, product")


def test_factorial_sentence_without_clear_effects(base):
    r = replace(base, factorial=_fact(interaction=(0.1, -0.1, 0.3), main=(0.1, -0.05, 0.25)))
    text = narrative.factorial_sentence(r)
    assert "No main effect has a 90% interval clear of zero." in text and text.endswith("the factors can be read one at a time.")
    assert not r.factorial.interactions_matter
    assert narrative.no_factorial_banner(base).startswith("Not a factorial test")


@pytest.mark.slow
def test_the_demo_factorial_test_recovers_its_effects():
    files, truth = make_factorial(World())
    exp = validate(files["experiment.csv"], contract("experiment"))
    res = abtest.analyze(exp, control="plain|lifestyle|evening", settings=mcmc.Settings(draws=400, tune=400, chains=2, sampler="pymc"),
                         n_draws=5000, aa_sims=0, segments=[])
    fr = res.factorial
    assert fr.diagnostics.rhat_max < 1.05
    for f, levels in truth["main_effects"].items():
        for lv, effect in levels.items():
            assert fr.main_effects[f][lv]["mean"] == pytest.approx(effect, abs=0.2), (f, lv)
    planted = truth["interactions"][0]
    found = next(i for i in fr.interactions if i["factors"] == planted["factors"] and i["levels"] == planted["levels"])
    assert found["mean"] == pytest.approx(planted["effect"], abs=0.2) and found["hdi_low"] > 0 and fr.interactions_matter
    assert fr.best["combination"] == {k: str(v) for k, v in truth["best"].items()} and fr.best["prob_best"] > 0.5
    out = res.results()["factorial"]
    assert set(out["main_effects"]) == {"subject", "image", "send_time"} and len(out["interactions"]) == 3
