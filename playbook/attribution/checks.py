"""Assumptions the attribution inputs can break without being illegal, each a named :class:`~playbook.results.DataWarning` (issue 17).

The report analyses as far as the data allow and says what it assumed: days missing from a channel's funnel
history, conversions with no touch to credit, journeys that are all single touches, a channel seen only on
converting journeys.
"""

from __future__ import annotations

import pandas as pd

from playbook import fmt
from playbook.attribution.journeys import Journeys
from playbook.results import DataWarning

#: How many channels a warning's ``rows`` names before it says "and n more".
NAMED = 4


def _named(items: list[str]) -> str:
    items = [str(i).replace("_", " ") for i in items]
    more = f" and {len(items) - NAMED} more" if len(items) > NAMED else ""
    return ", ".join(items[:NAMED]) + more


def _source(frame: pd.DataFrame | None, default: str) -> str:
    return str((frame.attrs.get("source") if frame is not None else None) or default)


def funnel_gaps(funnel_df: pd.DataFrame) -> list[DataWarning]:
    """Channels whose funnel history lacks rows for some days between their first and last day ("dark days")."""
    gaps = {}
    for ch, g in funnel_df.groupby("channel", sort=True):
        dates = pd.DatetimeIndex(pd.to_datetime(g["date"])).normalize().unique()
        missing = len(pd.date_range(dates.min(), dates.max(), freq="D")) - len(dates)
        if missing:
            gaps[ch] = missing
    if not gaps:
        return []
    rows = "; ".join(f"{str(ch).replace('_', ' ')}: {fmt.plural(n, 'day')}" for ch, n in list(gaps.items())[:NAMED])
    rows += f" and {len(gaps) - NAMED} more channel(s)" if len(gaps) > NAMED else ""
    return [DataWarning(
        _source(funnel_df, "funnel.csv"), rows,
        "every channel has a row for every day between its first and last day",
        "missing days are read as days off air (no impressions, clicks or spend): they add nothing to the totals, and no KPI or alert "
        "is computed for them",
    )]


def journey_warnings(paths: pd.DataFrame, journeys: Journeys | None, touchpoints: pd.DataFrame | None = None,
                     conversions: pd.DataFrame | None = None, lookback_days: float | None = None,
                     currency: str = "$") -> list[DataWarning]:
    """Conversions with no touch, journeys that are all one touch, channels seen only on converting journeys."""
    out = []
    tp_file = _source(touchpoints, "touchpoints.csv") if journeys is not None else "paths.csv"
    if journeys is not None and journeys.conversions_without_touch:
        window = f"within {fmt.number(lookback_days)} days before it" if lookback_days is not None else "before it"
        out.append(DataWarning(
            _source(conversions, "conversions.csv"), fmt.plural(journeys.conversions_without_touch, "conversion"),
            f"every conversion has a touch {window} in touchpoints",
            f"not credited to any channel ({fmt.money(journeys.value_without_touch, currency, 2)} of value left out); counted in "
            "attribution_meta.conversions_without_touch",
        ))
    if len(paths) and (paths["path"].map(len) == 1).all():
        out.append(DataWarning(
            tp_file, f"all {fmt.plural(len(paths), 'journey')}",
            "journeys hold several touches, so the models can tell openers from closers",
            "every journey has a single touch: first touch, last touch, Markov and Shapley give the same credit, which is last-touch credit",
        ))
    nulls = {}
    for p, n in zip(paths["path"], paths["nulls"]):
        for c in set(p):
            nulls[c] = nulls.get(c, 0.0) + float(n)
    only = sorted(c for c, n in nulls.items() if n == 0)
    if only and len(only) < len(nulls) and float(paths["nulls"].sum()) > 0:
        out.append(DataWarning(
            tp_file, f"channel {_named(only)}",
            "every channel is tracked on non-converting journeys as well as converting ones",
            f"{_named(only)} {'appears' if len(only) == 1 else 'appear'} only on converting journeys (tracked at conversion, e.g. a "
            f"coupon or an affiliate link): {'its' if len(only) == 1 else 'their'} credit is shown, but a 100% conversion rate says more "
            "about the tracking than about the channel",
        ))
    return out
