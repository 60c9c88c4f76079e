"""Tests for playbook.demo.abtest: contract, size, truth, SRM option, reproducibility."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit

from playbook.contracts import contract, validate
from playbook.demo import abtest as experiment
from playbook.demo import write_csv
from playbook.demo.world import World


@pytest.fixture(scope="module")
def made():
    return experiment.make(World())


def test_file_satisfies_contract_and_size(made, tmp_path):
    files, truth = made
    assert set(files) == {"experiment.csv"}
    frame = files["experiment.csv"]
    validate(frame, contract("experiment"), "experiment.csv")
    write_csv(frame, tmp_path / "experiment.csv")
    assert (tmp_path / "experiment.csv").stat().st_size < 1.5e6
    assert len(frame) == 24_000 and frame["unit_id"].is_unique
    assert set(frame["region"]) <= set(World().regions)
    assert frame["assigned_at"].dt.normalize().nunique() == experiment.DAYS
    json.dumps(truth)  # JSON-safe


def test_truth_is_consistent(made):
    _, truth = made
    assert truth["control"] == "A" and truth["variants"] == ["A", "B", "C"]
    assert 0.08 <= truth["uplift"]["B"] <= 0.12 and truth["uplift"]["C"] == 0.0
    assert truth["uplift"]["B"] == pytest.approx(truth["rate"]["B"] / truth["rate"]["A"] - 1)
    # the heterogeneous segment: B helps mobile most
    dev = truth["segments"]["device"]
    assert dev["mobile"]["uplift"]["B"] > 2 * dev["desktop"]["uplift"]["B"]


def test_truth_quadrature_matches_simulation():
    # one cell simulated with many draws agrees with the Gauss-Hermite truth
    rng = np.random.default_rng(0)
    v = rng.normal(size=2_000_000)
    logit = experiment._logit("B", "mobile", "new") + experiment.VALUE_LOGIT * v
    p = expit(logit)
    basket = np.exp(experiment.BASKET_LOG_MEAN + experiment.BASKET_VALUE * v + experiment.BASKET_SIGMA**2 / 2)
    rate, rpu = experiment._cell_truth("B", "mobile", "new")
    assert p.mean() == pytest.approx(rate, rel=2e-3)
    assert (p * basket).mean() == pytest.approx(rpu, rel=5e-3)


def test_sample_agrees_with_truth(made):
    files, truth = made
    frame = files["experiment.csv"]
    rates = frame.groupby("variant")["converted"].mean()
    for v in truth["variants"]:
        se = np.sqrt(truth["rate"][v] * (1 - truth["rate"][v]) / (frame["variant"] == v).sum())
        assert abs(rates[v] - truth["rate"][v]) < 4 * se
    # planted wholesale orders: the largest revenues are in A and C as declared
    top = frame.nlargest(len(experiment.OUTLIERS), "revenue")
    assert sorted(top["variant"]) == sorted(v for v, _ in experiment.OUTLIERS)
    # pre-period revenue only for returning customers, and correlated with revenue
    assert (frame.loc[frame["customer_type"] == "new", "pre_period_revenue"] == 0).all()
    assert np.corrcoef(frame["revenue"].clip(upper=500), frame["pre_period_revenue"])[0, 1] > 0.1


def test_srm_option_and_reproducibility(made):
    files, _ = made
    again, _ = experiment.make(World())
    assert again["experiment.csv"].equals(files["experiment.csv"])
    lossy, truth = experiment.make(World(), srm_drop=0.05)
    counts = lossy["experiment.csv"]["variant"].value_counts()
    assert truth["srm_drop"] == 0.05 and counts["B"] < 0.97 * counts["A"]
    assert len(experiment.make(World(scale=0.1))[0]["experiment.csv"]) == 2400
    with pytest.raises(ValueError):
        experiment.make(World(), srm_drop=1.5)
