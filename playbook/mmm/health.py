"""The model health card: convergence, sampling, fit, out-of-sample error and learning from the data.

Every line passes or fails against a named threshold; any failed line withholds the budget plan.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook import fmt
from playbook.mmm.data import MMMInput
from playbook.mmm.stats import hdi, summary_columns

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



@dataclass
class Holdout:
    """Out-of-sample check: a fit without the last weeks, predicting them."""

    weeks: int
    mape: float
    r2: float
    coverage: float
    frame: pd.DataFrame  # date, observed, predicted_mean, predicted_hdi_low, predicted_hdi_high


def holdout_forecast(mmm_holdout, test: MMMInput, interval: float = 0.9) -> Holdout:
    """Holdout MAPE, R² and ``interval`` prediction-interval coverage of ``mmm_holdout`` (fitted without ``test``'s weeks) on ``test``."""
    from sklearn.metrics import mean_absolute_percentage_error, r2_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp = mmm_holdout.sample_posterior_predictive(test.X, extend_idata=False, include_last_observations=True, progressbar=False)
    scale = float(mmm_holdout.data.get_target_scale())
    draws = pp["y"].transpose("date", "sample").values * scale
    observed = test.y.to_numpy()
    mean = draws.mean(axis=1)
    bounds = np.array([hdi(d, interval) for d in draws])
    frame = pd.DataFrame(
        {"date": test.frame["date"].to_numpy(), "observed": observed, "predicted_mean": mean, "predicted_hdi_low": bounds[:, 0], "predicted_hdi_high": bounds[:, 1]}
    )
    covered = (observed >= bounds[:, 0]) & (observed <= bounds[:, 1])
    return Holdout(len(test.frame), float(mean_absolute_percentage_error(observed, mean)), float(r2_score(observed, mean)), float(covered.mean()), frame)


def posterior_predictive_fit(mmm, interval: float = 0.9) -> pd.DataFrame:
    """Per week: observed KPI, posterior predictive mean and ``interval`` HDI (currency)."""
    pp = mmm.summary.posterior_predictive(hdi_probs=[interval])
    low, high = summary_columns(interval)
    return pd.DataFrame(
        {
            "date": pd.to_datetime(pp["date"]).to_numpy(),
            "observed": pp["observed"].to_numpy(),
            "predicted_mean": pp["mean"].to_numpy(),
            "predicted_hdi_low": pp[low].to_numpy(),
            "predicted_hdi_high": pp[high].to_numpy(),
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
    worst_learned_channel: str = ""
    interval: float = 0.9

    @property
    def n_passed(self) -> int:
        return int(self.lines["passed"].sum())

    @property
    def learning_passed(self) -> bool:
        """Every channel's effect size was learned from the data (the learning line passed)."""
        row = self.lines[self.lines["check"].str.startswith("Learning")]
        return bool(len(row)) and bool(row["passed"].all())


def health_card(mmm, holdout: Holdout | None = None, thresholds: dict | None = None, interval: float = 0.9) -> HealthCard:
    """The health card of a fitted model: convergence, sampling, fit, out-of-sample error, learning from data."""
    from playbook.mmm.model import diagnostics

    idata = mmm.idata
    diag = diagnostics(mmm)
    fit = posterior_predictive_fit(mmm, interval)
    coverage = float(((fit["observed"] >= fit["predicted_hdi_low"]) & (fit["observed"] <= fit["predicted_hdi_high"])).mean())
    shift = prior_posterior_shift(mmm, ("saturation_beta",))
    worst = shift.loc[shift["sd_ratio"].idxmax()] if len(shift) else None
    return assess_health(
        rhat_max=float(diag.rhat_max),
        ess_bulk_min=float(diag.ess_bulk_min),
        divergences=int(diag.divergences),
        n_draws=int(idata.posterior.sizes["chain"] * idata.posterior.sizes["draw"]),
        coverage=coverage,
        chains=int(idata.posterior.sizes["chain"]),
        holdout=holdout,
        prior_sd_ratio_max=float(worst["sd_ratio"]) if worst is not None else float("nan"),
        worst_learned_channel=str(worst["channel"]) if worst is not None else "",
        thresholds=thresholds,
        interval=interval,
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
    interval: float = 0.9,
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
        (f"Fit: weeks inside the {fmt.interval_label(interval, 'predictive interval')}", coverage, f"≥ {th['coverage_min']:.0%}", ok(coverage >= th["coverage_min"]), "the model reproduces the observed KPI"),
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
        worst_learned_channel,
        interval,
    )

