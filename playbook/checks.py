"""What is checked before anything runs: which notebooks the data folder can feed, whether the files
keep their contracts, and whether the settings that name data name something that is there.

A notebook declares the parameters that name values or columns of its inputs in its metadata::

    "playbook": {"settings": {
        "our_brand": "market.brand",                                   # a value of market.csv's brand column
        "controls": "mmm.@columns",                                    # column names of mmm.csv
        "control": "experiment.variant|experiment_summary.variant"}}   # either file, whichever is there

The value of such a parameter (or each item of a list, or each key of a dict) must then be a value of
that column, or a column of that file. With alternatives joined by ``|``, the first one whose file is
in the data folder decides (the one the notebook reads). An empty value (``""``, ``[]``) means "not
set": the notebook applies its own data-driven rule, and nothing is checked. So is a file that is
absent (an optional input, or a notebook that will be skipped).

``playbook run`` and ``playbook validate`` call :func:`check_inputs` before any notebook runs; a setting
that names nothing in the data is an exit-2 error naming the parameter, what was given and the
valid choices::

    market_analysis: our_brand 'Nimbus' is not a brand of market.csv; brands: Acme, Bolt, Corex, Duna; pass -p our_brand=...

A notebook also declares the rules its analysis puts on a file that depend on the run's parameters
(:class:`~playbook.contracts.DataRule`, defined in the analysis' own package)::

    "playbook": {"data_rules": ["playbook.personas.rules:REPEAT_CUSTOMERS"]}   # module:attribute

Each rule reduces the validated file once (its ``summarize``) and is checked per planned run with that run's
values of the parameters it names; a run whose data fall short is an exit-2 error naming the run, the file,
the column and the rule, before anything runs (:class:`DataRuleError`). Data flow one way: this module
imports the analyses' rules, an analysis never imports this module.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playbook import io
from playbook.contracts import (
    ContractError,
    ContractErrors,
    DataRule,
    Violation,
    contract,
    describe_requirement,
    label_key,
    satisfied,
    table_names,
)
from playbook.notebooks import Notebook, ParameterError

#: The spec that names a file's columns instead of the values of one column.
COLUMNS = "@columns"
#: Valid choices listed in a message, at most (a customer id column has thousands).
MAX_CHOICES_SHOWN = 12


class SettingsError(ParameterError):
    """Settings that name data (a brand, a control arm, a KPI column) name nothing in the data folder."""

    def __init__(self, data_dir: str | Path, problems: Sequence[SettingProblem]):
        self.problems = list(problems)
        lines = [f"settings do not match the data in {data_dir} (nothing was run):"]
        lines += [f"  {p.message()}" for p in self.problems]
        lines.append("An empty value (-p NAME=) leaves a setting to the notebook's own rule where it has one; "
                     "settings a team always uses belong in a config file (README: Your own data).")
        super().__init__("\n".join(lines))


class DataRuleError(ContractError):
    """A run's data fall short of a rule its analysis puts on them for its settings (too few repeat customers, weeks)."""

    def __init__(self, data_dir: str | Path, problems: Sequence[RuleProblem]):
        self.problems = list(problems)
        self.file = ", ".join(dict.fromkeys(str(p.path) for p in self.problems))
        self.violations = [p.violation for p in self.problems]
        lines = [f"the data in {data_dir} fall short of what these runs need (nothing was run):"]
        for p in self.problems:
            lines += [f"{p.job}: {p.path} breaks the rule {p.rule.name!r}", p.violation.render()]
        ValueError.__init__(self, "\n".join(lines))


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Target:
    """What a setting names: a value of ``contract``'s ``column``, or (``column == "@columns"``) one of its columns."""

    contract: str
    column: str

    @property
    def names_columns(self) -> bool:
        return self.column == COLUMNS

    def __str__(self) -> str:
        return f"{self.contract}.{self.column}"


