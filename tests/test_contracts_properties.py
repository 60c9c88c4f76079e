"""Property-based tests (Hypothesis) of the data contracts: on any frame ``validate`` either returns
or raises ``ContractError``; valid frames round-trip; a violation names the rows that break it."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook.contracts import CONTRACTS, MMM_MIN_WEEKS, Contract, ContractError, validate

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NAMES = sorted(CONTRACTS)
LABELS = ["alpha", "beta", "gamma", "delta"]  # distinct up to case, spacing and punctuation

# --------------------------------------------------------------------------- arbitrary frames

cells = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["2024-01-01", "2024-02-30", "01/02/2024", "2024-01-01T10:00:00", " ", "", "NaN"]),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)).map(str),
)


@st.composite
def arbitrary_frames(draw, contract: Contract):
    declared = [c.name for c in contract.columns] + [p + "x" for p, _ in contract.prefixed]
    names = draw(st.lists(st.one_of(st.sampled_from(declared), st.text(max_size=8)), max_size=len(declared) + 2, unique=True))
    n = draw(st.integers(0, 6))
    return pd.DataFrame({name: draw(st.lists(cells, min_size=n, max_size=n)) for name in names}, columns=names)


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_validate_raises_nothing_but_contract_error_on_arbitrary_frames(name, data):
    frame = data.draw(arbitrary_frames(CONTRACTS[name]))
    try:
        validate(frame, CONTRACTS[name], f"{name}.csv")
    except ContractError as err:
        assert str(err).startswith(("data contract violated", "input file missing"))


# --------------------------------------------------------------------------- valid frames


def _column_values(draw, col, n: int, start: dt.date):
    if col.kind == "date":
        return [str(start + dt.timedelta(days=draw(st.integers(0, 3000)))) for _ in range(n)]
    if col.kind == "datetime":
        return [f"{start + dt.timedelta(days=draw(st.integers(0, 900)))}T{draw(st.integers(0, 23)):02d}:15:00" for _ in range(n)]
    if col.kind == "binary":
        return draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))
    low = col.min if col.min is not None else -1000
    if col.kind == "int":
        return draw(st.lists(st.integers(int(low), int(low) + 10**6), min_size=n, max_size=n))
    if col.kind == "float":
        return draw(st.lists(st.floats(low, low + 1e7, allow_nan=False, allow_infinity=False), min_size=n, max_size=n))
    if col.label:
        return draw(st.lists(st.sampled_from(LABELS), min_size=n, max_size=n))
    return [f"id{i:05d}" for i in range(n)] if col.unique else draw(st.lists(st.sampled_from(["c001", "c002", "c003"]), min_size=n, max_size=n))


@st.composite
def valid_frames(draw, contract: Contract):
    """A frame that keeps every rule of ``contract`` (its columns, kinds, bounds, uniqueness, checks)."""
    n = draw(st.integers(1, 8))
    start = dt.date(2020, 1, 6)
    optional = [c for c in contract.columns if not c.required]
    chosen = [c for c in contract.columns if c.required] + [c for c in optional if draw(st.booleans())]
    frame = pd.DataFrame({c.name: _column_values(draw, c, n, start) for c in chosen})
    for prefix, template in contract.prefixed:
        frame[f"{prefix}tv"] = draw(st.lists(st.floats(template.min or 0, 1e6, allow_nan=False), min_size=n, max_size=n))
    if contract.name == "mmm":  # weekly, one row per week, at least half a year of them
        frame = pd.concat([frame] * -(-MMM_MIN_WEEKS // len(frame)), ignore_index=True)
        frame["date"] = [str(start + dt.timedelta(weeks=i)) for i in range(len(frame))]
        frame = frame.drop(columns=["geo"], errors="ignore")
    if contract.name == "market":  # months on their first day, at least two of them
        if n < 2:
            frame = pd.concat([frame, frame], ignore_index=True)
        frame["period"] = [str(pd.Timestamp("2020-01-01") + pd.DateOffset(months=i))[:10] for i in range(len(frame))]
    if contract.name == "adoption":  # one row per period, consecutive months or weeks
        step = draw(st.sampled_from(["weeks", "months"]))
        frame["period"] = [str(pd.Timestamp("2020-01-06") + (pd.DateOffset(weeks=i) if step == "weeks" else pd.DateOffset(months=i)))[:10] for i in range(n)]
    if contract.name in ("experiment", "experiment_summary") and n < 2:  # an A/B test compares at least two arms
        frame = pd.concat([frame, frame], ignore_index=True)
        n = len(frame)
        for col in contract.columns:
            if col.unique and col.name in frame and not col.label:
                frame[col.name] = [f"id{i:05d}" for i in range(n)]
    if contract.name == "experiment":
        frame["variant"] = [LABELS[i % 2] for i in range(n)]
    if contract.name == "experiment_summary":
        frame["variant"] = [f"v{i}" for i in range(n)]
        frame["units"] = np.maximum(frame["units"], 1)  # a variant received at least one unit
        frame["conversions"] = np.minimum(frame["conversions"], frame["units"])
    if contract.name == "lift_tests":
        frame["sigma"] = frame["sigma"].abs() + 0.5
    if contract.name == "paths":
        frame["path"] = [" > ".join(draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=3))) for _ in range(n)]
    for col in contract.columns:
        if col.unique and col.name in frame and col.label:
            frame[col.name] = [f"{LABELS[i % 4]}{'x' * (i // 4)}" for i in range(n)]
    together = [c for c in contract.unique_together if c in frame.columns]
    if together:
        frame = frame.drop_duplicates(subset=together).reset_index(drop=True)
    return frame


def _same(a: pd.Series, b: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
        return np.allclose(a.astype(float), b.astype(float), equal_nan=True)
    return a.astype(str).tolist() == b.astype(str).tolist()


@pytest.mark.parametrize("name", NAMES)
@SETTINGS
@given(data=st.data())
def test_valid_frames_round_trip(name, data):
    contract = CONTRACTS[name]
    frame = data.draw(valid_frames(contract))
    once = validate(frame, contract, f"{name}.csv")
    assert list(once.columns) == list(frame.columns) and len(once) == len(frame)
    for col in contract.columns:
        if col.name in frame.columns and col.kind in ("date", "datetime"):
            assert (once[col.name] == pd.to_datetime(frame[col.name])).all(), col.name
        elif col.name in frame.columns:
            assert _same(once[col.name], frame[col.name]), col.name
    twice = validate(once, contract, f"{name}.csv")
    for column in once.columns:
        assert _same(twice[column], once[column]), column


# --------------------------------------------------------------------------- violations name real rows


def _breakable(contract: Contract) -> list[tuple[str, str]]:
    """(column, how to break it) for every declared column whose rule a single cell can break alone."""
    out = []
    for col in contract.columns:
        if not col.required:
            continue
        if col.kind in ("int", "float") and col.min is not None:
            out.append((col.name, "negative"))
        elif col.kind in ("date", "datetime") and contract.name != "mmm":
            out.append((col.name, "not a date"))
    return out


BREAKABLE = [(n, *_breakable(CONTRACTS[n])[0]) for n in NAMES if _breakable(CONTRACTS[n])]  # one rule per contract


@pytest.mark.parametrize(("name", "column", "how"), BREAKABLE, ids=[f"{n}.{c}" for n, c, _ in BREAKABLE])
@SETTINGS
@given(data=st.data())
def test_a_violation_names_the_rows_that_break_the_rule(name, column, how, data):
    contract = CONTRACTS[name]
    frame = data.draw(valid_frames(contract))
    rows = sorted(data.draw(st.sets(st.integers(0, len(frame) - 1), min_size=1, max_size=len(frame))))
    frame[column] = frame[column].astype(object)
    for i in rows:
        frame.at[i, column] = -5 if how == "negative" else "someday"
    with pytest.raises(ContractError) as info:
        validate(frame, contract, f"{name}.csv")
    (violation,) = [v for v in info.value.violations if v.column == column]
    assert sorted(violation.rows["line"]) == [i + 2 for i in rows]  # line in the file: header is line 1
    assert violation.count == len(rows)
    assert re.search(rf"column: {column}\b", str(info.value))


def test_hypothesis_is_a_declared_dev_dependency_installed_by_both_environment_files():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dev = {re.split(r"[<>=\[ ]", d, maxsplit=1)[0].lower() for d in project["optional-dependencies"]["dev"]}
    assert {"hypothesis", "websocket-client", "pytest"} <= dev
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "-e .[dev]" in pip  # conda users get the same dev extra through pip
