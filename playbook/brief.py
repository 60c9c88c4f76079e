"""The weekly brief: one page of this run's decisions across every analysis, and what changed since last run.

Built by the runner after every notebook ran, from the run's results JSONs (no notebook of its own). Each
analysis writes its decision lines into its results JSON under ``brief`` (a list of
``{kind, decision, evidence, risk, section, money_at_stake}``, optionally ``value``/``low``/``high`` for the
number behind the decision and ``action`` for the short verb): the sentences come from each analysis's
tested ``narrative`` code and are never written a second time here. This module only ranks them, links each
to its report section, adds a line for every failed report, compares with the previous run and renders the
page (``brief.html``) and its machine-readable twin (``brief.json``).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from playbook import fmt
from playbook.results import read_json, write_json_atomic, write_text_atomic

BRIEF_SCHEMA_VERSION = 1
#: A headline number "moved" when the change exceeds the larger half-width of its two intervals.
NO_RISK = "none flagged"
_H2 = re.compile(r'<h2 id="(?P<id>[^"]+)"[^>]*>(?P<text>.*?)</h2>', re.S)
_TAGS = re.compile(r"<[^>]+>")


@dataclass
class Decision:
    """One line of the brief."""

    notebook: str
    title: str
    kind: str
    decision: str
    evidence: str
    risk: str
    link: str
    money_at_stake: float | None = None
    status: str = "succeeded"  # or "failed"
    section: str = ""
    action: str = ""
    value: float | None = None
    low: float | None = None
    high: float | None = None
    stale: bool = False
    error: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """What identifies a decision across runs: its notebook and kind."""
        return self.notebook, self.kind


@dataclass
class Brief:
    """The brief's content: ``meta``, ranked ``decisions`` and ``changes`` since the compared run."""

    meta: dict[str, Any]
    decisions: list[Decision]
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"meta": self.meta, "decisions": [asdict(d) for d in self.decisions], "changes": self.changes}


# --------------------------------------------------------------------------- collecting


def section_anchor(report_html: str | None, section: str) -> str:
    """The ``id`` of the ``<h2>`` whose text is ``section`` in a rendered report ('' when absent)."""
    if not section:
        return ""
    want = _normalise(section)
    for m in _H2.finditer(report_html or ""):
        if _normalise(html.unescape(_TAGS.sub("", m["text"]))) == want:
            return m["id"]
    return section.strip().replace(" ", "-")  # nbconvert's rule, when the report is not at hand


def _normalise(text: str) -> str:
    return " ".join(text.replace("¶", "").split()).casefold()


def _number(x: Any) -> float | None:
    return float(x) if fmt.is_finite(x) else None


def decisions_of(entry: Mapping[str, Any], run_dir: Path) -> list[Decision]:
    """The brief lines of one manifest entry: its results JSON's ``brief`` list, or one line for a failure."""
    name, title = entry["name"], entry.get("title") or entry["name"]
    outputs = entry.get("outputs") or {}
    label = entry.get("label", name)
    if entry.get("status") == "skipped":
        return []
    if entry.get("status") != "succeeded":
        link = outputs.get("html", "")
        return [Decision(name, title, "report", "No decision: the report failed.", entry.get("error") or "unknown error",
                         "the report must not be used until it runs again", link, status="failed", error=entry.get("error") or "")]
    results = read_json(run_dir / outputs["json"]) if outputs.get("json") else None
    if not results:
        return [Decision(name, title, "report", "No decision: the results are missing.", "no results JSON",
                         "the report must not be used", outputs.get("html", ""), status="failed")]
    report_html = _read(run_dir / outputs["html"]) if outputs.get("html") else None
    stale = bool((results.get("meta") or {}).get("stale"))
    out = []
    items = results.get("brief") or []
    if not items:
        items = [{"kind": "report", "decision": "No decision line: the report states no decision.", "evidence": "",
                  "risk": NO_RISK, "section": "Executive summary"}]
    for item in items:
        anchor = section_anchor(report_html, str(item.get("section", "")))
        link = outputs.get("html", "") + (f"#{anchor}" if anchor else "")
        kind = str(item.get("kind") or "decision")
        if label != name:
            kind = f"{kind}@{label}"
        out.append(Decision(
            notebook=name, title=title if label == name else f"{title} ({label.split('__', 1)[-1]})", kind=kind,
            decision=str(item.get("decision", "")), evidence=str(item.get("evidence", "")),
            risk=str(item.get("risk") or NO_RISK), link=link, money_at_stake=_number(item.get("money_at_stake")),
            section=str(item.get("section", "")), action=str(item.get("action", "")),
            value=_number(item.get("value")), low=_number(item.get("low")), high=_number(item.get("high")), stale=stale,
        ))
    return out


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def rank(decisions: Sequence[Decision]) -> list[Decision]:
    """Failed reports first, then by money at stake (largest first; lines without an amount last), then by notebook."""
    return sorted(decisions, key=lambda d: (d.status == "succeeded", -(abs(d.money_at_stake) if d.money_at_stake is not None else -1.0), d.notebook))


