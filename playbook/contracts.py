"""Data contracts: one declared schema per input file, and validation with clear errors.

A contract names the required columns (first) and the optional ones, their kinds and rules.
:func:`validate` returns a cleaned frame (dates parsed, numbers numeric) or raises a
:class:`ContractError` that names the file, the column, the rule broken and a few offending
rows with their line numbers in the file. ``data/README.md`` documents the same contracts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_ROWS_SHOWN = 5


@dataclass(frozen=True)
class Column:
    """One column of a contract.

    ``kind``: ``date`` (ISO date), ``datetime`` (ISO timestamp), ``str``, ``int``, ``float``
    or ``binary`` (0/1). ``min`` is an inclusive lower bound for numbers.
    """

    name: str
    kind: str
    required: bool = True
    min: float | None = None
    unique: bool = False
    nullable: bool = False
    doc: str = ""
    #: a label (brand, region, channel, variant, segment): spellings that differ only in case,
    #: spacing or punctuation are refused, or merged when the run asks for it
    label: bool = False
    #: for a label column that holds several labels per value (a path "a > b"), their separator
    label_sep: str | None = None


@dataclass(frozen=True)
class Companions:
    """Columns that go together: a file with one of them must have all of them.

    ``hint`` says what to do when one is missing (what to export, or how the analysis would
    otherwise proceed); it ends the error message. Declared on a contract as
    ``Contract(..., companions=(Companions(("revenue_sum", "revenue_sum_sq"), hint="..."),))``.
    """

    columns: tuple[str, ...]
    hint: str = ""

    def violation(self, present: Iterable[str]) -> Violation | None:
        """The broken rule when some but not all of the columns are in ``present``, else ``None``."""
        have = [c for c in self.columns if c in set(present)]
        lacking = [c for c in self.columns if c not in have]
        if not have or not lacking:
            return None
        rule = f"{self.describe()}: the file has {_and(have)} but not {_and(lacking)}"
        return Violation(", ".join(lacking), rule + (f"; {self.hint}" if self.hint else ""))

    def describe(self) -> str:
        """The rule in words: ``'revenue_sum and revenue_sum_sq go together'``."""
        return f"{_and(self.columns)} go together"


def _and(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class Contract:
    """The schema of one input file. Columns it does not name are allowed (controls, segments)
    as long as their names are snake_case."""

    name: str
    doc: str
    columns: tuple[Column, ...]
    #: numeric columns matched by prefix (e.g. ``spend_`` → every ``spend_<channel>`` column)
    prefixed: tuple[tuple[str, Column], ...] = ()
    #: column sets that must be unique together (only the columns present are used)
    unique_together: tuple[str, ...] = ()
    #: extra whole-frame checks: callables returning a list of Violations
    checks: tuple[Callable[[pd.DataFrame], list[Violation]], ...] = ()
    #: text columns the contract does not name are labels too (A/B segments, customer attributes)
    open_labels: bool = False
    #: groups of columns that go together (one present requires the others), see :class:`Companions`
    companions: tuple[Companions, ...] = ()

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def optional(self) -> list[str]:
        return [c.name for c in self.columns if not c.required]


@dataclass
class Violation:
    """One broken rule: which column, which rule, which rows (as a small frame)."""

    column: str
    rule: str
    rows: pd.DataFrame | None = None
    count: int = 0

    def render(self) -> str:
        lines = [f"  column: {self.column}", f"  rule:   {self.rule}"]
        if self.rows is not None and len(self.rows):
            shown = self.rows.head(MAX_ROWS_SHOWN)
            lines.append(f"  {self.count} offending row(s); first {len(shown)} (line = line in the file):")
            lines.extend("    " + ln for ln in shown.to_string(index=False).splitlines())
        return "\n".join(lines)


class ContractError(ValueError):
    """An input file breaks its data contract. ``str(err)`` is a complete, readable report."""

    headline = "data contract violated"

    def __init__(self, file: str | Path, violations: list[Violation]):
        self.file = str(file)
        self.violations = violations
        parts = [f"{self.headline}: {self.file}"]
        parts += [v.render() for v in violations]
        super().__init__("\n".join(parts))


class MissingInputError(ContractError):
    """A required input file is absent."""

    headline = "input file missing in"

    def __init__(self, data_dir: str | Path, needed: str, present: Iterable[str]):
        present = sorted(present)
        rule = f"needs {needed}; found {', '.join(present) if present else 'no input files'}"
        super().__init__(data_dir, [Violation(column="(file)", rule=rule)])


class ContractErrors(ContractError):
    """Several files break their contracts; the message lists them all."""

    def __init__(self, errors: list[ContractError]):
        self.errors = list(errors)
        self.file = ", ".join(e.file for e in errors)
        self.violations = [v for e in errors for v in e.violations]
        ValueError.__init__(self, "\n\n".join(str(e) for e in errors))


def _offending(frame: pd.DataFrame, mask: pd.Series, columns: Iterable[str]) -> pd.DataFrame:
    cols = [c for c in dict.fromkeys(columns) if c in frame.columns]
    rows = frame.loc[mask, cols].copy()
    rows.insert(0, "line", rows.index.to_numpy() + 2)  # +1 header, +1 one-based
    return rows


def identifying_columns(contract: Contract) -> list[str]:
    """The columns that say which row is which, shown beside every offending row.

    The unique id (``order_id``), else the columns unique together (``period, region, brand, …``
    for ``market.csv``), else the required text and date columns (``journey_id, timestamp, channel``).
    """
    unique = [c.name for c in contract.columns if c.unique]
    if unique or contract.unique_together:
        return list(dict.fromkeys([*unique[:1], *contract.unique_together]))
    return [c.name for c in contract.columns if c.required and c.kind in ("str", "date", "datetime")]


def _coerce(frame: pd.DataFrame, col: Column, key: list[str]) -> tuple[pd.Series, list[Violation]]:
    raw = frame[col.name]
    present = raw.notna() & (raw.astype(str).str.strip() != "")
    problems: list[Violation] = []
    if col.kind in ("date", "datetime"):
        if pd.api.types.is_datetime64_any_dtype(raw):
            values = raw
        else:
            values = pd.to_datetime(raw.astype("string"), errors="coerce", format="ISO8601")
        bad = present & values.isna()
        rule = "must be an ISO date (YYYY-MM-DD)" if col.kind == "date" else "must be an ISO timestamp (YYYY-MM-DDTHH:MM:SS)"
        if col.kind == "date" and not bad.any():
            values = values.dt.tz_localize(None) if values.dt.tz is not None else values
    elif col.kind in ("int", "float", "binary"):
        values = pd.to_numeric(raw, errors="coerce")
        bad = present & values.isna()
        rule = "must be a number"
        if col.kind == "binary" and not bad.any():
            bad = present & ~values.isin([0, 1])
            rule = "must be 0 or 1"
        elif col.kind == "int" and not bad.any():
            bad = present & (values % 1 != 0)
            rule = "must be a whole number"
    else:
        values = as_text(raw).str.strip()
        bad = pd.Series(False, index=raw.index)
        rule = ""
    if bad.any():
        problems.append(Violation(col.name, rule, _offending(frame, bad, key + [col.name]), int(bad.sum())))
        return raw, problems
    if not col.nullable:
        missing = ~present
        if missing.any():
            problems.append(Violation(col.name, "must not be empty", _offending(frame, missing, key + [col.name]), int(missing.sum())))
    if col.min is not None and col.kind in ("int", "float"):
        low = values < col.min
        if low.any():
            problems.append(Violation(col.name, f"must be >= {col.min:g}", _offending(frame, low, key + [col.name]), int(low.sum())))
    if col.unique:
        dup = values.duplicated(keep=False) & present
        if dup.any():
            problems.append(Violation(col.name, "must be unique", _offending(frame, dup, key + [col.name]), int(dup.sum())))
    if col.kind == "int" and not values.isna().any():
        values = values.astype("int64")
    return values, problems


def text_columns(contract: Contract) -> list[str]:
    """The columns ``contract`` declares as text (``str``): identifiers and labels, read and kept as text."""
    return [c.name for c in contract.columns if c.kind == "str"]


def as_text(values: pd.Series) -> pd.Series:
    """``values`` as text, numbers written as whole numbers where they are (``1.0`` → ``'1'``, as a file stores an id)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return values.astype("string")
    if pd.api.types.is_integer_dtype(values):
        return values.astype("Int64").astype("string")
    return values.map(lambda v: v if pd.isna(v) else (f"{v:.0f}" if float(v).is_integer() else repr(float(v)))).astype("string")


