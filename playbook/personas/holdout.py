"""Purchase models compared on a calibration/holdout split (Fader, Hardie & Lee 2005, fig. 3), and the rule that picks one.

The orders are cut at a calibration date; each candidate (BG/NBD, MBG/NBD, Pareto/NBD) is fitted (MAP)
on the customers acquired by then, predicts each customer's repeat purchases in the holdout window,
and is compared with the purchase days they actually made there, per calibration-frequency bucket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.personas import clv, summary

#: Calibration frequencies 0 … TOP_BUCKET − 1 get a bucket each; TOP_BUCKET and more share the last one.
TOP_BUCKET = 7
#: The holdout window: the horizon, but at most this share of the data's span (so calibration keeps the rest).
HOLDOUT_SHARE_MAX = 1 / 3
#: Fewest calibration customers for a comparison.
MIN_CUSTOMERS = 50
CANDIDATES: tuple[str, ...] = ("bgnbd", "mbgnbd", "pareto")
RULE = ("lowest holdout error: the customer-weighted mean absolute gap between predicted and actual repeat purchases "
        "per calibration-frequency bucket")


@dataclass
class Candidate:
    """One model's holdout check: bucket means and the errors that rank it."""

    model: str
    buckets: pd.DataFrame  # frequency (bucket label), customers, actual, predicted (mean repeat purchases per customer)
    holdout_error: float  # Σ n_b |predicted_b − actual_b| / Σ n_b, purchases per customer
    total_error: float  # (Σ predicted − Σ actual) / Σ actual

    def as_dict(self) -> dict:
        return {"holdout_error": self.holdout_error, "total_error": self.total_error,
                "buckets": self.buckets.to_dict(orient="records")}


@dataclass
class Comparison:
    """The split, every candidate's check and the model chosen by :data:`RULE` (or the override)."""

    chosen: str
    rule: str
    calibration_end: pd.Timestamp | None
    holdout_periods: float
    candidates: dict[str, Candidate] = field(default_factory=dict)
    reason: str = ""  # why no comparison was made (empty when one was)

    @property
    def compared(self) -> bool:
        return bool(self.candidates)

    def best(self) -> str | None:
        return min(self.candidates, key=lambda m: self.candidates[m].holdout_error) if self.candidates else None

    def as_dict(self) -> dict:
        return {"chosen": self.chosen, "rule": self.rule,
                "calibration_end": None if self.calibration_end is None else self.calibration_end.strftime("%Y-%m-%d"),
                "holdout_periods": self.holdout_periods, "reason": self.reason or None,
                "candidates": {m: c.as_dict() for m, c in self.candidates.items()}}


def bucket_labels(frequency: np.ndarray) -> np.ndarray:
    """``'0'``, ``'1'``, …, ``'7+'``."""
    f = np.minimum(np.asarray(frequency, dtype=int), TOP_BUCKET)
    return np.where(f >= TOP_BUCKET, f"{TOP_BUCKET}+", f.astype(str)).astype(object)


def holdout_purchases(orders: pd.DataFrame, calibration_end: pd.Timestamp, end: pd.Timestamp, ids: Sequence) -> np.ndarray:
    """Purchase days of each customer in ``ids`` after ``calibration_end`` up to ``end`` (orders on one day count once)."""
    dates = pd.to_datetime(orders["order_date"]).dt.normalize()
    window = orders.loc[(dates > calibration_end) & (dates <= end), ["customer_id"]].assign(d=dates)
    days = window.drop_duplicates().groupby("customer_id").size()
    return days.reindex(ids, fill_value=0).to_numpy(dtype=float)


