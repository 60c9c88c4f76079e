import re

import nbformat
import pytest

from playbook.render import render_notebook, table_of_contents


def executed_notebook(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({"title": "Channel report", "playbook": {"description": "What worked."},
                        "papermill": {"parameters": {"data_dir": "/srv/data/acme", "output_dir": "/tmp/x", "smoke": True}}})
    code = nbformat.v4.new_code_cell("secret_code_line = 42\nprint('hello stakeholders')")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="hello stakeholders\n"),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noisy library\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "PosixPath('/tmp/x/report.json')"}, execution_count=1),
        nbformat.v4.new_output("display_data", data={"text/html": "<b>kept html</b>", "text/plain": "x"}),
    ]
    err = nbformat.v4.new_code_cell("1/0")
    err.outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=["Traceback (most recent call last)", "boom"])]
    hidden = nbformat.v4.new_code_cell("debug()")
    hidden.metadata["tags"] = ["remove-cell"]
    hidden.outputs = [nbformat.v4.new_output("stream", name="stdout", text="debug output\n")]
    nb.cells = [nbformat.v4.new_markdown_cell("## Executive summary\nText."), code, err, hidden,
                nbformat.v4.new_markdown_cell("## Appendix: methods and diagnostics\n### Priors\nBeta(1, 1).")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_report_has_no_code_no_tracebacks_and_nothing_from_the_network(tmp_path):
    html = render_notebook(executed_notebook(tmp_path), tmp_path / "r.html",
                           results={"meta": {"data_period": ["2024-01-01", "2024-06-30"]}}).read_text()
    assert "hello stakeholders" in html and "<b>kept html</b>" in html
    for absent in ("secret_code_line", "Traceback", "ZeroDivisionError", "noisy library", "PosixPath", "debug output", "In&nbsp;["):
        assert absent not in html, absent
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no external resources"
    assert not re.search(r"@import\s+url\(\s*['\"]?https?:", html)
    assert "<title>Channel report</title>" in html and "What worked." in html
    assert "2024-01-01 to 2024-06-30" in html and "Data folder: acme" in html
    assert "smoke" in html and "/tmp/x" not in html  # parameters shown, runner paths hidden
    assert 'class="pb-toc"' in html and html.index("Executive summary") < html.index("Appendix")
    assert "did not finish" not in html


def test_failed_report_carries_a_banner(tmp_path):
    html = render_notebook(executed_notebook(tmp_path), tmp_path / "r.html", status="failed",
                           error="cell 3: ZeroDivisionError: division by zero").read_text()
    assert "did not finish and must not be used" in html and "cell 3: ZeroDivisionError" in html
    assert "FAILED" in html


def test_table_of_contents_nests_h3_under_h2():
    body = ('<h2 id="Executive-summary">Executive summary<a class="anchor-link" href="#Executive-summary">¶</a></h2>'
            '<h3 id="ROAS">ROAS &amp; mROAS</h3><h2 id="Appendix">Appendix</h2>')
    toc = table_of_contents(body)
    assert toc.startswith('<nav class="pb-toc">')
    assert '<a href="#Executive-summary">Executive summary</a><ol><li><a href="#ROAS">ROAS &amp; mROAS</a></li></ol>' in toc
    assert table_of_contents("<p>no headings</p>") == ""


@pytest.mark.parametrize("status", ["succeeded", "failed"])
def test_render_is_atomic(tmp_path, status):
    out = tmp_path / "r.html"
    out.write_text("previous")
    render_notebook(executed_notebook(tmp_path), out, status=status)
    assert out.read_text() != "previous" and not list(tmp_path.glob(".*.tmp"))


EVIL = "<img src=x onerror=alert(1)>"


def _manifest(tmp_path, entries, **run):
    return {"run": {"run_id": "2026-01-01_000000", "started_at": "2026-01-01T00:00:00", "data_dir": str(tmp_path / EVIL),
                    "duration_s": 3.0, "playbook_version": "0", "git_commit": None, **run}, "notebooks": entries}


def test_index_escapes_every_data_borne_string_and_shows_warnings_and_stale_data(tmp_path):
    import json

    from playbook.render import render_index

    (tmp_path / "mmm.json").write_text(json.dumps({
        "meta": {"stale": True, "data_end": "2025-12-22", "data_age_days": 344, "max_data_age_days": 14},
        "headline": [{"label": EVIL, "value": "<script>alert(2)</script>", "detail": "<b>3</b>", "tone": 'bad" onclick="x'}],
        "warnings": [{"file": "a"}, {"file": "b"}]}))
    entries = [
        {"name": "mmm", "label": "mmm", "title": f"MMM {EVIL}", "description": EVIL, "status": "succeeded", "duration_s": 1,
         "parameters": {"channel": EVIL}, "outputs": {"html": "mmm.html", "json": "mmm.json"}},
        {"name": "ab", "label": "ab", "title": "A/B", "description": "", "status": "failed", "duration_s": 1, "parameters": {},
         "error": f"cell 2: ValueError: {EVIL}", "outputs": {"html": "ab.failed.html"},
         "handoffs": [{"file": "lift.csv", "available": False, "reason": f"{EVIL} failed"}]},
    ]
    page = render_index(tmp_path, _manifest(tmp_path, entries, stale_reports=["mmm"])).read_text()
    assert "<img" not in page and "<script>alert" not in page and "<b>3</b>" not in page and 'onclick="' not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "2 data warnings" in page and "Stale data: the data end 2025-12-22, 344 days before this run" in page
    assert "1 report ran on stale data." in page and "Ran without lift.csv" in page


def test_index_of_a_batch_tells_its_reports_apart_and_links_a_kept_good_report(tmp_path):
    from playbook.render import render_index

    published = tmp_path / "published"
    (published / "north").mkdir(parents=True)
    (published / "north" / "mmm.html").write_text("the previous good report")
    entries = [{"name": "mmm", "label": f"{r}/mmm", "folder": r, "title": "MMM", "description": "", "status": s, "duration_s": 1,
                "parameters": {"region": r, "seed": 1}, "outputs": {}} for r, s in (("north", "failed"), ("south", "succeeded"))]
    page = render_index(tmp_path, _manifest(tmp_path, entries), published=published).read_text()
    assert "region: north" in page and "region: south" in page and "seed: 1" not in page
    assert 'href="north/mmm.html">previous good report' in page and "south/mmm.html\">previous" not in page


def test_failure_banner_and_header_escape_the_error_and_parameters(tmp_path):
    nb_path = executed_notebook(tmp_path)
    html = render_notebook(nb_path, tmp_path / "r.html", status="failed", error=f"cell 3: KeyError: {EVIL}").read_text()
    header = html.split("<main")[0]
    assert EVIL not in header and "cell 3: KeyError: &lt;img src=x onerror=alert(1)&gt;" in header