def validate(frame: pd.DataFrame, contract: Contract, file: str | Path = "<frame>", merge_label_variants: bool = False) -> pd.DataFrame:
    """Check ``frame`` against ``contract``; return it with dates parsed and numbers numeric.

    Labels that differ only in case, spacing or punctuation (``BOLT``, ``Bolt``) are a violation,
    unless ``merge_label_variants``: then each is merged into its most frequent spelling and the
    merges are listed in ``frame.attrs["label_merges"]`` (see :func:`label_merges`).
    Raises :class:`ContractError` listing every broken rule with a few offending rows.
    """
    frame = frame.reset_index(drop=True)
    violations: list[Violation] = []
    not_snake = [c for c in frame.columns if not SNAKE_CASE.match(str(c))]
    if not_snake:
        violations.append(Violation(", ".join(map(str, not_snake)), "column names must be snake_case (lower-case letters, digits, _)"))
    missing = [c for c in contract.required if c not in frame.columns]
    if missing:
        violations.append(
            Violation(", ".join(missing), f"required column(s) missing; the file has: {', '.join(map(str, frame.columns))}")
        )
    violations += [v for group in contract.companions if (v := group.violation(frame.columns)) is not None]
    if violations:
        raise ContractError(file, violations)
    key = identifying_columns(contract)
    out = frame.copy()
    for col in contract.columns:
        if col.name in frame.columns:
            out[col.name], problems = _coerce(frame, col, key)
            violations += problems
    for prefix, template in contract.prefixed:
        matched = [c for c in frame.columns if str(c).startswith(prefix)]
        if not matched and template.required:
            violations.append(Violation(f"{prefix}*", f"at least one column named {prefix}<name> is required"))
        for name in matched:
            col = Column(name, template.kind, min=template.min, nullable=template.nullable)
            out[name], problems = _coerce(frame, col, key)
            violations += problems
    if violations:
        raise ContractError(file, violations)
    merges: list[LabelMerge] = []
    for col in label_columns(contract, out):
        groups = near_duplicate_labels(out[col.name], col.label_sep)
        if not groups:
            continue
        if merge_label_variants:
            out[col.name], done = _merge_labels(out[col.name], groups, col.label_sep)
            merges += [LabelMerge(col.name, into, spellings, rows) for into, spellings, rows in done]
        else:
            listing = "; ".join(", ".join(f"{s!r} ({n:,} row{'s' if n != 1 else ''})" for s, n in g) for g in groups)
            violations.append(Violation(
                col.name,
                f"labels that differ only in case, spacing or punctuation name one thing: {listing}; "
                "fix the file, or pass -p merge_label_variants=true to merge each into its most frequent spelling",
            ))
    # uniqueness is judged on the labels as the analysis will see them: merged spellings may collide
    after = f" (after merging spellings of {', '.join(sorted({m.column for m in merges}))})" if merges else ""
    merged_cols = {m.column for m in merges}
    for col in contract.columns:
        if col.unique and col.name in merged_cols:
            dup = out[col.name].duplicated(keep=False) & out[col.name].notna()
            if dup.any():
                violations.append(Violation(col.name, "must be unique" + after, _offending(out, dup, key + [col.name]), int(dup.sum())))
    together = [c for c in contract.unique_together if c in out.columns]
    if together:
        dup = out.duplicated(subset=together, keep=False)
        if dup.any():
            violations.append(Violation(", ".join(together), "each combination must appear once" + after,
                                        _offending(out, dup, together), int(dup.sum())))
    if not violations:
        for check in contract.checks:
            violations += check(out)
    if violations:
        raise ContractError(file, violations)
    out.attrs["label_merges"] = merges
    return out


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class LabelMerge:
    """Spellings of one label merged into ``into`` in ``column``, over ``rows`` rows."""

    column: str
    into: str
    spellings: tuple[str, ...]
    rows: int


