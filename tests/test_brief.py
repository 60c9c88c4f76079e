import json
from pathlib import Path

from playbook import brief


def _run(root: Path, run_id: str, started: str, notebooks: dict, exit_code: int = 0) -> tuple[Path, dict]:
    """A run folder with a manifest and, per notebook, a results JSON (``brief`` lines) and a report page."""
    out = root / run_id
    out.mkdir(parents=True)
    entries = []
    for name, spec in notebooks.items():
        if spec is None:
            entries.append({"name": name, "label": name, "title": name.title(), "status": "failed",
                            "error": "cell 4: ValueError: boom", "outputs": {"html": f"{name}.failed.html"}})
            continue
        results = {"meta": {"notebook": name, "data_period": spec.get("period", ["2025-01-01", "2025-12-28"]),
                            "stale": spec.get("stale", False)}, "brief": spec["brief"], "alerts": spec.get("alerts", [])}
        (out / f"{name}.json").write_text(json.dumps(results))
        sections = "".join(f'<h2 id="{s.replace(" ", "-")}">{s}<a class="anchor-link" href="#">¶</a></h2>'
                           for s in spec.get("sections", []))
        (out / f"{name}.html").write_text(f"<html><body>{sections}</body></html>")
        entries.append({"name": name, "label": name, "title": name.title(), "status": "succeeded",
                        "outputs": {"html": f"{name}.html", "json": f"{name}.json"}})
    manifest = {"run": {"run_id": run_id, "started_at": started, "exit_code": exit_code, "interval": 0.9}, "notebooks": entries}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out, manifest


AB = {"kind": "ab_decision", "action": "keep testing", "decision": "Keep testing B: 12 more days to the planned sample",
      "evidence": "uplift +9.0% [-3.3%, +23.6%]", "risk": "none flagged", "section": "Decision", "money_at_stake": 40_000,
      "value": 0.09, "low": -0.033, "high": 0.236}
MMM = {"kind": "budget_move", "decision": "Move $2k a week from kol to search", "evidence": "gain $40k [$10k, $70k]",
       "risk": "none flagged", "section": "Budget recommendation", "money_at_stake": 120_000, "value": 40_000, "low": 10_000, "high": 70_000}
MARKET = {"kind": "priority_region", "decision": "Go after east next", "evidence": "score 0.81", "risk": "none flagged",
          "section": "Regions: where should we go next?", "money_at_stake": None}


def test_decisions_are_ranked_by_money_with_failures_first_and_linked_to_their_section(tmp_path):
    out, manifest = _run(tmp_path, "r2", "2026-12-01T09:00:00", {
        "market_analysis": {"brief": [MARKET], "sections": ["Regions: where should we go next?"]},
        "ab_test": {"brief": [AB], "sections": ["Decision"]},
        "mmm": {"brief": [MMM], "sections": ["Budget recommendation"]},
        "attribution": None,
    })
    b = brief.build(out, manifest)
    assert [d.notebook for d in b.decisions] == ["attribution", "mmm", "ab_test", "market_analysis"]
    failed = b.decisions[0]
    assert failed.status == "failed" and failed.decision.startswith("No decision") and "boom" in failed.evidence
    assert b.decisions[1].link == "mmm.html#Budget-recommendation"
    assert b.decisions[3].link == "market_analysis.html#Regions:-where-should-we-go-next?"
    assert b.meta["failed_notebooks"] == ["attribution"] and b.meta["interval"] == 0.9
    assert b.changes == [] and b.meta["compared_with"] is None  # a first run has nothing to compare with


