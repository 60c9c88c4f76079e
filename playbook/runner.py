"""Run the playbook: lock the output folder, execute the planned jobs, publish atomically, record.

One run writes one folder::

    reports/2026-11-23_091500/
        index.html  manifest.json  run.log  logs/<label>.log
        <name>.ipynb  <name>.html  <name>.json      (a succeeded notebook)
        <name>.failed.ipynb  <name>.failed.html     (a failed one; a good <name>.html is kept)
        <name>__<set>/...  <report name>/...        (one folder per extra parameter set or batch report)

How a run treats its folder ``OUT``:

- **One run per folder.** ``.OUT.lock`` beside it holds an exclusive ``flock`` for the whole run
  and names the run (pid, host, start, command). A second run fails at once (exit 2, naming the
  first); the kernel drops the lock of a killed run, and the next run takes it over.
- **Atomic publish.** The notebooks run in ``.OUT.staging`` beside ``OUT`` (same file system), so
  hand-offs are read from this run only. At the end the finished files are moved into ``OUT``
  (``os.replace``, after a journal that lets the next run finish an interrupted publish); until
  then ``OUT`` is exactly as it was, even after ``kill -9``. ``reports/latest`` moves only on success.
- **Retention.** ``keep=N`` prunes the older dated run folders beside ``OUT``, never the one
  ``latest`` points to.

Exit codes: 0 all succeeded, 1 a notebook failed (or its data are stale with ``fail_on_stale``),
2 usage, data-contract or lock error (nothing ran).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import fcntl
import hashlib
import importlib.metadata
import ipaddress
import json
import logging
import multiprocessing
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playbook import __version__, checks, config
from playbook.execute import JobResult, execute_job, execute_on_worker
from playbook.io import available
from playbook.notebooks import Notebook, ParameterError, discover, select
from playbook.plan import (
    Job,
    UsageError,
    load_config,
    parse_cli_parameters,
    plan,
    producers,
    report_notebooks,
    wave_numbers,
    waves,
)
from playbook.results import write_json_atomic

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "Job", "JobResult", "LockedError", "UsageError", "check_inputs",
           "execute_job", "load_config", "parse_cli_parameters", "plan", "run"]

log = logging.getLogger("playbook")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_TIMEOUT_S = 1800
#: Seconds to wait for a Dask scheduler to answer and for at least one worker to be connected.
DASK_CONNECT_TIMEOUT_S = 20
#: How often the run looks for finished Dask tasks.
DASK_POLL_S = 0.2
#: The journal an interrupted publish is finished from.
PUBLISH_JOURNAL = ".publish.json"
#: Names of the dated run folders that retention may prune (``default_out_dir``'s names).
DATED_RUN = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{6}(-\d+)?$")
PACKAGES = ("pymc", "pymc-marketing", "pytensor", "papermill", "nbconvert", "nbclient", "pandas", "numpy", "scipy",
            "scikit-learn", "statsmodels", "duckdb", "matplotlib", "seaborn", "arviz", "dask", "distributed")


class LockedError(UsageError):
    """The output folder is in use by another run (exit code 2)."""


# --------------------------------------------------------------------------- inputs


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


def _check_all_inputs(job_list: Sequence[Job]) -> dict[Path, dict[str, Path]]:
    """:func:`check_inputs` once per data folder the jobs read (a batch may read several)."""
    by_data: dict[Path, list[Job]] = {}
    for job in job_list:
        by_data.setdefault(job.data_dir, []).append(job)
    out = {}
    for data, group in by_data.items():
        notebooks = list({id(j.notebook): j.notebook for j in group}.values())
        out[data] = check_inputs(notebooks, data, group)
    return out


# --------------------------------------------------------------------------- one run per folder


class RunLock:
    """An exclusive lock on an output folder: ``flock`` on ``.<name>.lock`` beside it.

    The file names the holder (pid, host, start time, command, run id). The kernel releases the
    lock when the holder dies, even by ``kill -9``; a lock file that still names a holder when the
    lock is free is therefore stale, and :meth:`acquire` takes it over (and says whose it was).
    The file itself is never deleted (deleting a lock file races with its next holder).
    """

    def __init__(self, out: Path):
        self.out = out
        self.path = out.parent / f".{out.name}.lock"
        self._fh = None

    def acquire(self, info: Mapping[str, Any]) -> dict | None:
        """Take the lock or raise :class:`LockedError`; return the stale holder's info, if any."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the run
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_lock(fh)
            fh.close()
            raise LockedError(f"output folder {self.out} is in use by another run: {describe_holder(holder)}; "
                              "wait for it to finish or choose another --out") from None
        stale = _read_lock(fh) or None
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(dict(info)))
        fh.flush()
        os.fsync(fh.fileno())
        self._fh = fh
        return stale

    def release(self) -> None:
        if self._fh is None:
            return
        self._fh.seek(0)
        self._fh.truncate()
        self._fh.flush()
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None


