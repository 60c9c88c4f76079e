"""Customer lifetime value: PyMC-Marketing BG/NBD + Gamma-Gamma fits and per-customer predictions.

Fitting uses ``BetaGeoModel`` and ``GammaGammaModel`` from PyMC-Marketing (NUTS, or MAP for a quick
look). Predictions per customer — P(alive), expected purchases, expected spend and CLV over a
horizon — are computed per posterior draw, so every number has a credible interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from playbook import mcmc
from playbook.personas.summary import unit_days

#: The CLV horizon is cut into at most this many steps for discounting.
DISCOUNT_STEPS = 26

BGNBD_PARAMS: tuple[str, ...] = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMS: tuple[str, ...] = ("p", "q", "v")

#: The purchase (repeat-buying and dropout) models: key → (PyMC-Marketing class, parameters, label).
PURCHASE_MODELS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "bgnbd": ("BetaGeoModel", BGNBD_PARAMS, "BG/NBD"),
    "mbgnbd": ("ModifiedBetaGeoModel", BGNBD_PARAMS, "MBG/NBD"),
    "pareto": ("ParetoNBDModel", ("r", "alpha", "s", "beta"), "Pareto/NBD"),
}
#: Models in which a customer can drop out before any repeat purchase, so that a one-time buyer's P(alive)
#: falls with silence. BG/NBD lets customers drop out only after a repeat purchase: its P(alive) of a
#: one-time buyer is 1 however long the silence, so under it their status is unknown.
ONE_TIME_DROPOUT: dict[str, bool] = {"bgnbd": False, "mbgnbd": True, "pareto": True}


#: The Gamma-Gamma model assumes spend per purchase is independent of purchase frequency. The check passes when the
#: Pearson correlation of frequency and average spend among repeat customers is below this in absolute value
#: (a weak correlation by Cohen's 1988 scale; Fader & Hardie's CDNOW example has about 0.11).
GG_CORRELATION_MAX = 0.3


@dataclass(frozen=True)
class IndependenceCheck:
    """The Gamma-Gamma independence check: Pearson correlation of frequency and average spend over repeat customers."""

    correlation: float  # NaN with fewer than 3 repeat customers or no spread
    customers: int  # repeat customers it was computed on
    threshold: float = GG_CORRELATION_MAX

    @property
    def ok(self) -> bool | None:
        """True below the threshold, False at or above it, None when it cannot be computed."""
        return None if not np.isfinite(self.correlation) else bool(abs(self.correlation) < self.threshold)


def frequency_spend_check(summary: pd.DataFrame, threshold: float = GG_CORRELATION_MAX) -> IndependenceCheck:
    """Pearson correlation of ``frequency`` (repeat purchases) and ``monetary_value`` (average repeat spend) over the
    repeat customers of a customer summary, in the summary's units, and whether it is below ``threshold``."""
    rep = summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    f, m = rep["frequency"].to_numpy(float), rep["monetary_value"].to_numpy(float)
    corr = float(np.corrcoef(f, m)[0, 1]) if len(rep) >= 3 and f.std() > 0 and m.std() > 0 else float("nan")
    return IndependenceCheck(corr, len(rep), threshold)


def model_label(key: str) -> str:
    """``'BG/NBD'``, ``'MBG/NBD'`` or ``'Pareto/NBD'``."""
    return PURCHASE_MODELS[check_purchase_model(key)][2]


def check_purchase_model(key: str) -> str:
    if key not in PURCHASE_MODELS:
        raise ValueError(f"purchase_model must be one of {', '.join(PURCHASE_MODELS)} (or auto), got {key!r}")
    return key


# --------------------------------------------------------------------------- fitting


def default_bgnbd_priors() -> dict:
    """Weakly informative BG/NBD priors that do not depend on the time unit.

    r and α get flat priors on (0, ∞) (α is a time scale, so its size depends on the unit);
    the dropout Beta(a, b) is parameterised by its mean φ ~ Uniform(0, 1) and concentration
    κ = a + b ~ Pareto(1, 1), PyMC-Marketing's default.
    """
    from pymc_extras.prior import Prior

    return {
        "r": Prior("HalfFlat"),
        "alpha": Prior("HalfFlat"),
        "phi_dropout": Prior("Uniform", lower=0, upper=1),
        "kappa_dropout": Prior("Pareto", alpha=1, m=1),
    }


