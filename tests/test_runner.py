"""The run through the real CLI: hand-offs in order, failed producers, stale data, the manifest."""

import datetime as dt
import json
from pathlib import Path

from conftest import MINIMAL_PARAMS, make_notebook, run_cli
from quick_notebooks import entries, handoff_notebooks, manifest, quick_notebook

from playbook.notebooks import Notebook
from playbook.runner import Job, interval_used


def _nb(tmp_path: Path, name: str, params: str) -> Notebook:
    return Notebook(make_notebook(tmp_path / f"{name}.ipynb", params, ["x = 1"], ["orders"]))


def test_the_manifest_records_the_interval_mass_the_notebooks_used(tmp_path):
    with_interval = _nb(tmp_path, "a", MINIMAL_PARAMS + "interval: float = 0.9  # interval mass\n")
    without = _nb(tmp_path, "b", MINIMAL_PARAMS)
    assert interval_used([Job(with_interval, {}, tmp_path), Job(without, {}, tmp_path)]) == 0.9
    assert interval_used([Job(with_interval, {"interval": 0.8}, tmp_path)]) == 0.8
    assert interval_used([Job(with_interval, {"interval": 0.8}, tmp_path), Job(with_interval, {}, tmp_path, "x")]) == [0.8, 0.9]
    assert interval_used([Job(without, {}, tmp_path)]) is None


def test_with_jobs_2_a_consumer_starts_only_after_its_producer_finished(tmp_path, orders_dir):
    nbs = handoff_notebooks(tmp_path / "nbs")
    out = tmp_path / "out"
    res = run_cli("run", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(out), "--jobs", "2")
    assert res.returncode == 0, res.stderr
    found = entries(out)
    early, late = found["early"], found["late"]
    assert json.loads((out / "early.json").read_text())["part"] == "42"  # it read the same run's hand-off
    assert dt.datetime.fromisoformat(early["started_at"]) >= dt.datetime.fromisoformat(late["finished_at"])
    assert early["handoffs"] == [{"file": "part.csv", "producer": "late", "producer_status": "succeeded", "available": True}]
    assert (early["wave"], late["wave"], found["other"]["wave"]) == (2, 1, 1)
    run = manifest(out)["run"]
    assert run["waves"] == [["late", "other"], ["early"]] and run["executor"] == "process"
    assert {e["executor"] for e in found.values()} == {"process"}
    assert (out / "part.csv").read_text() == "42"


def test_a_consumer_whose_producer_failed_runs_without_the_hand_off(tmp_path, orders_dir):
    nbs = handoff_notebooks(tmp_path / "nbs")
    out = tmp_path / "out"
    res = run_cli("run", "early", "late", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(out),
                  "-p", "late.fail=true", "-p", "late.pause=0")
    assert res.returncode == 1
    found = entries(out)
    assert found["late"]["status"] == "failed" and "the producer broke" in found["late"]["error"]
    assert found["early"]["status"] == "succeeded" and found["early"]["executor"] == "local"
    assert json.loads((out / "early.json").read_text())["part"] is None  # the failed producer's file was withdrawn
    assert found["early"]["handoffs"] == [{"file": "part.csv", "producer": "late", "producer_status": "failed",
                                          "available": False, "reason": "late failed"}]
    assert not (out / "part.csv").exists() and not (out / "late.json").exists() and (out / "late.failed.html").exists()
    assert "Ran without part.csv: late failed." in (out / "index.html").read_text()


STALE_META = "{'stale': True, 'data_end': '2025-12-22', 'data_age_days': 344, 'max_data_age_days': 14}"


def test_fail_on_stale_exits_1_and_the_manifest_and_index_say_why(tmp_path, orders_dir):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    quick_notebook(nbs, "old", ["x = 1"], params='brand: str = "Acme"  # our brand\n', meta=STALE_META,
                   warnings="[{'file': 'a.csv'}, {'file': 'b.csv'}]")
    reports = tmp_path / "reports"
    out = reports / "2026-01-05_080000"
    evil = "<script>alert(1)</script>"
    res = run_cli("run", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(out), "--fail-on-stale", "-p", f"brand={evil}",
                  env={"PLAYBOOK_REPORTS": str(reports)})
    assert res.returncode == 1, res.stderr
    assert not (reports / "latest").exists()  # latest moves only on success
    run = manifest(out)["run"]
    assert run["fail_on_stale"] is True and run["stale_reports"] == ["old"] and run["exit_code"] == 1
    (entry,) = manifest(out)["notebooks"]
    assert entry["status"] == "succeeded" and entry["stale"] is True and entry["warnings"] == 2 and entry["data_age_days"] == 344
    index = (out / "index.html").read_text()
    assert "Stale data: the data end 2025-12-22, 344 days before this run (more than the 14 days allowed)." in index
    assert "2 data warnings" in index and "ran on stale data (the run failed on it: --fail-on-stale)" in index
    header = (out / "old.html").read_text().split("<main")[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in header and evil not in header
