"""Personas on the awkward but legal inputs real teams have (issue 17): a report with named warnings.

Each case is built from the demo orders and run through ``analyze()`` with the smallest settings (MAP CLV fits,
k from 2–4, two bootstrap refits); the summary, tiles and brief line must build and the results be JSON-safe.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ROOT

from playbook import io, mcmc, personas, results
from playbook.personas import narrative as N

MAP = mcmc.Settings(draws=1, tune=0, chains=1, sampler="pymc", seed=1)


@pytest.fixture(scope="module")
def few():
    """30 demo customers, analysed as of 60 days before their last order (so later orders exist)."""
    o = io.load("orders", ROOT / "data" / "demo")
    ids = o["customer_id"].drop_duplicates().sample(30, random_state=1)
    frame = o.loc[o["customer_id"].isin(ids)]
    end = frame["order_date"].max() - pd.Timedelta(days=60)
    later = int((frame["order_date"] > end).sum())
    r = personas.analyze(frame, None, observation_end=end, method="map", k_range=range(2, 5), settings=MAP,
                         stability_resamples=2, smoke=True)
    return r, frame, end, later


def _report(r):
    out = [*N.findings(r), *(t.value for t in N.tiles(r)), *(x["decision"] for x in N.brief(r))]
    saved = results.payload("personas", r.results(), N.tiles(r), r.data_period, r.interval, r.warnings)
    json.dumps(results.to_jsonable(saved), allow_nan=False)
    return out, saved


def test_orders_after_observation_end_are_left_out_with_a_named_warning(few):
    r, frame, end, later = few
    assert later > 0 and r.orders == len(frame) - later and r.end == end
    [w] = [w for w in r.warnings if "after" in w.rows]
    assert w.file == "orders.csv" and w.rows == f"{later:,} order{'s' if later != 1 else ''} after {end:%Y-%m-%d}"
    assert "observation_end" in w.assumption and w.action.startswith("left out")
    _, saved = _report(r)
    assert any("after" in x["rows"] for x in saved["warnings"])
    assert "data warning" in N.brief(r)[0]["risk"]


def test_very_few_customers_give_a_report_with_a_named_warning(few):
    r = few[0]
    assert r.customers == 30
    [w] = [w for w in r.warnings if w.rows == "30 customers"]
    assert w.file == "orders.csv" and f"at least {personas.FEW_CUSTOMERS} customers" in w.assumption
    out, _ = _report(r)
    assert out and N.brief(r)[0]["kind"] == "personas_winback"


@pytest.mark.parametrize("case", ["one order each", "one day of data"])
def test_data_that_cannot_show_repeat_purchases_is_refused_before_any_fit(case):
    """Every customer with one order, or one day of orders: no customer came back, so there is no purchase
    process to fit; analyze says so before anything is fitted (the notebook fails with that message)."""
    o = io.load("orders", ROOT / "data" / "demo")
    if case == "one order each":
        frame = o.sort_values("order_date").drop_duplicates("customer_id")
    else:
        frame = o.loc[o["order_date"] == o["order_date"].max()]
    with pytest.raises(ValueError, match=r"0 of [\d,]+ customers ordered on two or more days .* at least 10 repeat customers; nothing was fitted"):
        personas.analyze(frame, None, method="map", k_range=range(2, 5), settings=MAP, stability_resamples=2, smoke=True)
