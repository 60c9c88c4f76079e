"""Every figure draws from the result alone, for each branch it has."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from playbook.launch import narrative, plots  # noqa: E402

from .factory import mmm_json  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_adoption_forecast_draws_observed_expected_band_and_phases(make):
    r = make()
    ax = plots.adoption_forecast(r).axes[0]
    assert ax.get_title() == narrative.forecast_title(r)
    labels = ax.get_legend_handles_labels()[1]
    assert {"observed", "expected (Bass)", "90% prediction interval", "last data", "growth phase"} <= set(labels)
    assert len(ax.patches) >= r.history.n  # one bar per observed period


def test_without_m_the_forecast_chart_is_the_share_curve(make):
    r = make(source="prior", m=None)
    ax = plots.adoption_forecast(r).axes[0]
    assert ax.get_title() == narrative.forecast_title(r) and ax.get_ylim() == (0, 1)
    assert "last data" not in ax.get_legend_handles_labels()[1]


def test_cumulative_and_timing_charts(make):
    r = make()
    ax = plots.cumulative(r).axes[0]
    assert ax.get_title() == narrative.cumulative_title(r) and "observed ÷ median m" in ax.get_legend_handles_labels()[1]
    timing = plots.timing(r).axes[0]
    assert timing.get_title() == narrative.timing_title(r)
    assert {"peak of new adoptions", "half the potential adopted"} <= set(timing.get_legend_handles_labels()[1])


def test_budget_chart_only_when_the_mmm_priced_the_plan(make):
    assert plots.budget(make()) is None
    priced = plots.budget(make(source="prior", mmm=mmm_json(), revenue_per_adopter=50.0))
    left, right = priced.axes
    assert [t.get_text() for t in left.get_xticklabels()] == ["warm-up", "launch", "growth"]
    assert right.get_ylabel() == "adopters bought"
    revenue_only = plots.budget(make(source="prior", mmm=mmm_json()))
    assert not revenue_only.axes[1].axison and "revenue_per_adopter" in revenue_only.axes[1].texts[0].get_text()
