"""Customer lifetime value: PyMC-Marketing BG/NBD + Gamma-Gamma fits and per-customer predictions.

Fitting uses ``BetaGeoModel`` and ``GammaGammaModel`` from PyMC-Marketing (NUTS, or MAP for a quick
look). Predictions per customer — P(alive), expected purchases, expected spend and CLV over a
horizon — are computed per posterior draw, so every number has a credible interval.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
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


#: ``map_engine`` values: ``"numpy"`` (the NumPy posterior mode, :func:`bgnbd_map` / :func:`gamma_gamma_map`; default
#: priors only), ``"pymc"`` (PyMC's ``find_MAP`` on the compiled model), ``"auto"`` (NumPy when the priors are the defaults).
MAP_ENGINES: tuple[str, ...] = ("auto", "numpy", "pymc")


def _use_numpy_map(method: str, map_engine: str, model_config) -> bool:
    if map_engine not in MAP_ENGINES:
        raise ValueError(f"map_engine must be one of {', '.join(MAP_ENGINES)}, got {map_engine!r}")
    if method != "map" or map_engine == "pymc":
        return False
    if model_config:
        if map_engine == "numpy":
            raise ValueError("map_engine='numpy' needs the default priors; pass map_engine='pymc' with a model_config")
        return False
    return True


#: The NUTS sampler of the CLV fits. nutpie with its low-rank modified mass matrix adapts to the strong posterior
#: correlations of these models (Gamma-Gamma p, q, v; BG/NBD r, α): about 4–5 leapfrog steps a draw and a bulk ESS of
#: about 2,000–2,500 from 2 × 1,000 draws on the demo, against 430–960 for PyMC's and nutpie's diagonal mass matrix,
#: in under half the CPU time of PyMC's own NUTS (2026-12-02, data/demo; see the personas speed-up notes).
DEFAULT_SAMPLER = "nutpie"
#: ``nuts_sampler_kwargs`` passed to nutpie for the CLV fits.
NUTPIE_KWARGS: dict[str, Any] = {"low_rank_modified_mass_matrix": True}


def _fit(model, data: pd.DataFrame, method: str, draws: int, tune: int, chains: int, seed: int, target_accept: float,
         sampler: str = DEFAULT_SAMPLER):
    if method == "map":
        model.fit(data, method="map", progressbar=False, random_seed=seed)
    elif method == "mcmc":  # NUTS through the playbook's one sampling helper: cores policy, quieting, progress lines
        settings = mcmc.Settings(draws=draws, tune=tune, chains=chains, seed=seed, target_accept=target_accept, sampler=sampler)
        extra = {"nuts_sampler_kwargs": dict(NUTPIE_KWARGS)} if sampler == "nutpie" else {}
        with mcmc.sampling(type(model).__name__, settings):
            model.fit(data, method="mcmc", **settings.fit_kwargs(), **extra)
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
    map_engine: str = "auto",
    sampler: str = DEFAULT_SAMPLER,
):
    """A fitted PyMC-Marketing ``BetaGeoModel`` (purchases and dropout) on ``customer_id, frequency, recency, T``.

    ``method="mcmc"`` samples with NUTS (``sampler``: nutpie by default, see :data:`DEFAULT_SAMPLER`); ``"map"`` finds
    the posterior mode only (no intervals), with the default priors by :func:`bgnbd_map` (same mode as PyMC's
    ``find_MAP``, without compiling; see :data:`MAP_ENGINES`).
    """
    from pymc_marketing.clv import BetaGeoModel

    config = {**default_bgnbd_priors(), **dict(model_config or {})}
    data = summary[["customer_id", "frequency", "recency", "T"]].reset_index(drop=True)
    if _use_numpy_map(method, map_engine, model_config):
        return _fit_fast_map(BetaGeoModel(model_config=config), data, _bgnbd_point)
    return _fit(BetaGeoModel(model_config=config), data, method, draws, tune, chains, seed, target_accept, sampler)


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
    map_engine: str = "auto",
    sampler: str = DEFAULT_SAMPLER,
):
    """A fitted PyMC-Marketing purchase model (``"bgnbd"``, ``"mbgnbd"`` or ``"pareto"``) on ``customer_id, frequency, recency, T``.

    A MAP fit with the default priors finds the posterior mode in NumPy (:func:`bgnbd_map`, :func:`mbgnbd_map`,
    :func:`pareto_map`; see :data:`MAP_ENGINES`) rather than by PyMC's ``find_MAP`` on the compiled model."""
    import pymc_marketing.clv as pmc

    if model == "bgnbd" and _use_numpy_map(method, map_engine, model_config):
        return fit_bgnbd(summary, method=method, seed=seed, map_engine=map_engine)
    cls_name = PURCHASE_MODELS[check_purchase_model(model)][0]
    priors = default_pareto_priors() if model == "pareto" else default_bgnbd_priors()
    config = {**priors, **dict(model_config or {})}
    data = summary[["customer_id", "frequency", "recency", "T"]].reset_index(drop=True)
    if _use_numpy_map(method, map_engine, model_config):
        point = _pareto_point if model == "pareto" else _mbgnbd_point
        return _fit_fast_map(getattr(pmc, cls_name)(model_config=config), data, point)
    return _fit(getattr(pmc, cls_name)(model_config=config), data, method, draws, tune, chains, seed, target_accept, sampler)


