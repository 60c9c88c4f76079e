"""Every branch of the launch narrative, on hand-made results (no MCMC)."""

import json

import numpy as np
import pytest

from playbook import fmt, results
from playbook.launch import narrative, plan

from .factory import FAILED, mmm_json


def sentences(r):
    return {
        "findings": narrative.findings(r), "fit": narrative.fit_sentence(r), "forecast": narrative.forecast_sentence(r),
        "peak": narrative.peak_sentence(r), "phases": narrative.phases_sentence(r), "plan": narrative.plan_sentence(r),
    }


# --------------------------------------------------------------------------- banners and health


def test_own_history_needs_no_mode_banner_and_reads_converged(make):
    r = make()
    assert narrative.mode_banner(r) == "" and narrative.health_banner(r) == "" and narrative.banners(r) == []
    text, level = narrative.health(r)
    assert level == "success" and "converged" in text and "R-hat 1.002" in text and "bulk ESS 900" in text


def test_prior_only_banner_warns_and_names_the_source_of_m(make):
    with_m = make(source="prior")
    [(text, level)] = narrative.banners(with_m)
    assert level == "warning" and text.startswith("Prior-only forecast") and "m from market_potential, 150k" in text
    assert "planning range" in text
    without_m = make(source="prior", m=None)
    assert "no market potential" in narrative.mode_banner(without_m) and "not adopters" in narrative.mode_banner(without_m)
    text, level = narrative.health(with_m)
    assert level == "info" and text.startswith("No sampling: 400 independent draws")


def test_comparable_banner_says_whose_p_q_and_whose_m(make):
    assumed = make(source="comparable", m_source="comparable")
    [(text, level)] = narrative.banners(assumed)
    assert level == "info" and "comparable service's history (2023-01-01 to 2025-12-01)" in text
    assert "launches 01 Mar 2026" in text and "m assumed equal to the comparable's" in text
    stated = make(source="comparable", m_source="market_potential")
    assert "m from market_potential" in narrative.mode_banner(stated)


def test_a_failed_fit_raises_a_danger_banner_and_withholds_decisions(make):
    r = make(diagnostics=FAILED, mmm=mmm_json(), revenue_per_adopter=75.0)
    banners = narrative.banners(r)
    assert banners[0][1] == "danger" and "did not converge" in banners[0][0] and "withheld" in banners[0][0]
    text, level = narrative.health(r)
    assert level == "danger" and "R-hat 1.050 above 1.01" in text and "3 divergent transitions" in text
    timing, budget = narrative.brief(r)
    assert timing["decision"].startswith("Refit the Bass model") and "did not converge" in timing["risk"]
    assert budget["decision"] == "Hold the launch budget until the Bass fit converges"
    assert budget["money_at_stake"] == pytest.approx(r.plan.spend)


# --------------------------------------------------------------------------- potential and fit


def test_potential_finding_has_one_branch_per_source_of_m(make):
    own = narrative.findings(make())[0]
    assert "market potential m is 150k [139k, 161k] adopters (90% interval)" in own and "about 31% of it" in own
    assert "barely" not in own
    vague = narrative.findings(make(spread=0.6))[0]
    assert "the data barely pin it down" in vague
    assert "stated prior" in narrative.findings(make(source="prior"))[0]
    assert "unknown" in narrative.findings(make(source="prior", m=None))[0]
    assert narrative.findings(make(source="comparable", m_source="comparable"))[0].startswith("The comparable service reached")


def test_m_determined_follows_the_width_rule(make):
    assert narrative.m_determined(make()) is True
    assert narrative.m_determined(make(spread=0.6)) is False  # interval wider than M_WIDTH_OK × median
    assert narrative.m_determined(make(source="prior")) is False  # never from priors alone


def test_fit_sentence_names_the_driver_and_compares_with_the_analogues(make):
    imitation = narrative.fit_sentence(make())
    assert "word of mouth (imitation) drives adoption" in imitation
    assert "p is above its analogue (0.030) and q above its analogue (0.38)" in imitation
    innovation = narrative.fit_sentence(make(p_year=0.5, q_year=0.2))
    assert "advertising (innovation) drives adoption at least as much" in innovation and "q below its analogue" in innovation
    undecided = narrative.fit_sentence(make(p_year=0.3, q_year=0.3, spread=0.3))
    assert "cannot tell" in undecided
    in_line = narrative.fit_sentence(make(p_year=0.03, q_year=0.38, spread=0.5))
    assert "p is in line with its analogue" in in_line and "q in line with" in in_line
    assert narrative.fit_sentence(make(source="prior")).startswith("These are the priors, untested by data")


# --------------------------------------------------------------------------- forecast and peak


