"""Monthly acquisition cohorts: the retention triangle, cohort sizes and revenue per cohort member."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.io import rows_until


@dataclass
class Cohorts:
    """Monthly acquisition cohorts: retention triangle, sizes and revenue per cohort."""

    retention: pd.DataFrame  # cohort month × months since acquisition: share of the cohort ordering that month
    sizes: pd.Series  # customers per cohort
    revenue: pd.DataFrame  # cohort × months since acquisition: revenue (currency units)
    revenue_per_customer: pd.DataFrame  # cumulative revenue per cohort member by month since acquisition


def cohort_retention(orders: pd.DataFrame, observation_end=None) -> Cohorts:
    """Monthly cohort triangles: share of each acquisition cohort that orders in each later month, and its revenue.

    A customer's cohort is the calendar month of the first order; month 0 is that month (100% by
    construction). Cells after ``observation_end``'s month are NaN (not yet observed).
    """
    window, end = rows_until(orders, observation_end, "order_date")
    codes, _ = pd.factorize(window["customer_id"].to_numpy())
    month = (window["order_date"].dt.year * 12 + window["order_date"].dt.month - 1).to_numpy()
    first = np.full(codes.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, codes, month)
    cohort = first[codes]
    age = month - cohort
    last_month = end.year * 12 + end.month - 1
    active = pd.DataFrame({"c": codes, "cohort": cohort, "age": age}).drop_duplicates(["c", "age"])
    counts = active.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    sizes = pd.Series(np.bincount(first - first.min()), index=np.arange(first.min(), first.max() + 1))
    sizes = sizes[sizes > 0]
    counts = counts.reindex(index=sizes.index, columns=np.arange(0, last_month - sizes.index.min() + 1), fill_value=0)
    rev = (
        pd.DataFrame({"cohort": cohort, "age": age, "v": window["revenue"].to_numpy(float)})
        .groupby(["cohort", "age"])["v"]
        .sum()
        .unstack(fill_value=0.0)
    )
    rev = rev.reindex(index=counts.index, columns=counts.columns, fill_value=0.0)
    observed = (counts.index.to_numpy()[:, None] + counts.columns.to_numpy()[None, :]) <= last_month
    retention = (counts / sizes.to_numpy()[:, None]).where(observed)
    revenue = rev.where(observed)
    per_customer = (rev.cumsum(axis=1) / sizes.to_numpy()[:, None]).where(observed)
    labels = pd.PeriodIndex([pd.Period(year=int(m // 12), month=int(m % 12) + 1, freq="M") for m in counts.index], name="cohort")
    for frame in (retention, revenue, per_customer):
        frame.index = labels
        frame.columns.name = "months_since_acquisition"
    return Cohorts(retention, pd.Series(sizes.to_numpy(), index=labels, name="customers"), revenue, per_customer)