def parse_spec(spec: str) -> tuple[Target, ...]:
    """``"experiment.variant|experiment_summary.variant"`` → its targets, in order; each must name a known contract."""
    targets = []
    for alt in str(spec).split("|"):
        name, dot, column = alt.strip().partition(".")
        if not dot or not name or not column:
            raise ValueError(f"setting spec {spec!r}: each alternative must be '<file>.<column>' or '<file>.{COLUMNS}'")
        contract(name)  # KeyError naming the known contracts
        if not column.startswith("@") or column == COLUMNS:
            targets.append(Target(name, column))
        else:
            raise ValueError(f"setting spec {spec!r}: {column!r} is not a column name; did you mean {COLUMNS!r}?")
    return tuple(targets)


def declared_settings(nb: Notebook) -> dict[str, tuple[Target, ...]]:
    """The notebook's ``metadata.playbook.settings``: parameter → what it names, in parameters-cell order.

    Raises :class:`ParameterError` on a malformed declaration (a parameter the notebook lacks, a bad spec).
    """
    declared = nb.meta.get("settings") or {}
    if not isinstance(declared, Mapping):
        raise ParameterError(f"{nb.path}: metadata.playbook.settings must be a mapping parameter → spec")
    out = {}
    order = list(nb.parameters)
    for param, spec in sorted(declared.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
        if param not in nb.parameters:
            raise ParameterError(f"{nb.path}: metadata.playbook.settings names {param!r}, which is not a parameter of the notebook")
        try:
            out[param] = parse_spec(spec)
        except (ValueError, KeyError) as err:
            raise ParameterError(f"{nb.path}: metadata.playbook.settings[{param!r}]: {err.args[0]}") from None
    return out


def given_items(value: Any) -> list[str]:
    """The names a parameter value gives, as text: a string, each item of a list, each key of a dict; none when empty."""
    if value is None or value == "":
        return []
    if isinstance(value, Mapping):
        value = list(value)
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value if v is not None and str(v) != ""]
    return [str(value)]


# --------------------------------------------------------------------------- problems


def _plural(word: str) -> str:
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    return word if word.endswith("s") else word + "s"


def _article(word: str) -> str:
    return "an" if word[:1].lower() in tuple("aeiou") else "a"


def _choices(values: Sequence[str]) -> str:
    shown = ", ".join(values[:MAX_CHOICES_SHOWN])
    return shown + (f", … ({len(values):,} in all)" if len(values) > MAX_CHOICES_SHOWN else "") if values else "(none)"


def _suggestion(given: str, values: Sequence[str]) -> str | None:
    """The value ``given`` was most likely meant to be: the same label up to case and punctuation, else a close spelling."""
    same = [v for v in values if label_key(v) == label_key(given)]
    if same:
        return same[0]
    close = difflib.get_close_matches(given, list(values), n=1, cutoff=0.8)
    return close[0] if close else None


@dataclass(frozen=True)
class SettingProblem:
    """A setting of one notebook run whose value names nothing in the file its spec points at."""

    job: str  # the notebook run's label (``ab_test``, ``ab_test__pricing``)
    parameter: str
    target: Target
    file: str  # the file name, e.g. ``market.csv``
    unknown: tuple[str, ...]  # the given names that are not there
    choices: tuple[str, ...]  # the valid ones (empty when the file lacks the column)
    column_missing: bool = False

    def message(self) -> str:
        """``"market_analysis: our_brand 'Nimbus' is not a brand of market.csv; brands: Acme, Bolt; pass -p our_brand=..."``"""
        p, col, f = self.parameter, self.target.column, self.file
        given = ", ".join(repr(v) for v in self.unknown)
        if self.column_missing:
            text = f"{p} {given} should name {_article(col)} {col} of {f}, but {f} has no {col} column"
            return f"{self.job}: {text}; columns: {_choices(self.choices)}"
        noun = "column" if self.target.names_columns else col
        many = len(self.unknown) > 1
        text = f"{p} {given} {'are not' if many else 'is not'} {_plural(noun) if many else _article(noun) + ' ' + noun} of {f}"
        hints = [s for s in (_suggestion(v, self.choices) for v in self.unknown) if s is not None]
        if hints:
            text += f" (did you mean {', '.join(repr(h) for h in dict.fromkeys(hints))}?)"
        return f"{self.job}: {text}; {_plural(noun)}: {_choices(self.choices)}; pass -p {p}=..."


