"""Plan a run: jobs from the config and the command line, ordered into dependency waves.

A *job* is one notebook execution: a notebook, its typed parameters and the folder it writes to.
Jobs come from three places, merged in this order of precedence (later wins):

1. the config's ``parameters`` (every notebook that declares the key),
2. the config's ``notebooks.<name>`` (a mapping, or a list that fans out into parameter sets) or a
   ``reports`` batch entry (notebook(s), data folder, parameters, a parameter ``grid``, a ``name``),
3. ``-p KEY=VALUE`` / ``-p NAME.KEY=VALUE`` on the command line.

Hand-offs order the jobs: a notebook that *consumes* a file (``metadata.playbook.consumes``, e.g.
``mmm.json``) runs after every job of the same folder that *produces* it (``produces``; every
notebook produces ``<name>.json``). :func:`waves` layers the jobs: wave 1 needs nothing, wave k
needs only earlier waves. Ties keep the planned order (notebooks by name, batch entries as written).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from playbook.notebooks import RUNNER_PARAMETERS, Notebook, ParameterError


class UsageError(ValueError):
    """Bad command line or config: reported without a traceback, exit code 2."""


#: Keys a run config may hold (``reports``, ``scheduler``, ``keep`` and ``fail_on_stale`` are the
#: scale-out keys; the others are the original ones and keep their meaning).
CONFIG_KEYS = {"data", "out", "jobs", "timeout", "run", "parameters", "notebooks",
               "reports", "scheduler", "keep", "fail_on_stale", "require_all", "compare"}
#: Keys of one entry of a config's ``reports`` list.
REPORT_KEYS = {"notebook", "notebooks", "data", "parameters", "grid", "name"}
_INT_KEYS = ("jobs", "timeout", "keep")
_SAFE_PART = re.compile(r"[^A-Za-z0-9_.-]+")
_PLACEHOLDER = re.compile(r"{(\w+)}")


@dataclass
class Job:
    """One notebook execution: which notebook, with which parameters, written where.

    ``out_dir`` is the folder the notebook writes to (its ``output_dir``); ``folder`` is that
    folder relative to the run folder (``""`` for the run folder itself), ``set_id`` the id of an
    extra parameter set of the config's ``notebooks`` fan-out.
    """

    notebook: Notebook
    parameters: dict[str, Any]
    out_dir: Path
    set_id: str = ""
    folder: str = ""

    @property
    def label(self) -> str:
        """The job's name in logs and the manifest: ``mmm``, ``mmm__pricing`` or ``north/mmm``."""
        name = self.notebook.name
        if not self.folder:
            return f"{name}__{self.set_id}" if self.set_id else name
        last = self.folder.rsplit("/", 1)[-1]
        return self.folder if last == name or last.startswith(f"{name}__") else f"{self.folder}/{name}"

    @property
    def data_dir(self) -> Path:
        return Path(str(self.parameters.get("data_dir", "")))

    @property
    def produces(self) -> list[str]:
        return self.notebook.produces

    @property
    def consumes(self) -> list[str]:
        return self.notebook.consumes


# --------------------------------------------------------------------------- config


def load_config(path: str | Path | None) -> dict:
    """Read a run config (YAML, safe loader only: no Python tags). Keys: :data:`CONFIG_KEYS`."""
    if not path:
        return {}
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except (OSError, yaml.YAMLError) as err:
        raise UsageError(f"cannot read config {p}: {err}") from None
    if not isinstance(data, dict):
        raise UsageError(f"config {p} must be a YAML mapping")
    unknown = set(data) - CONFIG_KEYS
    if unknown:
        raise UsageError(f"config {p}: unknown key(s) {sorted(unknown)}; allowed: {sorted(CONFIG_KEYS)}")
    for key in _INT_KEYS:
        if key in data and (isinstance(data[key], bool) or not isinstance(data[key], int)):
            raise UsageError(f"config {p}: {key} must be a whole number, got {data[key]!r}")
    if "fail_on_stale" in data and not isinstance(data["fail_on_stale"], bool):
        raise UsageError(f"config {p}: fail_on_stale must be true or false, got {data['fail_on_stale']!r}")
    for key in ("data", "out", "scheduler"):
        if key in data and not isinstance(data[key], str):
            raise UsageError(f"config {p}: {key} must be a text value, got {data[key]!r}")
    for key in ("parameters", "notebooks"):
        if data.get(key) is not None and not isinstance(data[key], Mapping):
            raise UsageError(f"config {p}: {key} must be a mapping")
    reports = data.get("reports")
    if reports is not None:
        if not isinstance(reports, list) or not reports:
            raise UsageError(f"config {p}: reports must be a non-empty list of report entries")
        if data.get("notebooks"):
            raise UsageError(f"config {p}: use either reports (a batch) or notebooks (per-notebook sets), not both")
        for i, entry in enumerate(reports, 1):
            _check_report_entry(entry, f"config {p}: reports entry {i}")
    return data


