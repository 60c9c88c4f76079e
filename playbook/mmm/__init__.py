"""Marketing mix model: what each channel contributed, at what return and profit, and where budget should move.

A thin workflow around PyMC-Marketing 1.x (:class:`pymc_marketing.mmm.MMM`): data checks (:mod:`.data`),
model build and fit with automatic extension of a non-converged fit (:mod:`.model`), the health card that
gates the budget plan (:mod:`.health`), contributions, ROAS, profit and tiers (:mod:`.decompose`), response
and carry-over curves (:mod:`.curves`), the same-total and profit-optimal budget plans (:mod:`.budget`).
``analyze(...)`` runs them in order and returns an :class:`MMMResult` whose :meth:`~MMMResult.results` is
``mmm.json``; :mod:`.narrative` words it and :mod:`.plots` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from playbook import mcmc
from playbook.mmm import budget, curves, data, decompose, health, model, narrative, plots
from playbook.mmm.budget import BudgetPlan, Planner, optimize_budget, optimize_profit
from playbook.mmm.curves import adstock_decay, carryover, curve_points, response_curves
from playbook.mmm.data import (
    CORRELATION_FLAG,
    VIF_FLAG,
    DataChecks,
    MMMInput,
    data_checks,
    drop_sparse_channels,
    prepare_input,
    resolve_lift_tests,
    spend_columns,
    usable_lift_tests,
)
from playbook.mmm.decompose import (
    RANKABLE_REL_WIDTH,
    Share,
    calibration_comparison,
    channel_summary,
    decomposition,
    media_share,
    rank_channels,
    waterfall,
)
from playbook.mmm.health import HEALTH_THRESHOLDS, HealthCard, Holdout, assess_health, health_card, holdout_forecast
from playbook.mmm.model import Extension, Spec, build_model, fit_converged, fit_model
from playbook.results import DataWarning

__all__ = [
    "MMMResult", "analyze", "results_payload", "budget", "curves", "data", "decompose", "health", "model", "narrative", "plots",
    "BudgetPlan", "DataChecks", "HealthCard", "Holdout", "MMMInput", "Spec", "Share", "Extension",
    "prepare_input", "data_checks", "resolve_lift_tests", "spend_columns", "build_model", "fit_model", "channel_summary",
    "rank_channels", "assess_health", "health_card", "holdout_forecast", "decomposition", "waterfall", "response_curves",
    "adstock_decay", "optimize_budget", "optimize_profit", "calibration_comparison",
    "HEALTH_THRESHOLDS", "RANKABLE_REL_WIDTH", "CORRELATION_FLAG", "VIF_FLAG",
]

#: Default sampling of an MMM fit (nutpie is the fastest here, see benchmarks/mmm_samplers.py).
DEFAULT_SETTINGS = mcmc.Settings(draws=1000, tune=1000, chains=2, sampler="nutpie", seed=42, target_accept=model.TARGET_ACCEPT)

#: Default model shape.
DEFAULT_SPEC = Spec()

_CHANNEL_KEYS = (
    "spend", "contribution_mean", "contribution_hdi_low", "contribution_hdi_high", "contribution_share",
    "contribution_share_hdi_low", "contribution_share_hdi_high", "roas_mean", "roas_hdi_low", "roas_hdi_high",
    "mroas_mean", "mroas_hdi_low", "mroas_hdi_high", "mroas_current_mean", "mroas_current_hdi_low", "mroas_current_hdi_high",
    "profit_roi_mean", "profit_roi_hdi_low", "profit_roi_hdi_high", "prob_roas_above_1", "prob_profitable",
    "prob_marginal_profitable", "saturation_ratio", "rankable", "rank", "tier",
)


def _value(v):
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return bool(v)
    return float(v)


def _plan_entries(plan: BudgetPlan) -> dict:
    return {r["channel"]: {"current": float(r["current"]), "optimal": float(r["optimal"]), "at_bound": bool(r.get("at_bound", False)),
                           "limited_by": plan.limited_by(r["channel"])}
            for _, r in plan.table.iterrows()}


def results_payload(summary: pd.DataFrame, health: HealthCard, plan: BudgetPlan | None, current_weekly: pd.Series | None = None,
                    profit_plan: BudgetPlan | None = None, extended: dict | None = None, **extra: Any) -> dict:
    """The public results of ``mmm.json``: ``channels``, ``diagnostics``, ``optimizer``, ``optimizer_profit`` and any extras.

    When the health card fails (or no plan was computed) the optimizer entries keep the current weekly
    spend and set ``optimal``, ``at_bound`` and the uplift to ``None``: no recommendation. ``extended`` (what the
    automatic extension of a non-converged fit did) goes under ``diagnostics.extended``.
    """
    channels = {r["channel"]: {k: _value(r[k]) for k in _CHANNEL_KEYS if k in r} for _, r in summary.iterrows()}
    diagnostics = {
        "rhat_max": health.rhat_max, "ess_bulk_min": health.ess_bulk_min, "divergences": health.divergences,
        "coverage": health.coverage, "holdout_mape": health.holdout_mape, "holdout_r2": health.holdout_r2,
        "prior_sd_ratio_max": health.prior_sd_ratio_max, "passed": health.passed, "failed_checks": health.failed_checks,
    }
    recommended = plan is not None and health.passed
    current = current_weekly if current_weekly is not None else pd.Series(dtype=float)
    optimizer: dict[str, Any] = {"recommended": recommended}
    optimizer_profit: dict[str, Any] = {"recommended": recommended and profit_plan is not None}
    if recommended:
        optimizer.update(_plan_entries(plan))
        optimizer.update({"weeks": plan.weeks, "start": plan.start.strftime("%Y-%m-%d"), "total_weekly_budget": plan.total_weekly_budget,
                          **plan.gain_dict(), "held_out": plan.held_out, "limited_by_bounds": plan.limited_by_bounds,
                          "tier_held": list(plan.tier_held or [])})
    else:
        for ch in summary["channel"]:
            optimizer[ch] = {"current": float(current[ch]) if ch in current else None, "optimal": None, "at_bound": None, "limited_by": None}
        optimizer.update({"expected_uplift_mean": None, "expected_uplift_hdi_low": None, "expected_uplift_hdi_high": None})
    if recommended and profit_plan is not None:
        optimizer_profit.update(_plan_entries(profit_plan))
        optimizer_profit.update({
            "total_weekly_budget": profit_plan.total_weekly_budget, "current_weekly_budget": float(profit_plan.table["current"].sum()),
            "expected_profit_mean": profit_plan.expected_profit_mean, "expected_profit_hdi_low": profit_plan.expected_profit_hdi_low,
            "expected_profit_hdi_high": profit_plan.expected_profit_hdi_high, "prob_profit_positive": profit_plan.prob_profit_positive,
            **profit_plan.gain_dict(), "held_out": profit_plan.held_out, "limited_by_bounds": profit_plan.limited_by_bounds,
            "tier_held": list(profit_plan.tier_held or []),
        })
    else:
        for ch in summary["channel"]:
            optimizer_profit[ch] = {"current": float(current[ch]) if ch in current else None, "optimal": None, "at_bound": None, "limited_by": None}
        optimizer_profit.update({"total_weekly_budget": None, "expected_profit_mean": None, "expected_profit_hdi_low": None, "expected_profit_hdi_high": None})
    if extended is not None:
        diagnostics["extended"] = extended
    return {"channels": channels, "diagnostics": diagnostics, "optimizer": optimizer, "optimizer_profit": optimizer_profit, **extra}


@dataclass
class MMMResult:
    """Everything the MMM report shows, from the data checks to the budget plans."""

    inp: MMMInput
    checks: DataChecks
    spec: Spec
    settings: mcmc.Settings
    extension: Extension
    summary: pd.DataFrame
    summary_before: pd.DataFrame
    calibration: pd.DataFrame | None
    lifts: pd.DataFrame | None
    lift_source: str
    holdout: Holdout | None
    health: HealthCard
    fit: pd.DataFrame
    decomp: pd.DataFrame
    waterfall: pd.DataFrame
    curves: pd.DataFrame
    decay: pd.DataFrame
    shift: pd.DataFrame
    current_weekly: pd.Series
    media_share: Share
    plan: BudgetPlan | None = None
    profit_plan: BudgetPlan | None = None
    interval: float = 0.9
    margin: float = 1.0
    currency: str = "$"
    budget_bounds: float | dict = 0.3
    budget_weeks: int = 13
    holdout_weeks: int = 13
    fixed_channels: list[str] = field(default_factory=list)
    smoke: bool = False
    holdout_lifts_left_out: list[str] = field(default_factory=list)  # channels of lift tests dated inside the holdout weeks

    @property
    def kpi(self) -> str:
        return self.inp.kpi

    @property
    def channels(self) -> list[str]:
        return list(self.inp.channels)

    @property
    def first_week(self) -> pd.Timestamp:
        return pd.Timestamp(self.inp.frame["date"].min())

    @property
    def last_week(self) -> pd.Timestamp:
        return pd.Timestamp(self.inp.frame["date"].max())

    @property
    def data_period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return self.first_week, self.last_week

    @property
    def warnings(self) -> list[DataWarning]:
        """What the data checks did about data that broke the model's assumptions (the report's banner, ``warnings`` in mmm.json)."""
        out = [DataWarning("mmm.csv", f"spend_{d.channel}: {d.reason}", "every channel has spend in enough weeks to estimate its effect",
                           f"{d.channel} was left out of the model and of the budget plan") for d in self.checks.dropped]
        out += [DataWarning("mmm.csv", f"column {c}: the same value in every week", "every control changes over time",
                            f"{c} was left out of the model (a constant is already the intercept)") for c in self.inp.constant_controls]
        weeks = self.inp.missing_kpi_weeks
        if weeks:
            shown = ", ".join(weeks[:5]) + (", …" if len(weeks) > 5 else "")
            out.append(DataWarning("mmm.csv", f"{len(weeks)} week{'s' if len(weeks) != 1 else ''} with no {self.kpi}: {shown}",
                                   f"every week has a {self.kpi}",
                                   "those weeks were left out of the model; the weeks either side count as adjacent for carry-over"))
        if self.inp.aggregated_geos > 1:
            out.append(DataWarning("mmm.csv", f"{self.inp.aggregated_geos} geos", "one national series",
                                   f"the geos were summed to one weekly series ({self.kpi} and spend summed, controls averaged)"))
        return out

    @property
    def carry(self) -> pd.DataFrame:
        return carryover(self.decay)

    @property
    def media_total(self) -> float:
        return float(self.summary["contribution_mean"].sum())

    def results(self) -> dict:
        """The public results of ``mmm.json`` (documented in the README's key table)."""
        s = self.settings
        return results_payload(
            self.summary, self.health, self.plan, self.current_weekly, self.profit_plan,
            media_share=self.media_share.as_dict(),
            response_curves=curve_points(self.curves),
            calibration={
                "source": self.lift_source, "used": self.calibration is not None, "holdout_left_out": self.holdout_lifts_left_out,
                "roas_before": {r["channel"]: {"roas_mean": r["roas_mean"], "roas_hdi_low": r["roas_hdi_low"], "roas_hdi_high": r["roas_hdi_high"]}
                                for _, r in self.summary_before.iterrows()},
            },
            data_checks={
                "problems": self.checks.problems, "collinear_pairs": [list(p) for p in self.checks.collinear_pairs],
                "dropped_channels": [d.as_dict() for d in self.checks.dropped], "confounded_channels": self.checks.confounded,
                "baseline_r2": {r["channel"]: _value(r["baseline_r2"]) for _, r in self.checks.baseline_r2.iterrows()},
            },
            extended=self.extension.as_dict(),
            settings={"kpi": self.kpi, "adstock": self.spec.adstock, "saturation": self.spec.saturation, "l_max": self.spec.l_max,
                      "sampler": s.sampler, "draws": s.draws, "tune": s.tune, "chains": s.chains, "smoke": self.smoke,
                      "margin": self.margin, "break_even_roas": 1 / self.margin, "budget_weeks": self.budget_weeks,
                      "fixed_channels": self.fixed_channels},
            brief=narrative.brief(self),
        )


def half_draws(settings: mcmc.Settings) -> mcmc.Settings:
    """Settings for the fits that feed a comparison, not the report's numbers (before calibration, holdout): half the
    draws and warm-up, at least 100 of each per chain."""
    return settings.with_(draws=max(100, settings.draws // 2), tune=max(100, settings.tune // 2))


def analyze(
    frame: pd.DataFrame,
    *,
    kpi: str = "revenue",
    controls: list[str] | None = None,
    trend: bool = True,
    spec: Spec = DEFAULT_SPEC,
    settings: mcmc.Settings = DEFAULT_SETTINGS,
    holdout_weeks: int = 13,
    budget_weeks: int = 13,
    total_budget: float = 0.0,
    budget_bounds: float | dict = 0.3,
    lift_tests: pd.DataFrame | None = None,
    lift_source: str = "",
    interval: float = 0.9,
    margin: float = 1.0,
    currency: str = "$",
    last_weeks: int | None = None,
    prior_samples: int = 500,
    max_extensions: int = model.MAX_EXTENSIONS,
    max_plan_draws: int = 400,
    smoke: bool = False,
) -> MMMResult:
    """The whole MMM analysis of one ``mmm.csv`` frame (and optional lift tests), ready for the report."""
    if not 0 < margin:
        raise ValueError(f"margin must be above 0 (the contribution margin of the KPI, 1.0 when it is profit), got {margin}")
    inp = prepare_input(frame, kpi=kpi, controls=controls, trend=trend, last_weeks=last_weeks)
    inp, dropped = drop_sparse_channels(inp)
    checks = data_checks(inp, dropped, spec.yearly_seasonality or 0)
    refused = data.too_few_weeks(inp, spec.l_max, spec.yearly_seasonality or 0)
    if refused:  # the notebook's run is refused before it starts (data.ENOUGH_WEEKS); analyze called directly still refuses
        raise ValueError(refused)
    lifts = usable_lift_tests(lift_tests, inp.channels)

    # Uncalibrated fit; then, if lift tests exist, the calibrated fit that the report uses (extended if it missed convergence).
    # The uncalibrated fit only feeds the before/after comparison of ROAS: half the draws, as the holdout fit, and no prior draws.
    if lifts is not None:
        model_before = fit_model(spec.build(inp), inp, half_draws(settings), prior_samples=0, label="MMM (before calibration)")
        fitted, extension = fit_converged(inp, spec, settings, lifts, prior_samples, max_extensions, label="MMM")
    else:
        fitted, extension = fit_converged(inp, spec, settings, None, prior_samples, max_extensions, label="MMM")
        model_before = fitted
    # Out of sample: the same model fitted without the last holdout_weeks, forecasting them.
    holdout, holdout_left_out = None, []
    if holdout_weeks and holdout_weeks < inp.n_weeks - 26:
        train, test = inp.head_weeks(inp.n_weeks - holdout_weeks), inp.tail_weeks(holdout_weeks)
        hs = half_draws(extension.settings_after)
        holdout_lifts, holdout_left_out = data.lift_tests_before(lifts, test.frame["date"].min())
        model_holdout = fit_model(spec.build(train), train, hs, lift_tests=holdout_lifts, prior_samples=0, label="MMM (holdout)")
        holdout = holdout_forecast(model_holdout, test, interval)
    card = health_card(fitted, holdout, interval=interval)

    planner = Planner(fitted, inp, budget_weeks, max_plan_draws)
    current = budget.current_weekly_spend(inp, budget_weeks)
    mroas_now = planner.marginal_roas(current)
    summary = channel_summary(fitted, inp, interval, margin, mroas_now)
    summary_before = channel_summary(model_before, inp, interval, margin) if lifts is not None else summary
    calibration = calibration_comparison(summary_before, summary) if lifts is not None else None
    share = media_share(decompose.contribution_draws(fitted), float(inp.y.sum()), interval)
    fixed = list(checks.confounded)
    tiers = summary.set_index("channel")["tier"].to_dict()
    plan = profit_plan = None
    if card.passed:
        plan = optimize_budget(fitted, inp, budget_weeks, total_budget or None, budget_bounds, interval=interval, margin=margin,
                               planner=planner, fixed=fixed, tiers=tiers)
        losing = summary.loc[summary["prob_marginal_profitable"] < budget.NO_RAISE_BELOW, "channel"].tolist()
        profit_plan = optimize_profit(fitted, inp, budget_weeks, budget_bounds, margin, interval=interval, planner=planner, fixed=fixed,
                                      no_raise=losing, tiers=tiers)
    decomp = decomposition(fitted, inp)
    return MMMResult(
        inp, checks, spec, settings, extension, summary, summary_before, calibration, lifts, lift_source, holdout, card,
        health.posterior_predictive_fit(fitted, interval), decomp, waterfall(decomp, inp.channels),
        response_curves(fitted, inp, interval, recent_weeks=budget_weeks), adstock_decay(fitted, interval), health.prior_posterior_shift(fitted),
        current, share, plan, profit_plan, interval, margin, currency, budget_bounds, budget_weeks, holdout_weeks, fixed, smoke,
        holdout_left_out,
    )
