"""Every branch of the attribution narrative, on small hand-made inputs and results."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from playbook.attribution import narrative as N

from .builders import SINGLE, daily_funnel, result


def _with_shares(r, shares: dict[str, dict[str, float]]):
    """``r`` with hand-made model shares (and the last-touch bias that follows from them)."""
    from playbook.attribution import compare

    frame = pd.DataFrame(shares).rename_axis("channel")
    return replace(r, paths=replace(r.paths, shares=frame, bias=compare.last_touch_bias(frame)))


# --------------------------------------------------------------------------- inputs present or not


def test_paths_only_input_gives_attribution_findings_and_one_tile(paths_only):
    r = paths_only
    assert r.funnel is None and r.paths is not None
    found = N.findings(r)
    assert len(found) == 2 and "Last touch over-credits b" in found[0] and "<b>a</b> gets the largest share of observed conversions" in found[1]
    tiles = N.tiles(r)
    assert [t.label for t in tiles] == ["Top channel (Shapley): a"] and "of observed conversions" in tiles[0].detail
    assert N.skipped_banner(N.SECTION_FUNNEL) == ("Funnel section skipped: no <code>funnel.csv</code> in the data folder.", "warning")
    assert N.skipped_banner(N.SECTION_KPI)[0].startswith("KPI monitor skipped")
    assert N.lookback_banner(r) is None  # paths.csv: no lookback window applied
    assert "Read as aggregated paths" in " ".join(N.methods(r))


def test_funnel_only_input_gives_funnel_findings_and_three_tiles(funnel_only):
    r = funnel_only
    found = N.findings(r)
    assert len(found) == 2 and found[0].startswith("<b>Biggest funnel leak:</b>") and found[1] == "No KPI moved unexpectedly in the last 365 days."
    assert [t.label for t in N.tiles(r)] == ["Blended CAC", "Blended attributed ROAS", "Alerts (bad news)"]
    assert N.tiles(r)[2].tone == "good"
    assert N.skipped_banner(N.SECTION_ATTRIBUTION)[0].startswith("Attribution skipped")
    assert N.no_alerts_banner(r) == ("No alerts in the last 365 days.", "success")
    assert "converts worst there" in N.leak_sentence(r) and N.leak_title(r).startswith("Step conversion by channel: the leak is click")
    assert not any(m.startswith("<b>Journeys") for m in N.methods(r))


def test_no_kpi_targets_gives_an_info_banner_and_no_finding(funnel_only):
    assert N.targets_finding(funnel_only) is None
    assert N.targets_banner(funnel_only, "kpi_targets.yaml") == ("No KPI targets found (<code>kpi_targets.yaml</code>): targets are not checked.", "info")
    assert N.targets_banner(funnel_only) == ("No KPI targets found: targets are not checked.", "info")


def test_kpi_targets_missed_and_met():
    missed = result(paths=None, funnel=daily_funnel(), targets={"default": {"cvr": 0.2}})  # true CVR 10%: missed by half
    assert N.targets_banner(missed) is None
    assert "<b>2 of 2</b> KPI targets are missed" in N.targets_finding(missed) and "a CVR (-48.7%); b CVR (-49.7%)." in N.targets_finding(missed)
    assert "; the largest gap is" in N.targets_sentence(missed) and N.targets_title(missed).endswith("2 missed")
    met = result(paths=None, funnel=daily_funnel(), targets={"default": {"cvr": 0.05}})
    assert N.targets_finding(met) == "<b>0 of 2</b> KPI targets are missed over the last 28 days."
    assert N.targets_sentence(met) == "0 of 2 KPI targets are missed over the last 28 days."
    assert "attributed ROAS" in N.targets_note(met) and "90% sure" in N.targets_note(met)


def test_alert_branches_use_the_episodes(funnel_only):
    ep = pd.DataFrame([
        {"channel": "a", "metric": "cvr", "direction": "down", "bad": True, "start": pd.Timestamp("2024-02-01"),
         "end": pd.Timestamp("2024-02-03"), "days": 3, "worst_change": -0.4, "worst_z": -6.0},
        {"channel": "b", "metric": "ctr", "direction": "up", "bad": False, "start": pd.Timestamp("2024-02-05"),
         "end": pd.Timestamp("2024-02-05"), "days": 1, "worst_change": 0.3, "worst_z": 5.0},
    ])
    r = replace(funnel_only, funnel=replace(funnel_only.funnel, episodes=ep))
    assert N.alerts_finding(r) == ("<b>1 alert(s)</b> in the last 365 days; the strongest: a CVR -40.0% against expected "
                                   "on 2024-02-01 to 2024-02-03.")
    assert N.alerts_sentence(r) == "1 bad-news alert(s) in the last 365 days; the strongest are shown: a CVR -40.0% (01 Feb 2024 to 03 Feb 2024)."
    assert N.tiles(r)[2].value == "1" and N.tiles(r)[2].tone == "bad"
    one_day = replace(r, funnel=replace(r.funnel, episodes=ep.assign(end=ep["start"], days=1)))
    assert N.alerts_finding(one_day).endswith("on 2024-02-01.")
    assert "4.0 robust standard deviations and at least 20%" in N.alerts_note(r)


# --------------------------------------------------------------------------- funnel sentences


def test_economics_sentence_branches(funnel_only):
    assert "attributed ROAS" in N.economics_sentence(funnel_only) and "the least" in N.economics_sentence(funnel_only)
    assert N.economics_title(funnel_only).endswith("leads")
    one = result(paths=None, funnel=daily_funnel(channels=("solo",)))
    assert N.economics_sentence(one).startswith("solo returns") and "leads" not in N.economics_title(one)
    free = result(paths=None, funnel=daily_funnel(spend=0.0))
    assert N.economics_sentence(free) == "No channel has spend, so no return on ad spend can be computed."


def test_trend_sentence_names_the_likeliest_fall_or_says_it_cannot(funnel_only):
    assert N.trend_sentence(funnel_only).startswith("Over the last 28 days, sign-up conversion in")
    t = funnel_only.funnel.trend.assign(prob_cvr_down=np.nan)
    r = replace(funnel_only, funnel=replace(funnel_only.funnel, trend=t))
    assert N.trend_sentence(r).startswith("No channel had clicks in both of the last two 28-day windows")


# --------------------------------------------------------------------------- attribution sentences


def test_closers_to_openers_only_when_the_roles_say_so(paths_only):
    assert N.roles(paths_only).to_dict() == {"a": "opener", "b": "closer"}
    s = N.shares_sentence(paths_only)
    assert s.startswith("The data-driven models move credit from the closers to the openers: last touch gives b")
    assert "MMM" not in s
    # the over-credited channel is not a closer (first and last touch give it the same): name the channels instead
    shares = {"first_touch": {"a": 0.5, "b": 0.5}, "last_touch": {"a": 0.3, "b": 0.7}, "markov": {"a": 0.6, "b": 0.4},
              "shapley": {"a": 0.6, "b": 0.4}}
    shares["first_touch"] = {"a": 0.3, "b": 0.7}
    r = _with_shares(paths_only, shares)
    assert N.roles(r).to_dict() == {"a": "both", "b": "both"}
    assert N.shares_sentence(r).startswith("The data-driven models move credit away from b towards a:")


def test_models_that_agree_are_said_to_agree():
    r = result(paths=SINGLE)
    assert N.shift(r) is None
    assert N.shares_sentence(r) == "Last touch, Markov and Shapley give every channel a similar share of observed conversions (within 2.0 pp)."
    assert N.bias_finding(r).startswith("<b>Last touch and the data-driven models agree</b>")
    assert N.shares_title(r) == "Shapley and last touch give similar shares of observed conversions"


def test_shares_title_names_the_shift(paths_only):
    assert N.shares_title(paths_only) == "Shapley moves credit from b to a compared with last touch"


def test_mmm_shares_are_mentioned_only_with_an_mmm():
    r = result(mmm={"channels": {"a": {"contribution_share": 0.7}, "b": {"contribution_share": 0.3}}})
    assert r.mmm_given and "mmm" in r.paths.shares
    assert N.shares_sentence(r).endswith("The MMM's contribution shares are shown beside them (a share of revenue, not of conversions).")


def test_top_channel_separated_overlapping_or_alone(paths_only):
    ci = pd.DataFrame({"channel": ["a", "b"], "low": [60.0, 10.0], "high": [70.0, 20.0], "sd": [1.0, 1.0]})
    sep = replace(paths_only, paths=replace(paths_only.paths, shapley_ci=ci))
    assert N.top_separated(sep) is True and "its 90% interval lies above b's." in N.top_finding(sep)
    ov = replace(paths_only, paths=replace(paths_only.paths, shapley_ci=ci.assign(high=[70.0, 65.0])))
    assert N.top_separated(ov) is False and "overlaps b's, so the order of the two is not settled" in N.top_finding(ov)
    alone = result(paths=[("a", 5, 50.0, 5)])
    assert N.top_separated(alone) is None and N.top_finding(alone).endswith("of 5.")


def test_ranking_title_says_whether_markov_agrees(paths_only):
    assert N.ranking_title(paths_only) == "a gets the most credit by Shapley, b by Markov"
    credits = {**paths_only.paths.credits, "markov": pd.Series({"a": 9.0, "b": 1.0})}
    r = replace(paths_only, paths=replace(paths_only.paths, credits=credits))
    assert N.ranking_title(r) == "a gets the most credit under both data-driven models"
    assert N.ranking_sentence(r).startswith("Ranked by Shapley credit: a, b.")


def test_interval_labels_follow_the_interval_parameter():
    r = result(interval=0.8)
    assert N.credit_axis_label(r) == "credited conversions (80% bootstrap interval)"
    assert "80% intervals" in N.ranking_note(r) and "2 bootstrap replicates" in N.ranking_note(r)
    assert N.tiles(r)[0].detail.startswith("80% interval")


def test_lookback_banner_counts_the_dropped_touches():
    from playbook import attribution

    tp = pd.DataFrame({"journey_id": ["1", "1", "2"], "timestamp": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-03-01"]),
                       "channel": ["a", "b", "a"]})
    cv = pd.DataFrame({"journey_id": ["1"], "timestamp": pd.to_datetime(["2024-03-02"]), "value": [10.0]})
    r = attribution.analyze(touchpoints=tp, conversions=cv, settings=attribution.Settings(n_bootstrap=2))
    text, level = N.lookback_banner(r)
    assert level == "info" and text.startswith("1 of 3 touches were more than 30 days before") and "0 conversion(s) had no touch" in text


def test_channel_names_are_escaped():
    r = result(paths=[("x<y>b", 5, 50.0, 5), ("b", 1, 10.0, 9)])
    assert "x<y" not in " ".join(N.findings(r)) and "x&lt;y" in " ".join(N.findings(r))


def test_appendix_states_the_smoke_run_and_the_warnings(funnel_only, paths_only):
    smoke = result(paths=None, funnel=daily_funnel(), smoke=True)
    assert "Smoke run: only the last 180 days were analysed." in N.methods(smoke)[2]
    assert "Smoke run" not in N.methods(funnel_only)[2]
    warned = replace(paths_only, warnings=["Shapley <capped>"])
    assert N.diagnostics(warned)[-1] == "Shapley &lt;capped&gt;"
    assert N.diagnostics(paths_only)[0].startswith("Journeys: 300; conversions: 75;")


@pytest.mark.parametrize("section", N.SECTIONS)
def test_every_section_has_a_skip_banner(section):
    text, level = N.skipped_banner(section)
    assert level == "warning" and "skipped" in text


def test_a_shapley_correction_is_a_warning_banner():
    r = result(paths=[("a", 1000, 1000.0, 9000), ("b", 500, 500.0, 9500), ("a>b", 400, 400.0, 9600)])
    banners = N.attribution_banners(r)
    assert len(banners) == 1 and banners[0][1] == "warning" and banners[0][0].startswith("Shapley: in some channel sets the journeys with b")
    assert r.results()["attribution_meta"]["warnings"] == r.warnings and len(r.warnings) == 1
    assert N.attribution_banners(result()) == []
    assert "positive part" in " ".join(N.methods(r))


# --------------------------------------------------------------------------- triangulation


def test_triangulation_without_an_mmm(paths_only):
    banners = N.triangulation_banners(paths_only)
    assert banners == [("No <code>mmm.json</code> in this run: the MMM's incremental ROAS and shares are missing, so only the attribution "
                        "models are lined up, and nothing is flagged.", "info")]
    assert N.triangulation_sentence(paths_only) == "Attribution's shares of attributed revenue for 2 channels; the MMM's incremental view is missing."
    assert N.triangulation_title(paths_only) == "Share of attributed revenue by model (no MMM in this run)"
    assert N.triangulation_flags(paths_only) == [] and N.triangulation_finding(paths_only) is None


def test_triangulation_agreeing_with_a_healthy_mmm():
    from .builders import mmm_for_ab

    r = result(paths=SINGLE, mmm=mmm_for_ab(0.75, 0.25))  # value shares 300 : 100
    assert N.triangulation_banners(r) == []
    assert N.triangulation_sentence(r).startswith("For all 2 channels on both sides, the attribution models' revenue shares")
    assert N.triangulation_title(r) == "Attribution and the MMM agree within their uncertainty"
    assert N.triangulation_finding(r) is None


def test_triangulation_flags_a_disagreement_and_lists_one_sided_channels():
    from .builders import mmm_for_ab

    r = result(paths=SINGLE, mmm=mmm_for_ab(0.25, 0.75, extra=["tv"]), interval=0.8)
    assert N.triangulation_sentence(r).startswith("2 of 2 channels disagree beyond the uncertainty: a and b.")
    assert N.triangulation_title(r) == "Attribution and the MMM disagree on a and b"
    flags = N.triangulation_flags(r)
    assert len(flags) == 2 and "3.0× its incremental share" in flags[0]
    assert N.triangulation_finding(r).startswith("<b>Attribution and the MMM disagree on 2 channels</b>: ")
    assert N.triangulation_finding(r) in N.findings(r)
    texts = [t for t, _ in N.triangulation_banners(r)]
    assert "The MMM's intervals are 90% intervals, this report's 80%." in texts
    assert "Channels on one side only, listed rather than dropped: tv in the MMM only (no tracked journeys)." in texts
    assert r.results()["triangulation"]["missing"]["mmm_only"] == ["tv"]


def test_triangulation_with_a_failed_mmm():
    from .builders import mmm_for_ab

    r = result(paths=SINGLE, mmm=mmm_for_ab(0.25, 0.75, passed=False))
    assert ("The MMM's health check failed: its numbers are shown for reference, but no disagreement is flagged against them.",
            "warning") in N.triangulation_banners(r)
    assert N.triangulation_sentence(r).startswith("The MMM failed its health check")
    assert N.triangulation_finding(r) is None


def test_triangulation_needs_journeys(funnel_only):
    assert funnel_only.triangulation is None
    assert N.triangulation_banners(funnel_only) == [N.skipped_banner(N.SECTION_TRIANGULATION)]
    assert N.skipped_banner(N.SECTION_TRIANGULATION)[0].startswith("Triangulation skipped: it lines the attribution models up")
    assert "triangulation" not in funnel_only.results()


def test_markov_order_and_time_to_conversion_sentences(paths_only):
    assert N.markov_order_text(paths_only) == "fixed at 1 by the markov_order parameter"
    assert N.time_to_conversion_sentence(paths_only) is None  # paths.csv carries no timestamps
    chosen = result(markov_order=0)
    assert "one standard error" in N.markov_order_text(chosen) and "chosen: " in N.markov_order_text(chosen)
    assert f"Chain of order {chosen.paths.order}" in " ".join(N.methods(chosen))
    from playbook import attribution

    tp = pd.DataFrame({"journey_id": ["1", "1", "2"], "timestamp": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-01"]),
                       "channel": ["a", "b", "b"]})
    cv = pd.DataFrame({"journey_id": ["1", "2"], "timestamp": pd.to_datetime(["2024-01-11", "2024-01-03"]), "value": [1.0, 1.0]})
    r = attribution.analyze(touchpoints=tp, conversions=cv, settings=attribution.Settings(n_bootstrap=2, markov_order=1))
    assert N.time_to_conversion_sentence(r) == ("Half of the conversions come within 6.0 days of the journey's first touch, 90% within 9.2 days. "
                                                "From its first touch, a takes longest to convert (median 10.0 days), b the least (4.0 days).")
    assert r.results()["time_to_conversion"]["a"] == {"median_days": 10.0, "p90_days": 10.0, "journeys": 1}


def test_a_funnel_without_clicks_has_no_leak_to_report():
    r = result(paths=None, funnel=daily_funnel().assign(clicks=0.0, signups=0.0, orders=0.0, revenue=0.0))
    assert not N.has_leak(r) and N.leak_finding(r) == N.NO_LEAK == N.leak_sentence(r)
    assert N.leak_title(r) == "Step conversion by channel" and N.findings(r)[0] == N.NO_LEAK
    assert "(attributed ROAS 0.00)" in N.economics_sentence(r)


# --------------------------------------------------------------------------- weekly brief

BRIEF_KEYS = {"kind", "decision", "evidence", "risk", "section", "money_at_stake", "action"}


def _status(rows):
    """A hand-made KPI status table: (channel, kpi, actual, low, high, target, prob_on_target, status)."""
    frame = pd.DataFrame(rows, columns=["channel", "kpi", "actual", "low", "high", "target", "prob_on_target", "status"])
    return frame.assign(gap=frame["actual"] / frame["target"] - 1, definition="")


def _with_status(r, rows):
    return replace(r, funnel=replace(r.funnel, status=_status(rows)), targets_given=True)


def _bad_episode(channel="a", metric="cvr"):
    return pd.DataFrame([{"channel": channel, "metric": metric, "direction": "down", "bad": True, "start": pd.Timestamp("2024-02-01"),
                          "end": pd.Timestamp("2024-02-03"), "days": 3, "worst_change": -0.4, "worst_z": -6.0}])


def _check_line(line):
    assert BRIEF_KEYS <= set(line) and line["section"] in N.SECTIONS
    assert not any(ch.isdigit() for ch in line["action"])  # the verdict without numbers
    assert line["risk"]


def test_brief_has_a_kpi_line_with_a_funnel_and_a_credit_line_with_journeys(funnel_only, paths_only):
    assert [x["kind"] for x in N.brief(funnel_only)] == ["attribution_kpi"]
    assert [x["kind"] for x in N.brief(paths_only)] == ["attribution_credit"]
    both = result(funnel=daily_funnel())
    lines = N.brief(both)
    assert [x["kind"] for x in lines] == ["attribution_kpi", "attribution_credit"]
    for line in lines:
        _check_line(line)
    assert both.results()["brief"] == lines


def test_brief_kpi_line_without_targets_or_alerts(funnel_only):
    (line,) = N.brief(funnel_only)
    assert line["decision"] == "No KPI targets to check and no unexpected KPI move"
    assert line["evidence"] == "no bad-news alert in the last 365 days"
    assert line["risk"] == "no KPI targets given: only unexpected moves are checked"
    assert line["section"] == N.SECTION_KPI == "KPI monitor: what is off target, what moved?"
    assert line["money_at_stake"] is None and "value" not in line


def test_brief_kpi_line_names_the_kpis_off_target_surest_miss_first(funnel_only):
    r = _with_status(funnel_only, [
        ("a", "cvr", 0.10, 0.09, 0.11, 0.12, 0.02, "off target"),
        ("b", "cpa", 30.0, 25.0, 36.0, 20.0, 0.001, "off target"),
        ("b", "ctr", 0.02, 0.019, 0.021, 0.02, 0.5, "unclear"),
    ])
    (line,) = N.brief(r)
    assert line["decision"] == "Fix the KPIs off target: b CPA, a CVR"
    assert line["action"] == "fix: b CPA, a CVR"
    assert line["evidence"] == ("b CPA $30.00 [$25.00, $36.00] (90% interval) against a target of $20.00 over the last 28 days; "
                                "P(on target) 0.10%")
    assert (line["value"], line["low"], line["high"]) == (30.0, 25.0, 36.0)
    assert line["risk"] == "1 KPI too uncertain to call (b CTR)"
    assert line["money_at_stake"] == pytest.approx(2 * 28 * 100.0)  # both channels' spend over the 28-day window
    one = _with_status(funnel_only, [("a", "roas", 1.5, 1.2, 1.9, 2.0, 0.05, "off target")])
    (line,) = N.brief(one)
    assert line["decision"] == "Fix the KPI off target: a ROAS" and "a ROAS 1.50 [1.20, 1.90]" in line["evidence"]
    assert line["money_at_stake"] == pytest.approx(28 * 100.0)
    alerted = replace(one, funnel=replace(one.funnel, episodes=_bad_episode()))
    assert N.brief(alerted)[0]["evidence"].endswith("; 1 unexpected move alerted")
    many = _with_status(funnel_only, [(c, k, 0.1, 0.09, 0.11, 0.2, 0.01, "off target") for c in "ab" for k in ("ctr", "cvr", "pay_rate")])
    assert N.brief(many)[0]["decision"].endswith(" and 2 more")
    assert N.brief(many)[0]["action"] == "fix: " + ", ".join(f"{c} {k}" for c in "ab" for k in ("CTR", "CVR", "PAY RATE"))


def test_brief_kpi_line_on_target_states_the_least_sure_kpi(funnel_only):
    r = _with_status(funnel_only, [("a", "cvr", 0.10, 0.09, 0.11, 0.05, 0.999, "on target"),
                                   ("b", "cvr", 0.08, 0.07, 0.09, 0.05, 0.95, "on target")])
    (line,) = N.brief(r)
    assert line["decision"] == "No KPI off target and no unexpected KPI move" and line["action"] == "no KPI off target"
    assert line["evidence"].startswith("2 of 2 KPI targets met; least sure: b CVR 8.0% [7.0%, 9.0%] (90% interval)")
    assert line["evidence"].endswith("P(on target) 95%") and line["risk"] == "none flagged"
    assert (line["value"], line["low"], line["high"]) == (0.08, 0.07, 0.09)


def test_brief_kpi_line_with_alerts_but_no_miss(funnel_only):
    r = replace(funnel_only, funnel=replace(funnel_only.funnel, episodes=_bad_episode("b", "ctr")))
    (line,) = N.brief(r)
    assert line["decision"] == "No KPI targets to check; investigate the unexpected move in b CTR"
    assert line["action"] == "investigate b CTR" and line["value"] == -0.4
    assert line["evidence"] == ("b CTR -40.0% against its seasonal expectation on 2024-02-01 to 2024-02-03 (robust z -6.0); "
                                "1 bad-news alert in the last 365 days")
    met = _with_status(r, [("a", "cvr", 0.10, 0.09, 0.11, 0.05, 0.999, "on target")])
    assert N.brief(met)[0]["decision"] == "No KPI off target; investigate the unexpected move in b CTR"


def test_brief_kpi_risks_name_the_smoke_run_and_funnel_data_warnings(funnel_only):
    from playbook.results import DataWarning

    warned = replace(funnel_only, data_warnings=[DataWarning("data/funnel.csv", "3 rows of channel", "x", "merged"),
                                                 DataWarning("paths.csv", "1 row", "y", "merged")])
    assert N.brief(warned)[0]["risk"].endswith("; 1 data warning on funnel.csv")
    smoke = replace(funnel_only, funnel=replace(funnel_only.funnel, history_limited=True))
    assert "smoke run: alerts fitted on the last 180 days only" in N.brief(smoke)[0]["risk"]


def test_brief_credit_line_against_markov_without_an_mmm(paths_only):
    (line,) = N.brief(paths_only)
    assert N.credit_reference(paths_only) == "markov"
    # two channels: a's and b's gaps tie, the tie goes to the over-credited channel
    assert line["decision"] == "Do not scale b on last-touch numbers: last touch over-credits it against Markov"
    assert line["action"] == "b over-credited by last touch" and line["section"] == N.SECTION_ATTRIBUTION
    assert line["evidence"].startswith("last touch gives b 73.3% of observed conversions, Markov 53.7% [")
    assert 0 < line["low"] <= line["value"] <= line["high"]
    assert line["value"] == pytest.approx(paths_only.paths.shares.loc["b", "last_touch"] - paths_only.paths.shares.loc["b", "markov"])
    assert line["money_at_stake"] == pytest.approx(abs(line["value"]) * paths_only.paths.markov.total_value)
    assert line["risk"].startswith("no MMM in this run: last touch is judged against Markov")


def test_brief_credit_line_under_credit_and_agreement(paths_only):
    under = _with_shares(paths_only, {"last_touch": {"a": 0.1, "b": 0.5, "c": 0.4}, "markov": {"a": 0.4, "b": 0.35, "c": 0.25},
                                      "shapley": {"a": 0.4, "b": 0.35, "c": 0.25}})
    (line,) = N.brief(under)
    assert line["decision"] == "Do not cut a on last-touch numbers: last touch under-credits it against Markov"
    assert line["action"] == "a under-credited by last touch" and line["value"] == pytest.approx(-0.3)
    assert line["low"] <= line["value"] <= line["high"] < 0
    agree = result(paths=SINGLE)
    (line,) = N.brief(agree)
    assert line["decision"] == "Last-touch credit can stand: it agrees with Markov on every channel within the uncertainty"
    assert line["action"] == "last touch agrees with Markov" and line["evidence"].startswith("largest gap: last touch gives ")


def test_brief_credit_line_against_a_healthy_mmm_comes_from_the_triangulation():
    from .builders import mmm_for_ab

    r = result(mmm=mmm_for_ab(0.7, 0.7))  # hand-made shares: a's gap (-43 pp) is the largest, b's is +3 pp
    assert N.credit_reference(r) == "mmm"
    (line,) = N.brief(r)
    assert line["section"] == N.SECTION_TRIANGULATION
    assert line["decision"] == "Do not cut a on last-touch numbers: last touch under-credits it against the MMM"
    assert line["evidence"] == ("last touch gives a 26.7% of attributed revenue, the MMM 70.0% of media contribution [65.0%, 75.0%] "
                                "(90% interval); gap -43.3 pp [-48.3 pp, -38.3 pp]")
    assert (line["value"], line["low"], line["high"]) == pytest.approx((0.8 / 3 - 0.7, 0.8 / 3 - 0.75, 0.8 / 3 - 0.65))
    assert line["risk"] == "none flagged"
    assert line["money_at_stake"] == pytest.approx(abs(line["value"]) * r.paths.credits_value["last_touch"].sum())


def test_brief_credit_line_with_a_failed_mmm_falls_back_to_markov():
    from .builders import mmm_for_ab

    r = result(mmm=mmm_for_ab(0.7, 0.3, passed=False))
    assert N.credit_reference(r) == "markov"
    (line,) = N.brief(r)
    assert line["section"] == N.SECTION_ATTRIBUTION and line["decision"].endswith("against Markov")
    assert line["risk"] == "the MMM failed its health check: last touch is judged against Markov only"


def test_brief_credit_risks_carry_the_warnings_uncredited_conversions_and_data_warnings(paths_only):
    from types import SimpleNamespace

    from playbook.results import DataWarning

    r = replace(paths_only, warnings=["Shapley: the rule acted on 1 channel."],
                data_warnings=[DataWarning("touchpoints.csv", "2 rows", "x", "merged"), DataWarning("funnel.csv", "1 row", "y", "merged")],
                paths=replace(paths_only.paths, journeys=SimpleNamespace(conversions_without_touch=3)))
    risks = N.credit_risks(r)
    assert risks[0] == "Shapley: the rule acted on 1 channel."
    assert "3 conversion(s) had no touch in the 30-day lookback window and are not credited" in risks
    assert risks[-1] == "1 data warning on touchpoints.csv"
    assert N.brief(r)[0]["risk"] == "; ".join(x.rstrip(".") for x in risks)  # one sentence: no full stop before a "; "


def test_brief_credit_line_agreeing_with_the_mmm_and_with_nothing_to_compare(paths_only):
    from .builders import mmm_for_ab

    r = result(mmm=mmm_for_ab(0.27, 0.73))  # last touch's revenue shares are 26.7% and 73.3%: inside the MMM's ±5 pp
    (line,) = N.brief(r)
    assert line["decision"] == "Last-touch credit can stand: it agrees with the MMM on every channel within the uncertainty"
    assert line["section"] == N.SECTION_TRIANGULATION and line["low"] <= 0 <= line["high"]
    empty = replace(paths_only, paths=replace(paths_only.paths, shares=pd.DataFrame(columns=["last_touch", "markov", "shapley"])))
    (line,) = N.brief(empty)
    assert line["decision"] == "No channel credit to compare" and line["money_at_stake"] is None and "value" not in line


def test_scope_line_names_the_funnel_orders_or_the_journeys_and_the_period(funnel_only, paths_only):
    s = N.scope(funnel_only)
    orders = int(funnel_only.funnel.data["orders"].sum())
    assert s.startswith("Scope: orders and revenue per paid channel as funnel.csv records them;")
    assert f"the {orders:,} orders the funnel counts" in s
    first, last = funnel_only.data_period
    assert s.endswith(f"{pd.Timestamp(first):%Y-%m-%d} to {pd.Timestamp(last):%Y-%m-%d}.")
    p = N.scope(paths_only)
    t = paths_only.paths.path_table
    assert "conversions and their value in the journeys" in p and f"{int(t['conversions'].sum() + t['nulls'].sum()):,} journeys" in p
    assert "funnel" not in p
