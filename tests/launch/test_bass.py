"""The Bass curve's closed forms, the priors and the model configuration handed to PyMC-Marketing."""

import math

import numpy as np
import pytest

from playbook.launch import bass

P, Q = 0.004, 0.05


def test_the_closed_forms_agree_with_pymc_marketing():
    import pymc.dims as pmd
    from pymc_marketing.bass.model import F, f

    t = np.array([0.5, 7.5, 40.5])
    time = pmd.as_xtensor(t, dims=("T",))
    np.testing.assert_allclose(bass.cumulative_share(P, Q, t), F(P, Q, time).eval(), rtol=1e-10)
    np.testing.assert_allclose(bass.adoption_rate(P, Q, t), f(P, Q, time).eval(), rtol=1e-10)


def test_the_curve_starts_at_zero_ends_at_one_and_its_rate_is_its_slope():
    assert bass.cumulative_share(P, Q, 0.0) == 0.0
    assert bass.cumulative_share(P, Q, 1e4) == pytest.approx(1.0)
    t, h = 30.0, 1e-5
    slope = (bass.cumulative_share(P, Q, t + h) - bass.cumulative_share(P, Q, t - h)) / (2 * h)
    assert bass.adoption_rate(P, Q, t) == pytest.approx(slope, rel=1e-6)
    assert bass.adoption_rate(P, Q, 0.0) == pytest.approx(P)  # only innovators at the launch


def test_peak_time_maximises_the_adoption_rate_and_is_zero_when_innovation_leads():
    grid = np.linspace(0, 200, 200_001)
    assert bass.peak_time(P, Q) == pytest.approx(grid[np.argmax(bass.adoption_rate(P, Q, grid))], abs=1e-3)
    assert bass.peak_time(P, Q) == pytest.approx(math.log(Q / P) / (P + Q))
    assert bass.peak_time(0.3, 0.1) == 0.0


@pytest.mark.parametrize("share", [0.025, 0.5, 0.9])
def test_time_to_share_inverts_the_curve(share):
    t = bass.time_to_share(P, Q, share)
    assert bass.cumulative_share(P, Q, t) == pytest.approx(share)
    if share == 0.5:
        assert t == pytest.approx(math.log(2 + Q / P) / (P + Q))


def test_lognormal_priors_are_stated_by_their_mean_and_cover_their_interval():
    prior = bass.LogNormalPrior.from_mean(0.03, 1.0)
    assert prior.mean == pytest.approx(0.03) and prior.median == pytest.approx(0.03 * math.exp(-0.5))
    draws = prior.draw(np.random.default_rng(0), 200_000)
    low, high = prior.interval(0.9)
    assert np.mean((draws > low) & (draws < high)) == pytest.approx(0.9, abs=0.005)
    assert prior.scaled(1 / 12).median == pytest.approx(prior.median / 12)


def test_priors_from_the_literature_are_rescaled_to_the_period():
    monthly = bass.make_priors(12.0, adopters_so_far=1000)
    assert monthly.p.mean * 12 == pytest.approx(bass.LITERATURE_P) and monthly.q.mean * 12 == pytest.approx(bass.LITERATURE_Q)
    weekly = bass.make_priors(365.25 / 7, adopters_so_far=1000)
    assert weekly.q.mean == pytest.approx(bass.LITERATURE_Q * 7 / 365.25)
    lo, hi = bass.LogNormalPrior.from_mean(bass.LITERATURE_P, bass.P_LOG_SD).interval(0.9)
    assert lo < 0.005 and hi > 0.08  # wide enough for the published range of p (about 0.001-0.03, means to 0.03)


def test_the_prior_on_m_comes_from_market_potential_then_history_else_it_is_unknown():
    stated = bass.make_priors(12.0, market_potential=50_000, market_potential_uncertainty=0.2, adopters_so_far=1000)
    assert (stated.m.median, stated.m.log_sd, stated.m_source) == (50_000, 0.2, "market_potential")
    seen = bass.make_priors(12.0, adopters_so_far=1000)
    assert seen.m.median == bass.M_PRIOR_MULTIPLE * 1000 and seen.m_source == "history"
    unknown = bass.make_priors(12.0, adopters_so_far=0)
    assert unknown.m is None and unknown.m_source == "unknown"
    with pytest.raises(ValueError, match="the Bass model needs a prior on m"):
        unknown.model_config()
    with pytest.raises(ValueError, match="must be > 0"):
        bass.make_priors(12.0, analogue_p=0.0)


def test_prior_draws_follow_the_priors():
    priors = bass.make_priors(12.0, market_potential=10_000)
    draws = bass.prior_draws(priors, n=20_000, seed=3)
    assert draws.kind == "prior" and len(draws) == 20_000
    assert np.median(draws.m) == pytest.approx(10_000, rel=0.02) and np.median(draws.q) == pytest.approx(priors.q.median, rel=0.03)
    assert bass.prior_draws(bass.make_priors(12.0), n=10).m is None


def test_the_model_handed_to_pymc_marketing_has_the_stated_priors():
    import xarray as xr
    from pymc_marketing.bass import BassModel

    priors = bass.make_priors(12.0, adopters_so_far=500)
    model = BassModel(model_config=priors.model_config())
    model.build_model(xr.Dataset({"observed": ("T", np.array([10, 20, 30]))}, coords={"T": np.arange(3) + 0.5}))
    assert {v.name for v in model.model.free_RVs} == {"m", "p", "q", "y_alpha"}
    assert [v.name for v in model.model.observed_RVs] == ["y"]
    config = priors.model_config()
    assert config["m"].distribution == "LogNormal" and config["m"].parameters == {"mu": math.log(1500), "sigma": bass.M_PRIOR_LOG_SD}
    assert config["likelihood"].distribution == "NegativeBinomial" and "lognormal" in str(model.model["m"].owner)