def values_needed(notebooks: Iterable[Notebook]) -> dict[str, set[str]]:
    """Per contract, the columns whose values some notebook's settings name (for :func:`io.validate_files`)."""
    out: dict[str, set[str]] = {}
    for nb in notebooks:
        for targets in declared_settings(nb).values():
            for t in targets:
                if not t.names_columns:
                    out.setdefault(t.contract, set()).add(t.column)
    return out


def setting_problems(notebook: Notebook, label: str, parameters: Mapping[str, Any],
                     facts: Mapping[str, io.TableFacts]) -> list[SettingProblem]:
    """What is wrong with one notebook run's settings that name data, given the validated files' facts."""
    problems = []
    for param, targets in declared_settings(notebook).items():
        value = parameters[param] if param in parameters else notebook.parameters[param].default
        items = given_items(value)
        target = next((t for t in targets if t.contract in facts), None)
        if not items or target is None:
            continue  # not set (the notebook's own rule applies), or the file it names is absent
        table = facts[target.contract]
        if target.names_columns:
            choices = list(table.columns)
        elif target.column not in table.values:
            problems.append(SettingProblem(label, param, target, table.path.name, tuple(items), table.columns, column_missing=True))
            continue
        else:
            choices = table.values[target.column]
        have = set(choices)
        unknown = tuple(dict.fromkeys(v for v in items if v not in have))
        if unknown:
            problems.append(SettingProblem(label, param, target, table.path.name, unknown, tuple(choices)))
    return problems


# --------------------------------------------------------------------------- data rules that depend on the settings


def declared_rules(nb: Notebook) -> list[DataRule]:
    """The notebook's ``metadata.playbook.data_rules``, imported: each ``"module:ATTRIBUTE"`` names a :class:`DataRule`.

    Raises :class:`ParameterError` on a malformed declaration (not ``module:attribute``, not a rule, a file the
    notebook does not read, a parameter it lacks).
    """
    declared = nb.meta.get("data_rules") or []
    if not isinstance(declared, list):
        raise ParameterError(f"{nb.path}: metadata.playbook.data_rules must be a list of 'module:ATTRIBUTE' names")
    out = []
    for ref in declared:
        module, colon, attr = str(ref).partition(":")
        try:
            rule = getattr(importlib.import_module(module), attr) if colon and module and attr else None
        except (ImportError, AttributeError):
            rule = None
        if not isinstance(rule, DataRule):
            raise ParameterError(f"{nb.path}: metadata.playbook.data_rules: {ref!r} does not name a DataRule ('module:ATTRIBUTE')")
        if rule.file not in _reads(nb):
            raise ParameterError(f"{nb.path}: data rule {rule.name!r} reads {rule.file}.csv, which the notebook does not read")
        lacking = [p for p in rule.parameters if p not in nb.parameters]
        if lacking:
            raise ParameterError(f"{nb.path}: data rule {rule.name!r} reads {', '.join(lacking)}, not parameters of the notebook")
        out.append(rule)
    return out


def rules_needed(notebooks: Iterable[Notebook]) -> dict[str, list[DataRule]]:
    """Per contract, the data rules some notebook declares on it (for :func:`io.validate_files`)."""
    out: dict[str, list[DataRule]] = {}
    for nb in notebooks:
        for rule in declared_rules(nb):
            if rule not in out.setdefault(rule.file, []):
                out[rule.file].append(rule)
    return out


@dataclass(frozen=True)
class RuleProblem:
    """A notebook run whose data break a rule its analysis puts on them for the run's settings."""

    job: str
    rule: DataRule
    path: Path
    violation: Violation


def rule_problems(notebook: Notebook, label: str, parameters: Mapping[str, Any],
                  facts: Mapping[str, io.TableFacts]) -> list[RuleProblem]:
    """What one notebook run's declared data rules find in the validated files' facts (a file that is absent is not checked)."""
    problems = []
    for rule in declared_rules(notebook):
        table = facts.get(rule.file)
        if table is None or rule not in table.summaries:
            continue
        values = {p: parameters[p] if p in parameters else notebook.parameters[p].default for p in rule.parameters}
        problems += [RuleProblem(label, rule, table.path, v) for v in rule.check(table.summaries[rule], values)]
    return problems


