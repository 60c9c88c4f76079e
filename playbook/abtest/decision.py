"""The decision (ship / keep testing / stop), the plan (units and days to the planned sample), Thompson shares, A/A.

:func:`decide` returns the action, the variant and the rule that made the call with the figures it used;
the sentence that explains it is :func:`playbook.abtest.narrative.decision_reason`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.abtest import sequential as seq
from playbook.abtest.checks import DataCheck, SRMResult
from playbook.abtest.posterior import (
    DEFAULT_PRIOR,
    beta_posterior,
    decision_quantities,
    expected_loss,
    prob_best,
    prob_ratio_above,
)

# --------------------------------------------------------------------------- decision


#: Decision kinds (what made the call); :func:`playbook.abtest.narrative.decision_reason` words each.
SRM = "srm"
TOO_EARLY = "too early"
SHIP = "ship"
GUARDRAIL = "revenue guardrail"
FUTILE = "futile"
LEADING = "leading"
SEQ_SHIP = "sequential ship"
SEQ_KEEP = "sequential keep testing"
SEQ_HARM = "sequential harm"
SEQ_GUARDRAIL = "sequential revenue guardrail"
BROKEN = "broken arm"

#: ``Decision.rule``: which rule made the call.
RULE_SEQUENTIAL = "sequential"
RULE_FIXED = "fixed horizon"


@dataclass
class Decision:
    """ship / keep testing / stop, for which variant, which rule made the call (``kind``) and the figures it used.

    ``figures`` holds the numbers the reason sentence states (probabilities, losses, thresholds);
    the sentence itself is :func:`playbook.abtest.narrative.decision_reason`.
    """

    action: str
    variant: str
    kind: str
    control: str
    figures: dict = field(default_factory=dict)
    rule: str = RULE_FIXED
    days_left: float | None = None


def decide(
    table: pd.DataFrame,
    control: str,
    prob_threshold: float = 0.95,
    loss_threshold: float = 0.005,
    mde: float = 0.0,
    srm: SRMResult | None = None,
    data_check: DataCheck | None = None,
    guardrail_prob_worse: Mapping[str, float] | None = None,
    plan: Plan | None = None,
    sequential: seq.SequentialResult | None = None,
    broken: Sequence[str] = (),
) -> Decision:
    """The decision on the conversion ``table`` (from :func:`~playbook.abtest.posterior.conversion_analysis`).

    Before the planned sample (``plan``) is reached, the **sequential** rule decides: ship only a
    variant whose always-valid interval (``sequential``) lies above zero, and whose revenue interval
    does not lie below zero; stop when every variant's interval lies below zero; otherwise keep
    testing, with the days left to the planned sample. Valid however often the report is read.
    Once the planned sample is reached (or without a plan), the **fixed-horizon** Bayesian rule:

    A variant in ``broken`` (no conversions, or no revenue recorded) is never shipped: the call is keep testing.
    In order: a detected SRM → **stop** (results untrustworthy); too little data → **keep
    testing**; a variant with P(beats control) ≥ ``prob_threshold`` and relative expected loss
    ≤ ``loss_threshold`` (the "threshold of caring", a share of the control's rate) → **ship** the
    one with the smallest expected loss, unless ``guardrail_prob_worse`` (e.g. P(revenue per
    unit below control)) ≥ ``prob_threshold`` for it → keep testing; every variant either very
    likely worse than control or very unlikely to reach ``mde`` (P(uplift > mde) ≤
    1 − ``prob_threshold``) → **stop** and keep the control; otherwise **keep testing**.
    """
    t = table.set_index("variant")
    treated = [v for v in t.index if v != control]
    before_plan = plan is not None and sequential is not None and plan.units_per_arm_now < plan.units_per_arm_needed
    rule = RULE_SEQUENTIAL if before_plan else RULE_FIXED
    days_left = plan.days_to_decision if before_plan else None
    base = {"prob_threshold": prob_threshold, "loss_threshold": loss_threshold, "mde": mde, "arms": len(t)}
    if plan is not None:
        base.update(units_per_arm_needed=plan.units_per_arm_needed, units_per_arm_now=plan.units_per_arm_now, days_left=days_left)
    if sequential is not None:
        base.update(sequential_alpha=sequential.alpha, sequential_tuning=sequential.tuning)

    def made(action: str, variant: str, kind: str, figs: dict) -> Decision:
        keep = action == "keep testing"
        return Decision(action, variant, kind, control, figs, rule, days_left if keep else None)

    if srm is not None and srm.detected:
        return made("stop", control, SRM, {**base, "srm_p_value": srm.p_value})
    leader = max(treated, key=lambda v: np.nan_to_num(t.loc[v, "prob_beats_control"], nan=-1.0))

    def figures(v: str, **extra) -> dict:
        row = t.loc[v]
        return {**base, "prob_beats_control": float(row["prob_beats_control"]), "prob_best": float(row["prob_best"]),
                "expected_loss": float(row["expected_loss"]), "expected_loss_relative": float(row["expected_loss_relative"]),
                "prob_uplift_above_mde": float(row.get("prob_uplift_above_mde", np.nan)), **extra}

    if data_check is not None and not data_check.passed:
        return made("keep testing", leader, TOO_EARLY, figures(leader, reasons=list(data_check.reasons)))
    if before_plan:
        return _sequential_call(t, treated, sequential, figures, made, broken)
    ok = [v for v in treated if t.loc[v, "prob_beats_control"] >= prob_threshold and t.loc[v, "expected_loss_relative"] <= loss_threshold]
    if ok and all(v in broken for v in ok):
        best = min(ok, key=lambda v: t.loc[v, "expected_loss"])
        return made("keep testing", best, BROKEN, figures(best))
    ok = [v for v in ok if v not in broken]
    if ok:
        best = min(ok, key=lambda v: t.loc[v, "expected_loss"])
        worse = (guardrail_prob_worse or {}).get(best, 0.0)
        if worse >= prob_threshold:
            return made("keep testing", best, GUARDRAIL, figures(best, revenue_prob_worse=float(worse)))
        return made("ship", best, SHIP, figures(best))
    futile = [v for v in treated if t.loc[v, "prob_beats_control"] <= 1 - prob_threshold or t.loc[v, "prob_uplift_above_mde"] <= 1 - prob_threshold]
    if len(futile) == len(treated):
        return made("stop", control, FUTILE, figures(leader, leader=leader))
    return made("keep testing", leader, LEADING, figures(leader))


def _seq_figures(s: seq.SequentialInterval, prefix: str = "sequential") -> dict:
    return {f"{prefix}_uplift": s.uplift, f"{prefix}_low": s.uplift_low, f"{prefix}_high": s.uplift_high,
            f"{prefix}_abs": s.abs_diff, f"{prefix}_abs_low": s.abs_low, f"{prefix}_abs_high": s.abs_high}


def _sequential_call(t: pd.DataFrame, treated: list[str], sequential: seq.SequentialResult, figures, made, broken=()) -> Decision:
    """The sequential rule (before the planned sample): ship above zero, stop when all below, else keep testing."""
    conv = sequential.variants
    winners = [v for v in treated if conv[v].direction > 0]
    if winners and all(v in broken for v in winners):
        best = max(winners, key=lambda v: conv[v].abs_low)
        return made("keep testing", best, BROKEN, figures(best, **_seq_figures(conv[best])))
    winners = [v for v in winners if v not in broken]
    if winners:
        best = max(winners, key=lambda v: conv[v].abs_low)
        rev = (sequential.revenue or {}).get(best)
        if rev is not None and rev.direction < 0:
            return made("keep testing", best, SEQ_GUARDRAIL, figures(best, **_seq_figures(conv[best]), **_seq_figures(rev, "revenue")))
        return made("ship", best, SEQ_SHIP, figures(best, **_seq_figures(conv[best])))
    if all(conv[v].direction < 0 for v in treated):
        worst = max(treated, key=lambda v: conv[v].abs_high)
        return made("stop", sequential_control(t, treated), SEQ_HARM, figures(worst, leader=worst, **_seq_figures(conv[worst])))
    leader = max(treated, key=lambda v: conv[v].abs_diff)
    return made("keep testing", leader, SEQ_KEEP, figures(leader, **_seq_figures(conv[leader])))


def sequential_control(t: pd.DataFrame, treated: list[str]) -> str:
    """The control's name: the one arm of ``t`` that is not treated."""
    return next(v for v in t.index if v not in treated)


# --------------------------------------------------------------------------- planning


def sample_size_per_arm(control_rate: float, mde: float, prob_threshold: float = 0.95, power: float = 0.8) -> int:
    """Units per arm needed so a true relative uplift ``mde`` reaches ``prob_threshold`` with ``power`` probability.

    With a flat prior, P(B > A) is close to 1 − the one-sided p-value, so this is the classic
    one-sided test at α = 1 − ``prob_threshold``; solved with statsmodels' ``NormalIndPower`` on
    Cohen's h (arcsine effect size).
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if mde <= 0:
        raise ValueError(f"mde must be > 0 to size a test, got {mde}")
    target = min(control_rate * (1 + mde), 1 - 1e-9)
    h = proportion_effectsize(target, control_rate)
    n = NormalIndPower().solve_power(effect_size=h, alpha=1 - prob_threshold, power=power, ratio=1.0, alternative="larger")
    return int(math.ceil(n))


@dataclass
class Plan:
    """How much longer to run: units per arm needed for ``mde``, units so far, days left at observed traffic."""

    mde: float
    units_per_arm_needed: int
    units_per_arm_now: int
    units_per_arm_per_day: float | None
    days_to_decision: float | None


def plan(counts: pd.DataFrame, control: str, mde: float, prob_threshold: float = 0.95, power: float = 0.8, days: float | None = None) -> Plan:
    """Units per arm needed for ``mde`` at the control's observed rate, and days left at observed traffic."""
    c = counts.set_index("variant")
    rate = float(c.loc[control, "conversions"] / c.loc[control, "units"])
    needed = sample_size_per_arm(max(rate, 1e-6), mde, prob_threshold, power)
    now = int(c["units"].min())
    per_day = float(c["units"].mean() / days) if days else None
    days_left = max(0.0, (needed - now) / per_day) if per_day else None
    return Plan(mde, needed, now, per_day, days_left)


def thompson_allocation(prob_best_by_variant: Mapping[str, float], min_share: float = 0.0) -> dict[str, float]:
    """Traffic share per variant for the next period under Thompson sampling (= P(best)), with an optional floor.

    Thompson sampling sends each unit to the arm that wins one posterior draw, so each arm's
    expected share is exactly its probability to be best. ``min_share`` keeps every arm
    learning (shares are floored, then renormalised).
    """
    names = list(prob_best_by_variant)
    p = np.array([max(0.0, float(prob_best_by_variant[v])) for v in names])
    p = p / p.sum()
    if min_share > 0:
        if min_share * len(names) > 1:
            raise ValueError(f"min_share {min_share} × {len(names)} arms exceeds 100%")
        p = min_share + (1 - min_share * len(names)) * p
    return {v: float(x) for v, x in zip(names, p)}


# --------------------------------------------------------------------------- A/A simulation


@dataclass
class AAResult:
    """Share of simulated A/A tests (no true difference) in which a decision rule ships a variant."""

    false_ship_rate: float
    false_ship_rate_se: float
    stop_rate: float
    n_sims: int
    looks: int
    units_per_arm: int
    rate: float
    rule: str = RULE_FIXED
    nominal: float | None = None


def aa_false_ship_rate(
    rate: float,
    units_per_arm: int,
    n_sims: int = 200,
    looks: int = 1,
    n_arms: int = 2,
    prob_threshold: float = 0.95,
    loss_threshold: float = 0.005,
    mde: float = 0.0,
    prior: tuple[float, float] = DEFAULT_PRIOR,
    seed: int = 0,
    rule: str = RULE_FIXED,
    alpha: float = seq.DEFAULT_ALPHA,
    tuning: float = seq.DEFAULT_TUNING,
) -> AAResult:
    """False-ship rate of a decision rule on simulated A/A tests (every arm has the same true ``rate``).

    Each simulated test accrues ``units_per_arm`` units per arm in ``looks`` equal batches and
    applies the rule after every batch (``looks`` = 1: one look at the end; > 1: peeking, e.g. one
    look a day), stopping at the first ship or stop. ``rule`` is :data:`RULE_FIXED` (the Bayesian
    rule of :func:`decide`) or :data:`RULE_SEQUENTIAL` (ship when a variant's always-valid interval
    lies above zero; stop when every one lies below). Returns the share that shipped (a false
    positive, since nothing differs) with its binomial standard error; ``nominal`` is the rule's
    stated error rate (1 − ``prob_threshold`` per comparison; ``alpha`` for the sequential rule).
    Posterior quantities are exact, so the rate depends only on the seed and ``n_sims``.
    """
    if rule not in (RULE_FIXED, RULE_SEQUENTIAL):
        raise ValueError(f"rule must be {RULE_FIXED!r} or {RULE_SEQUENTIAL!r}, got {rule!r}")
    rng = np.random.default_rng(seed)
    batch = np.diff(np.linspace(0, units_per_arm, looks + 1).round().astype(int))
    # every simulated test at once: look by look, the tests still running read their rule together (same rule, same exact figures)
    convs = np.zeros((n_sims, n_arms), dtype=np.int64)
    units = np.zeros((n_sims, n_arms), dtype=np.int64)
    running = np.ones(n_sims, dtype=bool)
    shipped = stopped = 0
    for b in batch:
        convs += rng.binomial(b, rate, size=(n_sims, n_arms))
        units += b
        if not b or not running.any():
            continue
        act = aa_actions(convs[running], units[running], rule, prob_threshold, loss_threshold, mde, prior, alpha, tuning)
        shipped += int((act > 0).sum())
        stopped += int((act < 0).sum())
        running[np.flatnonzero(running)[act != 0]] = False
    share = shipped / n_sims
    nominal = alpha if rule == RULE_SEQUENTIAL else round(1 - prob_threshold, 12)
    return AAResult(share, math.sqrt(share * (1 - share) / n_sims), stopped / n_sims, n_sims, looks, units_per_arm, rate, rule, nominal)


def aa_actions(
    convs: np.ndarray,
    units: np.ndarray,
    rule: str = RULE_FIXED,
    prob_threshold: float = 0.95,
    loss_threshold: float = 0.005,
    mde: float = 0.0,
    prior: tuple[float, float] = DEFAULT_PRIOR,
    alpha: float = seq.DEFAULT_ALPHA,
    tuning: float = seq.DEFAULT_TUNING,
) -> np.ndarray:
    """The call of ``rule`` on each of many tests (``convs``, ``units``: tests × arms, control first): +1 ship, −1 stop, 0 keep testing.

    :data:`RULE_FIXED` is :func:`decide` without SRM, data check, plan, guardrail or broken arms (ship when a
    variant has P(beats control) ≥ ``prob_threshold`` and relative expected loss ≤ ``loss_threshold``; stop when
    every variant is futile), on the exact figures of :func:`~playbook.abtest.posterior.decision_quantities`;
    :data:`RULE_SEQUENTIAL` ships when a variant's always-valid interval lies above zero and stops when every one
    lies below. The same calls as :func:`decide` on :func:`_fast_table`, one test at a time (tested).
    """
    convs, units = np.asarray(convs), np.asarray(units)
    if rule == RULE_SEQUENTIAL:
        direction = seq.ship_direction(units[:, :1], convs[:, :1], units[:, 1:], convs[:, 1:], alpha, tuning)
        return np.where((direction > 0).any(axis=1), 1, np.where((direction < 0).all(axis=1), -1, 0))
    q = decision_quantities(convs, units, prior, mde)
    beats, loss_rel = q["prob_beats_control"], q["expected_loss_relative"][:, 1:]
    ship = ((beats >= prob_threshold) & (loss_rel <= loss_threshold)).any(axis=1)
    futile = ((beats <= 1 - prob_threshold) | (q["prob_uplift_above_mde"] <= 1 - prob_threshold)).all(axis=1)
    return np.where(ship, 1, np.where(futile, -1, 0))


def _fast_table(names: list[str], convs: np.ndarray, units: np.ndarray, prior: tuple[float, float], mde: float) -> pd.DataFrame:
    """The columns :func:`decide` needs, exact, without the draw-based uplift intervals."""
    alphas, betas = beta_posterior(convs, units, prior)
    means = alphas / (alphas + betas)
    loss = expected_loss(alphas, betas)
    pbest = prob_best(alphas, betas)
    rows = []
    for i, v in enumerate(names):
        rows.append(
            {
                "variant": v,
                "prob_best": pbest[i],
                "expected_loss": loss[i],
                "expected_loss_relative": loss[i] / means[0],
            }
        )
        if i:
            beats = prob_ratio_above(alphas[i], betas[i], alphas[0], betas[0], 0.0)
            rows[-1]["prob_beats_control"] = beats
            rows[-1]["prob_uplift_above_mde"] = beats if mde == 0 else prob_ratio_above(alphas[i], betas[i], alphas[0], betas[0], mde)
    return pd.DataFrame(rows)


