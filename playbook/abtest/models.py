"""PyMC models of the A/B report: a hurdle log-normal model of revenue per unit, a hierarchical segment model.

Both sample through :func:`playbook.mcmc.sample` and read their convergence with
:func:`playbook.mcmc.diagnostics`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook import mcmc
from playbook.abtest.checks import order_variants
from playbook.abtest.posterior import draws_hdi

#: Sampling when none is given: PyMC's own NUTS (compiles in seconds).
SETTINGS = mcmc.Settings(sampler="pymc")


@dataclass
class RevenueModelResult:
    """PyMC hurdle model of revenue per unit: draws of revenue per unit per variant and diagnostics."""

    draws: dict[str, np.ndarray] = field(repr=False)
    spend_prob: dict[str, float]
    spend_per_buyer: dict[str, float]
    diagnostics: mcmc.Diagnostics
    idata: object = field(repr=False, default=None)


def _flat_draws(idata, name: str, names: list[str], dim: str = "variant") -> dict[str, np.ndarray]:
    da = idata.posterior[name]
    return {v: np.asarray(da.sel({dim: v})).ravel() for v in names}


def revenue_model(experiment: pd.DataFrame, control: str, per_unit: bool = False):
    """The PyMC hurdle model of :func:`fit_revenue_model` (a ``pm.Model``).

    The log-normal spend likelihood enters through each arm's sufficient statistics (spenders
    n, Σ log r, Σ (log r)²): Σ_i log N(log r_i | mu, sigma) = −n log sigma − n/2 log 2π −
    (Σ (log r)² − 2 mu Σ log r + n mu²) / (2 sigma²), the same posterior as one Normal term per
    spender (``per_unit=True``, kept to check that) at a cost that does not grow with the units.
    """
    import pymc as pm

    names = order_variants(experiment["variant"], control)
    variant = experiment["variant"].astype(str)
    positive = experiment["revenue"] > 0
    if variant[positive].nunique() < len(names):
        raise ValueError("every variant needs at least one unit with revenue > 0 for the revenue model")
    units = variant.value_counts().reindex(names).to_numpy()
    log_rev = np.log(experiment.loc[positive, "revenue"].to_numpy(float))
    spend_arm = variant[positive]
    spenders = spend_arm.value_counts().reindex(names).to_numpy()
    with pm.Model(coords={"variant": names}) as model:
        q = pm.Beta("spend_prob", 1.0, 1.0, dims="variant")
        pm.Binomial("spenders", n=units, p=q, observed=spenders)
        mu = pm.Normal("log_spend_mu", float(np.median(log_rev)), 1.0, dims="variant")
        sigma = pm.HalfNormal("log_spend_sigma", 1.0, dims="variant")
        idx = pd.Categorical(spend_arm, categories=names).codes
        if per_unit:
            pm.Normal("log_spend", mu[idx], sigma[idx], observed=log_rev)
        else:
            s1 = np.bincount(idx, weights=log_rev, minlength=len(names))
            s2 = np.bincount(idx, weights=log_rev**2, minlength=len(names))
            n = spenders.astype(float)
            pm.Potential("log_spend", pm.math.sum(-n * pm.math.log(sigma) - 0.5 * n * np.log(2 * np.pi)
                                                  - (s2 - 2.0 * mu * s1 + n * mu**2) / (2.0 * sigma**2)))
        spend = pm.Deterministic("spend_per_buyer", pm.math.exp(mu + sigma**2 / 2), dims="variant")
        pm.Deterministic("revenue_per_unit", q * spend, dims="variant")
    return model


def fit_revenue_model(
    experiment: pd.DataFrame,
    control: str,
    settings: mcmc.Settings = SETTINGS,
) -> RevenueModelResult:
    """Posterior revenue per unit per variant from a PyMC hurdle model (currency per unit).

    Per variant: spenders ~ Binomial(units, q) with q ~ Beta(1, 1) (q = P(revenue > 0)), and
    log(revenue) of spenders ~ Normal(mu, sigma) with mu ~ Normal(log median spend, 1),
    sigma ~ HalfNormal(1), through its sufficient statistics (:func:`revenue_model`).
    Revenue per unit = q · exp(mu + sigma² / 2), the hurdle-LogNormal mean.
    """
    names = order_variants(experiment["variant"], control)
    model = revenue_model(experiment, control)
    idata = mcmc.sample(model, settings, label="A/B revenue model", target_accept=0.8)
    del model
    diag = mcmc.diagnostics(idata, ["spend_prob", "log_spend_mu", "log_spend_sigma"])
    post = idata.posterior
    return RevenueModelResult(
        draws=_flat_draws(idata, "revenue_per_unit", names),
        spend_prob={v: float(post["spend_prob"].sel(variant=v).mean()) for v in names},
        spend_per_buyer={v: float(post["spend_per_buyer"].sel(variant=v).mean()) for v in names},
        diagnostics=diag,
        idata=idata,
    )


# --------------------------------------------------------------------------- segments


@dataclass
class SegmentResult:
    """Per-segment relative uplift with partial pooling (exploratory) and model diagnostics."""

    table: pd.DataFrame
    diagnostics: mcmc.Diagnostics


def segment_cells(experiment: pd.DataFrame, segments: Sequence[str], control: str) -> pd.DataFrame:
    """Units and conversions per (segment column, level, variant), with the raw per-cell uplift."""
    names = order_variants(experiment["variant"], control)
    frames = []
    for col in segments:
        if col not in experiment.columns:
            raise ValueError(f"segment column {col!r} not in experiment.csv; columns are {list(experiment.columns)}")
        g = experiment.groupby([col, "variant"], observed=True)["converted"].agg(units="size", conversions="sum").reset_index()
        g = g.rename(columns={col: "level"}).assign(segment=col)
        g["level"] = g["level"].astype(str)
        full = pd.MultiIndex.from_product([g["level"].unique(), names], names=["level", "variant"])
        g = g.set_index(["level", "variant"]).reindex(full).reset_index()
        g["segment"] = col
        g[["units", "conversions"]] = g[["units", "conversions"]].fillna(0).astype("int64")
        frames.append(g)
    cells = pd.concat(frames, ignore_index=True)[["segment", "level", "variant", "units", "conversions"]]
    cells["rate_raw"] = cells["conversions"] / cells["units"].where(cells["units"] > 0)
    base = cells[cells["variant"] == control].set_index(["segment", "level"])["rate_raw"]
    cells["uplift_raw"] = cells["rate_raw"] / cells.set_index(["segment", "level"]).index.map(base).to_numpy() - 1.0
    return cells


def fit_segment_model(
    experiment: pd.DataFrame,
    segments: Sequence[str],
    control: str,
    interval: float = 0.9,
    settings: mcmc.Settings = SETTINGS,
) -> SegmentResult:
    """Relative conversion uplift vs control per segment level and variant, partially pooled.

    For each segment column separately (one model, independent blocks): logit p[level, v] =
    a[level] + d[v] + tau[v] · z[level, v] for v ≠ control (0 for control), with
    a ~ Normal(logit pooled rate, 1.5), d ~ Normal(0, 0.5), tau ~ HalfNormal(0.2), z ~ Normal(0, 1)
    (non-centred). Levels' effects shrink toward the variant's overall effect d as far as the
    data allow. Columns: segment, level, variant, units, conversions, uplift_raw, uplift_mean,
    uplift_hdi_low, uplift_hdi_high, prob_positive.
    """
    import pymc as pm
    from scipy.special import logit

    names = order_variants(experiment["variant"], control)
    treated = names[1:]
    cells = segment_cells(experiment, segments, control)
    levels = cells[["segment", "level"]].drop_duplicates().reset_index(drop=True)
    level_key = pd.MultiIndex.from_frame(levels)
    col_names = list(dict.fromkeys(levels["segment"]))
    level_col = pd.Categorical(levels["segment"], categories=col_names).codes
    units = np.zeros((len(levels), len(names)))
    convs = np.zeros((len(levels), len(names)))
    for r in cells.itertuples():
        i = level_key.get_loc((r.segment, r.level))
        units[i, names.index(r.variant)] = r.units
        convs[i, names.index(r.variant)] = r.conversions
    pooled = float(experiment["converted"].mean())
    coords = {"cell": [f"{s}={lv}" for s, lv in zip(levels["segment"], levels["level"])], "variant": names, "treated": treated, "column": col_names}
    with pm.Model(coords=coords) as model:
        a = pm.Normal("baseline_logit", logit(min(max(pooled, 1e-4), 1 - 1e-4)), 1.5, dims="cell")
        d = pm.Normal("effect_logit", 0.0, 0.5, dims=("column", "treated"))
        tau = pm.HalfNormal("effect_spread", 0.2, dims=("column", "treated"))
        z = pm.Normal("z", 0.0, 1.0, dims=("cell", "treated"))
        eff = d[level_col] + tau[level_col] * z
        logit_p = pm.math.concatenate([a[:, None], a[:, None] + eff], axis=1)
        p = pm.Deterministic("rate", pm.math.invlogit(logit_p), dims=("cell", "variant"))
        pm.Binomial("conversions", n=units, p=p, observed=convs)
        pm.Deterministic("uplift", p[:, 1:] / p[:, 0][:, None] - 1.0, dims=("cell", "treated"))
    idata = mcmc.sample(model, settings, label="A/B segment model", target_accept=0.97)
    diag = mcmc.diagnostics(idata, ["baseline_logit", "effect_logit", "effect_spread"])
    uplift = idata.posterior["uplift"]
    rows = []
    for i, (seg, lv) in enumerate(zip(levels["segment"], levels["level"])):
        for v in treated:
            s = np.asarray(uplift.isel(cell=i).sel(treated=v)).ravel()
            lo, hi = draws_hdi(s, interval)
            raw = cells[(cells["segment"] == seg) & (cells["level"] == lv) & (cells["variant"] == v)].iloc[0]
            rows.append(
                {
                    "segment": seg,
                    "level": lv,
                    "variant": v,
                    "units": int(units[i].sum()),
                    "conversions": int(convs[i].sum()),
                    "uplift_raw": float(raw["uplift_raw"]),
                    "uplift_mean": float(s.mean()),
                    "uplift_hdi_low": lo,
                    "uplift_hdi_high": hi,
                    "prob_positive": float((s > 0).mean()),
                }
            )
    return SegmentResult(pd.DataFrame(rows), diag)


