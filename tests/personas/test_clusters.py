"""Tests for playbook.personas.clusters: clustering features, persona fits and profiles, and recovery of the demo's segments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from playbook.demo import personas as demo_customers
from playbook.demo.world import World
from playbook.personas import clusters, summary

from .builders import END, order_book


def test_mix_shares_and_features():
    orders = order_book()
    shares = clusters.mix_shares(orders, "category")
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert shares.loc["A", "category_plus"] == pytest.approx(60 / 75)
    rfm = summary.rfm_table(orders, END)
    feats = clusters.behaviour_features(rfm, orders[orders.order_date <= END])
    assert {"log_recency_days", "log_frequency", "log_aov", "log_tenure_days", "category_basic", "channel_app"} <= set(
        feats.columns
    )
    assert feats.loc["A", "log_frequency"] == pytest.approx(np.log1p(4))


def test_fit_personas_finds_well_separated_groups():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 6]])
    truth = np.repeat([0, 1, 2], [150, 100, 50])
    X = pd.DataFrame(centers[truth] + rng.normal(0, 0.5, (300, 3)), columns=["a", "b", "c"])
    for method in ("kmeans", "gmm"):
        fit = clusters.fit_personas(X, "auto", k_range=range(2, 6), method=method, seed=1)
        assert fit.k == 3
        assert adjusted_rand_score(truth, fit.labels) == pytest.approx(1.0)
        assert list(np.bincount(fit.labels)) == [150, 100, 50]  # numbered by size
    fixed = clusters.fit_personas(X, 4, seed=1)
    assert fixed.k == 4 and len(fixed.k_scores) == 1


def test_feature_lift_on_natural_scale():
    feats = pd.DataFrame({"log_x": np.log1p([1.0, 3.0]), "share": [0.2, 0.6]}, index=["a", "b"])
    lift = clusters.feature_lift(feats, pd.Series([0, 1], index=["a", "b"]))
    assert list(lift.columns) == ["x", "share"]
    assert lift.loc[0, "x"] == pytest.approx(1 / 2 - 1) and lift.loc[1, "share"] == pytest.approx(0.6 / 0.4 - 1)


@pytest.fixture(scope="module")
def demo():
    files, truth = demo_customers.make(World())
    return files["orders.csv"], files["customers.csv"], truth


def test_personas_recover_the_demo_worlds_true_segments(demo):
    """k-means on the behaviour features finds the five true segments: ARI ≥ 0.6 (measured 0.71), k = 5 chosen."""
    orders, customers, truth = demo
    rfm = summary.rfm_table(orders)
    features = clusters.behaviour_features(rfm, orders)
    fit = clusters.fit_personas(features, "auto", k_range=range(3, 8), seed=42)
    true = demo_customers.true_segments(truth).reindex(features.index)
    ari = adjusted_rand_score(true, fit.labels)
    assert fit.k == 5
    assert ari >= 0.6, f"adjusted Rand index {ari:.3f}"
    profiles = clusters.persona_profiles(rfm, fit.labels, orders, customers)
    assert profiles["name"].is_unique and profiles["action"].str.len().gt(0).all()
    assert profiles["revenue_share"].sum() == pytest.approx(1.0)
    # the persona holding most revenue is mostly the true loyal high spenders, and is named premium & frequent
    top = profiles.sort_values("revenue_share").iloc[-1]
    members = fit.labels[fit.labels == top["persona_id"]].index
    assert (true[members] == "loyal_high_spenders").mean() > 0.8
    assert "frequent premium" in top["name"]
    assert {"age_median", "top_region", "top_acquisition_channel"} <= set(profiles.columns)


def test_rfm_ignores_a_missing_customers_file_and_optional_columns(demo):
    orders, _, _ = demo
    bare = orders[["order_id", "customer_id", "order_date", "revenue"]]
    rfm = summary.rfm_table(bare)
    feats = clusters.behaviour_features(rfm, bare)
    assert list(feats.columns) == ["log_recency_days", "log_frequency", "log_aov", "log_tenure_days"]
    prof = clusters.persona_profiles(rfm, clusters.fit_personas(feats, 3, seed=0).labels, bare, None)
    assert len(prof) == 3 and "top_region" not in prof.columns
