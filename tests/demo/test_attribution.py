"""Tests for the demo part playbook.demo.attribution: contracts, size, truth, planted anomalies."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from playbook import contracts
from playbook.attribution import funnel, kpi
from playbook.demo import write_file
from playbook.demo.attribution import conversion_probability, make, shapley_of_set
from playbook.demo.world import World


@pytest.fixture(scope="module")
def demo():
    return make(World())


def test_files_satisfy_contracts_and_stay_small(demo, tmp_path):
    files, truth = demo
    assert set(files) == {"funnel.csv", "touchpoints.csv", "conversions.csv", "kpi_targets.yaml"}
    total = 0
    for name, content in files.items():
        write_file(content, tmp_path / name)
        total += (tmp_path / name).stat().st_size
        if name.endswith(".csv"):
            contracts.validate(pd.read_csv(tmp_path / name), contracts.contract(name[:-4]), name)
    assert total < 1.5e6
    assert (tmp_path / "touchpoints.csv").stat().st_size + (tmp_path / "conversions.csv").stat().st_size < 1.0e6
    json.dumps(truth)  # JSON-safe
    kpi.parse_targets(files["kpi_targets.yaml"], list(World().channels))  # targets parse


def test_funnel_spend_is_the_shared_media_plan(demo):
    files, _ = demo
    f = files["funnel.csv"].pivot(index="date", columns="channel", values="spend")
    plan = World().daily_spend()
    pd.testing.assert_frame_equal(f[plan.columns], plan, check_names=False, check_freq=False)
    stages = files["funnel.csv"]
    assert (stages["clicks"] <= stages["impressions"]).all() and (stages["orders"] <= stages["signups"]).all()


def test_generating_rates_are_recovered_from_the_funnel(demo):
    files, truth = demo
    econ = funnel.unit_economics(files["funnel.csv"]).set_index("channel")
    for ch, r in truth["funnel"]["rates"].items():
        # tolerance: pay rate within 3 %; CPM within 8 % (day noise, anomalies, flighting)
        assert econ.loc[ch, "pay_rate"] == pytest.approx(r["pay_rate"], rel=0.03)
        cpm = econ.loc[ch, "spend"] / econ.loc[ch, "impressions"] * 1000
        assert cpm == pytest.approx(r["cpm"], rel=0.08)


def test_planted_anomalies_are_on_air_and_journey_truth_is_consistent(demo):
    files, truth = demo
    f = files["funnel.csv"]
    for a in truth["funnel"]["anomalies"]:
        days = f[(f.channel == a["channel"]) & f.date.isin(pd.to_datetime(a["dates"]))]
        assert len(days) == len(a["dates"]) and (days.spend > 0).all()
    j = truth["journeys"]
    assert j["n_conversions"] == len(files["conversions.csv"])
    assert abs(j["n_conversions"] - j["expected_conversions"]) < 4 * j["expected_conversions"] ** 0.5
    # Shapley of v(U) = P(convert | U), v(∅) = 0 is efficient per coalition
    effects = {c: v["effect"] for c, v in j["channels"].items()}
    s = ("kol", "search", "social")
    phi = shapley_of_set(s, lambda u: conversion_probability(u, effects) if u else 0.0)
    assert sum(phi.values()) == pytest.approx(conversion_probability(set(s), effects))
    assert sum(v["shapley_conversions"] for v in j["channels"].values()) == pytest.approx(j["expected_conversions"])


def test_deterministic_and_scaled():
    a, _ = make(World(scale=0.05))
    b, _ = make(World(scale=0.05))
    pd.testing.assert_frame_equal(a["touchpoints.csv"], b["touchpoints.csv"])
    assert a["touchpoints.csv"]["journey_id"].nunique() == 400


@pytest.mark.slow
def test_planted_anomalies_are_alerted(demo):
    files, truth = demo
    alerts = kpi.detect_anomalies(files["funnel.csv"])
    planted_days = set()
    for a in truth["funnel"]["anomalies"]:
        dates = set(pd.to_datetime(a["dates"]))
        planted_days |= {(a["channel"], d) for d in dates}
        hit = alerts[(alerts.channel == a["channel"]) & (alerts.metric == a["metric"]) & alerts.bad & alerts.date.isin(dates)]
        # tolerance: at least 80 % of the planted days alerted, on the planted metric, as bad news
        assert len(hit) >= 0.8 * len(dates), (a, hit)
    other = alerts[[(c, d) not in planted_days for c, d in zip(alerts.channel, alerts.date)]]
    # tolerance: fewer than 30 false alarm days over 6 channels × 4 metrics × 1,092 days (≈ 0.1 %)
    assert len(other) < 30
