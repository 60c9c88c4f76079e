"""One notebook execution: kernel start retried once, failures classified, runs repeatable."""

import json

import pytest
from conftest import run_cli
from quick_notebooks import quick_notebook

from playbook import execute
from playbook.notebooks import Notebook
from playbook.plan import Job


@pytest.fixture
def quick_job(tmp_path, orders_dir):
    (tmp_path / "nbs").mkdir()
    nb = Notebook(quick_notebook(tmp_path / "nbs", "quick", ["x = 1"]))
    out = tmp_path / "out"
    return Job(nb, {"data_dir": str(orders_dir), "output_dir": str(out)}, out)


def test_a_kernel_that_fails_to_start_is_retried_once(quick_job, tmp_path, monkeypatch):
    real, calls = execute._papermill, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("Kernel didn't respond in 120 seconds")
        return real(*args, **kwargs)

    monkeypatch.setattr(execute, "_papermill", flaky)
    monkeypatch.setattr(execute, "KERNEL_RETRY_PAUSE_S", 0)
    result = execute.execute_job(quick_job, 60, tmp_path / "logs", echo=False)
    assert result.status == "succeeded" and result.attempts == 2 and len(calls) == 2
    assert "kernel failed to start (attempt 1 of 2): Kernel didn't respond in 120 seconds; retrying once" in (
        tmp_path / "logs" / "quick.log").read_text()
    assert result.outputs == {"ipynb": "quick.ipynb", "html": "quick.html", "json": "quick.json", "log": "logs/quick.log"}


def test_a_kernel_that_never_starts_is_a_failure_after_the_retry(quick_job, tmp_path, monkeypatch):
    def dead(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(execute, "_papermill", dead)
    monkeypatch.setattr(execute, "KERNEL_RETRY_PAUSE_S", 0)
    result = execute.execute_job(quick_job, 60, tmp_path / "logs", echo=False)
    assert result.status == "failed" and result.attempts == 2
    assert result.error == "kernel failed to start (attempt 2 of 2): Kernel died before replying to kernel_info"


@pytest.mark.parametrize(
    ("error", "retried"),
    [(RuntimeError("Kernel didn't respond in 60 seconds"), True), (TimeoutError("timed out"), True),
     (OSError("zmq: Address already in use"), True), (RuntimeError("boom"), False), (ValueError("Kernel didn't respond"), False)],
)
def test_which_errors_count_as_kernel_start_failures(error, retried):
    assert execute.is_kernel_start_failure(error) is retried


def test_kernels_get_a_fixed_hash_seed_and_one_blas_thread_unless_set():
    assert execute.kernel_environment({"PATH": "/bin"}) == {"PATH": "/bin", "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    assert execute.kernel_environment({"PYTHONHASHSEED": "7"})["PYTHONHASHSEED"] == "7"
    assert execute.kernel_environment({"OPENBLAS_NUM_THREADS": "4"})["OPENBLAS_NUM_THREADS"] == "4"


def test_two_runs_with_the_same_inputs_and_seed_give_the_same_results(tmp_path, orders_dir):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    quick_notebook(
        nbs, "draws",
        ["import random\nrng = random.Random(seed)\nsample = [rng.random() for _ in range(5)]\n"
         "channels = list({'tv', 'search', 'email', 'social', 'display', 'radio', 'print', 'affiliate', 'video', 'podcast'})\n"
         "total = sum(len(line) for line in open(data_dir + '/orders.csv'))"],
        params="seed: int = 11  # random seed\n", results="{'sample': sample, 'channels': channels, 'total': total}",
    )
    docs = []
    for i in (1, 2):
        out = tmp_path / f"run{i}"
        assert run_cli("run", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(out), "-q").returncode == 0
        doc = json.loads((out / "draws.json").read_text())
        assert doc["meta"].pop("generated_at")  # the only timestamp in a results JSON
        docs.append(doc)
    assert docs[0] == docs[1]
    assert len(docs[0]["sample"]) == 5 and len(docs[0]["channels"]) == 10
