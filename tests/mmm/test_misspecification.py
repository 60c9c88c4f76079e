"""Recovery under misspecification (slow): data from delayed adstock and Hill saturation, fitted with the defaults
(geometric adstock, logistic saturation). The test states how far ROAS, P(profitable) and the profit plan land
from the truth; it prints the figures (``pytest -s``)."""

import numpy as np
import pandas as pd
import pytest

from playbook import mcmc
from playbook import mmm as M
from playbook.mmm import budget

L_MAX = 8
#: channel → (true ROAS over the window, delayed-adstock decay, peak lag, Hill half-saturation as a share of max spend, Hill slope)
TRUTH = {"search": (2.5, 0.5, 1, 0.6, 1.5), "social": (1.4, 0.6, 2, 0.5, 2.0), "display": (0.5, 0.4, 1, 0.4, 1.2)}


def delayed_adstock(x, alpha, theta, l_max=L_MAX):
    w = alpha ** ((np.arange(l_max) - theta) ** 2)
    w = w / w.sum()
    return np.convolve(x, w)[: len(x)]


def hill(x, half, slope):
    return x**slope / (x**slope + half**slope)


def simulate(n=130, seed=11):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=n, freq="7D")
    doy = dates.dayofyear.to_numpy()
    baseline = 50_000 + 8_000 * np.arange(n) / (n - 1) + 3_000 * np.sin(2 * np.pi * doy / 365.25)
    frame = pd.DataFrame({"date": dates})
    media = np.zeros(n)
    truth = {}
    for ch, (roas, alpha, theta, half, slope) in TRUTH.items():
        x = rng.gamma(4.0, 2_000.0, n) * (rng.uniform(size=n) > 0.15)
        scale = x.max()
        unit = hill(delayed_adstock(x, alpha, theta) / scale, half, slope)
        beta = roas * x.sum() / unit.sum()
        contrib = beta * unit
        media += contrib
        frame[f"spend_{ch}"] = x.round(2)
        truth[ch] = {"roas": roas, "contribution": float(contrib.sum()), "x": x, "params": (alpha, theta, scale, half, slope, beta)}
    frame["revenue"] = baseline + media + rng.normal(0, 1_500, n)
    return frame, truth


def true_marginal_now(tr, weeks, step=0.01):
    alpha, theta, scale, half, slope, beta = tr["params"]
    x = tr["x"]
    cur = x[-weeks:].mean()

    def resp(level):
        s = np.concatenate([x, np.full(weeks, level), np.zeros(L_MAX)])
        return beta * hill(delayed_adstock(s, alpha, theta) / scale, half, slope)[len(x):].sum()

    return (resp(cur * (1 + step)) - resp(cur)) / (step * cur * weeks)


@pytest.mark.slow
def test_default_model_on_delayed_hill_data_lands_near_the_truth():
    frame, truth = simulate()
    inp = M.prepare_input(frame, "revenue", [])
    settings = mcmc.Settings(draws=400, tune=400, chains=2, sampler="nutpie", seed=5, target_accept=M.model.TARGET_ACCEPT)
    model = M.fit_model(M.build_model(inp), inp, settings, prior_samples=100)
    planner = budget.Planner(model, inp, budget_weeks=8, max_draws=200)
    mroas_now = planner.marginal_roas(budget.current_weekly_spend(inp, 8))
    margin = 0.8  # break-even ROAS 1.25
    s = M.channel_summary(model, inp, interval=0.9, margin=margin, mroas_current=mroas_now).set_index("channel")
    report = []
    for ch, tr in truth.items():
        r = s.loc[ch]
        true_p = float(tr["roas"] * margin > 1)
        report.append((ch, tr["roas"], r["roas_mean"], r["roas_hdi_low"], r["roas_hdi_high"], r["prob_profitable"], true_p,
                       true_marginal_now(tr, 8), r["mroas_current_mean"]))
    print("\nchannel, true ROAS, ROAS mean [90% interval], P(ROAS×0.8>1), truly profitable, true mROAS now, mROAS now")
    for row in report:
        print("{} {:.2f} {:.2f} [{:.2f}, {:.2f}] {:.2f} {:.0f} {:.2f} {:.2f}".format(*row))
    # stated tolerances under misspecification (seed 11, 2 × 400 draws; observed in two runs: search 3.19–3.29
    # [2.4, 4.1] for a true 2.5, social 1.85–1.88 [1.3, 2.5] for 1.4, display 0.21–0.22 [0.0, 0.4] for 0.5): the wrong
    # carry-over and saturation shapes move credit from the weakest channel to the strongest, so ROAS lands within
    # 1.0 of the truth (and not always inside its interval) ...
    for ch, true_roas, mean, *_ in report:
        assert abs(mean - true_roas) < 1.0, (ch, true_roas, mean)
    # ... the channels keep their true order ...
    assert [row[0] for row in sorted(report, key=lambda r: -r[2])] == [row[0] for row in sorted(report, key=lambda r: -r[1])]
    # ... the profitable / unprofitable call sides with the truth where the truth is clearly off break-even (±0.5)
    for ch, true_roas, _, _, _, p, truly, *_ in report:
        if abs(true_roas * margin - 1) > 0.5:
            assert (p > 0.5) == bool(truly), (ch, true_roas, p)
    # ... and the profit plan does not raise the channel that truly loses money at the margin (observed: it cuts display
    # by its full 30 % and raises search, whose true marginal ROAS now is 2.28, to its bound; profit gain about $36k)
    losing = s.index[s["prob_marginal_profitable"] < budget.NO_RAISE_BELOW].tolist()
    profit = M.optimize_profit(model, inp, budget_weeks=8, margin=margin, planner=planner, no_raise=losing, grid=5)
    pt = profit.table.set_index("channel")
    print("profit plan:", pt[["current", "optimal", "at_bound"]].round(0).to_dict("index"), "total", round(profit.total_weekly_budget),
          "profit", round(profit.expected_profit_mean), [round(profit.expected_profit_hdi_low), round(profit.expected_profit_hdi_high)])
    assert pt.loc["display", "change"] <= 1e-6 * pt.loc["display", "current"]
