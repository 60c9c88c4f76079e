"""Checks before a run: settings that name data, partly filled folders, label merges (playbook.checks)."""

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import MINIMAL_PARAMS, make_notebook

from playbook import checks
from playbook.contracts import ContractError, MissingInputError
from playbook.notebooks import Notebook, ParameterError, discover
from playbook.runner import Job

MARKET_PARAMS = MINIMAL_PARAMS + (
    "merge_label_variants: bool = False  # merge spellings\n"
    'our_brand: str = "Nimbus"  # our brand\n'
    'segment: str = ""  # a category to focus on, empty: all\n'
)
MMM_PARAMS = MINIMAL_PARAMS + (
    'kpi: str = "revenue"  # KPI column\n'
    'controls: list = ["price_index", "holiday"]  # control columns\n'
)
AB_PARAMS = MINIMAL_PARAMS + 'control: str = "A"  # control arm\nexpected_split: dict = {}  # designed shares per arm\n'


def notebook_with_settings(folder: Path, name: str, params: str, requires: list[str], settings: dict) -> Notebook:
    path = make_notebook(folder / f"{name}.ipynb", params, ["x = 1"], requires)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["playbook"]["settings"] = settings
    nbformat.write(nb, path)
    return Notebook(path)


def market_csv(folder: Path, brands=("Acme", "Bolt", "Corex", "Duna"), category: bool = False) -> Path:
    rows = [(period, "north", b) for period in ("2024-01-01", "2024-02-01") for b in brands]  # the contract needs two periods
    frame = pd.DataFrame(rows, columns=["period", "region", "brand"]).assign(revenue=10.0, units=1.0)
    if category:
        frame["category"] = "basic"
    frame.to_csv(folder / "market.csv", index=False)
    return folder


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    return folder


@pytest.fixture
def market_nb(tmp_path):
    return notebook_with_settings(tmp_path, "mkt", MARKET_PARAMS, ["market"],
                                  {"our_brand": "market.brand", "segment": "market.category"})


def job(nb: Notebook, data: Path, set_id: str = "", **params) -> Job:
    return Job(nb, {"data_dir": str(data), "output_dir": str(data), **params}, data, set_id)


def test_parse_spec_reads_columns_values_and_alternatives():
    assert checks.parse_spec("market.brand") == (checks.Target("market", "brand"),)
    assert checks.parse_spec("mmm.@columns")[0].names_columns
    assert checks.parse_spec("experiment.variant|experiment_summary.variant") == (
        checks.Target("experiment", "variant"), checks.Target("experiment_summary", "variant"))
    with pytest.raises(ValueError, match="'<file>.<column>'"):
        checks.parse_spec("brand")
    with pytest.raises(KeyError, match="no data contract named 'markt'"):
        checks.parse_spec("markt.brand")
    with pytest.raises(ValueError, match="did you mean '@columns'"):
        checks.parse_spec("mmm.@cols")


def test_a_declaration_must_name_a_parameter_of_the_notebook(tmp_path):
    nb = notebook_with_settings(tmp_path, "bad", MINIMAL_PARAMS, ["market"], {"our_brand": "market.brand"})
    with pytest.raises(ParameterError, match="names 'our_brand', which is not a parameter"):
        checks.declared_settings(nb)
    nb = notebook_with_settings(tmp_path, "bad2", MARKET_PARAMS, ["market"], {"our_brand": "market"})
    with pytest.raises(ParameterError, match=r"settings\['our_brand'\]"):
        checks.declared_settings(nb)


def test_every_playbook_notebook_declares_its_settings_well():
    for nb in discover().values():
        for targets in checks.declared_settings(nb).values():
            reads = {n for expr in [*nb.requires, *nb.optional] for n in expr.replace("+", "|").split("|")}
            assert {t.contract for t in targets} <= reads, (nb.name, targets)


@pytest.mark.parametrize(("value", "items"), [("", []), ([], []), ({}, []), (None, []), ("Acme", ["Acme"]),
                                              (["a", "", "b"], ["a", "b"]), ({"A": 0.5, "B": 0.5}, ["A", "B"]), (3, ["3"])])
def test_given_items_treat_empty_as_not_set(value, items):
    assert checks.given_items(value) == items


