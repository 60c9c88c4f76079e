"""Render executed notebooks into self-contained stakeholder HTML, and the run's index page."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter

from playbook import __version__, config
from playbook.report import CSS_PATH, Tile, read_json, tiles_html

#: Cells removed entirely from stakeholder HTML (Jupyter Book's vocabulary plus papermill's markers).
REMOVE_CELL_TAGS = {"remove-cell", "papermill-error-cell-tag"}
#: Runner parameters not worth showing in the report header.
HIDDEN_PARAMETERS = {"output_dir"}

_HEADING = re.compile(r'<h([23]) id="(?P<id>[^"]+)"[^>]*>(?P<text>.*?)</h\1>', re.S)
_TAGS = re.compile(r"<[^>]+>")


def _keep_output(output: Mapping) -> bool:
    """Stakeholders see displays and explicit prints, not tracebacks, stderr chatter or bare reprs."""
    kind = output.get("output_type")
    if kind == "error" or (kind == "stream" and output.get("name") == "stderr"):
        return False
    # a cell's last expression echoed as plain text only (PosixPath(...), [<Axes>], <Figure ...>)
    return not (kind == "execute_result" and set(output.get("data", {})) <= {"text/plain"})


def _clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop removed cells, error outputs (tracebacks), stderr streams and bare text reprs."""
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_CELL_TAGS:
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if _keep_output(o)]
        cells.append(cell)
    nb.cells = cells
    return nb


def table_of_contents(body: str) -> str:
    """A ``<nav>`` listing the report's ``h2``/``h3`` headings, nested; empty when there are none."""
    items: list[tuple[int, str, str]] = []
    for m in _HEADING.finditer(body):
        text = html.unescape(_TAGS.sub("", m["text"])).replace("¶", "").strip()
        items.append((int(m.group(1)), m["id"], text))
    if not items:
        return ""
    out, open_sub = ['<nav class="pb-toc"><div class="pb-toc-title">Contents</div><ol>'], False
    for level, anchor, text in items:
        link = f'<a href="#{html.escape(anchor, quote=True)}">{html.escape(text)}</a>'
        if level == 3:
            if not open_sub:
                out.append("<ol>")
                open_sub = True
            out.append(f"<li>{link}</li>")
        else:
            if open_sub:
                out.append("</ol>")
                open_sub = False
            out.append(f"<li>{link}")
    if open_sub:
        out.append("</ol>")
    out.append("</ol></nav>")
    return "".join(out)


def _param_text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else str(value)


def _period_text(results: Mapping | None) -> str:
    period = ((results or {}).get("meta") or {}).get("data_period")
    if not period or len(period) != 2:
        return ""
    return f"{str(period[0])[:10]} to {str(period[1])[:10]}"


