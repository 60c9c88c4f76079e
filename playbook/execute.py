"""Execute one notebook job with papermill: kernel start retried once, logs, report rendered.

:func:`execute_job` never raises for a notebook's own errors: a failing cell, a cell timeout, a
dead kernel, a missing results JSON or a failed render all become a ``failed`` :class:`JobResult`
with a one-line reason. It runs wherever it is sent: in the runner's process (``local``), in a
worker process of the local pool (``process``) or on a Dask worker (``dask``,
:func:`execute_on_worker`), and only touches ``job.out_dir`` and the log folder.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playbook import config, mcmc
from playbook.notebooks import Notebook
from playbook.plan import Job
from playbook.results import read_json

#: Cells that take at least this long are reported as progress while a notebook runs.
PROGRESS_MIN_S = 5.0
#: Seconds the kernel gets to start and answer before the attempt counts as a start failure.
KERNEL_START_TIMEOUT_S = 120
#: Pause before the one retry of a kernel that failed to start (port races, slow disks).
KERNEL_RETRY_PAUSE_S = 2.0
#: Messages of the errors jupyter_client / nbclient / pyzmq raise when a kernel does not come up.
KERNEL_START_FAILURES = ("kernel didn't respond", "kernel died before replying", "address already in use",
                         "kernel failed to start")


@dataclass
class JobResult:
    """What one job did: status (``succeeded``/``failed``), why, where its files are, where it ran.

    ``outputs`` are paths relative to the run folder; ``executor`` is ``local``, ``process`` or
    ``dask`` and ``worker`` the Dask worker's address; ``handoffs`` lists each consumed file with
    its producer and whether it was there when the job started; ``stale``, ``data_end``,
    ``data_age_days`` and ``warnings`` (a count) come from the results JSON.
    """

    name: str
    label: str
    title: str
    description: str
    parameters: dict[str, Any]
    status: str  # "succeeded", "failed", or "skipped" (its inputs are missing; error says which files it needs)
    duration_s: float
    error: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    folder: str = ""
    executor: str = "local"
    worker: str | None = None
    attempts: int = 1
    started_at: str | None = None
    finished_at: str | None = None
    wave: int | None = None
    handoffs: list[dict[str, Any]] = field(default_factory=list)
    stale: bool | None = None
    data_end: str | None = None
    data_age_days: int | None = None
    warnings: int = 0

    @classmethod
    def crashed(cls, job: Job, error: str, executor: str, worker: str | None = None) -> JobResult:
        """A failed result for a job whose worker died before it could report."""
        nb = job.notebook
        return cls(nb.name, job.label, nb.title, nb.description, job.parameters, "failed", 0.0, error,
                   folder=job.folder, executor=executor, worker=worker)


    @classmethod
    def skipped(cls, nb: Notebook, needs: str) -> JobResult:
        """The result of a notebook the run skipped because its input files are missing (``needs`` says which)."""
        return cls(nb.name, nb.name, nb.title, nb.description, {}, "skipped", 0.0, needs, executor="none")


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _first_line(text: str, limit: int = 300) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _progress_hook(job: Job, echo: bool, log_fh):
    """An nbclient ``on_cell_complete`` hook: reports cells that took a while, so long runs show life."""
    n_cells = len(job.notebook.node.cells) + 1  # + papermill's injected-parameters cell
    last = [time.time()]

    def on_cell_complete(cell=None, cell_index=0, **_):
        now = time.time()
        took, last[0] = now - last[0], now
        if took >= PROGRESS_MIN_S:
            line = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} INFO    {job.label}: cell {cell_index + 1}/{n_cells} took {took:.0f} s"
            log_fh.write(line + "\n")
            log_fh.flush()
            if echo:
                print(line, file=sys.stderr, flush=True)

    return on_cell_complete


#: Environment defaults of every kernel the runner starts (a value the caller sets wins).
#: ``PYTHONHASHSEED``: set and dict orders of strings, and anything derived from them, repeat run to run.
#: ``OPENBLAS_NUM_THREADS``: the playbook's parallelism is one process or thread per MCMC chain and one
#: kernel per job; OpenBLAS threads on top of those oversubscribe the cores and spin. The matrices are
#: small, so one BLAS thread is faster: the market notebook's analysis took 17 s of CPU with one thread
#: against 54 s with the default two (2-core machine, see benchmarks/RESULTS.md).
KERNEL_ENV_DEFAULTS = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}


def kernel_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The kernel's environment: the caller's, with :data:`KERNEL_ENV_DEFAULTS` where it sets none."""
    env = dict(os.environ if base is None else base)
    for key, value in KERNEL_ENV_DEFAULTS.items():
        env.setdefault(key, value)
    return env


