"""Every personas figure draws from a result, with its title from the narrative."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from playbook.personas import narrative, plots  # noqa: E402

from . import factory  # noqa: E402


@pytest.fixture(scope="module")
def r():
    return factory.base()


@pytest.mark.parametrize("name", ["segments", "rf", "concentration", "k_scores", "lift", "lifecycle", "transitions", "retention",
                                  "cohort_value", "clv_by_persona", "p_alive", "clv_spread", "posterior", "holdout"])
def test_each_figure_draws(r, name):
    fig = getattr(plots, name)(r)
    assert fig is not None and fig.axes
    plt.close(fig)


def test_titles_come_from_the_narrative(r):
    fig = plots.segments(r)
    assert fig.axes[0].get_title() == narrative.segment_title(r)
    pid = r.profiles["persona_id"].iloc[0]
    fig2 = plots.persona(r, pid)
    assert fig2.axes[0].get_title() == narrative.persona_title(r, pid)
    plt.close("all")


def test_no_transitions_no_figure(r):
    assert plots.transitions(factory.variant(r, transitions=None)) is None


def test_no_comparison_no_holdout_figure(r):
    none = factory.variant(r, comparison=factory.holdout.Comparison("mbgnbd", "default", None, 0.0, reason="short"))
    assert plots.holdout(none) is None

