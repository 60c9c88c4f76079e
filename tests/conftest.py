"""Shared fixtures: tiny notebooks and data folders that exercise the spine without the analyses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# One BLAS thread, as the runner gives its kernels (playbook.execute.KERNEL_ENV_DEFAULTS): two test workers on
# two cores with OpenBLAS threads each oversubscribe the machine. Set before NumPy loads OpenBLAS, and inherited by
# the processes the tests start (kernels, MCMC chains).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def make_notebook(path: Path, params: str, body: list[str], requires: list[str], title: str = "Fixture report") -> Path:
    """Write a notebook with a tagged parameters cell, ``body`` code cells and playbook metadata."""
    nb = nbformat.v4.new_notebook()
    nb.metadata.update(
        {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
            "title": title,
            "playbook": {"requires": requires, "description": "A fixture notebook for tests."},
        }
    )
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("## Executive summary")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in body]
    nb.cells.append(nbformat.v4.new_markdown_cell("## Appendix: methods and diagnostics\n\n### Notes\nNothing."))
    nbformat.write(nb, path)
    return path


HELLO_PARAMS = '''data_dir: str = "../data/demo"  # folder with the input files
output_dir: str = "."  # where results go
smoke: bool = False  # shrink the work
n_top: int = 3  # how many customers to list
label: str = "weekly"  # a label
tags: list = ["a", "b"]  # a list parameter
start: str = ""  # first order date to use (ISO date, "" = all)
'''
MINIMAL_PARAMS = 'data_dir: str = "."  # data\noutput_dir: str = "."  # out\nsmoke: bool = False  # smoke\n'
HELLO_BODY = [
    "from playbook import fmt, io, report\nreport.setup()\norders = io.load('orders', data_dir)\n"
    "if start:\n    orders = orders[orders.order_date >= start]\nassert len(orders), f'no orders on or after {start}'",
    "total = float(orders.revenue.sum())\n"
    "tiles = [report.Tile('Revenue', fmt.money(total), f'{len(orders)} orders')]\n"
    "report.summary([f'Revenue was {fmt.money(total)} ({label}, smoke={smoke}, tags={tags}).'])\n"
    "report.tiles(tiles)",
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.bar(orders.customer_id, orders.revenue)\n"
    "ax.set_title('Revenue by customer')\nreport.card('Customer c1 leads.', fig, 'Bars are revenue per order.')",
    "report.save_results('hello', {'revenue': total, 'smoke': smoke, 'tags': tags, 'n_top': n_top}, output_dir, "
    "headline=tiles, data_period=(orders.order_date.min(), orders.order_date.max()))",
]


@pytest.fixture
def nb_dir(tmp_path: Path) -> Path:
    """A notebooks folder with ``hello`` (works), ``boom`` (raises), ``sleepy`` (sleeps 6 s, then 60 s)
    and ``crash`` (kills its kernel)."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    make_notebook(folder / "hello.ipynb", HELLO_PARAMS, HELLO_BODY, ["orders"], title="Hello report")
    make_notebook(
        folder / "boom.ipynb",
        MINIMAL_PARAMS,
        ["from playbook import report\nreport.setup()\nx = 1", "raise ValueError('the model exploded')"],
        ["orders"],
        title="Boom report",
    )
    make_notebook(
        folder / "sleepy.ipynb",
        MINIMAL_PARAMS,
        ["import time\ntime.sleep(6)", "time.sleep(60)"],
        ["orders"],
        title="Sleepy report",
    )
    make_notebook(
        folder / "crash.ipynb",
        MINIMAL_PARAMS,
        ["import os\nos._exit(1)"],
        ["orders"],
        title="Crashing report",
    )
    return folder


@pytest.fixture
def orders_dir(tmp_path: Path) -> Path:
    """A data folder with a valid four-row ``orders.csv``."""
    folder = tmp_path / "data"
    folder.mkdir()
    pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4"],
            "customer_id": ["c1", "c2", "c1", "c3"],
            "order_date": ["2024-01-05", "2024-02-10", "2024-03-01", "2024-03-15"],
            "revenue": [120.0, 35.5, 80.0, 10.0],
        }
    ).to_csv(folder / "orders.csv", index=False)
    return folder


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 900, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the real ``playbook`` console script of this environment."""
    exe = Path(sys.executable).with_name("playbook")
    env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout, env=env)


# --------------------------------------------------------------------------- a real browser (tests/browser, smoke run)


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    """Debian's headless Chromium (installed where missing, see ``tests/browser/conftest.py``); skips when it cannot be."""
    from browser.cdp import Chromium
    from browser.conftest import ensure_chromium

    exe, why = ensure_chromium()
    if exe is None:
        pytest.skip(why)
    browser = Chromium(exe, Path(tmp_path_factory.mktemp("chromium-profile")))
    yield browser
    browser.close()


@pytest.fixture
def page(chromium):
    tab = chromium.page()
    yield tab
    tab.close()