def _kernel_manager(log_fh, cwd: Path):
    """A kernel manager that starts the kernel in ``cwd`` (no process-wide ``chdir``, so safe in
    threads), with :func:`kernel_environment`, and its stderr (start-up chatter, crash messages)
    in the notebook's log file instead of the console."""
    from jupyter_client.manager import AsyncKernelManager

    class PlaybookKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = log_fh
            kw["cwd"] = str(cwd)
            kw["env"] = kernel_environment(kw.get("env"))
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return PlaybookKernelManager


def is_kernel_start_failure(err: BaseException) -> bool:
    """True for the errors of a kernel that did not start or answer (worth one retry)."""
    if isinstance(err, TimeoutError):
        return True
    return isinstance(err, (RuntimeError, OSError)) and any(m in str(err).lower() for m in KERNEL_START_FAILURES)


def _progress_echo(job: Job, echo: bool, run_log: Path):
    """Where a kernel's ``playbook progress:`` lines (MCMC draws done, seconds left) go besides its own log:
    the run's ``run.log`` and, unless quiet, the console, as they come (also from worker processes)."""

    def on_line(line: str) -> None:
        text = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} INFO    {job.label}: {line}"
        with open(run_log, "a") as fh:
            fh.write(text + "\n")
        if echo:
            print(text, file=sys.stderr, flush=True)

    return on_line


def _papermill(job: Job, staging: Path, timeout_s: int, progress: bool, echo: bool, log_fh, run_log: Path) -> None:
    import papermill as pm

    pm.execute_notebook(
        str(job.notebook.path),
        str(staging),
        parameters=job.parameters,
        kernel_name=config.KERNEL_NAME,
        execution_timeout=timeout_s,
        start_timeout=KERNEL_START_TIMEOUT_S,
        progress_bar=progress,
        log_output=False,
        stdout_file=log_fh,
        stderr_file=mcmc.ProgressRelay(log_fh, _progress_echo(job, echo, run_log)),
        on_cell_complete=_progress_hook(job, echo and not progress, log_fh),
        kernel_manager_class=_kernel_manager(log_fh, job.notebook.path.parent),
    )


def _run_papermill(job: Job, staging: Path, timeout_s: int, log_file: Path, progress: bool, echo: bool) -> tuple[str | None, int]:
    """Execute the notebook into ``staging``; return ``(error or None, attempts)``."""
    import papermill as pm
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    error: str | None = None
    for attempt in (1, 2):
        try:
            with open(log_file, "w" if attempt == 1 else "a") as fh:
                _papermill(job, staging, timeout_s, progress, echo, fh, log_file.parent.parent / "run.log")
            return None, attempt
        except pm.PapermillExecutionError as err:
            return f"cell {err.exec_count}: {err.ename}: {_first_line(err.evalue)}", attempt
        except CellTimeoutError:
            return f"a cell ran longer than the {timeout_s} s timeout", attempt
        except DeadKernelError:
            return "the kernel died (often: out of memory)", attempt
        except NoSuchKernel as err:
            return f"no Jupyter kernel named {err}: register one with `python -m ipykernel install --name python3`", attempt
        except Exception as err:  # noqa: BLE001 - anything else is a failed run, not a crash of the batch
            if is_kernel_start_failure(err):
                error = f"kernel failed to start (attempt {attempt} of 2): {_first_line(str(err))}"
                if attempt == 1:
                    with open(log_file, "a") as fh:
                        fh.write(f"playbook: {error}; retrying once\n")
                    time.sleep(KERNEL_RETRY_PAUSE_S)
                    continue
                return error, attempt
            return f"{type(err).__name__}: {_first_line(str(err))}", attempt
    return error, 2


