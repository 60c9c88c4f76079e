"""Tests for playbook.funnel: Beta/Gamma intervals, hand-computed funnels, KPI targets, anomaly alerts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from playbook import funnel as F


def small_funnel():
    d1, d2 = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")
    return pd.DataFrame(
        [
            (d1, "a", 1000, 50, 10, 4, 400.0, 100.0),
            (d2, "a", 1000, 50, 10, 6, 600.0, 100.0),
            (d1, "b", 2000, 20, 10, 1, 50.0, 300.0),
            (d2, "b", 2000, 20, 10, 1, 50.0, 300.0),
        ],
        columns=["date", "channel", "impressions", "clicks", "signups", "orders", "revenue", "spend"],
    )


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


def test_kpi_status_against_targets():
    f = small_funnel()
    targets = {"default": {"ctr": 0.01}, "a": {"cpa": 5.0, "roas": 1.0}, "b": {"cvr": 0.45}}
    s = F.kpi_status(f, targets, window_days=28).set_index(["channel", "kpi"])
    assert s.loc[("a", "ctr"), "status"] == "on target"  # 5 % clicks vs a 1 % target, 2,000 impressions
    assert s.loc[("b", "ctr"), "status"] == "unclear"  # 40 / 4,000 = 1 %, exactly the target
    assert s.loc[("a", "cpa"), "status"] == "off target"  # 10 per sign-up vs 5
    assert s.loc[("a", "roas"), "status"] == "on target"  # 5.0 vs 1.0
    assert s.loc[("b", "cvr"), "status"] == "unclear"  # 20 / 40 = 0.5 vs 0.45 on 40 clicks
    assert s.loc[("a", "cpa"), "gap"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown KPI"):
        F.parse_targets({"a": {"ctrr": 0.1}}, ["a"])


def synthetic_daily(drop_days=(), factor=0.5, seed=0, days=364):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    dow = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 1.3, 1.35])[dates.dayofweek]
    clicks = rng.poisson(2000 * dow)
    cvr = 0.08 * dow * np.exp(rng.normal(0, 0.03, days))
    cvr[list(drop_days)] *= factor
    signups = rng.binomial(clicks, cvr)
    orders = rng.binomial(signups, 0.3)
    return pd.DataFrame(
        {"date": dates, "channel": "x", "impressions": clicks * 50, "clicks": clicks, "signups": signups,
         "orders": orders, "revenue": orders * 40.0, "spend": 1000.0}
    )


def test_anomalies_found_and_weekly_seasonality_not_alerted():
    planted = [200, 201, 202, 203]
    alerts = F.detect_anomalies(synthetic_daily(planted), metrics=["cvr"])
    hit = alerts[(alerts.metric == "cvr") & alerts.bad]
    found = {int((d - pd.Timestamp("2024-01-01")).days) for d in hit["date"]}
    assert set(planted) <= found  # tolerance: every planted day found
    assert len(found - set(planted)) <= 2  # at most two false alarm days in a year
    # tolerance: the mean estimated change over the planted days is the planted -50 % ± 10 pp
    assert hit["change"].mean() == pytest.approx(-0.5, abs=0.1)
    assert (hit["expected"] > hit["actual"]).all()
    # Weekends convert 30 % better every week: never an alert without the planted drop.
    clean = F.detect_anomalies(synthetic_daily(), metrics=["cvr", "cpa"])
    assert len(clean) <= 1
    ep = F.alert_episodes(alerts)
    assert ((ep.start == pd.Timestamp("2024-07-19")) & (ep.days == 4)).any()


def test_kpi_trend_sees_a_halved_conversion_rate():
    f = synthetic_daily(drop_days=range(336, 364), factor=0.5)
    t = F.kpi_trend(f, recent_days=28).set_index("channel")
    assert t.loc["x", "cvr_change"] == pytest.approx(-0.5, abs=0.05)
    assert t.loc["x", "prob_cvr_down"] > 0.999
    assert t.loc["x", "cvr_change_low"] < t.loc["x", "cvr_change"] < t.loc["x", "cvr_change_high"]
    assert t.loc["x", "cpa_change"] == pytest.approx(1.0, abs=0.15)
    assert t.loc["x", "prob_cpa_up"] > 0.999
