"""Every figure of the A/B report draws from the result alone, with its interval label from the result."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from playbook.abtest import narrative, plots  # noqa: E402

from .factory import build, with_aa, with_segments  # noqa: E402

#: The playbook's theme puts titles on the left (``axes.titlelocation``), the default centre otherwise: read that one.
TITLE_LOC = "left"


@pytest.fixture(autouse=True)
def theme():
    """Every figure drawn under the playbook's theme, as in a report (and whatever test ran before)."""
    from playbook import theme as playbook_theme

    with plt.rc_context():
        playbook_theme.apply()
        yield


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def r():
    base = build(interval=0.8)
    seg = [{"segment": "device", "level": "mobile", "variant": "B", "uplift_mean": 0.1, "uplift_hdi_low": 0.0, "uplift_hdi_high": 0.2}]
    return with_aa(with_segments(base, seg))


def test_every_figure_renders_with_the_narrative_title(r):
    assert plots.srm(r).axes[0].get_title(TITLE_LOC) == narrative.srm_title(r)
    assert plots.rates(r).axes[0].get_title(TITLE_LOC) == narrative.rates_title(r)
    assert plots.over_time(r).axes[0].get_title(TITLE_LOC) == narrative.over_time_title(r)
    assert plots.revenue(r).axes[0].get_title(TITLE_LOC) == narrative.revenue_title(r)
    assert plots.allocation(r).axes[0].get_title(TITLE_LOC) == narrative.allocation_title(r)
    assert plots.false_ship(r).axes[0].get_title(TITLE_LOC) == narrative.aa_title(r)


def test_interval_labels_follow_the_interval(r):
    assert "80% interval" in plots.uplift(r).axes[0].get_xlabel()
    assert "80% interval" in plots.over_time(r).axes[1].get_ylabel()
    labels = plots.segments(r).legends[0].get_texts()
    assert any("80% interval" in t.get_text() for t in labels)


def test_factorial_figure_draws_every_effect(r):
    from dataclasses import replace

    from .test_factorial import _fact

    fr = replace(r, factorial=_fact())
    ax = plots.factorial(fr).axes[0]
    assert ax.get_title(TITLE_LOC) == narrative.factorial_title(fr) and len(ax.get_yticklabels()) == 3
    assert "80% interval" in ax.get_xlabel()
