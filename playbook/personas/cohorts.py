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
    partial_month: pd.Period | None = None  # the last calendar month, left out because the data end before its last day
    partial_days: int = 0  # days of that month in the data
    partial_cohort: int = 0  # customers first seen in that month (their cohort is left out)
    partial_left_out: bool = False  # False when the partial month is the only one (kept, and marked)


def cohort_retention(orders: pd.DataFrame, observation_end=None, drop_partial: bool = True) -> Cohorts:
    """Monthly cohort triangles: share of each acquisition cohort that orders in each later month, and its revenue.

    A customer's cohort is the calendar month of the first order; month 0 is that month (100% by
    construction). Cells after ``observation_end``'s month are NaN (not yet observed). When
    ``observation_end`` is not the last day of its month, that month is partial: with ``drop_partial``
    its cells are NaN too and the cohort first seen in it is left out (``partial_*`` say what was left out).
    """
    window, end = rows_until(orders, observation_end, "order_date")
    partial = drop_partial and not end.is_month_end
    if partial:
        month_start = end.normalize().replace(day=1)
        partial_info = dict(partial_month=pd.Period(end, freq="M"), partial_days=int(end.day),
                            partial_cohort=int(window.loc[window.groupby("customer_id")["order_date"].transform("min") >= month_start,
                                                          "customer_id"].nunique()))
        earlier = window.loc[window["order_date"] < month_start]
        if len(earlier):
            window, end = earlier, month_start - pd.Timedelta(days=1)
            partial_info["partial_left_out"] = True
        else:  # the data hold one partial month only: keep it, marked
            partial_info["partial_cohort"] = 0
    else:
        partial_info = {}
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
    return Cohorts(retention, pd.Series(sizes.to_numpy(), index=labels, name="customers"), revenue, per_customer, **partial_info)
