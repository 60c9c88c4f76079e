"""``analyze`` end to end: the paths without sampling, the results JSON, and recovery of the demo truth (slow)."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from playbook import mcmc, results
from playbook.contracts import contract, validate
from playbook.demo.launch import simulate
from playbook.launch import analyze

from .factory import mmm_json

DEMO = ROOT / "data" / "demo"
QUICK = mcmc.Settings(draws=300, tune=300, chains=2, sampler="pymc", seed=3)


def adoption(periods, adopters):
    return validate(pd.DataFrame({"period": [str(pd.Timestamp(p).date()) for p in periods], "adopters": adopters}),
                    contract("adoption"), "adoption.csv")


def test_prior_only_with_a_market_potential_needs_no_sampling(tmp_path):
    r = analyze(None, launch_date="2026-03-01", market_potential=40_000, mmm=mmm_json(), revenue_per_adopter=60.0)
    assert r.prior_only and r.diagnostics is None and r.history.launch == pd.Timestamp("2026-03-01")
    assert r.summary.m.median == pytest.approx(40_000, rel=0.05)
    assert [w.file for w in r.warnings] == ["adoption.csv"] and r.warnings[0].rows == "file absent"
    out = r.results()
    assert out["bass"]["source"] == "prior" and out["bass"]["draws"] == "prior" and out["bass"]["converged"] is None
    assert out["plan"]["spend_known"] and all(p["spend"] is not None for p in out["phases"])
    document = results.payload("launch", out, interval=0.9, warnings=r.warnings, data_period=r.data_period)
    path = results.save("launch", document, tmp_path)
    saved = json.loads(path.read_text())
    assert saved["forecast"][0]["period"] == "2026-03-01" and saved["meta"]["data_period"] is None
    assert saved["bass"]["peak_period_index"] == out["bass"]["peak_period_index"] and saved["warnings"][0]["file"] == "adoption.csv"


def test_prior_only_without_m_gives_timing_and_shares():
    r = analyze(None, launch_date="2026-03-01")
    out = r.results()
    assert out["bass"]["m"] == {"mean": None, "hdi_low": None, "hdi_high": None} and out["bass"]["m_source"] == "unknown"
    assert out["forecast"][0]["mean"] is None or np.isnan(out["forecast"][0]["mean"])
    assert out["bass"]["peak_period"] == r.summary.peak.date and "no m (set market_potential)" in r.warnings[0].action
    # the timing is the literature prior's: median peak ln(q/p)/(p+q) with p, q at their prior medians, within sampling error
    assert out["bass"]["peak_time"]["mean"] > 12  # years of monthly periods: the analogue diffusion is slow


def test_zero_adopters_fall_back_to_the_priors_with_a_warning():
    r = analyze(adoption(pd.date_range("2025-01-01", periods=4, freq="MS"), [0, 0, 0, 0]))
    assert r.prior_only and r.history.source == "prior" and r.history.launch == pd.Timestamp("2025-01-01")
    assert "every period has 0" in r.warnings[0].assumption and "set market_potential" in r.warnings[0].action
    comparable = analyze(adoption(pd.date_range("2020-01-01", periods=4, freq="MS"), [0] * 4), launch_date="2026-01-01")
    assert comparable.prior_only and comparable.history.launch == pd.Timestamp("2026-01-01")


@pytest.mark.slow
def test_recovers_the_demo_truth_within_its_intervals():
    """The demo's weekly adoption (truth: m, p, q in truth.json) gives intervals that hold the truth."""
    truth = json.loads((DEMO / "truth.json").read_text())["launch"]
    frame = validate(pd.read_csv(DEMO / "adoption.csv"), contract("adoption"), "adoption.csv")
    r = analyze(frame, settings=mcmc.Settings(draws=500, tune=500, chains=2, sampler="pymc", seed=11))
    assert r.converged, r.diagnostics.problems()
    s = r.summary
    for name in ("m", "p", "q"):
        est = getattr(s, name)
        assert est.low <= truth[name] <= est.high, (name, truth[name], est)
    assert s.peak.time.low <= truth["peak_time"] <= s.peak.time.high
    assert s.half_potential.time.low <= truth["half_potential_time"] <= s.half_potential.time.high
    assert abs(s.m.mean / truth["m"] - 1) < 0.25 and s.peak.prob_observed < 0.1  # the demo's peak is still ahead


@pytest.mark.slow
def test_a_comparable_with_a_seasonal_swing_still_lends_p_and_q():
    """Misspecified: monthly counts with a ±20 % yearly season the model does not know; the new service launches later."""
    months = 48
    p, q = 0.06 / 12, 0.5 / 12
    counts = simulate(80_000, p, q, months, 500.0, np.random.default_rng(5))
    counts = np.round(counts * (1 + 0.2 * np.sin(2 * np.pi * np.arange(months) / 12))).astype(int)
    frame = adoption(pd.date_range("2019-01-01", periods=months, freq="MS"), counts)
    r = analyze(frame, launch_date="2026-06-01", market_potential=30_000, settings=QUICK)
    assert r.history.source == "comparable" and r.priors.m_source == "market_potential"
    assert r.summary.m.median == pytest.approx(30_000, rel=0.05)  # the new service's own potential
    # the negative-binomial noise absorbs the season: the intervals widen and still hold the true p and q
    assert r.summary.p_per_year.low <= 0.06 <= r.summary.p_per_year.high
    assert r.summary.q_per_year.low <= 0.5 <= r.summary.q_per_year.high
    assert r.forecast["period"].iloc[0] == pd.Timestamp("2026-06-01") and r.forecast["observed"].isna().all()
    assert r.summary.peak.prob_observed is None and r.results()["bass"]["source"] == "comparable"