def check_config_parameters(cfg: Mapping[str, Any], notebooks: Mapping[str, Notebook]) -> None:
    """Raise :class:`ParameterError` when the config's ``parameters`` name one that no notebook declares.

    Those apply to every notebook that declares them, so a misspelt team setting (``our_brnad``)
    would otherwise be ignored without a word and the notebook's default used.
    """
    known = {p for nb in notebooks.values() for p in nb.parameters}
    unknown = sorted(set(cfg.get("parameters") or {}) - known)
    if unknown:
        names = ", ".join(repr(u) for u in unknown)
        raise ParameterError(f"config parameters: {names} {'is' if len(unknown) == 1 else 'are'} not a parameter of any notebook; "
                             f"valid: {', '.join(sorted(known))}")


# --------------------------------------------------------------------------- readiness


@dataclass
class Readiness:
    """Which notebooks the data folder can feed: those whose required files are all there, and what the others need."""

    data_dir: Path
    notebooks: list[Notebook]
    #: notebook name → ``"needs experiment.csv or experiment_summary.csv"``, for those that cannot run
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def runnable(self) -> list[Notebook]:
        return [nb for nb in self.notebooks if nb.name not in self.skipped]

    @property
    def skipped_notebooks(self) -> list[Notebook]:
        return [nb for nb in self.notebooks if nb.name in self.skipped]

    def require(self) -> None:
        """Raise :class:`MissingInputError` (or several in a :class:`ContractErrors`) for every notebook that cannot run."""
        errors: list[ContractError] = []
        for nb in self.skipped_notebooks:
            try:
                io.check_requirements(nb.requires, self.data_dir, purpose=f"notebook {nb.name!r}")
            except ContractError as err:
                errors.append(err)
        if errors:
            raise errors[0] if len(errors) == 1 else ContractErrors(errors)


