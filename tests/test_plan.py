"""Planning a run: jobs from config and command line, hand-off waves, batches, safe config."""

from pathlib import Path

import nbformat
import pytest
from conftest import MINIMAL_PARAMS, ROOT, make_notebook

from playbook.notebooks import Notebook, discover
from playbook.plan import Job, UsageError, grid_sets, load_config, plan, producers, wave_numbers, waves

PARAMS = MINIMAL_PARAMS + 'region: str = "all"  # region\nseed: int = 1  # seed\n'


def _nb(folder: Path, name: str, produces=(), consumes=(), params: str = PARAMS) -> Notebook:
    path = make_notebook(folder / f"{name}.ipynb", params, ["x = 1"], ["orders"])
    nb = nbformat.read(path, as_version=4)
    nb.metadata["playbook"].update({"produces": list(produces), "consumes": list(consumes)})
    nbformat.write(nb, path)
    return Notebook(path)


@pytest.fixture
def chain(tmp_path):
    """``zeta`` produces zlift.csv for ``mid``, whose mid.json ``alpha`` consumes; ``solo`` needs nothing.
    Names are chosen so that alphabetical order is the wrong order."""
    return {
        "alpha": _nb(tmp_path, "alpha", consumes=["mid.json"]),
        "mid": _nb(tmp_path, "mid", produces=["lift.csv"], consumes=["zlift.csv"]),
        "solo": _nb(tmp_path, "solo"),
        "zeta": _nb(tmp_path, "zeta", produces=["zlift.csv"]),
    }


def _labels(jobs):
    return [j.label for j in jobs]


def test_waves_follow_the_declared_hand_offs_not_the_names(chain, tmp_path):
    jobs = plan(list(chain.values()), tmp_path / "out", tmp_path, {}, {})
    assert [[j.label for j in w] for w in waves(jobs)] == [["solo", "zeta"], ["mid"], ["alpha"]]
    assert _labels(jobs) == ["solo", "zeta", "mid", "alpha"]  # plan order is wave order, ties by name
    assert wave_numbers(jobs) == {"solo": 1, "zeta": 1, "mid": 2, "alpha": 3}
    needs = producers(jobs)
    assert [(f, p.label) for f, p in needs[_labels(jobs).index("alpha")]] == [("mid.json", "mid")]


def test_every_notebook_produces_its_results_json(chain):
    assert chain["mid"].produces == ["lift.csv", "mid.json"]


def test_a_consumer_without_its_producer_in_the_run_is_in_the_first_wave(chain, tmp_path):
    jobs = plan([chain["alpha"], chain["solo"]], tmp_path / "out", tmp_path, {}, {})
    assert [[j.label for j in w] for w in waves(jobs)] == [["alpha", "solo"]]


def test_a_hand_off_cycle_is_a_usage_error(tmp_path):
    a = _nb(tmp_path, "a", produces=["a.csv"], consumes=["b.csv"])
    b = _nb(tmp_path, "b", produces=["b.csv"], consumes=["a.csv"])
    with pytest.raises(UsageError, match="cycle.*a, b"):
        plan([a, b], tmp_path / "out", tmp_path, {}, {})


def test_the_playbook_runs_mmm_after_ab_test_and_attribution_after_mmm(tmp_path):
    nbs = discover(ROOT / "notebooks")
    wave = wave_numbers(plan(list(nbs.values()), tmp_path / "out", ROOT / "data" / "demo", {}, {}))
    assert wave["ab_test"] < wave["mmm"] < wave["attribution"]
    assert wave["market_analysis"] == wave["personas"] == 1


def test_hand_offs_flow_only_inside_one_folder(chain, tmp_path):
    cfg = {"notebooks": {"zeta": [{}, {"id": "b", "seed": 2}]}}
    jobs = plan([chain["mid"], chain["zeta"]], tmp_path / "out", tmp_path, {}, cfg)
    assert _labels(jobs) == ["zeta", "zeta__b", "mid"]
    mid = _labels(jobs).index("mid")
    assert [p.label for _, p in producers(jobs)[mid]] == ["zeta"]  # not zeta__b, which writes to zeta__b/
    assert jobs[1].out_dir == tmp_path / "out" / "zeta__b" and jobs[1].parameters["output_dir"] == str(tmp_path / "out" / "zeta__b")


def test_legacy_config_precedence_is_kept(chain, tmp_path):
    cfg = {"parameters": {"seed": 5, "region": "eu"}, "notebooks": {"solo": {"region": "us"}}}
    (job,) = plan([chain["solo"]], tmp_path / "out", tmp_path, {"solo": {"seed": 9}}, cfg)
    assert job.parameters["seed"] == 9 and job.parameters["region"] == "us"  # config < per notebook < -p
    assert job.parameters["data_dir"] == str(tmp_path) and job.folder == ""


def test_batch_grid_expands_to_one_report_per_value_with_output_naming(chain, tmp_path):
    data = tmp_path / "regions"
    cfg = {
        "parameters": {"seed": 3},
        "reports": [
            {"notebook": "solo", "grid": {"region": ["north", "South East"]}},
            {"notebook": "solo", "data": str(data) + "/{region}", "grid": {"region": ["west"]}, "name": "by-data/{region}",
             "parameters": {"seed": 4}},
        ],
    }
    jobs = plan([chain["solo"]], tmp_path / "out", tmp_path, {}, cfg)
    assert [j.folder for j in jobs] == ["solo__north", "solo__South-East", "by-data/west"]
    assert _labels(jobs) == ["solo__north", "solo__South-East", "by-data/west/solo"]
    assert [j.parameters["region"] for j in jobs] == ["north", "South East", "west"]  # values unchanged, names slugged
    assert [j.parameters["seed"] for j in jobs] == [3, 3, 4]
    assert jobs[2].parameters["data_dir"] == str((data / "west").resolve())
    assert jobs[0].parameters["data_dir"] == str(tmp_path)


