"""Hand-made order book shared by the personas tests."""

from __future__ import annotations

import pandas as pd


def order_book() -> pd.DataFrame:
    rows = [
        ("o1", "A", "2024-01-01", 10.0, "app", "basic"),
        ("o2", "A", "2024-01-01", 5.0, "web", "basic"),
        ("o3", "A", "2024-02-10", 20.0, "app", "plus"),
        ("o4", "A", "2024-03-25", 40.0, "app", "plus"),
        ("o5", "B", "2024-01-15", 30.0, "store", "family"),
        ("o6", "C", "2024-02-03", 8.0, "web", "basic"),
        ("o7", "C", "2024-03-31", 12.0, "web", "basic"),
        ("o8", "C", "2024-05-01", 99.0, "web", "basic"),  # after the observation end
        ("o9", "D", "2024-03-28", 7.0, "app", "student"),
    ]
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "revenue", "channel", "category"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    return frame


END = "2024-03-31"


END = "2024-03-31"
