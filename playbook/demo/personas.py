"""Demo part ``personas``: an order book (``orders.csv``), customer attributes (``customers.csv``) and truth.

About 4,000 customers (``world.n(4000)``) are acquired between ``world.start`` and ``world.end``.
Each belongs to one of five latent **true segments** (:data:`SEGMENTS`), and each segment has

* its own **BG/NBD** purchase process, in weeks (Fader, Hardie & Lee 2005): while alive, a
  customer buys at rate λ ~ Gamma(shape r, rate α) per week; after every repeat purchase the
  customer drops out for good with probability p ~ Beta(a, b);
* its own **Gamma-Gamma** spend (Fader & Hardie 2013): each customer has ν ~ Gamma(shape q,
  rate v) and every order's revenue is Gamma(shape p, rate ν), so the customer's mean order value
  is p / ν and the segment's mean order value is p·v / (q − 1);
* its own acquisition timing (early adopters come in the first months, new explorers in the
  last ones), product-category and sales-channel mix, and demographics (region from
  ``world.regions``, city tier, age, gender, ``acquisition_channel`` from ``world.channels``).

The first purchase is the acquisition day. Repeat purchases follow a Poisson process on
continuous time and are recorded by calendar day; two purchases on the same day stay two orders
(the analysis merges them). Nothing after ``world.end`` is recorded.

The truth holds the generating parameters per segment, each customer's true segment and whether
the customer was still alive at ``world.end`` (as compact strings, one character per customer
in ``customer_id`` order; decode with :func:`true_segments` and :func:`true_alive`).

:func:`simulate_btyd_orders` is the separate, single-population simulator used by the CLV
recovery tests: one known (r, α, a, b, p, q, v), so a fit can be checked to cover them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.demo.world import World

#: Plan tiers ordered as categories (the same tiers the market panel uses).
CATEGORIES: tuple[str, ...] = ("basic", "plus", "premium", "family", "student")
#: Sales channels an order can come through (the ``channel`` column of ``orders.csv``).
SALES_CHANNELS: tuple[str, ...] = ("app", "web", "store", "marketplace")
CITY_TIERS: tuple[str, ...] = ("tier_1", "tier_2", "tier_3")
GENDERS: tuple[str, ...] = ("female", "male", "other")
BASE_CUSTOMERS = 4000


@dataclass(frozen=True)
class Segment:
    """One latent customer segment: its share, purchase, spend and profile parameters."""

    name: str
    share: float
    # BG/NBD, time unit = week
    r: float
    alpha: float
    a: float
    b: float
    # Gamma-Gamma, currency units
    p: float
    q: float
    v: float
    # acquisition window as fractions of the customer window (start, end)
    acquired: tuple[float, float]
    category_mix: tuple[float, ...]  # over CATEGORIES
    channel_mix: tuple[float, ...]  # over SALES_CHANNELS
    city_tier_mix: tuple[float, ...]  # over CITY_TIERS
    gender_mix: tuple[float, ...]  # over GENDERS
    age_mean: float
    age_sd: float
    #: weight of each media channel in acquisition, in ``world.channels`` order
    acquisition_mix: tuple[float, ...]
    #: weight of each region, in ``world.regions`` order
    region_mix: tuple[float, ...]


#: The five true segments. Channels: social, short_video, search, kol, email, offline_events.
SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "loyal_high_spenders",
        0.15,
        r=2.0,
        alpha=10.0,
        a=1.2,
        b=36.0,
        p=6.0,
        q=9.0,
        v=160.0,
        acquired=(0.0, 0.85),
        category_mix=(0.05, 0.20, 0.55, 0.15, 0.05),
        channel_mix=(0.65, 0.20, 0.10, 0.05),
        city_tier_mix=(0.65, 0.25, 0.10),
        gender_mix=(0.45, 0.52, 0.03),
        age_mean=41,
        age_sd=8,
        acquisition_mix=(0.10, 0.05, 0.35, 0.10, 0.30, 0.10),
        region_mix=(0.30, 0.15, 0.30, 0.10, 0.15),
    ),
    Segment(
        "bargain_one_timers",
        0.30,
        r=0.4,
        alpha=12.0,
        a=2.0,
        b=2.5,
        p=3.0,
        q=8.0,
        v=56.0,
        acquired=(0.0, 1.0),
        category_mix=(0.60, 0.10, 0.02, 0.08, 0.20),
        channel_mix=(0.10, 0.15, 0.05, 0.70),
        city_tier_mix=(0.20, 0.35, 0.45),
        gender_mix=(0.50, 0.47, 0.03),
        age_mean=27,
        age_sd=6,
        acquisition_mix=(0.30, 0.35, 0.10, 0.20, 0.02, 0.03),
        region_mix=(0.15, 0.30, 0.15, 0.25, 0.15),
    ),
    Segment(
        "lapsed_early_adopters",
        0.15,
        r=1.5,
        alpha=8.0,
        a=3.0,
        b=7.0,
        p=4.0,
        q=7.0,
        v=90.0,
        acquired=(0.0, 0.25),
        category_mix=(0.15, 0.50, 0.20, 0.05, 0.10),
        channel_mix=(0.15, 0.75, 0.05, 0.05),
        city_tier_mix=(0.55, 0.35, 0.10),
        gender_mix=(0.35, 0.62, 0.03),
        age_mean=33,
        age_sd=6,
        acquisition_mix=(0.15, 0.10, 0.20, 0.40, 0.05, 0.10),
        region_mix=(0.20, 0.10, 0.45, 0.10, 0.15),
    ),
    Segment(
        "steady_family_regulars",
        0.25,
        r=1.2,
        alpha=14.0,
        a=1.2,
        b=17.0,
        p=5.0,
        q=10.0,
        v=99.0,
        acquired=(0.0, 0.9),
        category_mix=(0.10, 0.10, 0.05, 0.70, 0.05),
        channel_mix=(0.15, 0.20, 0.60, 0.05),
        city_tier_mix=(0.25, 0.40, 0.35),
        gender_mix=(0.62, 0.36, 0.02),
        age_mean=45,
        age_sd=9,
        acquisition_mix=(0.15, 0.05, 0.20, 0.05, 0.15, 0.40),
        region_mix=(0.15, 0.20, 0.10, 0.15, 0.40),
    ),
    Segment(
        "new_student_explorers",
        0.15,
        r=1.2,
        alpha=7.0,
        a=1.5,
        b=6.0,
        p=4.0,
        q=8.0,
        v=70.0,
        acquired=(0.8, 1.0),
        category_mix=(0.15, 0.15, 0.05, 0.05, 0.60),
        channel_mix=(0.55, 0.30, 0.05, 0.10),
        city_tier_mix=(0.45, 0.40, 0.15),
        gender_mix=(0.52, 0.44, 0.04),
        age_mean=22,
        age_sd=3,
        acquisition_mix=(0.20, 0.50, 0.05, 0.20, 0.03, 0.02),
        region_mix=(0.20, 0.25, 0.20, 0.20, 0.15),
    ),
)


def _btyd_events(
    rng: np.random.Generator,
    first_day: np.ndarray,
    end_day: int,
    lam_week: np.ndarray,
    drop_p: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repeat-purchase days of every customer under the BG/NBD story, and who is alive at the end.

    Returns ``(owner, day, alive_at_end)``: ``owner[i]`` is the customer index of repeat purchase
    ``i`` made on day index ``day[i]``. While alive, purchases form a Poisson process with rate
    ``lam_week / 7`` per day; the customer dies right after repeat purchase number
    ``J ~ Geometric(p)`` (BG/NBD: dropout can follow any *repeat* purchase, never the first), so at
    most ``J`` repeat purchases happen and a customer without repeats is surely alive.
    """
    n = len(first_day)
    span = (end_day + 1 - first_day).astype(float)  # days in [first_day, end_day + 1)
    in_window = rng.poisson(lam_week / 7.0 * span)  # repeat purchases a never-dying customer would make
    last_repeat = rng.geometric(drop_p)  # the repeat purchase right after which the customer drops out
    repeats = np.minimum(in_window, last_repeat)
    alive = last_repeat > in_window
    owner = np.repeat(np.arange(n), in_window)
    # Given the count, Poisson event times are sorted uniforms; keep the first ``repeats`` of each customer.
    u = rng.uniform(size=owner.size)
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(in_window) - in_window, in_window)
    keep = rank < repeats[owner]
    owner, u = owner[keep], u[keep]
    day = first_day[owner] + np.floor(u * span[owner]).astype(int)
    return owner, np.minimum(day, end_day), alive


