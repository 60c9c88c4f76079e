"""The one business every demo part describes: Nimbus's revenue and customers over the media window.

The demo parts are drawn from independent random streams, but they are the same business seen at
different levels. This module fixes the levels they share, from the two parts that are the most
detailed about them:

* **Revenue**: the MMM's weekly revenue (``mmm.csv``, net revenue of every order of every customer,
  noise-free) is Nimbus's revenue. Spread over days (1/7 of a week's revenue a day) and summed per calendar
  month (:func:`monthly_revenue`), it is Nimbus's noise-free revenue in each month of the market panel's
  media window, so the market and the MMM agree month by month and year by year, not only over the window.
* **Customers**: the personas order book (``orders.csv``) is a random sample of Nimbus's customers; its
  revenue per customer over the window, times the number of customers, makes the MMM's revenue. So
  Nimbus acquires ``customers = mmm revenue / revenue per sampled customer`` customers over the window,
  and the order book holds the fraction ``sample_fraction = sampled customers / customers`` of them.
* **First orders**: every customer is acquired through a media channel (``acquisition_channel``); the
  funnel's ``orders`` are those first orders, so the funnel's trial-to-paid rates are scaled to make
  its expected orders over the window equal ``customers``, and its order values per channel are scaled by one
  factor so its expected revenue per order is the order book's mean first-order value; the launch's Bass market potential is set so that
  its expected adopters over the window (``adoption.csv``) are ``customers`` too.

:func:`ties` states the relations (which number equals which, in which ratio, with which tolerance)
that ``truth.json`` records under ``ties`` and ``tests/demo/test_ties.py`` asserts on the files.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from playbook.demo.world import World

#: Relative tolerance of each tie, from the noise that separates the two numbers (see :func:`ties`).
TOLERANCE = {"market_vs_mmm": 0.02, "funnel_orders_vs_customers": 0.03, "personas_vs_mmm": 0.02,
             "adopters_vs_customers": 0.03, "market_vs_mmm_year": 0.04, "funnel_vs_first_orders": 0.01}
#: Relations stated once per calendar year of the window: tolerance key -> name prefix (``market_vs_mmm_2024``).
YEARLY = {"market_vs_mmm_year": "market_vs_mmm"}


@lru_cache(maxsize=8)
def levels(world: World) -> dict:
    """Nimbus's revenue, customers and the personas' sampling fraction for ``world`` (noise-free where stated)."""
    from playbook.demo import mmm, personas  # the parts import this module

    _, mmm_truth, weekly = mmm.simulate(world)
    personas_files, personas_truth = personas.make(world)
    book = personas_files["orders.csv"]
    first_orders = book.groupby("customer_id", sort=False)["revenue"].first()  # orders by date
    revenue = float(mmm_truth["expected_revenue_total"])
    per_customer = personas_truth["revenue"] / personas_truth["customers"]
    customers = revenue / per_customer
    return {
        "revenue": revenue,
        "revenue_per_customer": float(per_customer),
        "customers": float(customers),
        "sampled_customers": int(personas_truth["customers"]),
        "sample_fraction": float(personas_truth["customers"] / customers),
        "weekly_revenue": weekly,
        "first_order_value": float(first_orders.mean()),
        "order_book_revenue_by_year": {int(y): float(v) for y, v in book.groupby(book["order_date"].dt.year)["revenue"].sum().items()},
    }


def daily_revenue(world: World) -> tuple[pd.Series, np.ndarray]:
    """Nimbus's noise-free revenue per day of the calendar months the window touches, and which days the window covers.

    A week's noise-free MMM revenue is spread evenly over its seven days; the days of the first and last month
    outside the window (``world.start`` is a Monday, ``world.end`` a Sunday) run at the rate of the nearest week.
    """
    weekly = levels(world)["weekly_revenue"]
    daily = pd.Series(np.repeat(weekly.to_numpy() / 7.0, 7), index=world.days)
    first = world.start.to_period("M").to_timestamp()
    last = world.end.to_period("M").to_timestamp(how="end").normalize()
    full = pd.date_range(first, last, freq="D")
    return daily.reindex(full).ffill().bfill(), full.isin(world.days)


def monthly_revenue(world: World) -> pd.Series:
    """Nimbus's noise-free revenue per calendar month (month starts) of the window: the MMM's weeks split by days."""
    daily, _ = daily_revenue(world)
    return daily.resample("MS").sum()


def ties(world: World, truth: dict) -> dict:
    """The relations between the parts' files, as ``truth.json`` records them (``truth`` is the whole truth)."""
    lv = levels(world)
    window = f"{world.start.date()} to {world.end.date()}"
    daily, covered = daily_revenue(world)
    month_days, week_days = len(daily), int(covered.sum())
    return {
        "period": {"start": str(world.start.date()), "end": str(world.end.date())},
        "revenue": "net revenue of every order (the MMM's KPI)",
        "nimbus_revenue": lv["revenue"],
        "customers": lv["customers"],
        "revenue_per_customer": lv["revenue_per_customer"],
        "relations": [
            {
                "name": "market_vs_mmm",
                "left": f"market.csv: revenue of {world.our_brand}, months {world.start.to_period('M')} to {world.end.to_period('M')}",
                "right": f"mmm.csv: revenue, weeks {window} ({week_days} days; the months have {month_days})",
                "ratio": month_days / week_days,
                "tolerance": TOLERANCE["market_vs_mmm"],
                "why": "the brand's noise-free revenue in each month of the market panel is the MMM's noise-free "
                "revenue of that month's days (the days of the first and last month outside the weeks at the "
                "nearest week's rate); they differ by the panel's demand shocks and row noise and the MMM's weekly noise",
            },
            *_yearly_market_vs_mmm(world, truth, daily, covered),
            {
                "name": "funnel_orders_vs_customers",
                "left": "funnel.csv: orders (first orders of customers acquired through media)",
                "right": "customers Nimbus acquires over the window (ties.customers)",
                "ratio": 1.0,
                "tolerance": TOLERANCE["funnel_orders_vs_customers"],
                "why": "the funnel's trial-to-paid rates are scaled so its expected orders are the customers; "
                "they differ by binomial noise and the planted anomalies",
            },
            {
                "name": "funnel_vs_first_orders",
                "left": "funnel.csv: revenue / orders (first-order value of customers acquired through media)",
                "right": "orders.csv: mean revenue of each sampled customer's first order",
                "ratio": 1.0,
                "tolerance": TOLERANCE["funnel_vs_first_orders"],
                "expected": {"left": float(truth["attribution"]["funnel"]["expected_order_value"]),
                             "right": lv["first_order_value"]},
                "why": "the funnel's order values per channel are scaled by one factor so its expected revenue per "
                "order is the order book's first-order value (channels keep their differences); they differ by "
                "the funnel's per-order value noise and by the realised channel mix of its orders (anomalies)",
            },
            {
                "name": "personas_vs_mmm",
                "left": "orders.csv: revenue, all orders of the sampled customers",
                "right": "mmm.csv: revenue, weeks " + window,
                "ratio": lv["sample_fraction"],
                "tolerance": TOLERANCE["personas_vs_mmm"],
                "why": "the order book is a sample of the customers (sample_fraction of them); "
                "they differ by the MMM's weekly noise",
            },
            {
                "name": "adopters_vs_customers",
                "left": "adoption.csv: adopters, weeks " + window,
                "right": "customers Nimbus acquires over the window (ties.customers)",
                "ratio": 1.0,
                "tolerance": TOLERANCE["adopters_vs_customers"],
                "why": "the Bass market potential is set so the expected adopters by the window's end are the customers "
                "(m rounded to hundreds); they differ by the weekly counts' negative-binomial noise",
            },
        ],
        "sample_fraction": lv["sample_fraction"],
        "not_tied": [
            _order_book_years(world, daily, covered),
            "the journeys (touchpoints.csv, conversions.csv) and the checkout experiment are separate samples of "
            "visitors, not counted in the funnel or the order book",
            "the weekly paths of the funnel's orders (the media plan) and of adoption.csv (a Bass curve)",
        ],
    }


