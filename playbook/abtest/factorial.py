"""Multivariate (factorial) tests: main effects and two-way interactions of each factor on conversion (PyMC).

When the experiment file has two or more ``factor_<name>`` columns, each unit's cell (its ``variant``)
is one combination of factor levels (subject line × image × send time). A Bayesian logistic model on
the cells' conversions::

    logit p(cell) = a + Σ_f β_f[level_f] + Σ_{f<g} γ_fg[level_f, level_g]

with every factor's first level (sorted) as its reference (β = 0, γ = 0 on a reference level), priors
a ~ Normal(logit pooled rate, 1.5), β ~ Normal(0, 0.5), γ ~ Normal(0, 0.25) (interactions are smaller
than main effects unless the data say otherwise). Main effects and interactions are on the log-odds
scale against the first levels; the best combination is the one with the highest conversion rate in
the most posterior draws (P(best)), over every combination of the levels seen.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook import mcmc
from playbook.abtest.posterior import draws_hdi

PREFIX = "factor_"


def factor_columns(experiment: pd.DataFrame) -> list[str]:
    """The ``factor_<name>`` columns of the experiment (a factorial test needs at least two)."""
    return [c for c in experiment.columns if c.startswith(PREFIX) and len(c) > len(PREFIX)]


def factor_name(column: str) -> str:
    return column[len(PREFIX):]


def cells(experiment: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Units and conversions per combination of factor levels (one row per combination seen)."""
    frame = experiment.assign(**{c: experiment[c].astype(str) for c in columns})
    return frame.groupby(list(columns), sort=True)["converted"].agg(units="size", conversions="sum").reset_index()


@dataclass
class FactorialResult:
    """Main effects and two-way interactions (log-odds), P(best) of every combination, and diagnostics."""

    factors: dict[str, list[str]]  # factor name → levels, the first being the reference
    main_effects: dict[str, dict[str, dict[str, float]]]
    interactions: list[dict]
    combinations: pd.DataFrame  # one row per combination: factor columns, rate_mean, prob_best, units, conversions
    diagnostics: mcmc.Diagnostics
    interval: float = 0.9
    draws: dict = field(default_factory=dict, repr=False)

    @property
    def best(self) -> dict:
        row = self.combinations.sort_values("prob_best", ascending=False).iloc[0]
        return {"combination": {f: str(row[f]) for f in self.factors}, "prob_best": float(row["prob_best"]),
                "rate_mean": float(row["rate_mean"])}

    @property
    def interactions_matter(self) -> bool:
        """Some two-way interaction's interval excludes zero."""
        return any(i["hdi_low"] > 0 or i["hdi_high"] < 0 for i in self.interactions)

    def as_dict(self) -> dict:
        return {
            "factors": {f: list(levels) for f, levels in self.factors.items()},
            "scale": "log-odds against each factor's first level",
            "main_effects": self.main_effects,
            "interactions": self.interactions,
            "interactions_matter": self.interactions_matter,
            "best": self.best,
            "combinations": self.combinations.to_dict(orient="records"),
            "diagnostics": self.diagnostics.as_dict(),
        }


def _summary(draws: np.ndarray, interval: float) -> dict[str, float]:
    lo, hi = draws_hdi(draws, interval)
    return {"mean": float(draws.mean()), "hdi_low": lo, "hdi_high": hi, "prob_positive": float((draws > 0).mean())}


def fit(experiment: pd.DataFrame, columns: Sequence[str] | None = None, interval: float = 0.9,
        settings: mcmc.Settings = mcmc.Settings(sampler="pymc")) -> FactorialResult:  # noqa: B008
    """Fit the factorial logistic model to the experiment's ``factor_`` columns (at least two)."""
    import pymc as pm
    import pytensor.tensor as pt
    from scipy.special import logit

    columns = list(columns or factor_columns(experiment))
    if len(columns) < 2:
        raise ValueError(f"a factorial test needs at least two factor_ columns, found {columns}")
    table = cells(experiment, columns)
    names = [factor_name(c) for c in columns]
    levels = {n: sorted(table[c].unique()) for n, c in zip(names, columns)}
    idx = {n: pd.Categorical(table[c], categories=levels[n]).codes for n, c in zip(names, columns)}
    pairs = list(itertools.combinations(names, 2))
    pooled = float(table["conversions"].sum() / table["units"].sum())
    coords = {f"level_{n}": levels[n] for n in names}
    with pm.Model(coords=coords) as model:
        a = pm.Normal("intercept", logit(min(max(pooled, 1e-4), 1 - 1e-4)), 1.5)
        eta = a
        beta = {}
        for n in names:
            raw = pm.Normal(f"beta_{n}", 0.0, 0.5, shape=len(levels[n]) - 1)
            beta[n] = pt.concatenate([pt.zeros(1), raw])
            pm.Deterministic(f"main_{n}", beta[n], dims=f"level_{n}")
            eta = eta + beta[n][idx[n]]
        for f, g in pairs:
            raw = pm.Normal(f"gamma_{f}_{g}", 0.0, 0.25, shape=(len(levels[f]) - 1, len(levels[g]) - 1))
            full = pt.zeros((len(levels[f]), len(levels[g])))
            full = pt.set_subtensor(full[1:, 1:], raw)
            pm.Deterministic(f"inter_{f}_{g}", full, dims=(f"level_{f}", f"level_{g}"))
            eta = eta + full[idx[f], idx[g]]
        pm.Binomial("conversions", n=table["units"].to_numpy(), logit_p=eta, observed=table["conversions"].to_numpy())
    idata = mcmc.sample(model, settings, label="A/B factorial model")
    diag = mcmc.diagnostics(idata, ["intercept", *[f"beta_{n}" for n in names], *[f"gamma_{f}_{g}" for f, g in pairs]])
    post = idata.posterior

    def flat(name: str) -> np.ndarray:
        x = np.asarray(post[name])
        return x.reshape(-1, *x.shape[2:])

    main = {n: {lv: _summary(flat(f"main_{n}")[:, i], interval) for i, lv in enumerate(levels[n]) if i > 0} for n in names}
    inter = []
    for f, g in pairs:
        d = flat(f"inter_{f}_{g}")
        for i, lf in enumerate(levels[f]):
            for j, lg in enumerate(levels[g]):
                if i and j:
                    inter.append({"factors": [f, g], "levels": [lf, lg], **_summary(d[:, i, j], interval)})
    # every combination of the levels seen: conversion rate per draw, P(best)
    combos = pd.DataFrame(list(itertools.product(*[levels[n] for n in names])), columns=names)
    eta_draws = flat("intercept")[:, None] + np.zeros((1, len(combos)))
    mains = {n: flat(f"main_{n}") for n in names}
    inters = {(f, g): flat(f"inter_{f}_{g}") for f, g in pairs}
    codes = {n: combos[n].map({lv: i for i, lv in enumerate(levels[n])}).to_numpy() for n in names}
    for n in names:
        eta_draws = eta_draws + mains[n][:, codes[n]]
    for f, g in pairs:
        eta_draws = eta_draws + inters[(f, g)][:, codes[f], codes[g]]
    rates = 1.0 / (1.0 + np.exp(-eta_draws))
    best = np.bincount(rates.argmax(axis=1), minlength=len(combos)) / len(rates)
    seen = table.rename(columns=dict(zip(columns, names)))
    combos = combos.assign(rate_mean=rates.mean(axis=0), prob_best=best).merge(seen, on=names, how="left")
    combos[["units", "conversions"]] = combos[["units", "conversions"]].fillna(0).astype(int)
    return FactorialResult(levels, main, inter, combos, diag, interval, {"rates": rates})
