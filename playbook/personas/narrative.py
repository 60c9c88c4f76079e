"""Every sentence of the personas report that states a number or draws a conclusion, chosen by a rule over the results.

Functions take a :class:`~playbook.personas.PersonasResult` and return HTML strings (data-borne names
escaped), tiles, banners or tables. Thresholds are named constants beside the rule that uses them;
the appendix prints them (:func:`assumptions`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook import fmt, mcmc
from playbook.personas import clv, rfm
from playbook.report import Tile

if TYPE_CHECKING:  # pragma: no cover
    from playbook.personas import PersonasResult

#: Silhouette at or above which clusters count as reasonably separated (Kaufman & Rousseeuw 1990: 0.51–0.70
#: reasonable, 0.26–0.50 weak, ≤ 0.25 no substantial structure); below it the report calls the personas weak.
SILHOUETTE_REASONABLE = 0.5
#: Mean adjusted Rand index between the personas and bootstrap refits at or above which they count as stable
#: (Hennig 2007 reads bootstrap similarities below 0.6 as dissolved clusters and above 0.75 as valid, stable ones).
STABILITY_REASONABLE = 0.75
#: Share of the future value held by the top 20 % of customers by expected value (the concentration card).
TOP_SHARE = 0.2
#: Months after acquisition the cohort card reports (second and seventh month, and revenue after a year).
RETENTION_MONTHS = (1, 6)
VALUE_MONTH = 12


def _b(name) -> str:
    return f"<b>{html.escape(str(name), quote=False)}</b>"


def _money(r: PersonasResult, x) -> str:
    return fmt.money(x, r.currency)


def _label(r: PersonasResult) -> str:
    return fmt.interval_label(r.interval)


def _value(r: PersonasResult, row) -> str:
    """``'$1.2M [$1.0M, $1.4M]'``: a summed CLV with its interval."""
    return fmt.estimate(row["clv_mean"], row["clv_low"], row["clv_high"], fmt.money, currency=r.currency)


def horizon_text(r: PersonasResult) -> str:
    """``'the next 52 weeks'``."""
    return f"the next {fmt.plural(r.horizon, r.unit_name[:-1])}"


def value_kind(r: PersonasResult) -> str:
    """``'margin'`` when a margin below 100 % is set, else ``'revenue'`` (CLV then counts revenue, not profit)."""
    return "margin" if r.margin < 1 else "revenue"


def discount_text(r: PersonasResult) -> str:
    """``'discounted at 10% a year'`` or ``'undiscounted'``."""
    return f"discounted at {fmt.pct(r.discount_rate, 0 if round(r.discount_rate * 100, 6).is_integer() else 1)} a year" \
        if r.discount_rate > 0 else "undiscounted"


def _share(x) -> str:
    return fmt.pct(x, 0)


# --------------------------------------------------------------------------- persona strength


def chosen_silhouette(r: PersonasResult) -> float:
    scores = r.fit.k_scores.set_index("k")
    return float(scores.loc[r.fit.k, "silhouette"]) if r.fit.k in scores.index else float("nan")


def separated(r: PersonasResult) -> bool:
    s = chosen_silhouette(r)
    return bool(np.isfinite(s) and s >= SILHOUETTE_REASONABLE)


def stable(r: PersonasResult) -> bool | None:
    """Mean bootstrap ARI at or above :data:`STABILITY_REASONABLE` (``None`` when not computed)."""
    return None if r.stability_ari is None else bool(r.stability_ari >= STABILITY_REASONABLE)


def personas_weak(r: PersonasResult) -> bool:
    """The personas are weak: silhouette below :data:`SILHOUETTE_REASONABLE` (or undefined), or unstable under
    bootstrap resampling (mean ARI below :data:`STABILITY_REASONABLE`)."""
    return not separated(r) or stable(r) is False


def k_rule(r: PersonasResult) -> str:
    """The rule that set the number of personas."""
    if not r.k_auto:
        return "set by the analyst (n_personas)"
    return "highest silhouette among the k tried" if r.fit.method == "kmeans" else "lowest BIC among the k tried"


def strength_text(r: PersonasResult) -> str:
    """``'silhouette 0.26; bootstrap stability (ARI) 0.81'``."""
    out = f"silhouette {fmt.ratio(chosen_silhouette(r))}"
    if r.stability_ari is not None:
        out += f", bootstrap stability {fmt.ratio(r.stability_ari)} (adjusted Rand index over {fmt.plural(len(r.stability), 'resample')})"
    return out


# --------------------------------------------------------------------------- summary


def _persona_line(r: PersonasResult, row) -> str:
    return (f"<li>{_b(row['name'])} — {_share(row['customer_share'])} of customers, {_share(row['revenue_share'])} of revenue, "
            f"expected {_money(r, row['clv_mean'])} over {horizon_text(r)}: {html.escape(str(row['action']), quote=False)}</li>")


def findings(r: PersonasResult) -> list[str]:
    """The executive summary: data and concentration, future value, segments or personas (weak personas: segments first), risk."""
    c = r.concentration
    top = r.profiles.iloc[0]
    out = [
        f"{fmt.count(r.customers)} customers placed {fmt.count(r.orders)} orders worth {_money(r, r.revenue)} between "
        f"{fmt.date(r.first_date, 'day')} and {fmt.date(r.end, 'day')}. Revenue is concentrated: the top 20% of customers "
        f"brought {_share(c.top_20_share)} of it (Gini {fmt.ratio(c.gini)}).",
        f"Existing customers are expected to bring {_money(r, r.total_value['clv_mean'])} of {value_kind(r)} over {horizon_text(r)}, "
        f"{discount_text(r)} "
        f"({_label(r)} {fmt.interval(r.total_value['clv_low'], r.total_value['clv_high'], fmt.money, currency=r.currency)})"
        f"{spend_caveat(r)}; "
        f"{_b(top['name'])} alone hold {_share(top['clv_mean'] / r.total_value['clv_mean'])} of that.",
    ]
    persona_lines = "".join(_persona_line(r, row) for _, row in r.profiles.iterrows())
    if personas_weak(r):
        out.append(segment_sentence(r) + " " + k_sentence(r) + " The RFM segments, a fixed rule, lead this report.")
        out.append(f"{fmt.plural(r.fit.k, 'behavioural persona')}, to be read as rough groupings:<ul>{persona_lines}</ul>")
    else:
        out.append(f"{fmt.plural(r.fit.k, 'behavioural persona')}:<ul>{persona_lines}</ul>")
    out.append(at_risk_sentence(r))
    return out


def at_risk_sentence(r: PersonasResult) -> str:
    """The customers at risk (the lifecycle stage), what they spent and the value at stake, or that none is at risk."""
    arv = r.at_risk_value
    d = r.lifecycle_days
    if arv is None:
        return f"No customer is at risk (silent for {d['at_risk']}–{d['dormant']} days)."
    at_risk = r.at_risk
    p = r.activation().loc[lambda a: a["lifecycle"] == "at_risk", "p_alive"]
    alive = (f"with a median P(alive) of {fmt.prob(p.median())}" if p.notna().any()
             else "P(alive) unknown (all of them bought once, and the purchase model cannot tell)")
    if p.notna().any() and p.isna().any():
        alive += f" among the {fmt.count(p.notna().sum())} with a repeat purchase"
    return (
        f"{fmt.count(len(at_risk))} customers ({_share(len(at_risk) / r.customers)}) are at risk: silent for {d['at_risk']}–"
        f"{d['dormant']} days. They have spent {_money(r, at_risk['monetary'].sum())} so far; the value at stake is their "
        f"expected {_value(r, arv)} over {horizon_text(r)}, {alive}."
    )


def tiles(r: PersonasResult) -> list[Tile]:
    """Headline tiles: customers, revenue concentration, expected value, customers at risk and their value."""
    c, tv = r.concentration, r.total_value
    ci = f"{_label(r)} " + fmt.interval(tv["clv_low"], tv["clv_high"], fmt.money, currency=r.currency)
    out = [
        Tile("Customers", fmt.number(r.customers), f"{fmt.number(r.orders)} orders"),
        Tile("Revenue from top 20%", _share(c.top_20_share), f"Gini {fmt.ratio(c.gini)}"),
        Tile(f"Expected value, {horizon_text(r)[4:]}", _money(r, tv["clv_mean"]), ci, tone="warn" if r.independence.ok is False else ""),
        Tile("Customers at risk", fmt.number(len(r.at_risk)), f"{_share(len(r.at_risk) / r.customers)} of customers",
             tone="warn" if len(r.at_risk) else ""),
    ]
    arv = r.at_risk_value
    if arv is not None:
        out.append(Tile("Value at stake", _money(r, arv["clv_mean"]),
                        f"{_label(r)} " + fmt.interval(arv["clv_low"], arv["clv_high"], fmt.money, currency=r.currency), tone="warn"))
    return out


def spend_caveat(r: PersonasResult) -> str:
    """``''`` when the Gamma-Gamma check passes; otherwise the caveat every CLV figure carries."""
    ok = r.independence.ok
    if ok is None:
        return " (spend model unchecked: too few repeat customers to test that spend is independent of frequency)"
    return "" if ok else " (spend-based, and biased: frequent buyers spend differently per order, see the Gamma-Gamma check)"


def model_sentence(r: PersonasResult) -> str:
    """Which purchase model is used and why: the holdout check's ranking, the analyst's choice, or the default."""
    c = r.comparison
    label = clv.model_label(r.purchase_model)
    if not c.compared:
        why = "set by the analyst" if c.rule.startswith("set by") else "the default"
        return f"{label} is the purchase model ({why}); no holdout comparison was made: {c.reason}."
    ranked = sorted((m for m in c.candidates if np.isfinite(c.candidates[m].holdout_error)),
                    key=lambda m: c.candidates[m].holdout_error)
    errs = fmt.join([f"{clv.model_label(m)} {fmt.number(c.candidates[m].holdout_error, 2)}" for m in ranked])
    failed = [clv.model_label(m) for m in c.candidates if m not in ranked]
    head = (f"Fitted on the orders up to {fmt.date(c.calibration_end, 'day')} and asked for each customer's repeat purchases in "
            f"the {fmt.plural(round(c.holdout_periods), r.unit_name[:-1])} after, the models miss the actual counts per frequency "
            f"group by {errs} purchases per customer")
    head += f" ({fmt.join(failed)} could not be fitted)" if failed else ""
    if c.rule.startswith("set by"):
        return head + f". {label} is used, as set by the analyst."
    return head + f". {label}, the closest, is used."


def model_title(r: PersonasResult) -> str:
    return "Predicted against actual repeat purchases in the holdout period" if r.comparison.compared else "No holdout check"


def independence_sentence(r: PersonasResult) -> str:
    """The Gamma-Gamma check: the correlation, its threshold and what it means for CLV."""
    c = r.independence
    if c.ok is None:
        return (f"The spend model's assumption (spend per order independent of how often a customer buys) could not be checked: "
                f"{fmt.plural(c.customers, 'repeat customer')} with spend.")
    head = (f"Among the {fmt.count(c.customers)} repeat customers, purchase frequency and average spend per order correlate at "
            f"{fmt.ratio(c.correlation)} (Pearson)")
    if c.ok:
        return head + f", below the {fmt.ratio(c.threshold)} threshold: the Gamma-Gamma spend model's independence assumption holds."
    return (head + f", at or above the {fmt.ratio(c.threshold)} threshold: the Gamma-Gamma spend model assumes they are independent, "
            "so spend-based CLV is biased and every CLV figure in this report carries that caveat.")


def banners(r: PersonasResult) -> list[tuple[str, str]]:
    """(text, level) banners: smoke run, no customers file, weak personas, the Gamma-Gamma check failed."""
    out = []
    if r.smoke:
        out.append((f"Smoke run: the CLV models ran {mcmc_describe(r)}, so intervals are rough. Run without smoke for the report.",
                    "warning"))
    if r.margin >= 1:
        out.append(("No margin set (margin = 100%): CLV and value at stake count revenue, not profit. Set margin to the share "
                    "of revenue kept after the cost of serving an order.", "info"))
    if not r.has_customers:
        out.append(("No customers.csv: personas are formed from orders alone (as always) and described without demographics.",
                    "info"))
    if personas_weak(r):
        out.append((k_sentence(r) + " The RFM segments, a fixed rule, lead; read the personas as rough groupings.", "warning"))
    if r.independence.ok is False:
        out.append((independence_sentence(r), "warning"))
    return out


def mcmc_describe(r: PersonasResult) -> str:
    return "a MAP fit (no intervals)" if r.method == "map" else r.settings.describe()


# --------------------------------------------------------------------------- RFM


def shown_segments(r: PersonasResult) -> pd.DataFrame:
    """Segments with at least one customer, in map order."""
    return r.segments.loc[r.segments["customers"] > 0]


def best_segment(r: PersonasResult):
    return shown_segments(r).sort_values("revenue_share", ascending=False).iloc[0]


def segment_sentence(r: PersonasResult) -> str:
    """The segment worth most (largest revenue share), and how many segments are empty."""
    best = best_segment(r)
    empty = int((r.segments["customers"] == 0).sum())
    tail = (f"{fmt.count(empty)} of the {fmt.count(len(r.segments))} segments are empty." if empty
            else f"every one of the {fmt.count(len(r.segments))} segments has customers.")
    return (f"{_b(best['group'])} are {_share(best['customer_share'])} of customers but bring {_share(best['revenue_share'])} "
            f"of revenue; {tail}")


def segment_title(r: PersonasResult) -> str:
    best = best_segment(r)
    return f"{best['group']}: {_share(best['customer_share'])} of customers, {_share(best['revenue_share'])} of revenue"


def segment_table(r: PersonasResult) -> pd.DataFrame:
    """The segment table, values formatted."""
    s = r.segments
    return pd.DataFrame({
        "segment": s["group"], "customers": s["customers"].map(fmt.count), "share of customers": s["customer_share"].map(lambda x: fmt.pct(x)),
        "revenue": s["revenue"].map(lambda x: _money(r, x)), "share of revenue": s["revenue_share"].map(lambda x: fmt.pct(x)),
        "mean days since last order": s["recency_days"].map(lambda x: fmt.number(x)),
        "mean orders": s["frequency"].map(lambda x: fmt.number(x, 1)),
        "mean revenue": s["monetary"].map(lambda x: _money(r, x)), "average order value": s["aov"].map(lambda x: _money(r, x)),
    })


def champion_multiple(r: PersonasResult) -> float:
    """Mean spend of customers with R and F scores of 4–5, as a multiple of the average customer's."""
    s = r.scores
    return float(s.loc[(s["r_score"] >= 4) & (s["f_score"] >= 4), "monetary"].mean() / r.rfm["monetary"].mean())


