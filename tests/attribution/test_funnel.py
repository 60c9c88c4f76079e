"""Funnel: Jeffreys intervals, hand-computed stage conversion and unit economics."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from playbook.attribution import funnel as F

from .builders import small_funnel


def test_jeffreys_intervals_closed_forms():
    low, high = F.beta_interval(5, 10, cred=0.9)
    assert low == pytest.approx(1 - high)  # symmetric at k = n/2
    assert low == pytest.approx(stats.beta.ppf(0.05, 5.5, 5.5))
    # zero events: the Jeffreys Gamma(½) upper 95% point is chi2(1) 95% point / 2 = 1.9207
    _, hi0 = F.count_rate_interval(0, cred=0.9)
    assert hi0 == pytest.approx(stats.chi2.ppf(0.95, 1) / 2) and hi0 == pytest.approx(1.9207, abs=1e-4)


def test_stage_conversion_and_largest_dropoff_by_hand():
    st = F.stage_conversion(small_funnel())
    a = st[st.channel == "a"].set_index("to_stage")
    assert a.loc["clicks", "rate"] == pytest.approx(100 / 2000)
    assert a.loc["signups", "rate"] == pytest.approx(20 / 100)
    assert a.loc["orders", "rate"] == pytest.approx(10 / 20)
    assert a.loc["signups", "lost"] == 80
    assert (st["rate_low"] <= st["rate"]).all() and (st["rate"] <= st["rate_high"]).all()
    drop = F.largest_dropoff(st).set_index("channel")
    # a: clicks→signups loses 80 %, signups→orders 50 % → clicks→signups
    # b: clicks→signups loses 50 %, signups→orders 90 % → signups→orders
    assert drop.loc["a", "to_stage"] == "signups" and drop.loc["b", "to_stage"] == "orders"
    assert F.largest_dropoff(st, from_stage=None).set_index("channel").loc["a", "to_stage"] == "clicks"
    allc = st[st.channel == F.ALL].set_index("to_stage")
    assert allc.loc["orders", "rate"] == pytest.approx(12 / 40)


def test_unit_economics_by_hand():
    e = F.unit_economics(small_funnel()).set_index("channel")
    assert e.loc["a", "cpa"] == pytest.approx(200 / 20)
    assert e.loc["a", "cac"] == pytest.approx(200 / 10)
    assert e.loc["a", "roas"] == pytest.approx(1000 / 200)
    assert e.loc["b", "cac"] == pytest.approx(600 / 2)
    assert e.loc[F.ALL, "roas"] == pytest.approx(1100 / 800)
    for kpi in ("ctr", "cvr", "cpa", "cac", "roas"):
        assert (e[f"{kpi}_low"] < e[kpi]).all() and (e[kpi] < e[f"{kpi}_high"]).all()
    # CAC interval: spend / Gamma(k + ½) quantiles
    assert e.loc["b", "cac_high"] == pytest.approx(600 / stats.gamma.ppf(0.05, 2.5))


def test_order_value_spread_by_hand_and_it_widens_the_attributed_roas_interval():
    f = small_funnel()
    cv = F.order_value_cv(f)
    # channel a: 4 orders at 100 and 6 at 100 -> no spread; b: 1 order at 50 each day -> no spread
    assert cv["a"] == pytest.approx(0.0) and cv["b"] == pytest.approx(0.0)
    g = f.copy()
    g.loc[1, "revenue"] = 900.0  # a: day 1 AOV 100, day 2 AOV 150; overall 1300 / 10 = 130
    sigma2 = (4 * (100 - 130) ** 2 + 6 * (150 - 130) ** 2) / (2 - 1)
    assert F.order_value_cv(g)["a"] == pytest.approx(np.sqrt(sigma2) / 130)
    e0 = F.unit_economics(f).set_index("channel").loc["a"]
    e1 = F.unit_economics(g).set_index("channel").loc["a"]
    assert np.log(e1["roas_high"] / e1["roas_low"]) > np.log(e0["roas_high"] / e0["roas_low"])
    # without value spread the interval is the count's: log sd sqrt(1 / (k + 1/2))
    z = stats.norm.ppf(0.95)
    assert np.log(e0["roas_high"] / e0["roas"]) == pytest.approx(z * np.sqrt(1 / 10.5))
    assert F.KPI_DEFINITIONS["roas"].startswith("attributed ROAS")
