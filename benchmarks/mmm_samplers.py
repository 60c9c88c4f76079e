"""Which NUTS sampler should the MMM notebook use? PyMC's default vs nutpie vs numpyro, side by side.

Fits the default demo model (156 weeks × 6 channels, geometric adstock, logistic saturation,
3 controls + trend, 2 yearly Fourier modes) once per sampler with the same draws, tune,
chains and seed, and reports wall-clock time (compile included), time relative to PyMC's
default, bulk ESS per second, R-hat, divergences, and whether the posterior is the same:
the largest difference in posterior means of the media parameters and per-channel ROAS,
in units of the reference posterior sd (differences below ~0.2 sd are Monte Carlo noise).

Run:  .venv/bin/python benchmarks/mmm_samplers.py [--draws 1000] [--tune 1000] [--chains 2]
Do not run it while others need the machine: it samples three times.
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd
import xarray as xr

from playbook import mcmc
from playbook import mmm as M
from playbook.demo.mmm import make
from playbook.demo.world import World

PARAMS = ("saturation_beta", "saturation_lam", "adstock_alpha")


def fit_once(inp: M.MMMInput, sampler: str, draws: int, tune: int, chains: int, seed: int) -> dict:
    import arviz as az

    start = time.perf_counter()
    settings = mcmc.Settings(draws=draws, tune=tune, chains=chains, sampler=sampler, seed=seed, target_accept=M.model.TARGET_ACCEPT)
    model = M.fit_model(M.build_model(inp), inp, settings, prior_samples=0)
    seconds = time.perf_counter() - start
    summ = az.summary(model.idata, var_names=list(PARAMS))
    roas = model.summary.roas(frequency="all_time").set_index("channel")["mean"]
    spend = xr.DataArray(inp.spend.sum().to_numpy(), dims=["channel"], coords={"channel": inp.channels})
    roas_draws = model.data.get_channel_contributions(original_scale=True).sum("date") / spend
    return {
        "sampler": sampler,
        "seconds": seconds,
        "rhat_max": float(summ["r_hat"].max()),
        "ess_bulk_min": float(summ["ess_bulk"].min()),
        "ess_bulk_min_per_s": float(summ["ess_bulk"].min()) / seconds,
        "divergences": int(model.idata.sample_stats["diverging"].sum()),
        "means": summ["mean"],
        "sds": summ["sd"],
        "roas": roas,
        "roas_sd": roas_draws.std(("chain", "draw")).to_series(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--tune", type=int, default=1000)
    ap.add_argument("--chains", type=int, default=2)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--samplers", default="pymc,nutpie,numpyro")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    files, _ = make(World())
    inp = M.prepare_input(files["mmm.csv"], "revenue", ["price_index", "competitor_promo", "holiday"])
    runs = [fit_once(inp, s.strip(), args.draws, args.tune, args.chains, args.seed) for s in args.samplers.split(",")]
    ref = runs[0]
    rows = []
    for r in runs:
        param_shift = ((r["means"] - ref["means"]).abs() / ref["sds"]).max()
        roas_shift = ((r["roas"] - ref["roas"]).abs() / ref["roas_sd"]).max()
        rows.append(
            {
                "sampler": r["sampler"],
                "seconds": round(r["seconds"], 1),
                f"time vs {ref['sampler']}": round(r["seconds"] / ref["seconds"], 2),
                "min bulk ESS / s": round(r["ess_bulk_min_per_s"], 1),
                "max R-hat": round(r["rhat_max"], 3),
                "divergences": r["divergences"],
                "max |Δ mean| / sd (params)": round(float(param_shift), 2),
                "max |Δ ROAS| / sd": round(float(roas_shift), 2),
            }
        )
    table = pd.DataFrame(rows)
    print(f"MMM demo model, {args.chains} chains × {args.draws} draws ({args.tune} tune), seed {args.seed}")
    print(table.to_string(index=False))
    same = table[(table["max |Δ ROAS| / sd"] < 0.3) & (table["max R-hat"] <= 1.01)]
    if len(same):
        best = same.sort_values("seconds").iloc[0]["sampler"]
        print(f"\nFastest sampler with the same posterior (ROAS within 0.3 sd of {ref['sampler']}): {best}")
    else:
        print("\nNo sampler reproduced the reference posterior within 0.3 sd; increase draws.")


if __name__ == "__main__":
    main()
