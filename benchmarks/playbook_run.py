"""The whole playbook before and after the speed-ups: `make report` on the demo data, side by side, per notebook.

Side by side in one script: the **before** is a git worktree of :data:`BASELINE` (the playbook when
the benchmark suite landed, before issue 14's speed-ups), run with this interpreter but its own
package, notebooks and demo data (``PYTHONPATH``), one notebook at a time as its ``make report``
did; the **after** is this checkout's ``playbook run --jobs 2``, as ``make report`` runs now. One
untimed warm-up run of each side (numba and PyTensor caches), then ``--repeats`` timed runs of each,
alternating; the median wall time of each and their ratio, and each notebook's median
``duration_s`` from the manifests.

Then, for the after's median run, each notebook's time with kernel start and imports apart: a
fresh ``python3`` kernel executing only that notebook's import lines (every ``import`` / ``from …
import`` line of its code cells), median of ``--startup-repeats``; ``work ≈ notebook time −
start-up`` (approximate: under ``--jobs 2`` the kernels share the CPU).

Run:  python benchmarks/playbook_run.py [--repeats 3] [--jobs 2] [--before COMMIT|none] [--before-jobs 1] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Report, ratio, secs  # noqa: E402

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


#: The commit the speed-ups of issue 14 are measured against: main when the benchmark suite landed (2026-12-02 06:04
#: UTC), before any of them; its `make report` ran the notebooks one at a time.
BASELINE = "8828792"
#: This repository (the baseline's worktree is made from it).
REPO = Path(__file__).resolve().parent.parent


def run_once(cmd: list[str], out: Path, env: dict | None = None) -> tuple[float, dict, subprocess.CompletedProcess]:
    """One whole ``playbook run`` into ``out``: wall seconds, its manifest, the finished process."""
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {"notebooks": [], "run": {}}
    if proc.returncode:
        print(proc.stdout[-2000:], proc.stderr[-2000:], flush=True)
    return wall, manifest, proc


def baseline_tree(commit: str, where: Path) -> Path | None:
    """A detached git worktree of ``commit`` of this repository at ``where`` (None, with the reason printed, if git cannot make one)."""
    proc = subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(where), commit], capture_output=True, text=True)
    if proc.returncode:
        print(f"no before run: git worktree add {commit} failed: {proc.stderr.strip()}", flush=True)
        return None
    return where


def remove_tree(where: Path) -> None:
    subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(where)], capture_output=True, text=True)


def per_notebook(manifests: list[dict]) -> dict[str, list[float]]:
    """Each notebook's ``duration_s`` in every run (succeeded runs only)."""
    out: dict[str, list[float]] = {}
    for m in manifests:
        for r in m["notebooks"]:
            if r["status"] == "succeeded":
                out.setdefault(r["label"], []).append(float(r["duration_s"]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, help="passed to playbook run (default 2, what `make report` uses)")
    ap.add_argument("--repeats", type=int, default=3, help="timed whole runs of each side, after one untimed warm-up run of each")
    ap.add_argument("--before", default=BASELINE, help=f"commit run side by side as the before (default {BASELINE}); 'none' skips it")
    ap.add_argument("--before-jobs", type=int, default=1, help="--jobs of the before runs (default 1: its `make report` ran one at a time)")
    ap.add_argument("--startup-repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    config, cli = playbook_api()
    rep = Report("playbook_run", "`playbook_run.py` — the whole demo playbook (`make report`), per notebook",
                 packages=("pymc", "pymc-marketing", "nutpie", "papermill", "nbclient"))
    cmds = {"before": [str(cli), "run", "--quiet"] + (["--jobs", str(args.before_jobs)] if args.before_jobs > 1 else []),
            "after": [str(cli), "run", "--quiet", "--jobs", str(args.jobs)]}
    shown = {side: " ".join(["playbook", *cmd[1:]]) for side, cmd in cmds.items()}
    timed: dict[str, list[tuple[float, dict, int]]] = {"before": [], "after": []}  # per side: (wall s, manifest, exit code) of each timed run
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        tree = baseline_tree(args.before, tmp / "before") if args.before != "none" else None
        envs = {"before": {**os.environ, "PYTHONPATH": str(tree)} if tree else None, "after": None}  # the baseline's package, notebooks, data
        sides = (["before"] if tree else []) + ["after"]
        try:
            for i in range(args.repeats + 1):  # run 0 is the warm-up of each side (numba and PyTensor caches, file cache)
                for side in sides:
                    wall, manifest, proc = run_once(cmds[side], tmp / f"{side}{i}", envs[side])
                    what = "warm-up" if i == 0 else f"run {i}/{args.repeats}"
                    print(f"  {side} {what}: {wall:.1f} s (exit code {proc.returncode})", flush=True)
                    if i:
                        timed[side].append((wall, manifest, proc.returncode))
        finally:
            if tree:
                remove_tree(tree)
    walls = {side: [w for w, _, _ in runs] for side, runs in timed.items() if runs}
    median = {side: statistics.median(w) for side, w in walls.items()}
    if "before" in median:
        rep.add(f"Side by side in this script: the **before** is commit `{args.before}` (the playbook when the benchmark suite landed, "
                f"before the speed-ups), run as its `make report` did (`{shown['before']}`, its own notebooks and demo data); the "
                f"**after** is this checkout, run as `make report` does now (`{shown['after']}`). One untimed warm-up run of each, then "
                f"{args.repeats} timed runs of each, alternating; wall seconds of the whole run (execution, rendering, the brief, publishing).")
        rep.add()
        rep.table(["side", "command", "exit codes", "wall s (median)", "min–max s", "before / after"], [
            [side, f"`{shown[side]}`" + (f" at `{args.before}`" if side == "before" else ""), ", ".join(str(c) for _, _, c in timed[side]),
             f"**{median[side]:.0f}**", f"{min(walls[side]):.0f}–{max(walls[side]):.0f}",
             f"**{ratio(median['before'], median['after'])}**" if side == "after" else ""]
            for side in ("before", "after")])
        b, a = ({nb: statistics.median(d) for nb, d in per_notebook([m for _, m, _ in timed[side]]).items()} for side in ("before", "after"))
        rep.add("Per notebook: median `duration_s` in the manifests of the timed runs (execution + rendering; under `--jobs 2` two "
                "notebooks share the 2 cores, so a notebook's own time is longer than alone).")
        rep.add()
        rep.table(["notebook", "before s", "after s", "before / after"],
                  [[nb, secs(b[nb]) if nb in b else "", secs(a[nb]) if nb in a else "", ratio(b[nb], a[nb]) if nb in b and nb in a else ""]
                   for nb in dict.fromkeys([*a, *b])])
    # the after's median run, per notebook, with kernel start and imports timed apart
    wall, manifest, code = sorted(timed["after"], key=lambda run: run[0])[len(timed["after"]) // 2]
    nb_dir = Path(config.__file__).resolve().parent.parent / "notebooks"
    rows, total_start, total_nb = [], 0.0, 0.0
    for r in manifest["notebooks"]:
        path = nb_dir / f"{r['name']}.ipynb"
        start = float("nan")
        if path.is_file() and r["status"] == "succeeded":
            code_lines = import_lines(path)
            st = [startup_seconds(code_lines, path.parent, config.KERNEL_NAME) for _ in range(args.startup_repeats)]
            start = statistics.median(st)
            total_start += start
            total_nb += r["duration_s"]
            print(f"  {r['label']}: {r['duration_s']:.1f} s in the run; kernel start + imports {start:.2f} s ({st})", flush=True)
        ok = start == start  # not NaN
        status = r["status"] if not r.get("error") else f"{r['status']}: {str(r['error']).splitlines()[0][:200]}"
        rows.append([r["label"], status, secs(r["duration_s"]), secs(start) if ok else "", secs(r["duration_s"] - start) if ok else "",
                     f"{start / r['duration_s']:.0%}" if ok and r["duration_s"] else ""])
    rows.append(["**all succeeded notebooks**", "", f"**{secs(total_nb)}**", f"**{secs(total_start)}**", f"**{secs(total_nb - total_start)}**",
                 f"{total_start / total_nb:.0%}" if total_nb else ""])
    run = manifest["run"]
    rep.add(f"The after's median run, `{shown['after']}` (exit code {code}, executor {run.get('executor')}, "
            f"waves {run.get('waves')}): **{wall:.0f} s** wall (manifest `duration_s` {run.get('duration_s', float('nan')):.0f} s). "
            f"Per notebook: its `duration_s` in the manifest; kernel start + imports = a fresh `{config.KERNEL_NAME}` kernel running "
            f"only the notebook's import lines, median of {args.startup_repeats}, timed after the runs; work = the difference "
            "(approximate: under --jobs 2 the notebooks shared the CPU).")
    rep.add()
    rep.table(["notebook", "status", "seconds in the run", "kernel start + imports s", "work s", "start-up share"], rows)
    if not args.no_write:
        rep.write()


if __name__ == "__main__":
    main()