def rf_sentence(r: PersonasResult) -> str:
    s = r.scores
    cell = s.loc[(s["r_score"] >= 4) & (s["f_score"] >= 4), "monetary"]
    if cell.empty:
        return "No customer scores 4–5 on both recency and frequency."
    return (f"Recent, frequent customers (R and F scores of 4–5) spent {_money(r, cell.mean())} each on average, "
            f"{fmt.ratio(champion_multiple(r), 1)}× the average customer.")


def rf_title(r: PersonasResult) -> str:
    m = champion_multiple(r)
    return "Spend by recency and frequency score" if not np.isfinite(m) else f"Recent and frequent customers spend {fmt.ratio(m, 1)}× the average"


def concentration_sentence(r: PersonasResult) -> str:
    c = r.concentration
    return f"The top 10% of customers brought {_share(c.top_10_share)} of revenue and the top 20% {_share(c.top_20_share)}."


def concentration_title(r: PersonasResult) -> str:
    return f"The top 20% of customers bring {_share(r.concentration.top_20_share)} of revenue"


def segment_map_table(r: PersonasResult) -> pd.DataFrame:
    return pd.DataFrame([(n, f"{a[0]}–{a[1]}", f"{b[0]}–{b[1]}", f"{c[0]}–{c[1]}") for n, a, b, c in rfm.SEGMENT_MAPS[r.segment_map]],
                        columns=["segment", "R score", "F score", "M score"])


