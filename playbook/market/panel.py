"""The market panel made ready for analysis: periodicity, window, one row per key, gaps filled.

Input is a ``market.csv`` that passed its contract: one row per period, region and brand (and
optionally category and channel) with revenue and units; periods are months or weeks
(:func:`playbook.contracts.period_frequency`). A *series* is one combination of the identifying
columns (region, brand, category, channel: those present). Every "last 12 months" quantity means
the last *year of periods*: 12 months or 52 weeks.

Rules (each broken assumption is named by :mod:`playbook.market.checks`):

* **Rows sharing a key** once dates were snapped to the month (a frame passed to ``analyze``
  directly; the contract refuses such rows in a file) are summed.
* **Gaps**: a period missing *inside* a series' span (between its first and last row) is filled:
  the series' ratio to the rest of the market (the other series observed in the missing period and
  in both neighbouring periods) is interpolated linearly between its neighbouring periods and
  multiplied by that rest in the missing period, so the fill follows the market's seasonal swing.
  Where the rest of the market is empty or zero the series itself is interpolated linearly. Revenue
  and units are filled alike.
* **Before its first and after its last row** a series counts as zero: a brand that enters or leaves
  the market, a region not yet covered.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.contracts import period_frequency

#: Identifying columns of a series, in order; category and channel only when the file has them.
ID_COLUMNS: tuple[str, ...] = ("region", "brand", "category", "channel")
VALUES: tuple[str, ...] = ("revenue", "units")


@dataclass(frozen=True)
class Frequency:
    """How often the panel is observed: ``monthly`` (12 periods a year) or ``weekly`` (52)."""

    name: str
    periods_per_year: int
    pandas_freq: str
    unit: str

    @property
    def window_label(self) -> str:
        """``"12 months"`` or ``"52 weeks"``."""
        return f"{self.periods_per_year} {self.unit}s"


def detect_frequency(periods: pd.Series | pd.DatetimeIndex) -> Frequency:
    """The panel's frequency (monthly or weekly), from the spacing of its distinct periods.

    Weekly periods keep their weekday (``W-MON`` for Mondays). Raises ``ValueError`` for fewer than
    two distinct periods or a spacing that is neither (the market contract refuses such files).
    """
    if period_frequency(periods) == "monthly":
        return Frequency("monthly", 12, "MS", "month")
    first = pd.to_datetime(pd.Series(periods)).min()
    return Frequency("weekly", 52, f"W-{calendar.day_abbr[first.dayofweek].upper()[:3]}", "week")


def normalize_periods(frame: pd.DataFrame, freq: Frequency) -> pd.DataFrame:
    """The panel with ``period`` snapped to the first day of its month (monthly data): a copy."""
    out = frame.copy()
    out["period"] = pd.to_datetime(out["period"]).dt.normalize()
    if freq.name == "monthly":
        out["period"] = out["period"].dt.to_period("M").dt.to_timestamp()
    return out


def filter_window(frame: pd.DataFrame, start: str = "", end: str = "") -> pd.DataFrame:
    """The rows whose ``period`` lies in [start, end] (ISO dates; ``""`` leaves that side open).

    Raises ``ValueError`` when the window leaves fewer than two periods (a parameter problem: the
    file itself has at least two).
    """
    mask = pd.Series(True, index=frame.index)
    if start:
        mask &= frame["period"] >= pd.Timestamp(start)
    if end:
        mask &= frame["period"] <= pd.Timestamp(end)
    out = frame.loc[mask]
    if out["period"].nunique() < 2:
        raise ValueError(
            f"period_start {start or '(open)'} and period_end {end or '(open)'} leave {out['period'].nunique()} period(s); "
            f"the analysis needs at least two. The data covers {frame['period'].min():%Y-%m-%d} to {frame['period'].max():%Y-%m-%d}"
        )
    return out


@dataclass
class Panel:
    """The prepared panel: one row per period and series, gaps filled (``filled`` marks those rows)."""

    frame: pd.DataFrame  # period, <ids>, revenue, units, filled
    freq: Frequency
    ids: list[str]  # identifying columns present
    calendar: pd.DatetimeIndex  # every period from the first to the last
    rows_summed: int  # input rows merged into another row with the same key
    summed_example: tuple | None  # one key that had several rows

    @property
    def gaps(self) -> pd.DataFrame:
        """The filled cells: one row per series and period (period, <ids>)."""
        return self.frame.loc[self.frame["filled"], ["period", *self.ids]].reset_index(drop=True)

    @property
    def n_periods(self) -> int:
        return len(self.calendar)


def prepare(raw: pd.DataFrame, period_start: str = "", period_end: str = "") -> Panel:
    """The validated ``market`` panel made analysable (see the module's rules): a :class:`Panel`."""
    freq = detect_frequency(raw["period"])
    frame = filter_window(normalize_periods(raw, freq), period_start, period_end)
    ids = [c for c in ID_COLUMNS if c in frame.columns and frame[c].notna().any()]
    keyed = frame.groupby(["period", *ids], sort=True, dropna=False)[list(VALUES)].sum().reset_index()
    rows_summed = len(frame) - len(keyed)
    example = None
    if rows_summed:
        counts = frame.groupby(["period", *ids], dropna=False).size()
        example = tuple(counts.index[counts > 1][0])
    periods = pd.date_range(keyed["period"].min(), keyed["period"].max(), freq=freq.pandas_freq)
    filled = fill_gaps(keyed, ids, periods)
    return Panel(filled, freq, ids, periods, rows_summed, example)


def fill_gaps(frame: pd.DataFrame, ids: list[str], periods: pd.DatetimeIndex) -> pd.DataFrame:
    """``frame`` with a row added for every period missing inside a series' span, filled by the
    module's gap rule; column ``filled`` is True on the added rows."""
    wide = {v: frame.pivot_table(index="period", columns=ids, values=v, aggfunc="sum").reindex(periods) for v in VALUES}
    observed = wide["revenue"].notna()  # revenue is never empty in a valid file: NaN means no row
    inside = observed.cumsum().gt(0) & observed[::-1].cumsum()[::-1].gt(0)
    gap = inside & ~observed
    out = frame.assign(filled=False)
    if not gap.to_numpy().any():
        return out
    fills = {v: _interpolate_by_rest(wide[v]) for v in VALUES}
    cells = gap.stack(list(range(gap.columns.nlevels)), future_stack=True)
    cells = cells[cells].index
    added = pd.DataFrame(list(cells), columns=["period", *ids])
    for v in VALUES:
        stacked = fills[v].stack(list(range(gap.columns.nlevels)), future_stack=True)
        added[v] = stacked.reindex(cells).to_numpy()
    added["filled"] = True
    return pd.concat([out, added], ignore_index=True).sort_values(["period", *ids], ignore_index=True)


def _interpolate_by_rest(wide: pd.DataFrame) -> pd.DataFrame:
    """Interior NaNs of each column filled by the module's gap rule.

    For a gap at t between the column's observed neighbours t0 < t < t1, the reference is the sum of
    the other columns observed at t0, t and t1 (the same series in all three periods, so that a
    whole region missing at t does not shrink the reference): the column's ratio to it is
    interpolated linearly between t0 and t1 and multiplied by the reference at t. Without a positive
    reference the column itself is interpolated linearly.
    """
    values = wide.to_numpy(dtype=float)
    observed = ~np.isnan(values)
    out = values.copy()
    for j in range(values.shape[1]):
        seen = np.flatnonzero(observed[:, j])
        for t in range(seen[0] + 1, seen[-1]) if len(seen) else ():
            if observed[t, j]:
                continue
            t0, t1 = seen[seen < t][-1], seen[seen > t][0]
            w = (t - t0) / (t1 - t0)
            mask = observed[t0] & observed[t] & observed[t1]
            mask[j] = False
            r0, rt, r1 = values[t0, mask].sum(), values[t, mask].sum(), values[t1, mask].sum()
            if r0 > 0 and rt > 0 and r1 > 0:
                out[t, j] = ((1 - w) * values[t0, j] / r0 + w * values[t1, j] / r1) * rt
            else:
                out[t, j] = (1 - w) * values[t0, j] + w * values[t1, j]
    return pd.DataFrame(out, index=wide.index, columns=wide.columns)


def market_series(frame: pd.DataFrame, periods: pd.DatetimeIndex, value: str = "revenue") -> pd.Series:
    """Total ``value`` (revenue by default, currency) per period over ``periods``; 0 where no row exists."""
    out = frame.groupby("period")[value].sum().reindex(periods, fill_value=0.0)
    out.index = pd.DatetimeIndex(out.index, freq=periods.freq, name="period")
    return out.rename(value).astype(float)


def window_periods(periods: pd.DatetimeIndex, periods_per_year: int) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """The last year of periods (all of them when the data is shorter) and the full year before it (else empty)."""
    values = pd.DatetimeIndex(periods).sort_values()
    prior = values[-2 * periods_per_year : -periods_per_year] if len(values) >= 2 * periods_per_year else values[:0]
    return values[-periods_per_year:], prior


def positive_for_logs(series: pd.Series) -> pd.Series:
    """``series`` with periods of zero revenue replaced by interpolating log revenue across them.

    For the models that work on log revenue (STL, ETS): a period with no revenue at all is treated
    as missing, filled with the geometric interpolation of its neighbours (the nearest value at the
    ends). Unchanged when every period is positive, or none is.
    """
    if (series > 0).all() or not (series > 0).any():
        return series
    logs = np.log(series.where(series > 0))
    return np.exp(logs.interpolate(limit_direction="both")).rename(series.name)
