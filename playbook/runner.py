"""Run notebooks headless with papermill: plan, validate inputs, execute, render, record.

One run writes one folder::

    reports/2026-11-23_091500/
        index.html  manifest.json  run.log
        <name>.ipynb  <name>.html  <name>.json      (a succeeded notebook)
        <name>.failed.ipynb  <name>.failed.html     (a failed one; a good <name>.html is kept)
        <name>__<set>/...                           (one folder per extra parameter set)

Exit codes: 0 all succeeded, 1 a notebook failed, 2 usage or data-contract error (nothing ran).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import importlib.metadata
import logging
import multiprocessing
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from playbook import __version__, checks, config, mcmc
from playbook.io import available
from playbook.notebooks import RUNNER_PARAMETERS, Notebook, ParameterError, discover, select
from playbook.report import read_json, write_json_atomic

log = logging.getLogger("playbook")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_TIMEOUT_S = 1800
#: Cells that take at least this long are reported as progress while a notebook runs.
PROGRESS_MIN_S = 5.0
PACKAGES = ("pymc", "pymc-marketing", "pytensor", "papermill", "nbconvert", "nbclient", "pandas", "numpy", "scipy",
            "scikit-learn", "statsmodels", "duckdb", "matplotlib", "seaborn", "arviz")


class UsageError(ValueError):
    """Bad command line or config: reported without a traceback, exit code 2."""


@dataclass
class Job:
    """One notebook execution: which notebook, with which parameters, written where."""

    notebook: Notebook
    parameters: dict[str, Any]
    out_dir: Path  # where this job's files go (the run folder, or a sub-folder per extra set)
    set_id: str = ""  # empty for the main parameter set

    @property
    def label(self) -> str:
        return f"{self.notebook.name}__{self.set_id}" if self.set_id else self.notebook.name


@dataclass
class JobResult:
    name: str
    label: str
    title: str
    description: str
    parameters: dict[str, Any]
    status: str  # "succeeded", "failed", or "skipped" (its inputs are missing; error says which files it needs)
    duration_s: float
    error: str | None = None
    outputs: dict[str, str] = field(default_factory=dict)


# --------------------------------------------------------------------------- planning


def load_config(path: str | Path | None) -> dict:
    """Read a run config (YAML). Keys: data, out, jobs, timeout, run, parameters, notebooks, require_all."""
    if not path:
        return {}
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"cannot read config {p}: {err}") from None
    if not isinstance(data, dict):
        raise UsageError(f"config {p} must be a YAML mapping")
    allowed = {"data", "out", "jobs", "timeout", "run", "parameters", "notebooks", "require_all"}
    unknown = set(data) - allowed
    if unknown:
        raise UsageError(f"config {p}: unknown key(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return data


def parse_cli_parameters(pairs: Sequence[str], notebooks: Sequence[Notebook]) -> dict[str, dict[str, Any]]:
    """``["smoke=true", "mmm.draws=200"]`` → per-notebook typed values.

    ``KEY=VALUE`` applies to every selected notebook that declares ``KEY``; ``NAME.KEY=VALUE``
    to notebook ``NAME`` only. A key no selected notebook declares is an error listing valid keys.
    """
    per_nb: dict[str, dict[str, Any]] = {nb.name: {} for nb in notebooks}
    by_name = {nb.name: nb for nb in notebooks}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"-p expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        key = key.strip()
        target, _, pname = key.rpartition(".")
        if target and target not in by_name:
            raise UsageError(f"-p {pair!r}: {target!r} is not among the selected notebooks ({', '.join(by_name)})")
        if pname in RUNNER_PARAMETERS:
            raise UsageError(f"-p {pname}: set by the runner; use --data / --out instead")
        targets = [by_name[target]] if target else [nb for nb in notebooks if pname in nb.parameters]
        if not targets or any(pname not in nb.parameters for nb in targets):
            valid = sorted({p for nb in (targets or notebooks) for p in nb.parameters if p not in RUNNER_PARAMETERS})
            raise UsageError(f"unknown parameter {pname!r}; valid parameters: {', '.join(valid)}")
        for nb in targets:
            try:
                per_nb[nb.name][pname] = nb.parameters[pname].parse(value)
            except ParameterError as err:
                raise UsageError(f"{nb.name}: {err}") from None
    return per_nb


def _slug(params: Mapping[str, Any]) -> str:
    text = "_".join(f"{k}-{v}" for k, v in params.items())
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:60].strip("-") or "set"


def plan(
    notebooks: Sequence[Notebook],
    out_dir: Path,
    data_dir: Path,
    cli_params: Mapping[str, Mapping[str, Any]],
    cfg: Mapping[str, Any],
) -> list[Job]:
    """Expand notebooks × parameter sets into jobs. Precedence: config < config per notebook < ``-p``."""
    common = dict(cfg.get("parameters") or {})
    per_nb_cfg = dict(cfg.get("notebooks") or {})
    jobs: list[Job] = []
    for nb in notebooks:
        base = {k: v for k, v in common.items() if k in nb.parameters}
        sets = per_nb_cfg.get(nb.name) or [{}]
        if isinstance(sets, Mapping):
            sets = [sets]
        seen: set[str] = set()
        for i, pset in enumerate(sets):
            pset = dict(pset or {})
            set_id = str(pset.pop("id", "") or (_slug(pset) if i else ""))
            if set_id in seen:
                raise UsageError(f"{nb.name}: two parameter sets share the id {set_id!r}; give each an 'id'")
            seen.add(set_id)
            try:
                values = {**nb.coerce(base, "config parameters"), **nb.coerce(pset, f"config notebooks.{nb.name}")}
            except ParameterError as err:
                raise UsageError(str(err)) from None
            values.update(cli_params.get(nb.name, {}))
            job_dir = out_dir / f"{nb.name}__{set_id}" if set_id else out_dir
            values.update({"data_dir": str(data_dir), "output_dir": str(job_dir)})
            jobs.append(Job(nb, values, job_dir, set_id))
    return jobs


def check_inputs(notebooks: Sequence[Notebook], data_dir: Path, jobs: Sequence[Job] = ()) -> dict[str, Path]:
    """Check that each notebook's required files exist and satisfy their contracts, and that the
    settings naming data name something in them (see :func:`playbook.checks.check_inputs`).

    A file may hold spellings of one label only when every job that reads it sets
    ``merge_label_variants``. Returns the files validated; raises :class:`ContractError` or
    :class:`playbook.checks.SettingsError` (listing every problem) otherwise.
    """
    if not data_dir.is_dir():
        raise UsageError(f"data folder not found: {data_dir}")
    return checks.check_inputs(notebooks, data_dir, jobs)


# --------------------------------------------------------------------------- execution


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


def _progress_echo(job: Job, echo: bool, run_log: Path):
    """Where a kernel's ``playbook progress:`` lines (MCMC draws done, seconds left) go besides its own log:
    ``run.log`` and, unless quiet, the console, as they come (also from worker processes)."""

    def on_line(line: str) -> None:
        text = f"{dt.datetime.now():%Y-%m-%d %H:%M:%S} INFO    {job.label}: {line}"
        with open(run_log, "a") as fh:
            fh.write(text + "\n")
        if echo:
            print(text, file=sys.stderr, flush=True)

    return on_line


def _kernel_manager_logging_to(log_fh):
    """A kernel manager whose kernel process writes its own stderr (start-up chatter, crash
    messages) to the notebook's log file instead of the console."""
    from jupyter_client.manager import AsyncKernelManager

    class KernelManagerWithLog(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = log_fh
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return KernelManagerWithLog


def execute_job(job: Job, timeout_s: int, log_dir: Path, progress: bool = False, echo: bool = True) -> JobResult:
    """Execute one notebook with papermill and render its report. Never raises for notebook errors.

    ``progress`` shows papermill's per-cell progress bar (for a terminal); ``echo`` prints a line
    for every cell that takes longer than :data:`PROGRESS_MIN_S` (for logs and schedulers).
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from playbook.render import render_notebook

    job.out_dir.mkdir(parents=True, exist_ok=True)
    name = job.notebook.name
    staging = job.out_dir / f".{name}.running.ipynb"
    results_path = job.out_dir / f"{name}.json"
    started = time.time()
    error: str | None = None
    log_file = log_dir / f"{job.label}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for attempt in (1, 2):
        try:
            with open(log_file, "w") as fh:
                pm.execute_notebook(
                    str(job.notebook.path),
                    str(staging),
                    parameters=job.parameters,
                    kernel_name=config.KERNEL_NAME,
                    cwd=str(job.notebook.path.parent),
                    execution_timeout=timeout_s,
                    start_timeout=120,
                    progress_bar=progress,
                    log_output=False,
                    stdout_file=fh,
                    stderr_file=mcmc.ProgressRelay(fh, _progress_echo(job, echo, log_dir.parent / "run.log")),
                    on_cell_complete=_progress_hook(job, echo and not progress, fh),
                    kernel_manager_class=_kernel_manager_logging_to(fh),
                )
            error = None
            break
        except pm.PapermillExecutionError as err:
            error = f"cell {err.exec_count}: {err.ename}: {_first_line(err.evalue)}"
            break
        except CellTimeoutError:
            error = f"a cell ran longer than the {timeout_s} s timeout"
            break
        except DeadKernelError:
            error = "the kernel died (often: out of memory)"
            break
        except RuntimeError as err:  # kernel start-up races (papermill #239, #511): retry once
            error = f"kernel failed to start: {_first_line(str(err))}"
            if attempt == 2 or "kernel" not in str(err).lower():
                break
            time.sleep(2)
        except Exception as err:  # noqa: BLE001 - anything else is a failed run, not a crash of the batch
            error = f"{type(err).__name__}: {_first_line(str(err))}"
            break
    if error is None and not (results_path.is_file() and results_path.stat().st_mtime >= started - 1):
        error = f"the notebook finished but did not write {results_path.name} (it must end with report.save_results)"
    status = "succeeded" if error is None else "failed"
    outputs: dict[str, str] = {}
    prefix = f"{job.out_dir.name}/" if job.set_id else ""
    if staging.exists():
        final_stem = name if status == "succeeded" else f"{name}.failed"
        nb_path = job.out_dir / f"{final_stem}.ipynb"
        html_path = job.out_dir / f"{final_stem}.html"
        results = read_json(results_path) if status == "succeeded" else None
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
    if status == "succeeded":
        outputs["json"] = prefix + results_path.name
    outputs["log"] = f"logs/{log_file.name}"
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
    )


def _first_line(text: str, limit: int = 300) -> str:
    lines = [ln.strip() for ln in str(text).strip().splitlines() if ln.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


# --------------------------------------------------------------------------- the run


def default_out_dir(root: Path | None = None) -> Path:
    """``reports/<YYYY-MM-DD_HHMMSS>`` (a suffix is added if that folder already exists)."""
    root = Path(root or config.REPORTS_DIR)
    stamp = dt.datetime.now().strftime("%Y-%m-%d_%H%M%S")
    out, i = root / stamp, 1
    while out.exists():
        i += 1
        out = root / f"{stamp}-{i}"
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def git_commit() -> str | None:
    """The commit the playbook runs from, with ``-dirty`` if the work tree has changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=config.PROJ_ROOT, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=config.PROJ_ROOT,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "playbook": __version__}
    for pkg in PACKAGES:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            continue
    return out


