"""playbook.mmm.decompose: ROAS, profit and their probabilities from joint draws, ranks, tiers, shares, waterfall."""

import numpy as np
import pandas as pd
import pytest

from playbook.mmm import decompose as C

from .factory import draws, summary


def test_rank_channels_flags_wide_intervals():
    out = C.rank_channels(summary())
    assert out["channel"].tolist() == ["a", "b", "c"]  # rankable first, by ROAS
    assert out.set_index("channel")["rankable"].to_dict() == {"a": True, "b": True, "c": False}
    assert out.set_index("channel")["rank"].iloc[:2].tolist() == [1, 2]
    assert np.isnan(out.set_index("channel").loc["c", "rank"])


def test_calibration_comparison_widths():
    before = summary()
    after = before.assign(roas_hdi_low=[2.8, 0.3, 0.9], roas_hdi_high=[3.2, 0.7, 1.4])
    out = C.calibration_comparison(before, after).set_index("channel")
    assert out.loc["a", "hdi_width_change"] == pytest.approx(0.4 / 1.0 - 1)
    assert out.loc["c", "hdi_width_after"] == pytest.approx(0.5)


def test_waterfall_sums_components():
    decomp = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=3, freq="7D"), "baseline": [10.0, 10, 10], "promo": [-1.0, 0, 0], "tv": [2.0, 3, 4]})
    wf = C.waterfall(decomp, ["tv"])
    assert wf["component"].tolist() == ["baseline", "promo", "tv"]
    assert wf["contribution"].tolist() == [30.0, -1.0, 9.0]
    assert wf["share_of_kpi"].sum() == pytest.approx(1.0)
    assert wf["is_media"].tolist() == [False, False, True]


SPEND = {"a": 100.0, "b": 100.0, "c": 100.0}


def _summ(margin=1.0, **kw):
    contrib = draws({"a": 3.0, "b": 2.9, "c": 0.8}, {"a": 0.2, "b": 0.2, "c": 0.1}, SPEND, n=4000)
    mroas = contrib / 100.0 * 0.5
    return C.summarize_channels(contrib, pd.Series(SPEND), mroas, mroas * 0.9, margin=margin, **kw).set_index("channel"), contrib


def test_profit_probabilities_come_from_the_draws_at_the_stated_margin():
    s, contrib = _summ(margin=0.4)
    roas = contrib["a"] / 100.0
    assert s.loc["a", "prob_profitable"] == pytest.approx(float((roas * 0.4 > 1).mean()))
    assert s.loc["a", "profit_roi_mean"] == pytest.approx(float((roas * 0.4 - 1).mean()))
    # ROAS 3 at a 40 % margin: profit ROI 0.2, about P = 0.84 that 3 ± 0.2 exceeds 2.5
    assert 0.9 < s.loc["a", "prob_profitable"] < 1.0
    assert s.loc["c", "prob_profitable"] == 0.0 and s.loc["c", "prob_roas_above_1"] < 0.05
    # marginal: current marginal ROAS is 0.45 × ROAS; at a 40 % margin it never pays
    assert s.loc["a", "prob_marginal_profitable"] == 0.0
    assert s.loc["a", "mroas_current_mean"] == pytest.approx(0.45 * s.loc["a", "roas_mean"], rel=1e-6)
    assert s.loc["a", "saturation_ratio"] == pytest.approx(0.45)
    lo, hi = s.loc["a", ["profit_roi_hdi_low", "profit_roi_hdi_high"]]
    assert lo < s.loc["a", "profit_roi_mean"] < hi


def test_channels_that_cannot_be_told_apart_share_a_tier():
    s, contrib = _summ()
    # a (3.0 ± 0.2) and b (2.9 ± 0.2) are not 90 % apart; both beat c for sure
    assert s["tier"].to_dict() == {"a": 1, "b": 1, "c": 2}
    p = C.prob_greater(contrib / 100.0)
    assert 0.5 < p.loc["a", "b"] < 0.9 and p.loc["a", "c"] == 1.0
    assert p.loc["a", "b"] + p.loc["b", "a"] == pytest.approx(1.0)
    assert C.tied_groups(s.reset_index()) == [["a", "b"]]


def test_a_new_tier_needs_every_member_of_the_tier_above_to_win():
    rng = np.random.default_rng(0)
    # a ≫ c for sure, but b overlaps both: b joins a's tier, c joins it too because b does not surely beat c
    roas = pd.DataFrame({"a": rng.normal(3.0, 0.1, 4000), "b": rng.normal(2.5, 0.5, 4000), "c": rng.normal(2.0, 0.1, 4000)})
    assert C.roas_tiers(roas) == {"a": 1, "b": 1, "c": 1}
    roas["c"] = rng.normal(0.5, 0.1, 4000)
    assert C.roas_tiers(roas) == {"a": 1, "b": 1, "c": 2}


def test_media_share_interval_and_contribution_shares():
    s, contrib = _summ()
    m = C.media_share(contrib, kpi_total=6700.0)
    assert m.mean == pytest.approx(float(contrib.sum(axis=1).mean() / 6700.0))
    assert m.hdi_low < m.mean < m.hdi_high
    assert s["contribution_share"].sum() == pytest.approx(1.0, abs=1e-3)
    assert (s["contribution_share_hdi_low"] < s["contribution_share"]).all()


def test_marginal_draws_from_a_thinned_posterior_are_accepted():
    contrib = draws({"a": 3.0}, {"a": 0.2}, {"a": 100.0}, n=1000)
    thinned = pd.DataFrame({"a": np.full(200, 1.5)})
    s = C.summarize_channels(contrib, pd.Series({"a": 100.0}), None, thinned).set_index("channel")
    assert s.loc["a", "saturation_ratio"] == pytest.approx(1.5 / s.loc["a", "roas_mean"])
    assert s.loc["a", "prob_marginal_profitable"] == 1.0 and s.loc["a", "mroas_current_mean"] == 1.5
