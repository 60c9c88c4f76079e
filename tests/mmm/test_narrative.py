"""playbook.mmm.narrative: every branch of every sentence, tile and banner, on small hand-made results (no MCMC)."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from playbook.mmm import data, model
from playbook.mmm import narrative as N

from .factory import failed_card, plan, result


def row(**kw):
    return pd.Series({"channel": "tv", "prob_profitable": 0.5, "prob_marginal_profitable": 0.5, **kw})


# --------------------------------------------------------------------------- profitability follows probabilities


@pytest.mark.parametrize("p, word", [(0.95, "pays"), (0.9, "pays"), (0.05, "loses"), (0.5, "unclear"), (float("nan"), "unclear"), (None, "unclear")])
def test_verdict_follows_the_probability(p, word):
    assert N.verdict(p) == word


def test_a_channel_with_p_profit_half_is_called_undecided():
    assert N.profitability_sentence(row(prob_profitable=0.5), 1.0) == "tv: cannot tell yet whether it pays for itself (probability 50% that it does)."
    assert N.profitability_sentence(row(prob_profitable=0.97), 1.0).startswith("tv paid for itself: $1 spent returned more than $1 of profit with probability 97%")
    assert "lost money" in N.profitability_sentence(row(prob_profitable=0.02), 1.0) and "probability 98%" in N.profitability_sentence(row(prob_profitable=0.02), 1.0)


def test_marginal_sentence_branches():
    assert N.marginal_sentence(row(prob_marginal_profitable=0.95), 1.0) == "More spend on tv would pay for itself (probability 95%)."
    assert N.marginal_sentence(row(prob_marginal_profitable=0.03), 1.0) == "The next $1 on tv would lose money (probability 97%)."
    assert "not settled" in N.marginal_sentence(row(prob_marginal_profitable=0.6), 1.0)


def test_profit_finding_groups_channels_and_states_the_margin():
    r = result(roas={"tv": 3.0, "search": 1.05}, sds={"tv": 0.1, "search": 0.3}, margin=0.5)
    text = N.profit_finding(r)
    # at a 50 % margin break-even is ROAS 2: tv (3 ± 0.1) pays, search (1.05 ± 0.3) loses
    assert text.startswith("Profit, at a contribution margin of 50%, break-even ROAS 2.00:")
    assert "paid for itself with probability at least 90%: tv" in text and "lost money with probability at least 90%: search" in text
    r1 = result(roas={"tv": 3.0, "search": 1.0}, sds={"tv": 0.1, "search": 0.5})
    assert "cannot tell yet: search" in N.profit_finding(r1) and "already profit" in N.profit_finding(r1)
    assert N.margin_finding(r).startswith("Profit figures use a contribution margin of 50% of revenue")


# --------------------------------------------------------------------------- ranks and tiers


def test_channels_that_cannot_be_told_apart_are_named():
    r = result(roas={"tv": 2.0, "search": 1.95}, sds={"tv": 0.3, "search": 0.3})
    assert N.tied_sentence(r) == "Cannot be told apart by ROAS (order less than 90% certain): tv and search."
    assert "tier 1: tv 2.00" in N.roas_sentence(r) and "search 1.95" in N.roas_sentence(r) and "tier 2" not in N.roas_sentence(r)
    t = N.tiles(r)[1]
    assert t.value == "tv and search (tied)"
    clear = result()
    assert N.tied_sentence(clear) == "Every channel's ROAS order is at least 90% certain."
    assert N.tiles(clear)[1].value == "tv"


def test_a_channel_too_uncertain_to_rank_is_named():
    r = result(roas={"tv": 3.0, "search": 0.5}, sds={"tv": 0.2, "search": 0.6})
    assert not r.summary.set_index("channel").loc["search", "rankable"]
    assert N.unranked_finding(r) == "Too uncertain to rank: search (their ROAS intervals are wider than 1.5× their mean)."
    assert any(f.startswith("Too uncertain to rank") for f in N.findings(r))
    assert N.roas_sentence(r).endswith("search: intervals too wide to rank.")
    assert not any(f.startswith("Too uncertain") for f in N.findings(result()))


# --------------------------------------------------------------------------- findings and tiles


def test_findings_with_a_plan_name_both_scenarios():
    f = N.findings(result())
    assert f[0].startswith("Profit figures use a contribution margin of 100%")
    assert any(x.startswith("Same total of $1,500 per week for the next 13 weeks: shift spend towards tv (+20%) and away from search (-40%)") for x in f)
    assert any("on posterior draws that did not choose the plan" in x for x in f)
    assert any(x.startswith("Profit-optimal plan: raises the weekly total from $1,500 to $1,650") for x in f)
    assert f[-1] == "No calibration: lift tests were switched off (lift_tests = none)."


def test_health_failed_withholds_the_plan_everywhere():
    r = result(passed=False)
    f = N.findings(r)
    assert any(x.startswith("No budget recommendation: the model failed its health card on Convergence: max R-hat and Sampling: min bulk ESS") for x in f)
    assert not any(x.startswith("Profit-optimal") for x in f)
    assert N.profit_plan_finding(r).startswith("No profit-optimal plan")
    tiles = N.tiles(r)
    assert (tiles[2].value, tiles[2].tone) == ("withheld", "bad") and (tiles[3].value, tiles[3].tone) == ("fail", "bad")
    text, level = N.health_banner(r)
    assert level == "danger" and text.startswith("The model failed: Convergence: max R-hat and Sampling: min bulk ESS.")
    assert N.withheld_banner(r)[1] == "danger"
    assert N.brief(r)[0]["decision"].startswith("Hold the media budget") and N.brief(r)[0]["money_at_stake"] is None


def test_health_passed_banner_and_tiles():
    r = result()
    assert N.health_banner(r) == ("The model passed every health check; its budget recommendation below can be used.", "success")
    tiles = N.tiles(r)
    assert tiles[0].label == "Media share of revenue" and tiles[0].detail.startswith("90% interval [")
    assert (tiles[2].value, tiles[2].tone) == ("$5,000", "good") and tiles[3].detail == "7 of 7 checks"
    uncertain = replace(r, plan=plan(p=0.7))
    assert N.tiles(uncertain)[2].tone == "warn"


def test_a_dropped_channel_is_named_in_the_summary():
    r = result(dropped=("radio",))
    assert N.findings(r)[1] == "Left out of the model: radio (no spend in any of the 60 modelled weeks)."
    assert "radio was left out of the model" in N.data_sentence(r)


def test_lift_finding_with_calibration():
    r = result(lifts=True)
    assert N.lift_finding(r) == "Calibrated with lift tests from the input data folder: lift_tests.csv. (1 test on tv)."
    assert "tv: 3.50 → 3.00. tv's test has no dates, and 90% of its effect takes 2 weeks to land" in N.calibration_sentence(r)
    assert list(N.calibration_table(r).columns) == ["channel", "ROAS before", "ROAS after", "interval width change"]


# --------------------------------------------------------------------------- data checks: separation needs more than a correlation check


def test_data_sentence_counts_the_problems():
    assert N.data_sentence(result()) == "2 channels over 60 weeks; no data problems found."
    assert N.data_sentence(result(n=40)).startswith("2 channels over 40 weeks; 1 issue to keep in mind: only 40 weeks of data")


def test_low_correlation_alone_does_not_conclude_the_channels_are_separated():
    r = result()
    assert N.collinearity_sentence(r).endswith("(learning check passed): the model separates the channels.")
    unlearned = replace(r, health=replace(r.health, lines=r.health.lines.assign(passed=~r.health.lines["check"].str.startswith("Learning")),
                                          worst_learned_channel="search"))
    text = N.collinearity_sentence(unlearned)
    assert "separates the channels" not in text and "learning check failed, worst: search" in text


def test_collinear_and_confounded_spend_are_called_out():
    r = result()
    collinear = replace(r, checks=replace(r.checks, collinear_pairs=[("tv", "search", 0.9)]))
    assert N.collinearity_sentence(collinear).startswith("Some channels move together")
    c = result(confounded=True)
    assert c.checks.confounded == ["search"] and c.fixed_channels == ["search"]
    assert "but search spend follows the trend, seasonality and controls" in N.collinearity_sentence(c)
    assert N.plan_sentence(c).endswith("search stay at current spend: their spend follows the baseline terms, so the data cannot support moving them.")


# --------------------------------------------------------------------------- health card details


def test_extension_sentence_branches():
    r = result()
    assert N.extension_sentence(r) == "Automatic extension not needed: the first fit met every convergence threshold."
    s = r.settings
    ext = model.Extension(True, model.extension_reason(False, 1, ["R-hat 1.030 above 1.01"]), s, s.with_(draws=200, tune=200), False, True)
    assert N.extension_sentence(replace(r, extension=ext)) == (
        "The first fit missed its convergence thresholds (R-hat 1.030 above 1.01); it was refitted with 200 draws and 200 warm-up "
        "per chain (from 100 and 100) and then met them.")
    still = replace(ext, converged_after=False)
    assert "still missed them" in N.extension_sentence(replace(r, extension=still))


def test_fit_sentence_with_and_without_holdout():
    r = result()
    assert N.fit_sentence(r) == ("The model's 90% predictive interval contains 95.0% of observed weeks; on the 13 held-out weeks its "
                                 "forecast is off by 4.0% on average (R² 0.70).")
    assert N.fit_sentence(replace(r, holdout=None)).endswith("; no weeks were held out.")
    assert N.health_table(replace(r, health=failed_card()))["result"].tolist()[:2] == ["FAIL", "FAIL"]


# --------------------------------------------------------------------------- curves


def test_most_saturated_is_ranked_by_ratio_not_difference():
    r = result()
    s = r.summary.copy()
    # tv: 3.0 → 1.5 (ratio 0.5, gap 1.5); search: 1.4 → 0.35 (ratio 0.25, gap 1.05): search is the more saturated
    s.loc[s["channel"] == "search", ["mroas_current_mean", "saturation_ratio"]] = [0.35, 0.25]
    text = N.saturation_sentence(replace(r, summary=s))
    assert text.startswith("search is the most saturated at current spend: the next unit returns 0.35 against an average of 1.40 (25% of its average).")
    none = replace(r, summary=s.assign(saturation_ratio=np.nan))
    assert N.saturation_sentence(none).startswith("Saturation could not be measured")


def _carry(shares):
    return pd.DataFrame({"channel": list(shares), "same_week_share": list(shares.values()), "later_share": [1 - v for v in shares.values()],
                         "weeks_to_half": [0 if v >= 0.5 else 2 for v in shares.values()]}).sort_values("later_share", ascending=False)


def test_same_week_sentence_only_when_every_channel_agrees():
    assert N.carryover_sentence_from(_carry({"a": 0.8, "b": 0.6})) == "For every channel most of a week's effect lands in the same week (at least 60%)."
    slow = N.carryover_sentence_from(_carry({"a": 0.3, "b": 0.4}))
    assert slow.startswith("For no channel does most of a week's effect land in the same week; a keeps working longest: only 30%")
    mixed = N.carryover_sentence_from(_carry({"a": 0.8, "b": 0.3}))
    assert mixed.startswith("Most of a week's effect lands in the same week for a; b keeps working for weeks after the spend")
    # decay above 0.5 (geometric alpha 0.7): the fixed sentence is not printed
    r = result(alpha={"tv": 0.7, "search": 0.8})
    assert "For no channel" in N.carryover_sentence(r)


# --------------------------------------------------------------------------- budget


def test_plan_sentence_says_when_the_bounds_set_the_plan():
    r = result()
    assert N.plan_sentence(r).startswith("Keeping the weekly total at $1,500 and moving each channel by at most 30%, the plan adds $5,000 of revenue over 13 weeks from 03 Mar 2025")
    assert "search sits on the allowed bound" in N.plan_sentence(r)
    at_bounds = replace(r, plan=plan(optimal={"tv": 1300.0, "search": 350.0}))
    assert "limited by the bounds, not by the response curves" in N.plan_sentence(at_bounds)
    assert "the bounds, not the response curves, set this plan" in N.plan_finding(at_bounds)
    inside = replace(r, plan=plan(optimal={"tv": 1100.0, "search": 400.0}))
    assert "bound" not in N.plan_sentence(inside).split("(probability")[1]
    explicit = replace(r, budget_bounds={"tv": (0, 1), "search": (0, 1)})
    assert "within the given bounds" in N.plan_sentence(explicit)


def test_uplift_sentence_follows_the_probability_of_a_gain():
    r = result()
    assert N.uplift_sentence(r).startswith("The gain is clearly positive (probability 99%): 90% interval [$1,000, $9,000], on posterior draws that did not choose the plan")
    shaky = replace(r, plan=replace(plan(p=0.6), held_out=False))
    text = N.uplift_sentence(shaky)
    assert "not certain to be positive (probability 60%)" in text and "same draws that chose the plan" in text


def test_profit_plan_sentence_and_its_guards():
    r = result()
    text = N.profit_plan_sentence(r)
    assert text.startswith("At a margin of 100%, the weekly total that maximises expected profit within the bounds is $1,650 (now $1,500): extra profit $2,000 [-$500, $4,500]")
    # search's next unit loses money (P = 0.3%): it may not rise, and a plan that raised it is flagged
    assert "search may not rise" in text
    raised = replace(r, profit_plan=plan(optimal={"tv": 1000.0, "search": 600.0}, total=1600.0))
    assert "It raises search although the next unit there more likely loses money" in N.profit_plan_sentence(raised)
    cut = replace(r, profit_plan=plan(optimal={"tv": 900.0, "search": 400.0}, total=1300.0))
    assert "cuts the weekly total from $1,500 to $1,300" in N.profit_plan_finding(cut)
    keep = replace(r, profit_plan=plan(optimal={"tv": 1100.0, "search": 400.0}, total=1500.0))
    assert "keeps the weekly total" in N.profit_plan_finding(keep)


def test_brief_line_for_a_plan():
    b = N.brief(result())[0]
    assert b["kind"] == "budget_move" and b["section"] == N.SECTION_BUDGET == "Budget recommendation"
    assert b["decision"] == "Shift weekly spend towards tv and away from search at the same total"
    assert b["value"] == 5000.0 and b["money_at_stake"] == pytest.approx(200 * 13)


# --------------------------------------------------------------------------- tables and escaping


def test_tables_are_formatted_strings():
    r = result()
    t = N.channel_table(r)
    assert t.loc[0, "channel"] == "tv" and t.loc[0, "P(pays for itself)"] == "100%" and t.loc[0, "ROAS"].startswith("3.00 [")
    assert N.plan_table(r, r.plan)["on a bound"].tolist() == ["no", "yes"]
    assert N.current_table(r)["current weekly spend"].str.startswith("$").all()
    assert "R² on baseline terms" in N.spend_table(r)
    rules = N.assumptions(r).set_index("rule")["value"]
    assert rules["pays for itself / loses money"] == "P(ROAS × margin > 1) ≥ 90% / ≤ 10%"
    assert rules["left out"] == f"spend in fewer than {data.MIN_SPEND_WEEKS} modelled weeks"
    assert N.settings_table(r).set_index("setting").loc["margin", "value"] == "100%"


def test_channel_names_are_escaped():
    r = result()
    s = r.summary.assign(channel=r.summary["channel"].replace({"tv": "<b>tv</b>"}))
    out = N.contribution_sentence(replace(r, summary=s))
    assert "<b>" not in out and "&lt;b&gt;tv&lt;/b&gt;" in out


def test_a_short_lift_test_on_a_channel_with_long_carry_over_is_called_out():
    r = result(lifts=True, alpha={"tv": 0.7, "search": 0.2})
    dated = r.lifts.assign(start=pd.Timestamp("2025-01-06"), end=pd.Timestamp("2025-01-19"))  # two weeks
    text = N.lift_duration_sentence(replace(r, lifts=dated))
    assert text.startswith("tv's test lasted 2.0 weeks, shorter than the 6 weeks in which 90% of its effect lands")
    long = dated.assign(end=pd.Timestamp("2025-03-30"))
    assert N.lift_duration_sentence(replace(r, lifts=long)) == "Every tested channel's carry-over fits inside its test."
    fast = result(lifts=True, alpha={"tv": 0.0, "search": 0.2})
    assert N.lift_duration_sentence(fast) == "Every tested channel's carry-over fits inside its test."
    assert N.lift_duration_sentence(result()) == ""


def test_lift_tests_inside_the_holdout_are_named():
    r = replace(result(lifts=True), holdout_lifts_left_out=["tv"])
    assert N.lift_finding(r).endswith("Tests dated inside the held-out weeks (tv) were kept out of the holdout fit.")


def test_a_plan_moving_budget_between_tied_channels_says_so():
    tied = result(roas={"tv": 2.0, "search": 1.95}, sds={"tv": 0.3, "search": 0.3})
    assert "tv and search cannot be told apart by ROAS (same tier)" in N.plan_sentence(tied)
    assert "cannot be told apart" not in N.plan_sentence(result())


def test_scope_line_names_the_kpi_the_channels_and_the_weeks():
    r = result()
    s = N.scope(r)
    assert s.startswith(f"Scope: {r.kpi} per week, the KPI column as the data record it, explained by {len(r.channels)} media channels;")
    assert f"{r.first_week:%Y-%m-%d} to {r.last_week:%Y-%m-%d}." in s and s.endswith(f"{len(r.inp.frame)} weeks modelled.")


def test_the_tier_rule_is_stated_when_it_holds_channels():
    r = result(roas={"tv": 2.0, "search": 1.95}, sds={"tv": 0.3, "search": 0.3})
    assert N.tier_rule_sentence(r.plan) == ""
    held = replace(r, plan=replace(r.plan, tier_held=["tv", "search"]), profit_plan=replace(r.profit_plan, tier_held=["tv"]))
    assert ("tv and search stay at current spend by the tier rule: they share a ROAS tier, so the evidence does not tell their "
            "returns apart") in N.plan_sentence(held)
    assert "tv stays at current spend by the tier rule" in N.profit_plan_sentence(held)
    assert "by the tier rule" not in N.plan_sentence(r) and "by the tier rule" not in N.profit_plan_sentence(r)
    rules = N.assumptions(r).set_index("rule")["value"]
    assert rules["same tier, no shift"].startswith("a plan that raises one channel of a ROAS tier and cuts another (each by more than 1%)")


def test_the_results_record_the_tier_rule_per_channel():
    from playbook import mmm as M

    r = result()
    held = replace(r, plan=replace(r.plan, tier_held=["tv"]))
    out = M.results_payload(held.summary, held.health, held.plan, held.current_weekly, held.profit_plan)
    assert out["optimizer"]["tier_held"] == ["tv"] and out["optimizer"]["tv"]["limited_by"] == "tier"
    assert out["optimizer_profit"]["tier_held"] == [] and out["optimizer_profit"]["tv"]["limited_by"] in (None, "bound")
