"""One way to run MCMC for every PyMC fit in the playbook: settings, sampling, quiet, progress, diagnostics.

Every analysis that samples (the A/B revenue and segment models, CLV, the MMM, launch) goes
through this module, so that the sampler choice, the cores policy, the silencing of library
chatter, the progress lines in the log and the R-hat / ESS / divergence read-out are written once::

    settings = mcmc.Settings(draws=1000, tune=1000, chains=2, sampler="nutpie", seed=1)
    idata = mcmc.sample(model, settings, label="revenue model")            # a pymc.Model
    with mcmc.sampling("BG/NBD", settings):                                 # a library's own fit()
        clv_model.fit(method="mcmc", **settings.fit_kwargs())
    diag = mcmc.diagnostics(idata, ["r", "alpha"])                          # Diagnostics(...)

Progress goes to ``stderr`` every :data:`PROGRESS_EVERY_S` seconds while a fit runs: draws done
out of the total and the seconds left, once the sampler reports draws (the pymc sampler through
``pm.sample``'s public per-draw ``callback``, which :meth:`Settings.sample_kwargs` passes; nutpie
through the ``progress_callback`` PyMC hands it, read where PyMC's ``NutpieProgressBarManager``
receives it). Under the runner these lines go to the notebook's log, ``run.log`` and the console
(:class:`ProgressRelay`), never to the HTML report.
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
#: Every progress line starts with this (the runner echoes such lines from a kernel's stderr).
PROGRESS_PREFIX = "playbook progress:"
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
            # pymc's own sampler counts its draws for the progress lines (other samplers refuse a callback)
            **({"callback": count_draw} if self.sampler == "pymc" else {}),
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


class _DrawCounter:
    """Draws done (warm-up included, all chains) of the sampling inside one :func:`progress` block, with timing."""

    def __init__(self, total: int | None):
        self.total, self.done = total, 0
        self.first_at: float | None = None  # when the first draw was counted (compiling comes before)
        self.done_at_first = 0
        self._lock = threading.Lock()

    def add(self, n: int = 1) -> None:
        with self._lock:
            self._start()
            self.done += n

    def set(self, done: int, total: int | None) -> None:
        with self._lock:
            self._start()
            self.done, self.total = done, total or self.total

    def _start(self) -> None:
        if self.first_at is None:
            self.first_at, self.done_at_first = time.time(), self.done

    def seconds_left(self, now: float) -> float | None:
        """Seconds to the last draw at the rate since the first one; ``None`` until there is a rate."""
        if self.first_at is None or not self.total or self.done > self.total:
            return None
        rate = (self.done - self.done_at_first) / max(now - self.first_at, 1e-9)
        return (self.total - self.done) / rate if rate > 0 else None


#: The counters of the :func:`progress` blocks running now, innermost last.
_COUNTERS: list[_DrawCounter] = []


def count_draw(*_, **__) -> None:
    """``pm.sample``'s per-draw ``callback`` (pymc sampler): one more draw for the innermost :func:`progress` block."""
    if _COUNTERS:
        _COUNTERS[-1].add()


def _count_nutpie(chain_progresses) -> None:
    """Draws done and in all, from nutpie's per-chain progress (``finished_draws``, ``total_draws``, warm-up included)."""
    if not _COUNTERS:
        return
    try:
        done = sum(int(cp.finished_draws) for cp in chain_progresses)
        total = sum(int(cp.total_draws) for cp in chain_progresses)
    except (AttributeError, TypeError, ValueError):
        return
    _COUNTERS[-1].set(done, total)


def _hook_nutpie() -> bool:
    """Have PyMC's nutpie progress bridge also count draws for :func:`progress` (once per process).

    PyMC passes ``progress_callback=NutpieProgressBarManager(...).update`` to ``nutpie.sample`` and
    takes no callback of its own for external samplers, so the count is read there. When PyMC no
    longer has that bridge, progress lines show the elapsed time only.
    """
    try:
        from pymc.progress_bar.progress import NutpieProgressBarManager
    except ImportError:
        return False
    original = NutpieProgressBarManager.update
    if getattr(original, "_playbook_counts", False):
        return True

    def update(self, chain_progresses, *args, **kwargs):
        _count_nutpie(chain_progresses)
        return original(self, chain_progresses, *args, **kwargs)

    update._playbook_counts = True  # type: ignore[attr-defined]
    NutpieProgressBarManager.update = update
    return True


