"""adoption.csv's contract, and the history and timeline built from it."""

import datetime as dt

import pandas as pd
import pytest

from playbook.contracts import ContractError, contract, validate
from playbook.launch import history


def frame(periods, adopters=None):
    return pd.DataFrame({"period": periods, "adopters": adopters if adopters is not None else list(range(1, len(periods) + 1))})


def checked(periods, adopters=None):
    return validate(frame(periods, adopters), contract("adoption"), "adoption.csv")


def test_monthly_and_weekly_histories_pass_the_contract():
    assert len(checked(["2024-01-01", "2024-02-01", "2024-03-01"])) == 3
    assert len(checked(["2024-01-31", "2024-02-29", "2024-03-31"])) == 3  # month ends are months too
    assert len(checked([str(d.date()) for d in pd.date_range("2024-01-01", periods=6, freq="7D")])) == 6
    assert len(checked(["2024-01-01"])) == 1
    assert len(validate(pd.DataFrame({"period": [], "adopters": []}), contract("adoption"))) == 0


@pytest.mark.parametrize("periods, shown", [
    (["2024-01-01", "2024-03-01", "2024-04-01"], ["2024-03-01"]),  # a missing month
    (["2024-01-01", "2024-01-08", "2024-01-22", "2024-01-29"], ["2024-01-22"]),  # a missing week
    (["2024-01-01", "2024-01-08", "2024-02-08"], ["2024-02-08"]),  # weeks, then a month
])
def test_gaps_and_changes_of_spacing_are_refused_with_the_rows_after_them(periods, shown):
    with pytest.raises(ContractError) as err:
        checked(periods)
    text = str(err.value)
    assert "adoption.csv" in text and "column: period" in text and "no gaps" in text
    for day in shown:
        assert day in text


@pytest.mark.parametrize("adopters, rule", [([1, -2], "must be >= 0"), ([1, 2.5], "must be a whole number")])
def test_adopters_are_whole_numbers_at_least_zero(adopters, rule):
    with pytest.raises(ContractError, match=rule):
        checked(["2024-01-01", "2024-02-01"], adopters)


def test_a_period_appears_once():
    with pytest.raises(ContractError, match="must be unique"):
        checked(["2024-01-01", "2024-01-01"])


def test_own_history_starts_at_its_first_row():
    h = history.prepare(checked(["2024-03-01", "2024-01-01", "2024-02-01"], [3, 1, 2]))
    assert h.source == "own" and h.frequency == "month" and h.launch == pd.Timestamp("2024-01-01")
    assert list(h.adopters) == [1, 2, 3] and h.n == 3 and h.last_observed_index == 2
    assert h.data_period == ("2024-01-01", "2024-03-01")
    same_day = history.prepare(checked(["2024-01-01", "2024-02-01"]), launch_date="2024-01-01")
    assert same_day.source == "own"


def test_a_launch_date_makes_the_history_a_comparable_services():
    h = history.prepare(checked([str(d.date()) for d in pd.date_range("2022-01-03", periods=4, freq="7D")]), launch_date="2026-02-02")
    assert h.source == "comparable" and h.frequency == "week" and h.launch == pd.Timestamp("2026-02-02")
    assert h.last_observed_index == -1 and h.n == 4


def test_without_history_the_launch_is_the_date_given_or_the_next_period():
    given = history.prepare(None, launch_date="2026-05-01")
    assert given.source == "prior" and given.launch == pd.Timestamp("2026-05-01") and given.n == 0 and given.data_period is None
    today = dt.date(2026, 12, 1)  # a Tuesday
    assert history.prepare(None, today=today).launch == pd.Timestamp("2027-01-01")
    assert history.prepare(checked([])[:0], frequency="week", today=today).launch == pd.Timestamp("2026-12-07")
    with pytest.raises(ValueError, match="frequency must be one of"):
        history.prepare(None, frequency="day")


def test_one_row_takes_its_frequency_from_the_parameter():
    assert history.prepare(checked(["2024-01-01"]), frequency="week").frequency == "week"
    assert history.prepare(checked(["2024-01-01"])).frequency == "month"


def test_the_timeline_counts_months_and_weeks_from_the_launch():
    monthly = history.prepare(None, launch_date="2024-01-31")
    assert monthly.date(1) == pd.Timestamp("2024-02-29") and monthly.date(-2) == pd.Timestamp("2023-11-30")
    assert monthly.weeks_per_period == pytest.approx(365.25 / 12 / 7)
    weekly = history.prepare(None, launch_date="2024-01-01", frequency="week")
    assert weekly.dates(0, 3) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-15")]
    assert weekly.weeks_per_period == 1.0 and weekly.periods_per_year == pytest.approx(52.18, abs=0.01)
    own = history.prepare(checked(["2024-01-01", "2024-02-01"]))
    empty = own.without_history()
    assert empty.source == "prior" and empty.n == 0 and empty.launch == own.launch