def segment_map_caption(r: PersonasResult) -> str:
    return f"RFM segment map '{r.segment_map}' (precedence: {r.precedence} match wins)"


# --------------------------------------------------------------------------- personas


def k_sentence(r: PersonasResult) -> str:
    """How many personas, by which rule, and how strong they are (the silhouette and stability rules)."""
    how = "chosen by the best silhouette among those tried" if r.k_auto and r.fit.method == "kmeans" else (
        "chosen by the lowest BIC among those tried" if r.k_auto else "set by the analyst")
    s = chosen_silhouette(r)
    if not personas_weak(r):
        return f"The data support {fmt.plural(r.fit.k, 'persona')} ({how}; {strength_text(r)})."
    reasons = []
    if not separated(r):
        reasons.append(f"weakly separated (silhouette {fmt.ratio(s)}, below the {fmt.ratio(SILHOUETTE_REASONABLE)} of a reasonable structure)")
    if stable(r) is False:
        reasons.append(f"unstable (bootstrap refits agree with them at an adjusted Rand index of {fmt.ratio(r.stability_ari)}, "
                       f"below {fmt.ratio(STABILITY_REASONABLE)})")
    return f"The {fmt.plural(r.fit.k, 'persona')} ({how}) are {fmt.join(reasons)}."


