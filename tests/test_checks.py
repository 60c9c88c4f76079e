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


def notebook_with_meta(folder: Path, name: str, params: str, requires: list[str], key: str, value) -> Notebook:
    """A one-cell notebook whose ``metadata.playbook[key]`` is ``value`` (its settings or its data rules)."""
    path = make_notebook(folder / f"{name}.ipynb", params, ["x = 1"], requires)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["playbook"][key] = value
    nbformat.write(nb, path)
    return Notebook(path)


def notebook_with_settings(folder: Path, name: str, params: str, requires: list[str], settings: dict) -> Notebook:
    return notebook_with_meta(folder, name, params, requires, "settings", settings)


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


# --------------------------------------------------------------------------- data rules that depend on the settings

PERSONAS_PARAMS = MINIMAL_PARAMS + 'observation_end: str = ""  # last order date used (ISO date)\n'
REPEAT_RULE = "playbook.personas.rules:REPEAT_CUSTOMERS"


def notebook_with_rules(folder: Path, name: str, params: str, requires: list[str], rules: list) -> Notebook:
    return notebook_with_meta(folder, name, params, requires, "data_rules", rules)


def orders_csv(folder: Path, repeat: int, once: int = 30) -> Path:
    """``repeat`` customers with a first order in January and a second one on 1 March, ``once`` with one January order."""
    rows = [(f"r{i:02d}", "2024-01-10") for i in range(repeat)] + [(f"r{i:02d}", "2024-03-01") for i in range(repeat)]
    rows += [(f"o{i:02d}", "2024-01-20") for i in range(once)]
    frame = pd.DataFrame(rows, columns=["customer_id", "order_date"]).assign(revenue=20.0)
    frame.insert(0, "order_id", [f"x{i}" for i in range(len(frame))])
    frame.to_csv(folder / "orders.csv", index=False)
    return folder


@pytest.fixture
def repeat_nb(tmp_path):
    return notebook_with_rules(tmp_path, "people", PERSONAS_PARAMS, ["orders"], [REPEAT_RULE])


def test_a_run_whose_data_fall_short_of_its_rule_is_refused_naming_run_file_column_and_rule(repeat_nb, data):
    orders_csv(data, repeat=5)
    with pytest.raises(checks.DataRuleError) as err:
        checks.check_inputs([repeat_nb], data)
    (problem,) = err.value.problems
    assert (problem.job, problem.rule.name, problem.path, problem.violation.column) == (
        "people", "repeat customers", data / "orders.csv", "customer_id")
    text = str(err.value)
    assert f"the data in {data} fall short of what these runs need (nothing was run)" in text
    assert f"people: {data / 'orders.csv'} breaks the rule 'repeat customers'" in text
    assert "column: customer_id" in text
    assert ("rule:   at least 10 customers with orders on two or more days by the last order date 2024-03-01 (observation_end is "
            "not set), for the purchase and spend (CLV) models; the file has 5 of 35 customers (r00, r01, r02, r03, r04)") in text
    assert isinstance(err.value, ContractError)  # the CLI's exit 2, like a broken file


def test_a_rule_is_checked_with_each_run_s_own_parameters(repeat_nb, data):
    orders_csv(data, repeat=12)
    assert set(checks.check_inputs([repeat_nb], data)) == {"orders"}  # 12 came back by the last order date
    fine = job(repeat_nb, data, "", observation_end="2024-06-30")
    early = job(repeat_nb, data, "january", observation_end="2024-01-31")  # before anyone's second order
    with pytest.raises(checks.DataRuleError) as err:
        checks.check_inputs([repeat_nb], data, [fine, early])
    (problem,) = err.value.problems
    assert problem.job == "people__january"
    assert "by observation_end 2024-01-31, for the purchase" in problem.violation.rule
    assert "the file has 0 of 42 customers. Export a longer order history, or set a later observation_end" in problem.violation.rule
    checks.check_inputs([repeat_nb], data, [fine])


