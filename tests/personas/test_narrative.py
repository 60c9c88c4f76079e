"""Every branch of playbook.personas.narrative, on one small MAP-fitted result and hand-made variants of it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.personas import narrative

from . import factory
from .factory import CONVERGED, FAILED, ONE_CHAIN, variant, with_silhouette


@pytest.fixture(scope="module")
def r():
    return factory.base()


@pytest.fixture(scope="module")
def strong(r):
    return with_silhouette(r, 0.62)


@pytest.fixture(scope="module")
def weak(r):
    return with_silhouette(r, 0.26)


def no_at_risk(r):
    rfm = r.rfm.assign(lifecycle=r.rfm["lifecycle"].replace({"at_risk": "mature"}))
    return variant(r, rfm=rfm, lifecycle_value=r.lifecycle_value.drop(index="at_risk", errors="ignore"))


# --------------------------------------------------------------------------- persona strength


def test_silhouette_rule_calls_personas_weak_below_the_threshold(strong, weak):
    assert not narrative.personas_weak(strong) and narrative.personas_weak(weak)
    assert narrative.personas_weak(with_silhouette(strong, float("nan")))
    assert narrative.personas_weak(with_silhouette(strong, narrative.SILHOUETTE_REASONABLE - 1e-9))
    assert not narrative.personas_weak(with_silhouette(strong, narrative.SILHOUETTE_REASONABLE))


def test_stability_rule(strong):
    unstable = with_silhouette(strong, 0.62, stability=0.5)
    assert narrative.personas_weak(unstable) and narrative.stable(unstable) is False
    text = narrative.k_sentence(unstable)
    assert "unstable (bootstrap refits agree with them at an adjusted Rand index of 0.50, below 0.75)" in text
    assert "weakly separated" not in text
    both = with_silhouette(strong, 0.2, stability=0.4)
    assert "weakly separated (silhouette 0.20" in narrative.k_sentence(both) and " and unstable (" in narrative.k_sentence(both)
    unknown = with_silhouette(strong, 0.62, stability=None)
    assert narrative.stable(unknown) is None and not narrative.personas_weak(unknown)
    assert "bootstrap" not in narrative.k_sentence(unknown)
    assert narrative.stable(with_silhouette(strong, 0.62, stability=narrative.STABILITY_REASONABLE)) is True


def test_k_rule(strong):
    assert narrative.k_rule(strong) == "highest silhouette among the k tried"
    assert narrative.k_rule(variant(strong, k_auto=False)) == "set by the analyst (n_personas)"
    assert narrative.k_rule(variant(strong, fit=factory.replace(strong.fit, method="gmm"))) == "lowest BIC among the k tried"


def test_k_sentence_states_rule_and_strength(strong, weak):
    assert narrative.k_sentence(strong).startswith(f"The data support {strong.fit.k} personas (chosen by the best silhouette")
    assert "silhouette 0.62, bootstrap stability 0.90 (adjusted Rand index over 10 resamples)" in narrative.k_sentence(strong)
    text = narrative.k_sentence(weak)
    assert "weakly separated (silhouette 0.26, below the 0.50 of a reasonable structure)" in text and "data support" not in text
    assert "unstable" not in text
    assert "set by the analyst" in narrative.k_sentence(variant(strong, k_auto=False))
    gmm = variant(strong, fit=factory.replace(strong.fit, method="gmm"))
    assert "lowest BIC" in narrative.k_sentence(gmm)
    assert narrative.k_title(weak).startswith("No number of personas separates customers clearly")
    assert narrative.k_title(strong) == f"{strong.fit.k} personas separate customers best"


def test_weak_personas_let_the_rfm_segments_lead(strong, weak):
    weak_findings, strong_findings = narrative.findings(weak), narrative.findings(strong)
    assert "The RFM segments, a fixed rule, lead this report." in weak_findings[2]
    assert "rough groupings" in weak_findings[3]
    assert all("rough groupings" not in f for f in strong_findings)
    assert strong_findings[2].startswith(f"{strong.fit.k} behavioural personas:<ul>")
    assert any("weakly separated" in text for text, level in narrative.banners(weak) if level == "warning")
    assert not any("weakly separated" in text for text, _ in narrative.banners(strong))


# --------------------------------------------------------------------------- summary, tiles, banners


def test_findings_state_the_numbers_with_their_interval(strong):
    f = narrative.findings(strong)
    assert f[0].startswith(f"{strong.customers:,} customers placed {strong.orders:,} orders")
    assert "90% interval [$" in f[1] and "over the next 26 weeks" in f[1]
    assert f[-1].count("at risk") == 1 and "median P(alive)" in f[-1]


def test_without_customers_at_risk_the_summary_says_so_and_drops_the_value_tile(strong):
    nr = no_at_risk(strong)
    assert nr.at_risk_value is None
    assert narrative.findings(nr)[-1].startswith("No customer is at risk")
    labels = [t.label for t in narrative.tiles(nr)]
    assert "Value at stake" not in labels and len(labels) == 4
    assert [t.tone for t in narrative.tiles(nr) if t.label == "Customers at risk"] == [""]


def test_tiles_with_customers_at_risk(strong):
    tiles = narrative.tiles(strong)
    assert [t.label for t in tiles][-1] == "Value at stake" and tiles[-1].tone == "warn"
    assert tiles[2].label == "Expected value, next 26 weeks" and tiles[2].detail.startswith("90% interval [")
    assert narrative.tiles(variant(strong, interval=0.8))[2].detail.startswith("80% interval [")


def test_banners_smoke_and_missing_customers_file(strong):
    assert narrative.banners(strong) == []
    smoke = narrative.banners(variant(strong, smoke=True))
    assert smoke[0][1] == "warning" and smoke[0][0].startswith("Smoke run: the CLV models ran a MAP fit")
    bare = narrative.banners(variant(strong, has_customers=False))
    assert bare == [("No customers.csv: personas are formed from orders alone (as always) and described without demographics.", "info")]


# --------------------------------------------------------------------------- RFM


def test_segment_sentence_counts_empty_segments(strong):
    segs = strong.segments.copy()
    segs.loc[segs["group"] == "Lost", ["customers", "customer_share", "revenue", "revenue_share"]] = 0
    one_empty = variant(strong, segments=segs)
    expected_empty = int((segs["customers"] == 0).sum())
    assert f"{expected_empty} of the {len(segs)} segments are empty." in narrative.segment_sentence(one_empty)
    assert "Lost" not in set(narrative.shown_segments(one_empty)["group"])
    full = segs.assign(customers=segs["customers"].replace(0, 1))
    assert narrative.segment_sentence(variant(strong, segments=full)).endswith(f"every one of the {len(segs)} segments has customers.")


def test_best_segment_is_the_largest_revenue_share(strong):
    best = narrative.best_segment(strong)
    assert best["revenue_share"] == strong.segments["revenue_share"].max()
    assert narrative.segment_sentence(strong).startswith(f"<b>{best['group']}</b> are")


def test_rf_sentence_with_and_without_recent_frequent_customers(strong):
    assert "× the average customer" in narrative.rf_sentence(strong)
    scores = strong.scores.assign(f_score=1)
    none = variant(strong, scores=scores)
    assert narrative.rf_sentence(none) == "No customer scores 4–5 on both recency and frequency."
    assert narrative.rf_title(none) == "Spend by recency and frequency score"


def test_names_from_the_data_are_escaped(strong):
    prof = strong.profiles.copy()
    prof.loc[0, "name"] = "<script>x</script>"
    r = variant(strong, profiles=prof)
    text = narrative.persona_sentence(r, prof.loc[0, "persona_id"])
    assert "<script>" not in text and "&lt;script&gt;" in text


# --------------------------------------------------------------------------- persona cards


def test_persona_note_lists_demographics_only_when_known(strong):
    pid = strong.profiles["persona_id"].iloc[0]
    note = narrative.persona_note(strong, pid)
    assert "<b>Typical customer</b> median age" in note and "region" in note and "<b>Buys</b>" in note
    bare = factory.base(with_customers=False)
    assert "Typical customer" not in narrative.persona_note(bare, bare.profiles["persona_id"].iloc[0])
    assert "Suggested action" in note


# --------------------------------------------------------------------------- lifecycle


def test_lifecycle_sentence_up_down_level_and_one_snapshot(strong):
    counts = strong.stage_counts
    up = counts.copy()
    up.iloc[-2] = 0
    up.iloc[-2, up.columns.get_loc("dormant")] = 7
    assert ", up from 0 at the previous snapshot" in narrative.lifecycle_sentence(variant(strong, stage_counts=up))
    down = counts.copy()
    down.iloc[-2, down.columns.get_loc("mature")] = int(counts.iloc[-1][["new", "growing", "mature"]].sum()) + 5
    assert ", down from " in narrative.lifecycle_sentence(variant(strong, stage_counts=down))
    level = counts.copy()
    level.iloc[-2] = level.iloc[-1]
    assert ", level with " in narrative.lifecycle_sentence(variant(strong, stage_counts=level))
    one = narrative.lifecycle_sentence(variant(strong, stage_counts=counts.iloc[-1:]))
    assert "previous snapshot" not in one and one.endswith("are dormant.")


def test_transition_sentence_branches(strong):
    assert narrative.transition_sentence(variant(strong, transitions=None)) is None
    t = strong.transitions.copy()
    t.loc["mature"] = 0
    assert narrative.transition_sentence(variant(strong, transitions=t)).startswith("No customer was mature on")
    assert narrative.transition_title(variant(strong, transitions=t)) == "Stage changes over the last period"
    t2 = strong.transitions.copy()
    t2.loc["mature"] = 0
    t2.loc["mature", "mature"], t2.loc["mature", "dormant"] = 3, 1
    text = narrative.transition_sentence(variant(strong, transitions=t2))
    assert "75% still are; 1 slipped to at risk or dormant." in text


def test_thresholds_note_states_every_threshold(strong):
    assert narrative.thresholds_note(strong) == (
        "Thresholds used: new ≤ 7 days of tenure, growing ≤ 90 days, at risk after 90 days of silence, dormant after 180 days.")


# --------------------------------------------------------------------------- cohorts


def _cohorts(r, months):
    c = r.cohorts
    keep = [m for m in c.retention.columns if m in months]
    return factory.replace(c, retention=c.retention[keep], revenue_per_customer=c.revenue_per_customer[keep])


def test_retention_sentence_branches(strong):
    assert narrative.retention_sentence(variant(strong, cohorts=_cohorts(strong, [0]))) == \
        "No cohort has been observed for a second month yet."
    only1 = narrative.retention_sentence(variant(strong, cohorts=_cohorts(strong, [0, 1])))
    assert only1.endswith("in their second month.")
    both = narrative.retention_sentence(strong)
    assert "in their second month and" in both and both.endswith("in their seventh.")


def test_cohort_value_sentence_with_and_without_a_year_of_data(strong):
    assert narrative.cohort_value_sentence(strong).startswith("After 12 months a customer has spent $")
    short = variant(strong, cohorts=_cohorts(strong, range(6)))
    assert narrative.cohort_value_sentence(short).startswith("No cohort has been observed for 12 months yet")


# --------------------------------------------------------------------------- CLV


def test_clv_sentences_pick_by_rule(strong):
    pv = strong.persona_value
    best = pv.sort_values("clv_per_customer", ascending=False).iloc[0]
    assert narrative.clv_persona_sentence(strong).startswith(f"<b>{best['group']}</b> are worth most per head")
    low = strong.persona_p_alive().idxmin()
    assert narrative.p_alive_sentence(strong).startswith(f"<b>{low}</b> are the most likely to have left")
    share = narrative.top_value_share(strong)
    assert 0.2 <= share <= 1
    assert f"hold {round(share * 100)}% of the future value" in narrative.clv_concentration_sentence(strong)


def test_clv_table_labels_its_interval(strong):
    assert {"90% low", "90% high"} <= set(narrative.clv_table(strong).columns)
    assert {"80% low", "80% high"} <= set(narrative.clv_table(variant(strong, interval=0.8)).columns)


# --------------------------------------------------------------------------- appendix


@pytest.mark.parametrize(
    ("diag", "level", "needle"),
    [
        (None, "warning", "fitted by MAP"),
        (CONVERGED, "success", "largest R-hat 1.002"),
        (FAILED, "warning", "Missed: R-hat 1.050 above 1.01"),
        (ONE_CHAIN, "success", "not available (one chain)"),
    ],
)
def test_health_banner(strong, diag, level, needle):
    text, got = narrative.health(variant(strong, diagnostics=diag))
    assert got == level and needle in text


def test_appendix_tables(strong):
    assert list(narrative.segment_map_table(strong)["segment"])[0] == "Champions"
    assert "precedence: last match wins" in narrative.segment_map_caption(strong)
    table = narrative.parameter_table(strong)
    assert list(table["parameter"]) == ["r", "alpha", "a", "b"] * 2 + ["p", "q", "v"]
    assert list(table["model"].unique()) == ["BG/NBD", "MBG/NBD", "Gamma-Gamma"]
    assert list(narrative.parameter_table(factory.base(purchase_model="bgnbd"))["model"].unique()) == ["BG/NBD", "Gamma-Gamma"]
    assert "90% HDIs" in narrative.parameter_caption(strong)
    a = narrative.assumptions(strong)
    assert "silhouette ≥ 0.50" in a.set_index("rule").loc["Personas strong", "value"]
    assert "mean bootstrap ARI ≥ 0.75" in a.set_index("rule").loc["Personas strong", "value"]
    assert narrative.summary_caption(strong) == "Customer summary for the CLV models (durations in weeks)"
    assert np.isfinite(narrative.posterior_sentence(strong).count("r/α"))
    assert isinstance(narrative.k_scores_table(strong), pd.DataFrame)


# --------------------------------------------------------------------------- one-time buyers


def test_one_time_buyers_have_a_p_alive_under_mbgnbd(strong):
    assert strong.purchase_model == "mbgnbd" and not strong.one_time_unknown
    text = narrative.one_time_sentence(strong)
    assert text.startswith("MBG/NBD lets a one-time buyer drop out after the first purchase")
    assert f"the {len(strong.one_time):,} one-time buyers have a median P(alive)" in text
    assert "dropout probability a/(a+b)" in narrative.posterior_sentence(strong) and "the first included" in narrative.posterior_sentence(strong)


def test_one_time_buyers_are_unknown_under_bgnbd():
    bg = factory.base(purchase_model="bgnbd")
    assert bg.one_time_unknown
    assert narrative.one_time_sentence(bg).startswith("BG/NBD lets a customer drop out only after a repeat purchase")
    assert "status is unknown" in narrative.p_alive_sentence(bg)
    counts = bg.status_counts()
    assert counts["unknown"] == len(bg.one_time) > 0
    assert narrative.status_sentence(bg).endswith(f"{counts['unknown']:,} are of unknown status.")
    assert "after each repeat purchase" in narrative.posterior_sentence(bg)


def test_status_sentence_without_unknowns(strong):
    c = strong.status_counts()
    assert c["unknown"] == 0 and c["alive"] + c["gone"] == strong.customers
    assert narrative.status_sentence(strong).endswith("have probably left.")


def test_every_customer_a_repeat_buyer(strong):
    none = variant(strong, btyd=strong.btyd.assign(frequency=1))
    assert narrative.one_time_sentence(none) == "Every customer has bought more than once."


def test_at_risk_finding_when_all_at_risk_customers_are_of_unknown_status(strong):
    v = strong.value
    at_risk_ids = set(strong.at_risk["customer_id"])
    customers = v.customers.assign(p_alive=v.customers["p_alive"].where(~v.customers["customer_id"].isin(at_risk_ids)))
    r = variant(strong, value=factory.replace(v, customers=customers))
    assert "P(alive) unknown" in narrative.findings(r)[-1]
    some = v.customers.assign(p_alive=v.customers["p_alive"].where(v.customers.index % 2 == 0))
    r2 = variant(strong, value=factory.replace(v, customers=some))
    assert "among the" in narrative.findings(r2)[-1] and "with a repeat purchase" in narrative.findings(r2)[-1]


# --------------------------------------------------------------------------- the Gamma-Gamma check


def _independence(r, corr, n=300):
    return variant(r, independence=factory.replace(r.independence, correlation=corr, customers=n))


def test_gamma_gamma_check_passed_adds_no_caveat(strong):
    ok = _independence(strong, 0.1)
    assert narrative.spend_caveat(ok) == ""
    assert narrative.independence_sentence(ok).endswith("independence assumption holds.")
    assert not any("Gamma-Gamma" in t for t, _ in narrative.banners(ok))
    assert narrative.tiles(ok)[2].tone == ""


def test_gamma_gamma_check_failed_warns_and_every_clv_figure_carries_the_caveat(strong):
    bad = _independence(strong, 0.44)
    assert "correlate at 0.44 (Pearson), at or above the 0.30 threshold" in narrative.independence_sentence(bad)
    assert any("spend-based CLV is biased" in t and lvl == "warning" for t, lvl in narrative.banners(bad))
    assert "biased" in narrative.findings(bad)[1] and "biased" in narrative.clv_persona_sentence(bad)
    assert narrative.tiles(bad)[2].tone == "warn"
    assert "biased" in narrative.findings(_independence(strong, -0.5))[1]  # a negative correlation breaks it too


def test_gamma_gamma_check_impossible(strong):
    none = _independence(strong, float("nan"), n=2)
    assert "could not be checked: 2 repeat customers" in narrative.independence_sentence(none)
    assert "unchecked" in narrative.spend_caveat(none)


# --------------------------------------------------------------------------- CLV in finance terms


def test_clv_is_discounted_margin_in_words(strong):
    assert narrative.value_kind(strong) == "margin" and narrative.discount_text(strong) == "discounted at 10% a year"
    assert "of margin over the next 26 weeks, discounted at 10% a year" in narrative.findings(strong)[1]
    assert narrative.value_label(strong) == "expected margin over the next 26 weeks (discounted at 10% a year)"
    plain = variant(strong, margin=1.0, discount_rate=0.0)
    assert narrative.value_kind(plain) == "revenue" and narrative.discount_text(plain) == "undiscounted"
    assert any(t.startswith("No margin set (margin = 100%)") and lvl == "info" for t, lvl in narrative.banners(plain))
    assert not any(t.startswith("No margin set") for t, _ in narrative.banners(strong))
    assert narrative.discount_text(variant(strong, discount_rate=0.075)) == "discounted at 7.5% a year"


# --------------------------------------------------------------------------- the partial last cohort month


def test_partial_month_sentence_branches(strong):
    c = strong.cohorts
    whole = variant(strong, cohorts=factory.replace(c, partial_month=None, partial_days=0, partial_cohort=0, partial_left_out=False))
    assert narrative.partial_month_sentence(whole) == ""
    left = variant(strong, cohorts=factory.replace(c, partial_month=pd.Period("2025-12", "M"), partial_days=28, partial_cohort=40,
                                                   partial_left_out=True))
    assert narrative.retention_sentence(left).endswith(
        " The last month, Dec 2025, is in the data for 28 days of 31 only, so it is left out, and its 40 new customers with it.")
    none_new = variant(strong, cohorts=factory.replace(left.cohorts, partial_cohort=0))
    assert narrative.partial_month_sentence(none_new).endswith("so it is left out.")
    only = variant(strong, cohorts=factory.replace(left.cohorts, partial_left_out=False))
    assert "The data hold one month only, Dec 2025" in narrative.partial_month_sentence(only)


# --------------------------------------------------------------------------- the purchase models compared


def test_model_sentence_from_the_holdout_check(strong):
    c = strong.comparison
    assert c.compared and set(c.candidates) == {"bgnbd", "mbgnbd", "pareto"}
    text = narrative.model_sentence(strong)
    assert text.startswith("Fitted on the orders up to ") and "purchases per customer" in text
    if c.rule.startswith("lowest"):
        assert text.endswith(f"{narrative.clv.model_label(strong.purchase_model)}, the closest, is used.")
    errs = {m: x.holdout_error for m, x in c.candidates.items()}
    assert text.index(narrative.clv.model_label(min(errs, key=errs.get))) < text.index(narrative.clv.model_label(max(errs, key=errs.get)))


def test_model_sentence_override_default_and_failed_candidate(strong):
    c = strong.comparison
    over = variant(strong, comparison=factory.replace(c, rule="set by the analyst (purchase_model)"))
    assert narrative.model_sentence(over).endswith("is used, as set by the analyst.")
    none = variant(strong, comparison=factory.holdout.Comparison("mbgnbd", "default: fewer than 50 calibration customers", None, 0.0,
                                                                 reason="12 customers in the calibration period"))
    assert narrative.model_sentence(none) == ("MBG/NBD is the purchase model (the default); no holdout comparison was made: "
                                              "12 customers in the calibration period.")
    assert narrative.model_title(none) == "No holdout check"
    broken = dict(c.candidates)
    broken["pareto"] = factory.replace(broken["pareto"], holdout_error=float("inf"))
    text = narrative.model_sentence(variant(strong, comparison=factory.replace(c, candidates=broken)))
    assert "(Pareto/NBD could not be fitted)" in text



# --------------------------------------------------------------------------- weekly brief


def _converged(r):
    return _independence(variant(r, diagnostics=CONVERGED), 0.1)


def test_brief_names_the_at_risk_customers_and_the_value_at_stake(strong):
    r = _converged(strong)
    [line] = narrative.brief(r)
    arv = r.at_risk_value
    n = len(r.at_risk)
    assert line["kind"] == "personas_winback" and line["section"] == "Lifecycle" == narrative.SECTION_LIFECYCLE
    assert line["decision"].startswith(f"Win back the {n:,} at-risk customers (silent for 90–180 days)")
    assert "of margin at stake over the next 26 weeks" in line["decision"]
    assert line["money_at_stake"] == line["value"] == pytest.approx(arv["clv_mean"])
    assert (line["low"], line["high"]) == (pytest.approx(arv["clv_low"]), pytest.approx(arv["clv_high"]))
    assert f"expected margin of the {n:,} at-risk customers" in line["evidence"]
    assert "discounted at 10% a year" in line["evidence"] and "(90% interval)" in line["evidence"]
    assert narrative._value(r, arv) in line["evidence"] and "median P(alive)" in line["evidence"]
    assert line["action"] == "win back at-risk customers" and not any(ch.isdigit() for ch in line["action"])
    assert line["risk"] == "none flagged"
    assert r.results()["brief"] == narrative.brief(r)


def test_brief_in_revenue_without_a_margin_and_the_cant_lose_segment_first(strong):
    r = variant(_converged(strong), margin=1.0)
    assert "of revenue at stake" in narrative.brief(r)[0]["decision"]
    assert "expected revenue of the" in narrative.brief(r)[0]["evidence"]
    ids = list(r.at_risk["customer_id"][:3])
    scores = r.scores.assign(rfm_segment=r.scores["rfm_segment"].where(~r.scores["customer_id"].isin(ids), narrative.CANT_LOSE))
    assert ", first the 3 in Can't lose them:" in narrative.brief(variant(r, scores=scores))[0]["decision"]


def test_brief_when_nobody_is_at_risk(strong):
    [line] = narrative.brief(no_at_risk(_converged(strong)))
    assert line["decision"] == "No customers to win back: none is at risk (silent for 90–180 days)"
    assert line["money_at_stake"] is None and "value" not in line and line["action"] == "no win-back needed"
    assert line["evidence"] == f"0 of {strong.customers:,} customers in the at-risk lifecycle stage"
    assert line["section"] == "Lifecycle" and line["risk"] == "none flagged"


def test_brief_at_risk_customers_of_unknown_status(strong):
    v = strong.value
    ids = set(strong.at_risk["customer_id"])
    customers = v.customers.assign(p_alive=v.customers["p_alive"].where(~v.customers["customer_id"].isin(ids)))
    assert narrative.brief(variant(_converged(strong), value=factory.replace(v, customers=customers)))[0]["evidence"].endswith(
        "; P(alive) unknown")


def test_brief_risks_from_the_analysis_checks(strong):
    from playbook.results import DataWarning

    ok = _converged(strong)
    assert narrative.brief_risks(ok) == []
    assert narrative.brief_risks(with_silhouette(ok, 0.26)) == ["weak personas (silhouette 0.26): target by RFM segment"]
    assert narrative.brief_risks(with_silhouette(ok, 0.62, stability=0.5)) == [
        "weak personas (silhouette 0.62, stability 0.50): target by RFM segment"]
    assert narrative.brief_risks(_independence(ok, 0.44)) == [
        "spend-based CLV biased: frequency and spend per order correlate at 0.44 (Gamma-Gamma check failed)"]
    assert narrative.brief_risks(_independence(ok, float("nan"), n=2)) == ["spend model unchecked: 2 repeat customers"]
    assert narrative.brief_risks(variant(ok, diagnostics=None)) == ["CLV fitted by MAP: no posterior interval"]
    assert narrative.brief_risks(variant(ok, diagnostics=FAILED)) == [
        "CLV fit did not converge (R-hat 1.050 above 1.01; bulk ESS 40 below 200; 3 divergent transitions)"]
    warned = variant(ok, warnings=[DataWarning("data/orders.csv", "3 rows", "a", "b"), DataWarning("orders.csv", "1 row", "c", "d"),
                                   DataWarning("customers.csv", "2 rows", "e", "f")])
    assert narrative.brief_risks(warned) == ["3 data warnings on customers.csv and orders.csv"]
    assert narrative.brief_risks(variant(ok, smoke=True)) == ["smoke run: rough intervals"]
    both = narrative.brief(variant(_independence(ok, 0.44), diagnostics=FAILED))[0]["risk"]
    assert both.startswith("spend-based CLV biased") and "; CLV fit did not converge (" in both and not both.endswith(".")


def test_brief_risk_one_time_buyers_of_unknown_status():
    bg = _converged(factory.base(purchase_model="bgnbd"))
    one = set(bg.one_time["customer_id"])
    n = int(bg.at_risk["customer_id"].isin(one).sum())
    risks = narrative.brief_risks(bg)
    if n:
        assert f"{n:,} one-time buyer{'s' if n != 1 else ''} at risk of unknown status under BG/NBD" in risks
    nobody = no_at_risk(bg)
    assert f"{len(one):,} one-time buyers of unknown status under BG/NBD" in narrative.brief_risks(nobody)
    assert "one-time" in narrative.brief(nobody)[0]["risk"]


def test_scope_line_names_every_order_the_customers_and_the_period(r):
    s = narrative.scope(r)
    assert s.startswith("Scope: order revenue as the order book records it, every order (first and repeat);")
    assert f"; {r.customers:,} customers with {r.orders:,} orders; " in s
    assert s.endswith(f"{r.first_date:%Y-%m-%d} to {r.end:%Y-%m-%d}.")
