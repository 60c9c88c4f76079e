"""Launch on the awkward inputs real teams bring (issue 17): a report with named warnings, or a clear refusal."""

import pandas as pd
import pytest
from conftest import ROOT

from playbook import cli, io, mcmc, results
from playbook.launch import analyze, narrative

DEMO = ROOT / "data" / "demo"
TINY = mcmc.Settings(draws=150, tune=150, chains=2, sampler="pymc", seed=2)


def write(folder, frame):
    folder.mkdir(exist_ok=True)
    frame.to_csv(folder / "adoption.csv", index=False)
    return folder


def report_of(r):
    """Everything a report would show: it must build without error and be JSON-safe."""
    results.payload("launch", r.results(), narrative.tiles(r), r.data_period, r.interval, r.warnings)
    return narrative.findings(r), narrative.banners(r), narrative.phase_table(r), narrative.forecast_rows(r)


def test_no_history_at_all_gives_a_prior_only_report(tmp_path):
    adoption = io.load_optional("adoption", tmp_path)
    assert adoption is None
    r = analyze(adoption, launch_date="2026-04-01", market_potential=25_000)
    assert r.prior_only and r.warnings[0].file == "adoption.csv" and "prior" in r.warnings[0].action
    findings, banners, *_ = report_of(r)
    assert banners[0][0].startswith("Prior-only forecast") and "stated prior" in findings[0]


def test_a_header_only_file_is_no_history(tmp_path):
    write(tmp_path, pd.DataFrame({"period": [], "adopters": []}))
    r = analyze(io.load("adoption", tmp_path))
    assert r.prior_only and r.warnings[0].rows == "no rows" and not r.m_known
    report_of(r)


def test_no_adopters_yet_is_a_warning_not_a_crash(tmp_path):
    frame = pd.DataFrame({"period": ["2026-01-05", "2026-01-12", "2026-01-19"], "adopters": [0, 0, 0]})
    r = analyze(io.load("adoption", write(tmp_path, frame)))
    assert r.prior_only and r.history.frequency == "week" and "every period has 0" in r.warnings[0].assumption
    report_of(r)


@pytest.mark.slow
def test_fewer_periods_than_parameters_fits_with_a_named_warning(tmp_path):
    """One row (so no spacing to read the frequency from) for a three-parameter curve."""
    frame = pd.DataFrame({"period": ["2026-01-05"], "adopters": [120]})
    r = analyze(io.load("adoption", write(tmp_path, frame)), frequency="week", settings=TINY)
    assert r.history.frequency == "week" and r.history.n == 1 and r.too_few_periods
    [warning] = r.warnings
    assert warning.file == "adoption.csv" and warning.rows == "1 of the 3 periods needed" and "priors carry" in warning.action
    assert any("only 1 week of history" in x for x in narrative.model_risks(r))
    findings, *_ = report_of(r)
    assert findings and r.summary.m.high > 2 * r.summary.m.low  # wide, as it must be


def test_an_mmm_json_without_curves_for_some_channels_still_prices_the_rest():
    from launch.factory import mmm_json

    mmm = mmm_json()
    mmm["response_curves"]["social"] = []
    r = analyze(None, launch_date="2026-04-01", market_potential=25_000, mmm=mmm, revenue_per_adopter=40.0)
    assert r.plan.basis.known and set(r.plan.basis.mix) == {"search"}
    report_of(r)


def test_a_gap_in_adoption_is_refused_before_anything_runs(tmp_path, capsys):
    """The runner's own pre-run check (``playbook validate launch``, in process): exit 2 naming file, column, rule, rows."""
    frame = pd.DataFrame({"period": ["2025-01-01", "2025-02-01", "2025-04-01"], "adopters": [10, 20, 30]})
    assert cli.main(["validate", "launch", "--data", str(write(tmp_path, frame))]) == 2
    err = capsys.readouterr().err
    assert "adoption.csv" in err and "column: period" in err and "no gaps" in err and "2025-04-01" in err