def readiness(notebooks: Sequence[Notebook], data_dir: str | Path) -> Readiness:
    """Split ``notebooks`` into those whose required inputs are in ``data_dir`` and those that would be skipped."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data folder not found: {data_dir}")
    have = io.available(data_dir)
    ready = Readiness(data_dir, list(notebooks))
    for nb in notebooks:
        unmet = [describe_requirement(r) for r in nb.requires if satisfied(r, have) is None]
        if unmet:
            ready.skipped[nb.name] = "needs " + "; ".join(unmet)
    return ready


# --------------------------------------------------------------------------- everything before a run


def _reads(nb: Notebook) -> set[str]:
    return {n for expr in [*nb.requires, *nb.optional] for n in table_names(expr)}


def merged_files(files: Iterable[str], notebooks: Sequence[Notebook], jobs: Sequence[Any]) -> list[str]:
    """The files whose label spellings are merged: those every run that reads them sets ``merge_label_variants`` for.

    A notebook without a run among ``jobs`` counts as one run that does not merge. A file no notebook
    reads is merged only when every run merges.
    """
    flags: dict[str, list[bool]] = {nb.name: [] for nb in notebooks}
    for j in jobs:
        flags.setdefault(j.notebook.name, []).append(bool(j.parameters.get("merge_label_variants", False)))
    everyone = [f for fs in flags.values() for f in (fs or [False])]
    out = []
    for name in files:
        readers = [f for nb in notebooks if name in _reads(nb) for f in (flags[nb.name] or [False])]
        if all(readers or everyone) and (readers or everyone):
            out.append(name)
    return out


def check_inputs(notebooks: Sequence[Notebook], data_dir: str | Path, jobs: Sequence[Any] = (),
                 extra_files: Mapping[str, Path] | None = None) -> dict[str, Path]:
    """Check everything a run needs before it starts; return the files validated.

    Each notebook's required files exist; every file a notebook names (required or optional, when
    present) and every file of ``extra_files`` keeps its contract (label spellings merged only where
    every reader asks, see :func:`merged_files`); and each run's settings that name data name
    something in those files; then each run's data rules (:func:`declared_rules`) with its parameters.
    ``jobs`` are the planned runs (``.notebook``, ``.parameters``, ``.label``); without them the
    notebooks' defaults are checked. Raises :class:`ContractError`, :class:`SettingsError` or
    :class:`DataRuleError`, each listing every problem it found.
    """
    files: dict[str, Path] = dict(extra_files or {})
    for nb in notebooks:
        files.update(io.check_requirements(nb.requires, data_dir, purpose=f"notebook {nb.name!r}", optional=nb.optional))
    facts = io.validate_files(files, merge_label_variants=merged_files(files, notebooks, jobs), values_of=values_needed(notebooks),
                              rules_of=rules_needed(notebooks))
    runs = list(jobs) or [_DefaultRun(nb) for nb in notebooks]
    problems = [p for j in runs for p in setting_problems(j.notebook, j.label, j.parameters, facts)]
    if problems:
        raise SettingsError(data_dir, problems)
    short = [p for j in runs for p in rule_problems(j.notebook, j.label, j.parameters, facts)]
    if short:
        raise DataRuleError(data_dir, short)
    return files


@dataclass
class _DefaultRun:
    notebook: Notebook
    parameters: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.notebook.name


# --------------------------------------------------------------------------- playbook validate


@dataclass
class FolderReport:
    """What ``playbook validate`` found: the files that keep their contracts, the settings checked, who can run."""

    files: dict[str, Path]
    readiness: Readiness
    #: per notebook run that can go ahead: its settings that name data and their values (set ones only)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"ok          {path}" for path in self.files.values()]
        for label, values in self.settings.items():
            shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
            out.append(f"ok          settings of {label}: {shown}")
        if self.readiness.runnable:
            out.append(f"can run     {', '.join(nb.name for nb in self.readiness.runnable)}")
        for name, needs in self.readiness.skipped.items():
            out.append(f"cannot run  {name}: {needs}")
        if self.readiness.skipped:
            out.append("            (playbook run skips these and runs the others; --require-all makes a missing input an error)")
        return out


def validate_folder(
    names: Sequence[str] = (),
    data_dir: str | Path | None = None,
    parameters: Sequence[str] = (),
    config_file: str | Path | None = None,
    notebooks_dir: str | Path | None = None,
    merge_label_variants: bool = False,
    require_all: bool = False,
) -> FolderReport:
    """Run every check ``playbook run`` makes before it starts, with the same config and ``-p`` values; run nothing.

    With no ``names``, every file in the folder that has a contract is validated, and the notebooks
    whose inputs are missing are listed as cannot-run (an error with ``require_all``, or when no
    notebook can run); named notebooks must all be able to run. Raises :class:`ContractError`, :class:`SettingsError` or the runner's
    ``UsageError``.
    """
    from playbook import config
    from playbook.notebooks import discover, select
    from playbook.plan import load_config, parse_cli_parameters, plan

    cfg = load_config(config_file)
    data = Path(data_dir or cfg.get("data") or config.DEMO_DATA_DIR)
    notebooks = discover(notebooks_dir)
    check_config_parameters(cfg, notebooks)
    selected = select(list(names) or list(cfg.get("run") or []), notebooks)
    cli_params = parse_cli_parameters([*parameters, *(["merge_label_variants=true"] if merge_label_variants else [])], selected)
    ready = readiness(selected, data)
    explicit = bool(names or cfg.get("run"))
    if explicit or require_all or cfg.get("require_all") or not ready.runnable:
        ready.require()  # as playbook run: named notebooks, --require-all, or nothing at all that could run
    jobs = plan(ready.runnable, data / ".validate", data, cli_params, cfg)  # plans paths only; nothing is written
    files = check_inputs(ready.runnable, data, jobs, extra_files=None if explicit else io.available(data))
    settings = {}
    for j in jobs:
        values = {p: j.parameters.get(p, j.notebook.parameters[p].default) for p in declared_settings(j.notebook)}
        values = {p: v for p, v in values.items() if given_items(v)}
        if values:
            settings[j.label] = values
    return FolderReport(files, ready, settings)
