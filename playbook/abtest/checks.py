"""Health checks of an A/B/n experiment: arm counts, sample-ratio mismatch, minimum data, segment columns.

Plain data in, plain data out: counts per arm from unit-level or summary data, the Pearson chi-square
sample-ratio check (flagged at p < 0.001, as in Fabijan et al. 2019 and Eppo), the minimum-data rule
(25 conversions per arm, a weekly cycle) and the candidate segment columns.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

SRM_ALPHA = 0.001


# --------------------------------------------------------------------------- inputs


def arm_codes(variant: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer arm code per unit (0, 1, …; −1 where missing) and the arms seen, sorted, as a sorted group-by orders them.

    A categorical column (``analyze`` codes ``variant`` once) gives its codes without hashing the units again
    (categories never seen are dropped, as the group-by drops them); any other column is factorised once.
    """
    if isinstance(variant.dtype, pd.CategoricalDtype):
        codes = variant.cat.codes.to_numpy().astype(np.int64)
        cats = variant.cat.categories
        ok = codes >= 0
        seen = np.bincount(codes[ok] if not ok.all() else codes, minlength=len(cats)) > 0
        if not seen.all():
            remap = np.cumsum(seen) - 1
            codes = np.where(ok, remap[np.maximum(codes, 0)], -1)
        names = list(cats[seen])
        if list(names) != sorted(names):  # categories in an order of their own: sort them as the group-by's keys would be
            order = np.argsort(np.array(names, dtype=object), kind="stable")
            rank = np.empty(len(names), np.int64)
            rank[order] = np.arange(len(names))
            codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
            names = [names[i] for i in order]
        return codes, [str(v) for v in names]
    codes, uniques = pd.factorize(variant, sort=True)
    return codes.astype(np.int64, copy=False), [str(u) for u in uniques]


def arm_counts(experiment: pd.DataFrame | None = None, summary: pd.DataFrame | None = None) -> pd.DataFrame:
    """Units, conversions and revenue sums per variant (one row per variant, input order kept).

    Pass the unit-level ``experiment`` frame (``variant``, ``converted``, ``revenue``) or the
    aggregated ``experiment_summary`` frame (``variant``, ``units``, ``conversions``, optional
    ``revenue_sum``, ``revenue_sum_sq``). Revenue columns are NaN when the summary lacks them.
    """
    if (experiment is None) == (summary is None):
        raise ValueError("pass exactly one of experiment (unit level) or summary (aggregated)")
    if experiment is not None:
        # one coding of the arm and three bincounts (a group-by re-hashes the column for every sum)
        codes, names = arm_codes(experiment["variant"])
        ok = codes >= 0
        c = codes if ok.all() else codes[ok]
        pick = (lambda a: a) if ok.all() else (lambda a: a[ok])  # noqa: E731
        rev = np.nan_to_num(pick(experiment["revenue"].to_numpy(float)), nan=0.0)  # a group-by sum skips missing revenue
        out = pd.DataFrame(
            {
                "variant": names,
                "units": np.bincount(c, minlength=len(names)),
                "conversions": np.bincount(c, weights=pick(experiment["converted"].to_numpy(float)), minlength=len(names)).round(),
                "revenue_sum": np.bincount(c, weights=rev, minlength=len(names)),
                "revenue_sum_sq": np.bincount(c, weights=rev * rev, minlength=len(names)),
            }
        )
    else:
        out = summary.copy().sort_values("variant").reset_index(drop=True)
        for col in ("revenue_sum", "revenue_sum_sq"):
            if col not in out.columns:
                out[col] = np.nan
        out = out[["variant", "units", "conversions", "revenue_sum", "revenue_sum_sq"]]
    out["units"] = out["units"].astype("int64")
    out["conversions"] = out["conversions"].astype("int64")
    out["variant"] = out["variant"].astype(str)
    return out


