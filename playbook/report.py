"""In-notebook helpers for stakeholder reports: summaries, KPI tiles, cards, tables, results JSON.

Every helper that shows something displays it and returns ``None`` (so a call on a cell's last
line does not echo a second copy); with ``show=False`` it returns the ``IPython.display.HTML``
object instead, for tests and composition. Notebooks read as a list of calls. The CSS lives in
``templates/playbook/playbook.css``; the rendered report embeds it, and :func:`setup` shows it
inside JupyterLab so analysts see what stakeholders see.
"""

from __future__ import annotations

import html
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from playbook import fmt, results

CSS_PATH = Path(__file__).parent / "templates" / "playbook" / "playbook.css"


# --------------------------------------------------------------------------- display


def _display(obj: Any, show: bool) -> Any:
    if not show:
        return obj
    from IPython.display import display

    display(obj)
    return None


def _html(markup: str, show: bool):
    from IPython.display import HTML

    return _display(HTML(markup), show)


def setup(quiet: bool = True, show: bool = True):
    """Apply the plotting theme, silence library chatter and show the report CSS.

    Call once in the first code cell after the parameters.
    """
    from playbook import theme

    theme.apply()
    if quiet:
        warnings.filterwarnings("ignore")
        os.environ.setdefault("TQDM_DISABLE", "1")
        import logging

        # PyMC gives its logger an INFO level and a handler on import unless the root logger
        # has a handler; a NullHandler on root keeps sampling chatter out of reports.
        if not logging.root.handlers:
            logging.root.addHandler(logging.NullHandler())
        for name in ("pymc", "pytensor", "pymc_marketing", "numba", "jax", "arviz"):
            logging.getLogger(name).setLevel(logging.ERROR)
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)
    return _html(f"<style>{CSS_PATH.read_text()}</style>", show)


def summary(findings: Iterable[str], title: str = "Key findings", show: bool = True):
    """The executive-summary box: one bullet per finding (plain text or inline HTML)."""
    items = "".join(f"<li>{f}</li>" for f in findings)
    return _html(f'<div class="pb-summary"><div class="pb-summary-title">{html.escape(title)}</div><ul>{items}</ul></div>', show)


@dataclass
class Tile:
    """A headline number: ``label`` above, ``value`` large, ``detail`` (interval, delta) below."""

    label: str
    value: str
    detail: str = ""
    tone: str = ""  # "", "good", "bad" or "warn"


def tiles_html(items: Sequence[Tile]) -> str:
    """The markup of a row of headline tiles (shared by reports and the run's index page)."""
    cells = []
    for t in items:
        tone = f" pb-{t.tone}" if t.tone else ""
        detail = f'<div class="pb-tile-detail">{t.detail}</div>' if t.detail else ""
        cells.append(
            f'<div class="pb-tile{tone}"><div class="pb-tile-label">{html.escape(t.label)}</div>'
            f'<div class="pb-tile-value">{html.escape(t.value)}</div>{detail}</div>'
        )
    return f'<div class="pb-tiles">{"".join(cells)}</div>'


def tiles(items: Sequence[Tile], show: bool = True):
    """A row of headline KPI tiles."""
    return _html(tiles_html(items), show)


def banner(text: str, level: str = "info", show: bool = True):
    """A full-width message: ``level`` is ``info``, ``warning``, ``danger`` or ``success``."""
    if level not in {"info", "warning", "danger", "success"}:
        raise ValueError(f"banner level must be info, warning, danger or success, got {level!r}")
    return _html(f'<div class="pb-banner pb-banner-{level}">{text}</div>', show)


def insight(text: str, show: bool = True):
    """The one-sentence takeaway that opens a card (Meridian's pattern: insight, chart, note)."""
    return _html(f'<p class="pb-insight">{text}</p>', show)


def note(text: str, show: bool = True):
    """The plain-language 'how to read this' caption under a chart or table."""
    return _html(f'<p class="pb-note"><b>How to read this:</b> {text}</p>', show)


def card(insight_text: str, fig=None, note_text: str | None = None, show: bool = True):
    """Insight sentence, then the figure, then the reading note; closes the figure after showing it.

    With ``show=False`` returns the list of display objects instead.
    """
    out = [insight(insight_text, show=show)]
    if fig is not None:
        out.append(_display(fig, show))
        import matplotlib.pyplot as plt

        plt.close(fig)
    if note_text:
        out.append(note(note_text, show=show))
    return None if show else out