def test_forecast_sentence_own_history_speaks_of_the_next_period_and_the_peak(make):
    r = make()
    first = r.forecast.loc[r.forecast["period_index"] == 36].iloc[0]
    text = narrative.forecast_sentence(r)
    assert text.startswith(f"Expect {fmt.number(first['mean'])} new adopters in the next month (Jan 2026")
    assert "rising to" in text and "at the peak" in text


def test_forecast_sentence_after_the_peak_does_not_promise_a_rise(make):
    assert "rising" not in narrative.forecast_sentence(make(n=80))


def test_forecast_sentence_without_history_starts_at_the_launch_and_without_m_speaks_in_shares(make):
    assert "in the launch month (Mar 2026" in narrative.forecast_sentence(make(source="prior"))
    shares = narrative.forecast_sentence(make(source="prior", m=None))
    assert shares.startswith("Without a market potential the forecast is in shares")


def test_next_year_finding_counts_adopters_or_shares(make):
    assert "The 12 months after the data should bring" in narrative.findings(make())[2]
    assert "The 12 months after the launch should bring" in narrative.findings(make(source="prior"))[2]
    assert narrative.findings(make(source="prior", m=None))[2].startswith("By 12 months after the launch")
    weekly = make(frequency="week", n=156)
    assert "The 52 weeks after the data" in narrative.findings(weekly)[2]


def test_peak_sentence_ahead_own_history(make):
    r = make()
    assert r.summary.peak.prob_observed == 0.0
    text = narrative.peak_sentence(r)
    assert text.startswith("New adoptions should peak in Oct 2026 (Aug 2026 to Jan 2027, 90% interval)")
    assert "10 months after the last data" in text and "half the potential adopts by Jan 2027" in text


def test_peak_sentence_ahead_of_a_launch_counts_from_the_launch(make):
    assert "45 months after the launch" in narrative.peak_sentence(make(source="prior"))


def test_peak_sentence_when_the_peak_has_passed(make):
    r = make(n=80)
    assert r.summary.peak.prob_observed >= narrative.PEAK_SURE
    assert narrative.peak_sentence(r).startswith("New adoptions peaked in Oct 2026 (P = 100% that the peak is behind us)")
    assert narrative.brief(r)[0]["decision"].startswith("Adoption has peaked (Oct 2026)")


def test_peak_sentence_when_adoption_may_be_peaking_now(make):
    r = make(n=46)
    assert 1 - narrative.PEAK_SURE < r.summary.peak.prob_observed < narrative.PEAK_SURE
    assert narrative.peak_sentence(r).startswith("Adoption may be peaking now")


def test_peak_sentence_when_innovation_outweighs_imitation(make):
    r = make(p_year=0.5, q_year=0.3)
    assert r.summary.peak.index == 0
    assert narrative.peak_sentence(r).startswith("New adoptions are highest at the launch and fall from there")


def test_weekly_data_name_weeks_and_tiles_stay_short(make):
    r = make(frequency="week", n=156)
    assert "week of 26 Oct 2026" in narrative.peak_sentence(r)
    tiles = {t.label: t for t in narrative.tiles(r)}
    assert tiles["Adoption peak"].value == "26 Oct 2026" and tiles["Adoption peak"].detail == "90%: Aug 2026 to Jan 2027"
    for t in narrative.tiles(r):
        assert len(t.value) <= 20 and len(t.detail) <= 30 and "…" not in t.detail


# --------------------------------------------------------------------------- phases and plan


def test_phases_sentence_marks_what_is_behind_us_and_under_way(make):
    text = narrative.phases_sentence(make())
    assert "warm-up Nov 2022 to Dec 2022 (behind us)" in text and "launch Jan 2023 to Jun 2023 (behind us)" in text
    assert "growth Jul 2023 to Oct 2026 (under way)" in text
    ahead = narrative.phases_sentence(make(source="prior"))
    assert "behind us" not in ahead and "under way" not in ahead and "warm-up Jan 2026 to Feb 2026" in ahead


def test_phases_sentence_says_when_there_is_no_growth_phase(make):
    text = narrative.phases_sentence(make(p_year=0.5, q_year=0.3))
    assert "no growth phase (adoption peaks before the innovators have adopted)" in text


def test_phases_sentence_without_warm_up(make):
    assert "no warm-up phase" in narrative.phases_sentence(make(warmup_weeks=0))


@pytest.mark.parametrize("kwargs, reason", [
    ({}, plan.NO_MMM),
    ({"mmm": mmm_json(curves=False)}, plan.NO_CURVES),
    ({"mmm": mmm_json(passed=False)}, plan.MMM_UNHEALTHY),
    ({"n": 80, "mmm": mmm_json()}, plan.NOTHING_AHEAD),
])
def test_plan_without_spend_says_why(make, kwargs, reason):
    r = make(**kwargs)
    assert r.plan.basis.reason == reason and r.plan.spend is None
    text = narrative.plan_sentence(r)
    assert narrative._NO_SPEND[reason] in text
    budget = narrative.brief(r)[1]
    assert budget["decision"].startswith("Phase the launch by timing only") and budget["money_at_stake"] is None
    assert {t.label: t.value for t in narrative.tiles(r)}["Launch budget"] == "not sized"


