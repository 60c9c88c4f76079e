"""The budget plans: the same weekly total redistributed, and the profit-optimal total; marginal ROAS at current spend.

Both plans start from the current weekly spend (the mean of the last ``budget_weeks`` weeks) and cover the
``budget_weeks`` after the data, carry-over included. PyMC-Marketing's ``budget_optimizer(...)`` chooses each
plan on one half of the posterior draws; its gain is evaluated on the other half, so the gain's interval is
not optimistic by construction.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.mmm.data import TREND_COLUMN, MMMInput
from playbook.mmm.stats import hdi

#: A channel's optimal spend counts as on its bound when within this share of the bound's distance to current spend.
AT_BOUND_TOL = 0.01
#: Totals tried between the bounds' smallest and largest weekly total for the profit-optimal plan.
PROFIT_GRID = 7
#: The profit plan may not raise a channel whose P(marginal ROAS at current spend × margin > 1) is below this.
NO_RAISE_BELOW = 0.5
#: Relative spend step of the marginal ROAS at current spend.
MARGINAL_STEP = 0.01


@dataclass
class BudgetPlan:
    """Current vs recommended weekly spend per channel over the next ``weeks`` weeks and the expected KPI uplift."""

    weeks: int
    start: pd.Timestamp
    total_weekly_budget: float
    table: pd.DataFrame  # channel, current, optimal, lower_bound, upper_bound, change, change_pct, at_bound
    expected_uplift_mean: float
    expected_uplift_hdi_low: float
    expected_uplift_hdi_high: float
    prob_uplift_positive: float
    response_current_mean: float
    converged: bool
    expected_profit_mean: float = float("nan")
    expected_profit_hdi_low: float = float("nan")
    expected_profit_hdi_high: float = float("nan")
    prob_profit_positive: float = float("nan")
    held_out: bool = False
    tier_held: list[str] | None = None  # channels held at current spend by the tier rule (see ``allocate_by_tiers``)

    @property
    def limited_by_bounds(self) -> list[str]:
        """Channels whose recommended spend sits on an allowed bound (the bound, not the curve, set it)."""
        t = self.table
        return t.loc[t["at_bound"].astype(bool) & (t["change"].abs() > 0), "channel"].tolist() if "at_bound" in t else []

    @property
    def all_moved_at_bounds(self) -> bool:
        """Every channel the plan moves ends on its bound."""
        t = self.table
        moved = t[t["change"].abs() > AT_BOUND_TOL * t["current"].abs().clip(lower=1e-9)]
        return bool(len(moved)) and bool(moved["at_bound"].all())

    def limited_by(self, channel: str) -> str | None:
        """What set a channel's recommended spend when not the response curve: "tier" (the tier rule held it),
        "bound" (it sits on an allowed bound), or None."""
        if channel in (self.tier_held or []):
            return "tier"
        return "bound" if channel in self.limited_by_bounds else None

    def gain_dict(self) -> dict:
        return {"expected_uplift_mean": self.expected_uplift_mean, "expected_uplift_hdi_low": self.expected_uplift_hdi_low,
                "expected_uplift_hdi_high": self.expected_uplift_hdi_high, "prob_uplift_positive": self.prob_uplift_positive}


def current_weekly_spend(inp: MMMInput, weeks: int) -> pd.Series:
    """Each channel's mean weekly spend over the last ``weeks`` weeks."""
    return inp.spend.tail(weeks).mean().reindex(inp.channels)


def spend_bounds(current: pd.Series, total: float, budget_bounds: float | dict) -> dict[str, tuple[float, float]]:
    """Per channel (low, high) weekly spend: ± ``budget_bounds`` of current spend (rescaled to ``total``), or explicit."""
    if isinstance(budget_bounds, (int, float)):
        frac = float(budget_bounds)
        scale = total / float(current.sum()) if current.sum() > 0 else 1.0
        return {ch: (max(0.0, current[ch] * scale * (1 - frac)), current[ch] * scale * (1 + frac)) for ch in current.index}
    return {ch: tuple(map(float, budget_bounds[ch])) for ch in current.index}


