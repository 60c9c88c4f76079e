"""The launch notebook: house layout (static checks) and its prior-only, MMM-priced branch run through the CLI."""

import json

import nbformat
import pytest
from conftest import ROOT, run_cli

from playbook.launch import narrative

from .factory import mmm_json

NOTEBOOK = ROOT / "notebooks" / "launch.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_metadata_declares_optional_history_and_the_mmm_hand_off(nb):
    meta = nb.metadata["playbook"]
    assert meta["requires"] == [] and meta["optional"] == ["adoption"] and meta["consumes"] == ["mmm.json"]


def test_the_notebook_headings_are_the_brief_sections(nb):
    """Beyond the house rule (tests/test_notebooks.py: thin, no f-string), what this room's notebook leaves to its package."""
    headings = [ln[3:].strip() for c in nb.cells if c.cell_type == "markdown" for ln in c.source.splitlines() if ln.startswith("## ")]
    assert set(narrative.SECTIONS) <= set(headings)


@pytest.mark.notebook
def test_prior_only_launch_priced_by_the_runs_mmm(tmp_path):
    """No adoption.csv at all, a planned launch and a market potential; an MMM's results JSON (a path: a run
    reads hand-offs of its own notebooks only from its staging folder) prices the phases."""
    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    (tmp_path / "mmm.json").write_text(json.dumps(mmm_json()))
    res = run_cli("run", "launch", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "launch_date=2026-03-02",
                  "-p", f"mmm_results={tmp_path / 'mmm.json'}",
                  "-p", "frequency=week", "-p", "market_potential=60000", "-p", "revenue_per_adopter=40", timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    saved = json.loads((out / "launch.json").read_text())
    assert saved["bass"]["source"] == "prior" and saved["bass"]["frequency"] == "week"
    assert saved["forecast"][0]["period"] == "2026-03-02" and saved["meta"]["data_period"] is None
    assert saved["plan"]["spend_known"] and all(p["spend"] for p in saved["phases"] if p["planned_periods"])
    assert [w["file"] for w in saved["warnings"]] == ["adoption.csv"]
    assert saved["brief"][1]["money_at_stake"] == pytest.approx(saved["plan"]["budget"])
    html = (out / "launch.html").read_text()
    assert "Traceback" not in html and "Prior-only forecast" in html and "Adopters from that spend" not in html
    assert "One data warning" in html and "Spend $" in html
