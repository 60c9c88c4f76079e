"""The launch demo part: weekly adoption of Nimbus's service with known m, p, q."""

import numpy as np
import pandas as pd
import pytest

from playbook import contracts
from playbook.demo import launch as demo_launch
from playbook.demo.world import World


@pytest.fixture(scope="module")
def made():
    return demo_launch.make(World())


def test_adoption_is_one_row_per_week_of_the_world_and_passes_its_contract(made):
    files, truth = made
    frame = files["adoption.csv"]
    assert list(frame["period"]) == list(World().week_starts) and truth["launch"] == "2023-01-02"
    assert frame["adopters"].dtype.kind == "i" and (frame["adopters"] >= 0).all()
    contracts.validate(frame.assign(period=frame["period"].dt.strftime("%Y-%m-%d")), contracts.contract("adoption"))


def test_truth_is_self_consistent_and_leaves_the_peak_ahead_of_the_data(made):
    _, truth = made
    weeks = 365.25 / 7
    assert truth["p"] == pytest.approx(truth["p_per_year"] / weeks) and truth["q"] == pytest.approx(truth["q_per_year"] / weeks)
    assert truth["peak_time"] == pytest.approx(np.log(truth["q"] / truth["p"]) / (truth["p"] + truth["q"]))
    assert truth["peak_period_index"] > World().weeks  # growth is still ahead at the end of the data
    assert truth["peak_period"] == str((World().start + pd.Timedelta(weeks=truth["peak_period_index"])).date())
    assert 0.25 < truth["share_adopted_at_end"] < 0.4


def test_counts_follow_the_exact_bass_increments(made):
    files, truth = made
    adopters = files["adoption.csv"]["adopters"].to_numpy()
    expected = truth["m"] * truth["share_adopted_at_end"]
    assert adopters.sum() == truth["adopters_observed"] and adopters.sum() == pytest.approx(expected, rel=0.02)
    mean = truth["m"] * np.diff(demo_launch.bass_share(truth["p"], truth["q"], np.arange(World().weeks + 1)))
    z = (adopters - mean) / np.sqrt(mean + mean**2 / truth["dispersion"])
    assert abs(z.mean()) < 0.25 and 0.8 < z.std() < 1.2  # negative-binomial noise of the stated dispersion


def test_the_part_is_reproducible_and_seeded():
    a = demo_launch.make(World(seed=7))[0]["adoption.csv"]
    assert a.equals(demo_launch.make(World(seed=7))[0]["adoption.csv"])
    assert not a.equals(demo_launch.make(World(seed=8))[0]["adoption.csv"])