def at_bound(optimal: pd.Series, bounds: dict[str, tuple[float, float]], current: pd.Series, tol: float = AT_BOUND_TOL) -> pd.Series:
    """Per channel: the optimal spend sits on its lower or upper bound (within ``tol`` of the bounds' half-range)."""
    out = {}
    for ch, v in optimal.items():
        lo, hi = bounds[ch]
        slack = tol * max(hi - lo, abs(float(current.get(ch, 0.0))), 1e-9)
        out[ch] = bool(v <= lo + slack or v >= hi - slack)
    return pd.Series(out)


def planned_controls(inp: MMMInput, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame | None:
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


class Planner:
    """A PyMC-Marketing budget optimizer over the ``budget_weeks`` after the data, on two halves of the draws.

    ``choose`` (even draws of the thinned posterior) picks plans; ``evaluate`` (odd draws) scores them.
    """

    def __init__(self, mmm, inp: MMMInput, budget_weeks: int = 13, max_draws: int = 400):
        import xarray as xr

        self._xr = xr
        self.inp = inp
        self.weeks = budget_weeks
        last = pd.Timestamp(inp.frame["date"].max())
        self.start = last + pd.Timedelta(weeks=1)
        end = last + pd.Timedelta(weeks=budget_weeks)
        controls = planned_controls(inp, self.start, end + pd.Timedelta(weeks=int(getattr(mmm.adstock, "l_max", 0))))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.optimizer = mmm.budget_optimizer(self.start, end, control_data=controls)
        post = mmm.idata.posterior.to_dataset() if hasattr(mmm.idata.posterior, "to_dataset") else mmm.idata.posterior
        n = post.sizes["chain"] * post.sizes["draw"]
        step = max(1, int(np.ceil(n / max_draws)))
        thin = post.isel(draw=slice(None, None, step))
        if thin.sizes["draw"] >= 2:
            self.choose_draws, self.eval_draws = thin.isel(draw=slice(0, None, 2)), thin.isel(draw=slice(1, None, 2))
            self.held_out = True
        else:
            self.choose_draws = self.eval_draws = thin
            self.held_out = False
        self._on = None

    def _use(self, which: str) -> None:
        if self._on != which:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.optimizer.set_posterior(self.choose_draws if which == "choose" else self.eval_draws)
            self._on = which

    def plan_array(self, spend: pd.Series):
        return self._xr.DataArray(spend.reindex(self.inp.channels).to_numpy(dtype=float), dims=["channel"], coords={"channel": list(self.inp.channels)})

    def response(self, spend: pd.Series, on: str = "evaluate") -> np.ndarray:
        """Posterior draws of total media response over the window (carry-over included) of a weekly plan."""
        self._use(on)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self.optimizer.evaluate_response_distribution(self.plan_array(spend))).ravel()

    def allocate(self, total: float, bounds: dict[str, tuple[float, float]], x0: pd.Series | None = None):
        """The weekly allocation of ``total`` within ``bounds`` maximising mean response on the choosing draws."""
        self._use("choose")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = self.optimizer.allocate_budget(total_budget=float(total), budget_bounds=bounds, return_if_fail=True,
                                                 x0=self.plan_array(x0) if x0 is not None else None)
        return res.budgets.to_series().reindex(self.inp.channels).astype(float), bool(res.scipy_result.success)

    def marginal_roas(self, current: pd.Series, step: float = MARGINAL_STEP) -> pd.DataFrame:
        """Draws × channels of marginal ROAS at current spend: extra response over the window from ``step`` more
        weekly spend on one channel, carry-over included, per extra unit spent (all draws of the thinned posterior)."""
        base = np.concatenate([self.response(current, "choose"), self.response(current, "evaluate")])
        history = self.inp.spend.mean()
        out = {}
        for ch in self.inp.channels:
            level = float(current[ch]) if current[ch] > 0 else float(history[ch])  # a channel paused lately: step from its usual level
            if not level > 0:
                out[ch] = np.full(len(base), np.nan)
                continue
            bumped = current.copy()
            delta = step * level
            bumped[ch] = current[ch] + delta
            resp = np.concatenate([self.response(bumped, "choose"), self.response(bumped, "evaluate")])
            out[ch] = (resp - base) / (delta * self.weeks)
        return pd.DataFrame(out)


