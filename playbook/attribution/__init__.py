"""Funnel, KPI monitor and multi-touch attribution: where prospects drop out, what is off target, which channels earn the conversions.

``analyze(funnel=..., paths=..., touchpoints=..., conversions=..., targets=..., mmm=...)`` runs
every part the inputs allow (the funnel and KPI monitor from ``funnel.csv``; attribution from
``paths.csv`` or ``touchpoints.csv`` + ``conversions.csv``) and returns an
:class:`AttributionResult`; its :meth:`~AttributionResult.results` is ``attribution.json``.
The notebook calls :func:`analyze`, then :mod:`.narrative`, :mod:`.tables` and :mod:`.plots`.

Seams: :mod:`.journeys` (path tables), :mod:`.heuristics`, :mod:`.markov`, :mod:`.shapley`,
:mod:`.compare` (shares, bootstrap, MMM shares), :mod:`.funnel` (stages, unit economics),
:mod:`.kpi` (targets, trends, anomaly alerts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

import pandas as pd

from playbook.attribution import checks, compare, funnel, heuristics, journeys, kpi, markov, shapley, triangulation
from playbook.attribution.journeys import Journeys
from playbook.attribution.markov import MarkovResult
from playbook.attribution.shapley import ShapleyResult
from playbook.attribution.triangulation import Triangulation

__all__ = [
    "AttributionResult", "FunnelPart", "PathsPart", "Settings", "analyze",
    "checks", "compare", "funnel", "heuristics", "journeys", "kpi", "markov", "shapley", "triangulation",
]

#: Smoke runs keep this many days of funnel history for the alerts' STL fit (a full run keeps ten years).
SMOKE_HISTORY_DAYS = 180
#: Smoke runs use at most this many bootstrap replicates.
SMOKE_BOOTSTRAP = 10


@dataclass(frozen=True)
class Settings:
    """The analysis parameters a report states (the notebook's parameters of the same names)."""

    interval: float = 0.9
    lookback_days: float | None = 30
    half_life_days: float = 7.0
    kpi_window_days: int = 28
    alert_threshold: float = 4.0
    alert_min_change: float = 0.2
    alert_days: int = 365
    n_bootstrap: int = 100
    seed: int = 0
    smoke: bool = False
    currency: str = "$"
    decide_prob: float = 0.9
    markov_order: int = 0  # 0: chosen out of sample (markov.ORDER_RULE) up to markov.MAX_ORDER; else fixed

    @property
    def bootstrap_replicates(self) -> int:
        return min(self.n_bootstrap, SMOKE_BOOTSTRAP) if self.smoke else self.n_bootstrap


@dataclass
class FunnelPart:
    """The funnel and KPI monitor of ``funnel.csv``."""

    data: pd.DataFrame
    stages: pd.DataFrame
    dropoffs: pd.DataFrame
    econ: pd.DataFrame
    weekly: pd.DataFrame
    trend: pd.DataFrame
    status: pd.DataFrame | None  # None: no KPI targets given
    alert_input: pd.DataFrame  # the history the alerts were fitted on
    alerts: pd.DataFrame
    episodes: pd.DataFrame
    history_limited: bool  # smoke run: only the last SMOKE_HISTORY_DAYS days analysed for alerts

    @property
    def bad_episodes(self) -> pd.DataFrame:
        """Alert episodes that are bad news, strongest first."""
        bad = self.episodes[self.episodes["bad"].astype(bool)] if len(self.episodes) else self.episodes
        return bad.sort_values("worst_z", key=abs, ascending=False) if len(bad) else bad

    def expectations(self, episodes: pd.DataFrame) -> dict:
        """``{(channel, metric): expected KPI by date}`` for the alert panels of ``episodes``."""
        return {
            (e.channel, e.metric): kpi.kpi_expectation(self.alert_input, e.channel, e.metric).set_index("date")["expected"]
            for e in episodes.itertuples()
        }


@dataclass
class PathsPart:
    """Journeys and every attribution model's credit."""

    journeys: Journeys | None  # None: built from paths.csv
    path_table: pd.DataFrame
    agg_paths: pd.DataFrame
    heuristics: pd.DataFrame  # long: model, channel, conversions, value
    markov: MarkovResult  # on the chain of order ``order``
    shapley: ShapleyResult
    markov_ci: pd.DataFrame
    shapley_ci: pd.DataFrame
    credits: dict[str, pd.Series]
    shares: pd.DataFrame  # channel × model shares of credited conversions (+ "mmm" when the MMM is given)
    bias: pd.DataFrame
    mmm_shares: pd.Series
    credits_value: dict[str, pd.Series] = field(default_factory=dict)  # attributed revenue by model and channel
    order: int = 1  # the Markov chain's order
    order_choice: markov.OrderChoice | None = None  # None: the order was fixed by the settings
    markov_first_order: MarkovResult | None = None  # the first-order chain (ChannelAttribution's default), for comparison
    time_to_conversion: pd.DataFrame | None = None  # None: no timestamps (paths.csv)

    @property
    def total_conversions(self) -> float:
        return self.markov.total_conversions

    @property
    def channels(self) -> list[str]:
        return list(self.shares.index)

    def ci_table(self) -> pd.DataFrame:
        """Markov and Shapley credit with their bootstrap intervals (channel, conversions, low, high, sd, model)."""
        return pd.concat([
            self.markov.channels[["channel", "conversions"]].merge(self.markov_ci, on="channel").assign(model="markov"),
            self.shapley.channels[["channel", "conversions"]].merge(self.shapley_ci, on="channel").assign(model="shapley"),
        ], ignore_index=True)


@dataclass
class AttributionResult:
    """Everything the attribution report shows."""

    settings: Settings
    funnel: FunnelPart | None
    paths: PathsPart | None
    targets_given: bool
    mmm_given: bool
    data_period: tuple | None
    warnings: list[str] = field(default_factory=list)
    triangulation: Triangulation | None = None  # None without journeys
    data_warnings: list = field(default_factory=list)  # DataWarning: loading's, then .checks' (banner, results "warnings", brief risks)

    @property
    def interval(self) -> float:
        return self.settings.interval

    @property
    def data_end(self):
        return self.data_period[1] if self.data_period else None

    def results(self) -> dict:
        """The public results of ``attribution.json`` (documented in the README's key table)."""
        out: dict = {"alerts": self.funnel.alerts.to_dict(orient="records") if self.funnel else []}
        f = self.funnel
        if f is not None:
            cols = ["spend", "impressions", "clicks", "signups", "orders", "revenue"] + [
                f"{k}{s}" for k in ("ctr", "cvr", "pay_rate", "cpa", "cac", "roas") for s in ("", "_low", "_high")]
            out["funnel"] = _by_channel(f.econ, cols)
            for _, d in f.dropoffs.iterrows():
                out["funnel"][d["channel"]].update(largest_dropoff_stage=f"{d['from_stage']}→{d['to_stage']}", largest_dropoff=d["drop_off"])
            out["alert_episodes"] = f.episodes.to_dict(orient="records")
            out["kpi_status"] = f.status.to_dict(orient="records") if f.status is not None else []
            out["kpi_trend"] = f.trend.to_dict(orient="records")
        p = self.paths
        if p is not None:
            rename = {"low": "conversions_low", "high": "conversions_high"}
            m = p.markov.channels.merge(p.markov_ci.rename(columns=rename), on="channel")
            out["markov"] = _by_channel(m, ["conversions", "conversions_low", "conversions_high", "value", "removal_effect", "removal_effect_value"])
            s = p.shapley.channels.merge(p.shapley_ci.rename(columns=rename), on="channel")
            out["shapley"] = _by_channel(s, ["conversions", "conversions_low", "conversions_high", "value", "negative_marginals",
                                             "conversions_unconstrained", "touched_conversions", "sampling_se"])
            out["markov_order"] = p.order
            out["markov_order_selection"] = p.order_choice.as_dict() if p.order_choice is not None else {"order": p.order, "rule": "fixed by the markov_order parameter"}
            if p.markov_first_order is not None:
                out["markov_first_order"] = _by_channel(p.markov_first_order.channels, ["conversions", "value", "removal_effect"])
            out["time_to_conversion"] = (
                {r["channel"]: {"median_days": r["median_days"], "p90_days": r["p90_days"], "journeys": int(r["journeys"])}
                 for _, r in p.time_to_conversion.iterrows()} if p.time_to_conversion is not None else {}
            )
            for model, g in p.heuristics.groupby("model", sort=False):
                out[model] = _by_channel(g, ["conversions", "value"])
            out["shares"] = p.shares.to_dict(orient="index")
            j = p.journeys
            out["attribution_meta"] = {
                "lookback_days": self.settings.lookback_days if j is not None else None,
                "touches_dropped": j.touches_dropped if j is not None else None,
                "conversions_without_touch": j.conversions_without_touch if j is not None else None,
                "total_conversions": p.markov.total_conversions, "total_value": p.markov.total_value,
                "p_conversion": p.markov.p_conversion, "shapley_method": p.shapley.method,
                "shapley_rule": shapley.ALLOCATION_RULE, "shapley_cost": p.shapley.cost,
                "n_bootstrap": self.settings.bootstrap_replicates, "interval": self.interval,
                "warnings": list(self.warnings),
            }
            if len(p.mmm_shares):
                out["mmm_contribution_share"] = p.mmm_shares.to_dict()
        if self.triangulation is not None:
            out["triangulation"] = self.triangulation.results()
        from playbook.attribution import narrative  # the brief's sentences (narrative reads this result)

        out["brief"] = narrative.brief(self)
        return out


def _by_channel(frame: pd.DataFrame, cols: list[str]) -> dict:
    return {r["channel"]: {c: r[c] for c in cols} for _, r in frame.iterrows()}


def _data_period(funnel_df, touchpoints, conversions) -> tuple | None:
    periods = []
    if funnel_df is not None:
        periods += [funnel_df["date"].min(), funnel_df["date"].max()]
    if touchpoints is not None and conversions is not None:
        periods += [pd.Timestamp(touchpoints["timestamp"].min()).normalize(), pd.Timestamp(conversions["timestamp"].max()).normalize()]
    return (min(periods).date(), max(periods).date()) if periods else None  # paths.csv carries no dates


def analyze_funnel(funnel_df: pd.DataFrame, targets: Mapping | None, settings: Settings) -> FunnelPart:
    """The funnel, unit economics, weekly KPIs, trend, KPI status and anomaly alerts of ``funnel.csv``."""
    cred, s = settings.interval, settings
    stages = funnel.stage_conversion(funnel_df, cred=cred)
    last_day = funnel_df["date"].max()
    alert_since = last_day - pd.Timedelta(days=s.alert_days - 1)
    # STL needs history before the reported window; smoke mode keeps only the last SMOKE_HISTORY_DAYS days.
    history_start = last_day - pd.Timedelta(days=SMOKE_HISTORY_DAYS - 1 if s.smoke else 10 * 365)
    alert_input = funnel_df[funnel_df["date"] >= history_start]
    alerts = kpi.detect_anomalies(alert_input, threshold=s.alert_threshold, min_change=s.alert_min_change, since=alert_since)
    return FunnelPart(
        data=funnel_df,
        stages=stages,
        dropoffs=funnel.largest_dropoff(stages, from_stage="clicks"),
        econ=funnel.unit_economics(funnel_df, cred=cred),
        weekly=kpi.weekly_kpis(funnel_df),
        trend=kpi.kpi_trend(funnel_df, recent_days=s.kpi_window_days, cred=cred, seed=s.seed),
        status=kpi.kpi_status(funnel_df, targets, window_days=s.kpi_window_days, cred=cred, decide_prob=s.decide_prob) if targets else None,
        alert_input=alert_input,
        alerts=alerts,
        episodes=kpi.alert_episodes(alerts),
        history_limited=s.smoke,
    )


def analyze_paths(path_table: pd.DataFrame, journeys_: Journeys | None, mmm: Mapping | None, settings: Settings) -> PathsPart:
    """Heuristic, Markov and Shapley credit of a path table, with bootstrap intervals and the model shares."""
    s = settings
    agg = journeys.aggregate_paths(path_table)
    heur = heuristics.heuristic_attribution(path_table, half_life_days=s.half_life_days)
    choice = markov.choose_order(agg, seed=s.seed) if s.markov_order <= 0 else None
    order = choice.order if choice is not None else int(s.markov_order)
    mk = markov.markov_attribution_order(agg, order)
    sh = shapley.shapley_attribution(agg, seed=s.seed)
    n_boot = s.bootstrap_replicates
    markov_ci = compare.bootstrap_credits(agg, partial(markov.markov_credit, order=order), n_boot=n_boot, seed=s.seed, cred=s.interval)
    shapley_ci = compare.bootstrap_credits(agg, shapley.shapley_credit, n_boot=n_boot, seed=s.seed + 1, cred=s.interval)
    credits = {m: g.set_index("channel")["conversions"] for m, g in heur.groupby("model", sort=False)}
    credits["markov"] = mk.channels.set_index("channel")["conversions"]
    credits["shapley"] = sh.channels.set_index("channel")["conversions"]
    credits_value = {m: g.set_index("channel")["value"] for m, g in heur.groupby("model", sort=False)}
    credits_value["markov"] = mk.channels.set_index("channel")["value"]
    credits_value["shapley"] = sh.channels.set_index("channel")["value"]
    shares = compare.model_comparison(credits)
    bias = compare.last_touch_bias(shares)
    mmm_shares = compare.mmm_contribution_shares(mmm) if mmm else pd.Series(dtype=float, name="mmm")
    if len(mmm_shares):
        shares["mmm"] = mmm_shares.reindex(shares.index)
    return PathsPart(journeys_, path_table, agg, heur, mk, sh, markov_ci, shapley_ci, credits, shares, bias, mmm_shares, credits_value,
                     order, choice, markov.markov_attribution(agg) if order != 1 else None,
                     journeys.time_to_conversion(journeys_.paths) if journeys_ is not None else None)


def analyze(
    *,
    funnel_data: pd.DataFrame | None = None,
    paths: pd.DataFrame | None = None,
    touchpoints: pd.DataFrame | None = None,
    conversions: pd.DataFrame | None = None,
    targets: Mapping | None = None,
    mmm: Mapping | None = None,
    lift_tests: pd.DataFrame | None = None,
    settings: Settings = Settings(),
    data_warnings: list | None = None,
) -> AttributionResult:
    """The attribution report's analysis of the validated inputs it was given (any may be ``None``).

    Raw touchpoints + conversions win over ``paths.csv`` when both are present. Raises
    ``ValueError`` when there is neither a funnel nor any journeys. ``mmm`` is the same run's
    ``mmm.json`` and ``lift_tests`` a validated ``lift_tests.csv`` (either may be ``None``): with
    journeys they feed the triangulation. ``data_warnings`` (the loader's :class:`~playbook.results.DataWarning`
    list) come first in ``data_warnings``, followed by the assumptions the data broke (:mod:`.checks`); together they are
    the report's data banner, the results JSON's ``warnings`` and the brief lines' data risks.
    """
    has_raw = touchpoints is not None and conversions is not None
    if funnel_data is None and not has_raw and paths is None:
        raise ValueError("nothing to analyse: need funnel.csv, paths.csv or touchpoints.csv + conversions.csv")
    part_f = analyze_funnel(funnel_data, targets, settings) if funnel_data is not None else None
    part_p = None
    notes = list(data_warnings or []) + (checks.funnel_gaps(funnel_data) if funnel_data is not None else [])
    if has_raw:
        j = journeys.journeys_from_touchpoints(touchpoints, conversions, lookback_days=settings.lookback_days)
        part_p = analyze_paths(j.paths, j, mmm, settings)
        notes += checks.journey_warnings(j.paths, j, touchpoints, conversions, settings.lookback_days, settings.currency)
    elif paths is not None:
        part_p = analyze_paths(journeys.parse_paths(paths), None, mmm, settings)
        notes += checks.journey_warnings(part_p.path_table, None)
    return AttributionResult(
        settings=settings,
        funnel=part_f,
        paths=part_p,
        targets_given=bool(targets),
        mmm_given=bool(part_p is not None and len(part_p.mmm_shares)),
        data_period=_data_period(funnel_data, touchpoints if has_raw else None, conversions if has_raw else None),
        warnings=list(part_p.shapley.warnings) if part_p is not None else [],
        triangulation=triangulation.triangulate(part_p.credits_value, mmm, lift_tests, settings.interval) if part_p is not None else None,
        data_warnings=notes,
    )