def fit_gamma_gamma(
    summary: pd.DataFrame,
    method: str = "mcmc",
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 0,
    model_config: Mapping[str, Any] | None = None,
    target_accept: float = 0.9,
    map_engine: str = "auto",
    sampler: str = DEFAULT_SAMPLER,
):
    """A fitted PyMC-Marketing ``GammaGammaModel`` (spend per purchase) on the repeat customers of ``summary``.

    Only customers with ``frequency > 0`` and a positive ``monetary_value`` inform the spend model. ``method="map"``
    with the default priors uses :func:`gamma_gamma_map` (see :data:`MAP_ENGINES`).
    """
    from pymc_marketing.clv import GammaGammaModel

    repeat = summary.loc[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(repeat) < 2:
        raise ValueError(f"the Gamma-Gamma model needs repeat customers; found {len(repeat)} with frequency > 0")
    config = {**default_gamma_gamma_priors(), **dict(model_config or {})}
    data = repeat[["customer_id", "frequency", "monetary_value"]].reset_index(drop=True)
    if _use_numpy_map(method, map_engine, model_config):
        return _fit_fast_map(GammaGammaModel(model_config=config), data, _gamma_gamma_point)
    return _fit(GammaGammaModel(model_config=config), data, method, draws, tune, chains, seed, target_accept, sampler)


# --------------------------------------------------------------------------- fast posterior mode (MAP)
#
# ``method="map"`` with the default priors finds the same posterior mode as PyMC-Marketing's ``find_MAP`` (L-BFGS-B
# on the log posterior density without the transforms' Jacobian, in the same unconstrained coordinates), but with a
# NumPy log-likelihood and its analytic gradient instead of a compiled PyTensor graph: compiling that graph costs
# seconds to tens of seconds whatever the data size. Customers with identical rows share one likelihood term
# weighted by their count (:func:`collapse_rows`). The result is stored in the PyMC-Marketing model exactly as its
# own MAP fit stores it (one chain, one draw), so every prediction works unchanged.


def collapse_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the given equal-length columns and how many times each occurs: ``(columns, counts)``.

    A likelihood summed over customers equals the count-weighted sum over distinct rows.
    """
    frame = pd.DataFrame({i: np.asarray(c) for i, c in enumerate(columns)})
    counts = frame.groupby(list(frame.columns), sort=False).size()
    distinct = [counts.index.get_level_values(i).to_numpy() for i in range(len(columns))]
    return distinct, counts.to_numpy(np.float64)


def _unique_with_index(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    uniq, inverse = np.unique(values, return_inverse=True)
    return uniq, inverse.reshape(-1)


class _BGNBDTerms:
    """The BG/NBD log-likelihood (PyMC-Marketing's ``BetaGeoNBD.logp``) of weighted rows, with its gradient in (r, α, a, b).

    Terms that depend only on x, only on t_x or only on T are evaluated once per distinct value; only
    log(c3 + c4) of the repeat buyers (x > 0) is evaluated row by row (for x = 0, t_x = 0 and it reduces to log c3).
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray) -> None:
        self.W = float(w.sum())
        self.xu, ix = _unique_with_index(x)
        self.wx = np.bincount(ix, weights=w, minlength=len(self.xu))
        self.tu, it = _unique_with_index(t_x)
        self.Tu, iT = _unique_with_index(T)
        # sum of (r + x) log(alpha + t_x): grouped by distinct t_x
        self.w_t = np.bincount(it, weights=w, minlength=len(self.tu))
        self.wx_t = np.bincount(it, weights=w * x, minlength=len(self.tu))
        zero, pos = x == 0, x > 0
        self.w0_T = np.bincount(iT[zero], weights=w[zero], minlength=len(self.Tu))  # one-time buyers by T
        self.ix, self.it, self.iT = ix[pos], it[pos], iT[pos]
        self.x, self.w = x[pos], w[pos]
        self.xm1 = np.where(self.xu > 0, self.xu - 1.0, 0.0)

    def value_grad(self, r: float, alpha: float, a: float, b: float) -> tuple[float, np.ndarray]:
        from scipy.special import digamma, gammaln

        xu, wx, W = self.xu, self.wx, self.W
        ll = wx @ (gammaln(r + xu) + gammaln(b + xu) - gammaln(a + b + xu)) + W * (gammaln(a + b) - gammaln(r) - gammaln(b))
        g_r = wx @ digamma(r + xu) - W * digamma(r)
        g_b = wx @ (digamma(b + xu) - digamma(a + b + xu)) + W * (digamma(a + b) - digamma(b))
        g_a = W * digamma(a + b) - wx @ digamma(a + b + xu)
        lt, lT = np.log(alpha + self.tu), np.log(alpha + self.Tu)
        inv_t, inv_T = 1.0 / (alpha + self.tu), 1.0 / (alpha + self.Tu)
        # r log(alpha) - (r + x) log(alpha + t_x)
        ll += W * r * np.log(alpha) - (self.w_t * r + self.wx_t) @ lt
        g_r += W * np.log(alpha) - self.w_t @ lt
        g_alpha = W * r / alpha - (self.w_t * r + self.wx_t) @ inv_t
        # log c3 of the one-time buyers: r (log alpha - log(alpha + T))
        ll += r * (self.w0_T @ (np.log(alpha) - lT))
        g_r += self.w0_T @ (np.log(alpha) - lT)
        g_alpha += r * (self.w0_T @ (1.0 / alpha - inv_T))
        # repeat buyers: log(c3 + c4), c3 = ((alpha + t_x) / (alpha + T)) ** (r + x), c4 = a / (b + x - 1)
        rx = r + self.x
        dlog = lt[self.it] - lT[self.iT]
        log_c4 = np.log(a) - np.log(b + self.xm1)[self.ix]
        d = rx * dlog - log_c4
        with np.errstate(over="ignore"):
            e = np.exp(d)
        if np.isfinite(e).all():
            both = np.log1p(e)
            s = e / (1.0 + e)  # c3 / (c3 + c4)
        else:
            both = np.logaddexp(0.0, d)
            s = np.exp(d - both)
        w = self.w
        ws = w * s
        ll += w @ log_c4 + w @ both
        g_r += ws @ dlog
        g_alpha += (ws * rx) @ (inv_t[self.it] - inv_T[self.iT])
        ws4 = w - ws
        g_a += ws4.sum() / a
        g_b -= ws4 @ (1.0 / (b + self.xm1))[self.ix]
        return float(ll), np.array([g_r, g_alpha, g_a, g_b])


def _minimize(fun, x0: np.ndarray) -> np.ndarray:
    from scipy.optimize import minimize

    res = minimize(fun, x0, jac=True, method="L-BFGS-B", options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-9})
    if not np.all(np.isfinite(res.x)):
        raise RuntimeError(f"the posterior-mode search failed: {res.message}")
    return res.x


