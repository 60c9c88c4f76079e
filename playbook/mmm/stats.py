"""Small posterior helpers shared by the MMM's modules: HDIs of draws and PyMC-Marketing's summary column names."""

from __future__ import annotations

import numpy as np


def hdi(values, interval: float) -> tuple[float, float]:
    """The highest-density interval of mass ``interval`` of a 1-D sample (NaN, NaN when no finite value)."""
    import arviz as az

    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return (float(v[0]), float(v[0])) if len(v) else (float("nan"), float("nan"))
    lo, hi = np.asarray(az.hdi(v, prob=interval)).ravel()[:2]
    return float(lo), float(hi)


def summary_columns(interval: float) -> tuple[str, str]:
    """PyMC-Marketing's ``summary.*`` column names of the lower and upper bound at ``interval``."""
    pct = str(int(interval * 100))
    return f"abs_error_{pct}_lower", f"abs_error_{pct}_upper"


def draws_of(da, dim: str):
    """An xarray DataArray with ``chain``/``draw`` stacked into one leading ``sample`` dimension, then ``dim``."""
    return da.stack(sample=("chain", "draw")).transpose("sample", dim)
