"""RFM scores and named segments, group summaries and revenue concentration.

Conventions (documented in the notebook's appendix):

* **Scores** 1–5 (5 = best) are quintiles of the tie-aware percentile rank: customers with the
  same value share a score (the common ``rank(method="first")`` trick would split identical one-time
  buyers across scores 1 and 2 by row order).
* **Named segments** come from a score-range map (:data:`SEGMENT_MAPS`) and a precedence rule:
  ``"first"`` (the first matching segment wins, rsquaredacademy ``rfm`` ≥ 0.3) or ``"last"`` (a
  later match overwrites, older ``rfm``). Customers no range matches are ``"Others"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Segment maps: name → (R range, F range, M range), in precedence order. Ranges are inclusive.
SEGMENT_MAPS: dict[str, list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]]] = {
    # The 11-segment "Putler" set used with rsquaredacademy's rfm::rfm_segment.
    "rfm11": [
        ("Champions", (4, 5), (4, 5), (4, 5)),
        ("Loyal customers", (2, 4), (3, 4), (4, 5)),
        ("Potential loyalists", (3, 5), (1, 3), (1, 3)),
        ("New customers", (4, 5), (1, 1), (1, 1)),
        ("Promising", (3, 4), (1, 1), (1, 1)),
        ("Need attention", (3, 4), (3, 4), (3, 4)),
        ("About to sleep", (2, 3), (1, 2), (1, 2)),
        ("At risk", (1, 2), (2, 5), (2, 5)),
        ("Can't lose them", (1, 1), (4, 5), (4, 5)),
        ("Hibernating", (2, 3), (2, 3), (2, 3)),
        ("Lost", (1, 1), (1, 1), (1, 1)),
    ],
    # The widely copied RF-only 10-segment map (monetary not used); it partitions every R×F cell.
    "rf10": [
        ("Hibernating", (1, 2), (1, 2), (1, 5)),
        ("At risk", (1, 2), (3, 4), (1, 5)),
        ("Can't lose them", (1, 2), (5, 5), (1, 5)),
        ("About to sleep", (3, 3), (1, 2), (1, 5)),
        ("Need attention", (3, 3), (3, 3), (1, 5)),
        ("Loyal customers", (3, 4), (4, 5), (1, 5)),
        ("Promising", (4, 4), (1, 1), (1, 5)),
        ("New customers", (5, 5), (1, 1), (1, 5)),
        ("Potential loyalists", (4, 5), (2, 3), (1, 5)),
        ("Champions", (5, 5), (4, 5), (1, 5)),
    ],
}
OTHERS = "Others"

def quintile_score(values: pd.Series | np.ndarray, higher_is_better: bool = True, bins: int = 5) -> np.ndarray:
    """Scores 1..``bins`` (``bins`` = best) from the tie-aware percentile rank of ``values``.

    score = ceil(bins × mid-rank / n): equal values share a score; with distinct values each score
    holds n / bins customers (exact quintiles).
    """
    v = pd.Series(np.asarray(values, dtype=float))
    pct = (v if higher_is_better else -v).rank(method="average").to_numpy() / len(v)
    return np.clip(np.ceil(pct * bins - 1e-9), 1, bins).astype(np.int64)


def rfm_scores(rfm: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """``rfm`` with ``r_score``, ``f_score``, ``m_score`` (1–5, 5 = best) and ``rfm_score`` (e.g. ``"545"``) added.

    Recent customers score high on R; frequent and high-spending ones on F and M (total revenue).
    """
    out = rfm.copy()
    out["r_score"] = quintile_score(out["recency_days"], higher_is_better=False, bins=bins)
    out["f_score"] = quintile_score(out["frequency"], bins=bins)
    out["m_score"] = quintile_score(out["monetary"], bins=bins)
    out["rfm_score"] = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    return out


def rfm_segment(
    scores: pd.DataFrame,
    segment_map: str | Sequence[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]] = "rfm11",
    precedence: str = "first",
) -> pd.Series:
    """The named RFM segment of each customer (``"Others"`` when no range matches), aligned with ``scores``.

    ``segment_map`` is a key of :data:`SEGMENT_MAPS` or a list of ``(name, (r_lo, r_hi),
    (f_lo, f_hi), (m_lo, m_hi))``; ``precedence`` is ``"first"`` (first match wins) or ``"last"``.
    """
    rules = SEGMENT_MAPS[segment_map] if isinstance(segment_map, str) else list(segment_map)
    if precedence not in ("first", "last"):
        raise ValueError(f"precedence must be 'first' or 'last', got {precedence!r}")
    r, f, m = (scores[c].to_numpy() for c in ("r_score", "f_score", "m_score"))
    label = np.full(len(scores), OTHERS, dtype=object)
    assigned = np.zeros(len(scores), dtype=bool)
    for name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi) in rules:
        hit = (r >= r_lo) & (r <= r_hi) & (f >= f_lo) & (f <= f_hi) & (m >= m_lo) & (m <= m_hi)
        if precedence == "first":
            hit &= ~assigned
        label[hit] = name
        assigned |= hit
    return pd.Series(label, index=scores.index, name="rfm_segment")


def group_summary(rfm: pd.DataFrame, labels: pd.Series, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Size and value per group: ``group, customers, customer_share, revenue, revenue_share, recency_days,
    frequency, monetary, aov`` (means per customer; revenue in currency units), largest revenue first
    unless ``order`` is given (groups in ``order`` that are empty get a zero row)."""
    frame = rfm.assign(group=np.asarray(labels))
    g = frame.groupby("group", sort=False)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "revenue": g["monetary"].sum(),
            "recency_days": g["recency_days"].mean(),
            "frequency": g["frequency"].mean(),
            "monetary": g["monetary"].mean(),
        }
    )
    out["aov"] = out["revenue"] / g["frequency"].sum()
    if order is not None:
        out = out.reindex(list(order) + [x for x in out.index if x not in order])
        out[["customers", "revenue"]] = out[["customers", "revenue"]].fillna(0)
    else:
        out = out.sort_values("revenue", ascending=False)
    out["customers"] = out["customers"].astype(np.int64)
    out["customer_share"] = out["customers"] / max(len(frame), 1)
    out["revenue_share"] = out["revenue"] / max(frame["monetary"].sum(), 1e-12)
    out = out.rename_axis("group").reset_index()
    return out[
        ["group", "customers", "customer_share", "revenue", "revenue_share", "recency_days", "frequency", "monetary", "aov"]
    ]


@dataclass
class Concentration:
    """How concentrated revenue is: top-share figures, the Gini coefficient and the Lorenz curve."""

    top_10_share: float
    top_20_share: float
    gini: float
    lorenz_customers: np.ndarray  # cumulative share of customers (0..1), biggest spenders first
    lorenz_revenue: np.ndarray  # cumulative share of revenue they bring


def revenue_concentration(monetary: pd.Series | np.ndarray, points: int = 201) -> Concentration:
    """Share of revenue from the top 10% / 20% of customers, Gini coefficient (0 = equal, 1 = one customer has all)."""
    v = np.sort(np.asarray(monetary, dtype=float))[::-1]
    n = len(v)
    total = v.sum()
    cum = np.r_[0.0, np.cumsum(v)] / total
    share_at = lambda frac: float(np.interp(frac * n, np.arange(n + 1), cum))  # noqa: E731
    asc = v[::-1]
    gini = float((2 * np.arange(1, n + 1) - n - 1) @ asc / (n * total))
    grid = np.linspace(0, 1, points)
    return Concentration(share_at(0.10), share_at(0.20), gini, grid, np.interp(grid * n, np.arange(n + 1), cum))
