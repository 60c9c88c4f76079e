"""Data checks: every assumption the market panel breaks, as a named :class:`~playbook.results.DataWarning`.

Each warning says which file, which rows or series, what the analysis assumed and what it did
instead (the rules are in :mod:`playbook.market.panel`, :mod:`~playbook.market.growth`,
:mod:`~playbook.market.shares` and :mod:`~playbook.market.regions`). None of them stops the report.
"""

from __future__ import annotations

import pandas as pd

from playbook import fmt
from playbook.market.panel import Frequency, Panel, market_series
from playbook.results import DataWarning

#: How many runs of periods a warning lists before it says "and N more".
MAX_RUNS_SHOWN = 4
#: How many series a gap or entry warning names one by one before it groups the rest.
MAX_SERIES_SHOWN = 6


def period_runs(periods, freq: Frequency) -> str:
    """Periods as runs of consecutive periods: ``'2024-03-01; 2024-06-01 to 2024-08-01 (3 months)'``."""
    values = pd.DatetimeIndex(sorted(set(pd.DatetimeIndex(periods))))
    if not len(values):
        return ""
    calendar = pd.date_range(values[0], values[-1], freq=freq.pandas_freq)
    position = pd.Series(range(len(calendar)), index=calendar).reindex(values).to_numpy()
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or position[i] != position[i - 1] + 1:
            runs.append((values[start], values[i - 1], i - start))
            start = i
    text = [fmt.date(a) if n == 1 else f"{fmt.date(a)} to {fmt.date(b)} ({fmt.plural(n, freq.unit)})" for a, b, n in runs]
    more = len(text) - MAX_RUNS_SHOWN
    return "; ".join(text[:MAX_RUNS_SHOWN]) + (f"; and {fmt.plural(more, 'more run')}" if more > 0 else "")


def data_warnings(panel: Panel, file: str) -> list[DataWarning]:
    """Every broken assumption of the prepared ``panel``, in the order a reader needs them."""
    return [
        *summed_rows(panel, file),
        *gaps(panel, file),
        *entries_and_exits(panel, file),
        *zero_revenue(panel, file),
        *units_missing(panel, file),
        *short_history(panel, file),
        *weekly_periods(panel, file),
        *single_region_or_brand(panel, file),
    ]


def summed_rows(panel: Panel, file: str) -> list[DataWarning]:
    """Rows that share (period, region, brand, …) once dates were snapped to their month.

    (Rows that collide once label spellings are merged never get here: the contract refuses them.)"""
    if not panel.rows_summed:
        return []
    key = ", ".join(["period", *panel.ids])
    example = ", ".join(fmt.date(v) if isinstance(v, pd.Timestamp) else str(v) for v in panel.summed_example)
    return [DataWarning(
        file, f"{fmt.plural(panel.rows_summed, 'row')} after dates were read as their month, e.g. {example}",
        f"each combination of {key} appears once",
        f"Summed the revenue and units of the rows that share one {key}",
    )]


def gaps(panel: Panel, file: str) -> list[DataWarning]:
    """Periods missing inside a series' span, named by region (every brand) or by region and brand."""
    cells = panel.gaps
    if cells.empty:
        return []
    frame = panel.frame.loc[~panel.frame["filled"]]
    named = []
    for region, g in cells.groupby("region", sort=True):
        by_brand = g.groupby("brand")["period"].agg(frozenset)
        periods = frozenset(g["period"])
        live = frame.loc[frame["region"] == region].groupby("brand")["period"].agg(["min", "max"])
        spanning = live.index[(live["min"] < min(periods)) & (live["max"] > max(periods))]
        if set(spanning) <= set(by_brand.index) and all(s == periods for s in by_brand):
            named.append((f"region {region} (every brand)", periods))
        else:
            named += [(f"region {region}, brand {brand}", p) for brand, p in by_brand.items()]
    out = [_gap_warning(file, who, periods, panel.freq) for who, periods in named[:MAX_SERIES_SHOWN]]
    if len(named) > MAX_SERIES_SHOWN:
        rest = named[MAX_SERIES_SHOWN:]
        out.append(_gap_warning(file, f"{fmt.plural(len(rest), 'more series', 'more series')}",
                                frozenset().union(*(p for _, p in rest)), panel.freq))
    return out


def _gap_warning(file: str, who: str, periods, freq: Frequency) -> DataWarning:
    return DataWarning(
        file, f"{who}: no rows for {period_runs(periods, freq)}",
        "every series has a row in every period between its first and last",
        "Filled each missing period from the series' ratio to the rest of the market, interpolated between its "
        "neighbouring periods; the filled values count in every total, share and growth rate",
    )


