"""How much does the runner's choice of papermill's Python API (one process) save over the CLI?

An analyst scheduling notebooks would otherwise call ``papermill in.ipynb out.ipynb`` once per
notebook. Both ways run the same trivial notebook N times, side by side in this script; the ratio
is what matters (kernel start-up and imports dominate small notebooks).

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

    print(f"trivial notebook, {n} runs each")
    print(f"  papermill Python API, one process : {api:6.2f} s per notebook")
    print(f"  papermill CLI, one process each   : {cli:6.2f} s per notebook")
    print(f"  ratio CLI / API                   : {cli / api:6.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
