"""In-notebook helpers for stakeholder reports: summaries, KPI tiles, cards, tables, results JSON.

Every helper that shows something displays it and returns ``None`` (so a call on a cell's last
line does not echo a second copy); with ``show=False`` it returns the ``IPython.display.HTML``
object instead, for tests and composition. Notebooks read as a list of calls. The CSS lives in
``templates/playbook/playbook.css``; the rendered report embeds it, and :func:`setup` shows it
inside JupyterLab so analysts see what stakeholders see.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

CSS_PATH = Path(__file__).parent / "templates" / "playbook" / "playbook.css"
RESULTS_SCHEMA_VERSION = 1


# --------------------------------------------------------------------------- formatting


def fmt_number(x: float | None, digits: int = 0) -> str:
    """``1234567`` → ``'1.23M'``; small numbers keep ``digits`` decimals; ``None``/NaN → ``'–'``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    ax = abs(float(x))
    if ax >= 1e4:
        rounded = float(f"{float(x):.3g}")  # three significant digits: 12.3k, 123k, 1.23M
        for bound, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(rounded) >= bound:
                return f"{rounded / bound:.3g}{suffix}" if abs(rounded) < bound * 1000 else f"{rounded / bound:,.0f}{suffix}"
    return f"{x:,.{digits}f}"


def fmt_money(x: float | None, currency: str = "$", digits: int = 0) -> str:
    """Money with a currency symbol and k/M/B suffixes: ``fmt_money(1.5e6)`` → ``'$1.5M'``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    sign = "-" if x < 0 else ""
    return f"{sign}{currency}{fmt_number(abs(x), digits)}"


def fmt_pct(x: float | None, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: ``fmt_pct(0.1234)`` → ``'12.3%'``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x * 100:+.{digits}f}%" if signed else f"{x * 100:.{digits}f}%"


def fmt_pp(x: float | None, digits: int = 1) -> str:
    """A difference of two shares in percentage points: ``fmt_pp(0.021)`` → ``'+2.1 pp'``."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x * 100:+.{digits}f} pp"


def fmt_interval(low: float, high: float, fmt=fmt_number, **kwargs: Any) -> str:
    """A credible / confidence interval as ``'[low, high]'`` with the given formatter."""
    return f"[{fmt(low, **kwargs)}, {fmt(high, **kwargs)}]"


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
    show: bool = True,
):
    """A readable HTML table: formatted columns, right-aligned numbers, at most ``max_rows`` rows.

    ``formats`` maps a column to a format string (``"{:.1%}"``) or a callable.
    """
    frame = frame.head(max_rows).copy()
    formats = dict(formats or {})
    for col in frame.columns:
        f = formats.get(col)
        if f is None:
            if pd.api.types.is_float_dtype(frame[col]):
                f = lambda v: fmt_number(v, 2) if abs(v) < 100 else fmt_number(v)  # noqa: E731
            elif pd.api.types.is_integer_dtype(frame[col]):
                f = "{:,}"
            elif pd.api.types.is_datetime64_any_dtype(frame[col]):
                f = lambda v: v.strftime("%Y-%m-%d")  # noqa: E731
        if f is not None:
            fn = f.format if isinstance(f, str) else f
            frame[col] = frame[col].map(lambda v, fn=fn: "–" if _isnull(v) else fn(v))
    markup = frame.to_html(index=index, escape=True, border=0, classes="pb-table", na_rep="–")
    if caption:
        markup = f'<div class="pb-table-caption">{html.escape(caption)}</div>' + markup
    return _html(f'<div class="pb-table-wrap">{markup}</div>', show)


def _isnull(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- results JSON


def to_jsonable(obj: Any) -> Any:
    """Convert numpy/pandas scalars, arrays, frames, dates and dataclasses into JSON-safe values.

    NaN and infinities become ``None`` (JSON has no NaN).
    """
    if is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, np.ndarray, pd.Index)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (pd.Timestamp, _dt.datetime)):
        return obj.isoformat() if (obj.hour or obj.minute or obj.second) else obj.strftime("%Y-%m-%d")
    if isinstance(obj, _dt.date):
        return obj.isoformat()
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        value = float(obj)
        return value if math.isfinite(value) else None
    if obj is None or isinstance(obj, (str, int)):
        return obj
    if _isnull(obj):
        return None
    return str(obj)


def write_json_atomic(data: Any, path: str | Path) -> Path:
    """Write JSON to ``path`` via a temporary file and rename, so readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(to_jsonable(data), fh, indent=2, allow_nan=False)
            fh.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_json(path: str | Path) -> Any:
    """The parsed JSON file at ``path``, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def save_results(
    name: str,
    results: Mapping[str, Any],
    output_dir: str | Path,
    headline: Sequence[Tile] = (),
    data_period: tuple[Any, Any] | None = None,
    show: bool = True,
) -> Path:
    """Write ``<output_dir>/<name>.json``: the notebook's key results, machine-readable.

    ``results`` holds the keys that schedulers and dashboards read (documented per notebook).
    ``headline`` tiles are stored under ``"headline"`` for the index page; ``data_period``
    (first, last date of the data used) under ``"meta"``. Returns the path written (end the
    notebook's last line with ``;`` to keep it out of the report).
    """
    reserved = {"meta", "headline"} & set(results)
    if reserved:
        raise ValueError(f"results may not use the reserved keys {sorted(reserved)}")
    payload = {
        "meta": {
            "notebook": name,
            "schema_version": RESULTS_SCHEMA_VERSION,
            "generated_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "data_period": list(data_period) if data_period else None,
        },
        "headline": [asdict(t) for t in headline],
        **results,
    }
    path = write_json_atomic(payload, Path(output_dir) / f"{name}.json")
    if show:
        _html(f'<p class="pb-note">Key results saved as <code>{html.escape(path.name)}</code>.</p>', True)
    return path


def side_file(output_dir: str | Path, filename: str) -> Path:
    """Path for an extra artefact written beside the report (for example ``personas.csv``)."""
    path = Path(output_dir) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
