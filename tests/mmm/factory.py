"""Small hand-made MMM inputs and results (no MCMC) for the fast tests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from playbook import mcmc
from playbook.mmm import MMMResult, budget, data, decompose, health, model


def frame(n=60, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n, freq="7D")
    return pd.DataFrame(
        {
            "date": dates,
            "revenue": 1000 + rng.normal(0, 10, n),
            "spend_tv": rng.uniform(0, 100, n),
            "spend_search": rng.uniform(0, 50, n),
            "price": 2.0 + rng.normal(0, 0.1, n),
            "promo": (rng.uniform(size=n) < 0.3).astype(int),
        }
    )


def summary():
    """The old hand-made channel table: a clearly best, b clearly below break-even, c too uncertain to rank."""
    return pd.DataFrame(
        {
            "channel": ["a", "b", "c"],
            "spend": [100.0, 100.0, 100.0],
            "contribution_mean": [300.0, 50.0, 120.0],
            "contribution_hdi_low": [250.0, 20.0, 10.0],
            "contribution_hdi_high": [350.0, 80.0, 400.0],
            "contribution_share": [300 / 470, 50 / 470, 120 / 470],
            "roas_mean": [3.0, 0.5, 1.2],
            "roas_hdi_low": [2.5, 0.2, 0.1],
            "roas_hdi_high": [3.5, 0.8, 4.0],
            "mroas_mean": [2.0, 0.4, 1.0],
            "mroas_hdi_low": [1.5, 0.1, 0.1],
            "mroas_hdi_high": [2.5, 0.7, 3.0],
        }
    )


def holdout(mape=0.04, r2=0.7):
    return health.Holdout(13, mape, r2, 0.9, pd.DataFrame())


def passed_card(interval=0.9):
    return health.assess_health(1.005, 900, 0, 0.95, chains=2, holdout=holdout(), prior_sd_ratio_max=0.2, worst_learned_channel="tv", interval=interval)


def failed_card(interval=0.9):
    return health.assess_health(1.2, 50, 0, 0.95, chains=2, holdout=holdout(), prior_sd_ratio_max=0.2, worst_learned_channel="tv", interval=interval)


def draws(means: dict[str, float], sds: dict[str, float], spend: dict[str, float], n=2000, seed=1) -> pd.DataFrame:
    """Draws × channels of total contribution with ROAS ~ Normal(mean, sd) per channel."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({ch: rng.normal(means[ch], sds[ch], n) * spend[ch] for ch in means})


def plan_table(current, optimal, frac=0.3):
    current, optimal = pd.Series(current, dtype=float), pd.Series(optimal, dtype=float)
    bounds = budget.spend_bounds(current, float(current.sum()), frac)
    t = pd.DataFrame({"channel": list(current.index), "current": current.to_numpy(), "optimal": optimal.reindex(current.index).to_numpy(),
                      "lower_bound": [bounds[c][0] for c in current.index], "upper_bound": [bounds[c][1] for c in current.index]})
    t["change"] = t["optimal"] - t["current"]
    t["change_pct"] = t["change"] / t["current"]
    t["at_bound"] = budget.at_bound(optimal, bounds, current).reindex(current.index).to_numpy()
    return t


def plan(current=None, optimal=None, gain=(5000.0, 1000.0, 9000.0), p=0.99, profit=(2000.0, -500.0, 4500.0), total=None):
    current = current or {"tv": 1000.0, "search": 500.0}
    optimal = optimal or {"tv": 1200.0, "search": 300.0}
    t = plan_table(current, optimal)
    return budget.BudgetPlan(13, pd.Timestamp("2025-03-03"), float(total or sum(optimal.values())), t, *gain, p, 40000.0, True,
                             *profit, 0.8, True)


def result(*, passed=True, roas=None, sds=None, margin=1.0, interval=0.9, alpha=None, dropped=(), lifts=False, with_plan=True,
           profit_plan=True, confounded=False, n=60) -> MMMResult:
    """A complete MMMResult for tv and search from hand-made draws, health card and plans."""
    f = frame(n)
    if confounded:
        f["spend_search"] = 30 + 20 * np.sin(2 * np.pi * f["date"].dt.dayofyear / 365.25)
    inp = data.prepare_input(f, "revenue", ["price", "promo"])
    drops = [data.DroppedChannel(ch, 0, n) for ch in dropped]
    checks = data.data_checks(inp, drops)
    roas = roas or {"tv": 3.0, "search": 1.4}
    sds = sds or {"tv": 0.2, "search": 0.2}
    spend = inp.spend.sum().to_dict()
    contrib = draws(roas, sds, spend)
    mroas_now = pd.DataFrame({ch: contrib[ch] / spend[ch] * 0.5 for ch in contrib})
    summ = decompose.summarize_channels(contrib, pd.Series(spend), mroas_now * 1.2, mroas_now, interval, margin)
    card = passed_card(interval) if passed else failed_card(interval)
    decomp = pd.DataFrame({"date": inp.frame["date"], "baseline": 800.0, "price": 1.0, "tv": contrib["tv"].mean() / n, "search": contrib["search"].mean() / n})
    alpha = alpha or {"tv": 0.2, "search": 0.7}
    decay = pd.DataFrame([{"channel": ch, "weeks_since_spend": k, "weight_mean": (1 - a) * a**k, "weight_hdi_low": 0.0, "weight_hdi_high": 1.0}
                          for ch, a in alpha.items() for k in range(8)])
    x = np.linspace(0, 150, 5)
    curves = pd.DataFrame([{"channel": ch, "spend": v, "contribution_mean": 2 * v ** 0.8, "contribution_hdi_low": 1.5 * v ** 0.8,
                            "contribution_hdi_high": 2.5 * v ** 0.8, "current_spend": 50.0} for ch in ("tv", "search") for v in x])
    s = mcmc.Settings(draws=100, tune=100, chains=2, sampler="nutpie", seed=1)
    ext = model.Extension(False, model.extension_reason(True, 0, []), s, s, True, True)
    lift = pd.DataFrame({"channel": ["tv"], "x": [50.0], "delta_x": [10.0], "delta_y": [25.0], "sigma": [5.0]}) if lifts else None
    calib = decompose.calibration_comparison(summ.assign(roas_mean=summ["roas_mean"] + 0.5), summ) if lifts else None
    current = budget.current_weekly_spend(inp, 13)
    p = plan() if (passed and with_plan) else None
    q = plan(optimal={"tv": 1300.0, "search": 350.0}, total=1650.0) if (passed and with_plan and profit_plan) else None
    share = decompose.media_share(contrib, float(inp.y.sum()), interval)
    return MMMResult(
        inp, checks, model.Spec(), s, ext, summ, summ, calib, lift, "Calibrated with lift tests from the input data folder: lift_tests.csv." if lifts
        else "No calibration: lift tests were switched off (lift_tests = none).", holdout(), card,
        pd.DataFrame({"date": inp.frame["date"], "observed": inp.y, "predicted_mean": inp.y, "predicted_hdi_low": inp.y - 5, "predicted_hdi_high": inp.y + 5}),
        decomp, decompose.waterfall(decomp, inp.channels), curves, decay,
        pd.DataFrame({"channel": ["tv"], "parameter": ["saturation_beta"], "prior_mean": [1.0], "prior_sd": [1.0], "posterior_mean": [1.0], "posterior_sd": [0.2], "sd_ratio": [0.2]}),
        current, share, p, q, interval, margin, "$", 0.3, 13, 13, list(checks.confounded), False,
    )


def with_(r: MMMResult, **changes) -> MMMResult:
    return replace(r, **changes)
