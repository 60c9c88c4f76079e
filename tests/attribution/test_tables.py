"""Appendix tables of the attribution report."""

from __future__ import annotations

import pytest

from playbook.attribution import tables


def test_the_transition_table_is_long_with_each_states_transitions_summing_to_one(paths_only):
    t = tables.transition_matrix(paths_only)
    frame = t["frame"]
    assert list(frame.columns) == ["from", "to", "probability"] and (frame["probability"] > 0).all()
    assert frame.groupby("from")["probability"].sum().to_numpy() == pytest.approx(1.0)
    matrix = paths_only.paths.markov.transition_matrix
    assert len(frame) == int((matrix > 0).to_numpy().sum())
    first = frame.groupby("from", sort=False)["probability"].apply(lambda s: s.is_monotonic_decreasing)
    assert first.all(), "largest transition first within each state"