def order_variants(variants: Sequence[str], control: str) -> list[str]:
    """The variant names with ``control`` first, the others sorted; raises if control is absent."""
    if isinstance(variants, pd.Series) and isinstance(variants.dtype, pd.CategoricalDtype):
        variants = arm_codes(variants)[1]  # the categories seen, without hashing every unit
    elif isinstance(variants, (pd.Series, pd.Index, np.ndarray)):
        variants = pd.unique(pd.Series(variants, copy=False))  # a unit-level column: its few distinct values, first
    names = sorted(dict.fromkeys(str(v) for v in variants))
    if control not in names:
        raise ValueError(f"control variant {control!r} not found; the data has variants {names}")
    if len(names) < 2:
        raise ValueError(f"an experiment needs at least two variants; the data has {names}")
    return [control] + [v for v in names if v != control]


# --------------------------------------------------------------------------- health checks


@dataclass
class SRMResult:
    """Sample-ratio-mismatch check: Pearson chi-square of the units against the designed split."""

    statistic: float
    p_value: float
    detected: bool
    alpha: float
    observed: dict[str, int]
    expected: dict[str, float]


def srm_check(units: Mapping[str, int], expected_split: Mapping[str, float] | None = None, alpha: float = SRM_ALPHA) -> SRMResult:
    """P-value of the chi-square test of the units per variant against ``expected_split``.

    ``expected_split`` maps each variant to its designed share (any positive weights, normalised);
    empty or ``None`` means an equal split. ``detected`` is ``p_value < alpha`` (0.001, as in
    Fabijan et al. 2019 and Eppo): with so strict a level a flag means the assignment is broken.
    """
    names = list(units)
    observed = np.array([units[v] for v in names], dtype=float)
    if expected_split:
        missing = sorted(set(names) - set(expected_split))
        extra = sorted(set(expected_split) - set(names))
        if missing or extra:
            raise ValueError(f"expected_split must name exactly the variants {names}; missing {missing}, unknown {extra}")
        weights = np.array([float(expected_split[v]) for v in names])
        if (weights <= 0).any():
            raise ValueError(f"expected_split shares must be > 0, got {dict(expected_split)}")
    else:
        weights = np.ones(len(names))
    expected = observed.sum() * weights / weights.sum()
    statistic, p_value = stats.chisquare(observed, expected)
    return SRMResult(
        statistic=float(statistic),
        p_value=float(p_value),
        detected=bool(p_value < alpha),
        alpha=alpha,
        observed={v: int(o) for v, o in zip(names, observed)},
        expected={v: float(e) for v, e in zip(names, expected)},
    )


@dataclass
class DataCheck:
    """Minimum-data check: enough conversions per arm and, when timestamps exist, enough days."""

    passed: bool
    min_conversions_found: int
    min_conversions_required: int
    days_found: float | None
    days_required: int
    reasons: list[str] = field(default_factory=list)


def minimum_data_check(counts: pd.DataFrame, days: float | None = None, min_conversions: int = 25, min_days: int = 7) -> DataCheck:
    """Whether every arm has ≥ ``min_conversions`` conversions and the test ran ≥ ``min_days`` days.

    Defaults follow VWO (25 conversions per variation) and a full weekly cycle (7 days);
    ``days`` is ``None`` when the data carries no assignment times (then only conversions count).
    """
    found = int(counts["conversions"].min())
    reasons = []
    if found < min_conversions:
        weakest = counts.loc[counts["conversions"].idxmin(), "variant"]
        reasons.append(f"variant {weakest} has only {found} conversions (at least {min_conversions} needed)")
    if days is not None and days < min_days:
        reasons.append(f"the test has run {days:.1f} days (at least {min_days} needed to cover a weekly cycle)")
    return DataCheck(not reasons, found, min_conversions, days, min_days, reasons)


def experiment_days(assigned_at: pd.Series) -> float:
    """Length of the experiment in days, from the first to the last assignment (at least one day)."""
    span = (assigned_at.max() - assigned_at.min()) / pd.Timedelta(days=1)
    return float(max(1.0, math.ceil(span)))

# --------------------------------------------------------------------------- the whole analysis

