"""The notebooks of the playbook: discovery, metadata, typed parameters and value parsing."""

from __future__ import annotations

import ast
import datetime as dt
import io
import json
import re
import tokenize
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import nbformat

from playbook import config

#: The order notebooks run in (hand-offs flow forward: A/B → MMM → attribution). Others follow, sorted.
PREFERRED_ORDER = ("market_analysis", "personas", "ab_test", "mmm", "launch", "attribution")
#: Parameters the runner sets itself; users may still override ``data_dir`` via ``--data``.
RUNNER_PARAMETERS = ("data_dir", "output_dir")


class ParameterError(ValueError):
    """A ``-p`` value or a config entry that does not fit the notebook's declared parameters."""


@dataclass(frozen=True)
class Parameter:
    """One entry of a notebook's ``parameters`` cell."""

    name: str
    type: str  # the annotation as written, e.g. "bool", "list", "str | None"
    default: Any
    help: str = ""

    def parse(self, text: str) -> Any:
        """Parse a command-line string into this parameter's declared type."""
        return parse_value(text, self.type, self.name, self.help)


@dataclass
class Notebook:
    """A notebook in the playbook: its path, metadata and declared parameters."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.stem

    @cached_property
    def node(self) -> nbformat.NotebookNode:
        return nbformat.read(self.path, as_version=4)

    @property
    def meta(self) -> dict:
        return dict(self.node.metadata.get("playbook", {}))

    @property
    def title(self) -> str:
        return self.node.metadata.get("title") or self.name.replace("_", " ").capitalize()

    @property
    def description(self) -> str:
        return self.meta.get("description", "")

    @property
    def requires(self) -> list[str]:
        return list(self.meta.get("requires", []))

    @property
    def optional(self) -> list[str]:
        """Input files the notebook reads when present (validated before the run when they exist)."""
        return list(self.meta.get("optional", []))

    @property
    def produces(self) -> list[str]:
        """Files this notebook writes for other notebooks (hand-offs, e.g. ``lift_tests.csv``); its ``<name>.json`` always."""
        return list(dict.fromkeys([*self.meta.get("produces", []), f"{self.name}.json"]))

    @property
    def consumes(self) -> list[str]:
        """Files of other notebooks this one reads when the same run produced them (e.g. ``mmm.json``)."""
        return list(self.meta.get("consumes", []))

    @cached_property
    def parameters(self) -> dict[str, Parameter]:
        return read_parameters(self.node, self.path)

    def coerce(self, values: dict[str, Any], source: str) -> dict[str, Any]:
        """Check names and types of ``values`` (already typed, e.g. from YAML) against the parameters."""
        out = {}
        for key, value in values.items():
            param = self.parameters.get(key)
            if param is None:
                raise ParameterError(f"{source}: notebook {self.name!r} has no parameter {key!r}; valid: {', '.join(self.parameters)}")
            out[key] = param.parse(value) if isinstance(value, str) and param.type != "str" else value
        return out


def _split_comment(line: str) -> tuple[str, str]:
    """``'x: int = 1  # help'`` → ``('x: int = 1', 'help')``; a ``#`` inside a string is not a comment."""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line).readline):
            if tok.type == tokenize.COMMENT:
                return line[: tok.start[1]].rstrip(), tok.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return line.rstrip(), ""


def read_parameters(nb: nbformat.NotebookNode, path: Path | str = "<notebook>") -> dict[str, Parameter]:
    """The annotated parameters of the cell tagged ``parameters``, in order.

    Every line must be ``name: type = literal  # help``; anything else is an error, because
    derived values in the parameters cell silently ignore injected values (a papermill gotcha).
    """
    cells = [c for c in nb.cells if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise ParameterError(f"{path}: no code cell is tagged 'parameters'")
    params: dict[str, Parameter] = {}
    for lineno, line in enumerate(cells[0].source.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        code, help_ = _split_comment(stripped)
        try:
            node = ast.parse(code).body[0]
        except (SyntaxError, IndexError):
            node = None
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name) or node.value is None:
            raise ParameterError(f"{path}: parameters cell line {lineno} must be 'name: type = literal  # help', got {stripped!r}")
        try:
            default = ast.literal_eval(node.value)
        except ValueError:
            raise ParameterError(
                f"{path}: parameter {node.target.id!r} must have a literal default, got {ast.unparse(node.value)!r}"
            ) from None
        params[node.target.id] = Parameter(node.target.id, ast.unparse(node.annotation), default, help_)
    return params


_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


def parse_value(text: Any, type_: str, name: str = "value", help_: str = "") -> Any:
    """Parse ``text`` as the annotated ``type_``: bool, int, float, str, list, dict, ``X | None``.

    ``-p smoke=false`` gives ``False``; lists accept ``a,b,c`` or a JSON/Python list; dicts a JSON
    object; ``none``/``null`` gives ``None`` for optional types; a ``str`` whose help mentions a
    date must be an ISO date.
    """
    if not isinstance(text, str):
        return text
    t = type_.replace("Optional[", "").rstrip("]") if type_.startswith("Optional[") else type_
    optional = type_.startswith("Optional[") or bool(re.search(r"\|\s*None|None\s*\|", t))
    base = re.sub(r"\s*\|\s*None|None\s*\|\s*", "", t).strip()
    raw = text.strip()
    if optional and raw.lower() in ("none", "null", ""):
        return None
    try:
        if base == "bool":
            low = raw.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError("expected true/false")
        if base == "int":
            return int(raw)
        if base == "float":
            return float(raw)
        if base.startswith("list") or base.startswith("tuple"):
            if raw.startswith("["):
                value = _literal(raw)
                if not isinstance(value, list):
                    raise ValueError("expected a list")
                return value
            return [p.strip() for p in raw.split(",") if p.strip()]
        if base.startswith("dict"):
            value = _literal(raw)
            if not isinstance(value, dict):
                raise ValueError("expected a JSON object")
            return value
        if base == "str":
            if "date" in help_.lower() and raw:
                dt.date.fromisoformat(raw[:10])
            return text
        if base in ("int | float", "float | int"):
            return float(raw) if any(ch in raw for ch in ".eE") else int(raw)
        # unknown annotations (e.g. "int | str"): best effort literal, else the string
        try:
            return ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return text
    except (ValueError, SyntaxError) as err:
        raise ParameterError(f"parameter {name!r} expects {type_}: cannot parse {text!r} ({err})") from None


def _literal(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return ast.literal_eval(raw)


def discover(notebooks_dir: str | Path | None = None) -> dict[str, Notebook]:
    """Every ``*.ipynb`` in the notebooks folder (not starting with ``_`` or ``.``), in run order."""
    folder = Path(notebooks_dir or config.NOTEBOOKS_DIR)
    found = {p.stem: Notebook(p) for p in sorted(folder.glob("*.ipynb")) if not p.name.startswith(("_", "."))}
    order = [n for n in PREFERRED_ORDER if n in found] + sorted(n for n in found if n not in PREFERRED_ORDER)
    return {n: found[n] for n in order}


def select(names: list[str], available: dict[str, Notebook]) -> list[Notebook]:
    """The notebooks named (all of them when ``names`` is empty), in run order."""
    if not names:
        return list(available.values())
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ParameterError(f"unknown notebook(s): {', '.join(unknown)}; available: {', '.join(available) or 'none'}")
    return [available[n] for n in available if n in names]