_LABEL_NOISE = re.compile(r"[\W_]+", re.UNICODE)


def label_key(value: str) -> str:
    """The form two spellings of one label share: case, spacing and punctuation removed (``'Bolt '`` → ``'bolt'``)."""
    return _LABEL_NOISE.sub("", str(value).casefold())


def label_columns(contract: Contract, frame: pd.DataFrame) -> list[Column]:
    """The label columns of ``frame``: declared ones, and any other text column when the contract has open labels."""
    cols = [c for c in contract.columns if c.label and c.name in frame.columns]
    if contract.open_labels:
        named = {c.name for c in contract.columns} | {c for c in frame.columns if any(str(c).startswith(p) for p, _ in contract.prefixed)}
        for name in frame.columns:
            if name not in named and (frame[name].dtype == object or pd.api.types.is_string_dtype(frame[name])):
                cols.append(Column(str(name), "str", required=False, label=True))
    return cols


def _parts(values: pd.Series, sep: str | None) -> pd.Series:
    text = values.dropna().astype(str)
    if sep:
        text = text.str.split(sep).explode().str.strip()
    return text[text != ""]


def distinct_values(values: pd.Series, sep: str | None = None) -> list[str]:
    """The distinct non-empty values of a column as text, sorted; each part for a column of several labels (a path)."""
    return sorted(_parts(values, sep).unique())


