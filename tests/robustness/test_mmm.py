"""MMM on the awkward inputs real teams bring (issue 17): a report with named warnings, or a clear refusal.

Each variant is built from the demo ``mmm.csv``, loaded through its contract (so it is legal input) and run through
the room's data step (``prepare_input`` → ``drop_sparse_channels`` → ``data_checks``), which is where every rule
acts: no MCMC. That the report then builds with the warnings is checked on the hand-made result of
``tests/mmm/factory.py`` with the variant's data step swapped in. Too few weeks for the model is refused by
``playbook run`` before the notebook starts (exit 2, the rule :data:`playbook.mmm.data.ENOUGH_WEEKS`, with the run's
settings), and by ``analyze`` itself, before anything is sampled, when it is called directly.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, run_cli
from mmm import factory

import playbook.mmm as mmm_room
from playbook import io, results
from playbook.mmm import data, narrative

DEMO = ROOT / "data" / "demo"
CONTROLS = ["price_index", "competitor_promo", "holiday"]


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return io.load("mmm", DEMO)


def load(tmp_path, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` written as a data folder's mmm.csv and read back through its contract (it must be legal)."""
    frame.to_csv(tmp_path / "mmm.csv", index=False)
    return io.load("mmm", tmp_path)


def prepared(frame: pd.DataFrame, controls=CONTROLS):
    inp = data.prepare_input(frame, "revenue", list(controls))
    inp, dropped = data.drop_sparse_channels(inp)
    return inp, data.data_checks(inp, dropped, 2)


def report_of(frame: pd.DataFrame, controls=("price", "promo")):
    """The hand-made result with ``frame``'s data step: the report's pieces and mmm.json must build, JSON-safe."""
    inp, checks = prepared(frame, controls)
    r = factory.with_(factory.result(), inp=inp, checks=checks)
    doc = results.payload("mmm", r.results(), narrative.tiles(r), r.data_period, r.interval, r.warnings)
    json.dumps(results.to_jsonable(doc), allow_nan=False)
    return r, doc, narrative.findings(r), narrative.data_sentence(r)


# --------------------------------------------------------------------------- a channel with no spend


def test_a_channel_with_no_spend_is_left_out_with_a_named_warning(tmp_path, demo):
    frame = load(tmp_path, demo.assign(spend_kol=0.0))
    inp, checks = prepared(frame)
    assert "kol" not in inp.channels and len(inp.channels) == 5
    [d] = checks.dropped
    assert (d.channel, d.spend_weeks, d.n_weeks) == ("kol", 0, 156)
    assert "kol was left out of the model: no spend in any of the 156 modelled weeks" in checks.problems


def test_the_report_names_the_dropped_channel():
    f = factory.frame().assign(spend_radio=0.0)
    r, doc, findings, sentence = report_of(f)
    assert r.channels == ["tv", "search"]
    assert doc["data_checks"]["dropped_channels"][0]["channel"] == "radio"
    [w] = doc["warnings"]
    assert w["file"] == "mmm.csv" and w["rows"].startswith("spend_radio: no spend in any of the 60") and "left out" in w["action"]
    assert "radio was left out of the model" in sentence


# --------------------------------------------------------------------------- a channel always on


def test_a_channel_always_on_but_varying_is_modelled_without_a_note(tmp_path, demo):
    """email is never at zero in the demo; a channel needs variation, not weeks off, to be estimated."""
    frame = load(tmp_path, demo)
    assert (frame["spend_email"] > 0).all()
    inp, checks = prepared(frame)
    assert "email" in inp.channels and not checks.dropped
    assert int(checks.spend.set_index("channel").loc["email", "zero_spend_weeks"]) == 0
    assert not any(p.startswith("email") for p in checks.problems)


