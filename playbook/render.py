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
from playbook import brief as brief_mod
from playbook.report import CSS_PATH, Tile, read_json, tiles_html

#: Cells removed entirely from stakeholder HTML (Jupyter Book's vocabulary plus papermill's markers).
REMOVE_CELL_TAGS = {"remove-cell", "papermill-error-cell-tag"}
#: Runner parameters not worth showing in the report header.
HIDDEN_PARAMETERS = {"output_dir"}
#: Tile tones the stylesheet knows; anything else from a results JSON is shown without a tone.
TILE_TONES = {"good", "bad", "warn"}
INDEX_CSS_PATH = config.TEMPLATES_DIR / "playbook" / "index.css"

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


def render_index(out_dir: str | Path, manifest: Mapping, published: str | Path | None = None) -> Path:
    """Write ``index.html``: one card per report of the run (every report of a batch) with status,
    headline numbers, data warnings, a stale-data mark and links. Every data-borne string is escaped.

    ``published`` is the folder the run publishes into (when ``out_dir`` is its staging folder):
    a failed report's card then links the previous good report kept there.
    """
    out_dir = Path(out_dir)
    run = manifest["run"]
    entries = list(manifest["notebooks"])
    varying = _varying_parameters(entries)
    cards = [_card(out_dir, entry, varying.get(entry["name"], ()), Path(published) if published else None) for entry in entries]
    ok = sum(e["status"] == "succeeded" for e in entries)
    skipped = sum(e["status"] == "skipped" for e in entries)
    total = len(entries) - skipped
    stale = list(run.get("stale_reports") or [])
    tone = "success" if ok == total and not stale else "warning" if ok == total else "danger"
    message = f"{ok} of {total} reports succeeded."
    if ok != total:
        message += " Failed reports are marked below; their previous good versions, if any, were kept."
    if skipped:
        message += f" {skipped} skipped: their input files are not in the data folder (see each card)."
    if stale:
        message += f" {len(stale)} report{'s' if len(stale) != 1 else ''} ran on stale data" + (
            " (the run failed on it: --fail-on-stale)." if run.get("fail_on_stale") else ".")
    chips = [f"Run {run['started_at'][:16].replace('T', ' ')}", f"Data folder: {Path(run['data_dir']).name}",
             f"{run['duration_s']:.0f} s"]
    if run.get("executor") == "dask":
        chips.append(f"Dask cluster, {len(run.get('workers') or [])} worker(s)")
    css = CSS_PATH.read_text() + (config.TEMPLATES_DIR / "playbook" / "report.css").read_text() + INDEX_CSS_PATH.read_text()
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Marketing playbook · {html.escape(run["run_id"])}</title>
<style>{css}</style></head>
<body class="pb-report pb-index">
<header class="pb-header"><div class="pb-kicker">Marketing analytics playbook</div>
<h1 class="pb-title">Weekly marketing playbook</h1>
<div class="pb-chips">{"".join(f'<span class="pb-chip">{html.escape(c)}</span>' for c in chips)}</div></header>
<div class="pb-banner pb-banner-{tone}">{html.escape(message)}</div>
{_brief_link(out_dir)}
<div class="pb-cards">{"".join(cards)}</div>
<footer class="pb-footer">playbook {html.escape(run.get("playbook_version", ""))} · commit {html.escape((run.get("git_commit") or "unknown")[:12])} ·
<a href="manifest.json">manifest.json</a> · <a href="run.log">run.log</a></footer>
</body></html>
"""
    return _write_text_atomic(out_dir / "index.html", page)


def _brief_link(out_dir: Path) -> str:
    """The index's first link: the weekly brief with its count of decisions and changes ('' without a brief)."""
    brief = read_json(out_dir / "brief.json")
    if not brief:
        return ""
    n, changed = len(brief.get("decisions") or []), len(brief.get("changes") or [])
    compared = (brief.get("meta") or {}).get("compared_with")
    since = (f"{changed} change{'s' if changed != 1 else ''} since {brief_mod.compared_run(compared)}" if compared
             else "first brief: no earlier run to compare with")
    return (f'<a class="pb-brief-link-card" href="brief.html"><b>Weekly brief</b> · '
            f"{n} decision{'s' if n != 1 else ''}, failed first, then by money at stake · {html.escape(since)}</a>")