def _progress_line(label: str, elapsed: float, settings: Settings | None, counter: _DrawCounter | None = None,
                   left: float | None = None) -> str:
    """``'playbook progress: BG/NBD (2 chains × …): 1,200 of 4,000 draws (30%), 45 s elapsed, about 105 s left'``."""
    work = f" ({settings.describe()})" if settings else ""
    draws = ""
    if counter is not None and counter.done:
        if counter.total and counter.done <= counter.total:
            draws = f"{counter.done:,} of {counter.total:,} draws ({counter.done / counter.total:.0%}), "
        else:
            draws = f"{counter.done:,} draws, "
    tail = f", about {left:.0f} s left" if left is not None else ""
    return f"{PROGRESS_PREFIX} {label}{work}: {draws}{elapsed:.0f} s elapsed{tail}"


@contextlib.contextmanager
def progress(label: str, settings: Settings | None = None, every_s: float = PROGRESS_EVERY_S, stream=None) -> Iterator[None]:
    """Write a progress line to ``stream`` (default ``stderr``) every ``every_s`` seconds while the block runs.

    The line says the draws done out of all (warm-up included, every chain) and the seconds left,
    once the sampler inside reports draws (see the module docstring); before that, the time elapsed.
    Under the runner a notebook's ``stderr`` goes to its log file and the run's console, never to
    the HTML report.
    """
    stream = stream or sys.stderr
    done = threading.Event()
    started = time.time()
    counter = _DrawCounter((settings.draws + settings.tune) * settings.chains if settings else None)
    if (settings is None or settings.sampler == "nutpie") and "pymc" in sys.modules:  # a model to sample is built already
        _hook_nutpie()
    _COUNTERS.append(counter)

    def beat():
        while not done.wait(every_s):
            try:
                now = time.time()
                print(_progress_line(label, now - started, settings, counter, counter.seconds_left(now)), file=stream, flush=True)
            except (OSError, ValueError):  # stream closed
                return

    thread = threading.Thread(target=beat, name=f"progress:{label}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=1)
        _COUNTERS.remove(counter)
        took = time.time() - started
        if took >= every_s:
            with contextlib.suppress(OSError, ValueError):
                print(f"{PROGRESS_PREFIX} {label}: finished in {took:.0f} s", file=stream, flush=True)


class ProgressRelay:
    """A text stream that writes through to ``stream`` and calls ``on_line(line)`` for each progress line.

    Give it to papermill as ``stderr_file`` (which receives the kernel's stderr stream as it comes):
    the notebook's log keeps everything, and ``on_line`` can echo the progress lines to the console
    and the run's log while the notebook runs.
    """

    def __init__(self, stream, on_line):
        self.stream, self.on_line, self._pending = stream, on_line, ""

    def write(self, text: str) -> int:
        n = self.stream.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            line = line.rstrip("\r")
            if line.startswith(PROGRESS_PREFIX):
                self.on_line(line)
        return n if n is not None else len(text)

    def flush(self) -> None:
        self.stream.flush()


@contextlib.contextmanager
def compile_once() -> Iterator[None]:
    """Within the block, nutpie compiles each PyMC model object once: a second fit of the same model re-uses it.

    nutpie's compiled model (``nutpie.compile_pymc_model``) can be sampled any number of times, with any draws,
    warm-up and seed; PyMC compiles afresh on every ``pm.sample``. Inside this block the compilation is kept per
    model object (and compile options), so a refit of the very same model — the automatic extension of a fit
    that missed its thresholds — samples without compiling again. Outside the block nothing changes.
    """
    try:
        import nutpie
    except ImportError:
        yield
        return
    original = nutpie.compile_pymc_model
    cache: dict = {}

    def compile_pymc_model(model, **kwargs):
        key = (id(model), repr(sorted(kwargs.items(), key=lambda kv: kv[0])))
        hit = cache.get(key)
        if hit is None or hit[0] is not model:
            hit = cache[key] = (model, original(model, **kwargs))
        return hit[1]

    nutpie.compile_pymc_model = compile_pymc_model
    try:
        yield
    finally:
        nutpie.compile_pymc_model = original


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
    if kwargs.get("nuts_sampler") != "pymc":
        kwargs.pop("callback", None)  # external samplers take no per-draw callback
    used = settings.with_(draws=kwargs["draws"], tune=kwargs["tune"], chains=kwargs["chains"])  # what the progress counts to
    with sampling(label, used), model:
        return pm.sample(**kwargs)
