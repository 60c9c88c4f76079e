"""Attribution on the awkward but legal inputs real teams have (issue 17): a report with named warnings, or a clear refusal.

Each case is built from the demo data, loaded through the data contract and run through ``analyze()`` in smoke
mode; every sentence, table, figure and brief line the notebook shows is then built, and the results must be
JSON-safe. One case runs the notebook through the CLI; input the analysis cannot support is refused by the
contract (exit 2 naming the file, the column and the rule).
"""

from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest
from conftest import ROOT, run_cli

from playbook import attribution, cli, io, results
from playbook.attribution import narrative as N
from playbook.attribution import plots, tables

matplotlib.use("Agg")

DEMO = ROOT / "data" / "demo"
SMOKE = attribution.Settings(smoke=True, n_bootstrap=3)


@pytest.fixture(scope="module")
def demo():
    return {n: pd.read_csv(DEMO / f"{n}.csv") for n in ("touchpoints", "conversions", "funnel")}


def write(folder, **frames):
    folder.mkdir(exist_ok=True)
    for name, frame in frames.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def analyze_folder(folder, targets=None):
    """Load what the folder holds through the contracts and analyse it as the notebook does (smoke settings)."""
    ins = {n: io.load_optional(n, folder) for n in ("funnel", "paths", "touchpoints", "conversions")}
    return attribution.analyze(funnel_data=ins["funnel"], paths=ins["paths"], touchpoints=ins["touchpoints"],
                               conversions=ins["conversions"], targets=targets, settings=SMOKE,
                               data_warnings=io.loaded_warnings(*ins.values()))


def report_of(r):
    """Everything the report shows must build without error, and the results must be JSON-safe."""
    import matplotlib.pyplot as plt

    out = [*N.findings(r), *(t.value for t in N.tiles(r)), *(x["decision"] for x in N.brief(r))]
    f, p = r.funnel, r.paths
    if f is not None:
        out += [N.leak_sentence(r), N.economics_sentence(r), N.trend_sentence(r)]
        tables.unit_economics(r)
        plots.funnel_rates(f.stages, N.leak_title(r))
        plots.unit_economics_chart(f.econ, N.economics_title(r))
        if f.status is not None and len(f.status):
            out.append(N.targets_sentence(r))
            plots.kpi_status_grid(f.status, N.targets_title(r))
        if len(f.bad_episodes):
            shown = N.alert_episodes_drawn(r)
            out.append(N.alerts_sentence(r))
            tables.alert_episodes(r)
            plots.alert_panels(attribution.kpi.kpi_frame(f.data), f.expectations(shown), shown, "alerts")
    if p is not None:
        out += [N.shares_sentence(r), N.ranking_sentence(r), *N.methods(r), *N.diagnostics(r), N.triangulation_sentence(r)]
        out += [t for t, _ in N.attribution_banners(r) + N.triangulation_banners(r)]
        tables.shares(r)
        plots.model_shares(p.shares.loc[N.ranking(r)], N.shares_title(r), ["last_touch", "linear", "markov", "shapley"])
        plots.credit_intervals(p.ci_table(), N.ranking_title(r), N.credit_axis_label(r))
        if N.time_to_conversion_sentence(r):
            tables.time_to_conversion(r)
    plt.close("all")
    saved = results.payload("attribution", r.results(), N.tiles(r), r.data_period, r.interval, r.data_warnings)
    json.dumps(results.to_jsonable(saved), allow_nan=False)
    return out, saved


def test_channels_with_dark_days_are_read_as_off_air_with_a_named_warning(tmp_path, demo):
    fu = demo["funnel"]
    dates = sorted(fu["date"].unique())
    dark = fu[~((fu["channel"] == "email") & fu["date"].isin(dates[-40:-30]))].copy()  # ten days without a row
    off_air = (dark["channel"] == "kol") & dark["date"].isin(dates[-20:-5])  # fifteen days of zeros inside the KPI window
    dark.loc[off_air, ["impressions", "clicks", "signups", "orders", "revenue", "spend"]] = 0
    r = analyze_folder(write(tmp_path, funnel=dark), targets=io.load_yaml("kpi_targets.yaml", DEMO))
    [warning] = r.data_warnings
    assert warning.file == "funnel.csv" and warning.rows == "email: 10 days" and "off air" in warning.action
    assert not (r.funnel.alerts["channel"].eq("email") & r.funnel.alerts["date"].isin(pd.to_datetime(dates[-40:-30]))).any()
    _, saved = report_of(r)
    assert saved["warnings"][0]["file"] == "funnel.csv"
    assert N.brief(r)[0]["risk"].endswith("1 data warning on funnel.csv")