def near_duplicate_labels(values: pd.Series, sep: str | None = None) -> list[list[tuple[str, int]]]:
    """Groups of distinct spellings that share a :func:`label_key`, each as ``[(spelling, rows), …]``, most frequent first."""
    counts = _parts(values, sep).value_counts()
    groups: dict[str, list[tuple[str, int]]] = {}
    for spelling, n in counts.items():
        groups.setdefault(label_key(spelling), []).append((str(spelling), int(n)))
    return [sorted(g, key=lambda t: (-t[1], t[0])) for g in groups.values() if len(g) > 1]


def _merge_labels(values: pd.Series, groups, sep: str | None):
    mapping = {s: g[0][0] for g in groups for s, _ in g[1:]}
    done = [(g[0][0], tuple(s for s, _ in g), sum(n for _, n in g[1:])) for g in groups]
    if sep:
        def fix(v):
            if not isinstance(v, str):
                return v
            return f" {sep} ".join(mapping.get(p.strip(), p.strip()) for p in v.split(sep))

        return values.map(fix), done
    return values.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v), done


def label_merges(frame: pd.DataFrame) -> list[LabelMerge]:
    """The label merges :func:`validate` made on ``frame`` (empty when none were needed or asked for)."""
    return list(frame.attrs.get("label_merges", []))


# --------------------------------------------------------------------------- extra checks


#: Fewest weeks an mmm.csv must cover: half a year (a model with more channels or carry-over needs more,
#: which :func:`playbook.mmm.data.weeks_needed` states before sampling).
MMM_MIN_WEEKS = 26


def _enough_weeks(frame: pd.DataFrame) -> list[Violation]:
    """mmm.csv: at least :data:`MMM_MIN_WEEKS` distinct weeks; fewer cannot support a marketing mix model."""
    weeks = frame["date"].dropna().nunique()
    if weeks >= MMM_MIN_WEEKS:
        return []
    return [Violation("date", f"must cover at least {MMM_MIN_WEEKS} weeks (half a year) for a marketing mix model; "
                      f"the file has {weeks}", _offending(frame, frame.index.isin(frame.index[:5]), ["geo", "date"]), weeks)]


