"""The Bass diffusion model (PyMC-Marketing's ``BassModel``): priors, fit, draws, timing and forecast.

Time runs in the data's periods: period ``k`` (``k = 0`` the launch) covers ``[k, k + 1)``, and the
expected new adopters in it are ``m · f(k + ½)``, the Bass adoption rate at mid-period, which is
what the model is fitted to (``T = k + ½``). ``F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p) e^{−(p+q)t})``
is the share of the potential ``m`` that has adopted by time ``t``; new adoptions peak at
``t* = ln(q/p) / (p + q)`` and half the potential has adopted at ``ln(2 + q/p) / (p + q)``.
Counts are negative-binomial around that mean (real adoption is noisier than Poisson).

Priors are log-normal. p and q come from analogues: by default the means of Sultan, Farley &
Lehmann's (1990) meta-analysis of 213 Bass applications, p = 0.03 and q = 0.38 per year,
rescaled to the data's period (the Bass curve in months is the yearly one with p and q divided
by 12). m comes from ``market_potential`` when given, else from the adopters seen so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from playbook import mcmc

#: Sultan, Farley & Lehmann (1990): mean innovation and imitation coefficients per year over 213 applications.
LITERATURE_P = 0.03
LITERATURE_Q = 0.38
#: Log-scale spread of the analogue priors: 90 % of the p prior lies within about ×/÷ 5 of its median
#: (0.004–0.09 a year around the literature mean), of the q prior within ×/÷ 2.7 (0.12–0.85 a year).
P_LOG_SD = 1.0
Q_LOG_SD = 0.6
#: Without ``market_potential``: m's prior median is this multiple of the adopters seen so far, with a wide spread.
M_PRIOR_MULTIPLE = 3.0
M_PRIOR_LOG_SD = 1.5
#: Default spread of the ``market_potential`` prior (log scale, ≈ ±30 %).
MARKET_POTENTIAL_LOG_SD = 0.3
#: Negative-binomial dispersion (alpha): larger is closer to Poisson; median 50 allows ~14 % extra noise per period.
DISPERSION_MEDIAN = 50.0
DISPERSION_LOG_SD = 1.5
#: Parameters of the Bass curve (m, p, q): fewer observed periods than this cannot determine them.
N_PARAMETERS = 3
#: Draws taken from the priors when there is no history to fit.
PRIOR_DRAWS = 4000


@dataclass(frozen=True)
class LogNormalPrior:
    """A log-normal prior stated by its median and its log-scale standard deviation."""

    median: float
    log_sd: float

    @classmethod
    def from_mean(cls, mean: float, log_sd: float) -> LogNormalPrior:
        """The log-normal with this mean (``median = mean · e^{−sd²/2}``)."""
        return cls(mean * math.exp(-log_sd**2 / 2), log_sd)

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.log_sd**2 / 2)

    def interval(self, mass: float) -> tuple[float, float]:
        """The central interval of mass ``mass``."""
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + mass / 2))
        return self.median * math.exp(-z * self.log_sd), self.median * math.exp(z * self.log_sd)

    def scaled(self, factor: float) -> LogNormalPrior:
        """The same prior for ``factor × x`` (a rate per year → per period)."""
        return LogNormalPrior(self.median * factor, self.log_sd)

    def prior(self):
        """This prior as a ``pymc_extras`` ``Prior`` for PyMC-Marketing."""
        from pymc_extras.prior import Prior

        return Prior("LogNormal", mu=math.log(self.median), sigma=self.log_sd)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.log_sd, size=n)


@dataclass(frozen=True)
class Priors:
    """Priors of the Bass model in the data's periods; ``m`` is ``None`` when the market potential is unknown."""

    m: LogNormalPrior | None
    p: LogNormalPrior
    q: LogNormalPrior
    dispersion: LogNormalPrior
    m_source: str  # "market_potential", "history" or "unknown"
    periods_per_year: float

    def model_config(self) -> dict:
        """PyMC-Marketing ``BassModel`` configuration: log-normal m, p, q and a negative-binomial likelihood."""
        from pymc_extras.prior import Prior

        if self.m is None:
            raise ValueError("the Bass model needs a prior on m to be fitted")
        return {
            "m": self.m.prior(),
            "p": self.p.prior(),
            "q": self.q.prior(),
            "likelihood": Prior("NegativeBinomial", alpha=self.dispersion.prior()),
        }


