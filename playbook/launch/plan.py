"""The launch plan: warm-up, launch and growth phases placed on the adoption forecast, and their budgets
from the MMM's response curves when the same run has an ``mmm.json``.

The rule that places the phases (periods since the launch; medians of the posterior timing):

* **warm-up**: the ``warmup_weeks`` before the launch (rounded up to whole periods);
* **launch**: from the launch to the period in which the first :data:`INNOVATORS_SHARE` of the
  potential has adopted (Rogers' innovators);
* **growth**: from there to the period in which new adoptions peak (empty when they peak sooner).

The budget rule: the budget (``launch_budget``, or the MMM's current weekly spend held over the
plan) goes to the periods still ahead in proportion to the share of the potential not yet
adopted at mid-period, 1 − F: the pool that Bass's external influence, the part advertising
buys, works on; warm-up periods get :data:`WARMUP_INTENSITY` of the first launch period's rate.
Spend per period is split over channels in the MMM's mix (its recommended mix when its optimizer
made one, else the current one) and read off each channel's response curve (steady weekly
spend → weekly contribution in currency, carry-over included). Adopters bought = contribution
÷ ``revenue_per_adopter``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from playbook.launch.bass import Draws, cumulative_share, peak_time, time_to_share
from playbook.launch.forecast import Estimate
from playbook.launch.history import History

#: Rogers (2003): the first 2.5 % of a market's adopters are its innovators; the launch phase lasts until they adopted.
INNOVATORS_SHARE = 0.025
#: Warm-up spend per period as a fraction of the first launch period's (awareness before anyone can adopt).
WARMUP_INTENSITY = 0.5
PHASES = ("warm-up", "launch", "growth")

#: Why a plan has no spend: no mmm.json, mmm.json without response curves, the MMM's health check failed,
#: nothing to spend (no budget and no current spend), or no period left ahead to spend in.
NO_MMM, NO_CURVES, MMM_UNHEALTHY, NO_BUDGET, NOTHING_AHEAD = "no_mmm", "no_curves", "mmm_unhealthy", "no_budget", "nothing_ahead"


@dataclass(frozen=True)
class Phase:
    """One phase: its periods on the plan's timeline (inclusive; ``end_index < start_index`` when empty)
    and, when the MMM priced it, its budget, the contribution and the adopters that budget buys."""

    name: str
    start_index: int
    end_index: int
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    status: str  # "past", "current", "ahead" or "empty"
    planned_periods: int  # periods of the phase still ahead of the data
    forecast_adopters: float | None = None  # Bass mean over the planned periods
    spend: float | None = None
    weekly_spend: float | None = None
    contribution: Estimate | None = None
    adopters: Estimate | None = None

    @property
    def periods(self) -> int:
        return max(0, self.end_index - self.start_index + 1)

    @property
    def adopters_per_unit_spend(self) -> float | None:
        if self.adopters is None or not self.spend:
            return None
        return self.adopters.mean / self.spend

    def as_dict(self) -> dict:
        c = self.contribution or Estimate(None, None, None)
        a = self.adopters or Estimate(None, None, None)
        return {
            "name": self.name, "start": self.start, "end": self.end, "periods": self.periods, "status": self.status,
            "planned_periods": self.planned_periods, "spend": self.spend, "weekly_spend": self.weekly_spend,
            "contribution_mean": c.mean, "contribution_low": c.low, "contribution_high": c.high,
            "adopters_mean": a.mean, "adopters_low": a.low, "adopters_high": a.high,
            "adopters_per_unit_spend": self.adopters_per_unit_spend, "forecast_adopters": self.forecast_adopters,
        }


@dataclass(frozen=True)
class ResponseCurve:
    """One channel's steady weekly spend → weekly contribution (mean and interval ends), sorted by spend."""

    spend: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def from_points(cls, points) -> ResponseCurve:
        frame = pd.DataFrame(list(points)).sort_values("spend")
        return cls(*(frame[c].to_numpy(dtype=float) for c in ("spend", "contribution_mean", "contribution_hdi_low", "contribution_hdi_high")))

    def at(self, weekly_spend: float) -> tuple[float, float, float]:
        """Weekly contribution (mean, low, high) at ``weekly_spend``; held at the curve's end beyond it."""
        return tuple(float(np.interp(weekly_spend, self.spend, v)) for v in (self.mean, self.low, self.high))