def _read_lock(fh) -> dict:
    fh.seek(0)
    try:
        data = json.loads(fh.read() or "{}")
    except ValueError:
        return {"pid": "?", "host": "?", "started_at": "?", "command": "(unreadable lock file)"}
    return data if isinstance(data, dict) else {}


def describe_holder(holder: Mapping[str, Any]) -> str:
    """``pid 123 on host h, started 2026-…, command: playbook run …`` from a lock file's contents."""
    return (f"pid {holder.get('pid', '?')} on host {holder.get('host', '?')}, started {holder.get('started_at', '?')}, "
            f"command: {holder.get('command', '?')}")


# --------------------------------------------------------------------------- staging and publish


def staging_dir(out: Path) -> Path:
    """Where a run on ``out`` builds its files: ``.<name>.staging`` beside it (same file system)."""
    return out.parent / f".{out.name}.staging"


def publish(staging: Path, out: Path, delete: Sequence[str] = ()) -> list[str]:
    """Move every finished file of ``staging`` to the same place in ``out``, then delete ``delete``
    (paths relative to ``out``) and the staging folder. Returns the paths published.

    A journal written first lets :func:`recover` finish a publish that was interrupted.
    """
    write_json_atomic({"delete": list(delete)}, staging / PUBLISH_JOURNAL)
    return _move_into_place(staging, out, delete)


def _move_into_place(staging: Path, out: Path, delete: Sequence[str]) -> list[str]:
    files = [p for p in staging.rglob("*") if p.is_file() and not p.name.startswith(".")]
    last = {staging / "index.html", staging / "manifest.json"}  # the landing page changes last
    files = sorted(files, key=lambda p: (p in last, str(p)))
    moved = []
    for src in files:
        rel = src.relative_to(staging)
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
        moved.append(str(rel))
    for rel in delete:
        (out / rel).unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    return moved


def recover(out: Path) -> str | None:
    """Clean up after a run on ``out`` that was killed: finish its publish if it had begun (its
    journal exists), else discard its unfinished files. Returns what was done, or ``None``."""
    staging = staging_dir(out)
    if not staging.exists():
        return None
    journal = staging / PUBLISH_JOURNAL
    if journal.is_file():
        try:
            delete = json.loads(journal.read_text()).get("delete", [])
        except ValueError:
            delete = []
        moved = _move_into_place(staging, out, delete)
        return f"finished publishing {len(moved)} file(s) of an interrupted run into {out}"
    shutil.rmtree(staging)
    return f"discarded the unfinished files of an interrupted run ({staging.name}); {out} was left as it was"


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


