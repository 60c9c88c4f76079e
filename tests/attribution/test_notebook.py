"""The attribution notebook: house layout (static checks) and its paths-only branch run through the CLI."""

import json

import nbformat
import pytest
from conftest import ROOT, run_cli

from playbook.attribution import narrative

from .builders import OPEN_CLOSE, paths_csv

NOTEBOOK = ROOT / "notebooks" / "attribution.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_the_notebook_formats_nothing_and_its_headings_are_the_sections(nb):
    """Beyond the house rule (tests/test_notebooks.py: thin, no f-string), what this room's notebook leaves to its package."""
    code = [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    assert "fmt_" not in "".join(code) and "idxmax" not in "".join(code)
    headings = [ln[3:].strip() for c in nb.cells if c.cell_type == "markdown" for ln in c.source.splitlines() if ln.startswith("## ")]
    assert set(narrative.SECTIONS) <= set(headings)
    assert nb.metadata["playbook"]["consumes"] == ["mmm.json", "lift_tests.csv"]


@pytest.mark.notebook
def test_attribution_from_paths_alone(tmp_path):
    """Only paths.csv: the funnel and KPI sections are skipped with banners, attribution runs."""
    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    paths_csv(OPEN_CLOSE).to_csv(data / "paths.csv", index=False)
    res = run_cli("run", "attribution", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "mmm_results=none", timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    saved = json.loads((out / "attribution.json").read_text())
    assert saved["alerts"] == [] and "funnel" not in saved and set(saved["markov"]) == {"a", "b"}
    assert saved["meta"]["interval"] == 0.9 and saved["attribution_meta"]["warnings"] == []
    html = (out / "attribution.html").read_text()
    assert "Traceback" not in html and "Funnel section skipped" in html and "KPI monitor skipped" in html
    assert "move credit from the closers to the openers" in html
    from playbook.brief import section_anchor

    [line] = saved["brief"]  # no funnel: no KPI line; the credit line links to a section of this report
    assert line["kind"] == "attribution_credit" and line["decision"].startswith("Do not scale b on last-touch numbers")
    assert f'id="{section_anchor(html, line["section"])}"' in html


@pytest.mark.notebook
def test_triangulation_with_the_runs_mmm_and_lift_tests(tmp_path):
    """paths.csv, lift_tests.csv in the data folder and an MMM's results JSON: the triangulation section flags and lists."""
    from .builders import SINGLE, mmm_for_ab

    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    paths_csv(SINGLE).to_csv(data / "paths.csv", index=False)
    (data / "lift_tests.csv").write_text("channel,x,delta_x,delta_y,sigma\na,100,50,150,10\ntv,10,5,5,1\n")
    (tmp_path / "mmm.json").write_text(json.dumps(mmm_for_ab(0.25, 0.75)))
    res = run_cli("run", "attribution", "--data", str(data), "--out", str(out), "-p", "smoke=true",
                  "-p", f"mmm_results={tmp_path / 'mmm.json'}", timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    tri = json.loads((out / "attribution.json").read_text())["triangulation"]
    assert tri["a"]["flag"] == "lift_test_disagrees" and tri["b"]["flag"] == "attribution_under"
    assert tri["a"]["lift_test_roas"] == pytest.approx(3.0) and tri["missing"]["lift_tests_only"] == ["tv"]
    html = (out / "attribution.html").read_text()
    assert narrative.SECTION_TRIANGULATION in html and "Disagreements, explained" in html and "tv in the lift tests only" in html