def _varying_parameters(entries: list[Mapping]) -> dict[str, tuple[str, ...]]:
    """Per notebook with several reports in the run: the parameters whose values differ between them
    (what tells a batch's cards apart: ``region: north``)."""
    by_name: dict[str, list[Mapping]] = {}
    for e in entries:
        by_name.setdefault(e["name"], []).append(e.get("parameters") or {})
    out = {}
    for name, params in by_name.items():
        if len(params) < 2:
            continue
        keys = sorted({k for p in params for k in p} - {"output_dir", "data_dir"})
        out[name] = tuple(k for k in keys if len({json.dumps(p.get(k), sort_keys=True, default=str) for p in params}) > 1)
    return out


def _stale_mark(meta: Mapping) -> str:
    if not meta.get("stale"):
        return ""
    age = meta.get("data_age_days")
    limit = meta.get("max_data_age_days")
    text = (f"Stale data: the data end {meta.get('data_end')}, {age:,} days before this run"
            + (f" (more than the {limit} days allowed)." if limit is not None else "."))
    return f'<p class="pb-card-stale">{html.escape(text)}</p>'


def _warnings_chip(results: Mapping | None) -> str:
    if results is None:
        return ""
    n = len(results.get("warnings") or [])
    text = "no data warnings" if n == 0 else f"{n} data warning{'s' if n != 1 else ''}"
    return f'<span class="pb-chip pb-chip-{"warn" if n else "quiet"}">{html.escape(text)}</span>'


def _card(out_dir: Path, entry: Mapping, varying: tuple[str, ...] = (), published: Path | None = None) -> str:
    status = str(entry["status"])
    succeeded = status == "succeeded"
    skipped = status == "skipped"
    outputs = entry.get("outputs", {})
    results = read_json(out_dir / outputs["json"]) if succeeded and outputs.get("json") else None
    headline = [Tile(label=str(t.get("label") or ""), value=str(t.get("value") or ""),
                     detail=html.escape(str(t.get("detail") or "")),
                     tone=str(t.get("tone") or "") if t.get("tone") in TILE_TONES else "")
                for t in ((results or {}).get("headline") or [])[:4] if isinstance(t, Mapping)]
    link = outputs.get("html")
    title = html.escape(entry.get("title") or entry["name"])
    label = entry.get("label") or entry["name"]
    params = entry.get("parameters") or {}
    chips = [f'<span class="pb-chip pb-chip-{html.escape(status, quote=True)}">{html.escape(status.capitalize())}</span>']
    if label != entry["name"]:
        chips.insert(0, f'<span class="pb-chip">{html.escape(label)}</span>')
    chips += [f'<span class="pb-chip">{html.escape(k)}: {html.escape(_param_text(params.get(k)))}</span>' for k in varying]
    chips.append(_warnings_chip(results))
    error = "" if succeeded else f'<p class="pb-card-{"needs" if skipped else "error"}">{html.escape(entry.get("error") or "")}</p>'
    absent = [h for h in entry.get("handoffs") or [] if not h.get("available")]
    handoff_note = "".join(
        f'<p class="pb-card-note">Ran without {html.escape(str(h["file"]))}: {html.escape(str(h.get("reason") or "absent"))}.</p>'
        for h in absent)
    links = f'<a class="pb-card-link" href="{html.escape(link, quote=True)}">Open report →</a>' if link else ""
    if outputs.get("json"):
        links += f' <a class="pb-card-aux" href="{html.escape(outputs["json"], quote=True)}">results JSON</a>'
    previous = f"{entry['folder'] + '/' if entry.get('folder') else ''}{entry['name']}.html"
    if not succeeded and not skipped and published is not None and (published / previous).is_file():
        links += f' <a class="pb-card-aux" href="{html.escape(previous, quote=True)}">previous good report</a>'
    period = _period_text(results)
    meta = (results or {}).get("meta") or {}
    return f"""<section class="pb-card {"" if succeeded else "pb-card-skipped" if skipped else "pb-card-failed"}{" pb-card-is-stale" if meta.get("stale") else ""}">
<div class="pb-card-head"><h2>{title}</h2><div class="pb-chips">{"".join(chips)}</div></div>
<p class="pb-card-desc">{html.escape(entry.get("description", ""))}</p>
{_stale_mark(meta)}{tiles_html(headline) if headline else ""}{error}{handoff_note}
<div class="pb-card-foot">{links}<span class="pb-card-meta">{entry.get("duration_s", 0):.0f} s{(" · data " + html.escape(period)) if period else ""}</span></div>
</section>"""
