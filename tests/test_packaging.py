"""The repository's promises about itself: environment files agree, notebooks are committed clean, docs match code."""

import re
import tomllib
from pathlib import Path

import nbformat
import papermill as pm
import pytest
import yaml

from playbook.contracts import CONTRACTS, parse_requirement
from playbook.notebooks import RUNNER_PARAMETERS, discover

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _requirement(spec: str) -> tuple[set[str], str]:
    m = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]+\])?\s*(.*)$", spec)
    name, extras, version = m.group(1).lower(), m.group(2), m.group(3).replace(" ", "")
    names = {name} | ({e.strip().lower() for e in extras[1:-1].split(",")} if extras else set())
    return names, version


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python=", "pip")) and dep != "pip":
            names, version = _requirement(dep)
            conda[names.pop()] = version
    expected = {}
    for dep in project["dependencies"]:
        names, version = _requirement(dep)
        for n in names:  # dask[distributed] is dask + distributed on conda-forge
            expected[n.replace("pyyaml", "pyyaml")] = version
    assert conda == expected
    pip_section = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert pip_section == ["-e .[dev]"]
    assert project["requires-python"] == ">=3.12" and "python=3.12" in env["dependencies"]


def test_console_script_and_explicit_package_discovery():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert cfg["project"]["scripts"]["playbook"] == "playbook.cli:main"
    assert cfg["tool"]["setuptools"]["packages"]["find"]["include"] == ["playbook*"]


def test_data_readme_documents_every_contract_column():
    text = (ROOT / "data" / "README.md").read_text()
    for c in CONTRACTS.values():
        assert f"### `{c.name}.csv`" in text, c.name
        for col in c.columns:
            assert re.search(rf"\| `{col.name}` \| {'yes' if col.required else 'optional'} \|", text.split(f"### `{c.name}.csv`")[1]), (c.name, col.name)


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: commit without outputs (make strip)"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.metadata.get("title"), "notebook metadata needs a title"
    meta = nb.metadata["playbook"]
    # a notebook needs at least one input, unless it runs without any (launch: prior-only without adoption.csv)
    assert meta.get("description") and (meta.get("requires") or meta.get("optional"))
    for expr in meta["requires"] + meta.get("optional", []):
        parse_requirement(expr)
    assert not any(c.cell_type == "markdown" and re.match(r"^#\s", c.source) for c in nb.cells), "no H1: the title comes from metadata"
    assert any(c.cell_type == "markdown" and "## Appendix" in c.source for c in nb.cells)
    assert "save_results(" in nb.cells[-1].source


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_are_typed_documented_and_readable_by_papermill(path):
    params = discover(path.parent)[path.stem].parameters
    for name in (*RUNNER_PARAMETERS, "smoke"):
        assert name in params, f"{path.name} lacks the standard parameter {name!r}"
    assert params["smoke"].type == "bool" and params["smoke"].default is False
    for p in params.values():
        assert p.help, f"{path.name}: parameter {p.name!r} needs a '# help' comment"
    inspected = pm.inspect_notebook(str(path))
    assert set(inspected) == set(params)
    for name, info in inspected.items():
        assert info["inferred_type_name"] != "None", f"papermill cannot read the type of {name!r}"
        assert info["help"], f"papermill cannot read the help of {name!r}"


def test_code_and_notebooks_pass_ruff():
    import subprocess
    import sys

    ruff = Path(sys.executable).with_name("ruff")
    res = subprocess.run([str(ruff), "check", "playbook", "tests", "benchmarks", "notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:]
