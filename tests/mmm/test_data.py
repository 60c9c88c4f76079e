"""playbook.mmm.data: input preparation, dropped channels, data checks (collinearity, confounding), lift-test sources."""

import numpy as np
import pandas as pd
import pytest

from playbook.mmm import data as D

from .factory import frame as _frame


def test_prepare_input_scales_controls_and_adds_trend():
    f = _frame()
    inp = D.prepare_input(f, "revenue", ["price", "promo"])
    assert inp.channels == ["tv", "search"]
    assert inp.controls == ["price", "promo", "trend"]
    price = inp.frame["price"]
    # centred, largest absolute deviation exactly 1
    assert price.mean() == pytest.approx(0, abs=1e-12)
    assert price.abs().max() == pytest.approx(1.0)
    expected = (f["price"] - f["price"].mean()) / (f["price"] - f["price"].mean()).abs().max()
    np.testing.assert_allclose(price, expected)
    # binary controls unchanged, trend runs 0..1
    np.testing.assert_array_equal(inp.frame["promo"], f["promo"])
    assert inp.frame["trend"].iloc[0] == 0 and inp.frame["trend"].iloc[-1] == 1
    np.testing.assert_allclose(inp.frame["tv"], f["spend_tv"])


def test_prepare_input_errors_name_the_column():
    with pytest.raises(ValueError, match="nope"):
        D.prepare_input(_frame(), "revenue", ["nope"])
    with pytest.raises(ValueError, match="spend_<channel>"):
        D.prepare_input(_frame().drop(columns=["spend_tv", "spend_search"]), "revenue")


def test_prepare_input_sums_geos_and_keeps_last_weeks():
    a, b = _frame(seed=1), _frame(seed=2)
    panel = pd.concat([a.assign(geo="n"), b.assign(geo="s")])
    inp = D.prepare_input(panel, "revenue", ["promo"], trend=False)
    assert inp.aggregated_geos == 2
    np.testing.assert_allclose(inp.frame["revenue"], (a["revenue"] + b["revenue"]).to_numpy())
    short = D.prepare_input(_frame(), "revenue", last_weeks=20)
    assert len(short.frame) == 20 and short.frame["date"].iloc[-1] == _frame()["date"].iloc[-1]


def test_head_tail_split_keeps_scaling():
    inp = D.prepare_input(_frame(), "revenue", ["price"])
    head, tail = inp.head_weeks(50), inp.tail_weeks(10)
    assert len(head.frame) + len(tail.frame) == 60
    np.testing.assert_allclose(pd.concat([head.frame, tail.frame])["price"], inp.frame["price"])


def test_vif_closed_form_for_two_channels():
    inp = D.prepare_input(_frame(), "revenue")
    checks = D.data_checks(inp)
    r = inp.spend.corr().iloc[0, 1]
    # with two regressors, VIF = 1 / (1 - r^2) for both
    np.testing.assert_allclose(checks.vif["vif"], 1 / (1 - r**2), rtol=1e-8)
    assert checks.passed and not checks.collinear


def test_collinear_and_dark_channels_are_flagged():
    f = _frame(n=80)
    rng = np.random.default_rng(3)
    f["spend_copy"] = f["spend_tv"] * 2 + rng.normal(0, 1, len(f))
    f["spend_dark"] = 0.0
    f.loc[:9, "spend_dark"] = 5.0
    checks = D.data_checks(D.prepare_input(f, "revenue"))
    assert ("tv", "copy") in [(a, b) for a, b, _ in checks.collinear_pairs]
    assert checks.vif.set_index("channel").loc["copy", "vif"] > D.VIF_FLAG
    text = " ".join(checks.problems)
    assert "dark has no spend in 70 of 80 weeks" in text
    assert "tv and copy move together" in text
    assert not checks.passed and checks.collinear


def test_data_checks_spend_table():
    inp = D.prepare_input(_frame(), "revenue")
    t = D.data_checks(inp).spend.set_index("channel")
    assert t["share_of_spend"].sum() == pytest.approx(1.0)
    assert t.loc["tv", "total_spend"] == pytest.approx(_frame()["spend_tv"].sum())


