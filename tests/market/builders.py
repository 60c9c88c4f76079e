"""Small hand-made market panels and results for the market room's tests (no demo data, no MCMC)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.market import analyze

MONTHS_24 = pd.date_range("2023-01-01", periods=24, freq="MS")


def hand_panel() -> pd.DataFrame:
    """Two regions, two brands, 24 months; revenue per month is constant within each year.

    Per month, prior year → last year:   A: Us 1 → 3, Them 9 → 9;   B: Us 2 → 2, Them 8 → 10.
    Prices: Us 2 per unit, Them 1 per unit.
    """
    per_month = {("A", "Us"): (1, 3), ("A", "Them"): (9, 9), ("B", "Us"): (2, 2), ("B", "Them"): (8, 10)}
    price = {"Us": 2.0, "Them": 1.0}
    rows = []
    for i, period in enumerate(MONTHS_24):
        for (region, brand), (prior, last) in per_month.items():
            revenue = float(prior if i < 12 else last)
            rows.append({"period": period, "region": region, "brand": brand, "revenue": revenue, "units": revenue / price[brand]})
    return pd.DataFrame(rows)


def long_hand_panel() -> pd.DataFrame:
    """The hand panel extended to 36 months (year 1 = year 2) with a gentle seasonal swing and one category."""
    df = hand_panel()
    first = df.loc[df["period"] < MONTHS_24[12]].copy()
    shifted = df.assign(period=df["period"] + pd.DateOffset(years=1))
    out = pd.concat([first, shifted], ignore_index=True)
    swing = 1 + 0.1 * np.cos(2 * np.pi * (out["period"].dt.month - 12) / 12)
    return out.assign(revenue=out["revenue"] * swing, units=out["units"] * swing, category="all")


def panel(periods: int = 36, regions: dict | None = None, brands: dict | None = None, swing: float = 0.2,
          noise: float = 0.0, seed: int = 0, freq: str = "MS", start: str = "2021-01-01") -> pd.DataFrame:
    """A synthetic panel: revenue = region size × (1 + growth) ** years × season × brand weight share.

    ``regions``: name → (monthly size, yearly growth); ``brands``: name → (weight, yearly log drift).
    Season: 1 + ``swing`` × cos(2π (month − 12) / 12); lognormal row noise ``noise``.
    """
    regions = regions or {"A": (100.0, 0.10), "B": (60.0, 0.05)}
    brands = brands or {"Us": (1.0, 0.2), "Them": (3.0, 0.0)}
    dates = pd.date_range(start, periods=periods, freq=freq)
    ppy = 52 if freq.startswith("W") or freq == "7D" else 12
    rng = np.random.default_rng(seed)
    t = np.arange(periods) / ppy
    season = 1 + swing * np.cos(2 * np.pi * (dates.month.to_numpy() - 12) / 12)
    weights = np.array([w * np.exp(d * t) for w, d in brands.values()])
    shares = weights / weights.sum(axis=0)
    rows = []
    for region, (size, growth) in regions.items():
        market = size * (1 + growth) ** t * season
        for k, brand in enumerate(brands):
            revenue = market * shares[k] * rng.lognormal(0, noise, periods) if noise else market * shares[k]
            rows.append(pd.DataFrame({"period": dates, "region": region, "brand": brand, "revenue": revenue,
                                      "units": revenue / (2.0 + k)}))
    return pd.concat(rows, ignore_index=True)


def seasonal_series(n: int = 72, growth: float = 0.06, noise: float = 0.0, seed: int = 0) -> tuple[pd.Series, np.ndarray]:
    """Monthly revenue with a known multiplicative seasonal index (mean 1) and yearly growth: (series, index)."""
    index = np.array([0.85, 0.8, 0.9, 0.95, 1.0, 1.05, 1.0, 0.95, 1.0, 1.05, 1.2, 1.25])
    index = index / index.mean()
    months = pd.date_range("2019-01-01", periods=n, freq="MS")
    rng = np.random.default_rng(seed)
    values = 1e6 * (1 + growth) ** (np.arange(n) / 12) * index[months.month - 1] * rng.lognormal(0, noise, n)
    return pd.Series(values, index=months), index


def result(frame: pd.DataFrame | None = None, our_brand: str = "Us", **kwargs):
    """``analyze`` on a small panel without the forecast (fast): a MarketResult for narrative tests."""
    kwargs.setdefault("forecast_periods", 0)
    return analyze(panel() if frame is None else frame, our_brand, **kwargs)
