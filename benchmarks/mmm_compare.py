"""The MMM as PyMC-Marketing runs it by default against the playbook's configuration, and the cost of each notebook fit.

Same model (the playbook's default: PyMC-Marketing's ``MMM`` with geometric adstock, l_max 8, logistic
saturation, the demo's three controls, trend, 2 yearly Fourier modes and PyMC-Marketing's default priors),
same data (the demo ``mmm.csv``) and seed, fitted two ways:

* **PyMC-Marketing default**: ``mmm.fit(X, y)`` with nothing but a seed: PyMC's NUTS, 1,000 draws and
  1,000 tuning steps per chain, PyMC's default chain count (``max(2, cores)``: 2 here) and target
  acceptance 0.8;
* **playbook**: the MMM notebook's defaults through :mod:`playbook.mcmc`: nutpie, 1,500 draws and 1,500
  tuning steps, 2 chains, target acceptance 0.95 (``playbook.mmm.model.TARGET_ACCEPT``).

Reported: wall time (compilation included), the smallest bulk ESS over the media, baseline and noise
parameters the health card reads, that ESS per second, the largest R-hat, divergences, and how far the
two posteriors' per-channel ROAS are apart (in posterior sd of the default's) and from the demo truth.

Then **the notebook's own fits**: ``playbook.mmm.analyze`` on the demo data with the notebook's defaults
(lift tests included), every fit timed by label (before calibration, calibrated, holdout, and an
automatic extension if one ran); the rest of ``analyze`` (posterior predictive, plan, summaries) is the
difference to the whole call.

Each configuration is timed ``--repeats`` times (default 3, the median reported, as every comparison of
``make bench``; pass 1 for a quicker look: one fit is 15–40 s and MCMC-dominated); the first call of the
process also pays PyTensor's compilation cache warm-up, so a warm-up fit at small draws runs first.

Run:  python benchmarks/mmm_compare.py [--repeats 3] [--no-write]
Do not run it while others need the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Report, ratio, secs  # noqa: E402

CONTROLS = ["price_index", "competitor_promo", "holiday"]
SEED = 42


def playbook_api() -> SimpleNamespace:
    """The playbook calls under test (adapt here if the MMM room's API moves)."""
    from playbook import mcmc
    from playbook import mmm as M
    from playbook.demo.mmm import make
    from playbook.demo.world import World

    files, truth = make(World())
    notebook_settings = mcmc.Settings(draws=1500, tune=1500, chains=2, sampler="nutpie", seed=SEED, target_accept=M.model.TARGET_ACCEPT)
    return SimpleNamespace(
        files=files, truth=truth, M=M, mcmc=mcmc, notebook_settings=notebook_settings,
        inp=M.prepare_input(files["mmm.csv"], "revenue", CONTROLS),
    )


def read_out(api, mmm, seconds: float) -> dict:
    diag = api.M.model.diagnostics(mmm)
    draws = _roas(mmm, api.inp)
    return {"seconds": seconds, "ess_min": diag.ess_bulk_min, "rhat_max": diag.rhat_max, "divergences": diag.divergences,
            "roas_mean": draws.mean(("chain", "draw")).to_series(), "roas_sd": draws.std(("chain", "draw")).to_series()}


def _roas(mmm, inp):
    import xarray as xr

    spend = xr.DataArray(inp.spend.sum().to_numpy(), dims=["channel"], coords={"channel": inp.channels})
    return mmm.data.get_channel_contributions(original_scale=True).sum("date") / spend


def fit_default(api):
    """PyMC-Marketing's defaults: ``fit`` with a seed only (progress bar off so the log stays readable)."""
    mmm = api.M.build_model(api.inp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm.fit(api.inp.X, api.inp.y, random_seed=SEED, progressbar=False)
    return mmm


def fit_playbook(api):
    return api.M.fit_model(api.M.build_model(api.inp), api.inp, api.notebook_settings, prior_samples=0, label="benchmark")


def timed(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, statistics.median(times), min(times), max(times)


def notebook_fits(api) -> tuple[list[tuple[str, float, int, int]], float]:
    """``analyze`` as the notebook calls it, with each fit timed by its label; and the whole call's seconds."""
    import pandas as pd

    fits: list[tuple[str, float, int, int]] = []
    original = api.M.model.sample_model  # every fit (fit_model's and fit_converged's, extensions too) samples through it

    def timed_sample(mmm, inp, settings, prior_samples=500, label="MMM"):
        start = time.perf_counter()
        out = original(mmm, inp, settings, prior_samples=prior_samples, label=label)
        fits.append((label, time.perf_counter() - start, settings.draws, settings.tune))
        return out

    api.M.model.sample_model = timed_sample
    try:
        start = time.perf_counter()
        api.M.analyze(api.files["mmm.csv"], controls=CONTROLS, settings=api.notebook_settings,
                      lift_tests=pd.DataFrame(api.files["lift_tests.csv"]), lift_source="lift_tests.csv")
        whole = time.perf_counter() - start
    finally:
        api.M.model.sample_model = original
    return fits, whole


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed fits per configuration (median reported)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    rep = Report("mmm_compare", "`mmm_compare.py` — PyMC-Marketing's default fit vs the playbook's, and the notebook's fits",
                 packages=("pymc", "pymc-marketing", "nutpie", "pytensor"))
    api = playbook_api()
    # Warm-up: compile once for both samplers at tiny draws, so neither timed fit pays the first-call cache.
    small = api.notebook_settings.with_(draws=50, tune=50)
    api.M.fit_model(api.M.build_model(api.inp), api.inp, small, prior_samples=0, label="warm-up")
    api.M.fit_model(api.M.build_model(api.inp), api.inp, small.with_(sampler="pymc"), prior_samples=0, label="warm-up")

    default_model, d_med, d_lo, d_hi = timed(lambda: fit_default(api), args.repeats)
    play_model, p_med, p_lo, p_hi = timed(lambda: fit_playbook(api), args.repeats)
    d, p = read_out(api, default_model, d_med), read_out(api, play_model, p_med)
    truth = {ch: api.truth["channels"][ch]["roas"] for ch in api.inp.channels}
    true_roas = np.array([truth[ch] for ch in api.inp.channels])
    rows = []
    for name, r, lo, hi, cfg in [("PyMC-Marketing default", d, d_lo, d_hi, "pymc NUTS, 2 × 1,000 draws (1,000 tune), target_accept 0.8"),
                                 ("playbook (notebook defaults)", p, p_lo, p_hi, "nutpie, 2 × 1,500 draws (1,500 tune), target_accept 0.95")]:
        shift = float(((r["roas_mean"] - d["roas_mean"]).abs() / d["roas_sd"]).max())
        off_truth = float(np.abs(r["roas_mean"].reindex(api.inp.channels).to_numpy() - true_roas).max())
        rows.append([name, cfg, secs(r["seconds"]), f"{secs(lo)}–{secs(hi)}", ratio(r["seconds"], d["seconds"]), f"{r['ess_min']:.0f}",
                     f"{r['ess_min'] / r['seconds']:.1f}", f"{r['rhat_max']:.3f}", r["divergences"], f"{shift:.2f}", f"{off_truth:.2f}"])
    rep.add(f"Demo `mmm.csv`: {api.inp.n_weeks} weeks × {len(api.inp.channels)} channels, {len(CONTROLS)} controls + trend, "
            f"2 yearly Fourier modes; seed {SEED}; {args.repeats} timed fit(s) per configuration after a warm-up fit of each sampler.")
    rep.add()
    rep.table(["configuration", "sampler and draws", "seconds", "min–max", "time vs default", "min bulk ESS", "min bulk ESS / s",
               "max R-hat", "divergences", "max |Δ ROAS| / sd vs default", "max |ROAS − truth|"], rows)
    rep.add(f"ESS per second: playbook {ratio(p['ess_min'] / p['seconds'], d['ess_min'] / d['seconds'])} the default's. "
            "ROAS over the whole window, per channel; the truth is the demo generator's.")
    rep.add()

    fits, whole = notebook_fits(api)
    fit_rows = [[label, f"{draws:,} / {tune:,}", secs(s), f"{s / whole:.0%}"] for label, s, draws, tune in fits]
    rest = whole - sum(s for _, s, _, _ in fits)
    fit_rows.append(["everything else in `analyze` (predictive draws, plan, summaries)", "", secs(rest), f"{rest / whole:.0%}"])
    fit_rows.append(["**whole `analyze`**", "", f"**{secs(whole)}**", "100%"])
    rep.add("The notebook's fits: `playbook.mmm.analyze` on the demo data with the notebook's defaults and the demo's lift tests, "
            "each fit timed by its label (one run).")
    rep.add()
    rep.table(["fit", "draws / tune per chain", "seconds", "share of analyze"], fit_rows)
    if not args.no_write:
        rep.write()


if __name__ == "__main__":
    main()
