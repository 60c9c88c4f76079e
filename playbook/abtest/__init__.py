"""Bayesian A/B/n testing: health checks, exact conversion posteriors, revenue, segments, decision and plan.

``analyze(experiment or summary, ...)`` runs the whole analysis and returns an :class:`ABTestResult`;
its :meth:`~ABTestResult.results` is the public ``ab_test.json`` payload (documented in the README's
key table). The computation lives in the room's modules, split where it naturally splits:

* :mod:`.checks` — arm counts, sample-ratio mismatch, minimum data, segment columns;
* :mod:`.posterior` — exact Beta-Binomial posteriors (and summaries of draws of any per-unit metric);
* :mod:`.revenue` — the pooled cap, normal-approximation posteriors of the mean, CUPED;
* :mod:`.models` — the PyMC revenue (hurdle log-normal) and segment (hierarchical) models;
* :mod:`.decision` — the decision rule, the plan, Thompson shares and the A/A simulation;
* :mod:`.frequentist` and :mod:`.handoff` — the appendix cross-check and the ``lift_tests.csv`` row;
* :mod:`.narrative` and :mod:`.plots` — every sentence and every figure of the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from playbook import mcmc
from playbook.abtest import (
    checks,
    decision,
    factorial,
    frequentist,
    handoff,
    models,
    narrative,
    plots,
    posterior,
    revenue,
    sequential,
)
from playbook.abtest.checks import BrokenArms, DataCheck, SRMResult
from playbook.abtest.decision import AAResult, Decision, Plan
from playbook.abtest.models import RevenueModelResult, SegmentResult
from playbook.abtest.posterior import DEFAULT_DRAWS, DEFAULT_PRIOR, ConversionResult
from playbook.abtest.revenue import CupedResult
from playbook.abtest.sequential import SequentialResult
from playbook.results import DataWarning

__all__ = [
    "ABTestResult", "analyze", "DEFAULT_SETTINGS", "DEFAULT_DRAWS",
    "checks", "decision", "factorial", "frequentist", "handoff", "models", "narrative", "plots", "posterior", "revenue", "sequential",
]

#: Sampling of the revenue and segment models: PyMC's own NUTS compiles in seconds on a busy machine.
DEFAULT_SETTINGS = mcmc.Settings(draws=1000, tune=1000, chains=2, sampler="pymc", seed=0)

CONVERSION_METHOD = (
    "exact Beta-Binomial posteriors; prob_best, expected_loss, prob_beats_control and prob_uplift_above_mde by 1-D "
    "numerical integration; rate HDIs from the Beta quantiles; uplift HDIs from the exact CDF of the uplift "
    "(a 1-D integral tabulated on a fine grid); seeded draws (n_draws) only for charts and the lift-test hand-off"
)


def variants_json(table: pd.DataFrame, value_name: str) -> dict[str, dict]:
    """``{variant: {...}}`` for the results JSON from a posterior table (NaN → null)."""
    keep = [
        f"{value_name}_mean",
        f"{value_name}_hdi_low",
        f"{value_name}_hdi_high",
        "prob_best",
        "expected_loss",
        "expected_loss_relative",
        "prob_beats_control",
        "uplift_mean",
        "uplift_hdi_low",
        "uplift_hdi_high",
        "uplift_abs_mean",
        "uplift_abs_hdi_low",
        "uplift_abs_hdi_high",
        "prob_uplift_above_mde",
    ]
    out = {}
    for row in table.to_dict(orient="records"):
        entry = {k: row[k] for k in keep if k in row}
        for k in ("units", "conversions"):
            if k in row:
                entry[k] = int(row[k])
        out[str(row["variant"])] = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in entry.items()}
    return out


def _diag_json(d: mcmc.Diagnostics | None) -> dict | None:
    return None if d is None else d.as_dict()


@dataclass
class ABTestResult:
    """Everything the A/B report shows; :meth:`results` gives the results-JSON payload."""

    control: str
    source: str
    counts: pd.DataFrame
    days: float | None
    srm: SRMResult
    data_check: DataCheck
    conversion: ConversionResult
    decision: Decision
    plan: Plan | None
    allocation: dict[str, float]
    over_time: pd.DataFrame | None
    revenue: dict | None
    revenue_model: RevenueModelResult | None
    cuped: CupedResult | None
    segments: SegmentResult | None
    frequentist: pd.DataFrame
    aa: list[AAResult]
    first_date: str | None = None
    last_date: str | None = None
    interval: float = 0.9
    prob_threshold: float = 0.95
    loss_threshold: float = 0.005
    mde: float = 0.05
    revenue_cap_quantile: float = 0.99
    expected_split: dict = field(default_factory=dict)
    settings: mcmc.Settings | None = None
    warnings: list[DataWarning] = field(default_factory=list)
    sequential: SequentialResult | None = None
    broken: BrokenArms = field(default_factory=BrokenArms)
    refused_segments: dict[str, float] = field(default_factory=dict)
    factorial: factorial.FactorialResult | None = None

    @property
    def credible_segments(self) -> pd.DataFrame:
        """The segment rows whose shrunken uplift interval excludes zero (empty without segments)."""
        if self.segments is None:
            return pd.DataFrame()
        t = self.segments.table
        return t[(t["uplift_hdi_low"] > 0) | (t["uplift_hdi_high"] < 0)]

    @property
    def variants(self) -> list[str]:
        return list(self.conversion.table["variant"])

    @property
    def treated(self) -> list[str]:
        return [v for v in self.variants if v != self.control]

    @property
    def prior(self) -> tuple[float, float]:
        return self.conversion.prior

    @property
    def data_period(self) -> tuple[str, str] | None:
        return (self.first_date, self.last_date) if self.first_date else None

    def results(self, lift_test: pd.DataFrame | None = None) -> dict:
        """The ``ab_test.json`` payload. Public keys (never renamed):

        ``conversion.variants.<v>.rate_mean/rate_hdi_low/rate_hdi_high/prob_best/expected_loss/
        uplift_mean/uplift_hdi_low/uplift_hdi_high`` (uplift relative to control; expected_loss in
        absolute rate units, expected_loss_relative ÷ control's rate); ``revenue.variants.<v>.*``
        likewise with ``revenue_per_unit_mean/_hdi_low/_hdi_high``; ``srm.p_value``, ``srm.detected``;
        ``decision.action``, ``decision.variant``, ``decision.reason``. Every ``*_hdi_*`` has the
        mass ``meta.interval`` (set by ``save_results``).
        """
        conv, srm, dc, dec = self.conversion, self.srm, self.data_check, self.decision
        out: dict = {
            "control": self.control,
            "source": self.source,
            "variants": self.variants,
            "units_total": int(conv.table["units"].sum()),
            "conversion": {
                "prior": {"alpha": conv.prior[0], "beta": conv.prior[1]},
                "hdi_prob": conv.interval,
                "mde": conv.mde,
                "method": CONVERSION_METHOD,
                "n_draws": conv.n_draws,
                "variants": variants_json(conv.table, "rate"),
            },
            "srm": {"p_value": srm.p_value, "detected": srm.detected, "statistic": srm.statistic, "alpha": srm.alpha,
                    "observed": srm.observed, "expected": srm.expected},
            "health": {"broken_variants": self.broken.variants, "no_revenue": self.broken.no_revenue,
                       "no_conversions": self.broken.no_conversions, "srm_detected": srm.detected, "data_check_passed": dc.passed},
            "data_check": {"passed": dc.passed, "min_conversions": dc.min_conversions_found, "days": dc.days_found, "reasons": dc.reasons},
            "decision": {"action": dec.action, "variant": dec.variant, "reason": narrative.decision_reason(dec),
                         "rule": dec.rule, "days_left": dec.days_left, "kind": dec.kind},
        }
        if self.sequential is not None:
            out["sequential"] = self.sequential.as_dict()
        rev = self.revenue
        if rev is not None:
            r = {"method": rev["method"], "cap": rev.get("cap"), "variants": variants_json(rev["variants"], "revenue_per_unit")}
            for key in ("capped", "raw", "cuped"):
                if rev.get(key) is not None:
                    r[key] = {"variants": variants_json(rev[key], "revenue_per_unit")}
            if "cuped" in r:
                r["cuped"]["variance_reduction"] = rev.get("cuped_variance_reduction")
                r["cuped"]["theta"] = rev.get("cuped_theta")
            if rev.get("top_share") is not None:
                r["top1_share"] = dict(rev["top_share"])
            if self.cuped is not None:
                r["cuped"].update(narrative.cuped_shift(self))
            if self.revenue_model is not None:
                r["diagnostics"] = _diag_json(self.revenue_model.diagnostics)
            out["revenue"] = r
        if self.plan is not None:
            p = self.plan
            out["planning"] = {"mde": p.mde, "units_per_arm_needed": p.units_per_arm_needed, "units_per_arm_now": p.units_per_arm_now,
                               "units_per_arm_per_day": p.units_per_arm_per_day, "days_to_decision": p.days_to_decision}
        out.setdefault("planning", {})["thompson_allocation"] = dict(self.allocation)
        if self.segments is not None:
            cred = self.credible_segments
            out["segments"] = {
                "exploratory": True,
                "rows": self.segments.table.to_dict(orient="records"),
                "diagnostics": _diag_json(self.segments.diagnostics),
                "looked_at": int(len(self.segments.table)),
                "credible": cred[["segment", "level", "variant", "uplift_mean", "uplift_hdi_low", "uplift_hdi_high"]].to_dict(orient="records"),
            }
        if self.factorial is not None:
            out["factorial"] = self.factorial.as_dict()
        if self.refused_segments:
            out.setdefault("segments", {"exploratory": True})["refused"] = dict(self.refused_segments)
        out["frequentist"] = self.frequentist.to_dict(orient="records")
        if self.aa:
            out["aa_simulation"] = [
                {"looks": r.looks, "false_ship_rate": r.false_ship_rate, "false_ship_rate_se": r.false_ship_rate_se, "stop_rate": r.stop_rate,
                 "n_sims": r.n_sims, "units_per_arm": r.units_per_arm, "rate": r.rate, "rule": r.rule, "nominal": r.nominal}
                for r in self.aa
            ]
        if lift_test is not None:
            out["lift_test"] = lift_test.iloc[0].to_dict()
        out["brief"] = narrative.brief(self)
        return out


def analyze(
    experiment: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    control: str = "A",
    expected_split: Mapping[str, float] | None = None,
    prob_threshold: float = 0.95,
    loss_threshold: float = 0.005,
    mde: float = 0.05,
    revenue_cap_quantile: float = 0.99,
    segments: Sequence[str] | None = None,
    interval: float = 0.9,
    prior: tuple[float, float] = DEFAULT_PRIOR,
    min_conversions: int = 25,
    min_days: int = 7,
    n_draws: int = DEFAULT_DRAWS,
    settings: mcmc.Settings | None = DEFAULT_SETTINGS,
    aa_sims: int = 200,
    aa_looks: int = 0,
    seed: int = 0,
    sequential_alpha: float = sequential.DEFAULT_ALPHA,
    sequential_tuning: float = sequential.DEFAULT_TUNING,
) -> ABTestResult:
    """Run the whole A/B/n analysis on unit-level ``experiment`` or aggregated ``summary`` data.

    Unit-level data get everything; summary data get conversion, SRM, decision and planning, and
    revenue from the sums (normal approximation) when ``revenue_sum``/``revenue_sum_sq`` exist.
    ``segments=None`` picks :func:`~playbook.abtest.checks.default_segments`; an empty list skips the
    segment model. ``aa_sims`` = 0 skips the A/A simulation; ``settings=None`` skips the PyMC models.
    ``interval`` is the mass of every credible interval. The always-valid intervals (``sequential_alpha``,
    ``sequential_tuning``) decide before the planned sample is reached (see
    :func:`~playbook.abtest.decision.decide`). The A/A simulation reads each simulated test ``aa_looks``
    times (0: once a day of the experiment, 14 without assignment times).
    """
    source = "experiment" if experiment is not None else "experiment_summary"
    if experiment is not None:
        # coded once: every per-arm group-by and mask below would otherwise re-hash millions of strings
        if not isinstance(experiment["variant"].dtype, pd.CategoricalDtype):
            experiment = experiment.assign(variant=experiment["variant"].astype(str).astype("category"))
        # the candidate segment columns too: their balance check, level count and segment model then read codes
        text = [c for c in checks.segment_candidates(experiment) if not isinstance(experiment[c].dtype, pd.CategoricalDtype)]
        if text:
            experiment = experiment.assign(**{c: experiment[c].astype("category") for c in text})
    counts = checks.arm_counts(experiment, summary)
    names = checks.order_variants(counts["variant"], control)
    counts = counts.set_index("variant").loc[names].reset_index()
    if (counts["units"] == 0).any():  # the experiment_summary contract refuses these rows before a run
        raise ValueError(f"variant(s) {list(counts.loc[counts['units'] == 0, 'variant'])} received no units: no arm of the test (drop the row)")
    srm = checks.srm_check(dict(zip(counts["variant"], counts["units"])), expected_split)
    has_time = experiment is not None and "assigned_at" in experiment.columns and experiment["assigned_at"].notna().all()
    days = checks.experiment_days(experiment["assigned_at"]) if has_time else None
    data_check = checks.minimum_data_check(counts, days, min_conversions, min_days)
    conversion = posterior.conversion_analysis(counts, control, prior, interval, mde, n_draws, seed)

    broken = checks.broken_arms(counts)
    units = dict(zip(counts["variant"], counts["units"]))
    few = [v for v in names if v not in broken.variants and units[v] < revenue.MIN_UNITS]
    rev_arms = [v for v in names if v not in broken.variants and v not in few]
    has_revenue = ((experiment is not None and bool((experiment["revenue"] > 0).any()))
                   or (summary is not None and bool(counts["revenue_sum"].notna().all() and counts["revenue_sum_sq"].notna().all())))
    revenue_ok = control in rev_arms and len(rev_arms) >= 2
    rev = None
    revenue_model = None
    cuped_result = None
    moments: dict[str, pd.DataFrame] = {}
    if experiment is not None and revenue_ok and has_revenue:
        exp_rev = experiment if len(rev_arms) == len(names) else experiment[experiment["variant"].isin(rev_arms)].reset_index(drop=True)
        variant = exp_rev["variant"]
        cap = revenue.revenue_cap(exp_rev["revenue"], revenue_cap_quantile)
        capped = revenue.winsorize(exp_rev["revenue"], cap)
        moments = {"raw": revenue.revenue_moments(exp_rev["revenue"], variant), "capped": revenue.revenue_moments(capped, variant)}
        table = lambda m, k: revenue.mean_posterior_table(m, rev_arms, control, interval, mde, n_draws, seed + k)  # noqa: E731
        raw_table = table(moments["raw"], 1)
        capped_table = table(moments["capped"], 2)
        rev = {"method": "normal approximation of the mean (raw)", "cap": cap, "variants": raw_table, "raw": raw_table, "capped": capped_table,
               "top_share": revenue.top_share(exp_rev["revenue"], variant)}
        if "pre_period_revenue" in exp_rev.columns:
            cuped_result = revenue.cuped(capped, exp_rev["pre_period_revenue"], variant)
            rev["cuped"] = table(revenue.revenue_moments(cuped_result.adjusted, variant), 3)
            rev["cuped_variance_reduction"] = cuped_result.variance_reduction
            rev["cuped_theta"] = cuped_result.theta
        if settings is not None:
            revenue_model = models.fit_revenue_model(exp_rev, control, settings.with_(seed=seed))
            rev["method"] = "PyMC hurdle model: P(revenue > 0) × LogNormal spend"
            rev["variants"] = posterior.summarize_draws(revenue_model.draws, control, interval, mde, "revenue_per_unit")
    elif summary is not None and revenue_ok and has_revenue:
        rev_counts = counts[counts["variant"].isin(rev_arms)].reset_index(drop=True)
        moments = {"raw": revenue.revenue_moments_from_sums(rev_counts)}
        raw_table = revenue.mean_posterior_table(moments["raw"], rev_arms, control, interval, mde, n_draws, seed + 1)
        rev = {"method": "normal approximation of the mean from revenue_sum and revenue_sum_sq (no capping possible on sums)", "cap": None, "variants": raw_table, "raw": raw_table}

    guard_table = None if rev is None else rev.get("capped", rev["variants"])
    guardrail = None if guard_table is None else {r["variant"]: 1.0 - r["prob_beats_control"] for r in guard_table.to_dict(orient="records") if r["variant"] != control}
    guard_moments = moments.get("capped", moments.get("raw"))
    seq = sequential.analyze(counts, control, guard_moments, sequential_alpha, sequential_tuning)
    plan_ = decision.plan(counts, control, mde, prob_threshold, days=days) if mde > 0 else None
    dec = decision.decide(conversion.table, control, prob_threshold, loss_threshold, mde, srm, data_check, guardrail, plan_, seq,
                          broken=broken.variants)
    allocation = decision.thompson_allocation(dict(zip(conversion.table["variant"], conversion.table["prob_best"])))
    over_time = posterior.posterior_over_time(experiment, control, prior, interval, seed=seed) if has_time else None

    segment_result = None
    refused: dict[str, float] = {}
    if experiment is not None:
        cols = checks.default_segments(experiment) if segments is None else list(segments)
        refused = checks.refused_segments(experiment, cols)
        cols = [c for c in cols if c not in refused]
        if cols and settings is not None:
            segment_result = models.fit_segment_model(experiment, cols, control, interval, settings.with_(seed=seed))

    fact = None
    if experiment is not None and settings is not None and len(factorial.factor_columns(experiment)) >= 2:
        fact = factorial.fit(experiment, interval=interval, settings=settings.with_(seed=seed))

    freq = frequentist.frequentist_checks(counts, control, moments or None)
    aa = []
    if aa_sims > 0:
        rate = float(counts.loc[0, "conversions"] / counts.loc[0, "units"])
        per_arm = int(counts["units"].min())
        daily = aa_looks if aa_looks > 0 else (int(days) if days else 14)
        args = (rate, per_arm, aa_sims)
        kw = {"n_arms": len(names), "prob_threshold": prob_threshold, "loss_threshold": loss_threshold, "mde": mde, "prior": prior,
              "seed": seed, "alpha": sequential_alpha, "tuning": sequential_tuning}
        aa.append(decision.aa_false_ship_rate(*args, looks=1, **kw))
        if daily > 1:
            aa.append(decision.aa_false_ship_rate(*args, looks=daily, **kw))
        aa.append(decision.aa_false_ship_rate(*args, looks=max(1, daily), rule=decision.RULE_SEQUENTIAL, **kw))
    file = f"{source}.csv"
    warnings = [DataWarning(file, f"variant {v}", "every arm records conversions", "analysed as zero conversions and never shipped")
                for v in broken.no_conversions]
    warnings += [DataWarning(file, f"variant {v}", "an arm that converts records revenue", "left out of the revenue comparison and never shipped")
                 for v in broken.no_revenue]
    warnings += [DataWarning(file, f"column {c}", "a segment is fixed before assignment, so its mix is the same in every arm "
                             f"(chi-square p = {p:.2g})", "left out of the segment breakdown") for c, p in refused.items()]
    if has_revenue:
        warnings += [DataWarning(file, f"variant {v}: {units[v]} unit{'' if units[v] == 1 else 's'}", f"the spread of an arm's revenue needs at least {revenue.MIN_UNITS} units",
                                 "left out of the revenue comparison") for v in few]
    if experiment is not None and not has_time:
        warnings.append(DataWarning(file, "column assigned_at: absent", "assignment times show how long the test ran",
                                    f"the minimum-days check ({min_days} days) and the posterior over time are skipped"
                                    + (f"; the A/A simulation reads {daily} looks a test" if aa_sims > 0 else "")))
    first = last = None
    if has_time:
        first, last = (f"{experiment['assigned_at'].min():%Y-%m-%d}", f"{experiment['assigned_at'].max():%Y-%m-%d}")
    return ABTestResult(
        control, source, counts, days, srm, data_check, conversion, dec, plan_, allocation, over_time,
        rev, revenue_model, cuped_result, segment_result, freq, aa, first, last,
        interval=interval, prob_threshold=prob_threshold, loss_threshold=loss_threshold, mde=mde,
        revenue_cap_quantile=revenue_cap_quantile, expected_split=dict(expected_split or {}), settings=settings,
        warnings=warnings, sequential=seq, broken=broken, refused_segments=refused, factorial=fact,
    )