def _order_book_years(world: World, daily: pd.Series, covered: np.ndarray) -> str:
    """Why the order book's yearly path does not tie, with its yearly revenue (over the sample fraction) and the MMM's."""
    lv = levels(world)
    book = lv["order_book_revenue_by_year"]
    mmm = daily[covered].groupby(daily[covered].index.year).sum()
    pairs = ", ".join(f"{y}: ${book.get(y, 0.0) / lv['sample_fraction'] / 1e6:.1f}M vs ${mmm[y] / 1e6:.1f}M" for y in mmm.index)
    return ("the yearly path of the order book: its revenue over the sample fraction against the MMM's noise-free "
            f"revenue is {pairs}, because the order book's customers arrive in cohorts whose repeat orders "
            "accumulate, while the MMM's revenue is at full level from the first week; tying it needs other "
            "acquisition dates and purchase rates in orders.csv, so only its window total ties (personas_vs_mmm); "
            "the market panel's yearly path ties (market_vs_mmm_<year>)")


def _yearly_market_vs_mmm(world: World, truth: dict, daily: pd.Series, covered: np.ndarray) -> list[dict]:
    """One ``market_vs_mmm_<year>`` relation per calendar year of the window (noise-free values under ``expected``)."""
    ours = truth["market"]["our_revenue_by_year"]
    out = []
    for year in range(world.start.year, world.end.year + 1):
        in_year = daily.index.year == year
        days, weeks_days = int(in_year.sum()), int((in_year & covered).sum())
        out.append({
            "name": f"market_vs_mmm_{year}",
            "left": f"market.csv: revenue of {world.our_brand}, months {year}-01 to {year}-12",
            "right": f"mmm.csv: revenue of the {weeks_days} days of {year} its weeks cover "
            "(a week across the new year split by days, 1/7 of its revenue a day)",
            "ratio": days / weeks_days,
            "tolerance": TOLERANCE["market_vs_mmm_year"],
            "expected": {"left": float(ours[str(year)]), "right": float(daily[in_year & covered].sum())},
            "why": "each month of the market panel holds the MMM's noise-free revenue of its days (see market_vs_mmm); "
            "a year differs by the panel's demand shocks and row noise and the MMM's weekly noise, about 1% (sd over "
            "seeds), and by the rate of the days outside the weeks (at most 0.4%)",
        })
    return out


def order_value_scale(world: World, expected_orders: dict[str, float], aov: dict[str, float]) -> float:
    """Factor on the funnel's order values per channel that makes its expected revenue per order the order book's
    mean first-order value (``expected_orders`` and ``aov`` per channel)."""
    orders = np.array([expected_orders[ch] for ch in aov])
    value = float((orders * np.array(list(aov.values()))).sum() / orders.sum())
    scale = levels(world)["first_order_value"] / value
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"order-value scale must be positive, got {scale}")
    return float(scale)


def pay_rate_scale(world: World, expected_orders: float) -> float:
    """Factor on the funnel's trial-to-paid rates that makes ``expected_orders`` equal Nimbus's customers."""
    scale = levels(world)["customers"] / expected_orders
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"pay-rate scale must be positive, got {scale}")
    return float(scale)
