"""The adoption history and the plan's timeline: which periods were observed, their spacing, and where period 0 is.

Three cases, one timeline (period index 0 is the launch, each period one month or one week):

* ``"own"``: ``adoption.csv`` is the service's own history; its first row is the launch.
* ``"comparable"``: ``adoption.csv`` is a comparable service's history and ``launch_date`` the new
  service's launch; the comparable's p and q carry over to the new service's timeline.
* ``"prior"``: no history; the forecast rests on the priors alone and starts at ``launch_date``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

FREQUENCIES = ("month", "week")
#: Periods per year for each frequency (a year of 365.25 days).
PERIODS_PER_YEAR = {"month": 12.0, "week": 365.25 / 7}
FILE = "adoption.csv"


@dataclass(frozen=True)
class History:
    """Observed adopters per period (empty without history) and the plan's timeline."""

    source: str  # "own", "comparable" or "prior"
    frequency: str  # "month" or "week"
    launch: pd.Timestamp  # the date of period index 0
    periods: pd.DatetimeIndex  # the observed periods, oldest first
    adopters: np.ndarray  # new adopters in each observed period (whole numbers)

    @property
    def n(self) -> int:
        """Number of observed periods."""
        return len(self.adopters)

    @property
    def periods_per_year(self) -> float:
        return PERIODS_PER_YEAR[self.frequency]

    @property
    def weeks_per_period(self) -> float:
        """Weeks in one period: 1 for weekly data, 365.25 / 7 / 12 ≈ 4.35 for monthly data."""
        return PERIODS_PER_YEAR["week"] / self.periods_per_year

    @property
    def last_observed_index(self) -> int:
        """Index on the plan's timeline of the last observed period of the service itself (−1: none observed)."""
        return self.n - 1 if self.source == "own" else -1

    @property
    def data_period(self) -> tuple[str, str] | None:
        """First and last observed period (ISO dates), or ``None`` without history."""
        if not self.n:
            return None
        return self.periods[0].strftime("%Y-%m-%d"), self.periods[-1].strftime("%Y-%m-%d")

    def without_history(self) -> History:
        """The same timeline with nothing observed (a prior-only forecast)."""
        return History("prior", self.frequency, self.launch, pd.DatetimeIndex([]), np.zeros(0, dtype=int))

    def date(self, index: int) -> pd.Timestamp:
        """The date of period ``index`` on the plan's timeline (negative: before the launch)."""
        if self.frequency == "month":
            return self.launch + pd.DateOffset(months=int(index))
        return self.launch + pd.Timedelta(weeks=int(index))

    def dates(self, start: int, stop: int) -> list[pd.Timestamp]:
        """Dates of periods ``start`` … ``stop − 1``."""
        return [self.date(k) for k in range(start, stop)]


def detect_frequency(periods: pd.Series) -> str | None:
    """``"week"`` when consecutive periods are 7 days apart, ``"month"`` otherwise; ``None`` for fewer than two."""
    periods = pd.Series(pd.to_datetime(periods)).sort_values()
    if len(periods) < 2:
        return None
    return "week" if (periods.diff().dt.days.iloc[1:] == 7).all() else "month"


def next_period_start(frequency: str, today: dt.date | None = None) -> pd.Timestamp:
    """The first day of next month, or next Monday: where a launch without a date and without history starts."""
    today = pd.Timestamp(today or dt.date.today()).normalize()
    if frequency == "month":
        return (today + pd.offsets.MonthBegin(1)).normalize()
    return today + pd.Timedelta(days=7 - today.dayofweek)


def prepare(adoption: pd.DataFrame | None, launch_date: str = "", frequency: str = "", today: dt.date | None = None) -> History:
    """The history and timeline from a validated ``adoption.csv`` (``None`` or no rows: no history).

    ``launch_date`` (ISO) set with a history makes the history a comparable service's; without
    history it is the planned launch (default: the next month or week after ``today``).
    ``frequency`` (``month``/``week``) is used only when the history has fewer than two rows.
    """
    if frequency and frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)} or empty, got {frequency!r}")
    if adoption is None or adoption.empty:
        freq = frequency or "month"
        launch = pd.Timestamp(launch_date) if launch_date else next_period_start(freq, today)
        return History("prior", freq, launch, pd.DatetimeIndex([]), np.zeros(0, dtype=int))
    rows = adoption.sort_values("period")
    periods = pd.DatetimeIndex(pd.to_datetime(rows["period"]))
    freq = detect_frequency(rows["period"]) or frequency or "month"
    comparable = bool(launch_date) and pd.Timestamp(launch_date) != periods[0]
    launch = pd.Timestamp(launch_date) if comparable else periods[0]
    return History("comparable" if comparable else "own", freq, launch, periods, rows["adopters"].to_numpy(dtype=int))