def execute_job(job: Job, timeout_s: int, log_dir: Path, progress: bool = False, echo: bool = True,
                executor: str = "local") -> JobResult:
    """Execute one notebook with papermill and render its report. Never raises for notebook errors.

    ``progress`` shows papermill's per-cell progress bar (for a terminal); ``echo`` prints a line
    for every cell that takes longer than :data:`PROGRESS_MIN_S` (for logs and schedulers).
    A failed job leaves ``<name>.failed.ipynb`` / ``.failed.html`` and removes the files it
    declares it produces (``<name>.json``, hand-offs), so that no consumer reads half a hand-off.
    """
    from playbook.render import render_notebook

    job.out_dir.mkdir(parents=True, exist_ok=True)
    name = job.notebook.name
    staging = job.out_dir / f".{name}.running.ipynb"
    results_path = job.out_dir / f"{name}.json"
    started, started_at = time.time(), _now()
    log_file = log_dir / f"{job.label.replace('/', '__')}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    error, attempts = _run_papermill(job, staging, timeout_s, log_file, progress, echo)
    if error is None and not (results_path.is_file() and results_path.stat().st_mtime >= started - 1):
        error = f"the notebook finished but did not write {results_path.name} (it must end with report.save_results)"
    status = "succeeded" if error is None else "failed"
    outputs: dict[str, str] = {}
    prefix = f"{job.folder}/" if job.folder else ""
    results = read_json(results_path) if status == "succeeded" else None
    if staging.exists():
        final_stem = name if status == "succeeded" else f"{name}.failed"
        nb_path = job.out_dir / f"{final_stem}.ipynb"
        html_path = job.out_dir / f"{final_stem}.html"
        try:
            render_notebook(staging, html_path, status=status, error=error, results=results)
            staging.replace(nb_path)
            outputs.update(ipynb=prefix + nb_path.name, html=prefix + html_path.name)
        except Exception as err:  # noqa: BLE001
            status, error = "failed", f"rendering the report failed: {type(err).__name__}: {_first_line(str(err))}"
            staging.replace(job.out_dir / f"{name}.failed.ipynb")
            outputs["ipynb"] = prefix + f"{name}.failed.ipynb"
    if status == "succeeded":
        for stale in (job.out_dir / f"{name}.failed.html", job.out_dir / f"{name}.failed.ipynb"):
            stale.unlink(missing_ok=True)
        outputs["json"] = prefix + results_path.name
    else:
        results = None
        for product in job.produces:
            (job.out_dir / product).unlink(missing_ok=True)
    outputs["log"] = f"logs/{log_file.name}"
    meta = (results or {}).get("meta") or {}
    return JobResult(
        name=name,
        label=job.label,
        title=job.notebook.title,
        description=job.notebook.description,
        parameters=job.parameters,
        status=status,
        duration_s=round(time.time() - started, 2),
        error=error,
        outputs=outputs,
        folder=job.folder,
        executor=executor,
        attempts=attempts,
        started_at=started_at,
        finished_at=_now(),
        stale=meta.get("stale") if results else None,
        data_end=meta.get("data_end"),
        data_age_days=meta.get("data_age_days"),
        warnings=len((results or {}).get("warnings") or []),
    )


def execute_on_worker(job: Job, timeout_s: int, log_dir: Path, echo: bool = False) -> JobResult:
    """:func:`execute_job` as a Dask task: records the worker's address in the result."""
    from distributed import get_worker

    result = execute_job(job, timeout_s, log_dir, progress=False, echo=echo, executor="dask")
    result.worker = get_worker().address
    return result