def default_pareto_priors() -> dict:
    """Flat priors on (0, ∞) for the Pareto/NBD r, α (purchase rate) and s, β (dropout rate); α and β are time scales."""
    from pymc_extras.prior import Prior

    return {k: Prior("HalfFlat") for k in ("r", "alpha", "s", "beta")}


def default_gamma_gamma_priors() -> dict:
    """Flat priors on (0, ∞) for the Gamma-Gamma p, q and v (v carries the currency scale)."""
    from pymc_extras.prior import Prior

    return {"p": Prior("HalfFlat"), "q": Prior("HalfFlat"), "v": Prior("HalfFlat")}


def _fit(model, data: pd.DataFrame, method: str, draws: int, tune: int, chains: int, seed: int, target_accept: float):
    if method == "map":
        model.fit(data, method="map", progressbar=False, random_seed=seed)
    elif method == "mcmc":  # NUTS through the playbook's one sampling helper: cores policy, quieting, progress lines
        settings = mcmc.Settings(draws=draws, tune=tune, chains=chains, seed=seed, target_accept=target_accept, sampler="pymc")
        with mcmc.sampling(type(model).__name__, settings):
            model.fit(data, method="mcmc", **settings.fit_kwargs())
    else:
        raise ValueError(f"method must be 'mcmc' or 'map', got {method!r}")
    return model


def fit_bgnbd(
    summary: pd.DataFrame,
    method: str = "mcmc",
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 0,
    model_config: Mapping[str, Any] | None = None,
    target_accept: float = 0.9,
):
    """A fitted PyMC-Marketing ``BetaGeoModel`` (purchases and dropout) on ``customer_id, frequency, recency, T``.

    ``method="mcmc"`` samples with NUTS; ``"map"`` finds the posterior mode only (no intervals).
    """
    from pymc_marketing.clv import BetaGeoModel

    config = {**default_bgnbd_priors(), **dict(model_config or {})}
    data = summary[["customer_id", "frequency", "recency", "T"]].reset_index(drop=True)
    return _fit(BetaGeoModel(model_config=config), data, method, draws, tune, chains, seed, target_accept)


def fit_purchase_model(
    summary: pd.DataFrame,
    model: str = "bgnbd",
    method: str = "mcmc",
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 0,
    model_config: Mapping[str, Any] | None = None,
    target_accept: float = 0.9,
):
    """A fitted PyMC-Marketing purchase model (``"bgnbd"``, ``"mbgnbd"`` or ``"pareto"``) on ``customer_id, frequency, recency, T``."""
    import pymc_marketing.clv as pmc

    cls_name = PURCHASE_MODELS[check_purchase_model(model)][0]
    priors = default_pareto_priors() if model == "pareto" else default_bgnbd_priors()
    config = {**priors, **dict(model_config or {})}
    data = summary[["customer_id", "frequency", "recency", "T"]].reset_index(drop=True)
    return _fit(getattr(pmc, cls_name)(model_config=config), data, method, draws, tune, chains, seed, target_accept)


def fit_gamma_gamma(
    summary: pd.DataFrame,
    method: str = "mcmc",
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 0,
    model_config: Mapping[str, Any] | None = None,
    target_accept: float = 0.9,
):
    """A fitted PyMC-Marketing ``GammaGammaModel`` (spend per purchase) on the repeat customers of ``summary``.

    Only customers with ``frequency > 0`` and a positive ``monetary_value`` inform the spend model.
    """
    from pymc_marketing.clv import GammaGammaModel

    repeat = summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < 2:
        raise ValueError(f"the Gamma-Gamma model needs repeat customers; found {len(repeat)} with frequency > 0")
    config = {**default_gamma_gamma_priors(), **dict(model_config or {})}
    data = repeat[["customer_id", "frequency", "monetary_value"]].reset_index(drop=True)
    return _fit(GammaGammaModel(model_config=config), data, method, draws, tune, chains, seed, target_accept)


def posterior_draws(model, names: tuple[str, ...]) -> pd.DataFrame:
    """Posterior draws (rows) of the named parameters (columns), chains stacked."""
    post = model.fit_result
    return pd.DataFrame({n: np.asarray(post[n]).reshape(-1) for n in names})