def make_priors(
    periods_per_year: float,
    analogue_p: float = LITERATURE_P,
    analogue_q: float = LITERATURE_Q,
    market_potential: float = 0.0,
    market_potential_uncertainty: float = MARKET_POTENTIAL_LOG_SD,
    adopters_so_far: int | None = None,
) -> Priors:
    """Priors per period from yearly analogue p and q (their means), ``market_potential`` (its median) or the history.

    Without ``market_potential``, m's prior is centred on :data:`M_PRIOR_MULTIPLE` × the adopters so
    far; with neither (no history, or none adopted yet), m is unknown (``None``).
    """
    if analogue_p <= 0 or analogue_q <= 0:
        raise ValueError(f"analogue p and q must be > 0, got {analogue_p}, {analogue_q}")
    per_period = 1.0 / periods_per_year
    p = LogNormalPrior.from_mean(analogue_p, P_LOG_SD).scaled(per_period)
    q = LogNormalPrior.from_mean(analogue_q, Q_LOG_SD).scaled(per_period)
    if market_potential > 0:
        m, source = LogNormalPrior(market_potential, market_potential_uncertainty or MARKET_POTENTIAL_LOG_SD), "market_potential"
    elif adopters_so_far:
        m, source = LogNormalPrior(M_PRIOR_MULTIPLE * adopters_so_far, M_PRIOR_LOG_SD), "history"
    else:
        m, source = None, "unknown"
    return Priors(m, p, q, LogNormalPrior(DISPERSION_MEDIAN, DISPERSION_LOG_SD), source, periods_per_year)


# --------------------------------------------------------------------------- the curve


def cumulative_share(p, q, t):
    """F(t): the share of the potential that has adopted by time ``t`` (in periods since the launch)."""
    e = np.exp(-(np.asarray(p) + q) * np.asarray(t))
    return (1.0 - e) / (1.0 + (np.asarray(q) / p) * e)


def adoption_rate(p, q, t):
    """f(t) = F'(t): new adopters per period at time ``t``, as a share of the potential."""
    share = cumulative_share(p, q, t)
    return (np.asarray(p) + np.asarray(q) * share) * (1.0 - share)


def peak_time(p, q):
    """t* = ln(q/p) / (p + q) in periods since the launch; 0 when q ≤ p (new adoptions fall from the start)."""
    return np.maximum(np.log(np.asarray(q) / p) / (np.asarray(p) + q), 0.0)


def time_to_share(p, q, share):
    """The time (periods since the launch) at which ``share`` of the potential has adopted: F(t) = share.

    t = ln((1 + share · q/p) / (1 − share)) / (p + q); half the potential (share ½) is ln(2 + q/p) / (p + q).
    """
    ratio = np.asarray(q) / p
    return np.log((1.0 + share * ratio) / (1.0 - share)) / (np.asarray(p) + q)


# --------------------------------------------------------------------------- draws


@dataclass(frozen=True)
class Draws:
    """Joint draws of m (``None``: unknown), p, q (per period) and the dispersion, from the posterior or the priors."""

    m: np.ndarray | None
    p: np.ndarray
    q: np.ndarray
    dispersion: np.ndarray
    kind: str  # "posterior" or "prior"

    def __len__(self) -> int:
        return len(self.p)

    def with_m(self, m: np.ndarray | None) -> Draws:
        return Draws(m, self.p, self.q, self.dispersion, self.kind)


def prior_draws(priors: Priors, n: int = PRIOR_DRAWS, seed: int = 0) -> Draws:
    """``n`` independent draws from the priors (the prior-only forecast)."""
    rng = np.random.default_rng(seed)
    m = priors.m.draw(rng, n) if priors.m is not None else None
    return Draws(m, priors.p.draw(rng, n), priors.q.draw(rng, n), priors.dispersion.draw(rng, n), "prior")


def fit(adopters: np.ndarray, priors: Priors, settings: mcmc.Settings) -> tuple[Draws, mcmc.Diagnostics]:
    """Posterior draws of the Bass model fitted to ``adopters`` (periods 0 … n−1 since the launch) and its diagnostics.

    Uses PyMC-Marketing's ``BassModel`` sampled through :func:`playbook.mcmc.sample`; with PyMC's
    own NUTS the mass matrix is dense (``jitter+adapt_full``), because m and p trade off strongly.
    """
    import xarray as xr
    from pymc_marketing.bass import BassModel

    y = np.asarray(adopters, dtype=int)
    model = BassModel(model_config=priors.model_config())
    model.build_model(xr.Dataset({"observed": ("T", y)}, coords={"T": np.arange(len(y)) + 0.5}))
    extra = {"init": "jitter+adapt_full"} if settings.sampler == "pymc" else {}
    idata = mcmc.sample(model.model, settings, label="Bass diffusion", **extra)
    post = idata.posterior

    def flat(name: str) -> np.ndarray:
        return np.asarray(post[name].values, dtype=float).reshape(-1)

    draws = Draws(flat("m"), flat("p"), flat("q"), flat("y_alpha"), "posterior")
    return draws, mcmc.diagnostics(idata, ["m", "p", "q"])
