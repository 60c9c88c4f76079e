"""Fast fixture notebooks for the runner's tests: standard library only in the kernel, so each run
costs little more than a kernel start. They write ``<name>.json`` with the results-JSON shape."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from conftest import make_notebook

QUICK_PARAMS = 'data_dir: str = "."  # data\noutput_dir: str = "."  # out\nsmoke: bool = False  # smoke\n'


def save_cell(name: str, values: str = "{}", meta: str = "{}", warnings: str = "[]", headline: str = "[]") -> str:
    """A cell that writes ``<output_dir>/<name>.json`` from Python expressions (as source text)."""
    return (
        "import json, os, datetime\n"
        f"_meta = {{'notebook': {name!r}, 'generated_at': datetime.datetime.now().isoformat(), **{meta}}}\n"
        f"_doc = {{'meta': _meta, 'headline': {headline}, 'warnings': {warnings}, **{values}}}\n"
        f"with open(os.path.join(output_dir, {name + '.json'!r}), 'w') as fh:\n"
        "    json.dump(_doc, fh)"
    )


def quick_notebook(folder: Path, name: str, body: list[str], produces=(), consumes=(), params: str = "",
                   title: str | None = None, results: str = "{}", requires=("orders",), **save) -> Path:
    """A notebook with the quick parameters (+ ``params``), ``body`` cells, then a save cell
    (``save``: ``meta``, ``warnings``, ``headline`` as Python source, see :func:`save_cell`)."""
    path = make_notebook(folder / f"{name}.ipynb", QUICK_PARAMS + params, [*body, save_cell(name, results, **save)],
                         list(requires), title=title or f"{name.capitalize()} report")
    nb = nbformat.read(path, as_version=4)
    nb.metadata["playbook"].update({"produces": list(produces), "consumes": list(consumes)})
    nbformat.write(nb, path)
    return path


def handoff_notebooks(folder: Path) -> Path:
    """``late`` produces ``part.csv`` after a pause (or fails after writing it, with ``fail=true``);
    ``early`` consumes it and records what it found; ``other`` needs nothing. By name, ``early``
    would run first: only the declared hand-off orders them."""
    folder.mkdir(parents=True, exist_ok=True)
    quick_notebook(folder, "late", [
        "import os, time\ntime.sleep(pause)\nopen(os.path.join(output_dir, 'part.csv'), 'w').write('42')",
        "if fail:\n    raise RuntimeError('the producer broke after writing part.csv')",
    ], produces=["part.csv"], params="pause: float = 1.5  # seconds\nfail: bool = False  # fail on purpose\n")
    quick_notebook(folder, "early", [
        "import os\npath = os.path.join(output_dir, 'part.csv')\npart = open(path).read() if os.path.exists(path) else None",
    ], consumes=["part.csv"], results="{'part': part}")
    quick_notebook(folder, "other", ["x = 1"])
    return folder


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def entries(out: Path) -> dict[str, dict]:
    return {e["label"]: e for e in manifest(out)["notebooks"]}