def table(
    frame: pd.DataFrame,
    formats: Mapping[str, Any] | None = None,
    caption: str | None = None,
    index: bool = False,
    max_rows: int = 50,
    headers: Mapping[str, str] | None = None,
    show: bool = True,
):
    """A readable HTML table: formatted columns, right-aligned numbers, at most ``max_rows`` rows.

    ``formats`` maps a column to a format string (``"{:.1%}"``) or a callable (``fmt.money``…);
    ``headers`` maps a column to the human header shown (``"prob_best"`` → ``"P(best)"``): tables
    in a report's main body show human headers with units, identifiers stay in the JSON.
    """
    frame = frame.head(max_rows).copy()
    formats = dict(formats or {})
    for col in frame.columns:
        f = formats.get(col)
        if f is None:
            if pd.api.types.is_float_dtype(frame[col]):
                f = lambda v: fmt.number(v, 2) if abs(v) < 100 else fmt.number(v)  # noqa: E731
            elif pd.api.types.is_integer_dtype(frame[col]):
                f = fmt.count
            elif pd.api.types.is_datetime64_any_dtype(frame[col]):
                f = fmt.date
        if f is not None:
            fn = f.format if isinstance(f, str) else f
            frame[col] = frame[col].map(lambda v, fn=fn: fmt.MISSING if fmt.is_missing(v) else fn(v))
    if headers:
        frame = frame.rename(columns=dict(headers))
    markup = frame.to_html(index=index, escape=True, border=0, classes="pb-table", na_rep=fmt.MISSING)
    if caption:
        markup = f'<div class="pb-table-caption">{html.escape(caption)}</div>' + markup
    return _html(f'<div class="pb-table-wrap">{markup}</div>', show)


def data_banners(
    warnings: Sequence[results.DataWarning] = (),
    data_end: Any = None,
    max_data_age_days: int = results.DEFAULT_MAX_DATA_AGE_DAYS,
    scope: str | None = None,
    show: bool = True,
):
    """What opens a report: the scope line (which measure, whose, which period; plain text from the room's
    ``narrative.scope``), then the banners: stale data (warning) and every named data warning.

    Shows nothing when no scope is given, the data are fresh and no assumption was broken.
    """
    parts = [scope_html(scope)] if scope else []
    stale = results.freshness(data_end, max_data_age_days).sentence()
    if stale:
        parts.append(f'<div class="pb-banner pb-banner-warning"><b>Stale data.</b> {html.escape(stale)}</div>')
    if warnings:
        items = "".join(f"<li>{html.escape(w.sentence())}</li>" for w in warnings)
        title = "One data warning" if len(warnings) == 1 else f"{len(warnings)} data warnings"
        parts.append(f'<div class="pb-banner pb-banner-warning"><b>{title}</b>: the report ran, '
                     f"with these adjustments.<ul>{items}</ul></div>")
    if not parts:
        return None
    return _html("".join(parts), show)


def scope_html(text: str) -> str:
    """The markup of a report's scope line (``text`` is plain text and is escaped)."""
    return f'<p class="pb-scope">{html.escape(text)}</p>'


def glossary(terms: Mapping[str, str], show: bool = True):
    """A definition list of the terms the report uses (for the appendix); each term gets an anchor ``#term-<slug>``."""
    import re

    rows = "".join(
        f'<dt id="term-{re.sub(r"[^a-z0-9]+", "-", k.lower()).strip("-")}">{html.escape(k)}</dt><dd>{html.escape(v)}</dd>'
        for k, v in terms.items()
    )
    return _html(f'<dl class="pb-glossary">{rows}</dl>', show)


# --------------------------------------------------------------------------- results JSON

to_jsonable = results.to_jsonable
write_json_atomic = results.write_json_atomic
read_json = results.read_json
side_file = results.side_file


def save_results(
    name: str,
    values: Mapping[str, Any],
    output_dir: str | Path,
    headline: Sequence[Tile] = (),
    data_period: tuple[Any, Any] | None = None,
    interval: float | None = None,
    warnings: Sequence[results.DataWarning] = (),
    max_data_age_days: int = results.DEFAULT_MAX_DATA_AGE_DAYS,
    scope: str | None = None,
    show: bool = True,
) -> Path:
    """Write ``<output_dir>/<name>.json``: the notebook's key results, machine-readable.

    ``values`` holds the keys that schedulers and dashboards read (documented per notebook);
    ``headline`` tiles feed the index page; ``data_period`` (first, last date of the data used),
    ``interval`` (the mass of every interval), ``scope`` (the report's scope line) and the data's freshness
    go under ``"meta"``; ``warnings`` under ``"warnings"``. Returns the path written (end the notebook's last line
    with ``;`` to keep it out of the report).
    """
    document = results.payload(name, values, headline, data_period, interval, warnings, max_data_age_days, scope=scope)
    path = results.save(name, document, output_dir)
    if show:
        _html(f'<p class="pb-note">Key results saved as <code>{html.escape(path.name)}</code>.</p>', True)
    return path
