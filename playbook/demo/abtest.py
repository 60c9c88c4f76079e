"""Demo part ``abtest``: Nimbus's checkout experiment, one row per randomized visitor.

Visitors who reach the checkout are split equally between the current checkout ``A`` (control),
a redesigned one-page checkout ``B`` (a real improvement, larger on mobile) and ``C`` (a new
button colour: no effect). Each visitor has a latent customer value ``v ~ N(0, 1)`` that raises
their chance to buy, the size of their basket and their spend in the four weeks before the test
(``pre_period_revenue``), so CUPED on ``pre_period_revenue`` reduces variance. A handful of
wholesale orders (heavy revenue outliers) are planted in ``A`` and ``C``: they make the raw
revenue comparison favour ``C`` although ``C`` changes nothing, which is what capping guards
against.

The truth is exact (Gauss-Hermite quadrature over ``v``), not estimated from the sample:

* conversion probability per visitor: ``expit(base + device + customer_type + 0.5 v + effect)``
  where ``effect`` is the variant's log-odds effect on that device;
* basket of a buyer: ``exp(mu + 0.35 v + N(0, 0.55²))``, the same in every variant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from playbook.demo.world import World

VARIANTS: tuple[str, ...] = ("A", "B", "C")
CONTROL = "A"
DEVICES = {"mobile": 0.55, "desktop": 0.35, "tablet": 0.10}
CUSTOMER_TYPES = {"new": 0.55, "returning": 0.45}
#: log-odds of buying at the checkout: baseline plus shifts per device and customer type.
BASE_LOGIT = -2.15
DEVICE_LOGIT = {"mobile": -0.15, "desktop": 0.20, "tablet": 0.0}
CUSTOMER_LOGIT = {"new": -0.20, "returning": 0.25}
REGION_LOGIT = 0.0  # regions differ in traffic only
VALUE_LOGIT = 0.9  # how strongly customer value raises the chance to buy
#: the variants' log-odds effects per device: B helps, mostly on mobile (the heterogeneous segment).
EFFECT_LOGIT = {
    "A": {"mobile": 0.0, "desktop": 0.0, "tablet": 0.0},
    "B": {"mobile": 0.18, "desktop": 0.04, "tablet": 0.08},
    "C": {"mobile": 0.0, "desktop": 0.0, "tablet": 0.0},
}
BASKET_LOG_MEAN = 4.0  # median basket about 55 currency units
BASKET_VALUE = 0.5
BASKET_SIGMA = 0.55
UNITS = 24_000  # at scale 1: about 1.5 MB of CSV
DAYS = 28
#: wholesale orders planted in the data: (variant, revenue)
OUTLIERS: tuple[tuple[str, float], ...] = (("C", 6400.0), ("C", 5200.0), ("C", 4100.0), ("A", 3900.0), ("C", 3300.0))
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(80)
_GH_WEIGHTS = _GH_WEIGHTS / _GH_WEIGHTS.sum()  # expectation over v ~ N(0, 1)


def _logit(variant: str, device: str, customer: str) -> float:
    return BASE_LOGIT + DEVICE_LOGIT[device] + CUSTOMER_LOGIT[customer] + EFFECT_LOGIT[variant][device]


def _cell_truth(variant: str, device: str, customer: str) -> tuple[float, float]:
    """(P(convert), E[revenue per visitor]) for one cell, integrating over customer value v."""
    p_v = expit(_logit(variant, device, customer) + VALUE_LOGIT * _GH_NODES)
    basket_v = np.exp(BASKET_LOG_MEAN + BASKET_VALUE * _GH_NODES + BASKET_SIGMA**2 / 2)
    return float(_GH_WEIGHTS @ p_v), float(_GH_WEIGHTS @ (p_v * basket_v))


def truth_table(devices: dict[str, float] = DEVICES, customers: dict[str, float] = CUSTOMER_TYPES) -> pd.DataFrame:
    """Exact conversion rate and revenue per visitor for every variant × device × customer type."""
    rows = []
    for v in VARIANTS:
        for d, wd in devices.items():
            for c, wc in customers.items():
                rate, rpu = _cell_truth(v, d, c)
                rows.append({"variant": v, "device": d, "customer_type": c, "weight": wd * wc, "rate": rate, "revenue_per_unit": rpu})
    return pd.DataFrame(rows)


def _truth(srm_drop: float) -> dict:
    table = truth_table()

    def weighted(frame: pd.DataFrame, col: str) -> float:
        return float((frame[col] * frame["weight"]).sum() / frame["weight"].sum())

    rate = {v: weighted(g, "rate") for v, g in table.groupby("variant")}
    rpu = {v: weighted(g, "revenue_per_unit") for v, g in table.groupby("variant")}
    segments: dict[str, dict] = {}
    for col in ("device", "customer_type"):
        segments[col] = {}
        for level, g in table.groupby(col):
            r = {v: weighted(gv, "rate") for v, gv in g.groupby("variant")}
            segments[col][level] = {"rate": r, "uplift": {v: r[v] / r[CONTROL] - 1 for v in VARIANTS if v != CONTROL}}
    return {
        "control": CONTROL,
        "variants": list(VARIANTS),
        "expected_split": {v: 1 / len(VARIANTS) for v in VARIANTS},
        "rate": rate,
        "uplift": {v: rate[v] / rate[CONTROL] - 1 for v in VARIANTS if v != CONTROL},
        "uplift_abs": {v: rate[v] - rate[CONTROL] for v in VARIANTS if v != CONTROL},
        "revenue_per_unit": rpu,
        "revenue_uplift": {v: rpu[v] / rpu[CONTROL] - 1 for v in VARIANTS if v != CONTROL},
        "revenue_per_unit_note": "expected revenue per visitor of the lognormal buying process, without the planted wholesale orders",
        "segments": segments,
        "heterogeneous_segment": {"column": "device", "level": "mobile", "variant": "B"},
        "outliers": [{"variant": v, "revenue": r} for v, r in OUTLIERS],
        "effect_logit": EFFECT_LOGIT,
        "srm_drop": srm_drop,
        "days": DAYS,
    }


def make(world: World, srm_drop: float = 0.0, units: int | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Return ``({"experiment.csv": frame}, truth)`` for the checkout experiment.

    ``srm_drop`` > 0 loses that share of ``B``'s visitors after randomization (a logging bug),
    producing a sample-ratio mismatch for tests. ``units`` overrides the visitor count
    (default ``world.n(24000)``).
    """
    if not 0 <= srm_drop < 1:
        raise ValueError(f"srm_drop must be in [0, 1), got {srm_drop}")
    rng = world.rng("experiment")
    n = units if units is not None else world.n(UNITS, minimum=300)
    variant = rng.choice(VARIANTS, size=n)
    device = rng.choice(list(DEVICES), size=n, p=list(DEVICES.values()))
    customer = rng.choice(list(CUSTOMER_TYPES), size=n, p=list(CUSTOMER_TYPES.values()))
    region_share = rng.dirichlet(np.full(len(world.regions), 8.0))
    region = rng.choice(list(world.regions), size=n, p=region_share)
    value = rng.normal(size=n)

    logit = np.array([_logit(v, d, c) for v, d, c in zip(variant, device, customer)]) + VALUE_LOGIT * value
    converted = (rng.uniform(size=n) < expit(logit)).astype(int)
    basket = np.exp(BASKET_LOG_MEAN + BASKET_VALUE * value + rng.normal(0, BASKET_SIGMA, size=n))
    revenue = np.where(converted == 1, basket, 0.0)

    # Spend in the four weeks before the test: returning customers only, driven by the same value.
    returning = customer == "returning"
    bought_before = returning & (rng.uniform(size=n) < expit(0.5 + 1.2 * value))
    pre = np.where(bought_before, np.exp(4.2 + 0.8 * value + rng.normal(0, 0.4, size=n)), 0.0)

    # Assignment times: four weeks starting on a Monday eight weeks before the world ends, weekdays busier.
    start = world.start + pd.Timedelta(weeks=world.weeks - 8)
    day_weight = np.array([1.15 if (d % 7) < 5 else 0.8 for d in range(DAYS)])
    day = rng.choice(DAYS, size=n, p=day_weight / day_weight.sum())
    seconds = rng.integers(7 * 3600, 23 * 3600, size=n)
    assigned_at = start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(seconds, unit="s")

    # Plant the wholesale orders on converters of the named variants.
    for v, amount in OUTLIERS:
        candidates = np.flatnonzero((variant == v) & (converted == 1) & (revenue < 1000))
        if len(candidates):
            revenue[rng.choice(candidates)] = amount

    frame = pd.DataFrame(
        {
            "variant": variant,
            "converted": converted,
            "revenue": np.round(revenue, 2),
            "pre_period_revenue": np.round(pre, 2),
            "assigned_at": assigned_at,
            "device": device,
            "region": region,
            "customer_type": customer,
        }
    )
    if srm_drop > 0:
        lost = (frame["variant"] == "B").to_numpy() & (rng.uniform(size=n) < srm_drop)
        frame = frame.loc[~lost].reset_index(drop=True)
    frame = frame.sort_values("assigned_at", kind="stable").reset_index(drop=True)
    frame.insert(0, "unit_id", [f"u{i:05d}" for i in range(1, len(frame) + 1)])
    return {"experiment.csv": frame}, _truth(srm_drop)


