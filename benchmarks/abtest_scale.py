"""A/B at scale: time to the full conversion and revenue analysis of 10,000,000 units over 4 variants, after loading.

A seeded synthetic ``experiment`` table like the demo's (variant, converted, revenue,
pre_period_revenue, assigned_at over 28 days, device, region, customer_type) is written as
``experiment.parquet`` to a temporary directory and loaded with ``playbook.io.load`` (validation
included) exactly as the notebook loads it; loading is timed separately. Then, on the loaded frame:

* **closed form**: ``abtest.analyze(experiment, settings=None, aa_sims=0)``: arm counts, SRM,
  exact Beta-Binomial conversion posteriors, the daily posterior over time, the pooled revenue cap,
  raw / capped / CUPED revenue posteriors (normal approximation), decision, plan, Thompson shares,
  frequentist cross-check: everything except the PyMC models and the A/A simulation;
* **as the notebook runs it**: ``abtest.analyze(experiment)`` with the room's defaults (PyMC hurdle
  revenue model and hierarchical segment model, ``abtest.DEFAULT_SETTINGS``; 200 A/A simulations);
* a one-pass breakdown of the closed-form and model parts by step (each step timed once).

Run:  python benchmarks/abtest_scale.py [--units 10000000] [--repeats 3] [--model-repeats 1] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

# The playbook runs every analysis in a kernel with one OpenBLAS thread unless the caller sets one
# (playbook.execute.KERNEL_ENV_DEFAULTS); time it in the same environment. It must be set before NumPy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Report, measure, secs  # noqa: E402

VARIANTS = ("A", "B", "C", "D")
RATE_LOGIT = {"A": -3.2, "B": -3.1, "C": -3.2, "D": -3.25}
DEVICES = {"desktop": 0.45, "mobile": 0.45, "tablet": 0.10}
REGIONS = ("north", "south", "east", "west", "central")
CUSTOMERS = {"new": 0.6, "returning": 0.4}


def playbook_api() -> SimpleNamespace:
    """The playbook calls under test (adapt here if the abtest room's API moves)."""
    from playbook import abtest, io

    steps = {
        "arm counts": lambda e: abtest.checks.arm_counts(e),
        "conversion posteriors": lambda e: abtest.posterior.conversion_analysis(abtest.checks.arm_counts(e), "A"),
        "posterior over time": lambda e: abtest.posterior.posterior_over_time(e, "A"),
        "revenue cap + winsorize": lambda e: abtest.revenue.winsorize(e["revenue"], abtest.revenue.revenue_cap(e["revenue"])),
        "CUPED": lambda e: abtest.revenue.cuped(e["revenue"], e["pre_period_revenue"], e["variant"]),
        "revenue moments": lambda e: abtest.revenue.revenue_moments(e["revenue"], e["variant"]),
        "PyMC revenue model": lambda e: abtest.models.fit_revenue_model(e, "A", abtest.DEFAULT_SETTINGS),
        "PyMC segment model": lambda e: abtest.models.fit_segment_model(e, abtest.checks.default_segments(e), "A",
                                                                         settings=abtest.DEFAULT_SETTINGS),
        "A/A simulation (200)": lambda e: abtest.analyze(e, settings=None, aa_sims=200),
    }
    return SimpleNamespace(
        load=lambda d: io.load("experiment", d),
        closed_form=lambda e: abtest.analyze(e, control="A", settings=None, aa_sims=0),
        full=lambda e: abtest.analyze(e, control="A"),
        steps=steps,
        settings=abtest.DEFAULT_SETTINGS,
    )


def synthetic_experiment(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    variant = np.array(VARIANTS)[rng.integers(0, len(VARIANTS), n)]
    device = np.array(list(DEVICES))[rng.choice(len(DEVICES), n, p=list(DEVICES.values()))]
    customer = np.array(list(CUSTOMERS))[rng.choice(len(CUSTOMERS), n, p=list(CUSTOMERS.values()))]
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), n)]
    value = rng.normal(size=n)
    logit = pd.Series(variant).map(RATE_LOGIT).to_numpy() + 0.3 * (device == "desktop") + 0.4 * (customer == "returning") + 0.5 * value
    converted = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    revenue = np.where(converted == 1, np.exp(4.0 + 0.3 * value + rng.normal(0.0, 0.6, n)), 0.0)
    pre = np.where((customer == "returning") & (rng.random(n) < 0.5), np.exp(4.2 + 0.8 * value + rng.normal(0.0, 0.4, n)), 0.0)
    start = np.datetime64("2026-03-02T00:00:00", "s")
    assigned = start + (rng.integers(0, 28, n) * 86400 + rng.integers(7 * 3600, 23 * 3600, n)).astype("timedelta64[s]")
    frame = pd.DataFrame({
        "unit_id": np.arange(1, n + 1), "variant": variant, "converted": converted, "revenue": revenue.round(2),
        "pre_period_revenue": pre.round(2), "assigned_at": assigned, "device": device, "region": region, "customer_type": customer,
    })
    return frame.sort_values("assigned_at", kind="stable").reset_index(drop=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs of the closed-form analysis")
    ap.add_argument("--model-repeats", type=int, default=1, help="timed runs of the notebook analysis (0 skips it)")
    ap.add_argument("--no-breakdown", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("pymc").setLevel(logging.ERROR)

    pb = playbook_api()
    rep = Report("abtest_scale", "`abtest_scale.py` — A/B conversion and revenue analysis at 10,000,000 units",
                 packages=("numpy", "pandas", "scipy", "pymc", "pyarrow"))
    t0 = time.perf_counter()
    frame = synthetic_experiment(args.units)
    gen = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as d:
        frame.to_parquet(Path(d) / "experiment.parquet", index=False)
        del frame
        m_load = measure(lambda: pb.load(d), "io.load (parquet + validation)", repeats=1, warmup=False)
    exp = m_load.value
    print(f"== {len(exp):,} units; generated in {gen:.1f} s", flush=True)
    m_cf = measure(lambda: pb.closed_form(exp), "closed-form analysis", args.repeats)
    rows = [["load `experiment.parquet` (`io.load`, validation included; not part of the analysis)", "1", secs(m_load.median), "",
             f"{m_load.peak_mib:.0f}"],
            ["**closed form**: `analyze(settings=None, aa_sims=0)`", str(args.repeats), f"**{secs(m_cf.median)}**", m_cf.spread(),
             f"{m_cf.peak_mib:.0f}"]]
    if args.model_repeats > 0:
        s = pb.settings
        m_full = measure(lambda: pb.full(exp), "notebook analysis (PyMC models + A/A)", args.model_repeats, warmup=False)
        rows.append([f"as the notebook runs it: `analyze()` (PyMC models {s.draws} draws + {s.tune} tune × {s.chains} chains, 200 A/A)",
                     str(args.model_repeats), secs(m_full.median), m_full.spread(), f"{m_full.peak_mib:.0f}"])
    conv = m_cf.value.conversion.table.set_index("variant")
    units_line = ", ".join(f"{v} {int(conv.loc[v, 'units']):,} units / {int(conv.loc[v, 'conversions']):,} conversions" for v in conv.index)
    rep.add(f"Synthetic experiment, seed 5: {len(exp):,} units over 4 variants ({units_line}); 28 days of assignments; "
            f"revenue log-normal for converters. Closed form: median of {args.repeats} timed runs after one warm-up; "
            "notebook analysis: no warm-up (each run samples its models afresh). Peak = largest RSS increase during a call (MiB). "
            f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, as the playbook's kernels run "
            "(`playbook.execute.KERNEL_ENV_DEFAULTS`; the script keeps a value the caller sets).")
    rep.add()
    rep.table(["what", "runs", "seconds (median)", "min–max", "peak MiB"], rows)
    if not args.no_breakdown:
        brk = []
        for name, fn in pb.steps.items():
            if name.startswith(("PyMC", "A/A")) and args.model_repeats <= 0:
                continue
            m = measure(lambda fn=fn: fn(exp), name, repeats=1, warmup=False)
            brk.append([name, secs(m.median), f"{m.peak_mib:.0f}"])
        rep.add("Breakdown by step (each timed once, no warm-up, so the first PyMC step includes compilation; "
                "'A/A simulation' is the closed form plus 200 A/A simulations, so subtract the closed-form time).")
        rep.add()
        rep.table(["step", "seconds", "peak MiB"], brk)
    if not args.no_write:
        rep.write()


if __name__ == "__main__":
    main()