def test_a_default_that_names_nothing_in_the_data_is_refused_with_the_choices(market_nb, data):
    market_csv(data)
    with pytest.raises(checks.SettingsError) as err:
        checks.check_inputs([market_nb], data)
    (problem,) = err.value.problems
    assert problem.message() == ("mkt: our_brand 'Nimbus' is not a brand of market.csv; brands: Acme, Bolt, Corex, Duna; "
                                 "pass -p our_brand=...")
    assert "-p NAME=" in str(err.value) and str(data) in str(err.value)
    # set to a brand that is there, the same folder passes; an empty value is left to the notebook
    assert set(checks.check_inputs([market_nb], data, [job(market_nb, data, our_brand="Duna")])) == {"market"}
    checks.check_inputs([market_nb], data, [job(market_nb, data, our_brand="")])


def test_a_spelling_variant_gets_a_suggestion_and_a_missing_column_is_named(market_nb, data):
    market_csv(data)
    with pytest.raises(checks.SettingsError) as err:
        checks.check_inputs([market_nb], data, [job(market_nb, data, our_brand="BOLT", segment="plus")])
    first, second = (p.message() for p in err.value.problems)
    assert first.startswith("mkt: our_brand 'BOLT' is not a brand of market.csv (did you mean 'Bolt'?); brands:")
    assert second.startswith("mkt: segment 'plus' should name a category of market.csv, but market.csv has no category column")


def test_merged_labels_are_what_the_settings_are_checked_against(tmp_path, data):
    nb = notebook_with_settings(tmp_path, "mkt", MARKET_PARAMS, ["market"], {"our_brand": "market.brand"})
    market_csv(data, brands=("Bolt", "BOLT", "Bolt ", "Acme"))
    pd.read_csv(data / "market.csv").assign(region=["n", "s", "e", "w"] * 2).to_csv(data / "market.csv", index=False)
    with pytest.raises(ContractError, match="'Bolt' \\(4 rows\\), 'BOLT' \\(2 rows\\)"):  # two periods of each
        checks.check_inputs([nb], data, [job(nb, data, our_brand="Bolt")])
    checks.check_inputs([nb], data, [job(nb, data, our_brand="Bolt", merge_label_variants=True)])
    with pytest.raises(checks.SettingsError, match="'BOLT' is not a brand of market.csv \\(did you mean 'Bolt'\\?\\); brands: Acme, Bolt;"):
        checks.check_inputs([nb], data, [job(nb, data, our_brand="BOLT", merge_label_variants=True)])  # merged away


def test_list_items_must_be_columns_and_many_choices_are_cut(tmp_path, data):
    nb = notebook_with_settings(tmp_path, "media", MMM_PARAMS, ["mmm"], {"kpi": "mmm.@columns", "controls": "mmm.@columns"})
    weeks = pd.date_range("2024-01-01", periods=26, freq="7D").strftime("%Y-%m-%d")
    frame = pd.DataFrame({"date": weeks, "sales": 1.0 + np.arange(26), "holiday": np.arange(26) % 2})
    for i in range(14):
        frame[f"spend_c{i:02d}"] = 1.0
    frame.to_csv(data / "mmm.csv", index=False)
    with pytest.raises(checks.SettingsError) as err:
        checks.check_inputs([nb], data)
    kpi, controls = (p.message() for p in err.value.problems)
    assert kpi.startswith("media: kpi 'revenue' is not a column of mmm.csv; columns: date, sales, holiday, spend_c00")
    assert "… (17 in all); pass -p kpi=..." in kpi
    assert controls.startswith("media: controls 'price_index' is not a column of mmm.csv")
    checks.check_inputs([nb], data, [job(nb, data, kpi="sales", controls=["holiday"])])
    checks.check_inputs([nb], data, [job(nb, data, kpi="sales", controls=[])])  # -p controls= : none


def test_alternatives_are_checked_against_the_file_that_is_there(tmp_path, data):
    nb = notebook_with_settings(tmp_path, "ab", AB_PARAMS, ["experiment|experiment_summary"],
                                {"control": "experiment.variant|experiment_summary.variant",
                                 "expected_split": "experiment.variant|experiment_summary.variant"})
    pd.DataFrame({"variant": ["ctl", "test"], "units": [100, 100], "conversions": [5, 7]}).to_csv(
        data / "experiment_summary.csv", index=False)
    with pytest.raises(checks.SettingsError) as err:
        checks.check_inputs([nb], data, [job(nb, data, "pricing", expected_split={"ctl": 0.5, "B": 0.5})])
    messages = [p.message() for p in err.value.problems]
    assert messages == [
        "ab__pricing: control 'A' is not a variant of experiment_summary.csv; variants: ctl, test; pass -p control=...",
        "ab__pricing: expected_split 'B' is not a variant of experiment_summary.csv; variants: ctl, test; pass -p expected_split=...",
    ]
    checks.check_inputs([nb], data, [job(nb, data, control="ctl")])