def _weekly(frame: pd.DataFrame) -> list[Violation]:
    """mmm.csv: dates are one week apart (per geo when a geo column is present)."""
    groups = frame.groupby("geo", sort=False) if "geo" in frame.columns else [(None, frame)]
    for _, g in groups:
        d = g["date"].sort_values()
        gaps = d.diff().dropna()
        bad = gaps != pd.Timedelta(days=7)
        if bad.any():
            idx = gaps[bad].index
            return [Violation("date", "must be weekly: consecutive dates exactly 7 days apart, no gaps", _offending(frame, frame.index.isin(idx), ["geo", "date"]), int(bad.sum()))]
    return []


def _period_starts(frame: pd.DataFrame) -> list[Violation]:
    """market.csv: each period is the first day of its month (a monthly panel) or of its week (a weekly panel).

    A weekly panel has every period on one weekday. When neither holds, the panel is judged monthly
    if most distinct periods are the 1st of a month, else weekly on its most common weekday, and the
    rows that break that reading are shown.
    """
    periods = frame["period"]
    distinct = pd.Series(periods.dropna().unique())
    if distinct.empty:
        return []
    first = distinct.dt.day == 1
    weekday = int(distinct.dt.weekday.mode().iloc[0])
    if first.all() or (distinct.dt.weekday == weekday).all():
        return []
    if first.mean() >= 0.5:
        bad = periods.dt.day != 1
        rule = (f"must be the first day of the month or week: the panel is monthly ({int(first.sum())} of {len(distinct)} "
                "periods are the 1st of a month), so every period should be the 1st (e.g. 2024-03-01 for March 2024)")
    else:
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=weekday)  # 2024-01-01 is a Monday
        bad = periods.dt.weekday != weekday
        rule = (f"must be the first day of the month or week: the panel is weekly (most periods are {day:%A}s), "
                f"so every period should be the {day:%A} that starts its week")
    return [Violation("period", rule, _offending(frame, bad, ["period", "region", "brand", "category", "channel"]), int(bad.sum()))]


def _two_variants(frame: pd.DataFrame) -> list[Violation]:
    """experiment / experiment_summary: an A/B/n test compares arms, so the file holds at least two variants."""
    names = frame["variant"].dropna().astype(str).unique()
    if len(names) < 2:
        has = f"only {names[0]}" if len(names) else "no rows"
        mask = frame.index.isin(frame.index[:3])
        return [Violation("variant", f"must hold at least two distinct variants (a control and a treatment); the file has {has}",
                          _offending(frame, mask, ["unit_id", "variant"]), int(len(frame)))]
    return []


def _conversions_le_units(frame: pd.DataFrame) -> list[Violation]:
    out = []
    empty = frame["units"] == 0
    if empty.any():
        out.append(Violation("units", "must be >= 1: a variant that received no units is no arm of the test (drop its row)",
                             _offending(frame, empty, ["variant", "units", "conversions"]), int(empty.sum())))
    bad = frame["conversions"] > frame["units"]
    if bad.any():
        out.append(Violation("conversions", "must be <= units", _offending(frame, bad, ["variant", "units", "conversions"]), int(bad.sum())))
    return out


def _factorial_cells(frame: pd.DataFrame) -> list[Violation]:
    """A factorial test (two or more ``factor_<name>`` columns): every unit has a level of each factor, and the
    ``variant`` labels one cell, one combination of levels."""
    factors = [c for c in frame.columns if c.startswith("factor_") and len(c) > len("factor_")]
    if len(factors) < 2:
        return []
    out = []
    missing = frame[factors].isna().any(axis=1)
    if missing.any():
        out.append(Violation(factors[0], "every factor_ column must have a level for every unit (a factorial test's cells)",
                             _offending(frame, missing, ["unit_id", "variant", *factors]), int(missing.sum())))
    combos = frame.loc[~missing].assign(**{c: frame[c].astype(str) for c in factors}).groupby("variant")[factors].nunique()
    mixed = combos[(combos > 1).any(axis=1)].index
    if len(mixed):
        bad = frame["variant"].isin(mixed)
        out.append(Violation("variant", "must label one cell of the factorial test: one combination of factor_ levels per variant",
                             _offending(frame, bad, ["unit_id", "variant", *factors]), int(bad.sum())))
    return out


