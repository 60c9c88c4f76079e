"""Demo part ``mmm``: weekly revenue driven by the shared media plan, with known channel effects.

Writes ``mmm.csv`` (one row per week: ``revenue``, ``spend_<channel>``, controls) and
``lift_tests.csv`` (two geo-holdout style lift tests in PyMC-Marketing's format).

The data-generating process is exactly the model that ``playbook.mmm`` (``playbook/mmm/``) fits by default, so
the model is well specified and the truth is recoverable:

``revenue_t = baseline_t + seasonality_t + controls_t + sum_c contribution_{c,t} + noise_t``

with ``contribution_{c,t} = B_c * logistic(lam_c * adstock_c(x_c)_t / max_t x_{c,t})``,
where ``adstock_c`` is PyMC-Marketing's *normalized* geometric adstock (weights
``alpha^l / sum_l alpha^l`` for lags ``l = 0 .. l_max-1``, zero spend before the window) and
``logistic(z) = (1 - e^-z) / (1 + e^-z)`` is its ``logistic_saturation``. ``lam_c`` is stated on
spend divided by the channel's maximum weekly spend, which is PyMC-Marketing's default
channel scaling, so the true ``lam`` is directly comparable with the posterior's
``saturation_lam``. ``B_c`` is chosen so that the channel's ROAS over the window
(total contribution / total spend) equals a chosen target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.demo.world import World

#: Carry-over window in weeks; the fitted model uses the same ``l_max``.
L_MAX = 8
#: Chosen truth per channel: adstock retention ``alpha``, saturation steepness ``lam`` (on
#: spend / max spend) and ROAS over the window. Some channels return less than they cost.
CHANNEL_TRUTH: dict[str, dict[str, float]] = {
    "social": {"alpha": 0.35, "lam": 2.0, "roas": 1.5},
    "short_video": {"alpha": 0.20, "lam": 3.0, "roas": 0.8},
    "search": {"alpha": 0.10, "lam": 4.0, "roas": 3.2},
    "kol": {"alpha": 0.55, "lam": 2.5, "roas": 0.6},
    "email": {"alpha": 0.30, "lam": 1.5, "roas": 4.0},
    "offline_events": {"alpha": 0.60, "lam": 1.5, "roas": 0.5},
}
DEFAULT_CHANNEL = {"alpha": 0.3, "lam": 2.0, "roas": 1.0}
MARGINAL_STEP = 0.01  # marginal ROAS: response to a 1 % spend increase, as PyMC-Marketing measures it
#: The playbook's default budget plan (``playbook.mmm``'s run defaults): the weeks it covers, the ± fraction of current
#: weekly spend each channel may move, and the contribution margin. The truth's plan is stated on the same terms.
BUDGET_WEEKS = 13
BUDGET_BOUNDS = 0.3
DEFAULT_MARGIN = 1.0


def geometric_adstock(x: np.ndarray, alpha: float, l_max: int = L_MAX, normalize: bool = True) -> np.ndarray:
    """Adstocked spend per period (same units as ``x``): PyMC-Marketing's geometric adstock."""
    weights = alpha ** np.arange(l_max, dtype=float)
    if normalize:
        weights = weights / weights.sum()
    return np.convolve(np.asarray(x, dtype=float), weights)[: len(x)]


def logistic_saturation(x: np.ndarray, lam: float) -> np.ndarray:
    """Saturated response in [0, 1): ``(1 - exp(-lam x)) / (1 + exp(-lam x))``."""
    z = np.exp(-lam * np.asarray(x, dtype=float))
    return (1.0 - z) / (1.0 + z)


def channel_response(spend: np.ndarray, alpha: float, lam: float, scale: float, beta: float, tail: int = 0) -> np.ndarray:
    """KPI contribution per week (currency) of one channel's weekly spend; ``tail`` zero-spend weeks appended."""
    x = np.concatenate([np.asarray(spend, dtype=float), np.zeros(tail)])
    return beta * logistic_saturation(geometric_adstock(x, alpha) / scale, lam)


def weekly_spend(world: World) -> pd.DataFrame:
    """Spend per week (rows, indexed by week start) and channel: the shared daily plan summed per week."""
    daily = world.daily_spend()
    week = np.arange(len(daily)) // 7
    weekly = daily.groupby(week).sum()
    weekly.index = world.week_starts
    return weekly.rename_axis("date")


def make(world: World) -> tuple[dict[str, pd.DataFrame], dict]:
    """``({"mmm.csv": ..., "lift_tests.csv": ...}, truth)`` for the demo world."""
    files, truth, _ = simulate(world)
    return files, truth