def test_readiness_splits_a_partly_filled_folder(tmp_path, data, market_nb):
    media = notebook_with_settings(tmp_path, "media", MMM_PARAMS, ["mmm"], {"kpi": "mmm.@columns"})
    market_csv(data)
    ready = checks.readiness([market_nb, media], data)
    assert [nb.name for nb in ready.runnable] == ["mkt"] and ready.skipped == {"media": "needs mmm.csv"}
    with pytest.raises(MissingInputError, match=r"needs mmm.csv \(for notebook 'media'\); found market.csv"):
        ready.require()
    with pytest.raises(FileNotFoundError, match="data folder not found"):
        checks.readiness([media], data / "nope")


def test_a_file_is_merged_only_when_every_run_that_reads_it_asks(tmp_path, market_nb):
    other = notebook_with_settings(tmp_path, "other", MARKET_PARAMS, ["market"], {})
    nbs = [market_nb, other]
    yes, no = {"merge_label_variants": True}, {"merge_label_variants": False}
    assert checks.merged_files(["market"], nbs, [Job(market_nb, yes, tmp_path), Job(other, yes, tmp_path)]) == ["market"]
    assert checks.merged_files(["market"], nbs, [Job(market_nb, yes, tmp_path), Job(other, no, tmp_path)]) == []
    assert checks.merged_files(["market"], nbs, [Job(market_nb, yes, tmp_path)]) == []  # other runs without merging
    # a file no notebook reads: merged only when every run merges
    assert checks.merged_files(["orders"], nbs, [Job(market_nb, yes, tmp_path), Job(other, yes, tmp_path)]) == ["orders"]
    assert checks.merged_files(["orders"], nbs, []) == []


# --------------------------------------------------------------------------- through the command line

CHATTY_BODY = [
    "import time\nfrom playbook import io, mcmc, report\norders = io.load('orders', data_dir)\n"
    "with mcmc.progress('tiny fit', mcmc.Settings(draws=10, tune=10, chains=1, sampler='pymc'), every_s=0.3):\n"
    "    for _ in range(5):\n        mcmc.count_draw()\n        time.sleep(0.2)",
    "report.save_results('chatty', {'orders': len(orders)}, output_dir)",
]


