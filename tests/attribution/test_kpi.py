"""KPI monitor: targets, anomaly alerts on a planted drop, the recent trend."""

from __future__ import annotations

import pandas as pd
import pytest

from playbook.attribution import kpi as K

from .builders import small_funnel, synthetic_daily


def test_kpi_status_against_targets():
    f = small_funnel()
    targets = {"default": {"ctr": 0.01}, "a": {"cpa": 5.0, "roas": 1.0}, "b": {"cvr": 0.45}}
    s = K.kpi_status(f, targets, window_days=28).set_index(["channel", "kpi"])
    assert s.loc[("a", "ctr"), "status"] == "on target"  # 5 % clicks vs a 1 % target, 2,000 impressions
    assert s.loc[("b", "ctr"), "status"] == "unclear"  # 40 / 4,000 = 1 %, exactly the target
    assert s.loc[("a", "cpa"), "status"] == "off target"  # 10 per sign-up vs 5
    assert s.loc[("a", "roas"), "status"] == "on target"  # 5.0 vs 1.0
    assert s.loc[("b", "cvr"), "status"] == "unclear"  # 20 / 40 = 0.5 vs 0.45 on 40 clicks
    assert s.loc[("a", "cpa"), "gap"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown KPI"):
        K.parse_targets({"a": {"ctrr": 0.1}}, ["a"])


def test_anomalies_found_and_weekly_seasonality_not_alerted():
    planted = [200, 201, 202, 203]
    alerts = K.detect_anomalies(synthetic_daily(planted), metrics=["cvr"])
    hit = alerts[(alerts.metric == "cvr") & alerts.bad]
    found = {int((d - pd.Timestamp("2024-01-01")).days) for d in hit["date"]}
    assert set(planted) <= found  # tolerance: every planted day found
    assert len(found - set(planted)) <= 2  # at most two false alarm days in a year
    # tolerance: the mean estimated change over the planted days is the planted -50 % ± 10 pp
    assert hit["change"].mean() == pytest.approx(-0.5, abs=0.1)
    assert (hit["expected"] > hit["actual"]).all()
    # Weekends convert 30 % better every week: never an alert without the planted drop.
    clean = K.detect_anomalies(synthetic_daily(), metrics=["cvr", "cpa"])
    assert len(clean) <= 1
    ep = K.alert_episodes(alerts)
    assert ((ep.start == pd.Timestamp("2024-07-19")) & (ep.days == 4)).any()


def test_kpi_trend_sees_a_halved_conversion_rate():
    f = synthetic_daily(drop_days=range(336, 364), factor=0.5)
    t = K.kpi_trend(f, recent_days=28).set_index("channel")
    assert t.loc["x", "cvr_change"] == pytest.approx(-0.5, abs=0.05)
    assert t.loc["x", "prob_cvr_down"] > 0.999
    assert t.loc["x", "cvr_change_low"] < t.loc["x", "cvr_change"] < t.loc["x", "cvr_change_high"]
    assert t.loc["x", "cpa_change"] == pytest.approx(1.0, abs=0.15)
    assert t.loc["x", "prob_cpa_up"] > 0.999
