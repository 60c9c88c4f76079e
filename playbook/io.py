"""Find and load input files (CSV or Parquet) and validate them against their contracts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from playbook.contracts import (
    CONTRACTS,
    Contract,
    ContractError,
    ContractErrors,
    DataRule,
    MissingInputError,
    Violation,
    as_text,
    contract,
    describe_requirement,
    distinct_values,
    label_merges,
    satisfied,
    table_names,
    text_columns,
    validate,
)
from playbook.results import DataWarning

EXTENSIONS = (".parquet", ".csv")
#: Cells read as missing outside text columns: pandas' default missing-value spellings.
NA_STRINGS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
              "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")
#: CSV files larger than this are read with DuckDB's multi-threaded reader.
DUCKDB_THRESHOLD_BYTES = 50 * 1024 * 1024


def find(name: str, data_dir: str | Path) -> Path | None:
    """Path of ``<name>.parquet`` or ``<name>.csv`` in ``data_dir`` (Parquet wins), else ``None``."""
    contract(name)
    for ext in EXTENSIONS:
        path = Path(data_dir) / f"{name}{ext}"
        if path.is_file():
            return path
    return None


def available(data_dir: str | Path) -> dict[str, Path]:
    """Every input file in ``data_dir`` that has a contract, by contract name."""
    out = {}
    for name in CONTRACTS:
        path = find(name, data_dir)
        if path is not None:
            out[name] = path
    return out


def read_table(path: str | Path, contract: Contract | str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file without validating it; large CSVs go through DuckDB.

    The columns its contract declares as text (identifiers such as ``customer_id``, labels such as
    ``region``) are read as text by every path: ``00001`` stays ``00001``, and in them only an empty
    cell is missing (``NA`` may be North America). Other columns keep pandas' missing-value
    spellings (:data:`NA_STRINGS`). ``contract`` defaults to the one named like the file
    (``orders.csv`` → ``orders``); a file without one is read with inferred types.
    """
    path = Path(path)
    if contract is None:
        contract = CONTRACTS.get(path.stem)
    elif isinstance(contract, str):
        contract = CONTRACTS[contract]
    wanted = set(text_columns(contract)) if contract is not None else set()
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            for col in wanted & set(frame.columns):
                frame[col] = as_text(frame[col])
            return frame
        header = [str(c) for c in pd.read_csv(path, nrows=0).columns]
        text = [c for c in header if c in wanted]
        if path.stat().st_size > DUCKDB_THRESHOLD_BYTES:
            return _read_csv_duckdb(path, text)
        na = {c: ([""] if c in text else list(NA_STRINGS)) for c in header}
        return pd.read_csv(path, dtype=dict.fromkeys(text, str), keep_default_na=False, na_values=na, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, ValueError) as err:
        raise ContractError(path, [Violation("(file)", f"must be a readable {path.suffix[1:].upper()} file with a header row: {err}")]) from None


def _read_csv_duckdb(path: Path, text: list[str]) -> pd.DataFrame:
    """A large CSV through DuckDB's multi-threaded reader, ``text`` columns as VARCHAR, missing cells as :func:`read_table` reads them."""
    import duckdb

    types = ", ".join(f"'{c}': 'VARCHAR'" for c in text)  # contract column names: snake_case, nothing to escape
    with duckdb.connect() as con:
        frame = con.execute(f"SELECT * FROM read_csv(?, header=true, types={{{types}}})", [str(path)]).df()
    for col in frame.columns:  # DuckDB reads only empty cells as NULL; elsewhere NA, null … are missing too
        if col not in text and pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].where(~frame[col].isin(NA_STRINGS))
    return frame


def load(name: str, data_dir: str | Path, merge_label_variants: bool = False) -> pd.DataFrame:
    """Load and validate input ``name`` from ``data_dir``; raise if it is missing or invalid.

    With ``merge_label_variants``, spellings of one label (``BOLT``, ``Bolt``) are merged into the
    most frequent one instead of refused; :func:`loaded_warnings` then names each merge.
    """
    path = find(name, data_dir)
    if path is None:
        raise MissingInputError(data_dir, f"{name}.csv (or .parquet)", [p.name for p in available(data_dir).values()])
    frame = validate(read_table(path, name), contract(name), path, merge_label_variants=merge_label_variants)
    frame.attrs["source"] = path.name
    return frame


def load_optional(name: str, data_dir: str | Path, merge_label_variants: bool = False) -> pd.DataFrame | None:
    """Like :func:`load`, but ``None`` when the file is absent (invalid files still raise)."""
    return load(name, data_dir, merge_label_variants) if find(name, data_dir) is not None else None