def simulate(world: World) -> tuple[dict[str, pd.DataFrame], dict, pd.Series]:
    """:func:`make`'s files and truth, and the noise-free weekly revenue (indexed by week start) they come from."""
    rng = world.rng("mmm")
    spend = weekly_spend(world)
    dates = spend.index
    n = len(dates)
    t = np.arange(n)

    # Baseline with a growth trend, yearly seasonality and three controls.
    baseline = 95_000.0 + 25_000.0 * t / max(1, n - 1)
    doy = dates.dayofyear.to_numpy()
    season = 7_000.0 * np.sin(2 * np.pi * doy / 365.25) + 4_000.0 * np.cos(2 * np.pi * doy / 365.25)
    price_index = np.round(1.0 + np.cumsum(rng.normal(0, 0.006, n)) + rng.normal(0, 0.01, n), 4)
    competitor_promo = (rng.uniform(size=n) < 0.15).astype(int)
    md = dates.month * 100 + dates.day
    holiday = ((md >= 1120) & (md <= 1224)).astype(int)
    price_effect = -150_000.0  # revenue per unit of price index above 1.0
    promo_effect = -9_000.0
    holiday_effect = 14_000.0
    controls = price_effect * (price_index - 1.0) + promo_effect * competitor_promo + holiday_effect * holiday

    contributions = {}
    channel_truth = {}
    for ch in world.channels:
        p = CHANNEL_TRUTH.get(ch, DEFAULT_CHANNEL)
        x = spend[ch].to_numpy()
        scale = float(x.max())
        unit = channel_response(x, p["alpha"], p["lam"], scale, 1.0)
        beta = p["roas"] * x.sum() / unit.sum()  # asymptote in currency per week
        contrib = beta * unit
        # Marginal ROAS at current spend, carry-over beyond the window included:
        # extra revenue from 1 % more spend in every week, per extra currency unit spent.
        base_tail = channel_response(x, p["alpha"], p["lam"], scale, beta, tail=L_MAX)
        up_tail = channel_response(x * (1 + MARGINAL_STEP), p["alpha"], p["lam"], scale, beta, tail=L_MAX)
        mroas = float((up_tail.sum() - base_tail.sum()) / (MARGINAL_STEP * x.sum()))
        contributions[ch] = contrib
        channel_truth[ch] = {
            "spend": float(x.sum()),
            "contribution": float(contrib.sum()),
            "roas": float(contrib.sum() / x.sum()),
            "mroas": mroas,
            "adstock_alpha": p["alpha"],
            "saturation_lam": p["lam"],
            "beta_currency": float(beta),
            "channel_scale": scale,
        }
    media = np.sum(list(contributions.values()), axis=0)
    noise_sd = 3_500.0
    noise = rng.normal(0, noise_sd, n)
    revenue = baseline + season + controls + media + noise

    frame = pd.DataFrame({"date": dates, "revenue": np.round(revenue, 2)})
    for ch in world.channels:
        frame[f"spend_{ch}"] = spend[ch].round(2).to_numpy()
    frame["price_index"] = price_index
    frame["competitor_promo"] = competitor_promo
    frame["holiday"] = holiday

    total_media = float(media.sum())
    target_scale = float(frame["revenue"].max())
    for ch in world.channels:
        channel_truth[ch]["contribution_share"] = channel_truth[ch]["contribution"] / total_media
        # PyMC-Marketing's saturation_beta lives on revenue / max(revenue).
        channel_truth[ch]["saturation_beta"] = channel_truth[ch]["beta_currency"] / target_scale

    lift = _lift_tests(world, spend, channel_truth, rng)
    partial = {"channels": channel_truth}
    now = marginal_roas_now(partial, spend, weeks=BUDGET_WEEKS)
    plan = profit_plan_now(partial, spend, weeks=BUDGET_WEEKS, margin=DEFAULT_MARGIN, bounds=BUDGET_BOUNDS)
    for ch in world.channels:
        channel_truth[ch]["mroas_now"] = now[ch]
        channel_truth[ch]["current_weekly"] = float(spend[ch].to_numpy()[-BUDGET_WEEKS:].mean())
        channel_truth[ch]["profit_optimal_weekly"] = plan[ch]
    truth = {
        "kpi": "revenue",
        "l_max": L_MAX,
        "adstock": "geometric (normalized)",
        "saturation": "logistic",
        "noise_sd": noise_sd,
        "target_scale": target_scale,
        "media_contribution_total": total_media,
        "media_share_of_revenue": total_media / float(revenue.sum()),
        "revenue_total": float(frame["revenue"].sum()),
        "expected_revenue_total": float((revenue - noise).sum()),
        "baseline": {"start": float(baseline[0]), "end": float(baseline[-1])},
        "controls": {"price_index": price_effect, "competitor_promo": promo_effect, "holiday": holiday_effect},
        "channels": channel_truth,
        "lift_tests": lift.to_dict(orient="records"),
        "budget": {"weeks": BUDGET_WEEKS, "bounds": BUDGET_BOUNDS, "margin": DEFAULT_MARGIN,
                   "profit_optimal_weekly": plan, "current_weekly_total": float(sum(channel_truth[c]["current_weekly"] for c in world.channels))},
    }
    expected = pd.Series(revenue - noise, index=dates, name="revenue")
    return {"mmm.csv": frame, "lift_tests.csv": lift}, truth, expected