def render_notebook(
    nb_path: str | Path,
    html_path: str | Path,
    *,
    status: str = "succeeded",
    error: str | None = None,
    results: Mapping | None = None,
    run_date: str | None = None,
) -> Path:
    """Write the stakeholder HTML of an executed notebook and return its path.

    No code, no prompts, no tracebacks, nothing loaded from the network; a header with the
    title, run date, data period and parameters; a table of contents; a failure banner when
    ``status`` is not ``"succeeded"``.
    """
    nb = _clean(nbformat.read(nb_path, as_version=4))
    params = dict(nb.metadata.get("papermill", {}).get("parameters", {}))
    if "data_dir" in params:
        params["data_dir"] = Path(str(params["data_dir"])).name or str(params["data_dir"])
    info = {
        "title": nb.metadata.get("title") or Path(nb_path).stem.replace("_", " ").capitalize(),
        "description": nb.metadata.get("playbook", {}).get("description", ""),
        "run_date": run_date or dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "data_period": _period_text(results),
        "data_source": params.get("data_dir", ""),
        "parameters": [(k, _param_text(v)) for k, v in params.items() if k not in HIDDEN_PARAMETERS],
        "status": status,
        "error": error or "",
        "version": __version__,
        "css": CSS_PATH.read_text(),
    }
    exporter = HTMLExporter(
        template_name="playbook",
        extra_template_basedirs=[str(config.TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"playbook": info})
    body = body.replace("<!--PLAYBOOK_TOC-->", table_of_contents(body), 1)
    return _write_text_atomic(Path(html_path), body)


def _write_text_atomic(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def render_index(out_dir: str | Path, manifest: Mapping) -> Path:
    """Write ``index.html``: one card per notebook with status, headline numbers and links."""
    out_dir = Path(out_dir)
    run = manifest["run"]
    cards = [_card(out_dir, entry) for entry in manifest["notebooks"]]
    ok = sum(e["status"] == "succeeded" for e in manifest["notebooks"])
    skipped = sum(e["status"] == "skipped" for e in manifest["notebooks"])
    total = len(manifest["notebooks"]) - skipped
    tone = "success" if ok == total else "danger"
    skipped_text = f" {skipped} skipped: their input files are not in the data folder (see each card)." if skipped else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Marketing playbook · {html.escape(run["run_id"])}</title>
<style>{CSS_PATH.read_text()}{(config.TEMPLATES_DIR / "playbook" / "report.css").read_text()}{_INDEX_CSS}</style></head>
<body class="pb-report">
<header class="pb-header"><div class="pb-kicker">Marketing analytics playbook</div>
<h1 class="pb-title">Weekly marketing playbook</h1>
<div class="pb-chips"><span class="pb-chip">Run {html.escape(run["started_at"][:16].replace("T", " "))}</span>
<span class="pb-chip">Data folder: {html.escape(Path(run["data_dir"]).name)}</span>
<span class="pb-chip">{run["duration_s"]:.0f} s</span></div></header>
<div class="pb-banner pb-banner-{tone}">{ok} of {total} reports succeeded.{"" if ok == total else " Failed reports are marked below; their previous good versions, if any, were kept."}{skipped_text}</div>
<div class="pb-cards">{"".join(cards)}</div>
<footer class="pb-footer">playbook {html.escape(run.get("playbook_version", ""))} · commit {html.escape((run.get("git_commit") or "unknown")[:12])} ·
<a href="manifest.json">manifest.json</a> · <a href="run.log">run.log</a></footer>
</body></html>
"""
    return _write_text_atomic(out_dir / "index.html", page)


def _card(out_dir: Path, entry: Mapping) -> str:
    succeeded = entry["status"] == "succeeded"
    outputs = entry.get("outputs", {})
    results = read_json(out_dir / outputs["json"]) if succeeded and outputs.get("json") else None
    headline = [Tile(**{k: str(t.get(k) or "") for k in ("label", "value", "detail", "tone")})
                for t in ((results or {}).get("headline") or [])[:4]]
    link = outputs.get("html")
    title = html.escape(entry.get("title") or entry["name"])
    skipped = entry["status"] == "skipped"
    status = "Succeeded" if succeeded else "Skipped" if skipped else "Failed"
    error = "" if succeeded else f'<p class="pb-card-{"needs" if skipped else "error"}">{html.escape(entry.get("error") or "")}</p>'
    links = f'<a class="pb-card-link" href="{html.escape(link)}">Open report →</a>' if link else ""
    if outputs.get("json"):
        links += f' <a class="pb-card-aux" href="{html.escape(outputs["json"])}">results JSON</a>'
    period = _period_text(results)
    return f"""<section class="pb-card {"" if succeeded else "pb-card-skipped" if skipped else "pb-card-failed"}">
<div class="pb-card-head"><h2>{title}</h2><span class="pb-chip pb-chip-{entry["status"]}">{status}</span></div>
<p class="pb-card-desc">{html.escape(entry.get("description", ""))}</p>
{tiles_html(headline) if headline else ""}{error}
<div class="pb-card-foot">{links}<span class="pb-card-meta">{entry.get("duration_s", 0):.0f} s{(" · data " + html.escape(period)) if period else ""}</span></div>
</section>"""


_INDEX_CSS = """
.pb-cards{display:grid;grid-template-columns:1fr;gap:1.2em;margin-top:1.2em}
.pb-card{border:1px solid #E5E7EB;border-radius:8px;padding:1em 1.3em;background:#fff}
.pb-card-failed{border:2px solid #F04438;background:#FFFBFA}
.pb-card-head{display:flex;justify-content:space-between;align-items:center}
.pb-card-head h2{margin:0;font-size:1.3em;border:0}
.pb-card-desc{color:#4B5563;margin:.3em 0 .6em}
.pb-card-error{color:#B42318;font-family:monospace;font-size:.85em;white-space:pre-wrap}
.pb-card-skipped{border:1px dashed #9CA3AF;background:#F9FAFB}.pb-card-needs{color:#4B5563;font-size:.9em}
.pb-chip-skipped{background:#F3F4F6;color:#4B5563}
.pb-card-foot{display:flex;justify-content:space-between;align-items:center;margin-top:.6em}
.pb-card-link{font-weight:600;color:#0072B2}.pb-card-aux{font-size:.85em;color:#4B5563;margin-left:.8em}
.pb-card-meta{font-size:.85em;color:#6B7280}
"""
