"""The ``make`` fixture: hand-made launch results (see :mod:`factory`)."""

import pytest

from .factory import build


@pytest.fixture
def make():
    """The :func:`factory.build` factory: ``make(source=..., n=..., mmm=...)`` → LaunchResult, no MCMC."""
    return build
