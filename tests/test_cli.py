"""The CLI contract that schedulers rely on: commands, outputs, exit codes and messages."""

import json
import os
import re

import pandas as pd
import pytest
from conftest import run_cli


@pytest.fixture
def run_dir(tmp_path):
    return tmp_path / "out"


def test_help_documents_commands_and_exit_codes():
    res = run_cli("--help")
    assert res.returncode == 0
    for word in ("run", "list", "validate", "demo-data", "exit codes"):
        assert word in res.stdout
    res = run_cli("run", "--help")
    assert "--jobs" in res.stdout and "KEY=VALUE" in res.stdout and "-p smoke=false is False" in res.stdout


def test_run_success_and_failure_outputs(nb_dir, orders_dir, run_dir):
    res = run_cli("run", "hello", "boom", "--notebooks", str(nb_dir), "--data", str(orders_dir), "--out", str(run_dir),
                  "-p", "smoke=true", "-p", "hello.tags=x,y", "-p", "n_top=5")
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stdout.strip() == str(run_dir / "index.html")
    # the good notebook: executed notebook, report, results with typed parameters
    results = json.loads((run_dir / "hello.json").read_text())
    assert results["smoke"] is True and results["tags"] == ["x", "y"] and results["n_top"] == 5
    assert results["meta"]["data_period"] == ["2024-01-05", "2024-03-15"]
    html = (run_dir / "hello.html").read_text()
    assert "Hello report" in html and "Revenue was" in html and "2024-01-05 to 2024-03-15" in html
    assert "io.load(" not in html and "Traceback" not in html
    # the failed notebook: kept for debugging, rendered with a banner, no results, no good report
    assert (run_dir / "boom.failed.ipynb").exists() and not (run_dir / "boom.html").exists()
    failed = (run_dir / "boom.failed.html").read_text()
    assert "did not finish" in failed and "the model exploded" in failed and "Traceback" not in failed
    manifest = json.loads((run_dir / "manifest.json").read_text())
    entries = {e["name"]: e for e in manifest["notebooks"]}
    assert entries["hello"]["status"] == "succeeded" and entries["boom"]["status"] == "failed"
    assert "ValueError: the model exploded" in entries["boom"]["error"]
    assert entries["hello"]["parameters"]["tags"] == ["x", "y"] and entries["hello"]["duration_s"] > 0
    run = manifest["run"]
    assert run["exit_code"] == 1 and run["packages"]["papermill"] and run["packages"]["python"]
    assert len(run["inputs"]["orders.csv"]["sha256"]) == 64
    index = (run_dir / "index.html").read_text()
    assert "1 of 2 reports succeeded" in index and "Hello report" in index and "Boom report" in index
    assert 'href="hello.html"' in index and "$246" in index  # headline tile read from hello.json


def test_failed_rerun_never_replaces_a_good_report(nb_dir, orders_dir, run_dir):
    args = ("run", "hello", "--notebooks", str(nb_dir), "--data", str(orders_dir), "--out", str(run_dir))
    assert run_cli(*args).returncode == 0
    good_html, good_json = (run_dir / "hello.html").read_text(), (run_dir / "hello.json").read_text()
    res = run_cli(*args, "-p", "start=2030-01-01")
    assert res.returncode == 1
    assert (run_dir / "hello.html").read_text() == good_html
    assert (run_dir / "hello.json").read_text() == good_json
    assert "no orders on or after 2030-01-01" in (run_dir / "hello.failed.html").read_text()
    # a later success clears the failure marker files
    assert run_cli(*args).returncode == 0
    assert not (run_dir / "hello.failed.html").exists()


def test_contract_violation_exits_2_before_anything_runs(nb_dir, orders_dir, run_dir):
    df = pd.read_csv(orders_dir / "orders.csv")
    df.loc[2, "revenue"] = -80
    df.to_csv(orders_dir / "orders.csv", index=False)
    res = run_cli("run", "hello", "--notebooks", str(nb_dir), "--data", str(orders_dir), "--out", str(run_dir))
    assert res.returncode == 2
    assert "orders.csv" in res.stderr and "column: revenue" in res.stderr and "must be >= 0" in res.stderr
    assert "o3" in res.stderr and "Traceback" not in res.stderr
    assert not run_dir.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-p", "colour=blue"], "unknown parameter 'colour'; valid parameters: label, n_top, smoke, start, tags"),
        (["-p", "n_top=many"], "parameter 'n_top' expects int"),
        (["-p", "start=2024-02-30"], "parameter 'start'"),
        (["-p", "nope.smoke=true"], "not among the selected notebooks"),
        (["-p", "output_dir=/tmp"], "set by the runner"),
        (["nope"], "unknown notebook(s): nope"),
    ],
)
def test_usage_errors_exit_2_with_a_clear_message(nb_dir, orders_dir, run_dir, extra, message):
    res = run_cli("run", "hello", *extra, "--notebooks", str(nb_dir), "--data", str(orders_dir), "--out", str(run_dir))
    assert res.returncode == 2
    assert message in res.stderr and "Traceback" not in res.stderr
    assert not run_dir.exists()


