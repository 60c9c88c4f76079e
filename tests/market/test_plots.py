"""playbook.market.plots: every figure draws on a full and on a short result; absent data give None."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from playbook.market import narrative, plots  # noqa: E402

from .builders import panel, result  # noqa: E402
from .test_narrative import fake_forecast  # noqa: E402

ALWAYS = ["market_size", "yearly_totals", "share_trend", "hhi_trend", "region_map", "priority_bars", "price_positioning"]


@pytest.fixture(scope="module")
def full():
    df = panel()
    r = result(pd.concat([df.assign(category="basic"), df.assign(category="plus", revenue=df["revenue"] / 2)]))
    r = fake_forecast(r)
    b = r.backtest
    table = pd.DataFrame({"origin": [r.series.index[-4]] * 3, "horizon": [1, 2, 3], "period": r.series.index[-3:],
                          "mean": r.series.iloc[-3:].to_numpy()})
    b.table = table
    return r


def test_every_figure_draws_on_a_full_result(full):
    for name in [*ALWAYS, "share_change", "seasonality", "forecast", "backtest_by_horizon"]:
        fig = getattr(plots, name)(full)
        assert isinstance(fig, Figure), name
        plt.close(fig)
    fig = plots.breakdown_bars(full, "category")
    assert isinstance(fig, Figure)
    plt.close(fig)


def test_titles_come_from_the_narrative(full):
    fig = plots.market_size(full)
    assert fig.axes[0].get_title() == narrative.market_size_title(full)
    plt.close(fig)


def test_short_result_draws_what_it_can_and_returns_none_for_the_rest():
    short = result(panel(periods=8))
    for name in ALWAYS:
        fig = getattr(plots, name)(short)
        assert isinstance(fig, Figure), name
        plt.close(fig)
    for name in ["share_change", "seasonality", "forecast", "backtest_by_horizon"]:
        assert getattr(plots, name)(short) is None, name


def test_no_prices_gives_no_positioning_chart():
    df = panel()
    df["units"] = 0.0
    assert plots.price_positioning(result(df)) is None