@pytest.fixture
def two_notebooks(tmp_path):
    """``mkt`` needs market.csv and names a brand; ``chatty`` needs orders.csv and writes MCMC-style progress lines."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook_with_settings(folder, "mkt", MARKET_PARAMS, ["market"], {"our_brand": "market.brand"})
    make_notebook(folder / "chatty.ipynb", MINIMAL_PARAMS + "merge_label_variants: bool = False  # merge\n", CHATTY_BODY, ["orders"])
    return folder


def cli(capsys, *args):
    from playbook.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_checks_settings_with_the_run_s_parameters_and_says_who_can_run(capsys, two_notebooks, data, tmp_path):
    market_csv(data)
    code, out, _ = cli(capsys, "list", "--notebooks", str(two_notebooks))
    assert code == 0 and "settings that name data: our_brand (market.brand)" in out
    code, out, err = cli(capsys, "validate", "--notebooks", str(two_notebooks), "--data", str(data))
    assert code == 2 and "mkt: our_brand 'Nimbus' is not a brand of market.csv; brands: Acme, Bolt, Corex, Duna; pass -p our_brand=..." in err
    code, out, err = cli(capsys, "validate", "--notebooks", str(two_notebooks), "--data", str(data), "-p", "our_brand=Acme")
    assert code == 0, err
    assert f"ok          {data / 'market.csv'}" in out and "ok          settings of mkt: our_brand='Acme'" in out
    assert "can run     mkt" in out and "cannot run  chatty: needs orders.csv" in out
    config = tmp_path / "team.yaml"
    config.write_text(f"data: {data}\nparameters: {{our_brand: Bolt}}\n")
    code, out, err = cli(capsys, "validate", "--notebooks", str(two_notebooks), "--config", str(config))
    assert code == 0 and "our_brand='Bolt'" in out
    code, out, err = cli(capsys, "validate", "--notebooks", str(two_notebooks), "--config", str(config), "--require-all")
    assert code == 2 and "needs orders.csv (for notebook 'chatty')" in err
    config.write_text(f"data: {data}\nparameters: {{our_brnad: Bolt}}\n")  # a misspelt team setting is not ignored
    code, out, err = cli(capsys, "validate", "--notebooks", str(two_notebooks), "--config", str(config))
    assert code == 2 and "config parameters: 'our_brnad' is not a parameter of any notebook; valid: " in err
    (data / "market.csv").unlink()  # nothing left that any notebook could run on: an error, as for run
    (data / "lift_tests.csv").write_text("channel,x,delta_x,delta_y,sigma\ntv,10,-10,-4,2\n")
    code, out, err = cli(capsys, "validate", "--notebooks", str(two_notebooks), "--data", str(data))
    assert code == 2 and "needs market.csv (for notebook 'mkt')" in err and "needs orders.csv" in err


def test_validate_reports_label_spellings_and_merges_them_like_run(capsys, two_notebooks, data):
    market_csv(data, brands=("Bolt", "BOLT", "Acme"))
    pd.read_csv(data / "market.csv").assign(region=["n", "s", "e"] * 2).to_csv(data / "market.csv", index=False)
    base = ("validate", "--notebooks", str(two_notebooks), "--data", str(data), "-p", "our_brand=Acme")
    code, out, err = cli(capsys, *base)
    assert code == 2 and "column: brand" in err and "'BOLT' (2 rows), 'Bolt' (2 rows)" in err
    assert cli(capsys, *base, "--merge-label-variants")[0] == 0
    assert cli(capsys, *base, "-p", "merge_label_variants=true")[0] == 0
    # only some readers merging is not enough: chatty does not read market.csv, mkt does not merge
    assert cli(capsys, *base, "-p", "chatty.merge_label_variants=true")[0] == 2


def test_run_with_a_setting_that_names_nothing_exits_2_before_anything_runs(capsys, two_notebooks, data, tmp_path):
    market_csv(data)
    out_dir = tmp_path / "out"
    code, out, err = cli(capsys, "run", "mkt", "--notebooks", str(two_notebooks), "--data", str(data), "--out", str(out_dir))
    assert code == 2 and "our_brand 'Nimbus' is not a brand of market.csv" in err and "Traceback" not in err
    assert not out_dir.exists()


def test_run_on_a_partly_filled_folder_runs_what_it_can_and_echoes_progress(two_notebooks, orders_dir, tmp_path):
    import json

    from conftest import run_cli

    out_dir = tmp_path / "out"
    args = ("run", "--notebooks", str(two_notebooks), "--data", str(orders_dir), "--out", str(out_dir))
    res = run_cli(*args, "--require-all")
    assert res.returncode == 2 and "needs market.csv (for notebook 'mkt')" in res.stderr and not out_dir.exists()
    res = run_cli(*args)
    assert res.returncode == 0, res.stderr
    manifest = json.loads((out_dir / "manifest.json").read_text())
    entries = {e["name"]: e for e in manifest["notebooks"]}
    assert entries["chatty"]["status"] == "succeeded" and manifest["run"]["exit_code"] == 0
    assert entries["mkt"]["status"] == "skipped" and entries["mkt"]["error"] == "needs market.csv"
    index = (out_dir / "index.html").read_text()
    assert "1 of 1 reports succeeded. 1 skipped" in index and "Skipped" in index and "needs market.csv" in index
    run_log = (out_dir / "run.log").read_text()
    assert "skipped mkt: needs market.csv" in run_log
    # the kernel's progress lines reach the console and run.log while the notebook runs, never the report
    progress = "chatty: playbook progress: tiny fit (1 chain × 10 draws (10 warm-up), pymc): "
    assert progress in run_log and progress in res.stderr and re.search(r"\d of 20 draws \(\d+%\)", run_log)
    assert "playbook progress" in (out_dir / "logs" / "chatty.log").read_text()
    assert "playbook progress" not in (out_dir / "chatty.html").read_text()


def test_data_readme_lists_what_every_notebook_reads_and_its_settings_that_name_data():
    text = (Path(__file__).resolve().parents[1] / "data" / "README.md").read_text()
    table = text.split("### What each notebook reads")[1].split("\n### ")[0]
    rows: dict[str, str] = {}
    current = None
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 3 and cells[0] != "notebook" and not cells[1].startswith("---"):
            current = cells[0].strip("`") or current
            rows[current] = rows.get(current, "") + line
    for nb in discover().values():
        assert nb.name in rows, f"data/README.md does not say what {nb.name} reads"
        for expr in [*nb.requires, *nb.optional]:
            for name in expr.replace("+", "|").split("|"):
                assert f"`{name}.csv`" in rows[nb.name], (nb.name, name)
        for param in checks.declared_settings(nb):
            assert f"*`{param}`*" in rows[nb.name], (nb.name, param)