def input_files(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Every input file in the data folder (contract files and YAML) with size and SHA-256."""
    paths = list(available(data_dir).values()) + sorted(data_dir.glob("*.yaml")) + sorted(data_dir.glob("*.yml"))
    return {p.name: {"bytes": p.stat().st_size, "sha256": sha256(p)} for p in paths}


def _setup_logging(out_dir: Path, quiet: bool) -> logging.Handler:
    log.setLevel(logging.INFO)
    log.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%d %H:%M:%S")
    file_handler = logging.FileHandler(out_dir / "run.log")
    file_handler.setFormatter(fmt)
    log.addHandler(file_handler)
    if not quiet and not any(getattr(h, "_playbook_console", False) for h in log.handlers):
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(fmt)
        console._playbook_console = True  # type: ignore[attr-defined]
        log.addHandler(console)
    return file_handler


def run(
    names: Sequence[str] = (),
    data_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    parameters: Sequence[str] = (),
    config_file: str | Path | None = None,
    jobs: int | None = None,
    timeout_s: int | None = None,
    notebooks_dir: str | Path | None = None,
    quiet: bool = False,
    on_result: Callable[[JobResult], None] | None = None,
    require_all: bool = False,
) -> int:
    """Run the playbook; return the exit code (0 ok, 1 a notebook failed, 2 usage/contract error).

    Usage and contract errors raise :class:`UsageError` / :class:`ContractError` before anything
    runs or any folder is created; the CLI turns them into exit code 2. With no notebook named
    (here or in the config's ``run``), notebooks whose required inputs are missing are skipped
    (status ``skipped`` in the manifest) unless ``require_all`` (or the config's ``require_all``).
    """
    cfg = load_config(config_file)
    available_nbs = discover(notebooks_dir)
    if not available_nbs:
        raise UsageError(f"no notebooks found in {notebooks_dir or config.NOTEBOOKS_DIR}")
    try:
        selected = select(list(names) or list(cfg.get("run") or []), available_nbs)
    except ParameterError as err:
        raise UsageError(str(err)) from None
    data = Path(data_dir or cfg.get("data") or config.DEMO_DATA_DIR).resolve()
    n_jobs = int(jobs or cfg.get("jobs") or 1)
    if n_jobs < 1:
        raise UsageError("--jobs must be at least 1")
    timeout = int(timeout_s or cfg.get("timeout") or DEFAULT_TIMEOUT_S)
    unknown = set(cfg.get("notebooks") or {}) - set(available_nbs)
    if unknown:
        raise UsageError(f"config names unknown notebook(s): {sorted(unknown)}; available: {', '.join(available_nbs)}")
    cli_params = parse_cli_parameters(parameters, selected)
    checks.check_config_parameters(cfg, available_nbs)
    default_out = not (out_dir or cfg.get("out"))
    out = Path(out_dir or cfg.get("out") or default_out_dir()).resolve()
    ready = checks.readiness(selected, data)
    if names or cfg.get("run") or require_all or cfg.get("require_all") or not ready.runnable:
        ready.require()  # a notebook named explicitly, or --require-all: a missing input is an error
    job_list = plan(ready.runnable, out, data, cli_params, cfg)
    validated = check_inputs(ready.runnable, data, job_list)  # raises before any folder exists

    out.mkdir(parents=True, exist_ok=True)
    handler = _setup_logging(out, quiet)
    started = dt.datetime.now().astimezone()
    t0 = time.time()
    try:
        log.info("playbook run: %d notebook run(s) → %s", len(job_list), out)
        log.info("data: %s (validated %s)", data, ", ".join(sorted(p.name for p in validated.values())) or "nothing")
        for name, needs in ready.skipped.items():
            log.info("skipped %s: %s", name, needs)
        results = _execute_all(job_list, out, timeout, n_jobs, quiet, on_result)
        results += [JobResult(nb.name, nb.name, nb.title, nb.description, {}, "skipped", 0.0, ready.skipped[nb.name])
                    for nb in ready.skipped_notebooks]
        failed = [r for r in results if r.status == "failed"]
        exit_code = EXIT_FAILED if failed else EXIT_OK
        manifest = {
            "run": {
                "run_id": out.name,
                "started_at": started.isoformat(timespec="seconds"),
                "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                "duration_s": round(time.time() - t0, 2),
                "exit_code": exit_code,
                "data_dir": str(data),
                "out_dir": str(out),
                "command": " ".join(sys.argv),
                "git_commit": git_commit(),
                "playbook_version": __version__,
                "packages": package_versions(),
                "inputs": input_files(data),
                "jobs": n_jobs,
                "timeout_s": timeout,
                "interval": interval_used(job_list),
            },
            "notebooks": [asdict(r) for r in results],
        }
        write_json_atomic(manifest, out / "manifest.json")
        from playbook.render import render_index

        index = render_index(out, manifest)
        if exit_code == EXIT_OK and (default_out or out.parent == config.REPORTS_DIR.resolve()):
            _point_latest(out)
        log.info("%d succeeded, %d failed, %d skipped in %.0f s", len(results) - len(failed) - len(ready.skipped), len(failed),
                 len(ready.skipped), time.time() - t0)
        for r in failed:
            log.error("FAILED %s: %s", r.label, r.error)
        log.info("index: %s", index)
        if not quiet:
            print(index)
        return exit_code
    finally:
        log.removeHandler(handler)
        handler.close()


def interval_used(job_list: Sequence[Job]) -> float | list[float] | None:
    """The interval mass the run's notebooks used: one value when they agree, else the sorted distinct values."""
    values = sorted({float(j.parameters.get("interval", j.notebook.parameters["interval"].default))
                     for j in job_list if "interval" in j.notebook.parameters})
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _execute_all(job_list: list[Job], out: Path, timeout: int, n_jobs: int, quiet: bool,
                 on_result: Callable[[JobResult], None] | None) -> list[JobResult]:
    log_dir = out / "logs"
    total = len(job_list)

    def done(i: int, r: JobResult) -> None:
        mark = "ok" if r.status == "succeeded" else "FAILED"
        log.info("[%d/%d] %-28s %s in %.1f s%s", i, total, r.label, mark, r.duration_s, f" — {r.error}" if r.error else "")
        if on_result:
            on_result(r)

    results: list[JobResult | None] = [None] * total
    if n_jobs == 1 or total == 1:
        show_progress = (not quiet) and sys.stderr.isatty()
        for i, job in enumerate(job_list):
            log.info("[%d/%d] %s: running", i + 1, total, job.label)
            results[i] = execute_job(job, timeout, log_dir, progress=show_progress, echo=not quiet)
            done(i + 1, results[i])
        return results  # type: ignore[return-value]
    # Processes, not threads: papermill's cwd handling is not thread-safe (papermill #473).
    ctx = multiprocessing.get_context("spawn")
    finished = 0
    with cf.ProcessPoolExecutor(max_workers=min(n_jobs, total), mp_context=ctx) as pool:
        futures = {pool.submit(execute_job, job, timeout, log_dir, False, not quiet): i for i, job in enumerate(job_list)}
        log.info("running %d notebook(s) on %d worker process(es)", total, min(n_jobs, total))
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                r = fut.result()
            except Exception as err:  # noqa: BLE001 - a crashed worker is a failed notebook
                job = job_list[i]
                r = JobResult(job.notebook.name, job.label, job.notebook.title, job.notebook.description, job.parameters,
                              "failed", 0.0, f"worker crashed: {type(err).__name__}: {err}")
            results[i] = r
            finished += 1
            done(finished, r)
    return results  # type: ignore[return-value]


def _point_latest(out: Path) -> None:
    """Point ``<reports>/latest`` at ``out`` (a relative symlink, swapped atomically)."""
    link = out.parent / "latest"
    tmp = out.parent / f".latest.{os.getpid()}"
    try:
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(out.name, target_is_directory=True)
        os.replace(tmp, link)
    except OSError as err:
        log.warning("could not update %s: %s", link, err)
