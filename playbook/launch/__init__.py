"""Launch planning: how fast a new service will be adopted (Bass diffusion) and how to phase its launch budget.

``analyze(adoption, ...)`` fits PyMC-Marketing's Bass model to the adoption history (the service's
own first periods, or a comparable service's), or draws from analogue priors when there is no
history; forecasts new adopters per period with intervals; times the peak and half the potential;
places the warm-up, launch and growth phases on the forecast and, with the MMM's response curves
from the same run, prices them. The notebook calls :func:`analyze`, then :mod:`.narrative` and
:mod:`.plots` on the result.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from playbook import mcmc
from playbook.launch import bass, forecast, history, narrative, plan, plots
from playbook.launch.bass import Draws, Priors
from playbook.launch.forecast import BassSummary, Estimate
from playbook.launch.history import History
from playbook.launch.plan import LaunchPlan
from playbook.results import DataWarning

__all__ = ["LaunchResult", "analyze", "from_draws", "bass", "forecast", "history", "narrative", "plan", "plots"]

#: Default sampling for the 4-parameter Bass model: PyMC's NUTS compiles in seconds where nutpie's numba
#: build takes minutes on a busy two-core machine, and its dense mass matrix suits the m–p trade-off.
DEFAULT_SETTINGS = mcmc.Settings(draws=1000, tune=1000, chains=2, sampler="pymc", seed=1, target_accept=0.9)


@dataclass
class LaunchResult:
    """Everything the launch report shows: the history, priors, draws and their summary, forecast, plan, checks."""

    history: History
    priors: Priors
    draws: Draws
    summary: BassSummary
    forecast: pd.DataFrame
    plan: LaunchPlan
    interval: float
    diagnostics: mcmc.Diagnostics | None
    settings: mcmc.Settings | None
    horizon_capped: bool = False
    warnings: list[DataWarning] = field(default_factory=list)
    currency: str = "$"

    @property
    def prior_only(self) -> bool:
        """The forecast rests on the priors alone (no usable history)."""
        return self.draws.kind == "prior"

    @property
    def m_known(self) -> bool:
        return self.draws.m is not None

    @property
    def converged(self) -> bool | None:
        return None if self.diagnostics is None else self.diagnostics.converged

    @property
    def too_few_periods(self) -> bool:
        """Fewer observed periods than the Bass curve has parameters."""
        return 0 < self.history.n < bass.N_PARAMETERS

    @property
    def data_period(self) -> tuple[str, str] | None:
        """First and last period of the history used (``None`` without history)."""
        return self.history.data_period

    @property
    def data_end(self) -> str | None:
        return self.data_period[1] if self.data_period else None

    @property
    def periods_ahead(self) -> int:
        """Forecast periods after the last observed period of the service (after the launch without one)."""
        return int((self.forecast["period_index"] > self.history.last_observed_index).sum())

    def ahead(self, periods: int) -> tuple[Estimate | None, Estimate]:
        """New adopters over the next ``periods`` (after the data; after the launch without own history) with their
        prediction interval (``None`` when m is unknown), and the share of the potential adopted by then."""
        f = self.forecast
        start = self.history.last_observed_index + 1
        rows = f.loc[(f["period_index"] >= start) & (f["period_index"] < start + periods)]
        end = rows.iloc[-1]
        share = Estimate(float(end["share_mean"]), float(end["share_lower"]), float(end["share_upper"]))
        if not self.m_known:
            return None, share
        base = float(self.history.adopters.sum()) if self.history.source == "own" else 0.0
        return Estimate(float(rows["mean"].sum()), float(end["cumulative_lower"]) - base, float(end["cumulative_upper"]) - base), share

    def results(self) -> dict:
        """The public results of ``launch.json`` (documented in the README's key table)."""
        s, h = self.summary, self.history
        basis = self.plan.basis
        rows = self.forecast.assign(period=self.forecast["period"].dt.strftime("%Y-%m-%d"))
        return {
            "bass": {
                "m": s.m.as_dict(), "p": s.p.as_dict(), "q": s.q.as_dict(),
                "p_per_year": s.p_per_year.as_dict(), "q_per_year": s.q_per_year.as_dict(),
                "peak_period": s.peak.date, "peak_period_index": s.peak.index, "peak_time": s.peak.time.as_dict(),
                "half_potential_period": s.half_potential.date, "half_potential_period_index": s.half_potential.index,
                "half_potential_time": s.half_potential.time.as_dict(),
                "prob_peak_passed": s.peak.prob_observed,
                "source": h.source, "draws": self.draws.kind, "m_source": self.priors.m_source,
                "frequency": h.frequency, "periods_per_year": h.periods_per_year, "launch": h.launch,
                "periods_observed": h.n, "adopters_observed": int(h.adopters.sum()),
                "priors": {name: {"median": pr.median, "log_sd": pr.log_sd}
                           for name, pr in (("m", self.priors.m), ("p", self.priors.p), ("q", self.priors.q)) if pr is not None},
                "diagnostics": self.diagnostics.as_dict() if self.diagnostics else None,
                "converged": self.converged,
            },
            "forecast": rows.to_dict(orient="records"),
            "phases": [p.as_dict() for p in self.plan.phases],
            "plan": {
                "spend_known": basis.known, "reason": basis.reason, "budget": basis.budget, "budget_source": basis.budget_source or None,
                "current_weekly_spend": basis.current_weekly_spend, "channel_mix": dict(basis.mix), "mix_source": basis.mix_source or None,
                "revenue_per_adopter": basis.revenue_per_adopter, "mmm_interval": basis.mmm_interval,
                "beyond_curve": list(basis.beyond_curve), "warmup_periods": self.plan.warmup_periods,
                "innovators_share": plan.INNOVATORS_SHARE, "warmup_intensity": plan.WARMUP_INTENSITY,
            },
            "brief": narrative.brief(self),
        }


def analyze(
    adoption: pd.DataFrame | None,
    *,
    interval: float = 0.9,
    mmm: Mapping | None = None,
    launch_date: str = "",
    frequency: str = "",
    market_potential: float = 0.0,
    market_potential_uncertainty: float = bass.MARKET_POTENTIAL_LOG_SD,
    analogue_p: float = bass.LITERATURE_P,
    analogue_q: float = bass.LITERATURE_Q,
    forecast_years: float = 2.0,
    warmup_weeks: int = 8,
    launch_budget: float = 0.0,
    revenue_per_adopter: float = 0.0,
    settings: mcmc.Settings = DEFAULT_SETTINGS,
    currency: str = "$",
    today: dt.date | None = None,
) -> LaunchResult:
    """The launch analysis of a validated ``adoption.csv`` (``None``: no history) and the run's ``mmm.json`` (``None``: none).

    Never raises on legal data: no history, no adopters yet or fewer periods than parameters give
    a prior-leaning forecast with named warnings in ``result.warnings``.
    """
    hist = history.prepare(adoption, launch_date, frequency, today)
    total = int(hist.adopters.sum())
    warnings: list[DataWarning] = []
    if hist.n and not (total > 0 or (hist.source == "own" and market_potential > 0)):
        warnings.append(DataWarning(
            history.FILE, f"all {hist.n} rows", "the Bass model learns p and q from adopters, and every period has 0",
            "forecast from the priors alone" + ("" if hist.source == "comparable" else "; set market_potential to fit the zeros"),
        ))
        hist = hist.without_history()
    elif not hist.n:
        warnings.append(DataWarning(
            history.FILE, "no rows" if adoption is not None else "file absent",
            "the Bass model is fitted to an adoption history, and there is none",
            "forecast from the priors alone: analogue p and q from the diffusion literature, "
            + ("m from market_potential" if market_potential > 0 else "no m (set market_potential): timing and shares only"),
        ))
    elif hist.n < bass.N_PARAMETERS:
        warnings.append(DataWarning(
            history.FILE, f"{hist.n} of the {bass.N_PARAMETERS} periods needed",
            f"the Bass curve has {bass.N_PARAMETERS} parameters (m, p, q) and the history has fewer periods",
            "fitted anyway: the priors carry most of the forecast, and its intervals are wide",
        ))
    fit_potential = 0.0 if hist.source == "comparable" else market_potential
    priors = bass.make_priors(hist.periods_per_year, analogue_p, analogue_q, fit_potential, market_potential_uncertainty, total)
    diagnostics, used_settings = None, None
    if hist.n:
        draws, diagnostics = bass.fit(hist.adopters, priors, settings)
        used_settings = settings
    else:
        draws = bass.prior_draws(priors, seed=settings.seed)
    if hist.source == "comparable":
        # the comparable lends p and q; m is the new service's own potential when stated, else the comparable's
        if market_potential > 0:
            target = bass.LogNormalPrior(market_potential, market_potential_uncertainty or bass.MARKET_POTENTIAL_LOG_SD)
            draws = draws.with_m(target.draw(np.random.default_rng(settings.seed), len(draws)))
            priors = replace(priors, m=target, m_source="market_potential")
        else:
            priors = replace(priors, m_source="comparable")
    return from_draws(hist, priors, draws, interval=interval, mmm=mmm, diagnostics=diagnostics, settings=used_settings,
                      warnings=warnings, forecast_years=forecast_years, warmup_weeks=warmup_weeks,
                      launch_budget=launch_budget, revenue_per_adopter=revenue_per_adopter, currency=currency, seed=settings.seed)


def from_draws(
    hist: History,
    priors: Priors,
    draws: Draws,
    *,
    interval: float = 0.9,
    mmm: Mapping | None = None,
    diagnostics: mcmc.Diagnostics | None = None,
    settings: mcmc.Settings | None = None,
    warnings: list[DataWarning] | None = None,
    forecast_years: float = 2.0,
    warmup_weeks: int = 8,
    launch_budget: float = 0.0,
    revenue_per_adopter: float = 0.0,
    currency: str = "$",
    seed: int = 0,
) -> LaunchResult:
    """The :class:`LaunchResult` of given Bass draws: their summary, the forecast, the plan and its pricing.

    :func:`analyze` calls it after fitting (or drawing from the priors); tests call it on hand-made draws.
    """
    ppy = hist.periods_per_year
    summary = forecast.summarize(draws, hist, interval, priors.p.mean * ppy, priors.q.mean * ppy)
    # the forecast reaches at least the end of the plan and the period half the potential has adopted
    needed = max(max(end for _, _, end in plan.phase_bounds(draws, 0)), int(np.floor(np.median(bass.time_to_share(draws.p, draws.q, 0.5)))))
    periods, capped = forecast.horizon(hist, math.ceil(forecast_years * ppy), needed)
    table = forecast.forecast_table(draws, hist, periods, interval, seed=seed)
    launch_plan = plan.build_plan(draws, hist, table, plan.spend_basis(mmm, launch_budget, revenue_per_adopter), warmup_weeks)
    return LaunchResult(hist, priors, draws, summary, table, launch_plan, interval, diagnostics, settings,
                        capped, list(warnings or []), currency)
