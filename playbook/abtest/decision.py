"""The decision (ship / keep testing / stop), the plan (units and days to the planned sample), Thompson shares, A/A.

:func:`decide` returns the action, the variant and the rule that made the call with the figures it used;
the sentence that explains it is :func:`playbook.abtest.narrative.decision_reason`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.abtest.checks import DataCheck, SRMResult
from playbook.abtest.posterior import DEFAULT_PRIOR, beta_posterior, expected_loss, prob_best, prob_ratio_above

# --------------------------------------------------------------------------- decision


#: Decision kinds (what made the call); :func:`playbook.abtest.narrative.decision_reason` words each.
SRM = "srm"
TOO_EARLY = "too early"
SHIP = "ship"
GUARDRAIL = "revenue guardrail"
FUTILE = "futile"
LEADING = "leading"


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


def decide(
    table: pd.DataFrame,
    control: str,
    prob_threshold: float = 0.95,
    loss_threshold: float = 0.005,
    mde: float = 0.0,
    srm: SRMResult | None = None,
    data_check: DataCheck | None = None,
    guardrail_prob_worse: Mapping[str, float] | None = None,
) -> Decision:
    """The decision on the conversion ``table`` (from :func:`~playbook.abtest.posterior.conversion_analysis`).

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
    base = {"prob_threshold": prob_threshold, "loss_threshold": loss_threshold, "mde": mde, "arms": len(t)}
    if srm is not None and srm.detected:
        return Decision("stop", control, SRM, control, {**base, "srm_p_value": srm.p_value})
    leader = max(treated, key=lambda v: t.loc[v, "prob_beats_control"])

    def figures(v: str, **extra) -> dict:
        row = t.loc[v]
        return {**base, "prob_beats_control": float(row["prob_beats_control"]), "prob_best": float(row["prob_best"]),
                "expected_loss": float(row["expected_loss"]), "expected_loss_relative": float(row["expected_loss_relative"]),
                "prob_uplift_above_mde": float(row.get("prob_uplift_above_mde", np.nan)), **extra}

    if data_check is not None and not data_check.passed:
        return Decision("keep testing", leader, TOO_EARLY, control, figures(leader, reasons=list(data_check.reasons)))
    ok = [v for v in treated if t.loc[v, "prob_beats_control"] >= prob_threshold and t.loc[v, "expected_loss_relative"] <= loss_threshold]
    if ok:
        best = min(ok, key=lambda v: t.loc[v, "expected_loss"])
        worse = (guardrail_prob_worse or {}).get(best, 0.0)
        if worse >= prob_threshold:
            return Decision("keep testing", best, GUARDRAIL, control, figures(best, revenue_prob_worse=float(worse)))
        return Decision("ship", best, SHIP, control, figures(best))
    futile = [v for v in treated if t.loc[v, "prob_beats_control"] <= 1 - prob_threshold or t.loc[v, "prob_uplift_above_mde"] <= 1 - prob_threshold]
    if len(futile) == len(treated):
        return Decision("stop", control, FUTILE, control, figures(leader, leader=leader))
    return Decision("keep testing", leader, LEADING, control, figures(leader))


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
    """Share of simulated A/A tests (no true difference) in which the decision rule ships a variant."""

    false_ship_rate: float
    false_ship_rate_se: float
    stop_rate: float
    n_sims: int
    looks: int
    units_per_arm: int
    rate: float


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
) -> AAResult:
    """False-ship rate of :func:`decide` on simulated A/A tests (every arm has the same true ``rate``).

    Each simulated test accrues ``units_per_arm`` units per arm in ``looks`` equal batches and
    applies the decision rule after every batch (``looks`` = 1: one look at the end; > 1:
    peeking), stopping at the first ship or stop. Returns the share that shipped (a false
    positive, since nothing differs) with its binomial standard error. Posterior quantities are
    exact, so the rate depends only on the seed and ``n_sims``.
    """
    rng = np.random.default_rng(seed)
    names = [f"arm{i}" for i in range(n_arms)]
    batch = np.diff(np.linspace(0, units_per_arm, looks + 1).round().astype(int))
    shipped = stopped = 0
    for _ in range(n_sims):
        convs = np.zeros(n_arms, dtype=int)
        units = np.zeros(n_arms, dtype=int)
        for b in batch:
            convs += rng.binomial(b, rate, size=n_arms)
            units += b
            table = _fast_table(names, convs, units, prior, mde)
            action = decide(table, names[0], prob_threshold, loss_threshold, mde).action
            if action == "ship":
                shipped += 1
                break
            if action == "stop":
                stopped += 1
                break
    share = shipped / n_sims
    return AAResult(share, math.sqrt(share * (1 - share) / n_sims), stopped / n_sims, n_sims, looks, units_per_arm, rate)


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


