"""Triangulation: MMM, attribution revenue shares and lift tests lined up, flagged with explanations, one-sided channels listed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.attribution import triangulation as T


def mmm_json(passed=True, interval=0.9, **extra):
    """A hand-made ``mmm.json``: search small and precise, social large, video present in the MMM only."""
    ch = {
        "search": {"roas_mean": 1.0, "roas_hdi_low": 0.8, "roas_hdi_high": 1.2, "contribution_share": 0.10,
                   "contribution_share_hdi_low": 0.08, "contribution_share_hdi_high": 0.12},
        "social": {"roas_mean": 3.0, "roas_hdi_low": 2.0, "roas_hdi_high": 4.0, "contribution_share": 0.60,
                   "contribution_share_hdi_low": 0.50, "contribution_share_hdi_high": 0.70},
        "email": {"roas_mean": 2.0, "roas_hdi_low": 1.5, "roas_hdi_high": 2.5, "contribution_share": 0.20,
                  "contribution_share_hdi_low": 0.15, "contribution_share_hdi_high": 0.25},
        "video": {"roas_mean": 0.5, "roas_hdi_low": 0.2, "roas_hdi_high": 0.8, "contribution_share": 0.10,
                  "contribution_share_hdi_low": 0.05, "contribution_share_hdi_high": 0.15},
        **extra,
    }
    return {"meta": {"interval": interval}, "channels": ch, "diagnostics": {"passed": passed}}


def credits():
    """Attributed revenue: last touch gives search 3× its MMM share; social far under; email in line; podcast untracked by the MMM."""
    return {
        "last_touch": pd.Series({"search": 30.0, "social": 20.0, "email": 20.0, "podcast": 30.0}),
        "markov": pd.Series({"search": 12.0, "social": 55.0, "email": 18.0, "podcast": 15.0}),
        "shapley": pd.Series({"search": 11.0, "social": 58.0, "email": 21.0, "podcast": 10.0}),
    }


def lifts():
    return pd.DataFrame({"channel": ["email", "email", "tv"], "x": [100.0, 100.0, 50.0], "delta_x": [100.0, 50.0, 10.0],
                         "delta_y": [500.0, 200.0, 5.0], "sigma": [50.0, 50.0, 1.0]})


def test_lift_tests_pool_by_inverse_variance_by_hand():
    t = T.lift_test_roas(lifts(), interval=0.9).loc["email"]
    # test 1: roas 5.0, se 0.5; test 2: roas 4.0, se 1.0 -> weights 4 and 1
    assert t["lift_test_roas"] == pytest.approx((4 * 5.0 + 1 * 4.0) / 5)
    se = np.sqrt(1 / 5)
    assert t["lift_test_roas_high"] - t["lift_test_roas"] == pytest.approx(1.6448536 * se) and t["lift_tests"] == 2
    assert T.lift_test_roas(None).empty


def test_flags_over_under_agree_and_one_sided_channels():
    tri = T.triangulate(credits(), mmm_json(), lifts())
    t = tri.table
    assert list(t.index) == ["email", "search", "social"]
    assert t.loc["search", "flag"] == T.OVER and "3.0× its incremental share" in t.loc["search", "explanation"]
    assert t.loc["search", "explanation"].startswith("Last touch credits search")
    assert t.loc["social", "flag"] == T.UNDER and "off the tracked paths" in t.loc["social", "explanation"]
    assert t.loc["social", "explanation"].startswith("Last touch gives social 20.0%")
    # email: lift test 4.8 [4.06, 5.54] misses the MMM's [1.5, 2.5] -> the lift-test flag wins
    assert t.loc["email", "flag"] == T.LIFT and "above the MMM's 2.00 [1.50, 2.50]" in t.loc["email", "explanation"]
    assert tri.missing == {"mmm_only": ["video"], "attribution_only": ["podcast"], "lift_tests_only": ["tv"]}
    out = tri.results()
    assert out["missing"]["mmm_only"] == ["video"] and out["search"]["last_touch_share"] == pytest.approx(0.3)
    assert out["social"]["lift_test_roas"] is None and out["search"]["mmm_share"] == 0.10


def test_shares_inside_the_mmm_interval_or_within_the_ratio_are_not_flagged():
    c = {"last_touch": pd.Series({"search": 0.11, "social": 0.59, "email": 0.2, "video": 0.1}),
         "markov": pd.Series({"search": 0.13, "social": 0.57, "email": 0.2, "video": 0.1})}  # search 1.3×: outside, under the ratio
    tri = T.triangulate(c, mmm_json(), None)
    assert tri.table["flag"].isna().all() and (tri.table["explanation"] == "").all()
    assert tri.missing == {"mmm_only": [], "attribution_only": [], "lift_tests_only": []} and not tri.lift_tests_given


def test_an_unhealthy_mmm_flags_nothing():
    tri = T.triangulate(credits(), mmm_json(passed=False), lifts())
    assert tri.mmm_healthy is False and tri.table["flag"].isna().all()


def test_without_an_mmm_the_attribution_side_is_still_lined_up():
    tri = T.triangulate(credits(), None, None)
    assert list(tri.table.index) == ["email", "podcast", "search", "social"]
    assert tri.table["mmm_share"].isna().all() and tri.table["flag"].isna().all()
    assert tri.results()["search"]["mmm_roas_mean"] is None and tri.missing["mmm_only"] == []