def k_title(r: PersonasResult) -> str:
    if personas_weak(r):
        return f"No number of personas separates customers clearly (best silhouette {fmt.ratio(r.fit.k_scores['silhouette'].max())})"
    return f"{fmt.plural(r.fit.k, 'persona')} separate customers best"


def feature_labels(r: PersonasResult) -> dict[str, str]:
    return {c: c.replace("_", " ").replace("category ", "share of plan: ").replace("channel ", "share via: ") for c in r.lift.columns}


def persona_names(r: PersonasResult) -> dict[int, str]:
    return dict(zip(r.profiles["persona_id"], r.profiles["name"]))


def _row(r: PersonasResult, pid):
    return r.profiles.set_index("persona_id").loc[pid]


def persona_sentence(r: PersonasResult, pid) -> str:
    row = _row(r, pid)
    return f"{_b(row['name'])}: {_share(row['customer_share'])} of customers, {_share(row['revenue_share'])} of revenue."


def persona_title(r: PersonasResult, pid) -> str:
    row = _row(r, pid)
    return f"{row['name']}: {_share(row['revenue_share'])} of revenue from {_share(row['customer_share'])} of customers"


def persona_note(r: PersonasResult, pid) -> str:
    """The persona card's profile lines: size, value, rhythm, expected value, mix, demographics (when known), action."""
    row = _row(r, pid)
    e = lambda x: html.escape(str(x), quote=False)  # noqa: E731
    parts = [
        f"<b>Size</b> {fmt.count(row['customers'])} customers ({_share(row['customer_share'])}), <b>revenue share</b> {_share(row['revenue_share'])}",
        f"<b>AOV</b> {_money(r, row['aov'])}, <b>orders</b> {fmt.number(row['frequency_mean'], 1)} on average, "
        f"{_share(row['one_time_share'])} bought once",
        f"<b>Last order</b> {fmt.days(row['recency_days_median'])} ago (median), customer for {fmt.days(row['tenure_days_median'])}",
        f"<b>Expected value</b> {_value(r, row)} over {horizon_text(r)}",
    ]
    if isinstance(row.get("top_categories"), str):
        parts.append(f"<b>Buys</b> {e(row['top_categories'])}; <b>through</b> {e(row.get('top_channels', '–'))}")
    demo = [f"{label} {e(row[col])}" for col, label in (("top_region", "region"), ("top_city_tier", "city"), ("top_gender", "gender"),
                                                       ("top_acquisition_channel", "acquired via")) if isinstance(row.get(col), str)]
    if "age_median" in row.index and pd.notna(row.get("age_median")):
        demo.insert(0, f"median age {fmt.number(row['age_median'])}")
    if demo:
        parts.append("<b>Typical customer</b> " + ", ".join(demo))
    parts.append(f"<b>Suggested action</b> {e(row['action'])}")
    return "<br>".join(parts)