def test_conversions_without_touchpoints_are_left_uncredited_with_a_named_warning(tmp_path, demo):
    cv = demo["conversions"]
    strays = pd.DataFrame({"journey_id": [f"stray{i}" for i in range(30)], "timestamp": cv["timestamp"].iloc[:30].to_numpy(), "value": 20.0})
    r = analyze_folder(write(tmp_path, touchpoints=demo["touchpoints"], conversions=pd.concat([cv, strays])))
    assert r.paths.journeys.conversions_without_touch == 30
    [warning] = r.data_warnings
    assert warning.file == "conversions.csv" and warning.rows == "30 conversions" and "$600.00 of value left out" in warning.action
    assert r.paths.markov.total_conversions == pytest.approx(len(cv))  # the strays are not shared out
    out, saved = report_of(r)
    assert saved["attribution_meta"]["conversions_without_touch"] == 30 and saved["warnings"][0]["rows"] == "30 conversions"
    assert any("30 conversion(s) had no touch in the window" in t for t in out)


def test_journeys_of_one_touch_only_give_last_touch_credit_with_a_named_warning(tmp_path, demo):
    tp = demo["touchpoints"].sort_values("timestamp").groupby("journey_id").tail(1)
    r = analyze_folder(write(tmp_path, touchpoints=tp, conversions=demo["conversions"]))
    [warning] = r.data_warnings
    assert warning.file == "touchpoints.csv" and warning.rows.startswith("all ") and "single touch" in warning.action
    sh = r.paths.shares
    assert (sh["markov"] - sh["last_touch"]).abs().max() < 1e-9 and (sh["first_touch"] - sh["last_touch"]).abs().max() < 1e-9
    report_of(r)
    line = N.brief(r)[0]
    assert line["decision"].startswith("Last-touch credit can stand") and "1 data warning on touchpoints.csv" in line["risk"]


def test_a_channel_only_on_converting_journeys_is_credited_with_a_named_warning(tmp_path, demo):
    tp, cv = demo["touchpoints"].copy(), demo["conversions"]
    last = tp.sort_values("timestamp").groupby("journey_id").tail(1)
    relabel = last[last["journey_id"].isin(set(cv["journey_id"]))].index[:80]
    tp.loc[relabel, "channel"] = "affiliate"  # tracked only at the conversion, as a coupon code would be
    r = analyze_folder(write(tmp_path, touchpoints=tp, conversions=cv))
    [warning] = r.data_warnings
    assert warning.rows == "channel affiliate" and warning.action.startswith("affiliate appears only on converting journeys")
    sh = r.paths.shapley.channels.set_index("channel").loc["affiliate"]
    assert 0 <= sh["conversions"] <= sh["touched_conversions"]
    report_of(r)


@pytest.mark.notebook
def test_the_notebook_reports_conversions_without_touchpoints(tmp_path, demo):
    """The CLI run in smoke mode: the report shows the named warning and the results JSON lists it."""
    cv = demo["conversions"]
    strays = pd.DataFrame({"journey_id": ["stray0", "stray1"], "timestamp": cv["timestamp"].iloc[:2].to_numpy(), "value": 10.0})
    data = write(tmp_path / "data", touchpoints=demo["touchpoints"], conversions=pd.concat([cv, strays]))
    out = tmp_path / "run"
    res = run_cli("run", "attribution", "--data", str(data), "--out", str(out), "-p", "smoke=true", "-p", "mmm_results=none",
                  "-p", "lift_tests=none", timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    saved = json.loads((out / "attribution.json").read_text())
    assert [w["rows"] for w in saved["warnings"]] == ["2 conversions"] and saved["warnings"][0]["file"] == "conversions.csv"
    html = (out / "attribution.html").read_text()
    assert "Traceback" not in html and "conversions.csv (2 conversions)" in html


def test_negative_conversion_values_are_refused_before_anything_runs(tmp_path, demo, capsys):
    """Not awkward but illegal: the runner's pre-run check (``playbook validate attribution``, in process) exits 2."""
    cv = demo["conversions"].copy()
    cv.loc[:2, "value"] = -5.0
    data = write(tmp_path, touchpoints=demo["touchpoints"], conversions=cv)
    assert cli.main(["validate", "attribution", "--data", str(data)]) == 2
    err = capsys.readouterr().err
    assert "conversions.csv" in err and "column: value" in err and "must be >= 0" in err and "j0000" in err