def prune(root: Path, keep: int, current: Path | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest dated run folders in ``root``; never the folder ``latest``
    points to (the latest good run), never ``current``, never one a run holds locked."""
    if keep < 1:
        raise UsageError("--keep must be at least 1")
    runs = sorted(d for d in root.iterdir() if d.is_dir() and not d.is_symlink() and DATED_RUN.match(d.name))
    names = sorted({d.name for d in runs} | ({current.name} if current is not None and DATED_RUN.match(current.name) else set()))
    protect = set(names[-keep:]) | ({current.name} if current is not None else set())
    latest = root / "latest"
    if latest.is_symlink():
        protect.add(latest.resolve().name)
    pruned = []
    for d in runs:
        if d.name in protect:
            continue
        lock = RunLock(d)
        try:
            lock.acquire({"pid": os.getpid(), "host": socket.gethostname(), "command": "prune"})
        except LockedError:
            continue
        try:
            shutil.rmtree(d)
            pruned.append(d)
        finally:
            lock.release()
            lock.path.unlink(missing_ok=True)
    return pruned


# --------------------------------------------------------------------------- executors


class _LocalPool:
    """Jobs one after another in this process (``--jobs 1``)."""

    executor = "local"

    def __init__(self, timeout: int, log_dir: Path, quiet: bool):
        self.timeout, self.log_dir = timeout, log_dir
        self.progress = (not quiet) and sys.stderr.isatty()
        self.echo = not quiet
        self.capacity = 1

    def submit(self, job: Job):
        fut: cf.Future = cf.Future()
        fut.set_result(execute_job(job, self.timeout, self.log_dir, self.progress, self.echo, self.executor))
        return fut

    def wait(self, handles):
        return list(handles)

    def result(self, handle) -> JobResult:
        return handle.result()

    def close(self) -> None:
        pass


class _ProcessPool(_LocalPool):
    """Worker processes on this machine (``--jobs N``). Processes, not threads: kernels, papermill
    and nbclient keep per-process state (papermill #473, #239)."""

    executor = "process"

    def __init__(self, timeout: int, log_dir: Path, quiet: bool, n_jobs: int):
        super().__init__(timeout, log_dir, quiet)
        self.capacity = n_jobs
        self.pool = cf.ProcessPoolExecutor(max_workers=n_jobs, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, job: Job):
        return self.pool.submit(execute_job, job, self.timeout, self.log_dir, False, self.echo, self.executor)

    def wait(self, handles):
        return list(cf.wait(handles, return_when=cf.FIRST_COMPLETED).done)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskPool(_ProcessPool):
    """An existing ``dask.distributed`` cluster: each job is one task (``pure=False``)."""

    executor = "dask"

    def __init__(self, timeout: int, log_dir: Path, quiet: bool, client, n_jobs: int | None):
        _LocalPool.__init__(self, timeout, log_dir, quiet)
        self.client = client
        self.capacity = n_jobs or 1_000_000  # the cluster queues what its workers cannot take yet

    def submit(self, job: Job):
        return self.client.submit(execute_on_worker, job, self.timeout, self.log_dir, False, pure=False,
                                  key=f"playbook-{job.label.replace('/', '__')}-{os.getpid()}-{time.time_ns()}")

    def wait(self, handles):
        while True:  # distributed.wait needs a default client; this pool keeps its client to itself
            done = [h for h in handles if h.done()]
            if done:
                return done
            time.sleep(DASK_POLL_S)

    def close(self) -> None:
        self.client.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def dask_security(address: str):
    """The ``distributed.Security`` for ``address``: ``None`` for ``tcp://`` on loopback; for
    ``tls://`` the certificates of the Dask configuration, with encryption required.

    Plain ``tcp://`` beyond loopback is refused: a Dask scheduler runs whatever it is sent.
    """
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname or not parts.port:
        raise UsageError(f"--scheduler expects tcp://HOST:PORT (loopback only) or tls://HOST:PORT, got {address!r}")
    if parts.scheme == "tcp":
        if not _is_loopback(parts.hostname):
            raise UsageError(f"--scheduler {address}: beyond loopback the playbook connects only over TLS; "
                             "use a tls:// address with a Dask security configuration (README: Running on a schedule and at scale)")
        return None
    from distributed.security import Security

    security = Security(require_encryption=True)
    missing = [key for key, value in (("distributed.comm.tls.ca-file", security.tls_ca_file),
                                      ("distributed.comm.tls.client.cert", security.tls_client_cert),
                                      ("distributed.comm.tls.client.key", security.tls_client_key)) if not value]
    if missing:
        raise UsageError(f"--scheduler {address}: a tls:// scheduler needs the Dask configuration {', '.join(missing)} "
                         "(a YAML file in ~/.config/dask/ or DASK_DISTRIBUTED__COMM__TLS__... variables; see the README)")
    return security


def connect_dask(address: str):
    """A ``distributed.Client`` on ``address`` with at least one worker, or :class:`UsageError`."""
    security = dask_security(address)
    from distributed import Client

    url = address if "://" in address else f"tcp://{address}"
    try:
        client = Client(url, security=security, timeout=DASK_CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {err}") from None
    try:
        client.wait_for_workers(1, timeout=DASK_CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as err:
        client.close()
        raise UsageError(f"the Dask scheduler at {address} has no workers ({err})") from None
    return client


# --------------------------------------------------------------------------- the run's records


def default_out_dir(root: Path | None = None) -> Path:
    """``reports/<YYYY-MM-DD_HHMMSS>`` (a suffix is added if that folder already exists)."""
    root = Path(root or config.REPORTS_DIR)
    stamp = dt.datetime.now().strftime("%Y-%m-%d_%H%M%S")
    out, i = root / stamp, 1
    while out.exists() or staging_dir(out).exists():
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


def interval_used(job_list: Sequence[Job]) -> float | list[float] | None:
    """The interval mass the run's notebooks used: one value when they agree, else the sorted distinct values."""
    values = sorted({float(j.parameters.get("interval", j.notebook.parameters["interval"].default))
                     for j in job_list if "interval" in j.notebook.parameters})
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _setup_logging(run_dir: Path, quiet: bool) -> logging.Handler:
    log.setLevel(logging.INFO)
    log.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%d %H:%M:%S")
    file_handler = logging.FileHandler(run_dir / "run.log")
    file_handler.setFormatter(fmt)
    log.addHandler(file_handler)
    if not quiet and not any(getattr(h, "_playbook_console", False) for h in log.handlers):
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(fmt)
        console._playbook_console = True  # type: ignore[attr-defined]
        log.addHandler(console)
    return file_handler


# --------------------------------------------------------------------------- the run


def _select(names: Sequence[str], cfg: Mapping[str, Any], available_nbs: dict[str, Notebook]) -> list[Notebook]:
    unknown = set(cfg.get("notebooks") or {}) - set(available_nbs)
    if unknown:
        raise UsageError(f"config names unknown notebook(s): {sorted(unknown)}; available: {', '.join(available_nbs)}")
    try:
        if not cfg.get("reports"):
            return select(list(names) or list(cfg.get("run") or []), available_nbs)
        batch = select(report_notebooks(cfg), available_nbs)
        wanted = list(names) or list(cfg.get("run") or [])
        outside = [n for n in wanted if n not in {nb.name for nb in batch}]
        if outside:
            raise UsageError(f"{', '.join(outside)}: not among the config's reports ({', '.join(nb.name for nb in batch)})")
        return [nb for nb in batch if not wanted or nb.name in wanted]
    except ParameterError as err:
        raise UsageError(str(err)) from None


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
    scheduler: str | None = None,
    keep: int | None = None,
    fail_on_stale: bool | None = None,
    require_all: bool = False,
    compare: str | Path | None = None,
) -> int:
    """Run the playbook; return the exit code (0 ok, 1 a notebook failed or stale data with
    ``fail_on_stale``, 2 usage/contract/lock error).

    Usage, contract and lock errors raise :class:`UsageError` / :class:`ContractError` before
    anything runs or any folder is created; the CLI turns them into exit code 2. With no notebook
    named (here, in the config's ``run`` or ``reports``), notebooks whose required inputs are
    missing are skipped (status ``skipped`` in the manifest) unless ``require_all`` (or the
    config's ``require_all``).

    After every notebook ran, the weekly brief (``brief.html``, ``brief.json``) is built from the results
    JSONs and compared with ``compare`` (a run folder; default the newest earlier successful run beside
    the output folder).
    """
    cfg = load_config(config_file)
    available_nbs = discover(notebooks_dir)
    if not available_nbs:
        raise UsageError(f"no notebooks found in {notebooks_dir or config.NOTEBOOKS_DIR}")
    selected = _select(names, cfg, available_nbs)
    data = Path(data_dir or cfg.get("data") or config.DEMO_DATA_DIR).resolve()
    n_jobs = int(jobs or cfg.get("jobs") or 1)
    if n_jobs < 1:
        raise UsageError("--jobs must be at least 1")
    timeout = int(timeout_s or cfg.get("timeout") or DEFAULT_TIMEOUT_S)
    keep = keep if keep is not None else cfg.get("keep")
    if keep is not None and keep < 1:
        raise UsageError("--keep must be at least 1")
    fail_on_stale = bool(fail_on_stale if fail_on_stale is not None else cfg.get("fail_on_stale", False))
    compare = compare or cfg.get("compare")
    if compare is not None and not (Path(compare) / "manifest.json").is_file():
        raise UsageError(f"--compare {compare}: not a run folder (it has no manifest.json)")
    scheduler = scheduler or cfg.get("scheduler")
    cli_params = parse_cli_parameters(parameters, selected)
    checks.check_config_parameters(cfg, available_nbs)
    ready = checks.readiness(selected, data)
    if names or cfg.get("run") or cfg.get("reports") or require_all or cfg.get("require_all") or not ready.runnable:
        ready.require()  # a notebook named explicitly, --require-all, or nothing that could run: a missing input is an error
    selected = ready.runnable
    default_out = not (out_dir or cfg.get("out"))
    out = Path(out_dir or cfg.get("out") or default_out_dir()).resolve()
    staging = staging_dir(out)
    job_list = plan(selected, staging, data, cli_params, cfg)
    validated = _check_all_inputs(job_list)  # raises before any folder exists
    if scheduler:
        dask_security(scheduler)  # refuse a bad address before taking the lock

    started = dt.datetime.now().astimezone()
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": started.isoformat(timespec="seconds"),
              "command": " ".join(sys.argv), "run_id": out.name}
    lock = RunLock(out)
    stale_holder = lock.acquire(holder)  # LockedError → exit 2
    handler = None
    pool = None
    try:
        recovered = recover(out)
        staging.mkdir(parents=True)
        handler = _setup_logging(staging, quiet)
        if stale_holder:
            log.warning("took over the stale lock of a run that did not finish: %s", describe_holder(stale_holder))
        if recovered:
            log.warning("%s", recovered)
        t0 = time.time()
        pool = _pool(scheduler, jobs or cfg.get("jobs"), n_jobs, len(job_list), timeout, staging / "logs", quiet)
        log.info("playbook run: %d notebook run(s) → %s (built in %s, published at the end)", len(job_list), out, staging.name)
        for folder, files in validated.items():
            log.info("data: %s (validated %s)", folder, ", ".join(sorted(p.name for p in files.values())) or "nothing")
        for name, needs in ready.skipped.items():
            log.info("skipped %s: %s", name, needs)
        results = _execute_all(job_list, pool, quiet, on_result)
        results += [JobResult.skipped(nb, ready.skipped[nb.name]) for nb in ready.skipped_notebooks]
        failed = [r for r in results if r.status == "failed"]
        stale = [r.label for r in results if r.stale]
        exit_code = EXIT_FAILED if failed or (fail_on_stale and stale) else EXIT_OK
        pruned = [d.name for d in prune(out.parent, keep, current=out)] if keep else []
        for name in pruned:
            log.info("pruned %s (--keep %d)", out.parent / name, keep)
        record = _run_record(out, data, holder, started, t0, exit_code, validated, job_list, pool)
        record.update({"jobs": n_jobs, "timeout_s": timeout, "fail_on_stale": fail_on_stale, "stale_reports": stale,
                       "keep": keep, "pruned": pruned})
        manifest = {"run": record, "notebooks": [asdict(r) for r in results]}
        write_json_atomic(manifest, staging / "manifest.json")
        _write_brief(staging, manifest, out, compare)
        from playbook.render import render_index

        render_index(staging, manifest, published=out)
        log.info("%d succeeded, %d failed, %d skipped in %.0f s", len(results) - len(failed) - len(ready.skipped), len(failed),
                 len(ready.skipped), time.time() - t0)
        for r in failed:
            log.error("FAILED %s: %s", r.label, r.error)
        if stale:
            log.log(logging.ERROR if fail_on_stale else logging.WARNING, "stale data in %s%s", ", ".join(stale),
                    " (--fail-on-stale: exit 1)" if fail_on_stale else "")
        log.info("index: %s", out / "index.html")
        log.removeHandler(handler)
        handler.close()
        handler = None
        delete = [f"{r.folder + '/' if r.folder else ''}{r.name}.failed.{ext}"
                  for r in results if r.status == "succeeded" for ext in ("html", "ipynb")]
        publish(staging, out, delete)
        if exit_code == EXIT_OK and (default_out or out.parent == config.REPORTS_DIR.resolve()):
            _point_latest(out)
        if not quiet:
            print(out / "index.html")
        return exit_code
    finally:
        if pool is not None:
            pool.close()
        if handler is not None:
            log.removeHandler(handler)
            handler.close()
        lock.release()


def _write_brief(staging: Path, manifest: Mapping[str, Any], out: Path, compare: str | Path | None) -> None:
    """The weekly brief of the run, compared with ``compare`` or the newest earlier good run beside ``out``.

    A brief that cannot be built is logged as an error and the run's reports still publish: the brief
    only reads them.
    """
    from playbook import brief

    try:
        previous = Path(compare) if compare else brief.previous_run(staging, out.parent)
        brief.write(staging, manifest, previous)
    except Exception as err:  # noqa: BLE001 - the reports are sound; say why there is no brief
        log.error("no weekly brief: %s: %s", type(err).__name__, err)
        return
    log.info("brief: %s (compared with %s)", out / "brief.html", previous or "no earlier run")


def _pool(scheduler: str | None, asked_jobs: int | None, n_jobs: int, n_notebooks: int, timeout: int, log_dir: Path, quiet: bool):
    """Where the notebooks run: the Dask cluster, local worker processes, or this process."""
    if scheduler:
        return _DaskPool(timeout, log_dir, quiet, connect_dask(scheduler), asked_jobs)
    if n_jobs > 1 and n_notebooks > 1:
        return _ProcessPool(timeout, log_dir, quiet, min(n_jobs, n_notebooks))
    return _LocalPool(timeout, log_dir, quiet)


def _run_record(out: Path, data: Path, holder: Mapping[str, Any], started: dt.datetime, t0: float, exit_code: int,
                validated: Mapping[Path, Any], job_list: Sequence[Job], pool) -> dict[str, Any]:
    """The manifest's ``run`` section: what ran where, from which code and inputs, in which waves."""
    return {
        "run_id": out.name,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "duration_s": round(time.time() - t0, 2),
        "exit_code": exit_code,
        "data_dir": str(data),
        "out_dir": str(out),
        "command": holder["command"],
        "host": holder["host"],
        "pid": holder["pid"],
        "git_commit": git_commit(),
        "playbook_version": __version__,
        "packages": package_versions(),
        "inputs": input_files(data) if data.is_dir() else {},
        "data_dirs": {str(d): input_files(d) for d in validated} if len(validated) > 1 else {},
        "executor": pool.executor,
        "scheduler": pool.client.scheduler.address if pool.executor == "dask" else None,
        "workers": sorted(pool.client.scheduler_info()["workers"]) if pool.executor == "dask" else [],
        "waves": [[j.label for j in wave] for wave in waves(job_list)],
        "interval": interval_used(job_list),
    }


def _execute_all(job_list: list[Job], pool, quiet: bool, on_result: Callable[[JobResult], None] | None) -> list[JobResult]:
    """Run the jobs on ``pool``: a job starts once every producer of a file it consumes has
    finished (succeeded or failed), at most ``pool.capacity`` at a time, earlier waves first."""
    total = len(job_list)
    needs = producers(job_list)
    wave_of = wave_numbers(job_list)
    finished: dict[int, JobResult] = {}
    pending = list(range(total))
    running: dict[Any, tuple[int, list[dict[str, Any]]]] = {}
    results: list[JobResult | None] = [None] * total
    if pool.executor == "process":
        log.info("running %d notebook(s) on %d worker process(es)", total, pool.capacity)
    elif pool.executor == "dask":
        log.info("running %d notebook(s) on the Dask cluster at %s", total, pool.client.scheduler.address)
    while pending or running:
        done_ids = {id(job_list[i]) for i in finished}
        for i in list(pending):
            if len(running) >= pool.capacity:
                break
            if not all(id(p) in done_ids for _, p in needs[i]):
                continue
            job = job_list[i]
            handoffs = _handoffs(job, needs[i], {id(job_list[k]): r for k, r in finished.items()})
            log.info("[wave %d] %s: running%s", wave_of[job.label], job.label,
                     "".join(f"; {h['file']} {'from ' + h['producer'] if h['available'] else 'absent'}" for h in handoffs))
            running[pool.submit(job)] = (i, handoffs)
            pending.remove(i)
        if not running:  # cannot happen after waves() accepted the plan; never spin
            raise RuntimeError(f"no job can start: {[job_list[i].label for i in pending]}")
        for handle in pool.wait(list(running)):
            i, handoffs = running.pop(handle)
            job = job_list[i]
            try:
                r = pool.result(handle)
            except Exception as err:  # noqa: BLE001 - a crashed worker is a failed notebook
                r = JobResult.crashed(job, f"worker crashed: {type(err).__name__}: {err}", pool.executor)
            r.wave, r.handoffs = wave_of[job.label], handoffs
            results[i] = finished[i] = r
            mark = "ok" if r.status == "succeeded" else "FAILED"
            where = f" on {r.worker}" if r.worker else ""
            log.info("[%d/%d] %-28s %s in %.1f s%s%s", len(finished), total, r.label, mark, r.duration_s, where,
                     f" — {r.error}" if r.error else "")
            if on_result:
                on_result(r)
    return results  # type: ignore[return-value]


def _handoffs(job: Job, needs: list[tuple[str, Job]], done: Mapping[int, JobResult]) -> list[dict[str, Any]]:
    """Each file ``job`` consumes: who produced it in this run, how that went, whether it is there now."""
    out = []
    for file in job.consumes:
        mine = [p for f, p in needs if f == file]
        producer = mine[0] if mine else None
        status = done[id(producer)].status if producer is not None and id(producer) in done else None
        entry = {"file": file, "producer": producer.label if producer else None, "producer_status": status,
                 "available": (job.out_dir / file).is_file()}
        if not entry["available"]:
            entry["reason"] = ("no notebook of this run produces it" if producer is None
                               else f"{producer.label} failed" if status == "failed"
                               else f"{producer.label} did not write it (its parameters did not ask for it)")
        out.append(entry)
    return out