def test_a_channel_always_on_at_a_flat_level_is_named_as_hard_to_separate(tmp_path, demo):
    frame = load(tmp_path, demo.assign(spend_email=2000.0))
    inp, checks = prepared(frame)
    assert "email" in inp.channels
    assert any(p.startswith("email spend barely varies") for p in checks.problems)
    assert "email" not in checks.vif["channel"].tolist()  # a constant column is kept out of the VIF (it would divide by zero)
    assert np.isnan(checks.baseline_r2.set_index("channel").loc["email", "baseline_r2"])


# --------------------------------------------------------------------------- fewer weeks than the model needs


def test_fewer_weeks_than_the_model_needs_is_refused_before_sampling(tmp_path, demo, monkeypatch):
    frame = load(tmp_path, demo.head(30))  # legal: weekly, no gaps

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled on data that cannot support the model")

    monkeypatch.setattr(mmm_room, "fit_converged", no_sampling)
    inp, _ = prepared(frame)
    assert inp.constant_controls == ["holiday"]  # no holiday in the first 30 weeks: left out, so 2 controls and the trend
    needed = data.weeks_needed(6, 3, 8, 2)
    assert needed == 8 + 2 + 3 * 6 + 3 + 2 * 2
    with pytest.raises(ValueError, match=rf"mmm.csv: 30 modelled weeks, but this model needs at least {needed} .*nothing was sampled") as err:
        mmm_room.analyze(frame, controls=CONTROLS)
    # worded as the pre-run rule words it: the sum term by term, and what to do
    assert ("(8 (l_max, the longest carry-over) + 2 (intercept and noise) + 3 × 6 channels + 3 controls (price_index, "
            "competitor_promo, trend) + 2 × 2 yearly modes, at least 26)") in str(err.value)
    assert str(err.value).endswith(f"{data.SMALLER_MODEL}.")