def bgnbd_map(frequency, recency, T, weights=None) -> dict[str, float]:
    """Posterior mode of the BG/NBD under :func:`default_bgnbd_priors`: ``r, alpha, phi_dropout, kappa_dropout, a, b``.

    The objective is PyMC's ``find_MAP`` objective for ``BetaGeoModel``: the log-likelihood plus the log prior densities
    (flat r, α; φ ~ Uniform(0, 1); κ ~ Pareto(1, 1): −2 log κ) without Jacobian, maximised by L-BFGS-B over the same
    unconstrained coordinates (log r, log α, logit φ, log(κ − 1)). ``weights`` (default 1) multiply each row's
    log-likelihood: rows repeated k times and one row of weight k give the same mode.
    """
    x, t_x, T_ = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    terms = _BGNBDTerms(x, t_x, T_, w)
    scale = 1.0 / max(terms.W, 1.0)  # the optimiser sees the mean log-likelihood: same mode, tolerances independent of N

    def neg(u: np.ndarray):
        r, alpha = np.exp(u[0]), np.exp(u[1])
        phi = 1.0 / (1.0 + np.exp(-u[2]))
        kappa = 1.0 + np.exp(u[3])
        a, b = phi * kappa, (1.0 - phi) * kappa
        ll, g = terms.value_grad(r, alpha, a, b)
        lp = ll - 2.0 * np.log(kappa)
        if not np.isfinite(lp):
            return np.inf, np.zeros(4)
        # chain rule: a = phi kappa, b = (1 - phi) kappa
        g_phi = kappa * (g[2] - g[3])
        g_kappa = phi * g[2] + (1.0 - phi) * g[3] - 2.0 / kappa
        grad = np.array([g[0] * r, g[1] * alpha, g_phi * phi * (1.0 - phi), g_kappa * (kappa - 1.0)])
        return -lp * scale, -grad * scale

    u = _minimize(neg, np.zeros(4))  # r = α = 1, φ = 0.5, κ = 2
    r, alpha = float(np.exp(u[0])), float(np.exp(u[1]))
    phi, kappa = float(1.0 / (1.0 + np.exp(-u[2]))), float(1.0 + np.exp(u[3]))
    return {"r": r, "alpha": alpha, "phi_dropout": phi, "kappa_dropout": kappa, "a": phi * kappa, "b": (1.0 - phi) * kappa}


