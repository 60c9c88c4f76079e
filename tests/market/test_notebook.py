"""The market notebook on a purpose-built small input: a non-default branch through the real CLI.

Eighteen months of one region and two brands, our brand passed as a setting: the report must run,
say there is no YoY growth, seasonality or forecast, and name why in its warnings.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_cli

from playbook.market import narrative

from .builders import panel


@pytest.mark.notebook
def test_short_single_region_panel_gives_a_report_that_says_what_it_cannot_show(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    frame = panel(periods=18, regions={"coast": (100.0, 0.1)}, brands={"Solo": (1.0, 0.2), "Big": (3.0, 0.0)})
    frame.assign(period=frame["period"].dt.strftime("%Y-%m-%d")).to_csv(data / "market.csv", index=False)
    out = tmp_path / "out"
    res = run_cli("run", "market_analysis", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "our_brand=Solo")
    assert res.returncode == 0, res.stderr[-3000:]
    document = json.loads((out / "market_analysis.json").read_text())
    assert document["market"]["yoy_growth"] is None and document["forecast"] == [] and document["our_brand"] == "Solo"
    assert [w["rows"] for w in document["warnings"]] == ["18 months from 2021-01-01 to 2022-06-01", "one region: coast"]
    assert document["brief"][0]["decision"].startswith("Close the share gap in Coast")
    html = (out / "market_analysis.html").read_text()
    assert "no year-on-year growth yet" in html and "Seasonality needs two years" in html and "No forecast" in html
    assert narrative.SECTIONS["regions"] in html and "Traceback" not in html
