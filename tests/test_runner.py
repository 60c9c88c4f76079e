from pathlib import Path

from conftest import MINIMAL_PARAMS, make_notebook

from playbook.notebooks import Notebook
from playbook.runner import Job, interval_used


def _nb(tmp_path: Path, name: str, params: str) -> Notebook:
    return Notebook(make_notebook(tmp_path / f"{name}.ipynb", params, ["x = 1"], ["orders"]))


def test_the_manifest_records_the_interval_mass_the_notebooks_used(tmp_path):
    with_interval = _nb(tmp_path, "a", MINIMAL_PARAMS + "interval: float = 0.9  # interval mass\n")
    without = _nb(tmp_path, "b", MINIMAL_PARAMS)
    assert interval_used([Job(with_interval, {}, tmp_path), Job(without, {}, tmp_path)]) == 0.9
    assert interval_used([Job(with_interval, {"interval": 0.8}, tmp_path)]) == 0.8
    assert interval_used([Job(with_interval, {"interval": 0.8}, tmp_path), Job(with_interval, {}, tmp_path, "x")]) == [0.8, 0.9]
    assert interval_used([Job(without, {}, tmp_path)]) is None
