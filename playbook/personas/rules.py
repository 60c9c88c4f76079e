"""What the personas analysis needs of ``orders.csv`` beyond its contract: enough customers who came back.

The BG/NBD and Gamma-Gamma models learn how often customers return and what they spend from the customers who
ordered on two or more days. With fewer than :data:`MIN_REPEAT_CUSTOMERS` by ``observation_end`` there is nothing
to learn from: :func:`playbook.personas.analyze` refuses before any fit (:func:`refusal`), and
:data:`REPEAT_CUSTOMERS` says so before the notebook runs (``playbook run`` / ``playbook validate``, exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from playbook.contracts import DataRule, Violation

#: Fewest repeat customers (orders on two or more days) the purchase and spend models are fitted on: with fewer,
#: recency and frequency carry no information about churn, and the Gamma-Gamma model has nothing to learn from.
MIN_REPEAT_CUSTOMERS = 10
#: Repeat customers a refusal names by id.
MAX_NAMED = 5


def refusal(repeat: int, customers: int, end: pd.Timestamp, file: str = "orders.csv") -> str | None:
    """Why ``repeat`` repeat customers of ``customers`` by ``end`` are too few to fit CLV on, or ``None`` when they are enough."""
    if repeat >= MIN_REPEAT_CUSTOMERS:
        return None
    return (
        f"{file}: {repeat:,} of {customers:,} customers ordered on two or more days "
        f"by {end:%Y-%m-%d}, but the purchase and spend (CLV) models need at least {MIN_REPEAT_CUSTOMERS} repeat customers; "
        "nothing was fitted. Export a longer order history (every customer with one order, or one day of data, "
        "cannot show how often customers come back)."
    )


@dataclass(frozen=True)
class OrderDays:
    """Each customer's first and second order day (``NaT`` when they ordered on one day only), and the last order day."""

    first: pd.Series
    second: pd.Series
    last: pd.Timestamp

    def counts(self, end: pd.Timestamp) -> tuple[int, int]:
        """(customers with an order, customers with orders on two or more days) on or before ``end``."""
        return int((self.first <= end).sum()), int((self.second <= end).sum())


def order_days(orders: pd.DataFrame) -> OrderDays:
    """The validated ``orders`` frame reduced to what :data:`REPEAT_CUSTOMERS` counts (one row per customer)."""
    days = orders[["customer_id", "order_date"]].drop_duplicates().sort_values(["customer_id", "order_date"])
    nth = days.groupby("customer_id").cumcount()
    first = days.loc[nth == 0].set_index("customer_id")["order_date"]
    second = days.loc[nth == 1].set_index("customer_id")["order_date"].reindex(first.index)
    return OrderDays(first, second, orders["order_date"].max())


def _check(days: OrderDays, values: dict) -> list[Violation]:
    given = values.get("observation_end") or None
    end = pd.Timestamp(given) if given else days.last
    customers, repeat = days.counts(end)
    if repeat >= MIN_REPEAT_CUSTOMERS:
        return []
    which = f"observation_end {end:%Y-%m-%d}" if given else f"the last order date {end:%Y-%m-%d} (observation_end is not set)"
    back = days.second.index[(days.second <= end).to_numpy()]
    named = f" ({', '.join(map(str, back[:MAX_NAMED]))}{', …' if len(back) > MAX_NAMED else ''})" if len(back) else ""
    rule = (f"at least {MIN_REPEAT_CUSTOMERS} customers with orders on two or more days by {which}, for the purchase and "
            f"spend (CLV) models; the file has {repeat:,} of {customers:,} customers{named}. Export a longer order history"
            + (", or set a later observation_end" if given else ""))
    return [Violation("customer_id", rule, count=repeat)]


#: The rule ``personas.ipynb`` declares (``metadata.playbook.data_rules``).
REPEAT_CUSTOMERS = DataRule(
    "repeat customers", "orders", ("observation_end",), order_days, _check,
    doc=f"at least {MIN_REPEAT_CUSTOMERS} customers ordered on two or more days by observation_end",
)
