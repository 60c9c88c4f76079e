"""Hand-made A/B results (no MCMC): small experiments with chosen rates, revenue and timing, run through analyze()."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from playbook import abtest, mcmc
from playbook.abtest.decision import AAResult
from playbook.abtest.models import RevenueModelResult, SegmentResult

CONVERGED = mcmc.Diagnostics(rhat_max=1.002, ess_bulk_min=900.0, ess_tail_min=800.0, divergences=0, chains=2, draws=500)
FAILED = mcmc.Diagnostics(rhat_max=1.05, ess_bulk_min=40.0, ess_tail_min=30.0, divergences=3, chains=2, draws=500)


def experiment(rates=None, units: int = 4000, days: int = 14, revenue: bool = True, pre: bool = True, seed: int = 0,
               spend: dict | None = None, drop: dict | None = None) -> pd.DataFrame:
    """A unit-level experiment: ``units`` per arm at the given conversion ``rates``, log-normal baskets (mean ``spend``)."""
    rates = rates or {"A": 0.10, "B": 0.12}
    spend = spend or {}
    rng = np.random.default_rng(seed)
    frames = []
    for v, rate in rates.items():
        n = units - (drop or {}).get(v, 0)
        converted = (rng.uniform(size=n) < rate).astype(int)
        basket = rng.lognormal(np.log(spend.get(v, 50.0)) - 0.125, 0.5, n)
        frames.append(pd.DataFrame({
            "unit_id": [f"{v}{i}" for i in range(n)], "variant": v, "converted": converted,
            "revenue": np.where(converted == 1, basket, 0.0) if revenue else 0.0,
            "pre_period_revenue": rng.gamma(2.0, 10.0, n),
            "assigned_at": pd.Timestamp("2026-11-01") + pd.to_timedelta(rng.uniform(0, days - 1e-6, n), unit="D"),
            "device": rng.choice(["mobile", "desktop"], n),
        }))
    out = pd.concat(frames, ignore_index=True)
    if not pre:
        out = out.drop(columns="pre_period_revenue")
    return out


def build(rates=None, units: int = 4000, days: int = 14, revenue: bool = True, pre: bool = True, seed: int = 0, drop=None,
          spend=None, **kwargs):
    """``analyze`` on :func:`experiment` without the PyMC models and without the A/A simulation (unless asked)."""
    kwargs.setdefault("settings", None)
    kwargs.setdefault("aa_sims", 0)
    kwargs.setdefault("n_draws", 4000)
    kwargs.setdefault("segments", [])
    return abtest.analyze(experiment(rates, units, days, revenue, pre, seed, spend, drop), control="A", **kwargs)


def from_summary(rows: dict, **kwargs):
    """``analyze`` on a summary frame ``{variant: (units, conversions)}`` (no revenue)."""
    kwargs.setdefault("aa_sims", 0)
    kwargs.setdefault("n_draws", 4000)
    frame = pd.DataFrame([{"variant": v, "units": n, "conversions": k} for v, (n, k) in rows.items()])
    return abtest.analyze(summary=frame, control=kwargs.pop("control", "A"), **kwargs)


def with_segments(r, rows: list[dict], diagnostics: mcmc.Diagnostics = CONVERGED):
    """``r`` with a hand-made segment table (segment, level, variant, uplift_mean, uplift_hdi_low, uplift_hdi_high)."""
    table = pd.DataFrame([{"units": 1000, "conversions": 100, "uplift_raw": row["uplift_mean"], "prob_positive": 0.5, **row} for row in rows])
    return replace(r, segments=SegmentResult(table, diagnostics))


def with_revenue_model(r, diagnostics: mcmc.Diagnostics = CONVERGED):
    """``r`` with a hand-made revenue model result (draws unused by the narrative)."""
    model = RevenueModelResult({v: np.ones(10) for v in r.variants}, {v: 0.1 for v in r.variants}, {v: 50.0 for v in r.variants}, diagnostics)
    return replace(r, revenue_model=model)


def with_aa(r, single: float = 0.045, peek: float | None = 0.155, looks: int = 28):
    """``r`` with hand-made A/A results: one look and (optionally) ``looks`` looks."""
    def aa(rate, n):
        return AAResult(rate, float(np.sqrt(rate * (1 - rate) / 200)), 0.1, 200, n, 8000, 0.13)
    return replace(r, aa=[aa(single, 1)] + ([aa(peek, looks)] if peek is not None else []))
