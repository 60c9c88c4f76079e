"""The whole playbook: a `make report`-style run on the demo data, per-notebook times, kernel start and imports apart from the work.

Runs ``playbook run --out <tmp>`` (the bundled demo data, the config's defaults) with this
interpreter's ``playbook`` and reads the per-notebook ``duration_s`` from the run's
``manifest.json``. Separately, for each notebook, it times starting a fresh ``python3`` kernel and
executing only that notebook's import lines (every ``import`` / ``from … import`` line of its code
cells), median of ``--startup-repeats``: the part of the notebook's time that is start-up rather
than work. ``work ≈ notebook time − start-up`` (approximate: the run's kernels may share the CPU
with each other under ``--jobs 2``).

Run:  python benchmarks/playbook_run.py [--jobs N] [--startup-repeats 3] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Report, secs  # noqa: E402

IMPORT = re.compile(r"^(import\s+\S|from\s+\S+\s+import\s)")


def playbook_api():
    """Where the playbook's notebooks and CLI are (adapt here if they move)."""
    from playbook import config

    return config, Path(sys.executable).parent / "playbook"


def import_lines(nb_path: Path) -> str:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    lines = [ln for c in nb.cells if c.cell_type == "code" for ln in c.source.splitlines() if IMPORT.match(ln)]
    return "\n".join(dict.fromkeys(lines))


def startup_seconds(code: str, cwd: Path, kernel: str) -> float:
    """Start a kernel, run ``code``, shut down: wall seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    t0 = time.perf_counter()
    NotebookClient(nb, kernel_name=kernel, timeout=600, resources={"metadata": {"path": str(cwd)}}).execute()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=None, help="passed to playbook run (default: the config's)")
    ap.add_argument("--startup-repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    config, cli = playbook_api()
    rep = Report("playbook_run", "`playbook_run.py` — the whole demo playbook (`make report`), per notebook",
                 packages=("pymc", "pymc-marketing", "nutpie", "papermill", "nbclient"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [str(cli), "run", "--out", str(out), "--quiet"] + (["--jobs", str(args.jobs)] if args.jobs else [])
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        manifest = json.loads((out / "manifest.json").read_text())
    print(proc.stdout[-2000:], proc.stderr[-2000:], flush=True)
    nb_dir = Path(config.__file__).resolve().parent.parent / "notebooks"
    rows, total_start, total_nb = [], 0.0, 0.0
    for r in manifest["notebooks"]:
        path = nb_dir / f"{r['name']}.ipynb"
        start = float("nan")
        if path.is_file() and r["status"] == "succeeded":
            code = import_lines(path)
            runs = [startup_seconds(code, path.parent, config.KERNEL_NAME) for _ in range(args.startup_repeats)]
            start = statistics.median(runs)
            total_start += start
            total_nb += r["duration_s"]
            print(f"  {r['label']}: {r['duration_s']:.1f} s in the run; kernel start + imports {start:.2f} s ({runs})", flush=True)
        ok = start == start  # not NaN
        status = r["status"] if not r.get("error") else f"{r['status']}: {str(r['error']).splitlines()[0][:200]}"
        rows.append([r["label"], status, secs(r["duration_s"]), secs(start) if ok else "", secs(r["duration_s"] - start) if ok else "",
                     f"{start / r['duration_s']:.0%}" if ok and r["duration_s"] else ""])
    rows.append(["**all succeeded notebooks**", "", f"**{secs(total_nb)}**", f"**{secs(total_start)}**", f"**{secs(total_nb - total_start)}**",
                 f"{total_start / total_nb:.0%}" if total_nb else ""])
    run = manifest["run"]
    rep.add(f"`{' '.join(['playbook', *cmd[1:]])}` (exit code {proc.returncode}, executor {run['executor']}, waves {run['waves']}): "
            f"**{wall:.0f} s** wall for the whole run (manifest `duration_s` {run['duration_s']:.0f} s; includes rendering, the "
            "brief and publishing). Per notebook: its `duration_s` in the manifest (execution + rendering); kernel start + "
            f"imports = a fresh `{config.KERNEL_NAME}` kernel running only the notebook's import lines, median of "
            f"{args.startup_repeats}, timed after the run; work = the difference (approximate).")
    rep.add()
    rep.table(["notebook", "status", "seconds in the run", "kernel start + imports s", "work s", "start-up share"], rows)
    if not args.no_write:
        rep.write()


if __name__ == "__main__":
    main()
