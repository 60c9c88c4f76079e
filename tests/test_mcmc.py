import io
import re

import numpy as np
import pytest

from playbook import mcmc


def test_settings_check_their_values_and_build_sampler_arguments():
    s = mcmc.Settings(draws=200, tune=100, chains=2, sampler="pymc", seed=3)
    kw = s.sample_kwargs()
    assert kw["draws"] == 200 and kw["tune"] == 100 and kw["nuts_sampler"] == "pymc" and kw["random_seed"] == 3
    assert 1 <= kw["cores"] <= 2 and kw["progressbar"] is False
    assert s.with_(draws=50).draws == 50 and s.total_draws == 400
    assert "2 chains × 200 draws (100 warm-up), pymc" == s.describe()
    with pytest.raises(ValueError, match="sampler"):
        mcmc.Settings(sampler="gibbs")
    with pytest.raises(ValueError):
        mcmc.Settings(draws=0)


def test_diagnostics_flag_what_misses_the_thresholds():
    good = mcmc.Diagnostics(1.002, 800, 700, 0, chains=2, draws=1000)
    assert good.converged and good.problems() == []
    bad = mcmc.Diagnostics(1.03, 150, 100, 3, chains=2, draws=1000)
    assert not bad.converged
    assert bad.problems() == ["R-hat 1.030 above 1.01", "bulk ESS 150 below 200", "3 divergent transitions"]
    single = mcmc.Diagnostics(float("nan"), 400, 400, 0, chains=1, draws=1000)
    assert single.converged


def test_progress_writes_lines_while_the_block_runs():
    stream = io.StringIO()
    import time

    with mcmc.progress("tiny fit", mcmc.Settings(draws=10, tune=10, chains=1, sampler="pymc"), every_s=0.05, stream=stream):
        time.sleep(0.3)
    lines = stream.getvalue().splitlines()
    assert any("tiny fit (1 chain × 10 draws (10 warm-up), pymc)" in ln and "s elapsed" in ln for ln in lines)
    assert lines[-1].startswith("playbook progress: tiny fit: finished in")


def test_progress_lines_say_draws_done_and_seconds_left():
    stream = io.StringIO()
    import time

    settings = mcmc.Settings(draws=50, tune=50, chains=1, sampler="pymc")
    with mcmc.progress("fake fit", settings, every_s=0.05, stream=stream):
        time.sleep(0.12)  # compiling: no draws yet
        for _ in range(60):
            mcmc.count_draw(trace=None, draw=None)
            time.sleep(0.004)
        time.sleep(0.15)
    lines = stream.getvalue().splitlines()
    assert lines[0].endswith("pymc): 0 s elapsed")  # before the first draw: the time only
    done = [ln for ln in lines if "fake fit (1 chain × 50 draws (50 warm-up), pymc): 60 of 100 draws (60%)" in ln]
    assert done and re.search(r"s elapsed, about \d+ s left$", done[-1])
    mcmc.count_draw()  # outside a progress block: nothing to count, no error


def test_the_nutpie_bridge_pymc_uses_counts_draws_too():
    import inspect

    import pymc.sampling.mcmc as pymc_mcmc
    from pymc.progress_bar.progress import NutpieProgressBarManager

    # PyMC hands nutpie this bridge's update as progress_callback; if that changes, this test says so
    assert "progress_callback=pb_manager.update" in inspect.getsource(pymc_mcmc._sample_external_nuts)
    assert pymc_mcmc.NutpieProgressBarManager is NutpieProgressBarManager

    class Chain:  # what nutpie passes: per-chain finished and total draws, warm-up included
        def __init__(self, finished):
            self.finished_draws, self.total_draws, self.started = finished, 40, True
            self.divergent_draws, self.latest_num_steps = [], 3

    stream = io.StringIO()
    settings = mcmc.Settings(draws=20, tune=20, chains=2, sampler="nutpie")
    with mcmc.progress("nutpie fit", settings, every_s=0.05, stream=stream):
        bar = NutpieProgressBarManager(chains=2, draws=20, progressbar=False)
        with bar:
            bar.update([Chain(10), Chain(30)])
        import time

        time.sleep(0.12)
    assert "40 of 80 draws (50%)" in stream.getvalue()


def test_progress_relay_echoes_progress_lines_and_keeps_everything():
    log, echoed = io.StringIO(), []
    relay = mcmc.ProgressRelay(log, echoed.append)
    relay.write("some warning\nplaybook progress: fit: 10 of 20 draws (50%), 3 s elapsed")
    assert echoed == []  # a line is echoed once it is complete
    relay.write(", about 3 s left\nplaybook progress: fit: finished in 6 s\n")
    relay.flush()
    assert echoed == ["playbook progress: fit: 10 of 20 draws (50%), 3 s elapsed, about 3 s left",
                      "playbook progress: fit: finished in 6 s"]
    assert log.getvalue().startswith("some warning\nplaybook progress: fit: 10 of 20")


def test_sample_and_diagnostics_on_a_conjugate_normal_model(monkeypatch):
    import pymc as pm

    calls = []
    monkeypatch.setattr(mcmc, "count_draw", lambda **kw: calls.append(kw["draw"].tuning))

    rng = np.random.default_rng(0)
    y = rng.normal(0.5, 1.0, 200)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0, 10)
        pm.Normal("y", mu, 1.0, observed=y)
    idata = mcmc.sample(model, mcmc.Settings(draws=400, tune=400, chains=2, sampler="pymc", seed=1), label="normal mean")
    post_mean = float(idata.posterior["mu"].mean())
    exact = y.sum() / (len(y) + 1 / 100)  # conjugate posterior mean with prior sd 10
    assert abs(post_mean - exact) < 4 * (1 / np.sqrt(len(y))) / np.sqrt(200)  # 4 Monte Carlo standard errors at ESS ≥ 200
    diag = mcmc.diagnostics(idata, ["mu"])
    assert diag.chains == 2 and diag.draws == 400 and diag.divergences == 0
    assert diag.rhat_max < 1.02 and diag.ess_bulk_min > 200
    # pm.sample called the progress callback once per draw, warm-up included, for both chains
    assert len(calls) == 2 * (400 + 400) and sum(calls) == 2 * 400


def test_compile_once_compiles_each_model_object_once_inside_the_block_only(monkeypatch):
    nutpie = pytest.importorskip("nutpie")
    calls = []

    def fake_compile(model, **kwargs):
        calls.append((model, kwargs))
        return ("compiled", len(calls))

    monkeypatch.setattr(nutpie, "compile_pymc_model", fake_compile)
    a, b = object(), object()
    with mcmc.compile_once():
        first = nutpie.compile_pymc_model(a, var_names=["x"])
        assert nutpie.compile_pymc_model(a, var_names=["x"]) is first  # the same model again: no new compilation
        assert nutpie.compile_pymc_model(b, var_names=["x"]) == ("compiled", 2)  # another model compiles
        assert nutpie.compile_pymc_model(a, var_names=["y"]) == ("compiled", 3)  # other options compile
    assert len(calls) == 3 and nutpie.compile_pymc_model is fake_compile  # restored after the block
    nutpie.compile_pymc_model(a, var_names=["x"])
    assert len(calls) == 4  # outside the block every call compiles, as PyMC expects