def _mbgnbd_loglik(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray, r, alpha, a, b) -> float:
    """The MBG/NBD log-likelihood of weighted rows: PyMC-Marketing's ``ModifiedBetaGeoNBD.logp``, summed."""
    from scipy.special import gammaln

    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return float(w @ (a1 + a2 + a3 + np.logaddexp(a4, 0.0)))


def _pareto_loglik(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray, r, alpha, s, beta) -> float:
    """The Pareto/NBD log-likelihood of weighted rows: PyMC-Marketing's ``ParetoNBD.logp``, summed."""
    from scipy.special import gammaln, hyp2f1

    rsx, rx = r + s + x, r + x
    big, small = (alpha, beta) if alpha >= beta else (beta, alpha)
    second_t1, second_t2 = (s + 1, s) if alpha >= beta else (rx, rx + 1)
    refactored = rsx * np.log(big + t_x)
    with np.errstate(divide="ignore", invalid="ignore"):
        h1 = np.log(hyp2f1(rsx, second_t1, rsx + 1, (big - small) / (big + t_x)))
        h2 = np.log(hyp2f1(rsx, second_t2, rsx + 1, (big - small) / (big + T))) - rsx * np.log(big + T) + refactored
    a1 = gammaln(rx) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) - refactored
    return float(w @ (a1 + np.logaddexp(np.log(s) - np.log(rsx) + h1, np.log(rx) - np.log(rsx) + h2)))


