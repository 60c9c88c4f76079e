"""Demo part ``market``: a monthly market panel (``market.csv``) and its ground truth.

The panel runs monthly from ``world.market_start`` through the month of ``world.end`` for every
region, brand (``world.our_brand`` plus ``world.competitors``) and plan category. The
noise-free revenue of one row is

    region market size × seasonal index of the month × brand share × category mix of the brand

* **Region market size** grows at a constant yearly rate per region:
  ``size_r × (1 + growth_r) ** (months since start / 12)``; regions differ in size and growth. One constant
  scales all regions: the one that gives a reference path of our brand (climbing from ``OUR_LAUNCH_GAP`` below
  its long-run attractiveness with time constant ``OUR_RAMP_MONTHS``) the MMM's revenue over the last 12 months,
  so our share now is that of a brand established for two years.
* **Seasonal index**: one fixed multiplicative index per calendar month (mean 1), peaking in
  November–December with a trough in February.
* **Brand share** per region is a softmax of brand attractiveness. Competitors drift slowly; the
  *rising threat* (the last competitor) gains steadily; our brand has no rows before its launch
  month (the month of ``world.start``). After it, one business (:mod:`playbook.demo.business`): our
  attractiveness is the reference path plus a shift per month shared by all regions (so regions keep
  their differences), solved so that our revenue summed over regions is the MMM's noise-free revenue of
  that month (:func:`playbook.demo.business.monthly_revenue`). Our yearly revenue is therefore the MMM's,
  and our share moves with the MMM's revenue against the market's growth.
* **Category mix** and **price** per brand and category are fixed: units = revenue / price.

Observed revenue multiplies the noise-free value by two mean-one log-normal factors: a demand
shock shared by a region's brands in a month (σ = 4%) and row noise (σ = 5%); units carry an
extra 2% price noise. The truth holds the generating parameters and the noise-free
values of every headline metric, so tests can check that the analysis recovers them.
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd

from playbook.demo import business
from playbook.demo.world import World

#: Plan tiers used as the optional ``category`` column; ``world.n(3)`` of them are used.
CATEGORIES: tuple[str, ...] = ("basic", "plus", "premium", "family", "business", "student")
#: Price multiplier of each category relative to the brand's basic price.
CATEGORY_PRICE: dict[str, float] = {"basic": 1.0, "plus": 1.6, "premium": 2.5, "family": 2.0, "business": 3.0, "student": 0.7}
#: Seasonal index per calendar month (January first), before normalisation to mean 1.
SEASONAL_SHAPE = np.array([0.88, 0.80, 0.90, 0.95, 0.98, 1.02, 0.97, 0.94, 1.00, 1.05, 1.22, 1.30])
REVENUE_NOISE_SD = 0.05
#: Demand shock shared by every brand of a region in a month (macro news, weather, …).
DEMAND_SHOCK_SD = 0.04
PRICE_NOISE_SD = 0.02
#: Yearly change of the rising threat's attractiveness (log-odds per year).
THREAT_TREND = 0.30
#: How far (log-odds) the rising threat starts below the smallest other competitor.
THREAT_START_GAP = 0.6
#: Our brand's reference path (it sets the market's size, see make): long-run attractiveness relative to the average
#: competitor, ramp-up time and launch gap.
OUR_LONG_RUN_LOGIT = 0.35
OUR_RAMP_MONTHS = 14.0
OUR_LAUNCH_GAP = 3.0


def _months(world: World) -> pd.DatetimeIndex:
    first = world.market_start.to_period("M").to_timestamp()
    last = world.end.to_period("M").to_timestamp()
    return pd.date_range(first, last, freq="MS")


def make(world: World) -> tuple[dict[str, pd.DataFrame], dict]:
    """Return ``({"market.csv": panel}, truth)`` for ``world``."""
    rng = world.rng("market")
    months = _months(world)
    n_t = len(months)
    t = np.arange(n_t)
    regions = list(world.regions)
    brands = [world.our_brand, *world.competitors]
    threat = world.competitors[-1]
    n_cat = min(len(CATEGORIES), world.n(3))
    categories = list(CATEGORIES[:n_cat])
    launch = world.start.to_period("M").to_timestamp()
    t_launch = int(months.get_loc(launch))

    # --- regions: size (monthly revenue at the start, all brands) and yearly growth
    size = np.exp(rng.normal(np.log(8e6), 0.5, size=len(regions)))
    growth = rng.uniform(0.02, 0.20, size=len(regions))
    seasonal = SEASONAL_SHAPE / SEASONAL_SHAPE.mean()
    season_t = seasonal[months.month.to_numpy() - 1]
    market = size[:, None] * (1 + growth[:, None]) ** (t[None, :] / 12.0) * season_t[None, :]  # (region, t)

    # --- brand attractiveness (log-odds) per brand, region and month
    base = np.sort(rng.normal(0.0, 0.35, size=len(world.competitors)))[::-1]  # first competitor leads
    base[-1] = base.min() - THREAT_START_GAP  # the threat starts small ...
    trend = rng.normal(-0.04, 0.03, size=len(world.competitors))
    trend[-1] = THREAT_TREND  # ... and gains steadily
    logits = np.empty((len(brands), len(regions), n_t))
    region_effect = rng.normal(0.0, 0.30, size=(len(brands), len(regions)))
    region_effect[0] *= 2.0  # our footprint differs more between regions than the incumbents' do
    for j in range(len(world.competitors)):
        logits[j + 1] = base[j] + region_effect[j + 1][:, None] + trend[j] * (t[None, :] - t_launch) / 12.0
    since = np.maximum(t - t_launch, 0)
    ours = base.mean() + OUR_LONG_RUN_LOGIT - OUR_LAUNCH_GAP * np.exp(-since / OUR_RAMP_MONTHS)
    logits[0] = ours[None, :] + region_effect[0][:, None]
    logits[0][:, t < t_launch] = -np.inf
    share = _softmax(logits)  # (brand, region, t)

    # --- category mix and prices per brand
    mix = rng.dirichlet(np.linspace(6.0, 2.0, n_cat) * 2.0, size=len(brands))  # (brand, category)
    price_level = rng.uniform(8.0, 14.0, size=len(brands))
    price_level[brands.index(threat)] = 7.0  # the threat wins on price
    cat_mult = np.array([CATEGORY_PRICE[c] for c in categories])
    price = price_level[:, None] * cat_mult[None, :]  # (brand, category)

    # --- one business (playbook.demo.business): our brand's revenue in each month of the media window is
    # the MMM's noise-free revenue of that month. The market's size is the one that gives the reference ramp
    # above the MMM's revenue over the last 12 months (so our share now is that ramp's); then, month by month,
    # our attractiveness moves by one shift shared by all regions so our revenue is the month's.
    window = (months >= launch) & (months <= world.end)
    target = business.monthly_revenue(world)
    if list(target.index) != list(months[window]):
        raise RuntimeError("the MMM's calendar months are not the market's months of the media window")
    ramp_revenue = (share[0] * market).sum(axis=0)
    market_scale = float(target.iloc[-12:].sum() / ramp_revenue[window][-12:].sum())
    size, market = size * market_scale, market * market_scale
    logits[0][:, window] += _our_shift(logits[:, :, window], market[:, window], target.to_numpy())[None, :]
    share = _softmax(logits)

    # --- noise-free revenue and units, (brand, region, t, category)
    expected = share[:, :, :, None] * market[None, :, :, None] * mix[:, None, None, :]
    expected_units = expected / price[:, None, None, :]

    b_idx, r_idx, t_idx, c_idx = (a.ravel() for a in np.meshgrid(
        np.arange(len(brands)), np.arange(len(regions)), t, np.arange(n_cat), indexing="ij"))
    exp_rev = expected.ravel()
    keep = exp_rev > 0  # our brand has no rows before launch
    b_idx, r_idx, t_idx, c_idx, exp_rev = b_idx[keep], r_idx[keep], t_idx[keep], c_idx[keep], exp_rev[keep]
    shock = rng.lognormal(-0.5 * DEMAND_SHOCK_SD**2, DEMAND_SHOCK_SD, size=(len(regions), n_t))
    rev_noise = rng.lognormal(-0.5 * REVENUE_NOISE_SD**2, REVENUE_NOISE_SD, size=len(exp_rev)) * shock[r_idx, t_idx]
    price_noise = rng.lognormal(0.0, PRICE_NOISE_SD, size=len(exp_rev))
    revenue = exp_rev * rev_noise
    units = revenue / (price[b_idx, c_idx] * price_noise)
    panel = pd.DataFrame(
        {
            "period": months[t_idx],
            "region": np.asarray(regions)[r_idx],
            "brand": np.asarray(brands)[b_idx],
            "category": np.asarray(categories)[c_idx],
            "revenue": revenue.round(2),
            "units": units.round(1),
        }
    ).sort_values(["period", "region", "brand", "category"], ignore_index=True)

    truth = _truth(world, months, regions, brands, categories, threat, t_launch, size, growth, seasonal,
                   market, share, expected, expected_units, price, mix)
    truth["market_scale"] = market_scale
    truth["our_revenue_media_window"] = float(expected[0][:, window].sum())
    ours_by_month = pd.Series(expected[0].sum(axis=(0, 2)), index=months)[window]
    truth["our_revenue_by_year"] = {str(y): float(v) for y, v in ours_by_month.groupby(ours_by_month.index.year).sum().items()}
    return {"market.csv": panel}, truth


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Shares over the first axis (brands) of attractiveness ``logits``; ``-inf`` gives a share of 0."""
    share = np.exp(logits - logits.max(axis=0, keepdims=True))
    return share / share.sum(axis=0, keepdims=True)


