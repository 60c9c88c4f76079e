"""Personas on the awkward but legal inputs real teams have (issue 17): a report with named warnings.

Each case is built from the demo orders and run through ``analyze()`` with the smallest settings (MAP CLV fits,
k from 2–4, two bootstrap refits); the summary, tiles and brief line must build and the results be JSON-safe.
Orders that cannot show repeat purchases are refused by ``playbook run`` before the notebook starts (exit 2, the
rule :data:`playbook.personas.rules.REPEAT_CUSTOMERS`), and by ``analyze()`` itself when it is called directly.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import ROOT, run_cli

from playbook import io, mcmc, personas, results
from playbook.personas import narrative as N
from playbook.personas import rules

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


def thin(case: str) -> pd.DataFrame:
    """The demo orders cut down so that few or no customers came back (as read from the file: raw text, dates as written)."""
    o = pd.read_csv(ROOT / "data" / "demo" / "orders.csv", dtype={"customer_id": str, "order_id": str})
    if case == "one order each":
        return o.sort_values("order_date").drop_duplicates("customer_id")
    if case == "one day of data":
        return o.loc[o["order_date"] == o["order_date"].max()]
    days = o.groupby("customer_id")["order_date"].nunique()  # "5 repeat customers": 5 who came back, 40 who did not
    keep = [*days.index[days > 1][:5], *days.index[days == 1][:40]]
    return o.loc[o["customer_id"].isin(keep)]


@pytest.mark.parametrize("case", ["one order each", "one day of data", "5 repeat customers"])
def test_orders_with_too_few_repeat_customers_are_refused_before_the_notebook_runs(tmp_path, case):
    """No customer (or 5) came back, so there is no purchase process to fit: ``playbook run`` stops with exit 2
    before the notebook starts, naming the file, the column and the rule; nothing is written."""
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    frame = thin(case)
    frame.to_csv(data / "orders.csv", index=False)
    proc = run_cli("run", "personas", "--data", str(data), "--out", str(out))
    assert proc.returncode == 2, proc.stderr
    assert not out.exists() and "Traceback" not in proc.stderr
    assert f"personas: {data / 'orders.csv'} breaks the rule 'repeat customers'" in proc.stderr
    assert "column: customer_id" in proc.stderr
    repeat = 5 if case == "5 repeat customers" else 0
    customers = frame["customer_id"].nunique()
    assert (f"at least {rules.MIN_REPEAT_CUSTOMERS} customers with orders on two or more days by the last order date "
            f"{frame['order_date'].max()} (observation_end is not set)") in proc.stderr
    assert f"the file has {repeat} of {customers:,} customers" in proc.stderr


def test_ten_repeat_customers_pass_the_rule_and_a_late_enough_observation_end_matters(tmp_path):
    o = pd.read_csv(ROOT / "data" / "demo" / "orders.csv", dtype={"customer_id": str, "order_id": str})
    days = o.groupby("customer_id")["order_date"].nunique()
    o.loc[o["customer_id"].isin([*days.index[days > 1][:10], *days.index[days == 1][:40]])].to_csv(tmp_path / "orders.csv", index=False)
    proc = run_cli("validate", "personas", "--data", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "can run     personas" in proc.stdout
    first = pd.to_datetime(o["order_date"]).min()
    proc = run_cli("validate", "personas", "--data", str(tmp_path), "-p", f"observation_end={first:%Y-%m-%d}")
    assert proc.returncode == 2 and f"by observation_end {first:%Y-%m-%d}" in proc.stderr, proc.stderr


@pytest.mark.parametrize("case", ["one order each", "one day of data"])
def test_data_that_cannot_show_repeat_purchases_is_refused_before_any_fit(case):
    """The second line of defence: ``analyze`` called directly (not through ``playbook run``) refuses too, before
    anything is fitted."""
    o = io.load("orders", ROOT / "data" / "demo")
    if case == "one order each":
        frame = o.sort_values("order_date").drop_duplicates("customer_id")
    else:
        frame = o.loc[o["order_date"] == o["order_date"].max()]
    with pytest.raises(ValueError, match=r"0 of [\d,]+ customers ordered on two or more days .* at least 10 repeat customers; nothing was fitted"):
        personas.analyze(frame, None, method="map", k_range=range(2, 5), settings=MAP, stability_resamples=2, smoke=True)


def test_the_pre_run_rule_counts_customers_as_analyze_does():
    """The rule's one-row-per-customer summary gives analyze's counts at any observation_end (so both refuse the same data)."""
    o = io.load("orders", ROOT / "data" / "demo")
    days = rules.order_days(o)
    first = o["order_date"].min()
    for end in (first, first + pd.Timedelta(days=20), first + pd.Timedelta(days=200), o["order_date"].max()):
        kept = o.loc[o["order_date"] <= end]
        expected = (kept["customer_id"].nunique(), int((kept.groupby("customer_id")["order_date"].nunique() > 1).sum()))
        assert days.counts(end) == expected, end
    assert days.counts(first)[1] == 0 and days.counts(o["order_date"].max())[1] > 1000
    assert rules.REPEAT_CUSTOMERS.check(days, {"observation_end": f"{first:%Y-%m-%d}"})
    assert rules.REPEAT_CUSTOMERS.check(days, {"observation_end": ""}) == []