def test_settings_that_name_nothing_are_reported_before_the_data_rules(tmp_path, data):
    """A data rule is read with the run's settings: when they name nothing in the file, that is the error to fix first."""
    nb = notebook_with_rules(tmp_path, "media", MMM_PARAMS + "trend: bool = True  # trend\nl_max: int = 8  # carry-over\n"
                             "yearly_seasonality: int = 2  # modes\n", ["mmm"], ["playbook.mmm.data:ENOUGH_WEEKS"])
    nbf = nbformat.read(nb.path, as_version=4)
    nbf.metadata["playbook"]["settings"] = {"kpi": "mmm.@columns", "controls": "mmm.@columns"}
    nbformat.write(nbf, nb.path)
    nb = Notebook(nb.path)
    weeks = pd.date_range("2024-01-01", periods=30, freq="7D").strftime("%Y-%m-%d")
    frame = pd.DataFrame({"date": weeks, "sales": 100.0 + np.arange(30), "holiday": np.arange(30) % 2,
                          "spend_tv": 1.0 + np.arange(30) % 3, "spend_search": 2.0 + np.arange(30) % 4})
    frame.to_csv(data / "mmm.csv", index=False)
    with pytest.raises(checks.SettingsError, match="kpi 'revenue' is not a column of mmm.csv"):
        checks.check_inputs([nb], data)
    # named right, the model needs 8 + 2 + 3 × 2 + 2 + 2 × 2 = 22 weeks, at least 26: 30 pass …
    checks.check_inputs([nb], data, [job(nb, data, kpi="sales", controls=["holiday"])])
    # … and a longer carry-over asks for more: 20 + 2 + 6 + 2 + 4 = 34 weeks
    with pytest.raises(checks.DataRuleError, match=r"at least 34 modelled weeks for this model: 20 \(l_max"):
        checks.check_inputs([nb], data, [job(nb, data, kpi="sales", controls=["holiday"], l_max=20)])


def test_a_data_rule_declaration_must_name_a_rule_on_a_file_the_notebook_reads_and_its_parameters(tmp_path):
    for name, rules, message in [
        ("a", "playbook.personas.rules:REPEAT_CUSTOMERS", "must be a list"),
        ("b", ["playbook.personas.rules"], "does not name a DataRule"),
        ("c", ["playbook.personas.rules:MIN_REPEAT_CUSTOMERS"], "does not name a DataRule"),
        ("d", ["playbook.nowhere:RULE"], "does not name a DataRule"),
        ("e", ["playbook.mmm.data:ENOUGH_WEEKS"], "reads mmm.csv, which the notebook does not read"),
    ]:
        nb = notebook_with_rules(tmp_path, name, PERSONAS_PARAMS, ["orders"], rules)
        with pytest.raises(ParameterError, match=message):
            checks.declared_rules(nb)
    nb = notebook_with_rules(tmp_path, "f", MINIMAL_PARAMS, ["orders"], [REPEAT_RULE])
    with pytest.raises(ParameterError, match="reads observation_end, not parameters of the notebook"):
        checks.declared_rules(nb)


def test_the_personas_and_mmm_notebooks_declare_the_rules_their_analyses_refuse_on():
    from playbook.mmm import data as mmm_data
    from playbook.personas import rules

    declared = {nb.name: checks.declared_rules(nb) for nb in discover().values()}
    assert declared["personas"] == [rules.REPEAT_CUSTOMERS] and declared["mmm"] == [mmm_data.ENOUGH_WEEKS]
    assert checks.rules_needed(discover().values()) == {"orders": [rules.REPEAT_CUSTOMERS], "mmm": [mmm_data.ENOUGH_WEEKS]}


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


def test_run_on_data_short_of_a_rule_exits_2_before_anything_runs(capsys, repeat_nb, data, tmp_path):
    orders_csv(data, repeat=5)
    out_dir = tmp_path / "out"
    args = ("--notebooks", str(repeat_nb.path.parent), "--data", str(data))
    code, out, err = cli(capsys, "run", "people", *args, "--out", str(out_dir))
    assert code == 2 and "Traceback" not in err and not out_dir.exists()
    assert f"people: {data / 'orders.csv'} breaks the rule 'repeat customers'" in err and "column: customer_id" in err
    assert "the file has 5 of 35 customers" in err
    code, _, err = cli(capsys, "validate", "people", *args)
    assert code == 2 and "breaks the rule 'repeat customers'" in err
    code, out, _ = cli(capsys, "validate", "people", *args, "-p", "observation_end=2024-02-01")  # still 0 by then
    assert code == 2
    orders_csv(data, repeat=10)
    code, out, err = cli(capsys, "validate", "people", *args)
    assert code == 0, err


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