@dataclass(frozen=True)
class SpendBasis:
    """What the plan's budget rests on: the MMM's curves and mix, the budget, and why there is none when there is none."""

    reason: str | None  # None when spend is known, else one of NO_MMM … NOTHING_AHEAD
    curves: Mapping[str, ResponseCurve] = field(default_factory=dict)
    mix: Mapping[str, float] = field(default_factory=dict)  # channel → share of weekly spend
    mix_source: str = ""  # "recommended" or "current"
    current_weekly_spend: float | None = None
    budget: float | None = None
    budget_source: str = ""  # "launch_budget" or "current_spend"
    revenue_per_adopter: float | None = None
    mmm_interval: float | None = None
    beyond_curve: tuple[str, ...] = ()  # channels the plan spends beyond their curve's range

    @property
    def known(self) -> bool:
        return self.reason is None


def _current_weekly(mmm: Mapping, channels: list[str]) -> dict[str, float]:
    """Current weekly spend per channel: the optimizer's ``current``, else total spend over the MMM's weeks."""
    opt = mmm.get("optimizer") or {}
    current = {ch: (opt.get(ch) or {}).get("current") for ch in channels}
    if all(v is not None for v in current.values()):
        return {ch: float(v) for ch, v in current.items()}
    period = (mmm.get("meta") or {}).get("data_period") or []
    weeks = (pd.Timestamp(period[1]) - pd.Timestamp(period[0])).days / 7 + 1 if len(period) == 2 else None
    spends = {ch: ((mmm.get("channels") or {}).get(ch) or {}).get("spend") for ch in channels}
    if not weeks or any(v is None for v in spends.values()):
        return {}
    return {ch: float(v) / weeks for ch, v in spends.items()}


def spend_basis(mmm: Mapping | None, launch_budget: float = 0.0, revenue_per_adopter: float = 0.0) -> SpendBasis:
    """The MMM's response curves, channel mix and current weekly spend from ``mmm.json``, or why they cannot price the plan."""
    rpa = revenue_per_adopter if revenue_per_adopter > 0 else None
    if not mmm:
        return SpendBasis(NO_MMM, revenue_per_adopter=rpa)
    interval = (mmm.get("meta") or {}).get("interval")
    raw = mmm.get("response_curves") or {}
    curves = {ch: ResponseCurve.from_points(pts) for ch, pts in raw.items() if pts}
    if not curves:
        return SpendBasis(NO_CURVES, revenue_per_adopter=rpa, mmm_interval=interval)
    if not (mmm.get("diagnostics") or {}).get("passed", False):
        return SpendBasis(MMM_UNHEALTHY, curves, revenue_per_adopter=rpa, mmm_interval=interval)
    current = _current_weekly(mmm, list(curves))
    opt = mmm.get("optimizer") or {}
    optimal = {ch: (opt.get(ch) or {}).get("optimal") for ch in curves}
    if opt.get("recommended") and all(v is not None for v in optimal.values()) and sum(optimal.values()) > 0:
        weights, mix_source = optimal, "recommended"
    else:
        weights, mix_source = current, "current"
    total = sum(weights.values()) if weights else 0.0
    current_total = sum(current.values()) if current else None
    if total <= 0 or (launch_budget <= 0 and not current_total):
        return SpendBasis(NO_BUDGET, curves, revenue_per_adopter=rpa, mmm_interval=interval, current_weekly_spend=current_total)
    mix = {ch: float(w) / total for ch, w in weights.items()}
    return SpendBasis(None, curves, mix, mix_source, current_total, launch_budget if launch_budget > 0 else None,
                      "launch_budget" if launch_budget > 0 else "current_spend", rpa, interval)


@dataclass(frozen=True)
class LaunchPlan:
    """The three phases in order, what their spend rests on, and the plan's totals."""

    phases: tuple[Phase, ...]
    basis: SpendBasis
    warmup_periods: int

    @property
    def spend(self) -> float | None:
        return sum(p.spend for p in self.phases if p.spend is not None) if self.basis.known else None

    def total(self, attr: str) -> Estimate | None:
        """The sum over phases of ``contribution`` or ``adopters`` (interval ends added: a conservative band)."""
        parts = [getattr(p, attr) for p in self.phases if getattr(p, attr) is not None]
        if not parts:
            return None
        return Estimate(*(sum(getattr(e, k) for e in parts) for k in ("mean", "low", "high")))

    @property
    def forecast_adopters(self) -> float | None:
        values = [p.forecast_adopters for p in self.phases if p.forecast_adopters is not None]
        return sum(values) if values else None

    @property
    def planned(self) -> tuple[Phase, ...]:
        """Phases with periods still ahead of the data."""
        return tuple(p for p in self.phases if p.planned_periods > 0)


