"""Who our customers are: RFM segments, behavioural personas, lifecycle, cohorts and Bayesian CLV.

``analyze(orders, customers, ...)`` builds every table the personas report shows: the customer
summaries (:mod:`.summary`), RFM scores and named segments (:mod:`.rfm`), clustered personas
(:mod:`.clusters`), lifecycle stages and their flow (:mod:`.lifecycle`), the cohort triangle
(:mod:`.cohorts`) and CLV from PyMC-Marketing's BG/NBD and Gamma-Gamma models (:mod:`.clv`). The
notebook calls :func:`analyze`, then :mod:`.narrative` and :mod:`.plots` on the result;
``result.results()`` is ``personas.json`` and ``result.activation()`` the ``personas.csv`` side file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from playbook import mcmc
from playbook.personas import clusters, clv, cohorts, holdout, lifecycle, narrative, plots, rfm, rules, summary
from playbook.results import DataWarning

__all__ = ["PersonasResult", "analyze", "clusters", "clv", "cohorts", "holdout", "lifecycle", "narrative", "plots", "rfm", "rules", "summary"]

#: Default sampling of the CLV models (nutpie's NUTS with a low-rank mass matrix, :data:`clv.DEFAULT_SAMPLER`;
#: PyMC-Marketing's CLV fit passes these to ``pymc.sample``).
DEFAULT_SETTINGS = mcmc.Settings(draws=1000, tune=1000, chains=2, sampler=clv.DEFAULT_SAMPLER, seed=42, target_accept=0.9)

UNIT_NAMES = {"D": "days", "W": "weeks", "M": "months"}
#: A customer counts as probably alive at P(alive) ≥ this, probably gone below it.
ALIVE_AT = 0.5
#: Below this many customers the report warns that personas and CLV rest on few customers.
FEW_CUSTOMERS = 100
#: Fewest repeat customers (orders on two or more days) the purchase and spend models are fitted on (see :mod:`.rules`,
#: whose rule ``playbook run`` checks before the notebook runs).
MIN_REPEAT_CUSTOMERS = rules.MIN_REPEAT_CUSTOMERS
#: The purchase model used when ``purchase_model`` is ``"auto"`` and no holdout comparison can be made.
DEFAULT_PURCHASE_MODEL = "mbgnbd"


@dataclass
class PersonasResult:
    """Everything the personas report shows, computed once; the narrative, plots and results JSON read it."""

    orders: int
    first_date: pd.Timestamp
    end: pd.Timestamp
    rfm: pd.DataFrame  # rfm_table + lifecycle column
    scores: pd.DataFrame  # rfm + scores + rfm_segment
    segment_map: str
    precedence: str
    segments: pd.DataFrame  # group_summary in map order (empty segments as zero rows)
    concentration: rfm.Concentration
    features: pd.DataFrame
    fit: clusters.PersonaFit
    k_auto: bool
    stability: np.ndarray  # bootstrap ARIs of the personas (empty when not computed)
    profiles: pd.DataFrame  # persona profiles joined with their CLV, largest revenue share first
    lift: pd.DataFrame
    persona_of: pd.Series  # customer_id → persona name
    lifecycle_days: dict
    snapshots: list
    stage_counts: pd.DataFrame
    transitions: pd.DataFrame | None
    cohorts: cohorts.Cohorts
    btyd: pd.DataFrame
    value: clv.CustomerValue
    total_value: pd.Series
    persona_value: pd.DataFrame
    lifecycle_value: pd.DataFrame  # indexed by stage
    new_customer_purchases: tuple[float, float, float]
    bg_params: pd.DataFrame
    gg_params: pd.DataFrame
    purchase_model: str  # key of clv.PURCHASE_MODELS: the model behind P(alive), purchases and CLV
    purchase_params: pd.DataFrame  # its parameter table (the BG/NBD's when it is the BG/NBD)
    independence: clv.IndependenceCheck  # the Gamma-Gamma frequency–spend check
    comparison: holdout.Comparison  # the purchase models' holdout check and the rule that chose one
    posterior: pd.DataFrame  # draws of the BG/NBD and Gamma-Gamma parameters
    diagnostics: mcmc.Diagnostics | None
    method: str
    settings: mcmc.Settings
    interval: float
    horizon: int
    time_unit: str
    discount_rate: float
    margin: float
    has_customers: bool
    smoke: bool = False
    currency: str = "$"
    warnings: list[DataWarning] = field(default_factory=list)

    # ------------------------------------------------------------------ derived views

    @property
    def customers(self) -> int:
        return len(self.rfm)

    @property
    def revenue(self) -> float:
        return float(self.rfm["monetary"].sum())

    @property
    def unit_name(self) -> str:
        return UNIT_NAMES[self.time_unit]

    @property
    def data_period(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return self.first_date, self.end

    @property
    def stability_ari(self) -> float | None:
        """Mean adjusted Rand index of the personas against bootstrap refits (``None`` when not computed)."""
        return float(np.mean(self.stability)) if len(self.stability) else None

    @property
    def at_risk(self) -> pd.DataFrame:
        """Customers in the at-risk lifecycle stage (rule-based: silent between the at_risk and dormant thresholds)."""
        return self.rfm.loc[self.rfm["lifecycle"] == "at_risk"]

    @property
    def at_risk_value(self) -> pd.Series | None:
        """Summed CLV of the at-risk customers (``None`` when none is at risk)."""
        lv = self.lifecycle_value
        return lv.loc["at_risk"] if "at_risk" in lv.index and lv.loc["at_risk", "customers"] > 0 else None

    @property
    def segment_order(self) -> list[str]:
        return [s[0] for s in rfm.SEGMENT_MAPS[self.segment_map]] + [rfm.OTHERS]

    @property
    def max_rhat(self) -> float:
        return float(self.diagnostics.rhat_max) if self.diagnostics is not None else float("nan")

    @property
    def divergences(self) -> int:
        return int(self.diagnostics.divergences) if self.diagnostics is not None else 0

    @property
    def one_time_unknown(self) -> bool:
        """One-time buyers' status is unknown: the purchase model lets no one drop out before a repeat purchase."""
        return not clv.ONE_TIME_DROPOUT[self.purchase_model]

    @property
    def one_time(self) -> pd.DataFrame:
        """Predictions of the customers without a repeat purchase (frequency 0)."""
        v = self.value.customers
        return v.loc[self.btyd["frequency"].to_numpy() == 0]

    def status_counts(self) -> dict[str, int]:
        """Customers probably alive (P(alive) ≥ :data:`ALIVE_AT`), probably gone (below) and of unknown status."""
        p = self.value.customers["p_alive"]
        return {"alive": int((p >= ALIVE_AT).sum()), "gone": int((p < ALIVE_AT).sum()), "unknown": int(p.isna().sum())}

    def persona_p_alive(self) -> pd.Series:
        """Median P(alive) per persona name."""
        v = self.value.customers
        return v.assign(p=self.persona_of.reindex(v["customer_id"]).to_numpy()).groupby("p")["p_alive"].median()

    def month_retention(self, month: int) -> pd.Series:
        """Retention of every cohort observed ``month`` months after acquisition."""
        ret = self.cohorts.retention
        return ret[month].dropna() if month in ret.columns else pd.Series(dtype=float)

    def activation(self) -> pd.DataFrame:
        """The ``personas.csv`` side file: one row per customer with segment, persona, stage, P(alive) and CLV."""
        cols = ["customer_id", "rfm_segment", "persona", "lifecycle", "p_alive", "clv_mean", "clv_low", "clv_high"]
        return (
            self.rfm[["customer_id", "lifecycle"]]
            .merge(self.scores[["customer_id", "rfm_segment"]], on="customer_id")
            .merge(self.persona_of.rename("persona").rename_axis("customer_id").reset_index(), on="customer_id")
            .merge(self.value.customers[["customer_id", "p_alive", "clv_mean", "clv_low", "clv_high"]], on="customer_id", how="left")
        )[cols]

    def results(self) -> dict:
        """The public results of ``personas.json`` (documented in the README's key table)."""
        at_risk, arv = self.at_risk, self.at_risk_value
        m1, m6 = self.month_retention(1), self.month_retention(6)
        bg, gg = self.bg_params, self.gg_params
        return {
            "customers": self.customers,
            "orders": self.orders,
            "revenue": self.revenue,
            "observation_end": self.end,
            "revenue_concentration": {"top_10_share": self.concentration.top_10_share,
                                      "top_20_share": self.concentration.top_20_share, "gini": self.concentration.gini},
            "segments": {
                r["group"]: {"customers": int(r["customers"]), "customer_share": r["customer_share"], "revenue": r["revenue"],
                             "revenue_share": r["revenue_share"]}
                for _, r in self.segments.iterrows()
            },
            "personas": {
                r["name"]: {
                    "customers": int(r["customers"]), "customer_share": r["customer_share"], "revenue_share": r["revenue_share"],
                    "aov": r["aov"], "frequency_mean": r["frequency_mean"], "recency_days_median": r["recency_days_median"],
                    "archetype": r["archetype"], "action": r["action"], "clv_mean": r["clv_mean"], "clv_low": r["clv_low"],
                    "clv_high": r["clv_high"],
                }
                for _, r in self.profiles.iterrows()
            },
            "persona_model": {"method": self.fit.method, "k": self.fit.k, "k_scores": self.fit.k_scores,
                              "silhouette": narrative.chosen_silhouette(self), "stability_ari": self.stability_ari,
                              "stability_ari_low": float(np.min(self.stability)) if len(self.stability) else None,
                              "bootstrap_resamples": len(self.stability), "weak": narrative.personas_weak(self),
                              "silhouette_threshold": narrative.SILHOUETTE_REASONABLE,
                              "stability_threshold": narrative.STABILITY_REASONABLE,
                              "k_rule": narrative.k_rule(self), "lead": "rfm_segments" if narrative.personas_weak(self) else "personas"},
            "lifecycle": {stage: {"customers": int((self.rfm["lifecycle"] == stage).sum())} for stage in lifecycle.LIFECYCLE_STAGES},
            "at_risk": {
                "customers": len(at_risk), "revenue_to_date": float(at_risk["monetary"].sum()),
                **({"clv_mean": arv["clv_mean"], "clv_low": arv["clv_low"], "clv_high": arv["clv_high"]} if arv is not None else {}),
            },
            "cohorts": {"month_1_retention_mean": float(m1.mean()) if len(m1) else None,
                        "month_6_retention_mean": float(m6.mean()) if len(m6) else None,
                        "partial_month": str(self.cohorts.partial_month) if self.cohorts.partial_month is not None else None,
                        "partial_month_left_out": self.cohorts.partial_left_out},
            "settings": {"discount_rate": self.discount_rate, "margin": self.margin, "horizon": self.horizon,
                         "time_unit": self.time_unit, "interval": self.interval, "purchase_model": self.purchase_model},
            "clv": {
                "method": self.method, "time_unit": self.time_unit, "horizon": self.horizon, "interval_prob": self.value.interval_prob,
                "bgnbd": dict(zip(bg["parameter"], bg["mean"])),
                "gamma_gamma": {**dict(zip(gg["parameter"], gg["mean"])),
                                "frequency_spend_correlation": self.independence.correlation,
                                "independence_ok": self.independence.ok, "correlation_threshold": self.independence.threshold,
                                "repeat_customers": self.independence.customers},
                "bgnbd_hdi": {r["parameter"]: [r["hdi_low"], r["hdi_high"]] for _, r in bg.iterrows()},
                "gamma_gamma_hdi": {r["parameter"]: [r["hdi_low"], r["hdi_high"]] for _, r in gg.iterrows()},
                "total_expected_mean": self.total_value["clv_mean"], "total_expected_low": self.total_value["clv_low"],
                "total_expected_high": self.total_value["clv_high"],
                "max_r_hat": self.max_rhat, "divergences": self.divergences,
                "model": {**self.comparison.as_dict(), "chosen": self.purchase_model, "label": clv.model_label(self.purchase_model),
                          "parameters": dict(zip(self.purchase_params["parameter"], self.purchase_params["mean"]))},
                "one_time_buyers": {
                    "customers": len(self.one_time), "status": "unknown" if self.one_time_unknown else "modelled",
                    "p_alive_median": None if self.one_time_unknown or not len(self.one_time) else float(self.one_time["p_alive"].median()),
                    "p_alive_max": None if self.one_time_unknown or not len(self.one_time) else float(self.one_time["p_alive"].max()),
                },
                "status": {**self.status_counts(), "alive_at": ALIVE_AT},
            },
            "brief": narrative.brief(self),
        }