def _mode(neg, x0: np.ndarray) -> np.ndarray:
    """The minimiser of ``neg`` (a value only: L-BFGS-B with finite-difference gradients, then Nelder-Mead polish)."""
    from scipy.optimize import minimize

    res = minimize(neg, x0, method="L-BFGS-B", options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-10})
    res = minimize(neg, res.x, method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 20000})
    if not np.all(np.isfinite(res.x)):
        raise RuntimeError(f"the posterior-mode search failed: {res.message}")
    return res.x


def mbgnbd_map(frequency, recency, T, weights=None) -> dict[str, float]:
    """Posterior mode of the MBG/NBD under :func:`default_bgnbd_priors`: ``r, alpha, phi_dropout, kappa_dropout, a, b``.

    PyMC's ``find_MAP`` objective for ``ModifiedBetaGeoModel`` (log-likelihood + log prior densities, no Jacobian:
    flat r, α; φ ~ Uniform(0, 1); κ ~ Pareto(1, 1), −2 log κ), maximised over log r, log α, logit φ, log(κ − 1).
    """
    x, t_x, T_ = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    scale = 1.0 / max(float(w.sum()), 1.0)

    def neg(u: np.ndarray) -> float:
        r, alpha, phi, kappa = np.exp(u[0]), np.exp(u[1]), 1.0 / (1.0 + np.exp(-u[2])), 1.0 + np.exp(u[3])
        lp = _mbgnbd_loglik(x, t_x, T_, w, r, alpha, phi * kappa, (1.0 - phi) * kappa) - 2.0 * np.log(kappa)
        return -lp * scale if np.isfinite(lp) else np.inf

    u = _mode(neg, np.zeros(4))
    r, alpha = float(np.exp(u[0])), float(np.exp(u[1]))
    phi, kappa = float(1.0 / (1.0 + np.exp(-u[2]))), float(1.0 + np.exp(u[3]))
    return {"r": r, "alpha": alpha, "phi_dropout": phi, "kappa_dropout": kappa, "a": phi * kappa, "b": (1.0 - phi) * kappa}


def pareto_map(frequency, recency, T, weights=None) -> dict[str, float]:
    """Posterior mode of the Pareto/NBD under :func:`default_pareto_priors` (flat r, α, s, β: the maximum-likelihood
    estimate), with PyMC-Marketing's ``ParetoNBD`` likelihood; maximised over log r, log α, log s, log β."""
    x, t_x, T_ = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    scale = 1.0 / max(float(w.sum()), 1.0)

    def neg(u: np.ndarray) -> float:
        ll = _pareto_loglik(x, t_x, T_, w, *np.exp(u))
        return -ll * scale if np.isfinite(ll) else np.inf

    u = _mode(neg, np.zeros(4))
    r, alpha, s, beta = (float(e) for e in np.exp(u))
    return {"r": r, "alpha": alpha, "s": s, "beta": beta}


