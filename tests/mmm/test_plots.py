"""playbook.mmm.plots: every figure renders from a hand-made result, with the break-even line at 1 / margin."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from playbook.mmm import plots  # noqa: E402

from .factory import result  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_every_figure_renders():
    r = result(lifts=True)
    figs = [plots.spend(r), plots.correlation(r), plots.fit(r), plots.waterfall(r), plots.decomposition(r), plots.roas(r, truth={"tv": 3.0}),
            plots.response_curves(r), plots.adstock(r), plots.budget(r, r.plan), plots.uplift(r, r.plan), plots.uplift(r, r.profit_plan, profit=True),
            plots.calibration(r)]
    for fig in figs:
        fig.canvas.draw()


def test_break_even_lines_follow_the_margin():
    r = result(margin=0.5)
    ax = plots.roas(r).axes[0]
    assert any(list(line.get_xdata()) == [2.0, 2.0] for line in ax.get_lines())
    assert any("break-even ROAS 2.00" in t.get_text() for t in ax.get_legend().get_texts())
    curves = plots.response_curves(r).axes[0]
    dotted = [ln for ln in curves.get_lines() if ln.get_linestyle() == ":"][0]
    x, y = dotted.get_data()
    assert y[-1] == pytest.approx(x[-1] / 0.5)


def test_labels_name_the_interval_used():
    r = result(interval=0.8)
    ax = plots.roas(r).axes[0]
    assert any("80% interval" in t.get_text() for t in ax.get_legend().get_texts())
    assert "80% interval" in plots.fit(r).axes[0].get_legend().get_texts()[0].get_text()
