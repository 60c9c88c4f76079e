"""playbook.mmm.model: model build from plain parameters, and the stated reason of the automatic extension."""

import pytest

from playbook.mmm import data as D
from playbook.mmm import model as Mo

from .factory import frame


def test_build_model_rejects_unknown_components():
    inp = D.prepare_input(frame(), "revenue")
    with pytest.raises(ValueError, match="adstock must be one of"):
        Mo.build_model(inp, adstock="nope")
    with pytest.raises(ValueError, match="saturation must be one of"):
        Mo.build_model(inp, saturation="nope")
    model = Mo.build_model(inp, adstock="delayed", saturation="hill", l_max=4, yearly_seasonality=0)
    assert model.channel_columns == ["tv", "search"] and model.yearly_seasonality is None


def test_extension_reason_says_what_was_done():
    assert Mo.extension_reason(True, 0, []).startswith("not needed")
    assert Mo.extension_reason(False, 0, ["R-hat 1.05 above 1.01"]) == (
        "not attempted: no extension budget (max_extensions = 0); the first fit missed R-hat 1.05 above 1.01")
    assert Mo.extension_reason(False, 1, ["R-hat 1.05 above 1.01", "bulk ESS 50 below 200"]) == (
        "the first fit missed R-hat 1.05 above 1.01; bulk ESS 50 below 200")


def test_spec_describes_itself():
    assert Mo.Spec("delayed", "hill", 4, 0).describe() == "delayed adstock (l_max 4), hill saturation, 0 yearly Fourier modes"


@pytest.mark.slow
def test_the_extension_refits_the_same_graph_with_one_compilation(monkeypatch):
    nutpie = pytest.importorskip("nutpie")
    from playbook import mcmc

    compiled = []
    original = nutpie.compile_pymc_model

    def counting(model, **kwargs):
        compiled.append(model)
        return original(model, **kwargs)

    monkeypatch.setattr(nutpie, "compile_pymc_model", counting)
    inp = D.prepare_input(frame(), "revenue")
    settings = mcmc.Settings(draws=20, tune=20, chains=2, sampler="nutpie", seed=1, target_accept=0.9)
    model, ext = Mo.fit_converged(inp, Mo.Spec(l_max=2, yearly_seasonality=0), settings, prior_samples=20, max_extensions=1)
    assert ext.attempted and ext.settings_after.draws == 40  # 20 draws cannot reach 200 bulk ESS: extended
    assert len(compiled) == 1  # ... without compiling the same graph twice
    post = model.idata.posterior
    assert post.sizes["draw"] == 40 and post.sizes["chain"] == 2  # the posterior is the refit's
    assert model.idata.prior.sizes["draw"] == 20 and model.idata.posterior_predictive.sizes["draw"] == 40


def test_spec_builds_the_model_of_its_shape():
    inp = D.prepare_input(frame(), "revenue")
    model = Mo.Spec("delayed", "hill", 4, 0).build(inp)
    assert type(model.adstock).__name__ == "DelayedAdstock" and model.adstock.l_max == 4
    assert type(model.saturation).__name__ == "HillSaturation" and model.yearly_seasonality is None