def _check_report_entry(entry: Any, where: str) -> None:
    if not isinstance(entry, Mapping):
        raise UsageError(f"{where} must be a mapping with notebook, data, parameters, grid, name")
    unknown = set(entry) - REPORT_KEYS
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: {sorted(REPORT_KEYS)}")
    if ("notebook" in entry) == ("notebooks" in entry):
        raise UsageError(f"{where}: name exactly one of notebook (a name) or notebooks (a list of names)")
    names = [entry["notebook"]] if "notebook" in entry else entry["notebooks"]
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise UsageError(f"{where}: notebooks must be a non-empty list of notebook names")
    if entry.get("parameters") is not None and not isinstance(entry["parameters"], Mapping):
        raise UsageError(f"{where}: parameters must be a mapping")
    grid = entry.get("grid")
    if grid is not None and not isinstance(grid, (Mapping, list)):
        raise UsageError(f"{where}: grid must be a mapping of parameter → list of values, or a list of such mappings")
    for key in ("data", "name"):
        if key in entry and not isinstance(entry[key], str):
            raise UsageError(f"{where}: {key} must be text, got {entry[key]!r}")


def report_notebooks(cfg: Mapping[str, Any]) -> list[str]:
    """The notebook names a config's ``reports`` batch runs, in first-mention order."""
    names: list[str] = []
    for entry in cfg.get("reports") or []:
        names += [entry["notebook"]] if "notebook" in entry else list(entry["notebooks"])
    return list(dict.fromkeys(names))


# --------------------------------------------------------------------------- -p values


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


# --------------------------------------------------------------------------- jobs


def _slug(params: Mapping[str, Any]) -> str:
    text = "_".join(f"{k}-{v}" for k, v in params.items())
    return _SAFE_PART.sub("-", text)[:60].strip("-") or "set"


def _slug_value(value: Any) -> str:
    return _SAFE_PART.sub("-", str(value)).strip("-") or "x"


def plan(
    notebooks: Sequence[Notebook],
    out_dir: Path,
    data_dir: Path,
    cli_params: Mapping[str, Mapping[str, Any]],
    cfg: Mapping[str, Any],
) -> list[Job]:
    """Expand notebooks × parameter sets (or a ``reports`` batch) into jobs, in wave order.

    Precedence: config ``parameters`` < config per notebook / report entry < grid values < ``-p``.
    Every job writes below ``out_dir``; two jobs of one notebook in one folder are an error.
    """
    common = dict(cfg.get("parameters") or {})
    if cfg.get("reports"):
        jobs = _batch_jobs(notebooks, out_dir, data_dir, cli_params, cfg, common)
    else:
        jobs = _notebook_jobs(notebooks, out_dir, data_dir, cli_params, cfg, common)
    seen: dict[tuple[str, str], Job] = {}
    for job in jobs:
        key = (job.folder, job.notebook.name)
        if key in seen:
            where = f"folder {job.folder!r}" if job.folder else "the run folder"
            raise UsageError(f"two reports of {job.notebook.name!r} would write to {where}; give each its own name")
        seen[key] = job
    return [j for wave in waves(jobs) for j in wave]


