"""What does the runner cost and save, against what an analyst would otherwise script?

1. Execution only: papermill's Python API in one process (what ``playbook run`` uses) vs the
   ``papermill in.ipynb out.ipynb`` CLI once per notebook.
2. The whole run (execute, render stakeholder HTML, manifest, staging and atomic publish, lock):
   ``playbook run`` on N trivial notebooks vs a shell loop of ``papermill`` + ``jupyter nbconvert
   --to html`` per notebook, and ``playbook run --jobs 2`` (hand-off waves, two worker processes).

All ways run the same trivial notebook N times, side by side in this script; the ratios are what
matter (kernel start-up and imports dominate small notebooks).

    .venv/bin/python benchmarks/runner_overhead.py [N]
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill as pm


def trivial_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('x: int = 1  # a number')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("y = x * 2")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def playbook_notebooks(folder: Path, n: int) -> Path:
    """N trivial playbook notebooks (typed parameters, metadata, a results JSON) for ``playbook run``."""
    folder.mkdir()
    for i in range(n):
        nb = nbformat.v4.new_notebook()
        params = nbformat.v4.new_code_cell('data_dir: str = "."  # data\noutput_dir: str = "."  # out\nx: int = 1  # a number')
        params.metadata["tags"] = ["parameters"]
        save = (f"import json, os\nwith open(os.path.join(output_dir, 'nb{i}.json'), 'w') as fh:\n"
                "    json.dump({'meta': {}, 'headline': [], 'warnings': [], 'y': x * 2}, fh)")
        nb.cells = [params, nbformat.v4.new_markdown_cell("## Result"), nbformat.v4.new_code_cell(save)]
        nb.metadata.update({"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                            "title": f"Trivial {i}", "playbook": {"requires": [], "description": "benchmark"}})
        nbformat.write(nb, folder / f"nb{i}.ipynb")
    return folder


def whole_runs(tmp: Path, n: int) -> dict[str, float]:
    """Seconds per notebook of a whole run: ``playbook run`` (--jobs 1 and 2) vs papermill + nbconvert."""
    bin_dir = Path(sys.executable).parent
    nbs = playbook_notebooks(tmp / "nbs", n)
    data = tmp / "data"
    data.mkdir()
    out: dict[str, float] = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        subprocess.run([str(bin_dir / "playbook"), "run", "--notebooks", str(nbs), "--data", str(data), "--out",
                        str(tmp / f"run{jobs}"), "--jobs", str(jobs), "-q"], check=True, capture_output=True)
        out[f"playbook run --jobs {jobs}"] = (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    for i in range(n):
        executed = tmp / f"loop{i}.ipynb"
        subprocess.run([str(bin_dir / "papermill"), str(nbs / f"nb{i}.ipynb"), str(executed), "-p", "output_dir", str(tmp),
                        "-k", "python3", "--no-progress-bar", "--cwd", str(nbs)], check=True, capture_output=True)
        subprocess.run([str(bin_dir / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)], check=True,
                       capture_output=True)
    out["papermill + nbconvert CLIs"] = (time.perf_counter() - t0) / n
    return out


def main(n: int = 5) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = trivial_notebook(tmp / "nb.ipynb")
        papermill_cli = Path(sys.executable).with_name("papermill")
        pm.execute_notebook(str(src), str(tmp / "warm.ipynb"), kernel_name="python3", progress_bar=False)  # warm caches

        t0 = time.perf_counter()
        for i in range(n):
            pm.execute_notebook(str(src), str(tmp / f"api{i}.ipynb"), parameters={"x": i}, kernel_name="python3",
                                progress_bar=False, cwd=str(tmp))
        api = (time.perf_counter() - t0) / n

        t0 = time.perf_counter()
        for i in range(n):
            subprocess.run([str(papermill_cli), str(src), str(tmp / f"cli{i}.ipynb"), "-p", "x", str(i), "-k", "python3",
                            "--no-progress-bar", "--cwd", str(tmp)], check=True, capture_output=True)
        cli = (time.perf_counter() - t0) / n

        whole = whole_runs(tmp, n)

    print(f"trivial notebook, {n} runs each")
    print(f"  papermill Python API, one process : {api:6.2f} s per notebook")
    print(f"  papermill CLI, one process each   : {cli:6.2f} s per notebook")
    print(f"  ratio CLI / API                   : {cli / api:6.2f}x")
    print("whole run: execute, render HTML (playbook: also manifest, index, staging, atomic publish, lock)")
    base = whole["papermill + nbconvert CLIs"]
    for way, seconds in whole.items():
        print(f"  {way:<34}: {seconds:6.2f} s per notebook  ({seconds / base:4.2f}x the CLI loop)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