# --------------------------------------------------------------------------- a factorial (multivariate) test

#: The demo factorial e-mail test: subject line × image × send time, every combination a cell.
FACTORS: dict[str, tuple[str, ...]] = {"subject": ("plain", "question"), "image": ("lifestyle", "product"), "send_time": ("evening", "morning")}
FACTORIAL_BASE_LOGIT = -2.2
#: log-odds main effects against each factor's first level (sorted), and the one planted interaction
FACTORIAL_MAIN = {"subject": {"question": 0.25}, "image": {"product": 0.0}, "send_time": {"morning": -0.15}}
FACTORIAL_INTERACTION = {("subject", "image"): {("question", "product"): 0.30}}
FACTORIAL_UNITS = 24_000


def factorial_logit(combination: dict[str, str]) -> float:
    """The true log-odds of converting in one cell of the factorial test."""
    out = FACTORIAL_BASE_LOGIT + sum(FACTORIAL_MAIN[f].get(lv, 0.0) for f, lv in combination.items())
    for (f, g), effects in FACTORIAL_INTERACTION.items():
        out += effects.get((combination[f], combination[g]), 0.0)
    return out


def make_factorial(world: World, units: int | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Return ``({"experiment.csv": frame}, truth)`` for a 2 × 2 × 2 factorial e-mail test with known effects.

    ``variant`` labels the cell (``question|product|morning``); one ``factor_<name>`` column per factor.
    Not part of the bundled demo folder (one experiment per folder): tests and the README's example draw it.
    """
    rng = world.rng("experiment_factorial")
    n = units if units is not None else world.n(FACTORIAL_UNITS, minimum=800)
    combos = [dict(zip(FACTORS, lv)) for lv in np.array(np.meshgrid(*FACTORS.values(), indexing="ij")).reshape(len(FACTORS), -1).T]
    cell = rng.integers(0, len(combos), size=n)
    p = np.array([expit(factorial_logit(c)) for c in combos])
    converted = (rng.uniform(size=n) < p[cell]).astype(int)
    basket = np.exp(3.6 + rng.normal(0, 0.5, size=n))
    frame = pd.DataFrame({"unit_id": [f"f{i:05d}" for i in range(1, n + 1)],
                          "variant": ["|".join(combos[c].values()) for c in cell],
                          "converted": converted, "revenue": np.round(np.where(converted == 1, basket, 0.0), 2)})
    for f in FACTORS:
        frame[f"factor_{f}"] = [combos[c][f] for c in cell]
    best = max(combos, key=factorial_logit)
    truth = {
        "factors": {f: list(lv) for f, lv in FACTORS.items()},
        "base_logit": FACTORIAL_BASE_LOGIT,
        "main_effects": {f: {lv: FACTORIAL_MAIN[f].get(lv, 0.0) for lv in levels[1:]} for f, levels in FACTORS.items()},
        "interactions": [{"factors": list(k), "levels": list(lv), "effect": v} for k, eff in FACTORIAL_INTERACTION.items() for lv, v in eff.items()],
        "best": best,
    }
    return {"experiment.csv": frame}, truth