def test_missing_input_file_exits_2(nb_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run_cli("run", "hello", "--notebooks", str(nb_dir), "--data", str(empty))
    assert res.returncode == 2 and "needs orders.csv" in res.stderr and "notebook 'hello'" in res.stderr


def test_config_fan_out_in_parallel_and_latest_link(nb_dir, orders_dir, tmp_path):
    reports = tmp_path / "reports"
    cfg = tmp_path / "weekly.yaml"
    cfg.write_text(
        f"data: {orders_dir}\njobs: 2\nrun: [hello]\nparameters: {{smoke: true}}\n"
        "notebooks:\n  hello:\n    - {label: all}\n    - {id: spring, label: spring, start: '2024-03-01'}\n"
    )
    res = run_cli("run", "--config", str(cfg), "--notebooks", str(nb_dir), env={"PLAYBOOK_REPORTS": str(reports)})
    assert res.returncode == 0, res.stderr
    latest = reports / "latest"
    assert latest.is_symlink() and (latest / "index.html").exists()
    run = latest.resolve()
    assert run.parent == reports.resolve() and len(run.name) == len("2026-11-23_091500")
    main, spring = json.loads((run / "hello.json").read_text()), json.loads((run / "hello__spring" / "hello.json").read_text())
    assert main["revenue"] == pytest.approx(245.5) and spring["revenue"] == pytest.approx(90.0)
    assert 'href="hello__spring/hello.html"' in (run / "index.html").read_text()
    assert "running 2 notebook(s) on 2 worker process(es)" in (run / "run.log").read_text()


def test_cell_timeout_and_dead_kernel_are_failures(nb_dir, orders_dir, run_dir):
    res = run_cli("run", "sleepy", "crash", "--timeout", "12", "--notebooks", str(nb_dir), "--data", str(orders_dir), "--out", str(run_dir))
    assert res.returncode == 1
    entries = {e["name"]: e for e in json.loads((run_dir / "manifest.json").read_text())["notebooks"]}
    assert entries["sleepy"]["status"] == "failed" and "12 s timeout" in entries["sleepy"]["error"]
    assert entries["crash"]["status"] == "failed" and "kernel died" in entries["crash"]["error"]
    progress = re.compile(r"sleepy: cell \d+/\d+ took [67] s")  # a long cell is reported while the notebook runs
    assert progress.search((run_dir / "logs" / "sleepy.log").read_text()) and progress.search(res.stderr)


def test_list_shows_typed_documented_parameters(nb_dir):
    res = run_cli("list", "--notebooks", str(nb_dir))
    assert res.returncode == 0
    assert "hello — Hello report" in res.stdout and "needs: orders.csv" in res.stdout
    assert "smoke" in res.stdout and "bool" in res.stdout and "shrink the work" in res.stdout
    data = json.loads(run_cli("list", "--json", "--notebooks", str(nb_dir)).stdout)
    assert data["hello"]["parameters"]["tags"] == {"type": "list", "default": ["a", "b"], "help": "a list parameter"}


def test_validate(nb_dir, orders_dir):
    res = run_cli("validate", "--notebooks", str(nb_dir), "--data", str(orders_dir))
    assert res.returncode == 0 and "ok" in res.stdout and "orders.csv" in res.stdout
    # the playbook's own personas notebook reads the same file, but one repeat customer is too few for its CLV models
    res = run_cli("validate", "--data", str(orders_dir))
    assert res.returncode == 2 and "personas:" in res.stderr and "breaks the rule 'repeat customers'" in res.stderr
    assert "the file has 1 of 3 customers (c1)" in res.stderr
    (orders_dir / "customers.csv").write_text("customer_id,age\nc1,30\nc1,40\n")
    res = run_cli("validate", "--notebooks", str(nb_dir), "--data", str(orders_dir))
    assert res.returncode == 2 and "customers.csv" in res.stderr and "must be unique" in res.stderr
    # limited to what one notebook needs, the broken optional file does not matter
    assert run_cli("validate", "hello", "--notebooks", str(nb_dir), "--data", str(orders_dir)).returncode == 0


def test_demo_data_is_reproducible(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    # different hash seeds: set iteration order must not leak into the data or the truth
    assert run_cli("demo-data", str(a), "--seed", "3", "--scale", "0.2", env={"PYTHONHASHSEED": "1"}).returncode == 0
    assert run_cli("demo-data", str(b), "--seed", "3", "--scale", "0.2", env={"PYTHONHASHSEED": "2"}).returncode == 0
    names = sorted(os.listdir(a))
    assert "truth.json" in names and names == sorted(os.listdir(b))
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