def _our_shift(logits: np.ndarray, market: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per month, the shift of our brand's attractiveness (brand 0, all regions) that makes its revenue
    ``sum_r share_r × market_r`` equal ``target``; ``logits`` is (brand, region, month), ``market`` (region, month).

    Our share in a region is ``1 / (1 + rivals_r × exp(-(ours_r + shift)))``, increasing in the shift, so each
    month has one root, found by bracketing."""
    from scipy.optimize import brentq

    ours = logits[0]
    rivals = np.exp(logits[1:]).sum(axis=0)
    shifts = np.empty(len(target))
    for k, goal in enumerate(target):
        if not 0 < goal < market[:, k].sum():
            raise ValueError(f"our revenue {goal:.0f} must lie between 0 and the market's {market[:, k].sum():.0f}")

        def gap(d, k=k, goal=goal):
            return float((market[:, k] / (1.0 + rivals[:, k] * np.exp(-(ours[:, k] + d)))).sum() - goal)

        shifts[k] = brentq(gap, -50.0, 50.0, xtol=1e-12, rtol=1e-14)
    return shifts


def _truth(world, months, regions, brands, categories, threat, t_launch, size, growth, seasonal,
           market, share, expected, expected_units, price, mix) -> dict:
    """Noise-free headline metrics, computed with the analysis's definitions (12-month windows)."""
    n_t = len(months)
    last = slice(n_t - 12, n_t)
    prior = slice(n_t - 24, n_t - 12)
    first = slice(0, 12)
    total_t = market.sum(axis=0)
    rev_last, rev_prior, rev_first = total_t[last].sum(), total_t[prior].sum(), total_t[first].sum()
    years = (n_t - 12) / 12.0
    brand_rev = expected.sum(axis=(1, 3))  # (brand, t)
    brand_last = brand_rev[:, last].sum(axis=1)
    brand_prior = brand_rev[:, prior].sum(axis=1)
    brand_units_last = expected_units.sum(axis=(1, 3))[:, last].sum(axis=1)
    share_last = brand_last / rev_last
    share_prior = brand_prior / rev_prior
    change_pp = 100 * (share_last - share_prior)
    comp_change = {b: change_pp[i] for i, b in enumerate(brands) if b != world.our_brand}

    region_brand = expected.sum(axis=3)  # (brand, region, t)
    reg_last = market[:, last].sum(axis=1)
    reg_prior = market[:, prior].sum(axis=1)
    our_reg_last = region_brand[0][:, last].sum(axis=1)
    our_reg_prior = region_brand[0][:, prior].sum(axis=1)
    future = np.arange(n_t, n_t + 12)
    future_months = pd.date_range(months[-1], periods=13, freq="MS")[1:]
    expected_next = (size[:, None] * (1 + growth[:, None]) ** (future[None, :] / 12.0)
                     * seasonal[future_months.month.to_numpy() - 1][None, :]).sum(axis=0)
    order = np.argsort(-seasonal)
    month_names = [calendar.month_name[m] for m in range(1, 13)]
    market_units_last = brand_units_last.sum()
    return {
        "frequency": "monthly",
        "first_period": str(months[0].date()),
        "last_period": str(months[-1].date()),
        "launch_period": str(months[t_launch].date()),
        "our_brand": world.our_brand,
        "rising_threat": threat,
        "biggest_share_gainer_among_competitors": max(comp_change, key=comp_change.get),
        "categories": list(categories),
        "revenue_noise_sd": REVENUE_NOISE_SD,
        "demand_shock_sd": DEMAND_SHOCK_SD,
        "region_growth": {r: float(g) for r, g in zip(regions, growth)},
        "region_size_at_start": {r: float(s) for r, s in zip(regions, size)},
        "fastest_growing_region": regions[int(np.argmax(growth))],
        "seasonal_index": {month_names[m]: float(seasonal[m]) for m in range(12)},
        "seasonal_peak_months": [month_names[i] for i in order[:2]],
        "seasonal_trough_month": month_names[int(np.argmin(seasonal))],
        "market": {
            "revenue_last_12m": float(rev_last),
            "revenue_prior_12m": float(rev_prior),
            "revenue_first_12m": float(rev_first),
            "yoy_growth": float(rev_last / rev_prior - 1),
            "cagr": float((rev_last / rev_first) ** (1 / years) - 1),
            "cagr_years": years,
            "hhi_last_12m": float(10_000 * (share_last**2).sum()),
            "expected_next_12m": [{"period": str(d.date()), "revenue": float(v)} for d, v in zip(future_months, expected_next)],
        },
        "brands": {
            b: {
                "share_last_12m": float(share_last[i]),
                "share_prior_12m": float(share_prior[i]),
                "share_change_pp": float(change_pp[i]),
                "yoy_growth": float(brand_last[i] / brand_prior[i] - 1),
                "share_of_growth": float((brand_last[i] - brand_prior[i]) / (rev_last - rev_prior)),
                "avg_price": float(brand_last[i] / brand_units_last[i]),
                "relative_price": float((brand_last[i] / brand_units_last[i]) / (rev_last / market_units_last)),
                "price_by_category": {c: float(price[i, k]) for k, c in enumerate(categories)},
                "category_mix": {c: float(mix[i, k]) for k, c in enumerate(categories)},
            }
            for i, b in enumerate(brands)
        },
        "regions": {
            r: {
                "yoy_growth": float(reg_last[k] / reg_prior[k] - 1),
                "revenue_last_12m": float(reg_last[k]),
                "our_share": float(our_reg_last[k] / reg_last[k]),
                "our_share_change_pp": float(100 * (our_reg_last[k] / reg_last[k] - our_reg_prior[k] / reg_prior[k])),
            }
            for k, r in enumerate(regions)
        },
    }