def _lift_tests(world: World, spend: pd.DataFrame, truth: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Two lift tests (weekly spend ``x`` raised by ``delta_x``; ``delta_y`` measured with error ``sigma``).

    The true lift is the steady-state weekly change on the saturation curve, which is what
    PyMC-Marketing's ``add_lift_test_measurements`` compares ``delta_y`` with.
    """
    rows = []
    for ch, rel_step, rel_sigma in (("email", 0.6, 0.15), ("kol", 0.5, 0.2)):
        if ch not in truth:
            continue
        tr = truth[ch]
        x = float(spend[ch].tail(13).mean())
        delta_x = rel_step * x
        curve = tr["beta_currency"] * logistic_saturation(np.array([x, x + delta_x]) / tr["channel_scale"], tr["saturation_lam"])
        true_lift = float(curve[1] - curve[0])
        sigma = rel_sigma * true_lift
        rows.append(
            {
                "channel": ch,
                "x": round(x, 2),
                "delta_x": round(delta_x, 2),
                "delta_y": round(true_lift + rng.normal(0, sigma), 2),
                "sigma": round(sigma, 2),
            }
        )
        truth[ch]["lift_test_true_delta_y"] = true_lift
    return pd.DataFrame(rows, columns=["channel", "x", "delta_x", "delta_y", "sigma"])


def marginal_roas_now(truth: dict, spend: pd.DataFrame, weeks: int = 13, step: float = MARGINAL_STEP) -> dict[str, float]:
    """True marginal ROAS at current spend per channel: extra revenue over ``weeks`` weeks after the data (carry-over
    included) from ``step`` more weekly spend at the mean weekly spend of the last ``weeks`` weeks, per extra unit spent.

    ``truth`` is ``truth["mmm"]``; ``spend`` the weekly spend per channel (columns named by channel) the data hold.
    """
    out = {}
    for ch, tr in truth["channels"].items():
        x = spend[ch].to_numpy(dtype=float)
        current = float(x[-weeks:].mean())
        args = (tr["adstock_alpha"], tr["saturation_lam"], tr["channel_scale"], tr["beta_currency"])
        base = channel_response(np.concatenate([x, np.full(weeks, current)]), *args, tail=L_MAX)[len(x):]
        up = channel_response(np.concatenate([x, np.full(weeks, current * (1 + step))]), *args, tail=L_MAX)[len(x):]
        out[ch] = float((up.sum() - base.sum()) / (step * current * weeks))
    return out


def future_response(tr: dict, spend: np.ndarray, weekly: float, weeks: int) -> float:
    """True KPI contribution of one channel over ``weeks`` weeks after the data plus the carry-over tail, when it spends
    ``weekly`` every week after the history ``spend`` (what the history alone still contributes is included)."""
    x = np.asarray(spend, dtype=float)
    args = (tr["adstock_alpha"], tr["saturation_lam"], tr["channel_scale"], tr["beta_currency"])
    return float(channel_response(np.concatenate([x, np.full(weeks, float(weekly))]), *args, tail=L_MAX)[len(x):].sum())


def profit_plan_now(truth: dict, spend: pd.DataFrame, weeks: int = BUDGET_WEEKS, margin: float = DEFAULT_MARGIN,
                    bounds: float = BUDGET_BOUNDS) -> dict[str, float]:
    """True profit-optimal weekly spend per channel for the ``weeks`` after the data: the weekly spend within
    ``current × (1 ± bounds)`` (current = mean of the last ``weeks`` weeks, the playbook's bounds) maximising
    ``margin × extra contribution (carry-over included) − extra spend``. Channels do not interact, so the plan is
    each channel's own one-dimensional optimum; the total is free, as in the playbook's profit plan."""
    from scipy.optimize import minimize_scalar

    out = {}
    for ch, tr in truth["channels"].items():
        x = spend[ch].to_numpy(dtype=float)
        current = float(x[-weeks:].mean())
        lo, hi = max(0.0, current * (1 - bounds)), current * (1 + bounds)
        if not hi > lo:
            out[ch] = current
            continue

        def loss(s, tr=tr, x=x):
            return -(margin * future_response(tr, x, s, weeks) - s * weeks)

        res = minimize_scalar(loss, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6 * hi})
        best = min([(loss(lo), lo), (loss(hi), hi), (float(res.fun), float(res.x))])[1]
        out[ch] = float(best)
    return out