def gamma_gamma_map(frequency, monetary_value, weights=None) -> dict[str, float]:
    """Posterior mode of the Gamma-Gamma mean-spend model under :func:`default_gamma_gamma_priors` (flat p, q, v: the
    maximum-likelihood estimate), with PyMC-Marketing's ``GammaGammaModel`` likelihood; L-BFGS-B over log p, log q, log v.
    ``weights`` (default 1) multiply each row's log-likelihood."""
    from scipy.special import digamma, gammaln

    x, z = np.asarray(frequency, dtype=np.float64), np.asarray(monetary_value, dtype=np.float64)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64)
    W = float(w.sum())
    xu, ix = _unique_with_index(x)
    wx = np.bincount(ix, weights=w, minlength=len(xu))
    s_xlogz, s_logz, s_xlogx = w @ (x * np.log(z)), w @ np.log(z), w @ (x * np.log(x))
    xz, wxr = x * z, w * x
    scale = 1.0 / max(W, 1.0)

    def neg(u: np.ndarray):
        p, q, v = np.exp(u)
        lv = np.log(xz + v)
        ll = (wx @ (gammaln(p * xu + q) - gammaln(p * xu)) - W * gammaln(q) + W * q * np.log(v) + p * s_xlogz - s_logz
              + p * s_xlogx - p * (wxr @ lv) - q * (w @ lv))
        inv = 1.0 / (xz + v)
        g_p = wx @ (xu * (digamma(p * xu + q) - digamma(p * xu))) + s_xlogz + s_xlogx - wxr @ lv
        g_q = wx @ digamma(p * xu + q) - W * digamma(q) + W * np.log(v) - w @ lv
        g_v = W * q / v - p * (wxr @ inv) - q * (w @ inv)
        if not np.isfinite(ll):
            return np.inf, np.zeros(3)
        return -ll * scale, -np.array([g_p * p, g_q * q, g_v * v]) * scale

    m = float(np.average(z, weights=w))
    u = _minimize(neg, np.array([0.0, 0.0, np.log(max(m, 1e-9))]))
    p, q, v = (float(e) for e in np.exp(u))
    return {"p": p, "q": q, "v": v}


def _map_idata(model, point: dict[str, float]):
    """The DataTree PyMC-Marketing's own MAP fit returns: a one-chain, one-draw posterior of ``point``."""
    import xarray as xr
    from pymc import __version__ as pymc_version

    attrs = {"inference_library": "pymc", "inference_library_version": pymc_version, "sample_dims": ["chain", "draw"]}
    free = [rv.name for rv in model.model.free_RVs]
    names = free + [n for n in point if n not in free]
    coords = {"chain": np.array([0]), "draw": np.array([0])}
    posterior = xr.Dataset({n: (("chain", "draw"), np.array([[point[n]]])) for n in names}, coords=coords, attrs=attrs)
    return xr.DataTree.from_dict({"posterior": posterior})


def _fit_fast_map(model, data: pd.DataFrame, point_fn) -> Any:
    """Fit ``model`` (a PyMC-Marketing CLV model) by ``model.fit(method="map")`` with the mode from ``point_fn(data)``."""
    import types

    def _fit_map(self, fit_kwargs, map_kwargs=None):
        return _map_idata(self, point_fn(self.data))

    model._fit_map = types.MethodType(_fit_map, model)
    try:
        model.fit(data, method="map", progressbar=False)
    finally:
        del model._fit_map
    return model


def _bgnbd_point(data: pd.DataFrame) -> dict[str, float]:
    (x, t_x, T), w = collapse_rows(data["frequency"].to_numpy(), data["recency"].to_numpy(), data["T"].to_numpy())
    return bgnbd_map(x, t_x, T, w)


def _mbgnbd_point(data: pd.DataFrame) -> dict[str, float]:
    (x, t_x, T), w = collapse_rows(data["frequency"].to_numpy(), data["recency"].to_numpy(), data["T"].to_numpy())
    return mbgnbd_map(x, t_x, T, w)


def _pareto_point(data: pd.DataFrame) -> dict[str, float]:
    (x, t_x, T), w = collapse_rows(data["frequency"].to_numpy(), data["recency"].to_numpy(), data["T"].to_numpy())
    return pareto_map(x, t_x, T, w)


