"""Marketing mix model: what each channel contributed, at what return, and where budget should move.

A thin workflow around PyMC-Marketing 1.x (:class:`pymc_marketing.mmm.MMM`): data checks,
model build from plain parameters, fitting with a chosen NUTS sampler, a model health card
that gates the budget recommendation, per-channel ROAS and marginal ROAS with 94 % HDIs,
decomposition, response and adstock curves, budget optimisation and lift-test calibration.
Adstock, saturation, the optimiser and calibration are PyMC-Marketing's; this module only
prepares inputs and turns posteriors into plain tables.

Functions take DataFrames and numbers and return DataFrames or small dataclasses; they never
print, plot or read files (figures live in :mod:`playbook.mmm_plots`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SPEND_PREFIX = "spend_"
HDI_PROB = 0.94
TREND_COLUMN = "trend"
#: Defaults of the health card (each line passes or fails).
HEALTH_THRESHOLDS = {
    "rhat_max": 1.01,
    "ess_bulk_min": 400.0,  # per 4 chains; scaled to the chains actually run
    "divergences_max_share": 0.001,  # divergent transitions as a share of post-warm-up draws
    "coverage_min": 0.80,
    "holdout_mape_max": 0.10,
    "holdout_r2_min": 0.30,
    "prior_sd_ratio_max": 0.5,
}
#: A channel is ranked only when its ROAS HDI is no wider than this multiple of its mean.
RANKABLE_REL_WIDTH = 1.5
#: Collinearity flags.
CORRELATION_FLAG = 0.8
VIF_FLAG = 10.0


# --------------------------------------------------------------------------- input


@dataclass
class MMMInput:
    """The weekly modelling frame: ``date``, the KPI, one spend column per channel (named by the
    channel) and the model's control columns (already put on a comparable scale)."""

    frame: pd.DataFrame
    kpi: str
    channels: list[str]
    controls: list[str]
    control_scaling: dict[str, dict[str, float]] = field(default_factory=dict)
    aggregated_geos: int = 0

    @property
    def X(self) -> pd.DataFrame:
        return self.frame[["date", *self.channels, *self.controls]]

    @property
    def y(self) -> pd.Series:
        return self.frame[self.kpi]

    @property
    def spend(self) -> pd.DataFrame:
        """Weekly spend per channel (currency), indexed by week."""
        return self.frame.set_index("date")[self.channels]

    def head_weeks(self, n_weeks: int) -> MMMInput:
        """The same input restricted to its first ``n_weeks`` weeks (controls keep their scaling)."""
        return MMMInput(self.frame.iloc[:n_weeks].reset_index(drop=True), self.kpi, self.channels, self.controls, self.control_scaling, self.aggregated_geos)

    def tail_weeks(self, n_weeks: int) -> MMMInput:
        """The same input restricted to its last ``n_weeks`` weeks."""
        return MMMInput(self.frame.iloc[-n_weeks:].reset_index(drop=True), self.kpi, self.channels, self.controls, self.control_scaling, self.aggregated_geos)


