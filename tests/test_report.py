import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from playbook import report, results


def test_save_results_writes_meta_headline_warnings_and_results(tmp_path):
    tiles = [report.Tile("Revenue", "$1.2M", "[1.1M, 1.3M]")]
    warn = results.DataWarning("orders.csv", "3 rows", "orders are dated on or before observation_end", "left out")
    path = report.save_results("demo", {"market": {"yoy_growth": np.float64(0.12), "bad": math.inf}}, tmp_path,
                               headline=tiles, data_period=(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")),
                               interval=0.8, warnings=[warn], show=False)
    data = json.loads(path.read_text())
    assert path.name == "demo.json"
    assert data["market"] == {"yoy_growth": 0.12, "bad": None}
    assert data["meta"]["data_period"] == ["2024-01-01", "2024-12-31"] and data["meta"]["notebook"] == "demo"
    assert data["meta"]["interval"] == 0.8 and data["meta"]["data_end"] == "2024-12-31"
    assert data["meta"]["data_age_days"] == (dt.date.today() - dt.date(2024, 12, 31)).days and data["meta"]["stale"] is True
    assert data["headline"][0]["value"] == "$1.2M"
    assert data["warnings"][0]["file"] == "orders.csv"
    with pytest.raises(ValueError, match="reserved"):
        report.save_results("demo", {"meta": 1}, tmp_path, show=False)


def test_display_helpers_return_html_with_house_classes():
    assert "pb-summary" in report.summary(["a", "b"], show=False).data
    assert report.tiles([report.Tile("x", "1", tone="good")], show=False).data.count("pb-good") == 1
    assert "pb-banner-danger" in report.banner("stop", "danger", show=False).data
    with pytest.raises(ValueError):
        report.banner("x", "loud", show=False)
    html = report.table(pd.DataFrame({"channel": ["tv"], "roas": [1.234], "spend": [12_345.0], "n": [3]}),
                        formats={"roas": "{:.2f}"}, caption="ROAS", show=False).data
    assert "1.23" in html and "12.3k" in html and "ROAS" in html and "pb-table" in html


def test_table_shows_human_headers_and_escapes_data_borne_text():
    frame = pd.DataFrame({"variant": ["<b>B</b>"], "prob_best": [0.97], "when": [pd.Timestamp("2025-01-06")]})
    html = report.table(frame, formats={"prob_best": "{:.0%}"}, headers={"prob_best": "P(best)", "variant": "Variant"}, show=False).data
    assert "<th>P(best)</th>" in html and "<th>Variant</th>" in html and "prob_best" not in html
    assert "&lt;b&gt;B&lt;/b&gt;" in html and "<b>B</b>" not in html
    assert "2025-01-06" in html and "97%" in html


def test_data_banners_show_stale_data_and_each_warning_and_nothing_otherwise():
    warns = [results.DataWarning("market.csv", "region north", "no gaps", "interpolated"),
             results.DataWarning("market.csv", "brand <Bolt>", "positive revenue", "growth from the other periods")]
    html = report.data_banners(warns, data_end="2020-01-31", max_data_age_days=14, show=False).data
    assert "Stale data" in html and "2020-01-31" in html
    assert "2 data warnings" in html and html.count("<li>") == 2 and "&lt;Bolt&gt;" in html
    assert report.data_banners([], data_end=dt.date.today().isoformat(), show=False) is None
    assert "One data warning" in report.data_banners(warns[:1], data_end=None, show=False).data


def test_glossary_gives_each_term_an_anchor():
    html = report.glossary({"R-hat": "agreement of chains", "ESS": "effective draws"}, show=False).data
    assert 'id="term-r-hat"' in html and 'id="term-ess"' in html and "<dd>effective draws</dd>" in html


def test_data_banners_open_with_the_scope_line_escaped_and_save_results_keeps_it_in_meta(tmp_path):
    import json

    html = report.data_banners([], data_end=dt.date.today().isoformat(), scope="Scope: revenue <net>; all; a to b.", show=False).data
    assert html.startswith('<p class="pb-scope">Scope: revenue &lt;net&gt;; all; a to b.</p>')
    stale = report.data_banners([], data_end="2020-01-31", scope="Scope: x.", show=False).data
    assert stale.index("pb-scope") < stale.index("Stale data")
    path = report.save_results("demo", {"x": 1}, tmp_path, scope="Scope: x.", show=False)
    assert json.loads(path.read_text())["meta"]["scope"] == "Scope: x."
    assert json.loads(report.save_results("other", {"x": 1}, tmp_path, show=False).read_text())["meta"]["scope"] is None
