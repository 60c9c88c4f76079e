"""One way to run MCMC for every PyMC fit in the playbook: settings, sampling, quiet, progress, diagnostics.

Every analysis that samples (the A/B revenue and segment models, CLV, the MMM, launch) goes
through this module, so that the sampler choice, the cores policy, the silencing of library
chatter, the progress lines in the log and the R-hat / ESS / divergence read-out are written once::

    settings = mcmc.Settings(draws=1000, tune=1000, chains=2, sampler="nutpie", seed=1)
    idata = mcmc.sample(model, settings, label="revenue model")            # a pymc.Model
    with mcmc.sampling("BG/NBD", settings):                                 # a library's own fit()
        clv_model.fit(method="mcmc", **settings.fit_kwargs())
    diag = mcmc.diagnostics(idata, ["r", "alpha"])                          # Diagnostics(...)

Progress goes to ``stderr`` (the notebook's log under the runner, never the HTML report) every
:data:`PROGRESS_EVERY_S` seconds while a fit runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

#: Samplers the playbook supports (PyMC's ``nuts_sampler``); nutpie is the fastest here (benchmarks/mmm_samplers.py).
SAMPLERS = ("nutpie", "pymc", "numpyro")
#: Seconds between progress lines while a fit runs.
PROGRESS_EVERY_S = 15.0
#: Convergence thresholds shared by every health check (Vehtari et al. 2021).
RHAT_MAX = 1.01
ESS_BULK_PER_CHAIN_MIN = 100.0
#: Loggers silenced while sampling (PyMC resets its own logger to INFO on import).
NOISY_LOGGERS = ("pymc", "pytensor", "pymc_marketing", "numba", "jax", "arviz", "pymc_extras")


@dataclass(frozen=True)
class Settings:
    """How to sample: draws and warm-up per chain, chains, sampler, seed and NUTS target acceptance."""

    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    sampler: str = "nutpie"
    seed: int = 0
    target_accept: float = 0.9

    def __post_init__(self):
        if self.sampler not in SAMPLERS:
            raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {self.sampler!r}")
        if self.draws < 1 or self.tune < 0 or self.chains < 1:
            raise ValueError(f"draws ≥ 1, tune ≥ 0 and chains ≥ 1 are needed, got {self.draws}, {self.tune}, {self.chains}")

    @property
    def cores(self) -> int:
        """Chains run in parallel on at most the machine's cores (and never more than the chains)."""
        return max(1, min(self.chains, os.cpu_count() or 1))

    @property
    def total_draws(self) -> int:
        """Post-warm-up draws over all chains."""
        return self.draws * self.chains

    def with_(self, **changes) -> Settings:
        """A copy with some fields changed (``settings.with_(draws=2000)``)."""
        return replace(self, **changes)

    def sample_kwargs(self) -> dict:
        """Keyword arguments for ``pymc.sample``."""
        return {
            "draws": self.draws,
            "tune": self.tune,
            "chains": self.chains,
            "cores": self.cores,
            "random_seed": self.seed,
            "nuts_sampler": self.sampler,
            "target_accept": self.target_accept,
            "progressbar": False,
            "compute_convergence_checks": False,
        }

    def fit_kwargs(self) -> dict:
        """Keyword arguments for a PyMC-Marketing model's ``fit(...)`` (MMM, CLV), which passes them to ``pymc.sample``."""
        return self.sample_kwargs()

    def describe(self) -> str:
        """``'2 chains × 1,000 draws (1,000 warm-up), nutpie'``, for the appendix."""
        chains = f"{self.chains} chain{'s' if self.chains != 1 else ''}"
        return f"{chains} × {self.draws:,} draws ({self.tune:,} warm-up), {self.sampler}"


@dataclass(frozen=True)
class Diagnostics:
    """Convergence read-out of a posterior: worst R-hat, smallest bulk and tail ESS, divergent transitions."""

    rhat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    divergences: int
    chains: int
    draws: int  # per chain

    @property
    def ess_bulk_floor(self) -> float:
        """The bulk-ESS the playbook asks for: 100 per chain."""
        return ESS_BULK_PER_CHAIN_MIN * self.chains

    @property
    def converged(self) -> bool:
        """R-hat at most 1.01 (or a single chain), bulk ESS at least 100 per chain, no divergences."""
        rhat_ok = not np.isfinite(self.rhat_max) or self.rhat_max <= RHAT_MAX
        return bool(rhat_ok and self.ess_bulk_min >= self.ess_bulk_floor and self.divergences == 0)

    def problems(self) -> list[str]:
        """Plain-language list of the thresholds missed (empty when converged)."""
        out = []
        if np.isfinite(self.rhat_max) and self.rhat_max > RHAT_MAX:
            out.append(f"R-hat {self.rhat_max:.3f} above {RHAT_MAX}")
        if self.ess_bulk_min < self.ess_bulk_floor:
            out.append(f"bulk ESS {self.ess_bulk_min:,.0f} below {self.ess_bulk_floor:,.0f}")
        if self.divergences:
            out.append(f"{self.divergences} divergent transition{'s' if self.divergences != 1 else ''}")
        return out

    def as_dict(self) -> dict:
        return {"rhat_max": self.rhat_max, "ess_bulk_min": self.ess_bulk_min, "ess_tail_min": self.ess_tail_min,
                "divergences": self.divergences, "chains": self.chains, "draws": self.draws}


