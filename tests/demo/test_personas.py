"""Tests for playbook.demo.personas: contracts, size, truth, and the simulators against BG/NBD closed forms."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from playbook.contracts import contract, validate
from playbook.demo import personas as part
from playbook.demo import write_csv
from playbook.demo.world import World
from playbook.personas import summary as clv_summary


@pytest.fixture(scope="module")
def made():
    return part.make(World())


def test_files_satisfy_their_contracts_and_stay_small(made, tmp_path):
    files, _ = made
    assert set(files) == {"orders.csv", "customers.csv"}
    for name, frame in files.items():
        write_csv(frame, tmp_path / name)
        validate(pd.read_csv(tmp_path / name), contract(name[:-4]), tmp_path / name)
    assert (tmp_path / "orders.csv").stat().st_size < 1_100_000
    total = sum((tmp_path / n).stat().st_size for n in files)
    assert total < 1_500_000


def test_window_ids_and_attributes(made):
    files, truth = made
    orders, customers = files["orders.csv"], files["customers.csv"]
    world = World()
    assert orders["order_date"].min() >= world.start and orders["order_date"].max() <= world.end
    assert len(customers) == truth["customers"] == 4000
    assert set(orders["customer_id"]) == set(customers["customer_id"])  # every customer has a first order
    assert len(orders) == truth["orders"] and orders["revenue"].sum() == pytest.approx(truth["revenue"])
    assert set(customers["region"]) <= set(world.regions)
    assert set(customers["acquisition_channel"]) <= set(world.channels)
    assert orders["revenue"].gt(0).all()


def test_truth_is_json_safe_and_decodes(made):
    files, truth = made
    json.dumps(truth)
    segments = part.true_segments(truth)
    assert len(segments) == truth["customers"]
    counts = segments.value_counts()
    for name, seg in truth["segments"].items():
        assert counts[name] == seg["customers"]
    assert part.true_alive(truth).sum() == sum(s["alive_at_end"] for s in truth["segments"].values())
    assert set(segments.index) == set(files["customers.csv"]["customer_id"])


def test_segments_differ_the_way_the_story_says(made):
    files, truth = made
    orders, customers = files["orders.csv"], files["customers.csv"]
    seg = part.true_segments(truth)
    first = orders.groupby("customer_id")["order_date"].min()
    span = (World().end - World().start).days
    early = (first[seg.index[seg == "lapsed_early_adopters"]] - World().start).dt.days.max()
    late = (first[seg.index[seg == "new_student_explorers"]] - World().start).dt.days.min()
    assert early <= 0.25 * span + 1 and late >= 0.8 * span - 1
    age = customers.set_index("customer_id")["age"].groupby(seg).median()
    assert age["new_student_explorers"] < age["steady_family_regulars"]
    top_cat = orders.assign(s=orders["customer_id"].map(seg)).groupby("s")["category"].agg(lambda s: s.value_counts().index[0])
    for name, segment in truth["segments"].items():
        assert top_cat[name] == segment["top_category"]


def test_make_is_reproducible_and_scales():
    a, _ = part.make(World(seed=3))
    b, _ = part.make(World(seed=3))
    pd.testing.assert_frame_equal(a["orders.csv"], b["orders.csv"])
    small, truth = part.make(World(scale=0.25))
    assert truth["customers"] == 1000 and len(small["customers.csv"]) == 1000


def _expected_repeats(r, alpha, a, b, t):
    """BG/NBD E[X(t)]: expected repeat purchases in (0, t] of a new customer (Fader, Hardie & Lee 2005, eq. 9)."""
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def test_simulator_matches_the_bgnbd_and_gamma_gamma_means():
    """Mean repeat purchases equal the closed-form E[X(T)] averaged over customers (within 4 standard errors
    plus 2% for same-day merging); mean of customer mean order values equals p·v / (q − 1) within 4 SE."""
    true = dict(r=0.8, alpha=6.0, a=1.2, b=4.0, p=4.0, q=6.0, v=100.0)
    orders, truth = part.simulate_btyd_orders(20_000, **true, days=730, seed=2)
    summary = clv_summary.customer_summary(orders, truth["observation_end"], "W")
    expected = _expected_repeats(true["r"], true["alpha"], true["a"], true["b"], summary["T"].to_numpy()).mean()
    observed = summary["frequency"].mean()
    se = summary["frequency"].std() / np.sqrt(len(summary))
    assert abs(observed - expected) < 4 * se + 0.02 * expected, (observed, expected)
    mov = np.array(list(truth["mean_order_value"].values()))
    target = true["p"] * true["v"] / (true["q"] - 1)
    assert abs(mov.mean() - target) < 4 * mov.std() / np.sqrt(len(mov))


def test_demo_segments_match_their_own_bgnbd_means(made):
    """Per true segment, mean repeat purchases equal that segment's closed-form E[X(T)] (4 SE + 3% for merging)."""
    files, truth = made
    world = World()
    summary = clv_summary.customer_summary(files["orders.csv"], world.end, "W").set_index("customer_id")
    seg = part.true_segments(truth).reindex(summary.index)
    for name, info in truth["segments"].items():
        s = summary[seg == name]
        p = info["bgnbd"]
        expected = _expected_repeats(p["r"], p["alpha"], p["a"], p["b"], s["T"].to_numpy()).mean()
        se = s["frequency"].std() / np.sqrt(len(s))
        assert abs(s["frequency"].mean() - expected) < 4 * se + 0.03 * expected, (name, s["frequency"].mean(), expected)