def _positive_sigma(frame: pd.DataFrame) -> list[Violation]:
    bad = frame["sigma"] <= 0
    if bad.any():
        return [Violation("sigma", "must be > 0", _offending(frame, bad, ["channel", "sigma"]), int(bad.sum()))]
    return []


def _paths_not_empty(frame: pd.DataFrame) -> list[Violation]:
    steps = frame["path"].astype("string").str.split(">")
    bad = steps.map(lambda s: any(not p.strip() for p in s))
    if bad.any():
        return [Violation("path", 'must be channels joined by ">" with no empty steps, e.g. "search > email"', _offending(frame, bad, ["path"]), int(bad.sum()))]
    return []


def period_frequency(periods: Iterable) -> str:
    """``'monthly'`` or ``'weekly'``: how often the distinct ``periods`` are observed, from their spacing.

    Monthly: the median gap between consecutive distinct periods is 27.5–31.5 days (a missing
    month makes one gap longer). Weekly: the median gap is 7 days and every gap is a whole number of
    weeks. Raises ``ValueError`` saying what was found otherwise, or for fewer than two distinct periods.
    """
    values = pd.DatetimeIndex(pd.unique(pd.to_datetime(pd.Series(list(periods))).dropna())).sort_values()
    if len(values) < 2:
        raise ValueError(f"found {len(values)} distinct period(s); months or weeks cannot be told apart, and no change measured")
    gaps = np.asarray((values[1:] - values[:-1]) / pd.Timedelta(days=1), dtype=float)
    median = float(np.median(gaps))
    if 6.5 <= median <= 7.5:
        if not np.allclose(gaps % 7, 0):
            odd = sorted({float(g) for g in gaps.round(1) if g % 7})[:5]
            raise ValueError(f"weekly periods must be whole weeks apart; found gaps of {odd} days")
        return "weekly"
    if 27.5 <= median <= 31.5:
        return "monthly"
    raise ValueError(f"the median gap between periods is {median:g} days, neither a month nor a week")


def _market_periods(frame: pd.DataFrame) -> list[Violation]:
    """market.csv: at least two distinct periods, spaced a month or a week apart (the analysis needs both)."""
    try:
        period_frequency(frame["period"])
    except ValueError as err:
        first = pd.DatetimeIndex(sorted(frame["period"].dropna().unique()))[:3]
        mask = frame["period"].isin(first)
        return [Violation("period", f"must hold at least two distinct periods, a month or a week apart: {err}",
                          _offending(frame, mask, ["period", "region", "brand"]), int(mask.sum()))]
    return []


def _market_period_rules(frame: pd.DataFrame) -> list[Violation]:
    """market.csv: periods start their month or week, and there are at least two of them a month or a week
    apart (the spacing is judged only once every period starts its month or week)."""
    return _period_starts(frame) or _market_periods(frame)


def _consecutive_periods(frame: pd.DataFrame) -> list[Violation]:
    """adoption.csv: one row per month or per week with no gaps (consecutive months, or dates exactly 7 days apart)."""
    periods = frame["period"].sort_values()
    if len(periods) < 2:
        return []
    days = periods.diff().dt.days.iloc[1:]
    months = (periods.dt.year * 12 + periods.dt.month).diff().iloc[1:]
    if (days == 7).all() or (months == 1).all():
        return []
    weekly = (days == 7).sum() >= (months == 1).sum()  # the spacing most steps have
    bad_steps = days != 7 if weekly else months != 1
    bad = frame.index.isin(bad_steps[bad_steps].index)
    return [Violation(
        "period",
        "must be one row per month or per week with no gaps: consecutive periods one calendar month apart, "
        "or exactly 7 days apart (rows shown follow a gap or a change of spacing)",
        _offending(frame, bad, ["period", "adopters"]), int(bad.sum()),
    )]