def _values(nb: Notebook, layers: Iterable[tuple[Mapping[str, Any], str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for layer, source in layers:
        try:
            values.update(nb.coerce(dict(layer), source))
        except ParameterError as err:
            raise UsageError(str(err)) from None
    return values


def _notebook_jobs(notebooks, out_dir, data_dir, cli_params, cfg, common) -> list[Job]:
    """The original config shape: ``notebooks.<name>`` is a mapping or a list of parameter sets."""
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
            values = _values(nb, [(base, "config parameters"), (pset, f"config notebooks.{nb.name}")])
            values.update(cli_params.get(nb.name, {}))
            folder = f"{nb.name}__{set_id}" if set_id else ""
            job_dir = out_dir / folder if folder else out_dir
            values.update({"data_dir": str(data_dir), "output_dir": str(job_dir)})
            jobs.append(Job(nb, values, job_dir, set_id, folder))
    return jobs


def grid_sets(grid: Mapping[str, Any] | list | None) -> list[dict[str, Any]]:
    """Parameter sets of a grid: the cartesian product of a mapping's value lists (keys as written);
    a list of mappings is the union of their products. No grid is one empty set."""
    if not grid:
        return [{}]
    if isinstance(grid, list):
        return [s for g in grid for s in grid_sets(g)]
    if not isinstance(grid, Mapping):
        raise UsageError(f"grid must be a mapping of parameter → list of values, got {grid!r}")
    keys = list(grid)
    axes = [v if isinstance(v, list) else [v] for v in grid.values()]
    if any(not axis for axis in axes):
        raise UsageError(f"grid {dict(grid)}: every parameter needs at least one value")
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]


def _report_folder(template: str | None, nb: Notebook, point: Mapping[str, Any], values: Mapping[str, Any],
                   where: str, shared: bool) -> str:
    """The report's folder inside the run folder, from its ``name`` template (values slugged).

    Without a template: the run folder for a report without a grid; ``<notebook>__<values>`` for a
    one-notebook grid; ``<values>`` for a group of notebooks (``shared``), which then hand off to
    each other inside that folder.
    """
    if template is None:
        keys = "__".join(f"{{{k}}}" for k in point)
        template = "" if not point else keys if shared else "{notebook}__" + keys
    fields = {k: _slug_value(v) for k, v in {**point, **values}.items()}
    fields["notebook"] = nb.name
    try:
        name = template.format(**fields)
    except (KeyError, IndexError, ValueError) as err:
        raise UsageError(f"{where}: name {template!r} uses {err}, which is not a parameter of {nb.name!r}; "
                         f"use {{notebook}} or one of: {', '.join(sorted(values))}") from None
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if any(p == ".." or p.startswith(".") for p in parts):
        raise UsageError(f"{where}: name {name!r} must stay inside the run folder (no '..' or hidden parts)")
    return "/".join(_SAFE_PART.sub("-", p) for p in parts)


def _batch_jobs(notebooks, out_dir, data_dir, cli_params, cfg, common) -> list[Job]:
    """A ``reports`` batch: each entry × its grid is one job per notebook, in the folder its name gives."""
    by_name = {nb.name: nb for nb in notebooks}
    jobs: list[Job] = []
    for i, entry in enumerate(cfg["reports"], 1):
        where = f"config reports entry {i}"
        names = [entry["notebook"]] if "notebook" in entry else list(entry["notebooks"])
        chosen = [by_name[n] for n in names if n in by_name]  # others were not selected on the command line
        fixed = dict(entry.get("parameters") or {})
        # a grid key no notebook declares may only name the data folder or the output folder
        placeholders = set(_PLACEHOLDER.findall(entry.get("data") or "")) | set(_PLACEHOLDER.findall(entry.get("name") or ""))
        for point in grid_sets(entry.get("grid")):
            for key in [*fixed, *point]:
                if key in RUNNER_PARAMETERS:
                    raise UsageError(f"{where}: {key} is set by the runner; use data / name instead")
                if chosen and not any(key in nb.parameters for nb in chosen) and not (key in point and key in placeholders):
                    raise UsageError(f"{where}: no notebook of this report declares parameter {key!r}"
                                     " (a grid key that is not a parameter must appear as {" + key + "} in data or name)")
            for nb in chosen:
                mine = lambda d, nb=nb: {k: v for k, v in d.items() if k in nb.parameters}  # noqa: E731
                values = _values(nb, [(mine(common), "config parameters"), (mine(fixed), f"{where} parameters"),
                                      (mine(point), f"{where} grid")])
                values.update(cli_params.get(nb.name, {}))
                folder = _report_folder(entry.get("name"), nb, point, values, where, shared=len(names) > 1)
                data = entry.get("data")
                if data:
                    try:
                        data = data.format(**{k: v for k, v in {**fixed, **point}.items()})
                    except (KeyError, IndexError, ValueError) as err:
                        raise UsageError(f"{where}: data {data!r} uses {err}, which is not a parameter of the report") from None
                job_data = Path(data).resolve() if data else data_dir
                job_dir = out_dir / folder if folder else out_dir
                values.update({"data_dir": str(job_data), "output_dir": str(job_dir)})
                jobs.append(Job(nb, values, job_dir, "", folder))
    return jobs


# --------------------------------------------------------------------------- hand-offs and waves


def producers(jobs: Sequence[Job]) -> dict[int, list[tuple[str, Job]]]:
    """For each job (by position), the ``(file, producer job)`` pairs it waits for: the jobs of the
    same folder that produce a file it consumes."""
    out: dict[int, list[tuple[str, Job]]] = {}
    for i, job in enumerate(jobs):
        pairs = []
        for file in job.consumes:
            pairs += [(file, other) for other in jobs
                      if other is not job and other.folder == job.folder and file in other.produces]
        out[i] = pairs
    return out


def waves(jobs: Sequence[Job]) -> list[list[Job]]:
    """Layer ``jobs`` by their hand-offs: wave 1 consumes nothing produced in the run, wave k only
    what waves before it produce. Order within a wave is the planned order. A cycle is an error."""
    needs = {i: {id(p) for _, p in pairs} for i, pairs in producers(jobs).items()}
    done: set[int] = set()
    remaining = list(range(len(jobs)))
    layers: list[list[Job]] = []
    while remaining:
        ready = [i for i in remaining if needs[i] <= done]
        if not ready:
            cycle = ", ".join(jobs[i].label for i in remaining)
            raise UsageError(f"hand-offs form a cycle (each waits for another's file): {cycle}; "
                             "check metadata.playbook.produces / consumes")
        layers.append([jobs[i] for i in ready])
        done |= {id(jobs[i]) for i in ready}
        remaining = [i for i in remaining if i not in ready]
    return layers


def wave_numbers(jobs: Sequence[Job]) -> dict[str, int]:
    """The wave (1-based) of each job, by label."""
    return {j.label: k for k, wave in enumerate(waves(jobs), 1) for j in wave}
