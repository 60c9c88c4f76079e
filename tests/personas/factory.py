"""Small personas results for the narrative and notebook tests: one MAP fit on simulated orders, then hand-made variants.

``base()`` runs :func:`playbook.personas.analyze` once (MAP, no MCMC) on 400 simulated customers with a
channel and a category; :func:`variant` changes one thing with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pandas as pd

from playbook import mcmc
from playbook.demo.personas import simulate_btyd_orders
from playbook.personas import analyze, holdout  # noqa: F401  (holdout for the tests)

CONVERGED = mcmc.Diagnostics(rhat_max=1.002, ess_bulk_min=900.0, ess_tail_min=800.0, divergences=0, chains=2, draws=500)
FAILED = mcmc.Diagnostics(rhat_max=1.05, ess_bulk_min=40.0, ess_tail_min=30.0, divergences=3, chains=2, draws=500)
ONE_CHAIN = mcmc.Diagnostics(rhat_max=float("nan"), ess_bulk_min=150.0, ess_tail_min=120.0, divergences=0, chains=1, draws=500)


def orders(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """Simulated BG/NBD orders with a channel and a plan category per order."""
    frame, _ = simulate_btyd_orders(n, r=0.8, alpha=6.0, a=1.0, b=3.0, p=4.0, q=6.0, v=100.0, seed=seed)
    rng = np.random.default_rng(seed)
    frame["channel"] = rng.choice(["app", "web"], len(frame))
    frame["category"] = rng.choice(["basic", "plus"], len(frame))
    return frame


def customers(frame: pd.DataFrame) -> pd.DataFrame:
    ids = frame["customer_id"].unique()
    rng = np.random.default_rng(0)
    return pd.DataFrame({"customer_id": ids, "age": rng.integers(20, 70, len(ids)), "region": rng.choice(["north", "south"], len(ids))})


MAP = mcmc.Settings(draws=1, tune=0, chains=1, sampler="pymc", seed=1)


@functools.cache
def base(with_customers: bool = True, purchase_model: str = "mbgnbd"):
    """The analysis of :func:`orders` (MAP CLV fits; k-means with k from 2–4; the holdout comparison runs, MBG/NBD is set)."""
    frame = orders()
    return analyze(frame, customers(frame) if with_customers else None, method="map", k_range=range(2, 5),
                   settings=MAP, horizon=26, purchase_model=purchase_model, margin=0.4, discount_rate=0.1)


def silent_one_timers(seed: int = 7) -> pd.DataFrame:
    """Orders over four years in which every customer arrives in the first two months and most one-time buyers
    have been silent for years (high dropout)."""
    frame, _ = simulate_btyd_orders(500, r=0.6, alpha=5.0, a=2.0, b=2.0, p=4.0, q=6.0, v=100.0, days=4 * 365,
                                    acquisition_days=60, seed=seed)
    return frame


def with_silhouette(r, value: float, stability: float | None = 0.9, resamples: int = 10):
    """``r`` with the chosen k's silhouette set to ``value`` and every bootstrap ARI to ``stability`` (None: not computed)."""
    scores = r.fit.k_scores.copy()
    scores.loc[scores["k"] == r.fit.k, "silhouette"] = value
    boots = np.array([]) if stability is None else np.full(resamples, stability)
    return replace(r, fit=replace(r.fit, k_scores=scores), stability=boots)


def variant(r=None, **changes):
    return replace(r or base(), **changes)