def parameter_table(model, names: tuple[str, ...], hdi_prob: float = 0.94) -> pd.DataFrame:
    """Posterior mean, sd, HDI (``hdi_low``, ``hdi_high`` at ``hdi_prob``), R-hat and bulk/tail ESS per parameter.

    With a MAP fit (one draw) only ``mean`` is filled; the rest is NaN.
    """
    import arviz as az

    post = model.fit_result
    n_draws = post.sizes.get("chain", 1) * post.sizes.get("draw", 1)
    names = list(names)
    columns = ["parameter", "mean", "sd", "hdi_low", "hdi_high", "r_hat", "ess_bulk", "ess_tail"]
    if n_draws <= 1:
        means = [float(np.asarray(post[n]).reshape(-1)[0]) for n in names]
        out = pd.DataFrame({"parameter": names, "mean": means})
        return out.reindex(columns=columns)
    table = az.summary(post, var_names=names, ci_prob=hdi_prob, ci_kind="hdi", round_to="none")
    table = table.astype(float)
    low_col, high_col = [c for c in table.columns if c.endswith("_lb")][0], [c for c in table.columns if c.endswith("_ub")][0]
    out = table.rename(columns={low_col: "hdi_low", high_col: "hdi_high"}).rename_axis("parameter").reset_index()
    if post.sizes.get("chain", 1) < 2:
        out["r_hat"] = np.nan
    return out.reindex(columns=columns)


def divergences(model) -> int:
    """Number of divergent NUTS transitions of a fitted model (0 for MAP fits)."""
    idata = model.idata
    try:
        return int(np.asarray(idata["sample_stats"]["diverging"]).sum())
    except (KeyError, AttributeError, TypeError):
        return 0


# --------------------------------------------------------------------------- prediction


@dataclass
class CustomerValue:
    """Per-customer predictions with credible intervals, and the posterior draws of CLV.

    ``customers`` has ``customer_id, p_alive, p_alive_low, p_alive_high, expected_purchases,
    expected_purchases_low, expected_purchases_high, expected_spend, clv_mean, clv_low,
    clv_high``. ``clv_draws`` is (draws × customers) in the same customer order, for summing
    CLV over any group with :func:`group_value`. ``horizon`` is in ``time_unit`` periods.
    """

    customers: pd.DataFrame
    clv_draws: np.ndarray
    horizon: float
    time_unit: str
    interval_prob: float


def _flat(da) -> np.ndarray:
    """(chain, draw, customer) xarray → (draws, customers) array."""
    arr = np.asarray(da.transpose("chain", "draw", "customer_id"))
    return arr.reshape(-1, arr.shape[-1])


def _draw_index(n_available: int, n_wanted: int) -> np.ndarray:
    if n_available <= n_wanted:
        return np.arange(n_available)
    return np.linspace(0, n_available - 1, n_wanted).round().astype(int)