def k_scores_table(r: PersonasResult) -> pd.DataFrame:
    return r.fit.k_scores.round(3)


def k_scores_caption(r: PersonasResult) -> str:
    return f"Persona model selection ({r.fit.method})"


# --------------------------------------------------------------------------- lifecycle


def thresholds_note(r: PersonasResult) -> str:
    d = r.lifecycle_days
    return (f"Thresholds used: new ≤ {fmt.days(d['new'])} of tenure, growing ≤ {fmt.days(d['growing'])}, "
            f"at risk after {fmt.days(d['at_risk'])} of silence, dormant after {fmt.days(d['dormant'])}.")


def _active(row) -> int:
    return int(row[["new", "growing", "mature"]].sum())


def lifecycle_sentence(r: PersonasResult) -> str:
    """Active customers now against the previous snapshot (up, down or level), and the dormant count."""
    now = r.stage_counts.iloc[-1]
    if len(r.stage_counts) < 2:
        return f"{fmt.count(_active(now))} customers are active today ({_share(_active(now) / max(now.sum(), 1))}); {fmt.count(now['dormant'])} are dormant."
    prev = r.stage_counts.iloc[-2]
    a, b = _active(now), _active(prev)
    move = "up" if a > b else "down" if a < b else "level"
    return (f"{fmt.count(a)} customers are active today ({_share(a / max(now.sum(), 1))}), {move} from {fmt.count(b)} at the previous "
            f"snapshot; {fmt.count(now['dormant'])} are dormant.").replace("level from", "level with")


def lifecycle_title(r: PersonasResult) -> str:
    now = r.stage_counts.iloc[-1]
    return f"{_share(now['dormant'] / max(now.sum(), 1))} of customers acquired so far are dormant"


def _kept(r: PersonasResult) -> float:
    t = r.transitions
    return float(t.loc["mature", "mature"] / t.loc["mature"].sum()) if t.loc["mature"].sum() else float("nan")


def transition_sentence(r: PersonasResult) -> str | None:
    """Share of mature customers still mature one snapshot later (``None`` without two snapshots)."""
    t = r.transitions
    if t is None:
        return None
    when = fmt.date(r.snapshots[-2], "day")
    if not t.loc["mature"].sum():
        return f"No customer was mature on {when}."
    slipped = int(t.loc["mature", ["at_risk", "dormant"]].sum())
    return f"Of the customers who were mature on {when}, {_share(_kept(r))} still are; {fmt.count(slipped)} slipped to at risk or dormant."


def transition_title(r: PersonasResult) -> str:
    k = _kept(r)
    return "Stage changes over the last period" if not np.isfinite(k) else f"{_share(k)} of mature customers stayed mature last period"


def snapshot_labels(r: PersonasResult) -> tuple[str, str]:
    return fmt.date(r.snapshots[-2], "day"), fmt.date(r.snapshots[-1], "day")


# --------------------------------------------------------------------------- cohorts


def partial_month_sentence(r: PersonasResult) -> str:
    """``''`` when the data end on a month's last day; else what was done with the partial last month."""
    c = r.cohorts
    if c.partial_month is None:
        return ""
    month = fmt.date(c.partial_month.to_timestamp(), "month")
    days = f"{fmt.plural(c.partial_days, 'day')} of {c.partial_month.days_in_month}"
    if not c.partial_left_out:
        return f" The data hold one month only, {month}, and only {days} of it: every share here is from a partial month."
    joined = f", and its {fmt.plural(c.partial_cohort, 'new customer')} with it" if c.partial_cohort else ""
    return f" The last month, {month}, is in the data for {days} only, so it is left out{joined}."


def retention_sentence(r: PersonasResult) -> str:
    m1, m6 = (r.month_retention(m) for m in RETENTION_MONTHS)
    if not len(m1):
        return "No cohort has been observed for a second month yet." + partial_month_sentence(r)
    return (f"On average {_share(m1.mean())} of a month's new customers order again in their second month"
            + (f" and {_share(m6.mean())} in their seventh." if len(m6) else ".") + partial_month_sentence(r))


def retention_title(r: PersonasResult) -> str:
    m1 = r.month_retention(1)
    return "Share of each cohort ordering, by month since acquisition" if not len(m1) else \
        f"About {_share(m1.mean())} of new customers come back the next month"


def cohort_value_sentence(r: PersonasResult) -> str:
    rpc = r.cohorts.revenue_per_customer
    at = rpc[VALUE_MONTH].dropna() if VALUE_MONTH in rpc.columns else pd.Series(dtype=float)
    if not len(at):
        return f"No cohort has been observed for {VALUE_MONTH} months yet; the lines show cumulative revenue per customer so far."
    return (f"After {VALUE_MONTH} months a customer has spent {_money(r, at.mean())} on average (cohorts range "
            f"{_money(r, at.min())}–{_money(r, at.max())}).")