def entries_and_exits(panel: Panel, file: str) -> list[DataWarning]:
    """Brands and regions whose rows start after the panel's first period or end before its last."""
    frame = panel.frame
    first, last = panel.calendar[0], panel.calendar[-1]
    out = []
    for column in ("brand", "region"):
        span = frame.groupby(column)["period"].agg(["min", "max"])
        for name, row in span.iterrows():
            if row["min"] > first:
                out.append(DataWarning(
                    file, f"{column} {name}: no rows before {fmt.date(row['min'])}",
                    f"every {column} is in the panel from its first period",
                    f"Counted as zero revenue before {fmt.date(row['min'])} (it enters then), so its share starts from zero",
                ))
            if row["max"] < last:
                out.append(DataWarning(
                    file, f"{column} {name}: no rows after {fmt.date(row['max'])}",
                    f"every {column} is in the panel up to its last period",
                    f"Counted as zero revenue after {fmt.date(row['max'])} (it left then); if its data are late rather than "
                    "gone, set period_end to the last complete period",
                ))
    return out


def zero_revenue(panel: Panel, file: str) -> list[DataWarning]:
    """Periods in which a whole region, a whole brand or the whole market sold nothing (a stock-out)."""
    frame = panel.frame
    out = []
    market = market_series(frame, panel.calendar)
    if (market <= 0).any():
        out.append(DataWarning(
            file, f"the whole market: no revenue in {period_runs(market.index[market <= 0], panel.freq)}",
            "the market has revenue in every period (trend, seasonality and forecast work on log revenue)",
            "Left those periods out of the trend-growth regression; seasonality and the forecast interpolate log "
            "revenue across them; totals count them as zero",
        ))
    actions = {
        "region": "Left out of that region's trend-growth regression (the log of zero is undefined); counted as zero "
                  "in totals and shares",
        "brand": "Counted as zero in totals and shares (a stock-out)",
    }
    for column, action in actions.items():
        totals = frame.groupby([column, "period"])["revenue"].sum()
        zero = totals[totals <= 0]
        for name, g in zero.groupby(level=0):
            periods = g.index.get_level_values("period")
            out.append(DataWarning(
                file, f"{column} {name}: no revenue in {period_runs(periods, panel.freq)}",
                f"every {column} has revenue in every period it is in the panel", action,
            ))
    return out


def units_missing(panel: Panel, file: str) -> list[DataWarning]:
    """Rows with revenue but zero units: they cannot enter an average price."""
    bad = panel.frame.loc[(panel.frame["revenue"] > 0) & (panel.frame["units"] <= 0)]
    if bad.empty:
        return []
    return [DataWarning(
        file, f"{fmt.plural(len(bad), 'row')} with revenue but zero units, e.g. {fmt.date(bad['period'].iloc[0])}, "
              f"{bad['region'].iloc[0]}, {bad['brand'].iloc[0]}",
        "every row with revenue reports the units sold",
        "Left out of average prices (revenue ÷ units over the rows that report units); counted in revenue and shares",
    )]


def short_history(panel: Panel, file: str) -> list[DataWarning]:
    """Fewer than two years of periods: no YoY growth and what depends on it; under a year: a partial window."""
    n, ppy, unit = panel.n_periods, panel.freq.periods_per_year, panel.freq.unit
    if n >= 2 * ppy:
        return []
    out = [DataWarning(
        file, f"{fmt.plural(n, unit)} from {fmt.date(panel.calendar[0])} to {fmt.date(panel.calendar[-1])}",
        f"two full years of periods ({fmt.plural(2 * ppy, unit)})",
        "No YoY growth, CAGR, share change, share of growth or trend growth (they compare whole years); no "
        "seasonality or forecast (the models need two seasonal cycles)",
    )]
    if n < ppy:
        out.append(DataWarning(
            file, f"{fmt.plural(n, unit)}", f"a full year of periods ({fmt.plural(ppy, unit)}) for the 'last year' figures",
            f"Every 'last {panel.freq.window_label}' figure covers only the {fmt.plural(n, unit)} available",
        ))
    return out


def weekly_periods(panel: Panel, file: str) -> list[DataWarning]:
    """Weekly periods: a year is taken as 52 weeks."""
    if panel.freq.name != "weekly":
        return []
    return [DataWarning(
        file, f"weekly periods ({fmt.plural(panel.n_periods, 'week')})",
        "a year is a whole number of periods",
        "A year is taken as 52 weeks (364 days), so the yearly windows drift a day a year against the calendar; "
        "the seasonal index averages the weeks of each calendar month",
    )]


def single_region_or_brand(panel: Panel, file: str) -> list[DataWarning]:
    """A panel with one region (no choice between regions) or one brand (no competitors)."""
    out = []
    regions = sorted(panel.frame["region"].unique())
    if len(regions) == 1:
        out.append(DataWarning(
            file, f"one region: {regions[0]}", "the panel compares several regions",
            "The regional priority ranks the one region; there is no choice between regions to make",
        ))
    brands = sorted(panel.frame["brand"].unique())
    if len(brands) == 1:
        out.append(DataWarning(
            file, f"one brand: {brands[0]}", "the panel holds competitors",
            "Every share is 100%; there is no leader, threat or share gap (the priority score is zero unless "
            "target_share is set)",
        ))
    return out
