"""playbook.market.tables: human headers with units, one money scale per column, every table renders."""

from __future__ import annotations

import re

import pytest

from playbook import report
from playbook.market import tables

from .builders import result
from .test_narrative import fake_forecast

IDENTIFIER = re.compile(r"^[a-z]+(_[a-z]+)+$")


@pytest.fixture(scope="module")
def r():
    return fake_forecast(result())


def test_money_column_uses_one_scale_and_enough_digits():
    f = tables.money_column([1.2e9, 3.5e8])
    assert (f(1.2e9), f(3.5e8)) == ("$1.20B", "$0.35B")
    g = tables.money_column([3.14e8, 7.4e7])
    assert (g(3.14e8), g(7.4e7)) == ("$314M", "$74M")
    assert tables.money_column([12.0, 8.0])(8.0) == "$8.00"


@pytest.mark.parametrize("name", ["benchmark", "regions", "forecast"])
def test_body_tables_have_human_headers(r, name):
    spec = getattr(tables, name)(r)
    shown = [spec["headers"].get(c, c) for c in spec["frame"].columns]
    assert not [h for h in shown if IDENTIFIER.match(h)], shown
    html = report.table(**spec, show=False).data
    assert "Traceback" not in html and "nan" not in html.lower().replace("financ", "")


def test_units_and_interval_mass_in_headers(r):
    assert tables.benchmark(r)["headers"]["revenue_last"] == "Revenue, last 12 months, $"
    assert tables.forecast(r)["headers"]["lower"] == "Low end, 90% prediction interval, $"
    assert tables.regions(r)["headers"]["priority_score"] == "Priority score, $ a year"
    assert "(us)" in tables.benchmark(r)["frame"]["brand"].iloc[-1] + tables.benchmark(r)["frame"]["brand"].iloc[0]


@pytest.mark.parametrize("name", ["data_summary", "region_trend", "seasonal_index", "forecast_model", "thresholds"])
def test_appendix_tables_render(r, name):
    html = report.table(**getattr(tables, name)(r), show=False).data
    assert "<table" in html