# --------------------------------------------------------------------------- changes


def _alerts(run_dir: Path, manifest: Mapping) -> dict[str, str]:
    """Every KPI alert of the run, by identity (notebook, channel, metric, direction) → its description."""
    out: dict[str, str] = {}
    for entry in manifest.get("notebooks", []):
        if entry.get("status") != "succeeded" or not (entry.get("outputs") or {}).get("json"):
            continue
        results = read_json(run_dir / entry["outputs"]["json"]) or {}
        for alert in results.get("alerts") or []:
            if not isinstance(alert, Mapping):
                continue
            ident = " · ".join(str(alert.get(k)) for k in ("channel", "metric", "direction") if alert.get(k) is not None)
            ident = ident or str(alert.get("message") or alert)
            out[f"{entry.get('label', entry['name'])}: {ident}"] = str(alert.get("message") or ident)
    return out


def changes(current: Sequence[Decision], previous: Sequence[Decision], alerts_now: Mapping[str, str],
            alerts_before: Mapping[str, str]) -> list[dict[str, Any]]:
    """What changed since the compared run: decisions that flipped, new or cleared alerts, and numbers that
    moved by more than their uncertainty (the larger half-width of the two intervals)."""
    before = {d.key: d for d in previous}
    out: list[dict[str, Any]] = []
    for d in current:
        old = before.get(d.key)
        if old is None:
            if previous:
                out.append({"type": "new decision", "notebook": d.notebook, "kind": d.kind, "now": d.decision, "before": None})
            continue
        flipped = d.status != old.status or _verdict(d) != _verdict(old)
        if flipped:
            out.append({"type": "decision flipped", "notebook": d.notebook, "kind": d.kind, "now": d.decision, "before": old.decision})
        moved = _moved(d, old)
        if moved is not None:
            out.append({"type": "number moved", "notebook": d.notebook, "kind": d.kind, "now": d.value, "before": old.value,
                        "change": moved, "now_text": d.evidence, "before_text": old.evidence})
    for ident in sorted(set(alerts_now) - set(alerts_before)):
        out.append({"type": "new alert", "notebook": ident.split(":", 1)[0], "kind": "alert", "now": alerts_now[ident], "before": None})
    for ident in sorted(set(alerts_before) - set(alerts_now)):
        out.append({"type": "alert cleared", "notebook": ident.split(":", 1)[0], "kind": "alert", "now": None, "before": alerts_before[ident]})
    return out


_NUMBERS = re.compile(r"[-+]?[$€£]?\d[\d,.]*\s*(%|pp|k|M|B)?")


def _verdict(d: Decision) -> str:
    """What a decision says, without its numbers: its ``action`` when given, else its sentence with numbers
    masked ("Keep testing B: 12 more days" and "… 5 more days" are the same verdict)."""
    return d.action or _NUMBERS.sub("#", d.decision).strip()


def _moved(now: Decision, old: Decision) -> float | None:
    """The change in the decision's number when it exceeds the uncertainty of both runs, else ``None``."""
    if now.value is None or old.value is None:
        return None
    widths = [(d.high - d.low) / 2 for d in (now, old) if d.low is not None and d.high is not None]
    if not widths:
        return None
    change = now.value - old.value
    return change if abs(change) > max(widths) else None


def previous_run(out_dir: Path, reports_root: Path | None = None) -> Path | None:
    """The newest earlier run folder beside ``out_dir`` whose manifest says every notebook succeeded."""
    root = Path(reports_root or out_dir.parent)
    best: tuple[str, Path] | None = None
    try:
        candidates = [p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and p.resolve() != out_dir.resolve()]
    except OSError:
        return None
    for p in candidates:
        manifest = read_json(p / "manifest.json")
        if not manifest or (manifest.get("run") or {}).get("exit_code") != 0:
            continue
        started = str((manifest.get("run") or {}).get("started_at", ""))
        now = read_json(out_dir / "manifest.json") or {}
        if started and started < str((now.get("run") or {}).get("started_at", "9999")) and (best is None or started > best[0]):
            best = (started, p)
    return best[1] if best else None