# --------------------------------------------------------------------------- CLV


def clv_persona_sentence(r: PersonasResult) -> str:
    pv = r.persona_value
    best = pv.sort_values("clv_per_customer", ascending=False).iloc[0]
    return (f"{_b(best['group'])} are worth most per head: {_money(r, best['clv_per_customer'])} expected per customer over "
            f"{horizon_text(r)}, {_value(r, best)} in total{spend_caveat(r)}.")


def clv_persona_title(r: PersonasResult) -> str:
    best = r.persona_value.sort_values("clv_mean", ascending=False).iloc[0]
    return f"{best['group']} hold {_share(best['clv_mean'] / r.total_value['clv_mean'])} of expected value"


def value_label(r: PersonasResult) -> str:
    return f"expected {value_kind(r)} over {horizon_text(r)} ({discount_text(r)})"


def clv_table(r: PersonasResult) -> pd.DataFrame:
    pv = r.persona_value.sort_values("clv_mean", ascending=False)
    m = lambda x: _money(r, x)  # noqa: E731
    lo, hi = f"{fmt.mass(r.interval)} low", f"{fmt.mass(r.interval)} high"
    return pd.DataFrame({"persona": pv["group"], "customers": pv["customers"].map(fmt.count), "expected value": pv["clv_mean"].map(m),
                         lo: pv["clv_low"].map(m), hi: pv["clv_high"].map(m), "per customer": pv["clv_per_customer"].map(m)})


def p_alive_sentence(r: PersonasResult) -> str:
    """The persona most likely to have left (lowest median P(alive) among customers of known status), then the one-time buyers."""
    med = r.persona_p_alive().dropna()
    if med.empty:
        lead = "No customer has a known P(alive)."
    else:
        low = med.idxmin()
        lead = (f"{_b(low)} are the most likely to have left: median P(alive) {fmt.prob(med[low])}; across all customers of known "
                f"status it is {fmt.prob(r.value.customers['p_alive'].median())}.")
    return lead + " " + one_time_sentence(r)


def p_alive_title(r: PersonasResult) -> str:
    med = r.persona_p_alive().dropna()
    if med.empty:
        return "P(alive) by persona"
    low = med.idxmin()
    return f"{low}: median P(alive) {fmt.prob(med[low])}"


def one_time_sentence(r: PersonasResult) -> str:
    """What the purchase model can say about one-time buyers: a P(alive) that falls with silence, or nothing (unknown)."""
    one = r.one_time
    label = clv.model_label(r.purchase_model)
    if not len(one):
        return "Every customer has bought more than once."
    if r.one_time_unknown:
        return (f"{label} lets a customer drop out only after a repeat purchase, so it cannot tell whether the "
                f"{fmt.count(len(one))} one-time buyers are still there: their status is unknown, and they are left out of the "
                f"alive and gone counts and of personas.csv's p_alive.")
    return (f"{label} lets a one-time buyer drop out after the first purchase, so their P(alive) falls with silence: the "
            f"{fmt.count(len(one))} one-time buyers have a median P(alive) of {fmt.prob(one['p_alive'].median())} (highest "
            f"{fmt.prob(one['p_alive'].max())}).")


def status_sentence(r: PersonasResult) -> str:
    """Customers probably alive, probably gone and of unknown status, by the ALIVE_AT rule."""
    from playbook.personas import ALIVE_AT

    c = r.status_counts()
    text = (f"{fmt.count(c['alive'])} customers are probably still active (P(alive) ≥ {fmt.pct(ALIVE_AT, 0)}) and "
            f"{fmt.count(c['gone'])} have probably left")
    return text + (f"; {fmt.count(c['unknown'])} are of unknown status." if c["unknown"] else ".")


def top_value_share(r: PersonasResult) -> float:
    v = r.value.customers["clv_mean"].sort_values(ascending=False)
    return float(v.head(int(np.ceil(TOP_SHARE * len(v)))).sum() / v.sum())


def clv_concentration_sentence(r: PersonasResult) -> str:
    m, lo, hi = r.new_customer_purchases
    return (f"The 20% of customers with the highest expected value hold {_share(top_value_share(r))} of the future value; "
            f"a newly acquired customer is expected to make {fmt.estimate(m, lo, hi, fmt.number, digits=1)} purchases in their "
            f"first {fmt.plural(r.horizon, r.unit_name[:-1])}.")


def clv_concentration_title(r: PersonasResult) -> str:
    return f"Future value is concentrated: the top 20% hold {_share(top_value_share(r))}"


# --------------------------------------------------------------------------- appendix