#: columns of experiment.csv that are never segments
_NOT_SEGMENTS = {"unit_id", "variant", "converted", "revenue", "pre_period_revenue", "assigned_at"}


def default_segments(experiment: pd.DataFrame, max_levels: int = 12) -> list[str]:
    """Text columns of ``experiment`` with 2 to ``max_levels`` levels (candidate segment columns; never ``factor_`` columns)."""
    return [col for col in segment_candidates(experiment) if 2 <= experiment[col].nunique() <= max_levels]


def segment_candidates(experiment: pd.DataFrame) -> list[str]:
    """The text columns of ``experiment`` that may be segments (not ids, outcomes, times, numbers or ``factor_`` columns)."""
    return [col for col in experiment.columns
            if not (col in _NOT_SEGMENTS or col.startswith("factor_") or pd.api.types.is_numeric_dtype(experiment[col])
                    or pd.api.types.is_datetime64_any_dtype(experiment[col]))]



@dataclass
class BrokenArms:
    """Arms whose data cannot be right: no conversions at all, or conversions but no revenue (a broken tag)."""

    no_conversions: list[str] = field(default_factory=list)
    no_revenue: list[str] = field(default_factory=list)

    @property
    def variants(self) -> list[str]:
        """Every broken arm, in the counts' order, once."""
        return list(dict.fromkeys(self.no_conversions + self.no_revenue))

    def __bool__(self) -> bool:
        return bool(self.variants)


def broken_arms(counts: pd.DataFrame) -> BrokenArms:
    """The arms that recorded no conversions, and those that converted but recorded no revenue while others did.

    Revenue counts only where the data carry it (``revenue_sum`` known) and some arm recorded any: a file
    without revenue is not a broken tag.
    """
    no_conv = [str(r.variant) for r in counts.itertuples() if r.conversions == 0]
    rev = counts["revenue_sum"]
    no_rev = []
    if rev.notna().all() and (rev > 0).any():
        no_rev = [str(r.variant) for r in counts.itertuples() if r.conversions > 0 and not r.revenue_sum > 0]
    return BrokenArms(no_conv, no_rev)


def segment_balance(experiment: pd.DataFrame, column: str, alpha: float = SRM_ALPHA) -> float:
    """P-value of the chi-square test of independence of a segment column and the variant.

    Randomisation makes every pre-assignment attribute independent of the arm; a segment column whose mix
    differs between arms (p < ``alpha``) has likely changed after assignment (e.g. recorded at checkout),
    and a breakdown by it would compare unlike groups.
    """
    # The crosstab by integer codes and one bincount (pd.crosstab is slow at millions of units); missing levels are dropped as it does.
    level = _text_codes(experiment[column])
    arm = arm_codes(experiment["variant"])[0]
    ok = (level >= 0) & (arm >= 0)
    n_level, n_arm = int(level.max(initial=-1)) + 1, int(arm.max(initial=-1)) + 1
    cell = level * n_arm + arm if ok.all() else level[ok] * n_arm + arm[ok]
    table = np.bincount(cell, minlength=n_level * n_arm).reshape(n_level, n_arm)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(table)[1])


def _text_codes(column: pd.Series) -> np.ndarray:
    """Integer codes of a column read as text (a missing value is the level ``"nan"``, as ``astype(str)`` makes it); categorical: its codes."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        return pd.factorize(column.astype(str))[0]
    codes = column.cat.codes.to_numpy().astype(np.int64)
    missing = codes < 0
    if missing.any():
        labels = [str(c) for c in column.cat.categories]
        codes[missing] = labels.index("nan") if "nan" in labels else len(labels)
    return codes


def refused_segments(experiment: pd.DataFrame, columns: Sequence[str], alpha: float = SRM_ALPHA) -> dict[str, float]:
    """The segment columns to refuse (their mix differs between arms at p < ``alpha``), with their p-values."""
    out = {}
    for col in columns:
        if col not in experiment.columns:
            continue  # the segment model names a missing column itself
        p = segment_balance(experiment, col, alpha)
        if p < alpha:
            out[col] = p
    return out
