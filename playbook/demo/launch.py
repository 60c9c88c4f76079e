"""Demo part ``launch``: ``adoption.csv``, the weekly new subscribers of Nimbus's service since its launch.

Nimbus launched its subscription service at ``world.start`` (the first week of the media window)
and its adoption follows a continuous-time Bass diffusion with known market potential m,
innovation p and imitation q (per year; per week they are divided by 365.25 / 7). The expected
new adopters in week k are the exact increment m · (F(k + 1) − F(k)), a little different from
the fitted model's mid-week rate m · f(k + ½), and the counts are negative-binomial around it
(dispersion :data:`DISPERSION`: noisier than Poisson, as real sign-ups are).

The truth is chosen so that the three years of data end before the peak: about a third of the
potential has adopted by ``world.end`` and new adoptions peak some ten months later, so the
launch plan still has a growth phase ahead of it. The market potential is set so that the expected
adopters over the window are the customers Nimbus acquires (:mod:`playbook.demo.business`, the funnel's
orders); the weekly counts are drawn on their own (the funnel's orders follow the media plan, not a Bass
curve, so only the window totals tie).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.demo import business
from playbook.demo.world import World

#: The true Bass p and q per year; the market potential m (subscribers) is set so that the adopters by the end of the
#: window are the customers of :mod:`playbook.demo.business` (about 170,000 at seed 7).
P_PER_YEAR = 0.05
Q_PER_YEAR = 0.60
#: Negative-binomial dispersion of the weekly counts (variance = mean + mean² / DISPERSION).
DISPERSION = 300.0
WEEKS_PER_YEAR = 365.25 / 7


def bass_share(p: float, q: float, t: np.ndarray) -> np.ndarray:
    """F(t): the share of the potential that has adopted by time ``t`` (same time unit as p and q)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def simulate(m: float, p: float, q: float, periods: int, dispersion: float, rng: np.random.Generator) -> np.ndarray:
    """New adopters per period for ``periods`` periods: negative-binomial around m · (F(k + 1) − F(k))."""
    k = np.arange(periods + 1)
    expected = m * np.diff(bass_share(p, q, k))
    return rng.negative_binomial(dispersion, dispersion / (dispersion + expected))


def make(world: World) -> tuple[dict[str, pd.DataFrame], dict]:
    """``({"adoption.csv": ...}, truth)``: one row per week of the world's window."""
    rng = world.rng("launch")
    p, q = P_PER_YEAR / WEEKS_PER_YEAR, Q_PER_YEAR / WEEKS_PER_YEAR
    # One business: the adopters by the end of the window are the customers Nimbus acquires (playbook.demo.business).
    m = round(business.levels(world)["customers"] / float(bass_share(p, q, world.weeks)), -2)
    weeks = world.week_starts
    adopters = simulate(m, p, q, len(weeks), DISPERSION, rng)
    frame = pd.DataFrame({"period": weeks, "adopters": adopters.astype(int)})
    peak = float(np.log(q / p) / (p + q))
    half = float(np.log(2 + q / p) / (p + q))
    truth = {
        "frequency": "week",
        "launch": str(weeks[0].date()),
        "m": m,
        "p": p,
        "q": q,
        "p_per_year": P_PER_YEAR,
        "q_per_year": Q_PER_YEAR,
        "dispersion": DISPERSION,
        "peak_time": peak,
        "peak_period_index": int(np.floor(peak)),
        "peak_period": str((weeks[0] + pd.Timedelta(weeks=int(np.floor(peak)))).date()),
        "half_potential_time": half,
        "half_potential_period_index": int(np.floor(half)),
        "share_adopted_at_end": float(bass_share(p, q, len(weeks))),
        "adopters_observed": int(adopters.sum()),
        "expected_rule": "weekly counts ~ NegativeBinomial(mean m (F(k+1) − F(k)), alpha = dispersion)",
    }
    return {"adoption.csv": frame}, truth