def _opposite_tiers(optimal: pd.Series, current: pd.Series, tiers: dict, held: set) -> list[str]:
    """Channels of every tier in which the plan raises one member and cuts another (moves beyond ``AT_BOUND_TOL``)."""
    out = []
    groups: dict = {}
    for ch, t in tiers.items():
        if ch in optimal.index and ch not in held and t is not None and np.isfinite(t):
            groups.setdefault(int(t), []).append(ch)
    for members in groups.values():
        change = [(float(optimal[c]) - float(current[c])) / max(abs(float(current[c])), 1e-9) for c in members]
        if len(members) > 1 and max(change) > AT_BOUND_TOL and min(change) < -AT_BOUND_TOL:
            out += members
    return out


def _pinned(bounds: dict, current: pd.Series, channels) -> dict:
    """``bounds`` with each of ``channels`` held at its current spend."""
    return {**bounds, **{ch: (float(current[ch]), float(current[ch])) for ch in channels}}


def allocate_by_tiers(planner: Planner, total: float, bounds: dict, current: pd.Series, tiers: dict | None) -> tuple[pd.Series, bool, list[str], float]:
    """``planner.allocate`` under the tier rule: the evidence does not tell apart channels that share a ROAS tier,
    so the plan does not move budget between them. When the allocation raises one member of a tier and cuts
    another, the whole tier is held at current spend and the rest re-allocated (repeated until no tier is split;
    the total is clipped to what the remaining bounds allow). Returns (optimal, converged, held channels, total)."""
    optimal, ok = planner.allocate(total, bounds)
    held: list[str] = []
    while tiers:
        split = _opposite_tiers(optimal, current, tiers, set(held))
        if not split:
            break
        bounds = _pinned(bounds, current, split)
        held += split
        lo_sum, hi_sum = sum(b[0] for b in bounds.values()), sum(b[1] for b in bounds.values())
        total = float(min(max(total, lo_sum), hi_sum))
        optimal, ok = planner.allocate(total, bounds)
    return optimal, ok, held, total


def _plan(planner: Planner, current: pd.Series, optimal: pd.Series, bounds, total: float, margin: float, converged: bool, interval: float,
          tier_held: list[str] | None = None) -> BudgetPlan:
    resp_current = planner.response(current)
    resp_optimal = planner.response(optimal)
    gain = resp_optimal - resp_current
    lo, hi = hdi(gain, interval)
    profit = margin * gain - (float(optimal.sum()) - float(current.sum())) * planner.weeks
    plo, phi = hdi(profit, interval)
    table = pd.DataFrame(
        {
            "channel": planner.inp.channels,
            "current": current.to_numpy(dtype=float),
            "optimal": optimal.to_numpy(dtype=float),
            "lower_bound": [bounds[c][0] for c in planner.inp.channels],
            "upper_bound": [bounds[c][1] for c in planner.inp.channels],
        }
    )
    table["change"] = table["optimal"] - table["current"]
    table["change_pct"] = np.where(table["current"] > 0, table["change"] / table["current"].where(table["current"] > 0), np.nan)
    table["at_bound"] = at_bound(optimal, bounds, current).reindex(planner.inp.channels).to_numpy()
    return BudgetPlan(planner.weeks, planner.start, float(total), table, float(gain.mean()), lo, hi, float((gain > 0).mean()),
                      float(resp_current.mean()), converged, float(profit.mean()), plo, phi, float((profit > 0).mean()), planner.held_out,
                      list(tier_held or []))