def test_a_second_run_reports_flips_moves_beyond_uncertainty_and_alerts(tmp_path):
    _run(tmp_path, "r1", "2026-11-24T09:00:00", {
        "ab_test": {"brief": [AB]},
        "mmm": {"brief": [MMM]},
        "attribution": {"brief": [{"kind": "kpi_alerts", "decision": "1 KPI off target", "evidence": "", "risk": "none flagged",
                                   "section": "KPI alerts"}],
                        "alerts": [{"channel": "search", "metric": "cpa", "direction": "up"}]},
    })
    shipped = {**AB, "action": "ship", "decision": "Ship B", "value": 0.10, "low": 0.02, "high": 0.18}
    small_move = {**MMM, "decision": "Move $2k a week from kol to search", "value": 45_000}
    out, manifest = _run(tmp_path, "r2", "2026-12-01T09:00:00", {
        "ab_test": {"brief": [shipped]},
        "mmm": {"brief": [small_move]},
        "attribution": {"brief": [{"kind": "kpi_alerts", "decision": "1 KPI off target", "evidence": "", "risk": "none flagged",
                                   "section": "KPI alerts"}],
                        "alerts": [{"channel": "email", "metric": "cvr", "direction": "down"}]},
    })
    b = brief.build(out, manifest)
    assert b.meta["compared_with"]["run_id"] == "r1"
    kinds = {(c["type"], c["notebook"]) for c in b.changes}
    assert ("decision flipped", "ab_test") in kinds
    assert ("number moved", "mmm") not in kinds, "a $5k move inside a ±$30k interval is not a change"
    assert ("new alert", "attribution") in kinds and ("alert cleared", "attribution") in kinds


def test_numbers_that_move_beyond_both_intervals_are_reported():
    old = brief.Decision("mmm", "MMM", "budget_move", "Move", "gain $40k", "none", "", value=40_000, low=30_000, high=50_000)
    new = brief.Decision("mmm", "MMM", "budget_move", "Move", "gain $70k", "none", "", value=70_000, low=60_000, high=80_000)
    (change,) = brief.changes([new], [old], {}, {})
    assert change["type"] == "number moved" and change["change"] == 30_000


def test_the_same_verdict_with_new_numbers_is_not_a_flip():
    old = brief.Decision("ab_test", "A/B", "ab", "Keep testing B: 12 more days to the planned sample", "", "", "")
    new = brief.Decision("ab_test", "A/B", "ab", "Keep testing B: 5 more days to the planned sample", "", "", "")
    assert brief.changes([new], [old], {}, {}) == []
    shipped = brief.Decision("ab_test", "A/B", "ab", "Ship B", "", "", "")
    assert brief.changes([shipped], [old], {}, {})[0]["type"] == "decision flipped"


def test_previous_run_is_the_newest_earlier_successful_one(tmp_path):
    _run(tmp_path, "a", "2026-11-17T09:00:00", {"ab_test": {"brief": [AB]}})
    _run(tmp_path, "b", "2026-11-24T09:00:00", {"ab_test": {"brief": [AB]}})
    _run(tmp_path, "c", "2026-11-28T09:00:00", {"ab_test": {"brief": [AB]}}, exit_code=1)
    out, _ = _run(tmp_path, "d", "2026-12-01T09:00:00", {"ab_test": {"brief": [AB]}})
    assert brief.previous_run(out) == tmp_path / "b"


def test_the_page_is_self_contained_escapes_data_and_the_json_matches(tmp_path):
    evil = {**AB, "decision": "Ship <script>alert(1)</script>", "section": "Decision"}
    out, manifest = _run(tmp_path, "r1", "2026-12-01T09:00:00", {"ab_test": {"brief": [evil], "stale": True}, "mmm": None})
    json_path, html_path = brief.write(out, manifest)
    page = html_path.read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "src=" not in page and "http" not in page.replace("http-equiv", "")
    assert "Stale data in: ab_test" in page and "Failed reports: mmm" in page
    assert "@media print" in page and "width=device-width" in page
    data = json.loads(json_path.read_text())
    assert set(data) == {"meta", "decisions", "changes"} and data["changes"] == []
    assert {d["notebook"] for d in data["decisions"]} == {"ab_test", "mmm"}
    for d in data["decisions"]:
        assert {"decision", "evidence", "risk", "link", "notebook", "money_at_stake"} <= set(d)