def spend_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Channel name → its ``spend_<channel>`` column, in file order."""
    return {c[len(SPEND_PREFIX) :]: c for c in frame.columns if c.startswith(SPEND_PREFIX)}


def prepare_input(
    frame: pd.DataFrame,
    kpi: str = "revenue",
    controls: list[str] | None = None,
    trend: bool = True,
    last_weeks: int | None = None,
) -> MMMInput:
    """The modelling frame: weekly rows sorted by date, channels renamed, controls scaled.

    Continuous controls are centred and divided by their largest absolute deviation (so they
    lie in [-1, 1], matching the unit-scale prior PyMC-Marketing puts on control effects);
    0/1 controls are kept as they are. ``trend`` adds a linear time index from 0 to 1.
    A ``geo`` column, if present, is summed to one national series (controls averaged).
    ``last_weeks`` keeps only the most recent weeks (used by smoke runs).
    """
    controls = list(controls or [])
    channel_cols = spend_columns(frame)
    if not channel_cols:
        raise ValueError(f"mmm.csv: expected spend_<channel> columns; found {', '.join(map(str, frame.columns))}")
    missing = [c for c in [kpi, *controls] if c not in frame.columns]
    if missing:
        raise ValueError(f"mmm.csv: column(s) {', '.join(missing)} not found; the file has {', '.join(map(str, frame.columns))}")
    overlap = set(controls) & set(channel_cols.values())
    if overlap:
        raise ValueError(f"controls may not be spend columns: {sorted(overlap)}")
    work = frame.copy()
    geos = 0
    if "geo" in work.columns:
        geos = int(work["geo"].nunique())
        sums = work.groupby("date")[[kpi, *channel_cols.values()]].sum()
        means = work.groupby("date")[controls].mean() if controls else None
        work = sums.join(means).reset_index() if means is not None else sums.reset_index()
    work = work.sort_values("date").reset_index(drop=True)
    if last_weeks is not None and last_weeks < len(work):
        work = work.iloc[-last_weeks:].reset_index(drop=True)
    out = pd.DataFrame({"date": pd.to_datetime(work["date"]), kpi: work[kpi].astype(float)})
    for ch, col in channel_cols.items():
        out[ch] = work[col].astype(float).to_numpy()
    scaling: dict[str, dict[str, float]] = {}
    model_controls = []
    for c in controls:
        values = work[c].astype(float)
        if values.isin([0.0, 1.0]).all():
            center, scale = 0.0, 1.0
        else:
            center = float(values.mean())
            scale = float((values - center).abs().max())
            if scale == 0:
                continue  # a constant column carries no information; data_checks reports it
        out[c] = ((values - center) / scale).to_numpy()
        scaling[c] = {"center": center, "scale": scale}
        model_controls.append(c)
    if trend:
        name = TREND_COLUMN if TREND_COLUMN not in out.columns else f"{TREND_COLUMN}_index"
        out[name] = np.arange(len(out)) / max(1, len(out) - 1)
        model_controls.append(name)
    return MMMInput(out, kpi, list(channel_cols), model_controls, scaling, geos)


# --------------------------------------------------------------------------- data checks


@dataclass
class DataChecks:
    """Spend sanity, weeks without spend and collinearity between channels."""

    spend: pd.DataFrame  # channel, total_spend, weekly_mean, share_of_spend, zero_spend_weeks, max_weekly
    correlation: pd.DataFrame  # channel × channel Pearson correlation of weekly spend
    vif: pd.DataFrame  # channel, vif
    collinear_pairs: list[tuple[str, str, float]]
    problems: list[str]  # plain-language findings that need attention (empty = clean)
    n_weeks: int

    @property
    def passed(self) -> bool:
        return not self.problems


def data_checks(inp: MMMInput) -> DataChecks:
    """Spend table, correlation matrix, variance inflation factors and the problems found."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor
    from statsmodels.tools.tools import add_constant

    spend = inp.spend
    total = spend.sum()
    table = pd.DataFrame(
        {
            "channel": inp.channels,
            "total_spend": total.to_numpy(),
            "weekly_mean": spend.mean().to_numpy(),
            "share_of_spend": (total / total.sum()).to_numpy(),
            "zero_spend_weeks": (spend == 0).sum().to_numpy(),
            "max_weekly": spend.max().to_numpy(),
        }
    )
    corr = spend.corr()
    pairs = []
    for i, a in enumerate(inp.channels):
        for b in inp.channels[i + 1 :]:
            r = float(corr.loc[a, b])
            if abs(r) >= CORRELATION_FLAG:
                pairs.append((a, b, r))
    active = [c for c in inp.channels if spend[c].std() > 0]
    exog = add_constant(spend[active].to_numpy(), has_constant="add")
    vif_values = [float(variance_inflation_factor(exog, i + 1)) for i in range(len(active))] if len(active) > 1 else [1.0] * len(active)
    vif = pd.DataFrame({"channel": active, "vif": vif_values})

    problems = []
    n = len(spend)
    if n < 52:
        problems.append(f"only {n} weeks of data; a year or more is needed to separate media from seasonality")
    for ch in inp.channels:
        zero = int((spend[ch] == 0).sum())
        if zero == n:
            problems.append(f"{ch} has no spend in any week and cannot be estimated")
        elif zero > n / 2:
            problems.append(f"{ch} has no spend in {zero} of {n} weeks; its effect rests on few weeks")
        elif spend[ch].std() / max(spend[ch].mean(), 1e-9) < 0.1:
            problems.append(f"{ch} spend barely varies (CV < 10 %), so its effect is hard to separate from the baseline")
    for a, b, r in pairs:
        problems.append(f"{a} and {b} move together (r = {r:.2f}); the model cannot reliably split credit between them")
    for _, row in vif[vif["vif"] > VIF_FLAG].iterrows():
        problems.append(f"{row['channel']} is largely explained by the other channels (VIF = {row['vif']:.1f})")
    if (inp.y <= 0).any():
        problems.append(f"{int((inp.y <= 0).sum())} week(s) with non-positive {inp.kpi}")
    return DataChecks(table, corr, vif, pairs, problems, n)


# --------------------------------------------------------------------------- model


def _component_classes() -> tuple[dict, dict]:
    from pymc_marketing.mmm import (
        DelayedAdstock,
        GeometricAdstock,
        HillSaturation,
        LogisticSaturation,
        MichaelisMentenSaturation,
        TanhSaturation,
        WeibullCDFAdstock,
        WeibullPDFAdstock,
    )

    adstocks = {"geometric": GeometricAdstock, "delayed": DelayedAdstock, "weibull_pdf": WeibullPDFAdstock, "weibull_cdf": WeibullCDFAdstock}
    saturations = {"logistic": LogisticSaturation, "hill": HillSaturation, "michaelis_menten": MichaelisMentenSaturation, "tanh": TanhSaturation}
    return adstocks, saturations


