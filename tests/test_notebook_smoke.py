"""Every notebook runs through the real CLI on the bundled demo data (smoke mode) and reports properly."""

import html
import json
import re

import pytest
from conftest import ROOT, run_cli

NOTEBOOKS = [p.stem for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
DEMO = ROOT / "data" / "demo"

#: Result keys the issues name as public interface; "*" stands for every child (brand, channel, …).
REQUIRED_KEYS = {
    "market_analysis": [
        "market.revenue_last_12m", "market.yoy_growth", "market.cagr", "brands.*.share_last_12m", "brands.*.share_change_pp",
        "regions.*.yoy_growth", "regions.*.our_share", "regions.*.priority_rank", "forecast",
        "regions.*.trend_growth", "regions.*.trend_growth_lower", "regions.*.trend_growth_upper",
        "forecast_model.total.mean", "forecast_model.total.lower", "forecast_model.total.upper",
        "brief",
    ],
    "personas": [
        "clv.bgnbd.r", "clv.bgnbd.alpha", "clv.bgnbd.a", "clv.bgnbd.b", "clv.gamma_gamma.p", "clv.gamma_gamma.q",
        "clv.gamma_gamma.v", "clv.total_expected_mean", "segments.*.customers", "personas.*.customers", "personas.*.revenue_share",
        "clv.model.chosen", "clv.one_time_buyers.status", "clv.status.alive", "clv.status.gone", "clv.status.unknown",
        "clv.gamma_gamma.frequency_spend_correlation", "clv.gamma_gamma.independence_ok",
        "settings.discount_rate", "settings.margin", "settings.horizon",
        "persona_model.silhouette", "persona_model.stability_ari", "persona_model.weak",
        "clv.model.rule", "clv.model.candidates.*.holdout_error", "brief",
    ],
    "ab_test": [
        *(f"conversion.variants.*.{k}" for k in ("rate_mean", "rate_hdi_low", "rate_hdi_high", "prob_best", "expected_loss",
                                                  "uplift_mean", "uplift_hdi_low", "uplift_hdi_high")),
        "revenue.variants.*.prob_best", "srm.p_value", "srm.detected", "decision.action", "decision.variant", "decision.reason",
        "decision.rule", "decision.days_left", "sequential.tuning", "health.broken_variants",
        "segments.looked_at", "segments.credible",
        *(f"sequential.variants.*.{k}" for k in ("uplift_low", "uplift_high", "significant")),
    ],
    "mmm": [
        *(f"channels.*.{k}" for k in ("spend", "contribution_mean", "contribution_share", "roas_mean", "roas_hdi_low", "roas_hdi_high",
                                      "mroas_mean")),
        *(f"diagnostics.{k}" for k in ("rhat_max", "ess_bulk_min", "divergences", "holdout_mape", "passed")),
        "optimizer.expected_uplift_mean", "optimizer.expected_uplift_hdi_low", "optimizer.expected_uplift_hdi_high",
        *(f"channels.*.{k}" for k in ("profit_roi_mean", "profit_roi_hdi_low", "profit_roi_hdi_high", "prob_profitable",
                                      "prob_marginal_profitable", "mroas_current_mean", "mroas_current_hdi_low", "mroas_current_hdi_high", "tier")),
        "media_share.mean", "media_share.hdi_low", "media_share.hdi_high", "response_curves.*", "settings.margin",
        "optimizer_profit.total_weekly_budget", "optimizer_profit.expected_profit_mean",
        "optimizer_profit.expected_profit_hdi_low", "optimizer_profit.expected_profit_hdi_high", "diagnostics.extended.attempted",
        "data_checks.dropped_channels",
    ],
    "launch": [
        *(f"bass.{k}.{s}" for k in ("m", "p", "q") for s in ("mean", "hdi_low", "hdi_high")),
        "bass.peak_period", "bass.peak_period_index", "bass.half_potential_period", "forecast", "phases", "brief",
    ],
    "attribution": [
        "markov.*.conversions", "markov.*.value", "markov.*.removal_effect", "shapley.*.conversions", "first_touch.*.conversions",
        "last_touch.*.conversions", "linear.*.conversions", "alerts", "funnel",
        "shapley.*.negative_marginals", "shapley.*.touched_conversions", "attribution_meta.warnings",
        *(f"triangulation.missing.{k}" for k in ("mmm_only", "attribution_only", "lift_tests_only")),
        "markov_order", "time_to_conversion.*.median_days", "time_to_conversion.*.p90_days", "brief",
    ],
}


def lookup(data, dotted):
    """Values at a dotted path; ``*`` fans out over a mapping's children."""
    head, _, rest = dotted.partition(".")
    if head == "*":
        assert isinstance(data, dict) and data, "expected a non-empty mapping"
        children = list(data.values())
    else:
        assert isinstance(data, dict) and head in data, f"missing key {head!r}"
        children = [data[head]]
    return [v for c in children for v in (lookup(c, rest) if rest else [c])]


@pytest.fixture(scope="module")
def playbook_run(tmp_path_factory):
    """The whole playbook, headless, in smoke mode, two notebooks at a time (run once: the
    Makefile's ``--dist loadfile`` keeps this module on one xdist worker)."""
    out = tmp_path_factory.mktemp("run")
    res = run_cli("run", "--data", str(DEMO), "--out", str(out), "-p", "smoke=true", "--jobs", "2", timeout=1500)
    return out, res


def test_whole_playbook_succeeds(playbook_run):
    out, res = playbook_run
    manifest = json.loads((out / "manifest.json").read_text())
    failures = {e["name"]: e["error"] for e in manifest["notebooks"] if e["status"] != "succeeded"}
    assert res.returncode == 0 and not failures, (failures, res.stderr[-3000:])
    assert [e["name"] for e in manifest["notebooks"]] == NOTEBOOKS or sorted(e["name"] for e in manifest["notebooks"]) == NOTEBOOKS
    index = (out / "index.html").read_text()
    assert f"{len(NOTEBOOKS)} of {len(NOTEBOOKS)} reports succeeded" in index


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_report_is_clean_html(playbook_run, name):
    out, _ = playbook_run
    html = (out / f"{name}.html").read_text()
    assert "Traceback" not in html
    assert 'class="jp-InputArea-editor' not in html and "hl-ipython3" not in html, "code must not reach stakeholders"
    assert "report.save_results(" not in html and "import " not in re.sub(r"<[^>]+>", " ", html).split("Appendix")[0]
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "report must be offline"
    assert "cdnjs" not in html and "require.min.js" not in html and "MathJax.js" not in html
    assert "Executive summary" in html and "Appendix" in html and html.index("Executive summary") < html.index("Appendix")
    assert 'class="pb-summary"' in html and 'class="pb-toc"' in html


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_results_json_has_the_public_keys(playbook_run, name):
    out, _ = playbook_run
    data = json.loads((out / f"{name}.json").read_text())
    assert data["meta"]["notebook"] == name and data["headline"], "headline tiles feed the index page"
    scope = data["meta"]["scope"]  # the report's opening line: which measure, whose, which period
    assert scope.startswith("Scope: ") and scope in (out / f"{name}.html").read_text().replace("&#x27;", "'")
    withheld = name == "mmm" and not data["optimizer"]["recommended"]
    for key in REQUIRED_KEYS.get(name, []):
        values = lookup(data, key)
        if withheld and key.startswith(("optimizer.", "optimizer_profit.")):
            # a failed health card withholds the plan: the keys stay, their values are null
            assert data["diagnostics"]["passed"] is False, "a plan is only withheld when the health card fails"
            continue
        assert values and all(v is not None for v in values), key
    if name == "mmm":
        for channel in data["channels"]:
            assert {"current", "optimal", "at_bound"} <= set(data["optimizer"][channel]), channel
            assert {"current", "optimal", "at_bound"} <= set(data["optimizer_profit"][channel]), channel


#: A table header that is a code name: lower-case words joined by underscores (``prob_beats_control``, ``delta_x``).
IDENTIFIER = re.compile(r"[a-z0-9]+(_[a-z0-9]+)+")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_main_body_tables_have_human_headers_and_stale_data_a_banner(playbook_run, name):
    """Issue 20: no header of a table before the appendix is an identifier; the demo data are stale, so every
    report says so in its banner and in ``meta.stale``."""
    out, _ = playbook_run
    page = (out / f"{name}.html").read_text()
    body = re.split(r'<h2 id="Appendix', page)[0]
    headers = [html.unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", body, flags=re.S)]
    assert headers, f"{name}: no table in the main body to check"
    assert not [h for h in headers if IDENTIFIER.fullmatch(h)], f"{name}: identifier headers in the main body"
    meta = json.loads((out / f"{name}.json").read_text())["meta"]
    assert meta["stale"] is True and f"{meta['data_age_days']} days before this run" in page


@pytest.mark.skipif("market_analysis" not in NOTEBOOKS, reason="notebook not present")
def test_a_notebook_runs_alone(tmp_path):
    res = run_cli("run", "market_analysis", "--out", str(tmp_path), "-p", "smoke=true")
    assert res.returncode == 0, res.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["brief.html", "index.html", "market_analysis.html"]


@pytest.mark.parametrize("name", ["index", "brief", *NOTEBOOKS])
def test_the_demo_run_reads_on_a_phone_and_prints_in_a_real_browser(playbook_run, page, name, tmp_path):
    """The page checks of ``tests/browser`` on the demo run's own reports: no console error, every chart
    drawn and not empty, no horizontal overflow at 390 px, printed to PDF with every chart in it."""
    from browser.test_pages import check_page

    out, _ = playbook_run
    seen = check_page(page, out / f"{name}.html", tmp_path)
    if name in NOTEBOOKS:
        assert seen["images"], f"{name}: a report without charts"


@pytest.mark.skipif(not {"mmm", "attribution"} <= set(NOTEBOOKS), reason="needs the mmm and attribution notebooks")
def test_attribution_lines_up_the_same_runs_mmm_shares(playbook_run):
    """Run with --jobs 2: attribution waits for the MMM and triangulates with this run's mmm.json."""
    out, _ = playbook_run
    mmm = json.loads((out / "mmm.json").read_text())
    tri = json.loads((out / "attribution.json").read_text())["triangulation"]
    shared = set(mmm["channels"]) & set(tri) - {"missing"}
    assert shared, "no channel on both sides"
    for ch in shared:
        assert tri[ch]["mmm_share"] == pytest.approx(mmm["channels"][ch]["contribution_share"]), ch
        assert tri[ch]["mmm_roas_mean"] == pytest.approx(mmm["channels"][ch]["roas_mean"]), ch


def test_the_brief_has_a_decision_from_every_notebook(playbook_run):
    out, _ = playbook_run
    brief = json.loads((out / "brief.json").read_text())
    by_notebook = {}
    for d in brief["decisions"]:
        by_notebook.setdefault(d["notebook"], []).append(d)
    assert set(by_notebook) == set(NOTEBOOKS)
    for name, lines in by_notebook.items():
        assert all(d["status"] == "succeeded" and d["decision"] and d["risk"] for d in lines), name
        assert not any(d["decision"].startswith("No decision line") for d in lines), f"{name} writes no brief line"
        for d in lines:
            page, _, anchor = d["link"].partition("#")
            assert anchor and f'id="{anchor}"' in (out / page).read_text(), f"{name}: {d['section']!r} is no section of {page}"
    assert brief["meta"]["interval"] == 0.9 and brief["changes"] == []