def test_skipped_notebooks_give_no_line_and_reports_without_brief_lines_say_so(tmp_path):
    out, manifest = _run(tmp_path, "r1", "2026-12-01T09:00:00", {"market_analysis": {"brief": []}})
    manifest["notebooks"].append({"name": "launch", "label": "launch", "status": "skipped", "outputs": {}})
    (only,) = brief.build(out, manifest).decisions
    assert only.notebook == "market_analysis" and "states no decision" in only.decision


# --------------------------------------------------------------------------- through the runner


def test_the_runner_writes_the_brief_links_it_first_and_compares_with_the_last_good_run(tmp_path, orders_dir):
    from conftest import run_cli
    from quick_notebooks import quick_notebook

    nbs = tmp_path / "nbs"
    nbs.mkdir()
    line = ("[{'kind': 'ab_decision', 'action': verdict, 'decision': verdict + ' B', 'evidence': 'P 0.9', "
            "'risk': 'none flagged', 'section': 'Decision', 'money_at_stake': 1000.0}]")
    quick_notebook(nbs, "test", ["x = 1"], params='verdict: str = "keep testing"  # the decision\n', results=f"{{'brief': {line}}}")
    quick_notebook(nbs, "broken", ["raise RuntimeError('no data today')"], params="")
    reports = tmp_path / "reports"
    first, second = reports / "2026-01-05_080000", reports / "2026-01-12_080000"
    env = {"PLAYBOOK_REPORTS": str(reports)}
    assert run_cli("run", "test", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(first), env=env).returncode == 0
    got = json.loads((first / "brief.json").read_text())
    assert [d["decision"] for d in got["decisions"]] == ["keep testing B"] and got["changes"] == []
    index = (first / "index.html").read_text()
    assert index.index('href="brief.html"') < index.index('class="pb-cards"') and "first brief" in index

    res = run_cli("run", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(second), "-p", "test.verdict=ship",
                  env=env)
    assert res.returncode == 1  # broken failed; the brief is still written
    got = json.loads((second / "brief.json").read_text())
    assert got["meta"]["compared_with"]["run_id"] == first.name
    assert got["decisions"][0]["notebook"] == "broken" and got["decisions"][0]["status"] == "failed"
    assert "no data today" in got["decisions"][0]["evidence"]
    assert {"type": "decision flipped", "now": "ship B", "before": "keep testing B"}.items() <= next(
        c for c in got["changes"] if c["type"] == "decision flipped").items()
    assert "No decision: the report failed." in (second / "brief.html").read_text()
    started = got["meta"]["compared_with"]["started_at"][:16].replace("T", " ")
    assert f"2 changes since the run of {started} (run 2026-01-05_080000)" in (second / "index.html").read_text()
    assert f"What changed since the run of {started}" in (second / "brief.html").read_text()


def test_a_compared_run_is_named_by_its_start_time_and_by_its_id_alone_without_one():
    assert brief.compared_run({"run_id": "r1", "started_at": "2026-11-24T10:05:31"}) == "the run of 2026-11-24 10:05 (run r1)"
    assert brief.compared_run({"run_id": "r1", "started_at": None}) == "run r1"


def test_compare_must_name_a_run_folder(tmp_path, orders_dir):
    from conftest import run_cli
    from quick_notebooks import quick_notebook

    nbs = tmp_path / "nbs"
    nbs.mkdir()
    quick_notebook(nbs, "test", ["x = 1"])
    out = tmp_path / "out"
    res = run_cli("run", "--notebooks", str(nbs), "--data", str(orders_dir), "--out", str(out), "--compare", str(tmp_path))
    assert res.returncode == 2 and "not a run folder (it has no manifest.json)" in res.stderr and not out.exists()