def health(r: PersonasResult) -> tuple[str, str]:
    """The CLV models' convergence banner (R-hat, ESS, divergences), or a note that a MAP fit has no diagnostics."""
    d = r.diagnostics
    if d is None:
        return "The CLV models were fitted by MAP (posterior mode only): no intervals and no convergence diagnostics.", "warning"
    rhat = "not available (one chain)" if not np.isfinite(d.rhat_max) else fmt.ratio(d.rhat_max, 3)
    text = f"Convergence: largest R-hat {rhat}, smallest bulk ESS {fmt.count(d.ess_bulk_min)}, {fmt.plural(d.divergences, 'divergent transition')}."
    if d.converged:
        return text, "success"
    return text + " Missed: " + "; ".join(d.problems()) + ".", "warning"


def posterior_sentence(r: PersonasResult) -> str:
    p = r.purchase_params.set_index("parameter")["mean"]
    head = f"Posterior of the purchase model ({clv.model_label(r.purchase_model)}): mean purchase rate r/α = {fmt.ratio(p['r'] / p['alpha'], 3)} per {r.unit_name[:-1]}, "
    if r.purchase_model == "pareto":
        return head + f"mean dropout rate s/β = {fmt.ratio(p['s'] / p['beta'], 4)} per {r.unit_name[:-1]}."
    when = "after each repeat purchase" if r.purchase_model == "bgnbd" else "after each purchase, the first included"
    return head + f"mean dropout probability a/(a+b) = {fmt.ratio(p['a'] / (p['a'] + p['b']))} {when}."


def posterior_title(r: PersonasResult) -> str:
    names = ", ".join(clv.PURCHASE_MODELS[r.purchase_model][1])
    return f"Posterior draws of the {clv.model_label(r.purchase_model)} ({names}) and Gamma-Gamma (p, q, v) parameters"


def parameter_table(r: PersonasResult) -> pd.DataFrame:
    parts = [r.bg_params.assign(model="BG/NBD")]
    if r.purchase_model != "bgnbd":
        parts.append(r.purchase_params.assign(model=clv.model_label(r.purchase_model)))
    params = pd.concat(parts + [r.gg_params.assign(model="Gamma-Gamma")])
    g = lambda d: (lambda x: fmt.MISSING if fmt.is_missing(x) else f"{x:.{d}g}")  # noqa: E731
    return pd.DataFrame({
        "model": params["model"], "parameter": params["parameter"], "mean": params["mean"].map(g(3)), "sd": params["sd"].map(g(2)),
        f"{fmt.mass(r.interval)} low": params["hdi_low"].map(g(3)), f"{fmt.mass(r.interval)} high": params["hdi_high"].map(g(3)),
        "R-hat": params["r_hat"].map(lambda x: fmt.ratio(x, 3)), "bulk ESS": params["ess_bulk"].map(fmt.count),
        "tail ESS": params["ess_tail"].map(fmt.count),
    })


def parameter_caption(r: PersonasResult) -> str:
    return (f"Posterior means, {fmt.interval_label(r.interval, 'HDIs')} and convergence diagnostics "
            f"({mcmc_describe(r)}; R-hat ≤ {mcmc.RHAT_MAX} and bulk ESS ≥ {fmt.count(mcmc.ESS_BULK_PER_CHAIN_MIN)} per chain mean it converged)")


def summary_table(r: PersonasResult) -> pd.DataFrame:
    d = r.btyd[["frequency", "recency", "T", "monetary_value"]].describe().T
    return d.map(lambda x: fmt.number(x, 2)).reset_index().rename(columns={"index": "summary column"})


def summary_caption(r: PersonasResult) -> str:
    return f"Customer summary for the CLV models (durations in {r.unit_name})"


def assumptions(r: PersonasResult) -> pd.DataFrame:
    """The rules and constants behind the report's sentences."""
    return pd.DataFrame([
        ("Personas strong", f"silhouette ≥ {fmt.ratio(SILHOUETTE_REASONABLE)} (Kaufman & Rousseeuw) and mean bootstrap ARI ≥ "
                            f"{fmt.ratio(STABILITY_REASONABLE)} (Hennig); otherwise weak, and the RFM segments lead"),
        ("Gamma-Gamma independence", f"|Pearson correlation of frequency and average spend| < {fmt.ratio(clv.GG_CORRELATION_MAX)} "
                                     "among repeat customers; at or above it CLV is flagged as biased"),
        ("Purchase model", "lowest holdout error among BG/NBD, MBG/NBD and Pareto/NBD (MAP fits on the orders before the "
                           "calibration date; error = customer-weighted mean absolute gap between predicted and actual repeat "
                           "purchases per calibration-frequency bucket, 7+ pooled), unless purchase_model sets it"),
        ("Alive or gone", "probably alive at P(alive) ≥ 50%, probably gone below; one-time buyers of unknown status when the "
                          "purchase model lets no one drop out before a repeat purchase (BG/NBD)"),
        ("Number of personas", f"{k_rule(r)}; k-means or Gaussian mixture as set by persona_method"),
        ("Intervals", f"{fmt.interval_label(r.interval)} (equal-tailed over posterior draws; HDIs for parameters)"),
        ("CLV", f"{value_kind(r)} (margin {fmt.pct(r.margin, 0)} of revenue) over {horizon_text(r)[4:]}, {discount_text(r)}; "
                "each step of the horizon discounted to its midpoint"),
        ("Lifecycle", thresholds_note(r)),
    ], columns=["rule", "value"])


