import json

import numpy as np
import pandas as pd
import pytest

from playbook import demo
from playbook.demo.world import World


def test_world_window_is_three_years_of_weeks_from_a_monday():
    w = World()
    assert w.start.dayofweek == 0 and w.end == pd.Timestamp("2025-12-28") and w.end.dayofweek == 6
    assert len(w.week_starts) == 156 and len(w.days) == 156 * 7
    with pytest.raises(ValueError, match="Monday"):
        World(start=pd.Timestamp("2023-01-03"))
    with pytest.raises(ValueError, match="scale"):
        World(scale=0)


def test_random_streams_are_independent_and_reproducible():
    w = World(seed=1)
    assert w.rng("a").random() == World(seed=1).rng("a").random()
    assert w.rng("a").random() != w.rng("b").random()
    assert World(seed=2).rng("a").random() != w.rng("a").random()
    assert World(scale=0.1).n(1000) == 100 and World(scale=0.0001).n(1000, minimum=5) == 5


def test_daily_media_plan_is_positive_flighted_and_not_collinear():
    plan = World().daily_spend()
    assert list(plan.columns) == list(World().channels) and (plan >= 0).all().all()
    weekly = plan.groupby(np.arange(len(plan)) // 7).sum()
    assert (weekly["email"] > 0).all()  # email never goes dark
    assert ((weekly.drop(columns="email") == 0).mean() > 0.05).all()  # the others have dark weeks
    corr = weekly.corr().to_numpy()
    assert np.abs(corr[np.triu_indices_from(corr, 1)]).max() < 0.9


def test_write_csv_uses_iso_dates_and_timestamps(tmp_path):
    frame = pd.DataFrame({"d": pd.to_datetime(["2024-01-01", "2024-01-02"]),
                          "t": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 00:00"]), "x": [1, 2]})
    demo.write_csv(frame, tmp_path / "f.csv")
    assert (tmp_path / "f.csv").read_text().splitlines()[1] == "2024-01-01,2024-01-01T10:00:00,1"


def test_generate_writes_every_part_and_its_truth(tmp_path):
    truth = demo.generate(tmp_path, seed=3, scale=0.2)
    assert set(demo.PARTS) <= set(truth)
    saved = json.loads((tmp_path / "truth.json").read_text())
    assert saved["seed"] == 3 and saved["channels"] == list(World().channels)
    files, _ = demo.build(World(seed=3, scale=0.2))
    for name in files:
        assert (tmp_path / name).is_file(), name
