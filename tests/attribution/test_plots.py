"""Every figure of the attribution report draws from a small result."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from playbook.attribution import kpi, narrative, plots  # noqa: E402

from .builders import daily_funnel, result  # noqa: E402


def test_funnel_and_kpi_figures(funnel_only):
    f = funnel_only.funnel
    figs = [plots.funnel_rates(f.stages, "t"), plots.unit_economics_chart(f.econ, "t"), plots.weekly_trend(f.weekly, "cvr", "t", "y", percent=True)]
    r = result(paths=None, funnel=daily_funnel(), targets={"default": {"cvr": 0.1, "roas": 1.0}})
    figs.append(plots.kpi_status_grid(r.funnel.status, "t"))
    ep = pd.DataFrame([{"channel": "a", "metric": "cvr", "start": pd.Timestamp("2024-01-20"), "end": pd.Timestamp("2024-01-21")}])
    figs.append(plots.alert_panels(kpi.kpi_frame(f.data), {}, ep, "t"))
    assert all(isinstance(x, Figure) for x in figs)
    plt.close("all")


def test_attribution_figures(paths_only):
    p = paths_only.paths
    a = plots.model_shares(p.shares, "t", ["last_touch", "markov", "shapley"])
    b = plots.credit_intervals(p.ci_table(), "t", narrative.credit_axis_label(paths_only))
    assert b.axes[0].get_xlabel() == "credited conversions (90% bootstrap interval)" and isinstance(a, Figure)
    plt.close("all")


def test_funnel_figures_draw_a_funnel_nobody_clicked_through():
    r = result(paths=None, funnel=daily_funnel().assign(clicks=0.0, signups=0.0, orders=0.0, revenue=0.0))
    assert isinstance(plots.funnel_rates(r.funnel.stages, "t"), Figure)
    assert isinstance(plots.unit_economics_chart(r.funnel.econ, "t"), Figure)
    plt.close("all")