def _spend(rng: np.random.Generator, owner: np.ndarray, nu: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Order revenue: Gamma(shape p, rate ν) per order, in currency units, rounded to cents (≥ 0.01)."""
    return np.maximum(np.round(rng.gamma(p[owner], 1.0 / nu[owner]), 2), 0.01)


def _draw_categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row of ``probs`` (rows sum to 1), vectorized."""
    cum = np.cumsum(probs, axis=1)
    u = rng.uniform(size=(probs.shape[0], 1)) * cum[:, -1:]
    return (u > cum).sum(axis=1)


def _dirichlet_rows(rng: np.random.Generator, concentration: np.ndarray) -> np.ndarray:
    """One Dirichlet draw per row of ``concentration`` (vectorized through normalised gammas)."""
    g = rng.gamma(concentration)
    return g / g.sum(axis=1, keepdims=True)


def _weights(mixes: list[tuple[float, ...]], k: int) -> np.ndarray:
    """Segment × k weight matrix, rows normalised; uniform when a world has a different number of levels."""
    w = np.array(mixes, dtype=float)
    if w.shape[1] != k:
        w = np.ones((len(mixes), k))
    return w / w.sum(axis=1, keepdims=True)


def make(world: World) -> tuple[dict[str, pd.DataFrame], dict]:
    """Return ``({"orders.csv": orders, "customers.csv": customers}, truth)`` for ``world``."""
    rng = world.rng("customers")
    n = world.n(BASE_CUSTOMERS, minimum=len(SEGMENTS) * 10)
    n_days = len(world.days)
    end_day = n_days - 1
    shares = np.array([s.share for s in SEGMENTS])
    seg = rng.choice(len(SEGMENTS), size=n, p=shares / shares.sum())

    def per_segment(attr: str) -> np.ndarray:
        return np.array([getattr(s, attr) for s in SEGMENTS], dtype=float)[seg]

    lo = np.array([s.acquired[0] for s in SEGMENTS])[seg]
    hi = np.array([s.acquired[1] for s in SEGMENTS])[seg]
    first_day = np.floor((lo + (hi - lo) * rng.uniform(size=n)) * n_days).astype(int).clip(0, end_day)
    # customer ids follow acquisition order (C00001 is the first customer acquired)
    order = np.lexsort((rng.uniform(size=n), first_day))
    seg, first_day, lo, hi = seg[order], first_day[order], lo[order], hi[order]

    lam = rng.gamma(per_segment("r"), 1.0 / per_segment("alpha"))
    drop_p = rng.beta(per_segment("a"), per_segment("b"))
    nu = rng.gamma(per_segment("q"), 1.0 / per_segment("v"))
    p_spend = per_segment("p")

    rep_owner, rep_day, alive = _btyd_events(rng, first_day, end_day, lam, drop_p)
    owner = np.concatenate([np.arange(n), rep_owner])
    day = np.concatenate([first_day, rep_day])
    revenue = _spend(rng, owner, nu, p_spend)

    # Each customer leans towards the segment's mix: a personal Dirichlet around it.
    cat_mix = np.array([s.category_mix for s in SEGMENTS])[seg]
    chan_mix = np.array([s.channel_mix for s in SEGMENTS])[seg]
    cat_pref = _dirichlet_rows(rng, 10 * cat_mix)
    chan_pref = _dirichlet_rows(rng, 10 * chan_mix)
    category = np.array(CATEGORIES)[_draw_categorical(rng, cat_pref[owner])]
    channel = np.array(SALES_CHANNELS)[_draw_categorical(rng, chan_pref[owner])]

    ids = np.array([f"C{i + 1:05d}" for i in range(n)])
    sort = np.lexsort((owner, day))
    orders = pd.DataFrame(
        {
            "order_id": [f"O{i + 1:06d}" for i in range(owner.size)],
            "customer_id": ids[owner[sort]],
            "order_date": world.start + pd.to_timedelta(day[sort], unit="D"),
            "revenue": revenue[sort],
            "channel": channel[sort],
            "category": category[sort],
        }
    )

    region_w = _weights([s.region_mix for s in SEGMENTS], len(world.regions))[seg]
    acq_w = _weights([s.acquisition_mix for s in SEGMENTS], len(world.channels))[seg]
    tier_w = np.array([s.city_tier_mix for s in SEGMENTS])[seg]
    gender_w = np.array([s.gender_mix for s in SEGMENTS])[seg]
    age = np.clip(np.round(rng.normal(per_segment("age_mean"), per_segment("age_sd"))), 18, 80).astype(int)
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "region": np.array(world.regions)[_draw_categorical(rng, region_w)],
            "city_tier": np.array(CITY_TIERS)[_draw_categorical(rng, tier_w)],
            "age": age,
            "gender": np.array(GENDERS)[_draw_categorical(rng, gender_w)],
            "acquisition_channel": np.array(world.channels)[_draw_categorical(rng, acq_w)],
        }
    )

    segments_truth = {}
    for k, s in enumerate(SEGMENTS):
        mask = seg == k
        segments_truth[s.name] = {
            "code": k,
            "customers": int(mask.sum()),
            "share": s.share,
            "bgnbd": {"r": s.r, "alpha": s.alpha, "a": s.a, "b": s.b, "time_unit": "W"},
            "gamma_gamma": {"p": s.p, "q": s.q, "v": s.v},
            "mean_order_value": s.p * s.v / (s.q - 1),
            "mean_weekly_rate": s.r / s.alpha,
            "mean_dropout_p": s.a / (s.a + s.b),
            "alive_at_end": int(alive[mask].sum()),
            "orders": int(np.isin(owner, np.flatnonzero(mask)).sum()),
            "revenue": round(float(revenue[np.isin(owner, np.flatnonzero(mask))].sum()), 2),
            "acquired": list(s.acquired),
            "top_category": CATEGORIES[int(np.argmax(s.category_mix))],
            "top_channel": SALES_CHANNELS[int(np.argmax(s.channel_mix))],
        }
    truth = {
        "customers": n,
        "orders": int(owner.size),
        "revenue": round(float(revenue.sum()), 2),
        "segment_names": [s.name for s in SEGMENTS],
        "segments": segments_truth,
        "customer_id_format": "C{:05d}, numbered from 1 in acquisition order",
        "customer_segment_codes": "".join(str(k) for k in seg),
        "customer_alive_at_end": "".join("1" if a else "0" for a in alive),
    }
    return {"orders.csv": orders, "customers.csv": customers}, truth