# --------------------------------------------------------------------------- the contracts

NUM0 = dict(min=0.0)

CONTRACTS: dict[str, Contract] = {
    c.name: c
    for c in [
        Contract(
            "market",
            "Market panel: revenue and units per period, region and brand (months or weeks).",
            (
                Column("period", "date", doc="first day of the month or week"),
                Column("region", "str", label=True),
                Column("brand", "str", label=True),
                Column("revenue", "float", **NUM0),
                Column("units", "float", **NUM0),
                Column("category", "str", required=False, label=True),
                Column("channel", "str", required=False, label=True),
            ),
            unique_together=("period", "region", "brand", "category", "channel"),
            checks=(_market_period_rules,),
        ),
        Contract(
            "orders",
            "One row per order.",
            (
                Column("order_id", "str", unique=True),
                Column("customer_id", "str"),
                Column("order_date", "date"),
                Column("revenue", "float", **NUM0),
                Column("channel", "str", required=False, nullable=True, label=True),
                Column("category", "str", required=False, nullable=True, label=True),
            ),
        ),
        Contract(
            "customers",
            "One row per customer: attributes that enrich personas.",
            (
                Column("customer_id", "str", unique=True),
                Column("region", "str", required=False, nullable=True, label=True),
                Column("city_tier", "str", required=False, nullable=True, label=True),
                Column("age", "float", required=False, nullable=True, min=0),
                Column("gender", "str", required=False, nullable=True, label=True),
                Column("acquisition_channel", "str", required=False, nullable=True, label=True),
            ),
            open_labels=True,
        ),
        Contract(
            "experiment",
            "One row per randomized unit of an A/B/n test.",
            (
                Column("unit_id", "str", unique=True),
                Column("variant", "str", label=True),
                Column("converted", "binary"),
                Column("revenue", "float", **NUM0),
                Column("pre_period_revenue", "float", required=False, **NUM0),
                Column("assigned_at", "datetime", required=False),
            ),
            open_labels=True,
            checks=(_two_variants, _factorial_cells),
        ),
        Contract(
            "experiment_summary",
            "One row per variant of an A/B/n test, aggregated.",
            (
                Column("variant", "str", unique=True, label=True),
                Column("units", "int", **NUM0),
                Column("conversions", "int", **NUM0),
                Column("revenue_sum", "float", required=False, **NUM0),
                Column("revenue_sum_sq", "float", required=False, **NUM0),
            ),
            checks=(_two_variants, _conversions_le_units),
        ),
        Contract(
            "mmm",
            "Weekly KPI, spend per channel (spend_<channel>) and controls; optional geo.",
            (
                Column("date", "date", doc="week start"),
                Column("geo", "str", required=False, label=True),
            ),
            prefixed=(("spend_", Column("spend_", "float", **NUM0)),),
            unique_together=("date", "geo"),
            checks=(_weekly, _enough_weeks),
        ),
        Contract(
            "lift_tests",
            "Lift tests in PyMC-Marketing's format, for MMM calibration.",
            (
                Column("channel", "str", label=True),
                Column("x", "float", **NUM0, doc="spend before the test, per period"),
                Column("delta_x", "float", doc="change in spend during the test"),
                Column("delta_y", "float", doc="measured change in the KPI"),
                Column("sigma", "float", doc="standard error of delta_y (> 0)"),
                Column("start", "date", required=False, doc="first day of the test (optional; a test inside the MMM's holdout weeks is kept out of its holdout fit)"),
                Column("end", "date", required=False, doc="last day of the test (optional; with start, the test's duration is compared with the channel's carry-over)"),
            ),
            checks=(_positive_sigma,),
        ),
        Contract(
            "funnel",
            "Daily funnel by channel.",
            (
                Column("date", "date"),
                Column("channel", "str", label=True),
                Column("impressions", "float", **NUM0),
                Column("clicks", "float", **NUM0),
                Column("signups", "float", **NUM0),
                Column("orders", "float", **NUM0),
                Column("revenue", "float", **NUM0),
                Column("spend", "float", **NUM0),
            ),
            unique_together=("date", "channel"),
        ),
        Contract(
            "paths",
            'Aggregated journeys: "a > b > c" with their conversions, value and non-converting count.',
            (
                Column("path", "str", label=True, label_sep=">"),
                Column("conversions", "float", **NUM0),
                Column("value", "float", **NUM0),
                Column("nulls", "float", **NUM0),
            ),
            checks=(_paths_not_empty,),
        ),
        Contract(
            "touchpoints",
            "Raw marketing touches: one row per journey, time and channel.",
            (Column("journey_id", "str"), Column("timestamp", "datetime"), Column("channel", "str", label=True)),
        ),
        Contract(
            "conversions",
            "Raw conversions: one row per converting journey and time, with its value.",
            (Column("journey_id", "str"), Column("timestamp", "datetime"), Column("value", "float", **NUM0)),
        ),
        Contract(
            "adoption",
            "New adopters per period of a service (its first periods, or a comparable service's history), for launch planning.",
            (
                Column("period", "date", unique=True, doc="first day of the month or week"),
                Column("adopters", "int", **NUM0, doc="new adopters in that period"),
            ),
            checks=(_consecutive_periods,),
        ),
    ]
}


