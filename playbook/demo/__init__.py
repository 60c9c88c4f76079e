"""Generate the demo world: every input file of the playbook plus ``truth.json``.

Each part module (``playbook.demo.<part>``) exposes ``make(world) -> (files, truth)`` where
``files`` maps a file name (``"market.csv"``) to a DataFrame and ``truth`` is the JSON-safe
ground truth that part was drawn from. Tests use the truth to show that each analysis
recovers it. The parts are one business at different levels (:mod:`playbook.demo.business`); the
truth's ``ties`` records how their numbers relate, and ``tests/demo/test_ties.py`` asserts it.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pandas as pd
import yaml

from playbook.demo import business
from playbook.demo.world import World
from playbook.report import to_jsonable

#: Part modules, in generation order. Each is ``playbook.demo.<part>``.
PARTS: tuple[str, ...] = ("market", "personas", "abtest", "mmm", "attribution", "launch")


def build(world: World) -> tuple[dict, dict]:
    """Return ``(files, truth)`` for the whole world, without writing anything."""
    files: dict = {}
    truth: dict = {
        "seed": world.seed,
        "scale": world.scale,
        "our_brand": world.our_brand,
        "channels": list(world.channels),
        "regions": list(world.regions),
        "window": {"start": str(world.start.date()), "end": str(world.end.date())},
    }
    for part in PARTS:
        module = importlib.import_module(f"playbook.demo.{part}")
        part_files, part_truth = module.make(world)
        clash = set(files) & set(part_files)
        if clash:
            raise RuntimeError(f"demo part {part!r} writes files another part wrote: {sorted(clash)}")
        files.update(part_files)
        truth[part] = part_truth
    truth["ties"] = business.ties(world, truth)
    return files, truth


def write_csv(frame, path: Path) -> None:
    """Write ``frame`` as CSV with ISO dates (``2024-01-31``) or ISO timestamps where times matter."""
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            values = frame[col]
            has_time = bool((values.dropna() != values.dropna().dt.normalize()).any())
            frame[col] = values.dt.strftime("%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d")
    frame.to_csv(path, index=False)


def write_file(content: pd.DataFrame | dict, path: Path) -> None:
    """Write a DataFrame as CSV, or a dict as YAML (for example ``kpi_targets.yaml``)."""
    if isinstance(content, pd.DataFrame):
        write_csv(content, path)
    else:
        path.write_text(yaml.safe_dump(to_jsonable(content), sort_keys=False))


def generate(out_dir: str | Path, seed: int = 7, scale: float = 1.0) -> dict:
    """Write every demo input file and ``truth.json`` into ``out_dir``; return the truth."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files, truth = build(World(seed=seed, scale=scale))
    for name, content in files.items():
        write_file(content, out / name)
    (out / "truth.json").write_text(json.dumps(to_jsonable(truth), indent=2, sort_keys=True) + "\n")
    return truth
