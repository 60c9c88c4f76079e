"""Heuristic attribution on hand-counted paths."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.attribution import heuristics as H

from .builders import paths_frame


def test_heuristics_on_hand_counted_paths():
    paths = paths_frame([("a>b>c", 2, 20.0, 0), ("b>a", 1, 5.0, 0), ("c", 1, 4.0, 0), ("a>b", 0, 0.0, 3)])
    h = H.heuristic_attribution(paths).set_index(["model", "channel"])
    conv = h["conversions"]
    assert conv["first_touch"].to_dict() == pytest.approx({"a": 2, "b": 1, "c": 1})
    assert conv["last_touch"].to_dict() == pytest.approx({"a": 1, "b": 0, "c": 3})
    assert conv["linear"].to_dict() == pytest.approx({"a": 2 / 3 + 1 / 2, "b": 2 / 3 + 1 / 2, "c": 2 / 3 + 1})
    assert conv["position_based"].to_dict() == pytest.approx({"a": 0.8 + 0.5, "b": 0.4 + 0.5, "c": 0.8 + 1})
    # value follows the same weights: a>b>c carries 20, b>a 5, c 4
    assert h.loc[("last_touch", "c"), "value"] == pytest.approx(24.0)
    assert h.loc[("linear", "a"), "value"] == pytest.approx(20 / 3 + 2.5)
    for model in H.HEURISTIC_MODELS:
        assert conv[model].sum() == pytest.approx(4.0)
        assert h.loc[model, "value"].sum() == pytest.approx(29.0)


def test_linear_counts_repeated_touches_and_time_decay_halves_per_half_life():
    h = H.heuristic_attribution(paths_frame([("a>a>b", 1, 0.0, 0)])).set_index(["model", "channel"])["conversions"]
    assert h["linear"].to_dict() == pytest.approx({"a": 2 / 3, "b": 1 / 3})
    timed = pd.DataFrame(
        {"path": [("a", "b", "c")], "days_to_end": [(14.0, 7.0, 0.0)], "conversions": [1.0], "value": [1.0], "nulls": [0.0]}
    )
    td = H.heuristic_attribution(timed, models=["time_decay"], half_life_days=7).set_index("channel")["conversions"]
    assert td.to_dict() == pytest.approx({"a": 1 / 7, "b": 2 / 7, "c": 4 / 7})


# --------------------------------------------------------------------------- Shapley
