"""Demo part ``attribution``: the daily funnel by channel, raw customer journeys and KPI targets.

Writes three inputs of the attribution notebook and the truth they were drawn from:

``funnel.csv``
    One row per day and channel: impressions → clicks → signups → orders → revenue, with
    ``spend`` taken from the shared media plan (:meth:`World.daily_spend`), so the funnel and
    the MMM part tell the same story about the same money. Each stage is a binomial draw from
    the previous one with a channel-specific rate, a day-of-week pattern, a slow drift and a
    little day-level noise. A few anomalies are PLANTED (truth ``anomalies``): a conversion-rate
    collapse, a cost-per-acquisition spike (media prices jump, so fewer impressions for the same
    spend) and a click-through collapse, each over a few consecutive days of one channel.
``touchpoints.csv`` + ``conversions.csv``
    Journeys of individual users. A journey is a handful of touches a few days apart; the
    first touch favours upper-funnel channels, later touches favour search and e-mail (the
    "closers"). Whether a journey converts follows a noisy-OR model on the *distinct* channels
    touched within ``MEMORY_DAYS`` before the decision::

        P(convert | S) = 1 - (1 - baseline) * prod_{c in S} (1 - effect_c)

    so ``effect_c`` is channel c's true incremental lift in conversion probability. About a
    third of journeys also carry STALE touches 35-120 days before the journey proper; they
    have no effect, so an analysis with ``lookback_days=30`` sees exactly the causal touches
    and one without a lookback window is misled by them.
``kpi_targets.yaml``
    Per-channel targets for CTR, CVR, CPA and ROAS (a plain dict; written as YAML).

The truth holds the generating rates, the planted anomalies (channel, metric, dates,
factor) and, per channel, the true effect, the expected incremental conversions
(``sum_j P(S_j) - P(S_j without c)``) and the expected Shapley credit of the true conversion
probabilities (``sum_j phi_c(S_j)`` with ``v(U) = P(convert | U)``, ``v(∅) = 0``), which is what
``playbook.attribution.shapley.shapley_attribution`` estimates.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd

from playbook.demo import business
from playbook.demo.world import World

#: Funnel rates per channel. cpm: currency per 1,000 impressions; ctr: clicks / impressions;
#: cvr: signups / clicks; pay_rate: orders / signups before one common factor (``pay_rate_scale`` in the
#: truth) makes the funnel's orders Nimbus's customers (:mod:`playbook.demo.business`); aov: revenue per order (currency)
#: before one common factor (``order_value_scale``) makes the expected revenue per order the order book's first-order value;
#: drift: total relative change of cvr over the window (creative fatigue or learning).
FUNNEL_RATES: dict[str, dict[str, float]] = {
    "social": {"cpm": 6.0, "ctr": 0.011, "cvr": 0.10, "pay_rate": 0.30, "aov": 38.0, "drift": -0.25},
    "short_video": {"cpm": 8.0, "ctr": 0.014, "cvr": 0.08, "pay_rate": 0.28, "aov": 35.0, "drift": 0.10},
    "search": {"cpm": 13.0, "ctr": 0.040, "cvr": 0.09, "pay_rate": 0.38, "aov": 45.0, "drift": 0.15},
    "kol": {"cpm": 14.0, "ctr": 0.018, "cvr": 0.12, "pay_rate": 0.33, "aov": 48.0, "drift": 0.0},
    "email": {"cpm": 5.0, "ctr": 0.022, "cvr": 0.06, "pay_rate": 0.45, "aov": 42.0, "drift": -0.10},
    "offline_events": {"cpm": 40.0, "ctr": 0.025, "cvr": 0.16, "pay_rate": 0.30, "aov": 55.0, "drift": 0.0},
}
DEFAULT_RATES = {"cpm": 10.0, "ctr": 0.015, "cvr": 0.08, "pay_rate": 0.3, "aov": 40.0, "drift": 0.0}
#: Day-of-week multipliers (Mon..Sun) on click-through and sign-up rates.
DOW_CTR = (0.95, 1.0, 1.0, 1.0, 0.97, 1.06, 1.1)
DOW_CVR = (1.0, 1.02, 1.02, 0.98, 0.92, 0.95, 1.12)
DAY_NOISE_SD = 0.04  # lognormal day-level noise on each rate

#: Planted anomalies: channel, metric as the analysis names it, first day (offset from the
#: window start), length in days and the multiplicative factor on the metric.
#: ``cvr`` is applied to the sign-up rate; ``cpa`` by cutting impressions per currency unit
#: (media prices jump), which multiplies cost per acquisition by 1 / factor_impressions;
#: ``ctr`` to the click-through rate.
ANOMALIES: tuple[dict, ...] = (
    {"channel": "social", "metric": "cvr", "offset": 760, "days": 6, "factor": 0.5,
     "what": "sign-up conversion halves (broken landing page)"},
    {"channel": "kol", "metric": "cpa", "offset": 1010, "days": 5, "factor": 1.6,
     "what": "cost per acquisition jumps 60% (creator fees spike)"},
    {"channel": "short_video", "metric": "ctr", "offset": 900, "days": 4, "factor": 0.45,
     "what": "click-through collapses (creative rejected, fallback ad served)"},
)

#: Journeys: true incremental effect of one exposure to each channel on P(convert).
EFFECTS: dict[str, float] = {
    "kol": 0.22,
    "short_video": 0.15,
    "offline_events": 0.10,
    "social": 0.06,
    "search": 0.03,
    "email": 0.01,
}
DEFAULT_EFFECT = 0.05
BASELINE = 0.02  # P(convert) of a journey whose touches all had no effect
#: Channel mix of the first touch and of later touches (weights, normalized per position).
#: Search and e-mail are "closers": rarely first, often later, so they are often the LAST touch,
#: yet every channel reaches about the same share of journeys overall. Last touch therefore
#: over-credits the closers, whose true effects are the smallest.
FIRST_TOUCH_MIX = {"social": 0.20, "short_video": 0.25, "search": 0.075, "kol": 0.20, "email": 0.075, "offline_events": 0.20}
LATER_TOUCH_MIX = {"social": 0.15, "short_video": 0.12, "search": 0.215, "kol": 0.15, "email": 0.215, "offline_events": 0.15}
MEMORY_DAYS = 30  # touches older than this before the decision have no effect
MAX_SPAN_DAYS = 26  # the causal touches of a journey span at most this many days
STALE_SHARE = 0.35  # share of journeys that also carry stale (ineffective) touches
N_JOURNEYS = 8000

#: KPI targets per channel (written to kpi_targets.yaml). Some are deliberately missed. ROAS is first-order
#: revenue over spend, so its targets sit well below 1 (a customer's later orders pay back the rest).
KPI_TARGETS: dict[str, dict[str, float]] = {
    "social": {"ctr": 0.010, "cvr": 0.10, "cpa": 6.0, "roas": 0.3},
    "short_video": {"ctr": 0.015, "cvr": 0.08, "cpa": 9.0, "roas": 0.25},
    "search": {"ctr": 0.035, "cvr": 0.10, "cpa": 8.0, "roas": 0.35},
    "kol": {"ctr": 0.018, "cvr": 0.11, "cpa": 7.0, "roas": 0.35},
    "email": {"ctr": 0.020, "cvr": 0.06, "cpa": 4.0, "roas": 0.65},
    "offline_events": {"ctr": 0.025, "cvr": 0.15, "cpa": 12.0, "roas": 0.25},
}


def _rates(ch: str) -> dict[str, float]:
    return FUNNEL_RATES.get(ch, DEFAULT_RATES)


def make_funnel(world: World) -> tuple[pd.DataFrame, dict]:
    """Daily funnel by channel (rows: date × channel) and its truth (rates, anomalies)."""
    rng = world.rng("journeys-funnel")
    spend = world.daily_spend()
    days = spend.index
    t = np.arange(len(days)) / max(1, len(days) - 1)
    dow = days.dayofweek.to_numpy()
    anomalies = []
    for a in ANOMALIES:
        if a["channel"] not in world.channels:
            continue
        # Move the anomaly forward to the first stretch where the channel is on air every day.
        on = spend[a["channel"]].to_numpy() > 0
        start = next((i for i in range(a["offset"], len(days) - a["days"] - 7) if on[i : i + a["days"]].all()), None)
        if start is not None:
            anomalies.append({**a, "offset": start})
    # One business: the funnel's orders are the first orders of Nimbus's customers, so the trial-to-paid
    # rates are scaled to make the expected orders (anomalies aside) the customers (playbook.demo.business).
    base = {ch: _rates(ch) for ch in world.channels}
    by_channel = {ch: float((spend[ch].to_numpy() / r["cpm"] * 1000.0 * r["ctr"] * np.take(DOW_CTR, dow) * r["cvr"]
                             * (1.0 + r["drift"] * t) * np.take(DOW_CVR, dow) * r["pay_rate"]).sum()) * np.exp(1.5 * DAY_NOISE_SD**2)
                  for ch, r in base.items()}
    base_orders = sum(by_channel.values())
    pay_scale = business.pay_rate_scale(world, base_orders)
    # ... and their order values are first orders too: one factor on the channels' order values makes the expected
    # revenue per order the order book's mean first-order value (the channels keep their differences).
    value_scale = business.order_value_scale(world, by_channel, {ch: r["aov"] for ch, r in base.items()})
    rates = {ch: {**r, "pay_rate": r["pay_rate"] * pay_scale, "aov": r["aov"] * value_scale} for ch, r in base.items()}
    expected_value = sum(by_channel[ch] * rates[ch]["aov"] for ch in world.channels) / base_orders
    frames = []
    for ch in world.channels:
        r = rates[ch]
        x = spend[ch].to_numpy()
        imp_factor = np.ones(len(days))
        ctr_factor = np.ones(len(days))
        cvr_factor = np.ones(len(days))
        for a in anomalies:
            if a["channel"] != ch:
                continue
            sl = slice(a["offset"], a["offset"] + a["days"])
            if a["metric"] == "cvr":
                cvr_factor[sl] *= a["factor"]
            elif a["metric"] == "ctr":
                ctr_factor[sl] *= a["factor"]
            elif a["metric"] == "cpa":
                imp_factor[sl] /= a["factor"]
        noise = lambda: rng.lognormal(0.0, DAY_NOISE_SD, size=len(days))  # noqa: E731
        impressions = rng.poisson(x / r["cpm"] * 1000.0 * imp_factor * noise())
        ctr = np.clip(r["ctr"] * np.take(DOW_CTR, dow) * ctr_factor * noise(), 0, 1)
        clicks = rng.binomial(impressions, ctr)
        cvr = np.clip(r["cvr"] * (1.0 + r["drift"] * t) * np.take(DOW_CVR, dow) * cvr_factor * noise(), 0, 1)
        signups = rng.binomial(clicks, cvr)
        orders = rng.binomial(signups, r["pay_rate"])
        # Order values: gamma with mean aov and a coefficient of variation of 0.5 per order.
        revenue = np.where(orders > 0, rng.gamma(np.maximum(orders, 1) * 4.0, r["aov"] / 4.0), 0.0)
        frames.append(
            pd.DataFrame(
                {
                    "date": days,
                    "channel": ch,
                    "impressions": impressions,
                    "clicks": clicks,
                    "signups": signups,
                    "orders": orders,
                    "revenue": np.round(revenue, 2),
                    "spend": x,
                }
            )
        )
    funnel = pd.concat(frames, ignore_index=True).sort_values(["date", "channel"], ignore_index=True)
    truth = {
        "rates": rates,
        "pay_rate_scale": pay_scale,
        "expected_orders": base_orders * pay_scale,
        "order_value_scale": value_scale,
        "expected_order_value": expected_value,
        "dow_ctr": list(DOW_CTR),
        "dow_cvr": list(DOW_CVR),
        "day_noise_sd": DAY_NOISE_SD,
        "anomalies": [
            {
                "channel": a["channel"],
                "metric": a["metric"],
                "start": str(days[a["offset"]].date()),
                "end": str(days[a["offset"] + a["days"] - 1].date()),
                "dates": [str(d.date()) for d in days[a["offset"] : a["offset"] + a["days"]]],
                "factor": a["factor"],
                "what": a["what"],
            }
            for a in anomalies
        ],
        "kpi_definitions": {
            "ctr": "clicks / impressions",
            "cvr": "signups / clicks",
            "pay_rate": "orders / signups",
            "cpa": "spend / signups",
            "cac": "spend / orders",
            "roas": "revenue / spend",
        },
    }
    return funnel, truth


def conversion_probability(channels: frozenset | set | tuple, effects: dict[str, float], baseline: float = BASELINE) -> float:
    """P(convert) of a journey that touched the distinct ``channels`` (noisy-OR, a probability)."""
    stay = 1.0 - baseline
    for c in sorted(set(channels)):  # sorted: the same float result whatever the hash seed
        stay *= 1.0 - effects.get(c, DEFAULT_EFFECT)
    return 1.0 - stay


def shapley_of_set(players: tuple[str, ...], value) -> dict[str, float]:
    """Exact Shapley values of ``value`` (a function of a frozenset, ``value(∅)`` used as is)."""
    n = len(players)
    out = {p: 0.0 for p in players}
    for p in players:
        others = [q for q in players if q != p]
        for k in range(n):
            w = factorial(k) * factorial(n - k - 1) / factorial(n)
            for sub in combinations(others, k):
                s = frozenset(sub)
                out[p] += w * (value(s | {p}) - value(s))
    return out


def make_journeys(world: World) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Touchpoints, conversions and the journeys' truth (effects, incremental and Shapley credit)."""
    rng = world.rng("journeys-paths")
    channels = list(world.channels)
    effects = {c: EFFECTS.get(c, DEFAULT_EFFECT) for c in channels}
    first_mix = np.array([FIRST_TOUCH_MIX.get(c, 0.1) for c in channels])
    first_mix = first_mix / first_mix.sum()
    later_mix = np.array([LATER_TOUCH_MIX.get(c, 0.1) for c in channels])
    later_mix = later_mix / later_mix.sum()
    n = world.n(N_JOURNEYS, minimum=50)
    window_start = world.start + pd.Timedelta(days=130)  # room for stale touches before
    window_days = (world.end - window_start).days - 3
    touch_rows: list[tuple[str, pd.Timestamp, str]] = []
    conv_rows: list[tuple[str, pd.Timestamp, float]] = []
    incremental = dict.fromkeys(channels, 0.0)
    shapley_expected = dict.fromkeys(channels, 0.0)
    expected_conversions = 0.0
    cache: dict[frozenset, dict[str, float]] = {}

    def v(s: frozenset) -> float:
        return conversion_probability(s, effects) if s else 0.0

    width = len(str(n))
    n_stale = 0
    for j in range(n):
        jid = f"j{j:0{width}d}"
        k = 1 + min(rng.poisson(1.7), 7)
        idx = [rng.choice(len(channels), p=first_mix)] + list(rng.choice(len(channels), size=k - 1, p=later_mix))
        gaps = rng.exponential(2.5, size=k - 1)
        offsets = np.concatenate([[0.0], np.cumsum(gaps)])
        if offsets[-1] > MAX_SPAN_DAYS:
            offsets = offsets * (MAX_SPAN_DAYS / offsets[-1])
        start = window_start + pd.Timedelta(days=float(rng.uniform(0, window_days - MAX_SPAN_DAYS - 2)))
        times = [start + pd.Timedelta(days=float(o)) for o in offsets]
        touched = [channels[i] for i in idx]
        for tm, ch in zip(times, touched):
            touch_rows.append((jid, tm, ch))
        if rng.uniform() < STALE_SHARE:
            for _ in range(1 + int(rng.uniform() < 0.4)):
                n_stale += 1
                age = float(rng.uniform(35, 120))
                touch_rows.append((jid, start - pd.Timedelta(days=age), channels[rng.choice(len(channels), p=first_mix)]))
        s = frozenset(touched)
        p = conversion_probability(s, effects)
        expected_conversions += p
        for c in s:
            incremental[c] += p - conversion_probability(s - {c}, effects)
        if s not in cache:
            cache[s] = shapley_of_set(tuple(sorted(s)), v)
        for c, phi in cache[s].items():
            shapley_expected[c] += phi
        if rng.uniform() < p:
            when = times[-1] + pd.Timedelta(hours=float(rng.exponential(10.0)))
            value = float(rng.gamma(4.0, 45.0 / 4.0))
            conv_rows.append((jid, when, round(value, 2)))
    touchpoints = pd.DataFrame(touch_rows, columns=["journey_id", "timestamp", "channel"])
    touchpoints["timestamp"] = touchpoints["timestamp"].dt.floor("s")
    touchpoints = touchpoints.sort_values(["journey_id", "timestamp"], ignore_index=True)
    conversions = pd.DataFrame(conv_rows, columns=["journey_id", "timestamp", "value"])
    conversions["timestamp"] = conversions["timestamp"].dt.floor("s")
    ranking = sorted(channels, key=lambda c: -incremental[c])
    truth = {
        "n_journeys": n,
        "n_conversions": len(conversions),
        "expected_conversions": expected_conversions,
        "baseline": BASELINE,
        "memory_days": MEMORY_DAYS,
        "stale_share": STALE_SHARE,
        "n_stale_touches": n_stale,
        "model": "P(convert | S) = 1 - (1 - baseline) * prod_{c in S} (1 - effect_c), S = distinct channels "
        f"touched within {MEMORY_DAYS} days before the decision",
        "first_touch_mix": {c: float(w) for c, w in zip(channels, first_mix)},
        "later_touch_mix": {c: float(w) for c, w in zip(channels, later_mix)},
        "channels": {
            c: {
                "effect": effects[c],
                "incremental_conversions": incremental[c],
                "shapley_conversions": shapley_expected[c],
            }
            for c in channels
        },
        "ranking": ranking,
    }
    return touchpoints, conversions, truth


def make(world: World) -> tuple[dict[str, pd.DataFrame | dict], dict]:
    """``funnel.csv``, ``touchpoints.csv``, ``conversions.csv``, ``kpi_targets.yaml`` and their truth."""
    funnel, funnel_truth = make_funnel(world)
    touchpoints, conversions, journey_truth = make_journeys(world)
    targets = {c: dict(KPI_TARGETS[c]) for c in world.channels if c in KPI_TARGETS}
    files = {
        "funnel.csv": funnel,
        "touchpoints.csv": touchpoints,
        "conversions.csv": conversions,
        "kpi_targets.yaml": targets,
    }
    return files, {"funnel": funnel_truth, "journeys": journey_truth, "kpi_targets": targets}
