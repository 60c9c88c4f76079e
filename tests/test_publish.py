"""Atomic publish, one run per folder, retention: a killed run (kill -9) changes nothing published."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from quick_notebooks import quick_notebook

from playbook.runner import LockedError, RunLock, prune, publish, recover, staging_dir


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` with its bytes (what a reader of the published folder sees)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def playbook(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("playbook")), *args]


def test_a_killed_run_leaves_the_published_folder_exactly_as_it_was(tmp_path, orders_dir):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    quick_notebook(nbs, "quick", ["x = 1"])
    quick_notebook(nbs, "hang", ["import os, time\nopen(os.path.join(output_dir, 'started'), 'w').close()\ntime.sleep(300)"])
    reports = tmp_path / "reports"
    out = reports / "2026-01-05_080000"
    (reports / "2020-01-01_000000").mkdir(parents=True)  # an old dated run, for --keep
    env = {**os.environ, "PLAYBOOK_REPORTS": str(reports), "PYTHONWARNINGS": "ignore"}
    common = ["--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(out)]

    first = subprocess.run(playbook("run", "quick", *common), env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    before = snapshot(out)
    assert {"quick.html", "quick.json", "index.html", "manifest.json"} <= set(before)
    assert (reports / "latest").resolve() == out.resolve()

    # a second run starts, its notebook signals from the staging folder, and the run is killed -9
    killed = subprocess.Popen(playbook("run", "hang", *common), env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        marker = staging_dir(out) / "started"
        deadline = time.time() + 300
        while not marker.exists():
            assert killed.poll() is None and time.time() < deadline, "the hanging run never started its notebook"
            time.sleep(0.5)
        assert snapshot(out) == before  # nothing is published while a run works

        # one run per folder: a third run fails at once, naming the running one
        third = subprocess.run(playbook("run", "quick", *common), env=env, capture_output=True, text=True, timeout=300)
        assert third.returncode == 2
        assert f"output folder {out} is in use by another run: pid {killed.pid} on host" in third.stderr
        assert "command:" in third.stderr and "run hang" in third.stderr and "Traceback" not in third.stderr
    finally:
        os.killpg(killed.pid, signal.SIGKILL)  # the runner and its kernel, without any chance to clean up
        killed.wait(timeout=60)

    assert snapshot(out) == before
    assert (reports / "latest").resolve() == out.resolve()
    assert staging_dir(out).exists()  # the killed run's unfinished work, never published

    # the next run takes over the stale lock, discards the unfinished files, publishes, and prunes
    fourth = subprocess.run(playbook("run", "quick", *common, "--keep", "1"), env=env, capture_output=True,
                            text=True, timeout=600)
    assert fourth.returncode == 0, fourth.stderr
    log = (out / "run.log").read_text()
    assert f"took over the stale lock of a run that did not finish: pid {killed.pid}" in log
    assert "discarded the unfinished files of an interrupted run" in log
    assert not staging_dir(out).exists() and not (out / "started").exists()
    assert not (reports / "2020-01-01_000000").exists() and out.exists()
    assert json.loads((out / "manifest.json").read_text())["run"]["pruned"] == ["2020-01-01_000000"]


def test_publish_moves_files_into_place_and_keeps_what_it_does_not_replace(tmp_path):
    out, staging = tmp_path / "out", tmp_path / ".out.staging"
    (out / "sub").mkdir(parents=True)
    (out / "keep.html").write_text("old, untouched")
    (out / "a.failed.html").write_text("an old failure")
    (out / "sub" / "b.json").write_text("old b")
    (staging / "sub").mkdir(parents=True)
    (staging / "a.html").write_text("new a")
    (staging / "sub" / "b.json").write_text("new b")
    (staging / ".a.running.ipynb").write_text("hidden scratch: never published")
    moved = publish(staging, out, delete=["a.failed.html"])
    assert sorted(moved) == ["a.html", "sub/b.json"]
    assert snapshot(out) == {"a.html": b"new a", "keep.html": b"old, untouched", "sub/b.json": b"new b"}
    assert not staging.exists()


def test_an_interrupted_publish_is_finished_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    staging = staging_dir(out)
    staging.mkdir(parents=True)
    (out).mkdir()
    (out / "a.html").write_text("published before the crash")
    (out / "a.failed.html").write_text("to delete")
    (staging / "b.html").write_text("still to move")
    (staging / ".publish.json").write_text(json.dumps({"delete": ["a.failed.html"]}))
    assert "finished publishing 1 file(s)" in recover(out)
    assert snapshot(out) == {"a.html": b"published before the crash", "b.html": b"still to move"}
    assert not staging.exists() and recover(out) is None


def test_a_second_lock_on_a_folder_fails_and_a_released_lock_is_free(tmp_path):
    out = tmp_path / "out"
    first = RunLock(out)
    assert first.acquire({"pid": 1, "host": "h", "started_at": "t", "command": "playbook run a"}) is None
    with pytest.raises(LockedError, match="in use by another run: pid 1 on host h, started t, command: playbook run a"):
        RunLock(out).acquire({"pid": 2})
    first.release()
    assert RunLock(out).acquire({"pid": 3}) is None  # released cleanly: nothing stale to report


def test_retention_keeps_the_newest_and_always_the_latest_good_run(tmp_path):
    names = ["2026-01-01_000000", "2026-01-02_000000", "2026-01-03_000000", "2026-01-04_000000", "2026-01-04_000000-2"]
    for n in names:
        (tmp_path / n).mkdir()
    (tmp_path / "interactive").mkdir()  # not a dated run: never touched
    (tmp_path / "latest").symlink_to("2026-01-02_000000")
    held = RunLock(tmp_path / "2026-01-01_000000")
    held.acquire({"pid": 9})  # a folder a run is using is not pruned either
    pruned = prune(tmp_path, keep=2, current=tmp_path / "2026-01-05_000000")
    held.release()
    assert sorted(p.name for p in pruned) == ["2026-01-03_000000", "2026-01-04_000000"]
    left = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert left == ["2026-01-01_000000", "2026-01-02_000000", "2026-01-04_000000-2", "interactive", "latest"]


def test_the_cli_documents_the_scale_out_options():
    res = subprocess.run([str(Path(sys.executable).with_name("playbook")), "run", "--help"], capture_output=True, text=True, cwd=ROOT)
    for option in ("--scheduler", "--keep", "--fail-on-stale", "reports"):
        assert option in res.stdout