def test_plan_without_a_budget_to_spend(make):
    mmm = mmm_json()
    mmm["optimizer"] = {"recommended": False}
    mmm["meta"]["data_period"] = None  # no way to read the current weekly spend
    r = make(mmm=mmm)
    assert r.plan.basis.reason == plan.NO_BUDGET
    assert "neither launch_budget nor the MMM's current spend" in narrative._plan(r)


def test_priced_plan_states_spend_adopters_and_cost(make):
    r = make(mmm=mmm_json(), revenue_per_adopter=75.0)
    text = narrative.plan_sentence(r)
    assert text.startswith("Spend $") and "in growth" in text and "from the MMM's current weekly spend" in text
    bought = r.plan.total("adopters")
    assert f"buys {fmt.estimate(bought.mean, bought.low, bought.high, fmt.number)} adopters" in text
    assert f"({fmt.number(bought.mean / r.plan.spend * 1000, 1)} per $1,000)" in text
    tiles = {t.label: t for t in narrative.tiles(r)}
    assert tiles["Launch budget"].value == fmt.money(r.plan.spend) and tiles["Launch budget"].detail.startswith("≈ ")
    budget = narrative.brief(r)[1]
    assert budget["money_at_stake"] == pytest.approx(r.plan.spend) and "MMM response curves, 90% interval" in budget["evidence"]
    assert "$75.00 of revenue per adopter" in budget["risk"]


def test_priced_plan_without_revenue_per_adopter_stays_in_revenue(make):
    r = make(mmm=mmm_json(recommended=True), launch_budget=500_000.0)
    assert "set revenue_per_adopter" in narrative.plan_sentence(r) and "from launch_budget" in narrative.plan_sentence(r)
    assert {t.label: t.detail for t in narrative.tiles(r)}["Launch budget"] == "spend only"
    assert narrative.brief(r)[1]["evidence"].startswith("revenue from spend $")
    assert "Adopters from spend" not in narrative.phase_table(r).columns


def test_plan_risks_flag_interval_mass_curve_range_and_disagreement(make):
    r = make(source="prior", mmm=mmm_json(interval=0.94, top=2_000.0), revenue_per_adopter=5.0)
    risks = narrative.plan_risks(r)
    assert any("94% intervals, this report 90%" in x for x in risks)
    assert any("spend on search and social goes beyond what the MMM observed" in x for x in risks)
    assert any("more adopters" in x and "check revenue_per_adopter" in x for x in risks)
    assert narrative.plan_risks(make()) == []  # nothing priced, nothing to flag


def test_model_risks_name_each_check(make):
    assert narrative.model_risks(make()) == []
    assert narrative.model_risks(make(source="prior")) == ["prior-only: no adoption history has tested these dates"]
    assert "only 2 months of history for 3 parameters" in narrative.model_risks(make(n=2))
    assert any("barely pin down the market potential" in x for x in narrative.model_risks(make(spread=0.6)))
    assert narrative.model_risks(make(source="comparable", m_source="comparable")) == [
        "the new service's potential is assumed equal to the comparable's"]
    assert any("did not converge" in x for x in narrative.model_risks(make(diagnostics=FAILED)))


def test_brief_lines_have_the_house_shape_and_real_sections(make):
    for r in (make(), make(source="prior", m=None), make(mmm=mmm_json(), revenue_per_adopter=75.0)):
        lines = narrative.brief(r)
        assert [b["kind"] for b in lines] == ["launch_timing", "launch_budget"]
        for b in lines:
            assert set(b) == {"kind", "decision", "evidence", "risk", "section", "money_at_stake"}
            assert b["section"] in narrative.SECTIONS and b["decision"] and b["evidence"] and b["risk"]
        json.dumps(results.to_jsonable(lines))
    normal, prior_only = narrative.brief(make())[0], narrative.brief(make(source="prior"))[0]
    assert normal["decision"] == "Plan for new adoptions to peak in Oct 2026 and for half the potential by Jan 2027"
    assert normal["risk"] == "none flagged" and "market potential 150k" in normal["evidence"]
    assert prior_only["decision"].startswith("Plan on a prior-only range: adoption peaks around Dec 2029")


# --------------------------------------------------------------------------- tables, glossary, titles


