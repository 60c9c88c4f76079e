"""Lifecycle stages by rule (new, growing, mature, at risk, dormant), their flow between snapshot dates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from playbook.io import rows_until

#: Lifecycle thresholds in days. new: tenure ≤ new; growing: tenure ≤ growing; mature: longer tenure;
#: at_risk: no order for more than at_risk days; dormant: none for more than dormant days.
DEFAULT_LIFECYCLE_DAYS: dict[str, int] = {"new": 7, "growing": 90, "at_risk": 90, "dormant": 180}
LIFECYCLE_STAGES: tuple[str, ...] = ("new", "growing", "mature", "at_risk", "dormant")



def lifecycle_stage(tenure_days, recency_days, thresholds: Mapping[str, int] | None = None) -> np.ndarray:
    """Lifecycle stage per customer from days since first and since last order (see :data:`DEFAULT_LIFECYCLE_DAYS`).

    Inactivity wins over tenure: a customer silent for longer than ``dormant`` days is dormant
    whatever the tenure; then at_risk; then new / growing / mature by tenure.
    """
    t = {**DEFAULT_LIFECYCLE_DAYS, **dict(thresholds or {})}
    tenure = np.asarray(tenure_days, dtype=float)
    recency = np.asarray(recency_days, dtype=float)
    return np.select(
        [recency > t["dormant"], recency > t["at_risk"], tenure <= t["new"], tenure <= t["growing"]],
        ["dormant", "at_risk", "new", "growing"],
        default="mature",
    ).astype(object)


def lifecycle_flow(
    orders: pd.DataFrame,
    snapshots: Sequence[str | pd.Timestamp],
    thresholds: Mapping[str, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stage of every customer at each snapshot date, and the stage counts per snapshot.

    Returns ``(stages, counts)``: ``stages`` is customers × snapshots (missing before a customer's
    first order); ``counts`` is snapshots × stages (number of customers).
    """
    window, _ = rows_until(orders, max(pd.Timestamp(s) for s in snapshots), "order_date")
    codes, ids = pd.factorize(window["customer_id"].to_numpy(), sort=True)
    day = window["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    n = len(ids)
    big = np.iinfo(np.int64).max
    first = np.full(n, big)
    np.minimum.at(first, codes, day)
    out = {}
    for snap in snapshots:
        s = np.datetime64(pd.Timestamp(snap).date(), "D").astype(np.int64)
        valid = day <= s  # last order on or before the snapshot
        last = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(last, codes[valid], day[valid])
        acquired = first <= s
        stage = np.full(n, None, dtype=object)
        stage[acquired] = lifecycle_stage(s - first[acquired], s - last[acquired], thresholds)
        out[pd.Timestamp(snap)] = stage
    stages = pd.DataFrame(out, index=pd.Index(ids, name="customer_id"))
    counts = pd.DataFrame(
        {col: stages[col].value_counts().reindex(LIFECYCLE_STAGES, fill_value=0) for col in stages.columns}
    ).T.astype(np.int64)
    counts.index.name = "snapshot"
    return stages, counts


def stage_transitions(stages: pd.DataFrame, start, end) -> pd.DataFrame:
    """Customers moving from each stage at ``start`` (rows; ``"not yet acquired"`` included) to each stage at ``end`` (columns)."""
    a = stages[pd.Timestamp(start)].fillna("not yet acquired")
    b = stages[pd.Timestamp(end)].fillna("not yet acquired")
    levels = ["not yet acquired", *LIFECYCLE_STAGES]
    table = pd.crosstab(pd.Categorical(a, levels), pd.Categorical(b, levels), dropna=False)
    table.index.name, table.columns.name = "from", "to"
    return table.drop(columns="not yet acquired", errors="ignore")


def snapshot_dates(observation_end: str | pd.Timestamp, n: int, freq: str = "QE") -> list[pd.Timestamp]:
    """``n`` snapshot dates ending at ``observation_end``: the previous ``n − 1`` period ends (quarter ends by default) and the end itself."""
    end = pd.Timestamp(observation_end).normalize()
    previous = pd.date_range(end=end - pd.Timedelta(days=1), periods=max(n - 1, 0), freq=freq) if n > 1 else []
    return [*[pd.Timestamp(d) for d in previous if d < end], end]