def test_a_grid_key_that_is_no_parameter_may_name_the_data_and_output_folders(chain, tmp_path):
    cfg = {"reports": [{"notebook": "solo", "data": str(tmp_path) + "/{market}", "grid": {"market": ["de", "fr"]}, "name": "{market}"}]}
    jobs = plan([chain["solo"]], tmp_path / "out", tmp_path, {}, cfg)
    assert [(j.folder, j.parameters["data_dir"]) for j in jobs] == [("de", str(tmp_path / "de")), ("fr", str(tmp_path / "fr"))]
    assert "market" not in jobs[0].parameters
    with pytest.raises(UsageError, match=r"must appear as \{market\} in data or name"):
        plan([chain["solo"]], tmp_path / "out", tmp_path, {}, {"reports": [{"notebook": "solo", "grid": {"market": ["de"]}}]})


def test_a_batch_group_shares_a_folder_so_its_hand_offs_flow(chain, tmp_path):
    cfg = {"reports": [{"notebooks": ["mid", "zeta"], "grid": {"region": ["north", "south"]}}]}
    jobs = plan([chain["mid"], chain["zeta"]], tmp_path / "out", tmp_path, {}, cfg)
    assert _labels(jobs) == ["north/zeta", "south/zeta", "north/mid", "south/mid"]
    needs = producers(jobs)
    assert [p.label for _, p in needs[2]] == ["north/zeta"] and [p.label for _, p in needs[3]] == ["south/zeta"]


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ({"notebook": "solo", "grid": {"colour": ["red"]}}, "declares parameter 'colour'"),
        ({"notebook": "solo", "name": "{colour}", "grid": {"region": ["x"]}}, "name '{colour}' uses 'colour'"),
        ({"notebook": "solo", "name": "../escape"}, "must stay inside the run folder"),
        ({"notebook": "solo", "parameters": {"output_dir": "/tmp"}}, "set by the runner"),
    ],
)
def test_bad_batch_entries_are_usage_errors(chain, tmp_path, report, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace("{", r"\{").replace("}", r"\}")):
        plan([chain["solo"]], tmp_path / "out", tmp_path, {}, {"reports": [report]})


def test_two_reports_of_one_notebook_in_one_folder_are_refused(chain, tmp_path):
    cfg = {"reports": [{"notebook": "solo"}, {"notebook": "solo", "parameters": {"seed": 2}}]}
    with pytest.raises(UsageError, match="two reports of 'solo' would write to the run folder"):
        plan([chain["solo"]], tmp_path / "out", tmp_path, {}, cfg)


def test_grid_sets_are_the_cartesian_product_in_written_order():
    assert grid_sets({"a": [1, 2], "b": ["x", "y"]}) == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    assert grid_sets([{"a": [1]}, {"a": 2, "b": [3]}]) == [{"a": 1}, {"a": 2, "b": 3}]
    assert grid_sets(None) == [{}]
    with pytest.raises(UsageError, match="at least one value"):
        grid_sets({"a": []})


def test_job_labels():
    nb = Notebook(Path("/x/mmm.ipynb"))
    assert Job(nb, {}, Path("/o")).label == "mmm"
    assert Job(nb, {}, Path("/o/mmm__eu"), "eu", "mmm__eu").label == "mmm__eu"
    assert Job(nb, {}, Path("/o/north"), "", "north").label == "north/mmm"


def test_config_is_read_with_the_safe_loader_only(tmp_path):
    marker = tmp_path / "pwned"
    cfg = tmp_path / "evil.yaml"
    cfg.write_text(f"parameters: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(UsageError, match="cannot read config"):
        load_config(cfg)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour: red\n", "unknown key"),
        ("jobs: two\n", "jobs must be a whole number"),
        ("keep: true\n", "keep must be a whole number"),
        ("fail_on_stale: yes please\n", "fail_on_stale must be true or false"),
        ("reports: []\n", "non-empty list"),
        ("reports: [{notebook: a, notebooks: [b]}]\n", "exactly one of notebook"),
        ("reports: [{notebook: a, colour: red}]\n", "unknown key"),
        ("reports: [{notebook: a}]\nnotebooks: {a: {}}\n", "either reports"),
        ("- a\n- b\n", "must be a YAML mapping"),
    ],
)
def test_config_errors_name_the_problem(tmp_path, text, message):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_config(cfg)


def test_the_readme_batch_example_plans_against_the_real_notebooks(tmp_path):
    import re

    text = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(# params/regions\.yaml.*?)```", text, re.S).group(1)
    cfg_path = tmp_path / "regions.yaml"
    cfg_path.write_text(block)
    cfg = load_config(cfg_path)
    nbs = discover(ROOT / "notebooks")
    jobs = plan([nbs[n] for n in ("ab_test", "market_analysis", "mmm", "personas")], tmp_path / "out", tmp_path, {}, cfg)
    assert {j.label for j in jobs} == {"market_analysis__Nimbus", "market_analysis__Acme", "by-region/north/ab_test",
                                       "by-region/south/ab_test", "by-region/north/mmm", "by-region/south/mmm", "personas"}
    wave = wave_numbers(jobs)
    assert wave["by-region/north/mmm"] > wave["by-region/north/ab_test"]