def true_segments(truth: dict) -> pd.Series:
    """Each customer's true segment name, indexed by ``customer_id`` (decoded from the compact truth)."""
    names = truth["segment_names"]
    codes = truth["customer_segment_codes"]
    ids = [f"C{i + 1:05d}" for i in range(len(codes))]
    return pd.Series([names[int(c)] for c in codes], index=pd.Index(ids, name="customer_id"), name="true_segment")


def true_alive(truth: dict) -> pd.Series:
    """Whether each customer was still alive (not dropped out) at the end of the window, by ``customer_id``."""
    flags = truth["customer_alive_at_end"]
    ids = [f"C{i + 1:05d}" for i in range(len(flags))]
    return pd.Series([c == "1" for c in flags], index=pd.Index(ids, name="customer_id"), name="alive_at_end")


def simulate_btyd_orders(
    n_customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    p: float,
    q: float,
    v: float,
    start: str = "2023-01-02",
    days: int = 730,
    acquisition_days: int | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict]:
    """Orders of one BG/NBD + Gamma-Gamma population with known parameters (time unit: week).

    Customers are acquired uniformly over the first ``acquisition_days`` days (default: half the
    window) of a ``days``-long window starting at ``start``; purchases and spend follow the same
    generative story as :func:`make`. Returns ``(orders, truth)`` where ``orders`` has
    ``order_id, customer_id, order_date, revenue`` and ``truth`` the parameters, the observation
    end and each customer's true mean order value (p / ν).
    """
    rng = np.random.default_rng(seed)
    acquisition_days = days // 2 if acquisition_days is None else acquisition_days
    end_day = days - 1
    first_day = np.sort(rng.integers(0, acquisition_days, size=n_customers))
    lam = rng.gamma(r, 1.0 / alpha, size=n_customers)
    drop_p = rng.beta(a, b, size=n_customers)
    nu = rng.gamma(q, 1.0 / v, size=n_customers)
    rep_owner, rep_day, alive = _btyd_events(rng, first_day, end_day, lam, drop_p)
    owner = np.concatenate([np.arange(n_customers), rep_owner])
    day = np.concatenate([first_day, rep_day])
    revenue = _spend(rng, owner, nu, np.full(n_customers, float(p)))
    start_ts = pd.Timestamp(start)
    ids = np.array([f"S{i + 1:06d}" for i in range(n_customers)])
    orders = pd.DataFrame(
        {
            "order_id": [f"SO{i + 1:07d}" for i in range(owner.size)],
            "customer_id": ids[owner],
            "order_date": start_ts + pd.to_timedelta(day, unit="D"),
            "revenue": revenue,
        }
    )
    truth = {
        "bgnbd": {"r": r, "alpha": alpha, "a": a, "b": b, "time_unit": "W"},
        "gamma_gamma": {"p": p, "q": q, "v": v},
        "observation_end": str((start_ts + pd.Timedelta(days=end_day)).date()),
        "alive_at_end": int(alive.sum()),
        "mean_order_value": dict(zip(ids.tolist(), (p / nu).round(4).tolist())),
    }
    return orders, truth
