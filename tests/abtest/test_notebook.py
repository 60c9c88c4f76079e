"""The A/B notebook: house layout (static checks) and its sample-ratio-mismatch branch run through the CLI."""

import json
import re

import nbformat
import pytest
from conftest import ROOT, run_cli

from playbook.abtest import narrative

from .factory import experiment

NOTEBOOK = ROOT / "notebooks" / "ab_test.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_metadata_keeps_its_inputs_and_the_lift_test_hand_off(nb):
    meta = nb.metadata["playbook"]
    assert meta["requires"] == ["experiment|experiment_summary"] and meta["produces"] == ["lift_tests.csv"]


def test_the_notebook_types_no_rate_and_its_headings_are_the_sections(nb):
    """Beyond the house rule (tests/test_notebooks.py: thin, no f-string), what this room's notebook leaves to its package."""
    code = [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    assert not any(re.search(r"\d+ ?%", src) for src in code)  # no interval mass or rate typed into the code
    headings = [ln[3:].strip() for c in nb.cells if c.cell_type == "markdown" for ln in c.source.splitlines() if ln.startswith("## ")]
    assert set(narrative.SECTIONS) <= set(headings)
    params = next(c.source for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert "interval: float = 0.9" in params and "hdi_prob" not in params


@pytest.mark.notebook
def test_sample_ratio_mismatch_run_stops_with_a_red_banner(tmp_path):
    """A small experiment that lost 10% of B's units: the report stops the test and says why; no MCMC (draws=0)."""
    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    experiment(units=3000, drop={"B": 300}, seed=3).to_csv(data / "experiment.csv", index=False)
    res = run_cli("run", "ab_test", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "draws=0", "-p", "aa_sims=0",
                  timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    saved = json.loads((out / "ab_test.json").read_text())
    assert saved["srm"]["detected"] and saved["decision"]["action"] == "stop"
    assert "sample-ratio mismatch" in saved["decision"]["reason"] and saved["meta"]["interval"] == 0.9
    html = (out / "ab_test.html").read_text()
    assert "Traceback" not in html and "Results are not trustworthy" in html and "pb-banner-danger" in html


@pytest.mark.notebook
def test_an_arm_that_recorded_no_revenue_gives_a_report_not_a_crash(tmp_path):
    """Issue 11: a broken revenue tag on one arm crashed the revenue model; now the arm is named in a red banner and
    the revenue model fits the other arms (smoke MCMC)."""
    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    frame = experiment({"A": 0.10, "new_checkout": 0.13, "C": 0.10}, units=2500, seed=4)
    frame.loc[frame["variant"] == "new_checkout", "revenue"] = 0.0
    frame.to_csv(data / "experiment.csv", index=False)
    res = run_cli("run", "ab_test", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "aa_sims=0", "-p", "segments=[]",
                  timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    saved = json.loads((out / "ab_test.json").read_text())
    assert saved["health"]["broken_variants"] == ["new_checkout"] and set(saved["revenue"]["variants"]) == {"A", "C"}
    assert saved["decision"]["action"] != "ship" or saved["decision"]["variant"] != "new_checkout"
    html = (out / "ab_test.html").read_text()
    assert "Traceback" not in html and "new_checkout recorded no revenue: check tracking" in html
    assert [w["rows"] for w in saved["warnings"]] == ["variant new_checkout"]