# --------------------------------------------------------------------------- the brief


def build(run_dir: str | Path, manifest: Mapping, compare_dir: str | Path | None = None) -> Brief:
    """The brief of the run in ``run_dir``: ranked decisions, and changes since ``compare_dir`` (default: the
    previous successful run in the same reports folder; none on a first run)."""
    run_dir = Path(run_dir)
    decisions = rank([d for entry in manifest.get("notebooks", []) for d in decisions_of(entry, run_dir)])
    compare = Path(compare_dir) if compare_dir else previous_run(run_dir)
    found_changes: list[dict[str, Any]] = []
    compared_with = None
    if compare is not None and (compare / "manifest.json").is_file():
        old_manifest = read_json(compare / "manifest.json") or {}
        old = [d for entry in old_manifest.get("notebooks", []) for d in decisions_of(entry, compare)]
        found_changes = changes(decisions, old, _alerts(run_dir, manifest), _alerts(compare, old_manifest))
        old_run = old_manifest.get("run") or {}
        compared_with = {"run_id": old_run.get("run_id", compare.name), "started_at": old_run.get("started_at"), "path": str(compare)}
    run = manifest.get("run") or {}
    periods = [p for d in decisions for p in [_period(run_dir, manifest, d.notebook)] if p]
    meta = {
        "schema_version": BRIEF_SCHEMA_VERSION,
        "run_id": run.get("run_id", run_dir.name),
        "started_at": run.get("started_at"),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "interval": run.get("interval"),
        "data_period": [min(p[0] for p in periods), max(p[1] for p in periods)] if periods else None,
        "stale_notebooks": sorted({d.notebook for d in decisions if d.stale}),
        "failed_notebooks": sorted({d.notebook for d in decisions if d.status != "succeeded"}),
        "compared_with": compared_with,
    }
    return Brief(meta, decisions, found_changes)


def compared_run(compared_with: Mapping) -> str:
    """The compared run as a reader knows it: 'the run of 2026-11-24 10:05 (run 20261124-100500)'; the id alone
    when the old manifest has no start time."""
    started = str(compared_with.get("started_at") or "")[:16].replace("T", " ")
    run_id = compared_with.get("run_id")
    return f"the run of {started} (run {run_id})" if started else f"run {run_id}"


def _period(run_dir: Path, manifest: Mapping, notebook: str) -> tuple[str, str] | None:
    for entry in manifest.get("notebooks", []):
        if entry["name"] == notebook and (entry.get("outputs") or {}).get("json"):
            period = ((read_json(run_dir / entry["outputs"]["json"]) or {}).get("meta") or {}).get("data_period")
            if period and len(period) == 2 and period[0] and period[1]:
                return str(period[0])[:10], str(period[1])[:10]
    return None