def optimize_budget(
    mmm,
    inp: MMMInput,
    budget_weeks: int = 13,
    total_budget: float | None = None,
    budget_bounds: float | dict[str, tuple[float, float]] = 0.3,
    max_draws: int = 400,
    interval: float = 0.9,
    margin: float = 1.0,
    planner: Planner | None = None,
    fixed: list[str] | None = None,
    tiers: dict[str, float] | None = None,
) -> BudgetPlan:
    """The same-total plan: the weekly spend per channel for the ``budget_weeks`` after the data, and its uplift.

    Current plan = each channel's mean weekly spend over the last ``budget_weeks`` weeks. ``total_budget``
    is the weekly total to allocate (default: the current total). ``budget_bounds`` is a fraction (±30 % of
    each channel's current spend) or explicit ``{channel: (low, high)}`` weekly amounts. Channels in
    ``fixed`` stay at current spend. With ``tiers`` ({channel: ROAS tier}) the tier rule of ``allocate_by_tiers``
    applies: no budget moves between channels of one tier. The plan maximises mean media response on half the draws; the uplift
    (and profit = margin × uplift − extra spend) is its per-draw difference from the current plan on the other half.
    """
    planner = planner or Planner(mmm, inp, budget_weeks, max_draws)
    current = current_weekly_spend(inp, budget_weeks)
    total = float(total_budget) if total_budget is not None else float(current.sum())
    bounds = spend_bounds(current, total, budget_bounds)
    for ch in fixed or []:
        bounds[ch] = (float(current[ch]), float(current[ch]))
    lo_sum = sum(b[0] for b in bounds.values())
    hi_sum = sum(b[1] for b in bounds.values())
    if not lo_sum - 1e-6 <= total <= hi_sum + 1e-6:
        raise ValueError(f"total_budget {total:,.0f} per week is outside what the bounds allow ({lo_sum:,.0f} to {hi_sum:,.0f})")
    optimal, ok, held, _ = allocate_by_tiers(planner, total, bounds, current, tiers)
    return _plan(planner, current, optimal, _pinned(bounds, current, held), total, margin, ok, interval, held)


def optimize_profit(
    mmm,
    inp: MMMInput,
    budget_weeks: int = 13,
    budget_bounds: float | dict[str, tuple[float, float]] = 0.3,
    margin: float = 1.0,
    max_draws: int = 400,
    interval: float = 0.9,
    planner: Planner | None = None,
    grid: int = PROFIT_GRID,
    fixed: list[str] | None = None,
    no_raise: list[str] | None = None,
    tiers: dict[str, float] | None = None,
) -> BudgetPlan:
    """The profit-optimal plan: the weekly total (and its split) maximising margin × extra KPI − extra spend.

    An outer search over weekly totals between the bounds' smallest and largest sum (``grid`` points, the
    current total among them) around the inner same-total allocation, each scored on the choosing draws;
    the chosen plan's profit is then evaluated on the held-out draws. It may cut the total. Channels in
    ``fixed`` stay at current spend; channels in ``no_raise`` (the next unit more likely loses money than
    not) may fall but not rise. With ``tiers`` each inner allocation follows the tier rule (``allocate_by_tiers``).
    """
    planner = planner or Planner(mmm, inp, budget_weeks, max_draws)
    current = current_weekly_spend(inp, budget_weeks)
    bounds = spend_bounds(current, float(current.sum()), budget_bounds)
    for ch in no_raise or []:
        bounds[ch] = (bounds[ch][0], min(bounds[ch][1], float(current[ch])))
    for ch in fixed or []:
        bounds[ch] = (float(current[ch]), float(current[ch]))
    lo_sum = sum(b[0] for b in bounds.values())
    hi_sum = sum(b[1] for b in bounds.values())
    totals = sorted(set(np.linspace(lo_sum, hi_sum, grid).round(6).tolist()) | {round(float(current.sum()), 6)})
    base = planner.response(current, "choose").mean()
    best = None
    for total in totals:
        optimal, ok, held, total = allocate_by_tiers(planner, total, bounds, current, tiers)
        score = margin * (planner.response(optimal, "choose").mean() - base) - (total - float(current.sum())) * planner.weeks
        if best is None or score > best[0]:
            best = (score, total, optimal, ok, held)
    _, total, optimal, ok, held = best
    return _plan(planner, current, optimal, _pinned(bounds, current, held), total, margin, ok, interval, held)
