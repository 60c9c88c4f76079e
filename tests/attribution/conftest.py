"""Fixtures of the attribution tests: the field notes' toy paths and the demo world's journeys."""

from __future__ import annotations

import pytest

from playbook.attribution import journeys as J

from .builders import paths_frame


@pytest.fixture
def toy():
    # The field notes' toy: exact P(conv) = 1/3, RE C1 0.5, C2 1, C3 1, credit 0.2 / 0.4 / 0.4.
    return paths_frame([("C1>C2>C3", 1, 10.0, 0), ("C1", 0, 0.0, 1), ("C2>C3", 0, 0.0, 1)])


@pytest.fixture(scope="module")
def demo_journeys():
    from playbook.demo.attribution import make_journeys
    from playbook.demo.world import World

    tp, cv, truth = make_journeys(World())
    return J.journeys_from_touchpoints(tp, cv, lookback_days=30), truth


@pytest.fixture(scope="module")
def paths_only():
    from .builders import result

    return result()


@pytest.fixture(scope="module")
def funnel_only():
    from .builders import daily_funnel, result

    return result(paths=None, funnel=daily_funnel())
