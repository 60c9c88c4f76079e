"""A/B test on the awkward but legal inputs real teams have (issue 17): a report with named warnings, or a clear refusal.

Each case is built from the demo experiment, written to a folder and loaded through its data contract (so it
is legal input), then run through ``analyze()`` without the PyMC models (``settings=None``, as the notebook's
``draws=0``) and with a small A/A simulation. Every report must build, its results JSON must serialise without
NaN, the data problem must be a named warning or banner, and the decision must never ship an arm whose data
were not recorded. A single arm cannot support a comparison at all: the contract refuses it before anything
runs (exit 2). One case runs through the real CLI to show the notebook renders with the red banner.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ROOT, run_cli

from playbook import io, mcmc, results
from playbook.abtest import analyze, narrative
from playbook.contracts import ContractError

DEMO = ROOT / "data" / "demo"
SMOKE = {"settings": None, "aa_sims": 10, "n_draws": 20_000, "segments": [], "seed": 3}


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return io.load("experiment", DEMO)


def load(folder, frame: pd.DataFrame, name: str = "experiment") -> pd.DataFrame:
    """Write ``frame`` as ``<name>.csv`` and load it back through its contract: the case is legal input."""
    folder.mkdir(exist_ok=True)
    frame.to_csv(folder / f"{name}.csv", index=False)
    return io.load(name, folder)


def summary_of(frame: pd.DataFrame) -> pd.DataFrame:
    return (frame.assign(sq=frame["revenue"] ** 2).groupby("variant")
            .agg(units=("unit_id", "size"), conversions=("converted", "sum"), revenue_sum=("revenue", "sum"), revenue_sum_sq=("sq", "sum"))
            .reset_index())


def run(experiment=None, summary=None, **kwargs):
    """analyze() with smoke settings, and every sentence, table and banner the notebook builds from it."""
    r = analyze(experiment, summary, **{**SMOKE, **kwargs})
    document = results.payload("ab_test", r.results(), narrative.tiles(r), r.data_period, r.interval, r.warnings)
    json.dumps(results.to_jsonable(document), allow_nan=False)  # the code promises no NaN in ab_test.json
    text = [*narrative.findings(r), *(b for b, _ in narrative.banners(r)), narrative.srm_sentence(r), narrative.data_check_banner(r)[0],
            narrative.rates_sentence(r), narrative.rates_note(r), narrative.uplift_sentence(r), narrative.uplift_note(r),
            narrative.allocation_sentence(r), narrative.frequentist_sentence(r), narrative.decision_banner(r)[0]]
    text.append(narrative.no_revenue_banner(r) if r.revenue is None else narrative.revenue_sentence(r))
    if r.plan is not None:
        text.append(narrative.plan_sentence(r))
    if r.aa:
        text += [narrative.aa_sentence(r), narrative.aa_note(r)]
    assert all(isinstance(t, str) and t for t in text)
    narrative.conversion_table(r), narrative.methods(r), narrative.frequentist_table(r)
    if r.revenue is not None:
        narrative.revenue_table(r)
    return r


def rows(r) -> list[str]:
    return [w.rows for w in r.warnings]


def never_ships(r, variant: str) -> None:
    assert not (r.decision.action == "ship" and r.decision.variant == variant)
    assert r.results()["decision"]["action"] != "ship" or r.results()["decision"]["variant"] != variant


def test_the_demo_has_no_warnings(demo):
    assert rows(run(demo)) == []


def test_an_arm_with_no_conversions_is_named_and_never_shipped(demo, tmp_path):
    """The crash issue 17 names (``every variant needs at least one unit with revenue > 0``) is a report now."""
    frame = demo.copy()
    frame.loc[frame["variant"] == "C", ["converted", "revenue"]] = (0, 0.0)
    r = run(load(tmp_path, frame))
    [warning] = r.warnings
    assert (warning.file, warning.rows) == ("experiment.csv", "variant C") and "never shipped" in warning.action
    assert r.broken.no_conversions == ["C"] and r.results()["health"]["broken_variants"] == ["C"]
    assert narrative.banners(r)[0] == (narrative.broken_banners(r)[0], "danger") and "C recorded no conversions" in narrative.banners(r)[0][0]
    assert set(r.results()["revenue"]["variants"]) == {"A", "B"}  # the broken arm is left out of the revenue comparison
    never_ships(r, "C")


def test_a_control_with_no_conversions_ships_nothing(demo, tmp_path):
    frame = demo.copy()
    frame.loc[frame["variant"] == "A", ["converted", "revenue"]] = (0, 0.0)
    r = run(load(tmp_path, frame))
    assert rows(r) == ["variant A"] and r.revenue is None and r.decision.action != "ship"
    assert "relative uplift is undefined" in narrative.findings(r)[0]
    assert r.results()["conversion"]["variants"]["B"]["uplift_mean"] is None  # undefined, not NaN, in the JSON


def test_an_arm_with_no_revenue_is_named_left_out_of_revenue_and_never_shipped(demo, tmp_path):
    frame = demo.copy()
    frame.loc[frame["variant"] == "B", "revenue"] = 0.0
    r = run(load(tmp_path, frame))
    [warning] = r.warnings
    assert warning.rows == "variant B" and "left out of the revenue comparison and never shipped" in warning.action
    assert r.broken.no_revenue == ["B"] and set(r.results()["revenue"]["variants"]) == {"A", "C"}
    assert any("B recorded no revenue: check tracking" in b for b, level in narrative.banners(r) if level == "danger")
    never_ships(r, "B")  # B is the demo's real winner on conversion: without its revenue it is still not shipped


def test_a_single_arm_is_refused_by_the_contract_before_anything_runs(demo, tmp_path):
    one = demo.loc[demo["variant"] == "A"]
    tmp_path.mkdir(exist_ok=True)
    one.to_csv(tmp_path / "experiment.csv", index=False)
    with pytest.raises(ContractError, match=r"column: variant\n  rule:   must hold at least two distinct variants"):
        io.load("experiment", tmp_path)
    res = run_cli("validate", "--data", str(tmp_path), "ab_test")
    out = res.stderr + res.stdout
    assert res.returncode == 2 and "experiment.csv" in out and "column: variant" in out and "only A" in out
    with pytest.raises(ValueError, match="at least two variants"):  # called directly, analyze() says why
        analyze(one, **SMOKE)


def test_a_header_only_experiment_is_refused(demo, tmp_path):
    demo.iloc[:0].to_csv(tmp_path / "experiment.csv", index=False)
    with pytest.raises(ContractError, match="at least two distinct variants .* the file has no rows"):
        io.load("experiment", tmp_path)


def test_a_single_arm_summary_is_refused_too(demo, tmp_path):
    one = summary_of(demo).iloc[:1]
    one.to_csv(tmp_path / "experiment_summary.csv", index=False)
    res = run_cli("validate", "--data", str(tmp_path), "ab_test")
    assert res.returncode == 2 and "experiment_summary.csv" in res.stderr + res.stdout and "at least two distinct variants" in res.stderr + res.stdout


def test_an_arm_with_a_handful_of_units_stops_the_test_on_the_sample_ratio(demo, tmp_path):
    frame = pd.concat([demo[demo["variant"] != "C"], demo[demo["variant"] == "C"].head(5)])
    r = run(load(tmp_path, frame))
    assert r.srm.detected and r.decision.action == "stop" and narrative.banners(r)[0][1] == "danger"
    assert not r.data_check.passed
    never_ships(r, "C")


def test_an_arm_designed_small_with_a_handful_of_units_keeps_testing(demo, tmp_path):
    """Designed as a 1 % arm, 5 units are no mismatch: the minimum-data check holds the call instead."""
    frame = pd.concat([demo[demo["variant"] != "C"], demo[demo["variant"] == "C"].head(5)])
    r = run(load(tmp_path, frame), expected_split={"A": 0.4998, "B": 0.4998, "C": 0.0004})
    assert not r.srm.detected and not r.data_check.passed and "variant C has only" in r.data_check.reasons[0]
    assert r.decision.action != "ship"


def test_an_arm_of_one_buying_unit_is_left_out_of_revenue(demo, tmp_path):
    """One unit has no spread of revenue (a NaN posterior before); the arm is named and compared on conversion only."""
    buyer = demo[(demo["variant"] == "C") & (demo["revenue"] > 0)].head(1)
    r = run(load(tmp_path, pd.concat([demo[demo["variant"] != "C"], buyer])))
    assert rows(r) == ["variant C: 1 unit"] and "at least 2 units" in r.warnings[0].assumption
    assert set(r.results()["revenue"]["variants"]) == {"A", "B"} and r.decision.action == "stop"  # and the SRM stops the test
    never_ships(r, "C")


def test_a_summary_arm_of_one_unit_is_left_out_of_revenue(demo, tmp_path):
    """The sums of one unit give no variance (a division by zero before)."""
    table = summary_of(demo)
    table.loc[table["variant"] == "C", ["units", "conversions", "revenue_sum", "revenue_sum_sq"]] = (1, 1, 50.0, 2500.0)
    r = run(summary=load(tmp_path, table, "experiment_summary"))
    assert rows(r) == ["variant C: 1 unit"] and set(r.results()["revenue"]["variants"]) == {"A", "B"}
    never_ships(r, "C")


def test_a_summary_arm_with_no_units_is_refused_by_the_contract(demo, tmp_path):
    table = summary_of(demo)
    table.loc[table["variant"] == "C", ["units", "conversions", "revenue_sum", "revenue_sum_sq"]] = (0, 0, 0.0, 0.0)
    table.to_csv(tmp_path / "experiment_summary.csv", index=False)
    res = run_cli("validate", "--data", str(tmp_path), "ab_test")
    out = res.stderr + res.stdout
    assert res.returncode == 2 and "experiment_summary.csv" in out and "column: units" in out and "received no units" in out
    with pytest.raises(ValueError, match=r"variant\(s\) \['C'\] received no units"):  # called directly, analyze() says why
        analyze(summary=table, **SMOKE)


def test_no_assigned_at_is_a_named_warning(demo, tmp_path):
    r = run(load(tmp_path, demo.drop(columns="assigned_at")))
    [warning] = r.warnings
    assert (warning.file, warning.rows) == ("experiment.csv", "column assigned_at: absent")
    assert "minimum-days check (7 days)" in warning.action and "A/A simulation reads 14 looks" in warning.action
    assert r.days is None and r.over_time is None and r.data_period is None and r.data_check.days_found is None
    assert "column assigned_at: absent" in warning.sentence()


def test_revenue_without_a_pre_period_covariate_skips_cuped(demo, tmp_path):
    r = run(load(tmp_path, demo.drop(columns="pre_period_revenue")))
    assert rows(r) == [] and r.cuped is None and r.revenue is not None
    rev = r.results()["revenue"]
    assert "cuped" not in rev and set(rev["variants"]) == {"A", "B", "C"} and "capped" in rev


def test_a_summary_with_a_zero_conversion_control(demo, tmp_path):
    table = summary_of(demo)
    table.loc[table["variant"] == "A", ["conversions", "revenue_sum", "revenue_sum_sq"]] = (0, 0.0, 0.0)
    r = run(summary=load(tmp_path, table, "experiment_summary"))
    [warning] = r.warnings
    assert (warning.file, warning.rows) == ("experiment_summary.csv", "variant A") and "never shipped" in warning.action
    assert r.source == "experiment_summary" and r.revenue is None and r.decision.action != "ship"
    assert any("A recorded no conversions" in b for b, level in narrative.banners(r) if level == "danger")


def test_a_summary_without_revenue_and_a_zero_conversion_control(demo, tmp_path):
    table = summary_of(demo)[["variant", "units", "conversions"]]
    table.loc[table["variant"] == "A", "conversions"] = 0
    r = run(summary=load(tmp_path, table, "experiment_summary"))
    assert rows(r) == ["variant A"] and r.revenue is None and r.decision.action != "ship"


@pytest.mark.slow
def test_an_arm_with_no_conversions_with_the_pymc_models(demo, tmp_path):
    """The path that crashed in issue 17: the revenue and segment models fit on the data with a dead arm."""
    frame = demo.copy()
    frame.loc[frame["variant"] == "C", ["converted", "revenue"]] = (0, 0.0)
    r = run(load(tmp_path, frame), settings=mcmc.Settings(draws=100, tune=100, chains=2, sampler="pymc", seed=1), segments=["device"])
    assert r.revenue_model is not None and set(r.results()["revenue"]["variants"]) == {"A", "B"}
    assert rows(r) == ["variant C"]
    never_ships(r, "C")


@pytest.mark.notebook
def test_notebook_reports_an_arm_with_no_conversions_in_a_red_banner(demo, tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    frame = demo.copy()
    frame.loc[frame["variant"] == "C", ["converted", "revenue"]] = (0, 0.0)
    frame.assign(assigned_at=frame["assigned_at"].dt.strftime("%Y-%m-%dT%H:%M:%S")).to_csv(data / "experiment.csv", index=False)
    res = run_cli("run", "ab_test", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "draws=0", "-p", "aa_sims=0")
    assert res.returncode == 0, res.stderr[-3000:]
    html = (out / "ab_test.html").read_text()
    document = json.loads((out / "ab_test.json").read_text())
    assert [w["rows"] for w in document["warnings"]] == ["variant C"] and document["health"]["no_conversions"] == ["C"]
    assert not (document["decision"]["action"] == "ship" and document["decision"]["variant"] == "C")
    assert "Traceback" not in html and "C recorded no conversions: check tracking" in html