def test_tables_have_human_headers(make):
    r = make(mmm=mmm_json(), revenue_per_adopter=75.0)
    phases = narrative.phase_table(r)
    assert list(phases.columns) == ["Phase", "From", "To", "Length, months", "Status", "Forecast adopters in the plan",
                                    "Spend, $", "Weekly spend, $", "Revenue from spend, $", "Adopters from spend"]
    assert list(phases["Status"]) == ["behind us", "behind us", "under way"]
    assert list(phases["Forecast adopters in the plan"])[:2] == [fmt.MISSING, fmt.MISSING]  # nothing left to plan there
    assert "Spend, $" not in narrative.phase_table(make()).columns
    rows = narrative.forecast_rows(r)
    assert rows.columns[0] == "Month" and "New adopters, 90% interval" in rows.columns and len(rows) == 12
    assert "New adopters, mean" not in narrative.forecast_rows(make(source="prior", m=None)).columns
    assert len(narrative.forecast_rows(make(frequency="week", n=156))) == 13  # every fourth week of a year
    params = narrative.parameter_table(r)
    assert list(params.columns) == ["Quantity", "Prior, mean 90% interval", "Posterior, mean 90% interval"]
    assert params.iloc[1, 1] == "0.030 [0.004, 0.094]"  # the literature prior on p per year
    assert list(narrative.parameter_table(make(source="prior", m=None)).columns)[2] == "Prior, mean 90% interval"
    assert narrative.parameter_table(make(source="prior", m=None)).iloc[0, 1] == "none"


def test_assumptions_print_the_rules_and_constants(make):
    table = narrative.assumptions(make(mmm=mmm_json(), revenue_per_adopter=75.0)).set_index("Rule")["Value"]
    assert table["Innovators (end of the launch phase)"].startswith("2.5%")
    assert table["Peak passed / ahead"] == "P at least 90%" and table["Revenue per adopter"] == "$75.00"
    assert table["Channel mix (current)"] == "social 67%, search 33%"
    assert table["History"].startswith("36 months, 2023-01-01 to 2025-12-01")
    bare = narrative.assumptions(make(source="prior")).set_index("Rule")["Value"]
    assert bare["History"] == "none: prior-only forecast" and bare["Revenue per adopter"] == "not set"


def test_glossary_explains_the_terms_the_report_uses(make):
    full = narrative.glossary(make(mmm=mmm_json(), revenue_per_adopter=75.0))
    for term in ("Bass model", "Innovation p", "Imitation q", "Market potential m", "R-hat", "ESS", "Response curve"):
        assert term in full
    prior = narrative.glossary(make(source="prior"))
    assert "R-hat" not in prior and "Response curve" not in prior
    assert "Response curve" in narrative.glossary(make(mmm=mmm_json(passed=False)))


def test_chart_titles_follow_what_is_drawn(make):
    assert narrative.forecast_title(make()).startswith("New adopters per month: the peak comes in Oct 2026")
    assert narrative.forecast_title(make(source="prior", m=None)).startswith("Share of the potential adopted")
    assert narrative.timing_title(make(source="prior")).startswith("Prior timing")
    assert narrative.timing_title(make()).startswith("Posterior timing")
    r = make(mmm=mmm_json(), revenue_per_adopter=75.0)
    assert narrative.budget_title(r) == f"Launch budget per phase: {fmt.money(r.plan.spend)} in all"
    assert narrative.cumulative_title(r) == "Share of the potential adopted: half by Jan 2027"


def test_data_borne_names_are_escaped_for_html(make):
    mmm = mmm_json(top=100.0)
    mmm["response_curves"]["<b>tv</b>"] = mmm["response_curves"].pop("search")
    mmm["optimizer"]["<b>tv</b>"] = mmm["optimizer"].pop("search")
    r = make(mmm=mmm, revenue_per_adopter=75.0)
    assert any("<b>tv</b>" in x for x in narrative.plan_risks(r))  # raw in the JSON brief
    assert "<b>" not in " ".join(narrative.findings(r)) + narrative.plan_sentence(r)


def test_every_sentence_is_finite_and_formatted(make):
    for r in (make(), make(source="prior", m=None), make(frequency="week", n=156, mmm=mmm_json(), revenue_per_adopter=75.0)):
        for name, text in sentences(r).items():
            body = " ".join(text) if isinstance(text, list) else text
            assert "nan" not in body.lower().split() and "None" not in body, name
            assert np.all([t.value for t in narrative.tiles(r)])


def test_scope_line_says_adopters_not_revenue_whose_and_the_period(make):
    own = make(source="own")
    s = narrative.scope(own)
    first, last = own.history.data_period
    assert s == f"Scope: new adopters per {own.history.frequency} (subscribers, not revenue); the service's own new adopters; {first} to {last}."
    prior = narrative.scope(make(source="prior"))
    assert "priors" in prior and prior.endswith("no dated data.")