def _combined(parts: list[mcmc.Diagnostics]) -> mcmc.Diagnostics:
    """One read-out over several fits: the worst R-hat and ESS, the divergences summed."""
    rhats = [d.rhat_max for d in parts if np.isfinite(d.rhat_max)]
    return mcmc.Diagnostics(max(rhats) if rhats else float("nan"), min(d.ess_bulk_min for d in parts),
                            min(d.ess_tail_min for d in parts), sum(d.divergences for d in parts), parts[0].chains, parts[0].draws)


def _k(n_personas: Any) -> int | str:
    return "auto" if str(n_personas).strip().lower() == "auto" else int(n_personas)


def analyze(
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    *,
    interval: float = 0.9,
    observation_end: str | pd.Timestamp | None = None,
    time_unit: str = "W",
    horizon: int = 52,
    discount_rate: float = 0.1,
    margin: float = 1.0,
    n_personas: int | str = "auto",
    persona_method: str = "kmeans",
    k_range: range = range(2, 9),
    segment_map: str = "rfm11",
    precedence: str = "last",
    lifecycle_days: Mapping[str, int] | None = None,
    lifecycle_snapshots: int = 5,
    persona_actions: Mapping[str, str] | None = None,
    stability_resamples: int = 10,
    method: str = "mcmc",
    purchase_model: str = "auto",
    compare_models: bool = True,
    settings: mcmc.Settings = DEFAULT_SETTINGS,
    currency: str = "$",
    smoke: bool = False,
    data_warnings: list[DataWarning] | None = None,
) -> PersonasResult:
    """The personas analysis of a validated ``orders`` frame (and optional ``customers`` frame for demographics).

    CLV is the expected ``margin`` (share of revenue kept) over ``horizon`` periods of ``time_unit``, discounted at
    the annual ``discount_rate``. The purchase model behind P(alive) is chosen by :data:`holdout.RULE` among BG/NBD,
    MBG/NBD and Pareto/NBD on a calibration/holdout split, unless ``purchase_model`` (bgnbd, mbgnbd, pareto) sets it.
    ``data_warnings`` (the loader's :class:`~playbook.results.DataWarning` list) head ``result.warnings``: the report's
    data banner, the results' ``warnings`` and the brief's risks read them.
    """
    notes = list(data_warnings or [])
    days = {**lifecycle.DEFAULT_LIFECYCLE_DAYS, **dict(lifecycle_days or {})}
    end = pd.Timestamp(observation_end) if observation_end else orders["order_date"].max()
    later = orders["order_date"] > end
    if later.any():
        notes.append(DataWarning(
            orders.attrs.get("source", "orders"), f"{int(later.sum()):,} order{'s' if later.sum() != 1 else ''} after {end:%Y-%m-%d}",
            "every order falls on or before observation_end", "left out: the analysis describes customers as of observation_end"))
    orders = orders.loc[~later]
    n_customers, repeat = rules.order_days(orders).counts(end)  # counted as the pre-run rule counts them
    if n_customers < FEW_CUSTOMERS:
        notes.append(DataWarning(
            orders.attrs.get("source", "orders"), f"{n_customers:,} customers",
            f"at least {FEW_CUSTOMERS} customers to form personas and fit the CLV models",
            "analysed as far as they allow: personas are rough groupings and CLV intervals wide"))
    refused = rules.refusal(repeat, n_customers, end, orders.attrs.get("source", "orders.csv"))
    if refused:  # the notebook's run is refused before it starts (rules.REPEAT_CUSTOMERS); analyze called directly still refuses
        raise ValueError(refused)
    k = _k(n_personas)

    # RFM and named segments
    table = summary.rfm_table(orders, end)
    scores = rfm.rfm_scores(table)
    scores["rfm_segment"] = rfm.rfm_segment(scores, segment_map, precedence).to_numpy()
    order = [s[0] for s in rfm.SEGMENT_MAPS[segment_map]] + [rfm.OTHERS]
    segments = rfm.group_summary(scores, scores["rfm_segment"], order=order)
    concentration = rfm.revenue_concentration(table["monetary"])

    # Behavioural personas
    features = clusters.behaviour_features(table, orders)
    fit = clusters.fit_personas(features, k=k, k_range=k_range, method=persona_method, seed=settings.seed)
    stability = clusters.bootstrap_stability(features, fit, stability_resamples, seed=settings.seed)
    profiles = clusters.persona_profiles(table, fit.labels, orders, customers, persona_actions, days)
    persona_of = fit.labels.map(dict(zip(profiles["persona_id"], profiles["name"]))).rename("persona")
    lift = clusters.feature_lift(features, fit.labels)

    # Lifecycle and cohorts
    table["lifecycle"] = lifecycle.lifecycle_stage(table["tenure_days"], table["recency_days"], days)
    snapshots = lifecycle.snapshot_dates(end, lifecycle_snapshots)
    stages, stage_counts = lifecycle.lifecycle_flow(orders, snapshots, days)
    transitions = lifecycle.stage_transitions(stages, snapshots[-2], snapshots[-1]) if len(snapshots) > 1 else None
    cohort = cohorts.cohort_retention(orders, end)

    # CLV: BG/NBD for purchases, Gamma-Gamma for spend (PyMC-Marketing)
    btyd = summary.customer_summary(orders, end, time_unit)
    fit_args = dict(method=method, draws=settings.draws, tune=settings.tune, chains=settings.chains, seed=settings.seed,
                    target_accept=settings.target_accept, sampler=settings.sampler)
    if compare_models:
        comparison = holdout.compare(orders, end, horizon, time_unit, purchase_model, default=DEFAULT_PURCHASE_MODEL, seed=settings.seed)
    else:
        override = purchase_model != "auto"
        comparison = holdout.Comparison(clv.check_purchase_model(purchase_model) if override else DEFAULT_PURCHASE_MODEL,
                                        "set by the analyst (purchase_model)" if override else "default: no comparison run",
                                        None, 0.0, reason="compare_models is off")
    chosen = comparison.chosen
    bgnbd = clv.fit_bgnbd(btyd, **fit_args)
    model = bgnbd if chosen == "bgnbd" else clv.fit_purchase_model(btyd, chosen, **fit_args)
    gamma_gamma = clv.fit_gamma_gamma(btyd, **fit_args)
    value = clv.predict_customer_value(model, gamma_gamma, btyd, horizon=horizon, time_unit=time_unit, interval_prob=interval,
                                       one_time_unknown=not clv.ONE_TIME_DROPOUT[chosen], discount_rate=discount_rate, margin=margin)
    bg_params = clv.parameter_table(bgnbd, clv.BGNBD_PARAMS, hdi_prob=interval)
    gg_params = clv.parameter_table(gamma_gamma, clv.GAMMA_GAMMA_PARAMS, hdi_prob=interval)
    chosen_params = clv.PURCHASE_MODELS[chosen][1]
    purchase_params = bg_params if chosen == "bgnbd" else clv.parameter_table(model, chosen_params, hdi_prob=interval)
    diag = None
    if method == "mcmc":
        fitted = [(bgnbd, clv.BGNBD_PARAMS), (gamma_gamma, clv.GAMMA_GAMMA_PARAMS)] + ([] if chosen == "bgnbd" else [(model, chosen_params)])
        diag = _combined([mcmc.diagnostics(m.idata, list(names)) for m, names in fitted])
    persona_value = clv.group_value(value, persona_of)
    prof = profiles.merge(persona_value.rename(columns={"group": "name"}), on="name", suffixes=("", "_clv"))
    prof = prof.sort_values("revenue_share", ascending=False).reset_index(drop=True)
    return PersonasResult(
        orders=len(orders), first_date=orders["order_date"].min(), end=end, rfm=table, scores=scores, segment_map=segment_map,
        precedence=precedence, segments=segments, concentration=concentration, features=features, fit=fit, k_auto=k == "auto", stability=stability,
        profiles=prof, lift=lift, persona_of=persona_of, lifecycle_days=days, snapshots=snapshots, stage_counts=stage_counts,
        transitions=transitions, cohorts=cohort, btyd=btyd, value=value, total_value=clv.group_value(value).iloc[0],
        persona_value=persona_value, lifecycle_value=clv.group_value(value, table.set_index("customer_id")["lifecycle"]).set_index("group"),
        new_customer_purchases=clv.expected_purchases_new_customer(model, horizon, interval),
        bg_params=bg_params, gg_params=gg_params, purchase_model=chosen, purchase_params=purchase_params,
        independence=clv.frequency_spend_check(btyd), comparison=comparison,
        posterior=clv.posterior_draws(model, chosen_params).join(clv.posterior_draws(gamma_gamma, clv.GAMMA_GAMMA_PARAMS)),
        diagnostics=diag, method=method, settings=settings, interval=interval, horizon=horizon, time_unit=time_unit,
        discount_rate=discount_rate, margin=margin,
        has_customers=customers is not None, smoke=smoke, currency=currency, warnings=notes,
    )