def contract(name: str) -> Contract:
    try:
        return CONTRACTS[name]
    except KeyError:
        raise KeyError(f"no data contract named {name!r}; known: {', '.join(sorted(CONTRACTS))}") from None


# --------------------------------------------------------------------------- requirements

#: A requirement is ``"a"`` (file a), ``"a|b"`` (a or b), ``"a+b"`` (a and b together), or
#: combinations such as ``"funnel|paths|touchpoints+conversions"``.


def parse_requirement(expr: str) -> list[list[str]]:
    """``"a|b+c"`` → ``[["a"], ["b", "c"]]``; each name must be a known contract."""
    options = [[n.strip() for n in alt.split("+") if n.strip()] for alt in expr.split("|")]
    for names in options:
        for n in names:
            contract(n)
    if not all(options):
        raise ValueError(f"malformed requirement {expr!r}")
    return options


def describe_requirement(expr: str) -> str:
    return " or ".join(" + ".join(f"{n}.csv" for n in names) for names in parse_requirement(expr))


def satisfied(expr: str, available: Iterable[str]) -> list[str] | None:
    """The first alternative of ``expr`` whose files are all available, else ``None``."""
    have = set(available)
    for names in parse_requirement(expr):
        if set(names) <= have:
            return names
    return None


def table_names(expr: str) -> set[str]:
    return {n for names in parse_requirement(expr) for n in names}


# --------------------------------------------------------------------------- rules that depend on a run's settings


@dataclass(frozen=True)
class DataRule:
    """A rule an analysis puts on one input file that depends on the run's settings, checked before anything runs.

    A contract holds for every run; a data rule holds for a run's parameters: the personas' CLV models need
    10 customers who came back by ``observation_end``, the MMM needs the weeks its ``l_max``, channels and
    controls call for. The analysis keeps refusing such data itself; the rule says so before the run.

    ``summarize`` sees the validated frame (labels merged where asked) once and keeps what ``check`` needs,
    without parameters (e.g. each customer's first and second order day); ``check(summary, values)`` gets the
    run's value of each of ``parameters`` (the notebook's default where not set) and returns the rule's
    :class:`Violation` list, empty when the run may go ahead. A notebook declares its rules in its metadata
    (``"playbook": {"data_rules": ["playbook.personas.rules:REPEAT_CUSTOMERS"]}``); the orchestration
    (:mod:`playbook.checks`) calls them, the analysis never needs to know.
    """

    name: str
    file: str  # the contract name of the file the rule reads
    parameters: tuple[str, ...]
    summarize: Callable[[pd.DataFrame], object]
    check: Callable[[object, dict], list[Violation]]
    doc: str = ""