def write(run_dir: str | Path, manifest: Mapping, compare_dir: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``brief.json`` and ``brief.html`` into the run folder; return both paths."""
    run_dir = Path(run_dir)
    brief = build(run_dir, manifest, compare_dir)
    json_path = write_json_atomic(brief.to_json(), run_dir / "brief.json")
    html_path = write_text_atomic(run_dir / "brief.html", render_html(brief))
    return json_path, html_path


# --------------------------------------------------------------------------- the page


def _e(text: Any) -> str:
    return html.escape(str(text if text is not None else ""))


def _change_text(c: Mapping[str, Any]) -> str:
    kind = c["type"]
    if kind == "decision flipped":
        return f"<b>{_e(c['notebook'])}</b>: now “{_e(c['now'])}” (was “{_e(c['before'])}”)"
    if kind == "number moved":
        return f"<b>{_e(c['notebook'])}</b>: {_e(c['now_text'])} (was {_e(c['before_text'])})"
    if kind == "new alert":
        return f"<b>New alert</b> in {_e(c['notebook'])}: {_e(c['now'])}"
    if kind == "alert cleared":
        return f"<b>Alert cleared</b> in {_e(c['notebook'])}: {_e(c['before'])}"
    return f"<b>{_e(c['notebook'])}</b>: new decision “{_e(c['now'])}”"


def render_html(brief: Brief, currency: str = "$") -> str:
    """The brief as one self-contained page: reads on a phone and prints on two sides of A4."""
    from playbook.report import CSS_PATH

    meta = brief.meta
    rows = []
    for i, d in enumerate(brief.decisions, 1):
        money = fmt.money(d.money_at_stake, currency) if d.money_at_stake is not None else ""
        tone = " pb-brief-failed" if d.status != "succeeded" else ""
        stale = ' <span class="pb-brief-stale">stale data</span>' if d.stale else ""
        link = f'<a href="{_e(d.link)}">{_e(d.title)}{(" · " + _e(d.section)) if d.section else ""}</a>' if d.link else _e(d.title)
        rows.append(
            f'<li class="pb-brief-item{tone}"><div class="pb-brief-rank">{i}</div><div class="pb-brief-body">'
            f'<p class="pb-brief-decision">{_e(d.decision)}{stale}</p>'
            f'<p class="pb-brief-evidence"><b>Evidence:</b> {_e(d.evidence) or "–"}</p>'
            f'<p class="pb-brief-risk"><b>Risk:</b> {_e(d.risk)}</p>'
            f'<p class="pb-brief-link">{link}{(" · at stake " + _e(money)) if money else ""}</p></div></li>'
        )
    if meta.get("compared_with"):
        listed = "".join(f"<li>{_change_text(c)}</li>" for c in brief.changes) or "<li>Nothing changed beyond its uncertainty.</li>"
        changes_html = f'<h2>What changed since {_e(compared_run(meta["compared_with"]))}</h2><ul class="pb-brief-changes">{listed}</ul>'
    else:
        changes_html = '<h2>What changed</h2><p class="pb-note">No earlier successful run to compare with: this is the first brief.</p>'
    banners = []
    if meta.get("failed_notebooks"):
        banners.append(f'<div class="pb-banner pb-banner-danger">Failed reports: {_e(", ".join(meta["failed_notebooks"]))}. '
                       "Their lines below say no decision; do not act on their previous numbers.</div>")
    if meta.get("stale_notebooks"):
        banners.append(f'<div class="pb-banner pb-banner-warning">Stale data in: {_e(", ".join(meta["stale_notebooks"]))}. '
                       "Those decisions describe an older period; see each report's banner.</div>")
    period = meta.get("data_period")
    chips = [f"Run {_e(str(meta.get('started_at') or meta.get('run_id'))[:16].replace('T', ' '))}"]
    if period:
        chips.append(f"Data {_e(period[0])} to {_e(period[1])}")
    if meta.get("interval"):
        chips.append(f"Intervals: {_e(fmt.interval_label(meta['interval']) if isinstance(meta['interval'], float) else meta['interval'])}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Weekly brief · {_e(meta.get("run_id"))}</title>
<style>{CSS_PATH.read_text()}{(CSS_PATH.parent / "report.css").read_text()}{BRIEF_CSS}</style></head>
<body class="pb-report pb-brief">
<header class="pb-header"><div class="pb-kicker">Marketing analytics playbook</div>
<h1 class="pb-title">This week's decisions</h1>
<div class="pb-chips">{"".join(f'<span class="pb-chip">{c}</span>' for c in chips)}</div></header>
{"".join(banners)}
<ol class="pb-brief-list">{"".join(rows)}</ol>
{changes_html}
<footer class="pb-footer">Failed reports first, then ranked by money at stake (lines without an amount last). Each line links to the report section it comes from.
<a href="index.html">All reports</a> · <a href="brief.json">brief.json</a></footer>
</body></html>
"""


BRIEF_CSS = """
.pb-brief-list{list-style:none;padding:0;margin:1em 0}
.pb-brief-item{display:flex;gap:.8em;border:1px solid #E5E7EB;border-radius:8px;padding:.7em 1em;margin:.6em 0;break-inside:avoid}
.pb-brief-failed{border:2px solid #F04438;background:#FFFBFA}
.pb-brief-rank{font-weight:700;font-size:1.3em;color:#0072B2;min-width:1.4em}
.pb-brief-body{min-width:0;overflow-wrap:anywhere}
.pb-brief-body p{margin:.15em 0}.pb-brief-decision{font-weight:600;font-size:1.05em}
.pb-brief-evidence,.pb-brief-risk,.pb-brief-link{font-size:.92em;color:#374151}
.pb-brief-stale{font-size:.75em;background:#FEF0C7;color:#93370D;border-radius:999px;padding:.1em .6em;margin-left:.4em;font-weight:600}
.pb-brief-changes li{margin:.3em 0}
@media (max-width:600px){body.pb-brief{padding:0 .8em 2em}.pb-brief-item{padding:.6em .7em}.pb-title{font-size:1.5em}}
@media print{@page{size:A4;margin:14mm}body.pb-brief{max-width:none;padding:0;font-size:10pt}
.pb-brief-item{padding:.4em .6em;margin:.35em 0}.pb-header{padding:.4em 0 .5em}a{color:inherit;text-decoration:none}
h2{break-after:avoid}}
"""