def bucket_table(frequency, actual, predicted) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases per calibration-frequency bucket."""
    frame = pd.DataFrame({"bucket": bucket_labels(frequency), "f": np.minimum(frequency, TOP_BUCKET), "actual": actual,
                          "predicted": predicted})
    g = frame.groupby("f")
    return pd.DataFrame({"frequency": g["bucket"].first(), "customers": g.size(), "actual": g["actual"].mean(),
                         "predicted": g["predicted"].mean()}).reset_index(drop=True)


def score(model: str, frequency, actual, predicted) -> Candidate:
    table = bucket_table(np.asarray(frequency), np.asarray(actual, float), np.asarray(predicted, float))
    n = table["customers"].to_numpy(float)
    error = float((n * (table["predicted"] - table["actual"]).abs()).sum() / n.sum())
    total = float((np.sum(predicted) - np.sum(actual)) / max(np.sum(actual), 1e-12))
    return Candidate(model, table, error, total)


def split_date(orders: pd.DataFrame, end: pd.Timestamp, horizon: float, time_unit: str) -> pd.Timestamp:
    """The calibration end: ``end`` minus the holdout window (the horizon, capped at :data:`HOLDOUT_SHARE_MAX` of the span)."""
    start = pd.to_datetime(orders["order_date"]).min().normalize()
    span = (end - start).days
    days = min(horizon * summary.unit_days(time_unit), span * HOLDOUT_SHARE_MAX)
    return end - pd.Timedelta(days=int(round(days)))


def compare(
    orders: pd.DataFrame,
    end: pd.Timestamp,
    horizon: float,
    time_unit: str = "W",
    purchase_model: str = "auto",
    candidates: Sequence[str] = CANDIDATES,
    default: str = "mbgnbd",
    seed: int = 0,
) -> Comparison:
    """Each candidate's holdout check and the chosen model: ``purchase_model`` when set, else by :data:`RULE`.

    Never raises on short data: with fewer than :data:`MIN_CUSTOMERS` calibration customers (or no holdout
    window) no comparison is made and ``default`` is used (or the override), with ``reason`` saying why.
    """
    override = None if purchase_model == "auto" else clv.check_purchase_model(purchase_model)
    cal_end = split_date(orders, end, horizon, time_unit)
    periods = (end - cal_end).days / summary.unit_days(time_unit)
    chosen_if_none = override or default
    if periods <= 0:
        return Comparison(chosen_if_none, "set by the analyst" if override else "default: no holdout window", None, 0.0,
                          reason="the data span too few days for a holdout window")
    dates = pd.to_datetime(orders["order_date"]).dt.normalize()
    if (dates <= cal_end).sum() == 0:
        return Comparison(chosen_if_none, "set by the analyst" if override else "default: no calibration period", None, 0.0,
                          reason="no orders before the calibration date")
    cal = summary.customer_summary(orders, cal_end, time_unit)
    if len(cal) < MIN_CUSTOMERS or int((cal["frequency"] > 0).sum()) < 2:
        return Comparison(chosen_if_none, "set by the analyst" if override else f"default: fewer than {MIN_CUSTOMERS} calibration customers",
                          cal_end, periods, reason=f"{len(cal)} customers in the calibration period")
    actual = holdout_purchases(orders, cal_end, end, cal["customer_id"].to_numpy())
    data = cal[["customer_id", "frequency", "recency", "T"]]
    results = {}
    for m in candidates:
        try:
            fitted = clv.fit_purchase_model(cal, m, method="map", seed=seed)
            predicted = np.asarray(fitted.expected_purchases(data=data, future_t=periods)).reshape(-1)
        except Exception as err:  # a model that fails on these data is left out of the comparison, and says why
            results[m] = Candidate(m, pd.DataFrame(columns=["frequency", "customers", "actual", "predicted"]), float("inf"),
                                   float("nan"))
            results[m].buckets.attrs["error"] = f"{type(err).__name__}: {err}"
            continue
        results[m] = score(m, cal["frequency"].to_numpy(), actual, predicted)
    finite = {m: c for m, c in results.items() if np.isfinite(c.holdout_error)}
    if override:
        return Comparison(override, "set by the analyst (purchase_model)", cal_end, periods, results)
    if not finite:
        return Comparison(default, "default: every candidate failed on the calibration data", cal_end, periods, results,
                          reason="no candidate could be fitted")
    best = min(finite, key=lambda m: finite[m].holdout_error)
    return Comparison(best, RULE, cal_end, periods, results)
