"""Small hand-made inputs shared by the attribution tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.attribution import journeys as J


def paths_frame(rows):
    """rows: (path string, conversions, value, nulls) → a path table."""
    return J.parse_paths(pd.DataFrame(rows, columns=["path", "conversions", "value", "nulls"]))


def _ts(day: float) -> pd.Timestamp:
    return pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)


def small_funnel():
    d1, d2 = pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")
    return pd.DataFrame(
        [
            (d1, "a", 1000, 50, 10, 4, 400.0, 100.0),
            (d2, "a", 1000, 50, 10, 6, 600.0, 100.0),
            (d1, "b", 2000, 20, 10, 1, 50.0, 300.0),
            (d2, "b", 2000, 20, 10, 1, 50.0, 300.0),
        ],
        columns=["date", "channel", "impressions", "clicks", "signups", "orders", "revenue", "spend"],
    )


def synthetic_daily(drop_days=(), factor=0.5, seed=0, days=364):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    dow = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 1.3, 1.35])[dates.dayofweek]
    clicks = rng.poisson(2000 * dow)
    cvr = 0.08 * dow * np.exp(rng.normal(0, 0.03, days))
    cvr[list(drop_days)] *= factor
    signups = rng.binomial(clicks, cvr)
    orders = rng.binomial(signups, 0.3)
    return pd.DataFrame(
        {
            "date": dates,
            "channel": "x",
            "impressions": clicks * 50,
            "clicks": clicks,
            "signups": signups,
            "orders": orders,
            "revenue": orders * 40.0,
            "spend": 1000.0,
        }
    )


# --------------------------------------------------------------------------- small results for the narrative

#: Paths where ``b`` closes and ``a`` opens: last touch over-credits b, the data-driven models move credit to a.
OPEN_CLOSE = [("a>b", 50, 500.0, 50), ("b", 5, 50.0, 95), ("a", 20, 200.0, 80)]
#: Single-touch paths: every model agrees.
SINGLE = [("a", 30, 300.0, 70), ("b", 10, 100.0, 90)]


def paths_csv(rows) -> pd.DataFrame:
    """A ``paths.csv`` frame (path strings), as the loader returns it."""
    return pd.DataFrame(rows, columns=["path", "conversions", "value", "nulls"])


def daily_funnel(days: int = 42, channels=("a", "b"), spend: float = 100.0, seed: int = 0) -> pd.DataFrame:
    """A steady daily funnel of a few channels (too short for the alerts' STL: no alerts)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = []
    for k, ch in enumerate(channels):
        clicks = rng.poisson(400 + 200 * k, days)
        signups = rng.binomial(clicks, 0.1)
        orders = rng.binomial(signups, 0.4)
        for d, c, s, o in zip(dates, clicks, signups, orders):
            rows.append((d, ch, 20.0 * c, float(c), float(s), float(o), 30.0 * o, spend))
    return pd.DataFrame(rows, columns=["date", "channel", "impressions", "clicks", "signups", "orders", "revenue", "spend"])


def result(paths=OPEN_CLOSE, funnel=None, targets=None, mmm=None, lift_tests=None, **settings):
    """An :class:`AttributionResult` of small hand-made inputs (2 bootstrap replicates unless told)."""
    from playbook import attribution

    s = attribution.Settings(**{"n_bootstrap": 2, "markov_order": 1, **settings})
    return attribution.analyze(funnel_data=funnel, paths=paths_csv(paths) if paths is not None else None, targets=targets, mmm=mmm,
                               lift_tests=lift_tests, settings=s)


def mmm_for_ab(share_a=0.5, share_b=0.5, passed=True, interval=0.9, extra=None):
    """A hand-made ``mmm.json`` for channels a and b (and ``extra`` channels), shares with ±0.05 intervals."""
    def entry(share):
        return {"roas_mean": 1.0, "roas_hdi_low": 0.8, "roas_hdi_high": 1.2, "contribution_share": share,
                "contribution_share_hdi_low": share - 0.05, "contribution_share_hdi_high": share + 0.05}
    channels = {"a": entry(share_a), "b": entry(share_b), **{c: entry(0.1) for c in (extra or [])}}
    return {"meta": {"interval": interval}, "channels": channels, "diagnostics": {"passed": passed}}