def phase_bounds(draws: Draws, warmup_periods: int) -> list[tuple[str, int, int]]:
    """``(name, start_index, end_index)`` of warm-up, launch and growth by the module's rule (posterior medians)."""
    launch_end = max(0, int(np.floor(np.median(time_to_share(draws.p, draws.q, INNOVATORS_SHARE)))))
    peak = int(np.floor(np.median(peak_time(draws.p, draws.q))))
    return [("warm-up", -warmup_periods, -1), ("launch", 0, launch_end), ("growth", launch_end + 1, peak)]


def _status(start: int, end: int, first_open: int | None) -> str:
    """``empty``, ``past`` (before ``first_open``, the first period not yet observed), ``current`` or ``ahead``."""
    if end < start:
        return "empty"
    if first_open is None or start >= first_open:
        return "ahead"
    return "past" if end < first_open else "current"


def build_plan(
    draws: Draws,
    history: History,
    forecast: pd.DataFrame,
    basis: SpendBasis,
    warmup_weeks: int = 8,
) -> LaunchPlan:
    """The :class:`LaunchPlan`: phases by the module's rule, and (when ``basis`` is known) their spend by its budget rule."""
    warmup_periods = math.ceil(max(warmup_weeks, 0) / history.weeks_per_period - 1e-9)
    bounds = phase_bounds(draws, warmup_periods)
    # the plan can still spend from the first unobserved period of the service's own history; anywhere otherwise
    first_open = history.n if history.source == "own" else None
    mean_by_index = forecast.set_index("period_index")["mean"]
    # share of the potential still open at mid-period (posterior median), the pool external influence works on
    top = max(end for _, _, end in bounds)
    k = np.arange(0, max(top, 0) + 1)
    open_share = 1.0 - np.median(cumulative_share(draws.p[:, None], draws.q[:, None], (k + 0.5)[None, :]), axis=0)
    weight = {int(i): float(w) for i, w in zip(k, open_share)}
    weight.update({i: WARMUP_INTENSITY * weight[0] for i in range(-warmup_periods, 0)})
    planned = {name: list(range(start if first_open is None else max(start, first_open), end + 1)) for name, start, end in bounds}
    all_planned = [i for name in PHASES for i in planned[name]]
    if basis.known and not all_planned:
        basis = SpendBasis(NOTHING_AHEAD, basis.curves, revenue_per_adopter=basis.revenue_per_adopter, mmm_interval=basis.mmm_interval)
    spend_by_index: dict[int, float] = {}
    beyond: set[str] = set()
    if basis.known:
        weeks = history.weeks_per_period
        budget = basis.budget if basis.budget is not None else basis.current_weekly_spend * weeks * len(all_planned)
        basis = replace(basis, budget=budget)
        total_weight = sum(weight[i] for i in all_planned)
        spend_by_index = {i: budget * weight[i] / total_weight for i in all_planned}
    phases = []
    for name, start, end in bounds:
        idx = planned[name]
        status = _status(start, end, first_open)
        expected = mean_by_index.reindex([i for i in idx if i >= 0])  # nobody adopts before the launch
        forecast_adopters = None if not idx or expected.isna().any() else float(expected.sum())
        phase = Phase(name, start, end, history.date(start) if end >= start else None, history.date(end) if end >= start else None,
                      status, len(idx), forecast_adopters)
        if basis.known and idx:
            phase, over = _priced(phase, idx, spend_by_index, basis, history.weeks_per_period)
            beyond |= over
        phases.append(phase)
    if beyond:
        basis = replace(basis, beyond_curve=tuple(sorted(beyond)))
    return LaunchPlan(tuple(phases), basis, warmup_periods)


def _priced(phase: Phase, idx: list[int], spend_by_index: dict[int, float], basis: SpendBasis, weeks: float) -> tuple[Phase, set[str]]:
    """``phase`` with its spend, weekly spend, contribution and adopters; and the channels spent beyond their curve."""
    contribution = np.zeros(3)
    over: set[str] = set()
    for i in idx:
        weekly = spend_by_index[i] / weeks
        for ch, share in basis.mix.items():
            curve = basis.curves[ch]
            if share * weekly > curve.spend[-1]:
                over.add(ch)
            contribution += weeks * np.array(curve.at(share * weekly))
    spend = float(sum(spend_by_index[i] for i in idx))
    c = Estimate(*(float(v) for v in contribution))
    adopters = Estimate(*(v / basis.revenue_per_adopter for v in (c.mean, c.low, c.high))) if basis.revenue_per_adopter else None
    return replace(phase, spend=spend, weekly_spend=spend / (weeks * len(idx)), contribution=c, adopters=adopters), over