def _posterior(idata):
    post = idata["posterior"] if not hasattr(idata, "posterior") else idata.posterior
    return post.to_dataset() if hasattr(post, "to_dataset") else post


def diagnostics(idata, var_names: Sequence[str] | None = None) -> Diagnostics:
    """R-hat (max), bulk and tail ESS (min) over ``var_names`` (default: every free variable), and divergences.

    With one chain R-hat is undefined and reported as NaN; with one draw (a MAP fit) ESS is NaN.
    """
    import arviz as az

    post = _posterior(idata)
    names = list(var_names) if var_names else list(post.data_vars)
    chains, draws = int(post.sizes.get("chain", 1)), int(post.sizes.get("draw", 1))

    def worst(tree, fn) -> float:
        ds = tree.to_dataset() if hasattr(tree, "to_dataset") else tree
        values = [float(fn(np.asarray(ds[v].values, dtype=float))) for v in ds.data_vars]
        return float(fn(values)) if values else float("nan")

    if draws < 4:
        rhat = ess_bulk = ess_tail = float("nan")
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rhat = worst(az.rhat(post, var_names=names), np.nanmax) if chains > 1 else float("nan")
            ess_bulk = worst(az.ess(post, var_names=names, method="bulk"), np.nanmin)
            ess_tail = worst(az.ess(post, var_names=names, method="tail"), np.nanmin)
    try:
        stats = idata["sample_stats"] if not hasattr(idata, "sample_stats") else idata.sample_stats
        divergences = int(np.asarray(stats["diverging"]).sum())
    except (KeyError, AttributeError, TypeError):
        divergences = 0
    return Diagnostics(rhat, ess_bulk, ess_tail, divergences, chains, draws)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence sampling chatter: library loggers at ERROR and warnings ignored, restored afterwards."""
    loggers = [logging.getLogger(n) for n in NOISY_LOGGERS]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _progress_line(label: str, elapsed: float, settings: Settings | None) -> str:
    work = f" ({settings.describe()})" if settings else ""
    return f"playbook progress: {label}{work}: {elapsed:.0f} s elapsed"


@contextlib.contextmanager
def progress(label: str, settings: Settings | None = None, every_s: float = PROGRESS_EVERY_S, stream=None) -> Iterator[None]:
    """Write a progress line to ``stream`` (default ``stderr``) every ``every_s`` seconds while the block runs.

    Under the runner a notebook's ``stderr`` goes to its log file, never to the HTML report.
    """
    stream = stream or sys.stderr
    done = threading.Event()
    started = time.time()

    def beat():
        while not done.wait(every_s):
            try:
                print(_progress_line(label, time.time() - started, settings), file=stream, flush=True)
            except (OSError, ValueError):  # stream closed
                return

    thread = threading.Thread(target=beat, name=f"progress:{label}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=1)
        took = time.time() - started
        if took >= every_s:
            with contextlib.suppress(OSError, ValueError):
                print(f"playbook progress: {label}: finished in {took:.0f} s", file=stream, flush=True)


@contextlib.contextmanager
def sampling(label: str, settings: Settings | None = None) -> Iterator[None]:
    """``quiet()`` and ``progress(label)`` together: wrap any library's own ``fit()`` in this."""
    with quiet(), progress(label, settings):
        yield


def sample(model, settings: Settings, label: str = "MCMC", **extra):
    """Posterior draws (an ``InferenceData``) of a ``pymc.Model`` with NUTS, quietly, with progress lines.

    ``extra`` is passed to ``pymc.sample`` (for example ``target_accept`` to override the setting).
    """
    import pymc as pm

    kwargs = {**settings.sample_kwargs(), **extra}
    with sampling(label, settings), model:
        return pm.sample(**kwargs)
