"""The personas notebook: house layout (static checks) and its no-customers.csv branch run through the CLI."""

import json
import re
import shutil

import nbformat
import pandas as pd
import pytest
from conftest import ROOT, run_cli

NOTEBOOK = ROOT / "notebooks" / "personas.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_metadata_declares_orders_and_optional_customers(nb):
    meta = nb.metadata["playbook"]
    assert meta["requires"] == ["orders"] and meta["optional"] == ["customers"]


def test_the_notebook_formats_and_ranks_nothing(nb):
    """Beyond the house rule (tests/test_notebooks.py: thin, no f-string), what this room's notebook leaves to its package."""
    code = [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    assert not any(re.search(r"(fmt|report)\.fmt_|\.iloc\[0\]|sort_values|idxmax|idxmin", src) for src in code)


@pytest.mark.notebook
def test_orders_alone_without_customers_file(tmp_path):
    """Only orders.csv (no customers.csv): the report says personas carry no demographics and still writes every key."""
    data, out = tmp_path / "data", tmp_path / "run"
    data.mkdir()
    shutil.copy(ROOT / "data" / "demo" / "orders.csv", data / "orders.csv")
    res = run_cli("run", "personas", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "n_personas=3", timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    saved = json.loads((out / "personas.json").read_text())
    assert saved["persona_model"]["k"] == 3 and saved["meta"]["interval"] == 0.9
    assert saved["clv"]["interval_prob"] == 0.9
    html = (out / "personas.html").read_text()
    assert "Traceback" not in html and "No customers.csv" in html and "Typical customer" not in html
    assert "set by the analyst" in html
    csv = pd.read_csv(out / "personas.csv")
    assert list(csv.columns) == ["customer_id", "rfm_segment", "persona", "lifecycle", "p_alive", "clv_mean", "clv_low", "clv_high"]