def _gamma_gamma_point(data: pd.DataFrame) -> dict[str, float]:
    (x, z), w = collapse_rows(data["frequency"].to_numpy(), data["monetary_value"].to_numpy())
    return gamma_gamma_map(x, z, w)


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


@contextlib.contextmanager
def _only_draws(model, idx: np.ndarray) -> Iterator[None]:
    """While the block runs, the fitted ``model``'s posterior holds only the flat draws ``idx`` (chains stacked, chain
    by chain), as one chain in that order, so that its predictions are computed for those draws alone.

    Predicting on all draws and then picking ``idx`` gives the same numbers at several times the cost.
    """
    import xarray as xr

    saved = model.idata
    post = saved["/posterior"].to_dataset()
    if post.sizes.get("chain", 1) * post.sizes.get("draw", 1) == len(idx) and np.array_equal(idx, np.arange(len(idx))):
        yield
        return
    flat = post.stack(sample=("chain", "draw")).isel(sample=np.asarray(idx)).drop_vars(["sample", "chain", "draw"])
    thinned = flat.expand_dims(chain=[0]).rename_dims(sample="draw").assign_coords(draw=np.arange(len(idx)))
    thinned = thinned.transpose("chain", "draw", ...)
    groups = {f"/{name}": saved[name].to_dataset() for name in saved.children if name != "posterior"}
    model.idata = xr.DataTree.from_dict({"/": saved.to_dataset(), "/posterior": thinned, **groups})
    try:
        yield
    finally:
        model.idata = saved


@dataclass(frozen=True)
class _ValueTerms:
    """What every chunk of :func:`predict_customer_value` shares: the horizon, its discounting steps, the margin, the quantiles."""

    horizon: float
    steps: np.ndarray  # step ends over the horizon, from 0
    factors: np.ndarray  # discount factor of each step (at its midpoint)
    discounted: bool
    margin: float
    qs: list[float]  # interval ends


def _predict_chunk(bgnbd, gamma_gamma, chunk: pd.DataFrame, terms: _ValueTerms) -> tuple[pd.DataFrame, np.ndarray]:
    """One chunk of customers: its prediction table and its (draws × customers) CLV draws."""
    alive = _flat(bgnbd.expected_probability_alive(data=chunk))
    purchases = _flat(bgnbd.expected_purchases(data=chunk, future_t=terms.horizon))
    spend = _flat(gamma_gamma.expected_customer_spend(data=chunk))
    if terms.discounted:
        cumulative = [np.zeros_like(purchases)] + [
            _flat(bgnbd.expected_purchases(data=chunk, future_t=float(t))) for t in terms.steps[1:-1]] + [purchases]
        discounted = sum(f * (b - a) for f, a, b in zip(terms.factors, cumulative[:-1], cumulative[1:]))
    else:
        discounted = purchases
    clv = terms.margin * discounted * spend
    a_q, p_q, c_q = (np.quantile(x, terms.qs, axis=0) for x in (alive, purchases, clv))
    return (
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
        ),
        clv,
    )


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
    terms = _ValueTerms(float(horizon), steps, factors, discount_rate > 0, margin, [tail, 1 - tail])
    with _only_draws(bgnbd, idx_bg), _only_draws(gamma_gamma, idx_gg):
        parts, draws = zip(*(_predict_chunk(bgnbd, gamma_gamma, data.iloc[start : start + chunk_size], terms)
                             for start in range(0, len(data), chunk_size)))
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
    ``interval_prob`` interval over the posterior.

    The models here have no covariates, so a new customer's expectation is the same whoever they are: it is computed
    once per draw (on the model's first customer row) rather than once per draw and fitted customer."""
    values = np.asarray(bgnbd.expected_purchases_new_customer(data=bgnbd.data.iloc[:1], t=horizon)).reshape(-1)
    tail = (1 - interval_prob) / 2
    return float(values.mean()), float(np.quantile(values, tail)), float(np.quantile(values, 1 - tail))
