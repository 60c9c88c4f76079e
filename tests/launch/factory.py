"""Hand-made launch results (no MCMC): Bass draws around chosen m, p, q on a chosen timeline, and a hand-made mmm.json."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook import mcmc
from playbook.demo.launch import simulate
from playbook.launch import bass, from_draws
from playbook.launch.history import History

CONVERGED = mcmc.Diagnostics(rhat_max=1.002, ess_bulk_min=900.0, ess_tail_min=800.0, divergences=0, chains=2, draws=500)
FAILED = mcmc.Diagnostics(rhat_max=1.05, ess_bulk_min=40.0, ess_tail_min=30.0, divergences=3, chains=2, draws=500)
SETTINGS = mcmc.Settings(draws=500, tune=500, chains=2, sampler="pymc", seed=1)


def mmm_json(passed: bool = True, curves: bool = True, recommended: bool = False, interval: float = 0.9,
             top: float = 20_000.0) -> dict:
    """A hand-made ``mmm.json``: two channels, linear-then-flat response curves up to ``top`` weekly spend."""
    def curve(roas):
        spend = np.linspace(0, top, 11)
        mean = roas * spend * (1 - spend / (3 * top))
        return [{"spend": s, "contribution_mean": c, "contribution_hdi_low": 0.8 * c, "contribution_hdi_high": 1.2 * c}
                for s, c in zip(spend, mean)]

    return {
        "meta": {"notebook": "mmm", "interval": interval, "data_period": ["2023-01-02", "2025-12-22"]},
        "channels": {"search": {"spend": 520_000.0, "roas_mean": 3.0}, "social": {"spend": 1_040_000.0, "roas_mean": 1.5}},
        "diagnostics": {"passed": passed},
        "optimizer": {"recommended": recommended, "search": {"current": 4000.0, "optimal": 6000.0 if recommended else None},
                      "social": {"current": 8000.0, "optimal": 6000.0 if recommended else None}},
        **({"response_curves": {"search": curve(3.0), "social": curve(1.5)}} if curves else {}),
    }


def build(source: str = "own", n: int = 36, frequency: str = "month", m: float | None = 150_000.0,
          p_year: float = 0.05, q_year: float = 0.6, spread: float = 0.05, draws: int = 400,
          diagnostics: mcmc.Diagnostics | None = CONVERGED, adopters=None, m_source: str | None = None, **kwargs):
    """A :class:`LaunchResult` from draws around (m, p, q); ``source`` own/comparable/prior; kwargs go to ``from_draws``."""
    rng = np.random.default_rng(0)
    ppy = 12.0 if frequency == "month" else 365.25 / 7
    p, q = p_year / ppy, q_year / ppy
    start = pd.Timestamp("2023-01-01") if frequency == "month" else pd.Timestamp("2023-01-02")
    step = pd.DateOffset(months=1) if frequency == "month" else pd.Timedelta(weeks=1)
    if source == "prior":
        n = 0
    if adopters is None:
        adopters = simulate(m or 150_000.0, p, q, n, 300.0, np.random.default_rng(1))
    adopters = np.asarray(adopters, dtype=int)
    periods = pd.DatetimeIndex([start + i * step for i in range(len(adopters))])
    launch = pd.Timestamp("2026-03-01") if source in ("prior", "comparable") else start
    hist = History(source, frequency, launch, periods, adopters)
    priors = bass.make_priors(ppy, market_potential=m if source == "prior" and m else 0.0,
                              adopters_so_far=int(adopters.sum()) or None)
    if m_source:
        priors = bass.Priors(priors.m, priors.p, priors.q, priors.dispersion, m_source, ppy)
    noise = lambda: np.exp(spread * rng.standard_normal(draws))  # noqa: E731
    made = bass.Draws(None if m is None else m * noise(), p * noise(), q * noise(), np.full(draws, 300.0),
                      "prior" if source == "prior" else "posterior")
    if source == "prior":
        diagnostics = None
    return from_draws(hist, priors, made, diagnostics=diagnostics, settings=None if diagnostics is None else SETTINGS, **kwargs)