def test_fewer_weeks_than_the_default_model_needs_is_refused_before_the_notebook_runs(tmp_path, demo):
    """30 weeks pass the contract (26) but not the default model (35 weeks): exit 2, nothing written; a smaller model passes."""
    folder, out = tmp_path / "data", tmp_path / "out"
    folder.mkdir()
    pd.read_csv(DEMO / "mmm.csv").head(30).to_csv(folder / "mmm.csv", index=False)
    proc = run_cli("run", "mmm", "--data", str(folder), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    assert not out.exists() and "Traceback" not in proc.stderr
    assert f"mmm: {folder / 'mmm.csv'} breaks the rule 'weeks for the model'" in proc.stderr and "column: date" in proc.stderr
    assert data.weeks_needed(6, 3, 8, 2) == 35  # 6 channels; price_index, competitor_promo and the trend (holiday is 0 throughout)
    assert ("at least 35 modelled weeks for this model: 8 (l_max, the longest carry-over) + 2 (intercept and noise) + 3 × 6 channels "
            "+ 3 controls (price_index, competitor_promo, trend) + 2 × 2 yearly modes, at least 26; the file has 30") in proc.stderr
    assert "already left out: control holiday (the same in every week)" in proc.stderr
    # the rule reads the run's settings: a shorter carry-over and no seasonality need 26 weeks (the floor)
    proc = run_cli("validate", "mmm", "--data", str(folder), "-p", "l_max=2", "-p", "yearly_seasonality=0")
    assert proc.returncode == 0, proc.stderr
    assert "can run     mmm" in proc.stdout


def test_the_pre_run_rule_and_analyze_refuse_the_same_files(tmp_path, demo):
    """The rule runs the notebook's data step with the run's settings, so it refuses exactly what ``analyze`` would."""
    for weeks in (30, 34, 35, 47):
        frame = load(tmp_path, demo.head(weeks))
        values = {"kpi": "revenue", "controls": CONTROLS, "trend": True, "l_max": 8, "yearly_seasonality": 2, "smoke": False}
        refused = data.ENOUGH_WEEKS.check(data.ENOUGH_WEEKS.summarize(frame), values)
        inp, _ = data.drop_sparse_channels(data.prepare_input(frame, "revenue", CONTROLS))
        assert bool(refused) == bool(data.too_few_weeks(inp, 8, 2)), weeks
        assert bool(refused) == (weeks < 35), weeks  # 35 weeks needed; from week 47 holiday varies and 36 are needed


def test_weeks_needed_follows_the_model_and_never_drops_below_half_a_year():
    assert data.weeks_needed(1, 0, 2, 0) == data.MIN_WEEKS == 26
    assert data.weeks_needed(6, 4, 8, 2) < data.weeks_needed(6, 4, 12, 2) < data.weeks_needed(8, 4, 12, 2)


def test_a_file_under_half_a_year_is_refused_before_anything_runs(tmp_path, demo):
    """The contract's floor (26 weeks); between it and what the run's model needs, the rule ENOUGH_WEEKS refuses (above)."""
    demo.head(10).to_csv(tmp_path / "mmm.csv", index=False)
    proc = run_cli("validate", "mmm", "--data", str(tmp_path))
    assert proc.returncode == 2, proc.stderr
    assert "mmm.csv" in proc.stderr and "column: date" in proc.stderr
    assert "must cover at least 26 weeks (half a year) for a marketing mix model; the file has 10" in proc.stderr


# --------------------------------------------------------------------------- a control that is constant


@pytest.mark.parametrize("column, value", [("price_index", 1.0), ("price_index", 0.97), ("competitor_promo", 0)])
def test_a_constant_control_is_left_out_with_a_note(tmp_path, demo, column, value):
    """1.0 and 0 are constants too, not 0/1 flags: before this rule they entered the model as a copy of the intercept."""
    frame = load(tmp_path, demo.assign(**{column: value}))
    inp, checks = prepared(frame)
    assert column not in inp.controls and column not in inp.frame and inp.constant_controls == [column]
    assert [c for c in CONTROLS if c != column] == [c for c in inp.controls if c != "trend"]
    assert f"control {column} never changes, so it was left out of the model (a constant is already the intercept)" in checks.problems


def test_the_report_names_the_constant_control():
    r, doc, findings, sentence = report_of(factory.frame().assign(promo=1))
    assert r.inp.controls == ["price", "trend"]
    [w] = doc["warnings"]
    assert (w["file"], w["rows"]) == ("mmm.csv", "column promo: the same value in every week") and "left out" in w["action"]


# --------------------------------------------------------------------------- a geo-level file


def geo_split(demo: pd.DataFrame) -> pd.DataFrame:
    """The demo split 60/40 into two geos (KPI and spend), controls the same in both."""
    money = ["revenue", *[c for c in demo.columns if c.startswith("spend_")]]
    north, south = demo.copy(), demo.copy()
    north[money], south[money] = demo[money] * 0.6, demo[money] * 0.4
    return pd.concat([north.assign(geo="north"), south.assign(geo="south")], ignore_index=True)


def test_a_geo_level_file_is_summed_to_one_series_and_said_so(tmp_path, demo):
    frame = load(tmp_path, geo_split(demo))
    assert run_cli("validate", "mmm", "--data", str(tmp_path)).returncode == 0
    inp, checks = prepared(frame)
    national, _ = prepared(demo)
    assert inp.aggregated_geos == 2 and inp.n_weeks == 156
    np.testing.assert_allclose(inp.y, national.y, rtol=1e-9)
    np.testing.assert_allclose(inp.spend.to_numpy(), national.spend.to_numpy(), rtol=1e-9)
    np.testing.assert_allclose(inp.frame[national.controls].to_numpy(), national.frame[national.controls].to_numpy(), atol=1e-12)
    f = factory.frame()
    r, doc, *_ = report_of(pd.concat([f.assign(geo="a"), f.assign(geo="b")], ignore_index=True))
    [w] = doc["warnings"]
    assert w["rows"] == "2 geos" and "summed" in w["action"]


def test_a_geo_missing_a_week_is_refused_by_the_contract(tmp_path, demo):
    geo = geo_split(demo)
    geo = geo.drop(index=geo.index[(geo["geo"] == "south") & (geo["date"] == pd.Timestamp("2024-03-04"))])
    geo.to_csv(tmp_path / "mmm.csv", index=False)
    proc = run_cli("validate", "mmm", "--data", str(tmp_path))
    assert proc.returncode == 2
    assert "mmm.csv" in proc.stderr and "date" in proc.stderr and "weekly" in proc.stderr and "south" in proc.stderr


# --------------------------------------------------------------------------- a KPI with missing weeks


def test_weeks_with_a_missing_kpi_are_left_out_and_named(tmp_path, demo):
    gone = [pd.Timestamp(d) for d in ("2023-03-13", "2024-01-01", "2025-06-02")]
    frame = load(tmp_path, demo.assign(revenue=demo["revenue"].mask(demo["date"].isin(gone))))  # the contract allows it
    inp, checks = prepared(frame)
    assert inp.n_weeks == 153 and not inp.y.isna().any() and not inp.frame["date"].isin(gone).any()
    assert inp.missing_kpi_weeks == ["2023-03-13", "2024-01-01", "2025-06-02"]
    assert "3 week(s) with no revenue (2023-03-13, 2024-01-01, 2025-06-02) were left out of the model" in checks.problems
    # with geos, a week missing in one geo is left out of the national series (its sum would be too low)
    geo = geo_split(demo)
    geo.loc[(geo["geo"] == "south") & (geo["date"] == gone[1]), "revenue"] = np.nan
    inp, _ = prepared(load(tmp_path, geo))
    assert inp.missing_kpi_weeks == ["2024-01-01"] and inp.n_weeks == 155


def test_the_report_names_the_missing_kpi_weeks():
    f = factory.frame()
    f.loc[[5, 6], "revenue"] = np.nan
    r, doc, *_ = report_of(f)
    [w] = doc["warnings"]
    assert w["rows"] == "2 weeks with no revenue: 2024-02-05, 2024-02-12" and "left out of the model" in w["action"]


def test_smoke_runs_name_only_the_missing_weeks_they_model(demo):
    f = demo.assign(revenue=demo["revenue"].mask(demo["date"].isin([pd.Timestamp("2023-03-13"), pd.Timestamp("2025-06-02")])))
    inp = data.prepare_input(f, "revenue", CONTROLS, last_weeks=52)
    assert inp.n_weeks == 52 and inp.missing_kpi_weeks == ["2025-06-02"]


def test_clean_demo_data_carry_no_warnings(demo):
    inp, checks = prepared(demo)
    r = factory.with_(factory.result(), inp=inp, checks=checks)
    assert r.warnings == [] and not inp.constant_controls and not inp.missing_kpi_weeks


# --------------------------------------------------------------------------- one fitted case


@pytest.mark.slow
def test_a_fit_without_one_channel_and_with_a_constant_control_gives_a_whole_report(tmp_path, demo):
    """The one case only a fit can show: the model, the curves and the planner work on the channels that are left."""
    from playbook import mcmc

    frame = load(tmp_path, demo.assign(spend_kol=0.0, price_index=1.0))
    tiny = mcmc.Settings(draws=60, tune=60, chains=2, sampler="nutpie", seed=3, target_accept=mmm_room.model.TARGET_ACCEPT)
    r = mmm_room.analyze(frame, controls=CONTROLS, settings=tiny, holdout_weeks=0, last_weeks=104, prior_samples=60, max_extensions=0, smoke=True)
    assert "kol" not in r.channels and "price_index" not in r.inp.controls
    doc = results.to_jsonable(results.payload("mmm", r.results(), narrative.tiles(r), r.data_period, r.interval, r.warnings))
    json.dumps(doc, allow_nan=False)
    assert set(doc["channels"]) == set(r.channels) and "kol" not in doc["optimizer"]
    assert [w["rows"].split(":")[0] for w in doc["warnings"]] == ["spend_kol", "column price_index"]
    assert narrative.findings(r) and narrative.data_sentence(r)
