"""The one business every demo part describes: Nimbus's revenue and customers over the media window.

The demo parts are drawn from independent random streams, but they are the same business seen at
different levels. This module fixes the levels they share, from the two parts that are the most
detailed about them:

* **Revenue**: the MMM's weekly revenue (``mmm.csv``, net revenue of every order of every customer,
  noise-free) is Nimbus's revenue. The market panel is scaled so that Nimbus's noise-free revenue over
  the months of the media window equals it.
* **Customers**: the personas order book (``orders.csv``) is a random sample of Nimbus's customers; its
  revenue per customer over the window, times the number of customers, makes the MMM's revenue. So
  Nimbus acquires ``customers = mmm revenue / revenue per sampled customer`` customers over the window,
  and the order book holds the fraction ``sample_fraction = sampled customers / customers`` of them.
* **First orders**: every customer is acquired through a media channel (``acquisition_channel``); the
  funnel's ``orders`` are those first orders, so the funnel's trial-to-paid rates are scaled to make
  its expected orders over the window equal ``customers``; the launch's Bass market potential is set so that
  its expected adopters over the window (``adoption.csv``) are ``customers`` too.

:func:`ties` states the relations (which number equals which, in which ratio, with which tolerance)
that ``truth.json`` records under ``ties`` and ``tests/demo/test_ties.py`` asserts on the files.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from playbook.demo.world import World

#: Relative tolerance of each tie, from the noise that separates the two numbers (see :func:`ties`).
TOLERANCE = {"market_vs_mmm": 0.02, "funnel_orders_vs_customers": 0.03, "personas_vs_mmm": 0.02,
             "adopters_vs_customers": 0.03}


@lru_cache(maxsize=8)
def levels(world: World) -> dict:
    """Nimbus's revenue, customers and the personas' sampling fraction for ``world`` (noise-free where stated)."""
    from playbook.demo import mmm, personas  # the parts import this module

    _, mmm_truth = mmm.make(world)
    _, personas_truth = personas.make(world)
    revenue = float(mmm_truth["expected_revenue_total"])
    per_customer = personas_truth["revenue"] / personas_truth["customers"]
    customers = revenue / per_customer
    return {
        "revenue": revenue,
        "revenue_per_customer": float(per_customer),
        "customers": float(customers),
        "sampled_customers": int(personas_truth["customers"]),
        "sample_fraction": float(personas_truth["customers"] / customers),
    }


def ties(world: World, truth: dict) -> dict:
    """The relations between the parts' files, as ``truth.json`` records them (``truth`` is the whole truth)."""
    lv = levels(world)
    window = f"{world.start.date()} to {world.end.date()}"
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
                "right": f"mmm.csv: revenue, weeks {window}",
                "ratio": 1.0,
                "tolerance": TOLERANCE["market_vs_mmm"],
                "why": "the market panel is scaled so the brand's noise-free revenue over the window is the MMM's; "
                "they differ by the panel's demand shocks and row noise and the MMM's weekly noise",
            },
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
            "the yearly paths: the market panel has the brand ramping up after launch, the MMM a linear trend, "
            "the order book cohorts that accumulate; only the window totals tie",
            "the journeys (touchpoints.csv, conversions.csv) and the checkout experiment are separate samples of "
            "visitors, not counted in the funnel or the order book",
            "the weekly paths of the funnel's orders (the media plan) and of adoption.csv (a Bass curve)",
        ],
    }


def pay_rate_scale(world: World, expected_orders: float) -> float:
    """Factor on the funnel's trial-to-paid rates that makes ``expected_orders`` equal Nimbus's customers."""
    scale = levels(world)["customers"] / expected_orders
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"pay-rate scale must be positive, got {scale}")
    return float(scale)