def predict_customer_value(
    bgnbd,
    gamma_gamma,
    summary: pd.DataFrame,
    horizon: float,
    time_unit: str = "W",
    interval_prob: float = 0.94,
    max_draws: int = 400,
    chunk_size: int = 20_000,
    one_time_unknown: bool = False,
    discount_rate: float = 0.0,
    margin: float = 1.0,
    discount_steps: int = DISCOUNT_STEPS,
) -> CustomerValue:
    """P(alive), expected purchases and spend, and CLV over ``horizon`` periods per customer, with credible intervals.

    ``bgnbd`` is any fitted purchase model (BG/NBD, MBG/NBD, Pareto/NBD). With ``one_time_unknown``
    (a model in which one-time buyers cannot drop out: BG/NBD) the P(alive) columns of customers
    without a repeat purchase are left empty (NaN): their status is unknown, not certain.

    CLV (currency units) = ``margin`` × expected spend per purchase × the expected purchases in
    the next ``horizon`` periods, each discounted at the annual ``discount_rate``: the horizon is cut
    into at most ``discount_steps`` equal steps, and a step's expected purchases (the growth of the
    cumulative expectation over it) are discounted by (1 + rate)^−(years to the step's midpoint).
    With rate 0 and margin 1 it is the undiscounted expected revenue. Computed per posterior draw
    (the two models' draws are paired by position, thinned to at most ``max_draws``). Intervals are
    equal-tailed at ``interval_prob``. Customers are processed in chunks so memory stays bounded.
    """
    if not 0 <= discount_rate < 1 or not 0 < margin <= 1:
        raise ValueError(f"discount_rate must be in [0, 1) and margin in (0, 1], got {discount_rate!r} and {margin!r}")
    per_year = 365.25 / unit_days(time_unit)
    steps = np.linspace(0.0, float(horizon), max(1, min(int(np.ceil(horizon)), discount_steps)) + 1)
    factors = (1.0 + discount_rate) ** (-((steps[:-1] + steps[1:]) / 2) / per_year)
    data = summary[["customer_id", "frequency", "recency", "T", "monetary_value"]].reset_index(drop=True)
    n_bg = bgnbd.fit_result.sizes.get("chain", 1) * bgnbd.fit_result.sizes.get("draw", 1)
    n_gg = gamma_gamma.fit_result.sizes.get("chain", 1) * gamma_gamma.fit_result.sizes.get("draw", 1)
    n_draws = min(n_bg, n_gg, max_draws)
    idx_bg, idx_gg = _draw_index(n_bg, n_draws), _draw_index(n_gg, n_draws)
    tail = (1 - interval_prob) / 2
    qs = [tail, 1 - tail]
    parts, draws = [], []
    for start in range(0, len(data), chunk_size):
        chunk = data.iloc[start : start + chunk_size]
        alive = _flat(bgnbd.expected_probability_alive(data=chunk))[idx_bg]
        purchases = _flat(bgnbd.expected_purchases(data=chunk, future_t=horizon))[idx_bg]
        spend = _flat(gamma_gamma.expected_customer_spend(data=chunk))[idx_gg]
        if discount_rate > 0:
            cumulative = [np.zeros_like(purchases)] + [
                _flat(bgnbd.expected_purchases(data=chunk, future_t=float(t)))[idx_bg] for t in steps[1:-1]] + [purchases]
            discounted = sum(f * (b - a) for f, a, b in zip(factors, cumulative[:-1], cumulative[1:]))
        else:
            discounted = purchases
        clv = margin * discounted * spend
        a_q, p_q, c_q = (np.quantile(x, qs, axis=0) for x in (alive, purchases, clv))
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": chunk["customer_id"].to_numpy(),
                    "p_alive": alive.mean(0),
                    "p_alive_low": a_q[0],
                    "p_alive_high": a_q[1],
                    "expected_purchases": purchases.mean(0),
                    "expected_purchases_low": p_q[0],
                    "expected_purchases_high": p_q[1],
                    "expected_spend": spend.mean(0),
                    "clv_mean": clv.mean(0),
                    "clv_low": c_q[0],
                    "clv_high": c_q[1],
                }
            )
        )
        draws.append(clv)
    customers = pd.concat(parts, ignore_index=True)
    if one_time_unknown:
        customers.loc[data["frequency"].to_numpy() == 0, ["p_alive", "p_alive_low", "p_alive_high"]] = np.nan
    return CustomerValue(
        customers=customers,
        clv_draws=np.concatenate(draws, axis=1),
        horizon=float(horizon),
        time_unit=time_unit,
        interval_prob=interval_prob,
    )


def group_value(value: CustomerValue, groups: pd.Series | None = None) -> pd.DataFrame:
    """Summed CLV per group (currency units) with its credible interval: ``group, customers, clv_mean, clv_low, clv_high, clv_per_customer``.

    ``groups`` maps ``customer_id`` → group label (customers without a label are left out);
    ``None`` gives one row, ``"all"``. The interval comes from summing each draw over the group,
    so it reflects the shared parameter uncertainty rather than adding customer intervals.
    """
    ids = value.customers["customer_id"]
    labels = pd.Series("all", index=ids.to_numpy()) if groups is None else groups.reindex(ids.to_numpy())
    codes, names = pd.factorize(labels, sort=True)
    valid = codes >= 0
    onehot = np.zeros((len(codes), len(names)))
    onehot[np.flatnonzero(valid), codes[valid]] = 1.0
    sums = value.clv_draws @ onehot  # draws × groups
    tail = (1 - value.interval_prob) / 2
    low, high = np.quantile(sums, [tail, 1 - tail], axis=0)
    counts = onehot.sum(0)
    return pd.DataFrame(
        {
            "group": list(names),
            "customers": counts.astype(np.int64),
            "clv_mean": sums.mean(0),
            "clv_low": low,
            "clv_high": high,
            "clv_per_customer": sums.mean(0) / np.maximum(counts, 1),
        }
    )


def expected_purchases_new_customer(bgnbd, horizon: float, interval_prob: float = 0.94) -> tuple[float, float, float]:
    """Expected purchases of a newly acquired customer in ``horizon`` periods: (mean, low, high), the equal-tailed
    ``interval_prob`` interval over the posterior."""
    values = np.asarray(bgnbd.expected_purchases_new_customer(t=horizon)).reshape(-1)
    tail = (1 - interval_prob) / 2
    return float(values.mean()), float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))
