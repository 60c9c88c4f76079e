import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from playbook import report


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (999, "999"), (1234, "1,234"), (12_345, "12.3k"), (999_999, "1M"), (1_500_000, "1.5M"), (2.5e9, "2.5B"), (-45_600, "-45.6k")],
)
def test_fmt_number(value, expected):
    assert report.fmt_number(value) == expected


def test_other_formatters():
    assert report.fmt_money(1_500_000) == "$1.5M"
    assert report.fmt_money(-1200, "€") == "-€1,200"
    assert report.fmt_pct(0.1234) == "12.3%"
    assert report.fmt_pct(0.05, signed=True) == "+5.0%"
    assert report.fmt_pp(-0.021) == "-2.1 pp"
    assert report.fmt_interval(0.1, 0.2, report.fmt_pct) == "[10.0%, 20.0%]"
    assert report.fmt_number(float("nan")) == "–" and report.fmt_pct(None) == "–"


def test_to_jsonable_handles_numpy_pandas_dates_and_nan():
    out = report.to_jsonable(
        {
            "a": np.float64(1.5),
            "b": np.int64(3),
            "c": np.array([1, 2]),
            "d": pd.Timestamp("2024-01-01"),
            "e": float("nan"),
            "f": pd.DataFrame({"x": [1]}),
            "g": dt.date(2024, 2, 1),
            "h": np.bool_(True),
            "i": pd.Timestamp("2024-01-01 10:30"),
        }
    )
    assert out == {"a": 1.5, "b": 3, "c": [1, 2], "d": "2024-01-01", "e": None, "f": [{"x": 1}], "g": "2024-02-01",
                   "h": True, "i": "2024-01-01T10:30:00"}
    json.dumps(out, allow_nan=False)


def test_save_results_writes_meta_headline_and_results(tmp_path):
    tiles = [report.Tile("Revenue", "$1.2M", "[1.1M, 1.3M]")]
    path = report.save_results("demo", {"market": {"yoy_growth": np.float64(0.12), "bad": math.inf}}, tmp_path,
                               headline=tiles, data_period=(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")), show=False)
    data = json.loads(path.read_text())
    assert path.name == "demo.json"
    assert data["market"] == {"yoy_growth": 0.12, "bad": None}
    assert data["meta"]["data_period"] == ["2024-01-01", "2024-12-31"] and data["meta"]["notebook"] == "demo"
    assert data["headline"][0]["value"] == "$1.2M"
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
