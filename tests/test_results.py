import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from playbook import results
from playbook.report import Tile


def test_to_jsonable_handles_numpy_pandas_dates_and_nan():
    out = results.to_jsonable(
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


def test_payload_has_meta_headline_warnings_and_the_results():
    warn = results.DataWarning("market.csv", "region north, 2024-03-01", "every series has every period", "filled by interpolation")
    doc = results.payload(
        "demo", {"market": {"yoy_growth": np.float64(0.12), "bad": math.inf}},
        headline=[Tile("Revenue", "$1.2M", "[1.1M, 1.3M]")],
        data_period=(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")),
        interval=0.9, warnings=[warn], max_data_age_days=14, today=dt.date(2025, 1, 10),
    )
    assert doc["meta"]["notebook"] == "demo" and doc["meta"]["interval"] == 0.9
    assert doc["meta"]["data_period"][1] == pd.Timestamp("2024-12-31")
    assert (doc["meta"]["data_end"], doc["meta"]["data_age_days"], doc["meta"]["stale"]) == ("2024-12-31", 10, False)
    assert doc["headline"][0]["value"] == "$1.2M"
    assert doc["warnings"] == [{"file": "market.csv", "rows": "region north, 2024-03-01",
                                "assumption": "every series has every period", "action": "filled by interpolation"}]
    with pytest.raises(ValueError, match="reserved"):
        results.payload("demo", {"warnings": []})


def test_freshness_marks_data_older_than_the_limit_as_stale():
    fresh = results.freshness("2025-12-22", 14, today=dt.date(2026, 12, 1))
    assert (fresh.data_end, fresh.data_age_days, fresh.stale) == ("2025-12-22", 344, True)
    assert "2025-12-22, 344 days before this run" in fresh.sentence()
    assert results.freshness("2026-11-20", 14, today=dt.date(2026, 12, 1)).sentence() == ""
    assert results.freshness(None).stale is False and results.freshness(None).data_age_days is None
    on_the_limit = results.freshness("2026-11-17", 14, today=dt.date(2026, 12, 1))
    assert on_the_limit.data_age_days == 14 and not on_the_limit.stale


def test_warning_sentence_names_file_rows_assumption_and_action():
    w = results.DataWarning("experiment.csv", "variant B", "every arm records revenue", "B left out of the revenue analysis")
    assert w.sentence() == "experiment.csv (variant B): every arm records revenue. B left out of the revenue analysis."


def test_save_writes_atomically_and_read_json_tolerates_missing_files(tmp_path):
    path = results.save("demo", results.payload("demo", {"x": 1}), tmp_path)
    assert path.name == "demo.json" and json.loads(path.read_text())["x"] == 1
    assert not list(tmp_path.glob(".*tmp"))
    assert results.read_json(tmp_path / "missing.json") is None
    (tmp_path / "broken.json").write_text("{")
    assert results.read_json(tmp_path / "broken.json") is None