def build_model(
    inp: MMMInput,
    adstock: str = "geometric",
    saturation: str = "logistic",
    l_max: int = 8,
    yearly_seasonality: int | None = 2,
    model_config: dict | None = None,
):
    """An unfitted :class:`pymc_marketing.mmm.MMM` for ``inp`` with the named adstock and saturation."""
    from pymc_marketing.mmm import MMM

    adstocks, saturations = _component_classes()
    if adstock not in adstocks:
        raise ValueError(f"adstock must be one of {sorted(adstocks)}, got {adstock!r}")
    if saturation not in saturations:
        raise ValueError(f"saturation must be one of {sorted(saturations)}, got {saturation!r}")
    return MMM(
        date_column="date",
        channel_columns=list(inp.channels),
        target_column=inp.kpi,
        adstock=adstocks[adstock](l_max=l_max),
        saturation=saturations[saturation](),
        control_columns=list(inp.controls) or None,
        yearly_seasonality=yearly_seasonality or None,
        model_config=model_config,
    )


def fit_model(
    mmm,
    inp: MMMInput,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 2,
    sampler: str = "nutpie",
    seed: int = 42,
    lift_tests: pd.DataFrame | None = None,
    target_accept: float = 0.95,
    prior_samples: int = 500,
):
    """The fitted model (the same object): NUTS posterior, prior draws and, if given, lift-test calibration.

    ``sampler`` is passed to PyMC as ``nuts_sampler`` (``"pymc"``, ``"nutpie"`` or
    ``"numpyro"``). Lift tests (channel, x, delta_x, delta_y, sigma; money per week) are added
    with PyMC-Marketing's ``add_lift_test_measurements`` before sampling.
    """
    mmm.build_model(inp.X, inp.y)
    if lift_tests is not None and len(lift_tests):
        unknown = sorted(set(lift_tests["channel"]) - set(inp.channels))
        if unknown:
            raise ValueError(f"lift_tests.csv: channel(s) {unknown} are not in mmm.csv; known: {inp.channels}")
        mmm.add_lift_test_measurements(lift_tests[["channel", "x", "delta_x", "delta_y", "sigma"]].reset_index(drop=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm.fit(
            inp.X,
            inp.y,
            draws=draws,
            tune=tune,
            chains=chains,
            cores=min(chains, 2),
            nuts_sampler=sampler,
            target_accept=target_accept,
            random_seed=seed,
            progressbar=False,
        )
        if prior_samples:
            mmm.sample_prior_predictive(inp.X, samples=prior_samples, random_seed=seed)
        mmm.sample_posterior_predictive(inp.X, extend_idata=True, random_seed=seed, progressbar=False)
    return mmm


# --------------------------------------------------------------------------- per-channel results


def _hdi(values: np.ndarray, prob: float = HDI_PROB) -> tuple[float, float]:
    import arviz as az

    lo, hi = np.asarray(az.hdi(np.asarray(values, dtype=float).ravel(), prob=prob)).ravel()[:2]
    return float(lo), float(hi)


def channel_summary(mmm, inp: MMMInput) -> pd.DataFrame:
    """One row per channel: spend, contribution (mean, 94 % HDI), contribution share, ROAS and marginal ROAS.

    ROAS = the channel's total modelled contribution over the window / its total spend
    (PyMC-Marketing's ``summary.roas(frequency="all_time")``). Marginal ROAS = extra KPI per
    extra currency unit from a 1 % spend increase in every week, carry-over included
    (``incrementality.marginal_contribution_over_spend``). Shares are of total media
    contribution (``summary.channel_share_hdi``). ``rankable`` is False when the ROAS HDI is
    wider than :data:`RANKABLE_REL_WIDTH` times its mean.
    """
    contrib = mmm.data.get_channel_contributions(original_scale=True).sum("date")
    contrib_draws = contrib.stack(sample=("chain", "draw")).transpose("sample", "channel")
    roas = mmm.summary.roas(frequency="all_time", hdi_probs=[HDI_PROB]).set_index("channel")
    share = mmm.summary.channel_share_hdi(hdi_probs=[HDI_PROB]).set_index("channel")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mroas = mmm.incrementality.marginal_contribution_over_spend(frequency="all_time")
    mroas_draws = mroas.stack(sample=("chain", "draw")).transpose("sample", "channel")
    pct = str(int(HDI_PROB * 100))
    rows = []
    spend_total = inp.spend.sum()
    for ch in inp.channels:
        c = contrib_draws.sel(channel=ch).values
        m = mroas_draws.sel(channel=ch).values
        c_lo, c_hi = _hdi(c)
        m_lo, m_hi = _hdi(m[np.isfinite(m)]) if np.isfinite(m).any() else (np.nan, np.nan)
        r = roas.loc[ch]
        rows.append(
            {
                "channel": ch,
                "spend": float(spend_total[ch]),
                "contribution_mean": float(c.mean()),
                "contribution_hdi_low": c_lo,
                "contribution_hdi_high": c_hi,
                "contribution_share": float(share.loc[ch, "mean"]),
                "contribution_share_hdi_low": float(share.loc[ch, f"abs_error_{pct}_lower"]),
                "contribution_share_hdi_high": float(share.loc[ch, f"abs_error_{pct}_upper"]),
                "roas_mean": float(r["mean"]),
                "roas_hdi_low": float(r[f"abs_error_{pct}_lower"]),
                "roas_hdi_high": float(r[f"abs_error_{pct}_upper"]),
                "mroas_mean": float(np.nanmean(m)),
                "mroas_hdi_low": m_lo,
                "mroas_hdi_high": m_hi,
                "prob_roas_above_1": float((c / spend_total[ch] > 1).mean()) if spend_total[ch] > 0 else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    return rank_channels(out)


def rank_channels(summary: pd.DataFrame, rel_width: float = RANKABLE_REL_WIDTH) -> pd.DataFrame:
    """``summary`` sorted by ROAS with ``rankable`` (HDI narrow enough to rank) and ``rank`` (1 = best; NaN if not rankable)."""
    out = summary.copy()
    width = out["roas_hdi_high"] - out["roas_hdi_low"]
    out["rankable"] = (width <= rel_width * out["roas_mean"].abs()) & (out["spend"] > 0)
    out = out.sort_values(["rankable", "roas_mean"], ascending=[False, False]).reset_index(drop=True)
    ranks = out["roas_mean"].where(out["rankable"]).rank(ascending=False, method="min")
    out["rank"] = ranks
    return out


# --------------------------------------------------------------------------- health card


@dataclass
class Holdout:
    """Out-of-sample check: a fit without the last weeks, predicting them."""

    weeks: int
    mape: float
    r2: float
    coverage: float
    frame: pd.DataFrame  # date, observed, predicted_mean, predicted_hdi_low, predicted_hdi_high


def holdout_forecast(mmm_holdout, test: MMMInput) -> Holdout:
    """Holdout MAPE, R² and 94 % interval coverage of ``mmm_holdout`` (fitted without ``test``'s weeks) on ``test``."""
    from sklearn.metrics import mean_absolute_percentage_error, r2_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp = mmm_holdout.sample_posterior_predictive(test.X, extend_idata=False, include_last_observations=True, progressbar=False)
    scale = float(mmm_holdout.data.get_target_scale())
    draws = pp["y"].transpose("date", "sample").values * scale
    observed = test.y.to_numpy()
    mean = draws.mean(axis=1)
    bounds = np.array([_hdi(d) for d in draws])
    frame = pd.DataFrame(
        {"date": test.frame["date"].to_numpy(), "observed": observed, "predicted_mean": mean, "predicted_hdi_low": bounds[:, 0], "predicted_hdi_high": bounds[:, 1]}
    )
    covered = (observed >= bounds[:, 0]) & (observed <= bounds[:, 1])
    return Holdout(len(test.frame), float(mean_absolute_percentage_error(observed, mean)), float(r2_score(observed, mean)), float(covered.mean()), frame)


def posterior_predictive_fit(mmm) -> pd.DataFrame:
    """Per week: observed KPI, posterior predictive mean and 94 % HDI (currency)."""
    pp = mmm.summary.posterior_predictive(hdi_probs=[HDI_PROB])
    pct = str(int(HDI_PROB * 100))
    return pd.DataFrame(
        {
            "date": pd.to_datetime(pp["date"]).to_numpy(),
            "observed": pp["observed"].to_numpy(),
            "predicted_mean": pp["mean"].to_numpy(),
            "predicted_hdi_low": pp[f"abs_error_{pct}_lower"].to_numpy(),
            "predicted_hdi_high": pp[f"abs_error_{pct}_upper"].to_numpy(),
        }
    )


def prior_posterior_shift(mmm, var_names: tuple[str, ...] = ("saturation_beta", "saturation_lam", "adstock_alpha")) -> pd.DataFrame:
    """Per channel and media parameter: prior and posterior mean and sd, and posterior sd / prior sd.

    A ratio near 1 means the data taught the model little about that parameter.
    """
    idata = mmm.idata
    if "prior" not in idata.children:
        raise ValueError("no prior draws in the model; fit with prior_samples > 0")
    rows = []
    for var in var_names:
        if var not in idata.posterior or var not in idata["prior"]:
            continue
        post = idata.posterior[var]
        prior = idata["prior"][var]
        for ch in post.coords["channel"].values:
            p = post.sel(channel=ch).values.ravel()
            q = prior.sel(channel=ch).values.ravel()
            rows.append(
                {
                    "channel": str(ch),
                    "parameter": var,
                    "prior_mean": float(q.mean()),
                    "prior_sd": float(q.std()),
                    "posterior_mean": float(p.mean()),
                    "posterior_sd": float(p.std()),
                    "sd_ratio": float(p.std() / q.std()) if q.std() > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)


@dataclass
class HealthCard:
    """Pass/fail lines of the model health card; ``passed`` gates the budget recommendation."""

    lines: pd.DataFrame  # check, value, threshold, passed, meaning
    rhat_max: float
    ess_bulk_min: float
    divergences: int
    coverage: float
    holdout_mape: float | None
    holdout_r2: float | None
    prior_sd_ratio_max: float
    passed: bool
    failed_checks: list[str]


def health_card(mmm, holdout: Holdout | None = None, thresholds: dict | None = None) -> HealthCard:
    """The health card of a fitted model: convergence, sampling, fit, out-of-sample error, learning from data."""
    import arviz as az

    idata = mmm.idata
    params = [v for v in ("intercept_contribution", "saturation_beta", "saturation_lam", "adstock_alpha", "gamma_control", "gamma_fourier", "y_sigma") if v in idata.posterior]
    summ = az.summary(idata, var_names=params, kind="diagnostics")
    fit = posterior_predictive_fit(mmm)
    coverage = float(((fit["observed"] >= fit["predicted_hdi_low"]) & (fit["observed"] <= fit["predicted_hdi_high"])).mean())
    shift = prior_posterior_shift(mmm, ("saturation_beta",))
    worst = shift.loc[shift["sd_ratio"].idxmax()] if len(shift) else None
    return assess_health(
        rhat_max=float(summ["r_hat"].max()),
        ess_bulk_min=float(summ["ess_bulk"].min()),
        divergences=int(idata.sample_stats["diverging"].sum()),
        n_draws=int(idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"]),
        coverage=coverage,
        chains=int(idata.posterior.sizes["chain"]),
        holdout=holdout,
        prior_sd_ratio_max=float(worst["sd_ratio"]) if worst is not None else float("nan"),
        worst_learned_channel=str(worst["channel"]) if worst is not None else "",
        thresholds=thresholds,
    )


def assess_health(
    rhat_max: float,
    ess_bulk_min: float,
    divergences: int,
    coverage: float,
    chains: int,
    n_draws: int = 2000,
    holdout: Holdout | None = None,
    prior_sd_ratio_max: float = float("nan"),
    worst_learned_channel: str = "",
    thresholds: dict | None = None,
) -> HealthCard:
    """The pass/fail health card from its measured numbers.

    The bulk-ESS floor is ``ess_bulk_min`` per 4 chains scaled to the chains run (100 per
    chain by default, Vehtari et al. 2021); divergences may be at most ``divergences_max_share``
    of the ``n_draws`` post-warm-up draws (0.1 %: 2 of 2,000). Any failed line fails the card. A missing or NaN
    measurement fails its line.
    """
    th = {**HEALTH_THRESHOLDS, **(thresholds or {})}
    ess_floor = th["ess_bulk_min"] * chains / 4
    div_max = int(th["divergences_max_share"] * n_draws)
    def ok(cond) -> bool:
        return bool(cond) if cond is not None else False

    lines = [
        ("Convergence: max R-hat", rhat_max, f"≤ {th['rhat_max']}", ok(rhat_max <= th["rhat_max"]), "chains agree on the same posterior"),
        ("Sampling: min bulk ESS", ess_bulk_min, f"≥ {ess_floor:.0f}", ok(ess_bulk_min >= ess_floor), "enough independent draws for stable intervals"),
        ("Sampling: divergences", float(divergences), f"≤ {div_max}", ok(divergences <= div_max), "the sampler explored the posterior without getting stuck"),
        ("Fit: weeks inside the 94 % predictive interval", coverage, f"≥ {th['coverage_min']:.0%}", ok(coverage >= th["coverage_min"]), "the model reproduces the observed KPI"),
    ]
    if holdout is not None:
        lines.append((f"Out of sample: MAPE on the last {holdout.weeks} weeks", holdout.mape, f"≤ {th['holdout_mape_max']:.0%}", ok(holdout.mape <= th["holdout_mape_max"]), "forecast error on weeks the model never saw"))
        lines.append((f"Out of sample: R² on the last {holdout.weeks} weeks", holdout.r2, f"≥ {th['holdout_r2_min']}", ok(holdout.r2 >= th["holdout_r2_min"]), "share of week-to-week variation predicted"))
    lines.append(
        (
            "Learning: channel effect posterior sd / prior sd (worst channel)",
            prior_sd_ratio_max,
            f"≤ {th['prior_sd_ratio_max']}",
            ok(prior_sd_ratio_max <= th["prior_sd_ratio_max"]),
            f"the data, not the prior, sets every channel's effect size (worst: {worst_learned_channel})",
        )
    )
    table = pd.DataFrame(lines, columns=["check", "value", "threshold", "passed", "meaning"])
    table["passed"] = table["passed"].astype(bool)
    failed = table.loc[~table["passed"], "check"].tolist()
    return HealthCard(
        table,
        rhat_max,
        ess_bulk_min,
        int(divergences),
        coverage,
        holdout.mape if holdout else None,
        holdout.r2 if holdout else None,
        prior_sd_ratio_max,
        not failed,
        failed,
    )


# --------------------------------------------------------------------------- decomposition and curves


def decomposition(mmm, inp: MMMInput) -> pd.DataFrame:
    """Per week, the posterior-mean KPI contribution (currency) of baseline, trend, seasonality, each control and each channel."""
    c = mmm.data.get_contributions(original_scale=True, include_baseline=True, include_controls=True, include_seasonality=True)
    dates = pd.to_datetime(c["date"].values) if "date" in c.coords else pd.to_datetime(inp.frame["date"])
    out = pd.DataFrame({"date": dates})
    base = c["baseline"].mean(("chain", "draw")).values
    out["baseline"] = np.broadcast_to(base, len(dates)).astype(float)
    if "controls" in c:
        ctrl = c["controls"].mean(("chain", "draw"))
        for name in ctrl.coords["control"].values:
            out[str(name)] = ctrl.sel(control=name).values
    if "seasonality" in c:
        out["seasonality"] = c["seasonality"].mean(("chain", "draw")).values
    ch = c["channels"].mean(("chain", "draw"))
    for name in ch.coords["channel"].values:
        out[str(name)] = ch.sel(channel=name).values
    return out


def waterfall(decomp: pd.DataFrame, channels: list[str]) -> pd.DataFrame:
    """Total contribution over the window per component (currency) and its share of the modelled KPI, channels last."""
    comps = [c for c in decomp.columns if c != "date"]
    non_media = [c for c in comps if c not in channels]
    totals = decomp[comps].sum()
    out = pd.DataFrame({"component": non_media + list(channels), "contribution": [float(totals[c]) for c in non_media + list(channels)]})
    out["share_of_kpi"] = out["contribution"] / out["contribution"].sum()
    out["is_media"] = out["component"].isin(channels)
    return out


def response_curves(mmm, inp: MMMInput, num_points: int = 60, max_multiple: float = 1.5, recent_weeks: int = 13) -> pd.DataFrame:
    """Saturation curve per channel: weekly spend (currency) → weekly KPI contribution at steady state (mean, 94 % HDI).

    The x-axis runs to ``max_multiple`` × the largest weekly spend seen; ``current_spend``
    is the mean weekly spend of the last ``recent_weeks`` weeks.
    """
    scales = mmm.data.get_channel_scale()
    curves = mmm.summary.saturation_curves(max_value=max_multiple, num_points=num_points, hdi_probs=[HDI_PROB], random_state=0)
    pct = str(int(HDI_PROB * 100))
    recent = inp.spend.tail(recent_weeks).mean()
    curves = curves.rename(columns={"mean": "contribution_mean", f"abs_error_{pct}_lower": "contribution_hdi_low", f"abs_error_{pct}_upper": "contribution_hdi_high"})
    curves["spend"] = curves["x"] * curves["channel"].map(lambda c: float(scales.sel(channel=c)))
    curves["current_spend"] = curves["channel"].map(recent)
    return curves[["channel", "spend", "contribution_mean", "contribution_hdi_low", "contribution_hdi_high", "current_spend"]]


def adstock_decay(mmm) -> pd.DataFrame:
    """Per channel and weeks since spend: share of the effect that lands that week (mean, 94 % HDI)."""
    ad = mmm.summary.adstock_curves(hdi_probs=[HDI_PROB])
    pct = str(int(HDI_PROB * 100))
    return ad.rename(
        columns={"time since exposure": "weeks_since_spend", "mean": "weight_mean", f"abs_error_{pct}_lower": "weight_hdi_low", f"abs_error_{pct}_upper": "weight_hdi_high"}
    )[["channel", "weeks_since_spend", "weight_mean", "weight_hdi_low", "weight_hdi_high"]]


# --------------------------------------------------------------------------- budget


@dataclass
class BudgetPlan:
    """Current vs recommended weekly spend per channel over the next ``weeks`` weeks and the expected KPI uplift."""

    weeks: int
    start: pd.Timestamp
    total_weekly_budget: float
    table: pd.DataFrame  # channel, current, optimal, lower_bound, upper_bound, change, change_pct
    expected_uplift_mean: float
    expected_uplift_hdi_low: float
    expected_uplift_hdi_high: float
    prob_uplift_positive: float
    response_current_mean: float
    converged: bool


def optimize_budget(
    mmm,
    inp: MMMInput,
    budget_weeks: int = 13,
    total_budget: float | None = None,
    budget_bounds: float | dict[str, tuple[float, float]] = 0.3,
    recent_weeks: int | None = None,
    max_draws: int = 400,
) -> BudgetPlan:
    """The recommended weekly spend per channel for the ``budget_weeks`` after the data, and its uplift.

    Current plan = each channel's mean weekly spend over the last ``recent_weeks`` weeks
    (default ``budget_weeks``). ``total_budget`` is the weekly total to allocate (default:
    the current plan's total). ``budget_bounds`` is either a fraction (±30 % of each
    channel's current spend) or explicit ``{channel: (low, high)}`` weekly amounts.
    PyMC-Marketing's ``budget_optimizer(...).allocate_budget(...)`` maximises the posterior
    mean of total media contribution over the window (carry-over included); the uplift is
    the per-draw difference between the recommended and current plans, on the posterior
    thinned evenly to at most about ``max_draws`` draws.
    """
    import xarray as xr

    recent_weeks = recent_weeks or budget_weeks
    current = inp.spend.tail(recent_weeks).mean()
    total = float(total_budget) if total_budget is not None else float(current.sum())
    if isinstance(budget_bounds, (int, float)):
        frac = float(budget_bounds)
        scale = total / float(current.sum()) if current.sum() > 0 else 1.0
        bounds = {ch: (max(0.0, current[ch] * scale * (1 - frac)), current[ch] * scale * (1 + frac)) for ch in inp.channels}
    else:
        bounds = {ch: tuple(map(float, budget_bounds[ch])) for ch in inp.channels}
    lo_sum = sum(b[0] for b in bounds.values())
    hi_sum = sum(b[1] for b in bounds.values())
    if not lo_sum - 1e-6 <= total <= hi_sum + 1e-6:
        raise ValueError(f"total_budget {total:,.0f} per week is outside what the bounds allow ({lo_sum:,.0f} to {hi_sum:,.0f})")
    last = pd.Timestamp(inp.frame["date"].max())
    start = last + pd.Timedelta(weeks=1)
    end = last + pd.Timedelta(weeks=budget_weeks)
    planned_controls = _planned_controls(inp, start, end + pd.Timedelta(weeks=int(getattr(mmm.adstock, "l_max", 0))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer = mmm.budget_optimizer(start, end, control_data=planned_controls)
        posterior = mmm.idata.posterior.to_dataset()
        n = posterior.sizes["chain"] * posterior.sizes["draw"]
        if n > max_draws:  # thin evenly: the optimizer evaluates every draw at every step
            step = int(np.ceil(n / max_draws))
            optimizer.set_posterior(posterior.isel(draw=slice(None, None, step)))
        result = optimizer.allocate_budget(total_budget=total, budget_bounds=bounds, return_if_fail=True)
        plan_current = xr.DataArray(current.reindex(inp.channels).to_numpy(), dims=["channel"], coords={"channel": list(inp.channels)})
        resp_current = np.asarray(optimizer.evaluate_response_distribution(plan_current)).ravel()
        resp_optimal = np.asarray(optimizer.evaluate_response_distribution(result.budgets)).ravel()
    gain = resp_optimal - resp_current
    lo, hi = _hdi(gain)
    optimal = result.budgets.to_series().reindex(inp.channels)
    table = pd.DataFrame(
        {
            "channel": inp.channels,
            "current": current.reindex(inp.channels).to_numpy(),
            "optimal": optimal.to_numpy(dtype=float),
            "lower_bound": [bounds[c][0] for c in inp.channels],
            "upper_bound": [bounds[c][1] for c in inp.channels],
        }
    )
    table["change"] = table["optimal"] - table["current"]
    table["change_pct"] = np.where(table["current"] > 0, table["change"] / table["current"].where(table["current"] > 0), np.nan)
    return BudgetPlan(
        budget_weeks,
        start,
        total,
        table,
        float(gain.mean()),
        lo,
        hi,
        float((gain > 0).mean()),
        float(resp_current.mean()),
        bool(result.scipy_result.success),
    )


def _planned_controls(inp: MMMInput, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
    """Control values for the weeks after the data: the trend continues, the rest stay at their recent mean."""
    if not inp.controls:
        return None
    dates = pd.date_range(start, end, freq="7D")
    out = pd.DataFrame({"date": dates})
    n = len(inp.frame)
    for c in inp.controls:
        if c.startswith(TREND_COLUMN) and c not in inp.control_scaling:
            out[c] = (n - 1 + np.arange(1, len(dates) + 1)) / max(1, n - 1)
        else:
            out[c] = float(inp.frame[c].tail(13).mean())
    return out


# --------------------------------------------------------------------------- calibration


def resolve_lift_tests(setting: str, data_dir: str | Path, output_dir: str | Path) -> tuple[Path | None, str]:
    """Where to read lift tests from, and a sentence saying which source is used.

    ``"auto"``: ``<data_dir>/lift_tests.csv`` if present, else ``<output_dir>/lift_tests.csv``
    (written earlier in the same run by the A/B notebook), else none. ``"none"``: no
    calibration. Anything else is a path that must exist.
    """
    setting = (setting or "none").strip()
    if setting.lower() == "none":
        return None, "No calibration: lift tests were switched off (lift_tests = none)."
    if setting.lower() == "auto":
        for where, folder in (("the input data folder", data_dir), ("this run's output folder (written by the A/B test notebook)", output_dir)):
            path = Path(folder) / "lift_tests.csv"
            if path.is_file():
                return path, f"Calibrated with lift tests from {where}: {path.name}."
        return None, "No calibration: no lift_tests.csv in the data folder or this run's output folder."
    path = Path(setting)
    if not path.is_file():
        raise FileNotFoundError(f"lift_tests: expected a CSV file at {path}, found nothing there")
    return path, f"Calibrated with lift tests from {path}."


def calibration_comparison(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per channel: ROAS mean and 94 % HDI before and after lift-test calibration, and the change in HDI width."""
    cols = ["channel", "roas_mean", "roas_hdi_low", "roas_hdi_high"]
    b = before[cols].set_index("channel").add_suffix("_before")
    a = after[cols].set_index("channel").add_suffix("_after")
    out = b.join(a).reset_index()
    out["hdi_width_before"] = out["roas_hdi_high_before"] - out["roas_hdi_low_before"]
    out["hdi_width_after"] = out["roas_hdi_high_after"] - out["roas_hdi_low_after"]
    out["hdi_width_change"] = out["hdi_width_after"] / out["hdi_width_before"] - 1
    return out


# --------------------------------------------------------------------------- results JSON


def results_payload(summary: pd.DataFrame, health: HealthCard, plan: BudgetPlan | None, current_weekly: pd.Series | None = None, **extra: Any) -> dict:
    """The public results of ``mmm.json``: ``channels``, ``diagnostics``, ``optimizer`` and any extras.

    When the health card fails (or no plan was computed) the optimizer entries keep the
    current weekly spend and set ``optimal`` and the uplift to ``None``: no recommendation.
    """
    channels = {}
    for _, r in summary.iterrows():
        channels[r["channel"]] = {
            k: (None if pd.isna(r[k]) else (bool(r[k]) if k == "rankable" else float(r[k])))
            for k in [
                "spend",
                "contribution_mean",
                "contribution_hdi_low",
                "contribution_hdi_high",
                "contribution_share",
                "roas_mean",
                "roas_hdi_low",
                "roas_hdi_high",
                "mroas_mean",
                "mroas_hdi_low",
                "mroas_hdi_high",
                "rankable",
                "rank",
            ]
        }
    diagnostics = {
        "rhat_max": health.rhat_max,
        "ess_bulk_min": health.ess_bulk_min,
        "divergences": health.divergences,
        "coverage": health.coverage,
        "holdout_mape": health.holdout_mape,
        "holdout_r2": health.holdout_r2,
        "prior_sd_ratio_max": health.prior_sd_ratio_max,
        "passed": health.passed,
        "failed_checks": health.failed_checks,
    }
    recommended = plan is not None and health.passed
    optimizer: dict[str, Any] = {"recommended": recommended}
    if recommended:
        for _, r in plan.table.iterrows():
            optimizer[r["channel"]] = {"current": float(r["current"]), "optimal": float(r["optimal"])}
        optimizer.update(
            {
                "weeks": plan.weeks,
                "start": plan.start.strftime("%Y-%m-%d"),
                "total_weekly_budget": plan.total_weekly_budget,
                "expected_uplift_mean": plan.expected_uplift_mean,
                "expected_uplift_hdi_low": plan.expected_uplift_hdi_low,
                "expected_uplift_hdi_high": plan.expected_uplift_hdi_high,
                "prob_uplift_positive": plan.prob_uplift_positive,
            }
        )
    else:
        current = current_weekly if current_weekly is not None else pd.Series(dtype=float)
        for ch in summary["channel"]:
            optimizer[ch] = {"current": float(current[ch]) if ch in current else None, "optimal": None}
        optimizer.update({"expected_uplift_mean": None, "expected_uplift_hdi_low": None, "expected_uplift_hdi_high": None})
    return {"channels": channels, "diagnostics": diagnostics, "optimizer": optimizer, **extra}