# --------------------------------------------------------------------------- weekly brief

#: The report section the win-back line links to (the notebook's ``##`` heading).
SECTION_LIFECYCLE = "Lifecycle"
#: The RFM segment whose at-risk customers the win-back line names first.
CANT_LOSE = "Can't lose them"
NO_RISK = "none flagged"


def _risk(items: list[str]) -> str:
    """Risks as one plain sentence part ("; "-joined, without their own full stops), or :data:`NO_RISK`."""
    return "; ".join(i.strip().rstrip(".") for i in items) or NO_RISK


def _silence(r: PersonasResult) -> str:
    d = r.lifecycle_days
    return f"silent for {d['at_risk']}–{d['dormant']} days"


def brief_risks(r: PersonasResult) -> list[str]:
    """What would make the win-back line wrong, from the analysis's own checks (plain text)."""
    out = []
    if personas_weak(r):
        out.append(f"weak personas (silhouette {fmt.ratio(chosen_silhouette(r))}"
                   + (f", stability {fmt.ratio(r.stability_ari)}" if stable(r) is False else "") + "): target by RFM segment")
    ok = r.independence.ok
    if ok is False:
        out.append(f"spend-based CLV biased: frequency and spend per order correlate at {fmt.ratio(r.independence.correlation)} "
                   "(Gamma-Gamma check failed)")
    elif ok is None:
        out.append(f"spend model unchecked: {fmt.plural(r.independence.customers, 'repeat customer')}")
    d = r.diagnostics
    if d is None:
        out.append("CLV fitted by MAP: no posterior interval")
    elif not d.converged:
        out.append("CLV fit did not converge (" + "; ".join(d.problems()) + ")")
    if r.one_time_unknown:
        one = set(r.one_time["customer_id"])
        n = int(r.at_risk["customer_id"].isin(one).sum()) if len(r.at_risk) else len(one)
        if n:
            where = " at risk" if len(r.at_risk) else ""
            out.append(f"{fmt.plural(n, 'one-time buyer')}{where} of unknown status under {clv.model_label(r.purchase_model)}")
    if r.warnings:
        files = sorted({str(w.file).replace("\\", "/").rsplit("/", 1)[-1] for w in r.warnings})
        out.append(f"{fmt.plural(len(r.warnings), 'data warning')} on {fmt.join(files)}")
    if r.smoke:
        out.append("smoke run: rough intervals")
    return out


def brief(r: PersonasResult) -> list[dict]:
    """The weekly brief's win-back line: the at-risk customers and the discounted value at stake, or that none is at risk."""
    arv = r.at_risk_value
    risk = _risk(brief_risks(r))
    if arv is None:
        return [{"kind": "personas_winback", "decision": f"No customers to win back: none is at risk ({_silence(r)})",
                 "evidence": f"0 of {fmt.count(r.customers)} customers in the at-risk lifecycle stage", "risk": risk,
                 "section": SECTION_LIFECYCLE, "money_at_stake": None, "action": "no win-back needed"}]
    at_risk = r.at_risk
    n = len(at_risk)
    seg = r.scores.set_index("customer_id")["rfm_segment"].reindex(at_risk["customer_id"])
    cant = int((seg == CANT_LOSE).sum())
    first = f", first the {fmt.count(cant)} in {CANT_LOSE}" if cant else ""
    money = _money(r, arv["clv_mean"])
    decision = (f"Win back the {fmt.count(n)} at-risk customers ({_silence(r)}){first}: {money} of {value_kind(r)} at stake "
                f"over {horizon_text(r)}")
    p = r.activation().loc[lambda a: a["lifecycle"] == "at_risk", "p_alive"]
    alive = f"; median P(alive) {fmt.prob(p.median())}" if p.notna().any() else "; P(alive) unknown"
    evidence = (f"expected {value_kind(r)} of the {fmt.count(n)} at-risk customers ({_share(n / r.customers)} of customers) over "
                f"{horizon_text(r)}, {discount_text(r)}: {_value(r, arv)} ({_label(r)}); spent {_money(r, at_risk['monetary'].sum())} "
                f"so far{alive}")
    return [{"kind": "personas_winback", "decision": decision, "evidence": evidence, "risk": risk, "section": SECTION_LIFECYCLE,
             "money_at_stake": float(arv["clv_mean"]), "value": float(arv["clv_mean"]), "low": float(arv["clv_low"]),
             "high": float(arv["clv_high"]), "action": "win back at-risk customers"}]


def scope(r: PersonasResult) -> str:
    """The report's opening scope line: order revenue of every order, how many customers, first order to observation end."""
    measure = "order revenue as the order book records it, every order (first and repeat)"
    who = f"{fmt.plural(r.customers, 'customer')} with {fmt.plural(r.orders, 'order')}"
    return fmt.scope(measure, who, r.first_date, r.end)
