"""Results JSON: the machine-readable side of every report, written atomically.

Every ``<name>.json`` has ``meta`` (notebook, schema version, time, data period, interval mass,
freshness), ``headline`` (the index page's tiles), ``warnings`` (what the data broke and what was
done about it), then the notebook's own keys. The keys an issue names are a public interface:
extend, never rename.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SCHEMA_VERSION = 2
#: Reports whose data end more than this many days before the run are stale (a notebook parameter).
DEFAULT_MAX_DATA_AGE_DAYS = 14
#: Keys every results JSON reserves for itself.
RESERVED_KEYS = ("meta", "headline", "warnings")


@dataclass(frozen=True)
class DataWarning:
    """An assumption the data broke: which ``file``, which ``rows``, what ``assumption``, what ``action`` was taken.

    ``rows`` is a short description ("region north, 2024-03-01", "3 rows") or a count.
    """

    file: str
    rows: str
    assumption: str
    action: str

    def sentence(self) -> str:
        """One plain sentence for the report's warning banner."""
        where = f"{self.file} ({self.rows})" if self.rows else self.file
        return f"{where}: {self.assumption.rstrip('.')}. {self.action.rstrip('.')}."


@dataclass(frozen=True)
class Freshness:
    """How old the data are on the run date: ``data_end``, ``data_age_days`` and ``stale`` (beyond ``max_age_days``)."""

    data_end: str | None
    data_age_days: int | None
    stale: bool
    max_age_days: int
    run_date: str = field(default="")

    def sentence(self) -> str:
        """The stale-data banner text, or ``''`` when the data are fresh or undated."""
        if not self.stale or self.data_end is None:
            return ""
        return (f"The data end {self.data_end}, {self.data_age_days:,} days before this run ({self.run_date}); "
                f"more than the {self.max_age_days} days allowed. Numbers describe that period, not today.")


def freshness(data_end: Any, max_age_days: int = DEFAULT_MAX_DATA_AGE_DAYS, today: _dt.date | None = None) -> Freshness:
    """The age of the data in days on ``today`` (default: the local date) and whether it exceeds ``max_age_days``."""
    today = today or _dt.date.today()
    if data_end is None or (isinstance(data_end, float) and math.isnan(data_end)):
        return Freshness(None, None, False, int(max_age_days), today.isoformat())
    end = pd.Timestamp(data_end).date()
    age = (today - end).days
    return Freshness(end.isoformat(), age, age > max_age_days, int(max_age_days), today.isoformat())


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
    try:
        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
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


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` via a temporary file and rename, so readers never see half a page."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
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


def payload(
    name: str,
    results: Mapping[str, Any],
    headline: Sequence[Any] = (),
    data_period: tuple[Any, Any] | None = None,
    interval: float | None = None,
    warnings: Sequence[DataWarning] = (),
    max_data_age_days: int = DEFAULT_MAX_DATA_AGE_DAYS,
    today: _dt.date | None = None,
    scope: str | None = None,
) -> dict[str, Any]:
    """The whole results document of notebook ``name`` (what :func:`save` writes); ``scope`` is the report's scope line."""
    reserved = set(RESERVED_KEYS) & set(results)
    if reserved:
        raise ValueError(f"results may not use the reserved keys {sorted(reserved)}")
    fresh = freshness(data_period[1] if data_period else None, max_data_age_days, today)
    return {
        "meta": {
            "notebook": name,
            "schema_version": SCHEMA_VERSION,
            "generated_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "data_period": list(data_period) if data_period else None,
            "interval": interval,
            "data_end": fresh.data_end,
            "data_age_days": fresh.data_age_days,
            "stale": fresh.stale,
            "max_data_age_days": fresh.max_age_days,
            "scope": scope,
        },
        "headline": [asdict(t) if is_dataclass(t) else dict(t) for t in headline],
        "warnings": [asdict(w) for w in warnings],
        **results,
    }


def save(name: str, document: Mapping[str, Any], output_dir: str | Path) -> Path:
    """Write ``document`` (from :func:`payload`) to ``<output_dir>/<name>.json`` atomically; return the path."""
    return write_json_atomic(document, Path(output_dir) / f"{name}.json")


def side_file(output_dir: str | Path, filename: str) -> Path:
    """Path for an extra artefact written beside the report (for example ``personas.csv``)."""
    path = Path(output_dir) / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
