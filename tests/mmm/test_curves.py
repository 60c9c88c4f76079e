"""playbook.mmm.curves: the response-curve hand-off to the launch notebook, and the carry-over table."""

import pandas as pd
import pytest

from playbook.launch.plan import ResponseCurve
from playbook.mmm import curves as Cu

from .factory import result


def test_response_curve_points_are_what_launch_reads():
    r = result()
    pts = Cu.curve_points(r.curves)
    assert set(pts) == {"tv", "search"}
    assert all(set(p) == set(Cu.CURVE_POINT_KEYS) for p in pts["tv"])
    assert [p["spend"] for p in pts["tv"]] == sorted(p["spend"] for p in pts["tv"])
    curve = ResponseCurve.from_points(pts["tv"])
    mean, low, high = curve.at(75.0)
    assert low < mean < high and mean == pytest.approx(2 * 75.0**0.8)


def _decay(alpha):
    return pd.DataFrame([{"channel": ch, "weeks_since_spend": k, "weight_mean": (1 - a) * a**k} for ch, a in alpha.items() for k in range(8)])


def test_carryover_share_in_the_same_week_falls_with_decay():
    c = Cu.carryover(_decay({"fast": 0.2, "slow": 0.7})).set_index("channel")
    assert c.index.tolist() == ["slow", "fast"]  # longest carry-over first
    assert c.loc["fast", "same_week_share"] == pytest.approx(0.8 / (1 - 0.2**8))
    assert c.loc["slow", "same_week_share"] < 0.5 and c.loc["slow", "weeks_to_half"] == 1
    assert c.loc["fast", "weeks_to_half"] == 0 and c.loc["fast", "weeks_to_most"] == 2 and c.loc["slow", "weeks_to_most"] == 6
