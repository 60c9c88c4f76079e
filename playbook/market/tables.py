"""The report's tables: frame, formats, human headers with units and caption, for ``report.table(**spec)``.

Main-body tables show human headers; identifiers stay in the JSON. Money columns share one scale
per column (``$1.20B``, ``$0.35B``), so that amounts shown together read alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook import fmt
from playbook.market import narrative

if TYPE_CHECKING:  # pragma: no cover
    from playbook.market import MarketResult


def money_column(values, currency: str = "$"):
    """A formatter for one money column: one scale for the column, enough digits to tell its values apart."""
    scale = fmt.scale_for(values)
    top = max((abs(float(v)) for v in values if fmt.is_finite(v)), default=0.0) / scale[0]
    if scale[1]:
        digits = 2 if top < 10 else 1 if top < 100 else 0
    else:  # plain amounts: cents below $100, whole dollars above
        digits = 2 if top < 100 else 0
    return lambda v: fmt.money_scaled(v, scale, currency, digits)


def _pct(digits: int = 1, signed: bool = False):
    return lambda v: fmt.pct(v, digits, signed)


def _pp(v: float) -> str:
    return fmt.pp(v / 100)


def _times(v: float) -> str:
    return f"{fmt.ratio(v)}×"


def benchmark(r: MarketResult) -> dict:
    """Competitor benchmark, last year: revenue, share, change, growth, price."""
    win = r.freq.window_label
    df = r.brands.assign(brand=lambda d: d["brand"].map(narrative.label) + d["is_ours"].map({True: " (us)", False: ""}))
    cols = ["brand", "revenue_last", "share_last", "share_change_pp", "yoy_growth", "share_of_growth", "avg_price",
            "relative_price", "relative_share"]
    return {
        "frame": df[cols],
        "formats": {"revenue_last": money_column(df["revenue_last"]), "share_last": _pct(), "share_change_pp": _pp,
                    "yoy_growth": _pct(1, True), "share_of_growth": _pct(0, True), "avg_price": fmt.money_precise,
                    "relative_price": _times, "relative_share": _times},
        "headers": {"brand": "Brand", "revenue_last": f"Revenue, last {win}, $", "share_last": "Share of revenue",
                    "share_change_pp": "Share change, pp", "yoy_growth": "YoY growth", "share_of_growth": "Share of growth",
                    "avg_price": "Average price, $ per unit", "relative_price": "Price vs market",
                    "relative_share": "Share vs largest rival"},
        "caption": f"Competitor benchmark, {narrative.window(r)}",
    }


def regions(r: MarketResult) -> dict:
    """Regions ranked by priority score, with size, growth, our share and the gap."""
    win = r.freq.window_label
    df = r.regions.assign(region=lambda d: d["region"].map(narrative.label),
                          leader=lambda d: d["leader"].map(lambda v: narrative.label(v) if isinstance(v, str) else fmt.MISSING))
    cols = ["priority_rank", "region", "revenue_last", "size_share", "yoy_growth", "our_share", "our_share_change_pp",
            "leader", "target_share", "headroom", "priority_score"]
    money = money_column(pd.concat([df["revenue_last"], df["headroom"], df["priority_score"]]))
    return {
        "frame": df[cols],
        "formats": {"revenue_last": money, "size_share": _pct(0), "yoy_growth": _pct(1, True), "our_share": _pct(),
                    "our_share_change_pp": _pp, "target_share": _pct(), "headroom": money, "priority_score": money},
        "headers": {"priority_rank": "Rank", "region": "Region", "revenue_last": f"Market, last {win}, $",
                    "size_share": "Share of the market", "yoy_growth": "YoY growth", "our_share": "Our share",
                    "our_share_change_pp": "Our share change, pp", "leader": "Leading competitor",
                    "target_share": "Target share", "headroom": "Headroom, $ a year", "priority_score": "Priority score, $ a year"},
        "caption": "Regions ranked by priority score",
    }


def forecast(r: MarketResult) -> dict:
    """The forecast per period with its prediction interval."""
    t = r.forecast.table[["period", "mean", "lower", "upper"]]
    money = money_column(pd.concat([t["mean"], t["lower"], t["upper"]]))
    band = fmt.interval_label(r.interval, "prediction interval")
    return {
        "frame": t,
        "formats": {"period": lambda d: fmt.date(d, "month"), "mean": money, "lower": money, "upper": money},
        "headers": {"period": r.freq.unit.capitalize(), "mean": "Forecast, $", "lower": f"Low end, {band}, $",
                    "upper": f"High end, {band}, $"},
        "caption": f"Market revenue forecast per {r.freq.unit}",
    }


def data_summary(r: MarketResult) -> dict:
    """What the analysis used: frequency, periods, rows, regions, brands, optional columns, filled cells."""
    frame = r.panel.frame
    rows = [
        ("Frequency", f"{r.freq.name} (detected from the spacing of the periods)"),
        ("Periods used", fmt.count(len(r.series))),
        ("First period", fmt.date(r.first_period)),
        ("Last period", fmt.date(r.last_period)),
        ("Rows", fmt.count(int((~frame["filled"]).sum()))),
        ("Rows filled for gaps", fmt.count(int(frame["filled"].sum()))),
        ("Regions", ", ".join(map(narrative.label, sorted(frame["region"].unique())))),
        ("Brands", ", ".join(map(narrative.label, sorted(frame["brand"].unique())))),
        ("Optional columns", ", ".join(c for c in r.panel.ids if c not in ("region", "brand")) or "none"),
        ("Data warnings", fmt.count(len(r.warnings))),
    ]
    return {"frame": pd.DataFrame(rows, columns=["Item", "Value"]), "caption": "What the analysis used"}


def region_trend(r: MarketResult) -> dict:
    """Underlying yearly growth per region with its confidence interval, beside YoY growth."""
    yoy = r.regions.set_index("region")["yoy_growth"]
    rows = [{"region": narrative.label(name), "yoy": yoy.get(name, np.nan), "rate": t.rate, "lower": t.lower,
             "upper": t.upper, "left_out": t.excluded} for name, t in r.region_trend.items()]
    ci = narrative.ci(r)
    return {
        "frame": pd.DataFrame(rows),
        "formats": {"yoy": _pct(1, True), "rate": _pct(1, True), "lower": _pct(1, True), "upper": _pct(1, True)},
        "headers": {"region": "Region", "yoy": "YoY growth", "rate": "Trend growth, per year", "lower": f"Low end, {ci}",
                    "upper": f"High end, {ci}", "left_out": "Periods without revenue left out"},
        "caption": f"Underlying yearly growth per region: OLS of log revenue on time with seasonal terms, {ci} "
                   "(Newey–West standard errors)",
    }


def seasonal_index(r: MarketResult) -> dict:
    """The seasonal index per calendar month."""
    s = r.seasonality
    df = s.seasonal_index.rename("index").reset_index().assign(vs=lambda d: d["index"] - 1)
    return {
        "frame": df,
        "formats": {"index": lambda v: fmt.number(v, 3), "vs": _pct(1, True)},
        "headers": {"month": "Month", "index": "Seasonal index (trend = 1)", "vs": "vs trend"},
        "caption": f"Seasonal index per calendar month (mean 1); seasonal strength {fmt.ratio(s.strength)}",
        "max_rows": 12,
    }


def forecast_model(r: MarketResult) -> dict:
    """The forecast model, its parameters and the backtest's figures."""
    fc, bt, unit = r.forecast, r.backtest, r.freq.unit
    mass = fmt.mass(r.interval)
    rows = [("Model", fc.model), ("AICc (log scale)", fmt.number(fc.aicc, 1))]
    rows += [(k.replace("_", " "), fmt.number(v, 4)) for k, v in fc.params.items()]
    calibrated = fc.interval_method == "conformal"
    rows.append(("Interval", "split-conformal on backtest errors (log scale)" if calibrated else "model's own (not calibrated)"))
    if bt is not None:
        rows += [("Backtest origins", f"{fmt.count(bt.origins)} (first after {fmt.plural(bt.min_train, unit)})"),
                 ("Backtest forecasts scored", fmt.count(len(bt.table))), ("Backtest MAPE", fmt.pct(bt.mape, 2)),
                 ("Seasonal naive MAPE", fmt.pct(bt.seasonal_naive_mape, 2)),
                 (f"{mass} coverage, model's own interval", fmt.pct(bt.coverage_model, 0)),
                 (f"{mass} coverage, calibrated (leave one origin out)", fmt.pct(bt.coverage_calibrated, 0) if calibrated else fmt.MISSING),
                 ("Origins behind the total's interval", fmt.count(bt.calibration.total_n_errors))]
    return {"frame": pd.DataFrame(rows, columns=["Item", "Value"]), "caption": "Forecast model and backtest"}


def thresholds(r: MarketResult) -> dict:
    """The thresholds of the report's rules."""
    return {"frame": pd.DataFrame(list(narrative.thresholds().items()), columns=["Rule", "Threshold"]),
            "caption": "Thresholds behind the report's wording"}