def test_a_channel_without_spend_is_dropped_with_a_named_note():
    f = _frame()
    f["spend_dark"] = 0.0
    f["spend_rare"] = 0.0
    f.loc[:2, "spend_rare"] = 10.0  # 3 weeks < MIN_SPEND_WEEKS
    inp, dropped = D.drop_sparse_channels(D.prepare_input(f, "revenue"))
    assert inp.channels == ["tv", "search"] and "dark" not in inp.frame and "rare" not in inp.frame
    assert [d.channel for d in dropped] == ["dark", "rare"]
    assert dropped[0].reason == "no spend in any of the 60 modelled weeks"
    assert "only 3 of the 60" in dropped[1].reason
    checks = D.data_checks(inp, dropped)
    assert checks.problems[0].startswith("dark was left out of the model: no spend")
    assert checks.dropped[1].as_dict()["spend_weeks"] == 3


def test_nothing_is_dropped_when_every_channel_would_be():
    f = _frame()[["date", "revenue"]].assign(spend_a=0.0)
    inp, dropped = D.drop_sparse_channels(D.prepare_input(f, "revenue"))
    assert inp.channels == ["a"] and dropped == []


def test_spend_that_follows_the_yearly_cycle_is_confounded_with_the_baseline():
    f = _frame(n=104)
    f["spend_search"] = 30 + 20 * np.sin(2 * np.pi * f["date"].dt.dayofyear / 365.25) + np.random.default_rng(0).normal(0, 1, 104)
    checks = D.data_checks(D.prepare_input(f, "revenue", ["price"]))
    r2 = checks.baseline_r2.set_index("channel")["baseline_r2"]
    assert r2["search"] > 0.9 and r2["tv"] < 0.3
    assert checks.confounded == ["search"]
    assert any("search spend follows the trend, seasonality and controls" in p for p in checks.problems)
    # without seasonality terms the cycle is not a baseline term
    assert D.data_checks(D.prepare_input(f, "revenue", ["price"]), yearly_modes=0).confounded == []


def test_resolve_lift_tests(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir(), out.mkdir()
    assert D.resolve_lift_tests("none", data, out)[0] is None
    assert D.resolve_lift_tests("auto", data, out)[0] is None
    (out / "lift_tests.csv").write_text("channel,x,delta_x,delta_y,sigma\n")
    path, text = D.resolve_lift_tests("auto", data, out)
    assert path == out / "lift_tests.csv" and "output folder" in text
    (data / "lift_tests.csv").write_text("channel,x,delta_x,delta_y,sigma\n")
    assert D.resolve_lift_tests("auto", data, out)[0] == data / "lift_tests.csv"
    with pytest.raises(FileNotFoundError, match="missing.csv"):
        D.resolve_lift_tests(str(tmp_path / "missing.csv"), data, out)


def test_usable_lift_tests_keep_modelled_channels_only():
    lifts = pd.DataFrame({"channel": ["tv", "gone"], "x": [1.0, 1.0], "delta_x": [1.0, 1.0], "delta_y": [1.0, 1.0], "sigma": [1.0, 1.0]})
    assert D.usable_lift_tests(lifts, ["tv", "search"])["channel"].tolist() == ["tv"]
    assert D.usable_lift_tests(lifts, ["search"]) is None and D.usable_lift_tests(None, ["tv"]) is None


def test_lift_tests_dated_inside_the_holdout_are_kept_out_of_the_holdout_fit():
    lifts = pd.DataFrame({"channel": ["tv", "search", "radio"], "x": 1.0, "delta_x": 1.0, "delta_y": 1.0, "sigma": 1.0,
                          "start": ["2024-02-05", "2024-11-04", None], "end": ["2024-02-25", "2024-11-17", None]})
    kept, left_out = D.lift_tests_before(lifts, pd.Timestamp("2024-10-07"))
    assert kept["channel"].tolist() == ["tv", "radio"] and left_out == ["search"]  # undated tests are kept
    assert D.lift_tests_before(lifts.drop(columns=["start", "end"]), pd.Timestamp("2024-10-07"))[1] == []
    assert D.lift_tests_before(None, pd.Timestamp("2024-10-07")) == (None, [])
    assert D.lift_test_weeks(lifts) == {"tv": 3.0, "search": 2.0}
    assert D.lift_test_weeks(lifts.drop(columns=["end"])) == {}


def test_the_lift_test_contract_takes_optional_dates():
    from playbook import contracts

    c = contracts.contract("lift_tests")
    assert {"start", "end"} <= set(c.optional)
    frame = pd.DataFrame({"channel": ["tv"], "x": [1.0], "delta_x": [1.0], "delta_y": [1.0], "sigma": [1.0], "start": ["2024-02-05"], "end": ["2024-02-25"]})
    contracts.validate(frame, c)