def loaded_warnings(*frames: pd.DataFrame | None) -> list[DataWarning]:
    """The data warnings loading made on ``frames`` (labels merged), for the report's banner and results JSON."""
    out = []
    for frame in frames:
        if frame is None:
            continue
        for m in label_merges(frame):
            others = ", ".join(repr(s) for s in m.spellings if s != m.into)
            out.append(DataWarning(
                frame.attrs.get("source", "input"), f"{m.rows:,} row{'s' if m.rows != 1 else ''} of {m.column}",
                f"{others} and {m.into!r} are spellings of one {m.column}", f"merged into {m.into!r} (merge_label_variants)",
            ))
    return out


def rows_until(frame: pd.DataFrame, end, date_col: str) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Rows of ``frame`` dated on or before ``end`` (default: the last date), dates normalized to days.

    Returns ``(rows, end)``; raises ``ValueError`` when no row is left. Used to cut an order book at
    its observation end so that nothing after it leaks into an analysis.
    """
    dates = pd.to_datetime(frame[date_col]).dt.normalize()
    end = dates.max() if end is None else pd.Timestamp(end).normalize()
    keep = (dates <= end).to_numpy()
    if not keep.any():
        raise ValueError(f"no orders on or before observation_end {end.date()} (column {date_col!r})")
    out = frame.loc[keep].copy()
    out[date_col] = dates[keep]
    return out, end


def load_yaml(filename: str, data_dir: str | Path) -> dict | None:
    """Parse ``<data_dir>/<filename>`` as YAML (a mapping); ``None`` when the file is absent."""
    path = Path(data_dir) / filename
    if not path.is_file():
        return None
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ContractError(path, [Violation("(file)", f"must be valid YAML: {err}")]) from None
    if not isinstance(data, dict):
        raise ContractError(path, [Violation("(file)", f"must be a YAML mapping, found {type(data).__name__}")])
    return data


def check_requirements(requirements: list[str], data_dir: str | Path, purpose: str = "", optional: list[str] = ()) -> dict[str, Path]:
    """Resolve requirement expressions (see :mod:`playbook.contracts`) against ``data_dir``.

    Returns the files to validate: every present file that a requirement or ``optional`` names
    (so an invalid optional file is caught before anything runs, not halfway through a notebook).
    Raises :class:`MissingInputError` when a requirement is unmet.
    """
    have = available(data_dir)
    chosen: dict[str, Path] = {}
    for expr in requirements:
        if satisfied(expr, have) is None:
            needed = describe_requirement(expr) + (f" (for {purpose})" if purpose else "")
            raise MissingInputError(data_dir, needed, [p.name for p in have.values()])
        chosen.update({n: have[n] for n in sorted(table_names(expr)) if n in have})
    for name in optional:
        contract(name)
        if name in have:
            chosen[name] = have[name]
    return chosen


@dataclass(frozen=True)
class TableFacts:
    """What the checks before a run need to know of a validated file: its columns and the values of some."""

    path: Path
    columns: tuple[str, ...]
    #: distinct values (as text, labels merged where asked) of the columns asked for that the file has
    values: dict[str, list[str]] = field(default_factory=dict)
    #: per data rule asked for, its summary of the validated frame (``rule.summarize(frame)``)
    summaries: dict[DataRule, object] = field(default_factory=dict)


def validate_files(
    files: dict[str, Path],
    merge_label_variants: Iterable[str] = (),
    values_of: Mapping[str, Iterable[str]] | None = None,
    rules_of: Mapping[str, Iterable[DataRule]] | None = None,
) -> dict[str, TableFacts]:
    """Validate each file against its contract; raise one error listing every broken file.

    Files named in ``merge_label_variants`` may hold spellings of one label (they will be merged).
    Returns each file's :class:`TableFacts`, with the distinct values of the columns ``values_of``
    names per contract (``{"market": ["brand"]}``), read after any label merge, and the summary each
    data rule of ``rules_of`` (per contract) makes of the validated frame.
    Raises the file's :class:`ContractError`, or :class:`ContractErrors` when several break.
    """
    errors = []
    facts: dict[str, TableFacts] = {}
    merge = set(merge_label_variants)
    wanted = {name: set(cols) for name, cols in (values_of or {}).items()}
    for name, path in files.items():
        try:
            frame = validate(read_table(path, name), contract(name), path, merge_label_variants=name in merge)
        except ContractError as err:
            errors.append(err)
            continue
        seps = {c.name: c.label_sep for c in contract(name).columns}
        values = {col: distinct_values(frame[col], seps.get(col)) for col in sorted(wanted.get(name, ())) if col in frame.columns}
        summaries = {rule: rule.summarize(frame) for rule in (rules_of or {}).get(name, ())}
        facts[name] = TableFacts(Path(path), tuple(map(str, frame.columns)), values, summaries)
    if errors:
        raise errors[0] if len(errors) == 1 else ContractErrors(errors)
    return facts
