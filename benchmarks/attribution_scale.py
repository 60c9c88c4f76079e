"""Attribution at scale: the playbook's exact Markov model against ChannelAttribution's ``markov_model``; Shapley by channel count.

A seeded synthetic ``paths.csv``-style table of 100,000 distinct paths (``"ch01 > ch04 > ch02"``
strings with conversions, value and nulls; 1 to 12 touches, no channel twice in a row so the
self-loop convention cannot matter) over 5, 10 and 20 channels. For each channel count:

* playbook: ``journeys.parse_paths`` (the strings → tuples) + ``markov.markov_attribution`` (removal
  effects solved exactly on the absorbing chain), timed together and the parse alone;
* ChannelAttribution: ``markov_model(..., order=1, sep=">")`` with its defaults (removal effects by
  simulation, ``nsim_start=1e5``, one core), on the same strings;
* the distance of ChannelAttribution's answer from the exact one: the largest absolute difference
  in credited-conversion share (percentage points) and in removal effect;
* playbook Shapley: ``shapley.shapley_attribution`` on the parsed paths (exact Shapley values over
  coalition conversion rates), by channel count.

Run:  python benchmarks/attribution_scale.py [--paths 100000] [--channels 5,10,20] [--repeats 3] [--shapley-repeats 1] [--no-write]
"""

from __future__ import annotations

import argparse
import io
import sys
import warnings
from contextlib import redirect_stdout
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Report, measure, ratio, secs  # noqa: E402

MAX_TOUCHES = 12


def playbook_api() -> SimpleNamespace:
    """The playbook calls under test (adapt here if the attribution room's API moves)."""
    from playbook.attribution import journeys, markov, shapley

    def markov_credit(frame: pd.DataFrame) -> pd.DataFrame:
        res = markov.markov_attribution(journeys.parse_paths(frame))
        return res.channels.set_index("channel")[["removal_effect", "conversions"]]

    def shapley_credit(parsed: pd.DataFrame) -> pd.Series:
        return shapley.shapley_attribution(parsed).channels.set_index("channel")["conversions"]

    return SimpleNamespace(parse=journeys.parse_paths, markov=markov_credit, shapley=shapley_credit)


def channelattribution_api():
    """ChannelAttribution's first-order Markov model (the `bench` extra); it prints a banner on import."""
    with redirect_stdout(io.StringIO()):
        from ChannelAttribution import markov_model

    def markov_credit(frame: pd.DataFrame) -> pd.DataFrame:
        with redirect_stdout(io.StringIO()):
            out = markov_model(frame, var_path="path", var_conv="conversions", var_value="value", var_null="nulls",
                               order=1, sep=">", out_more=True, verbose=False)
        res = out["result"].set_index("channel_name")
        re = out["removal_effects"].set_index("channel_name")
        return pd.DataFrame({"removal_effect": re["removal_effects_conversion"], "conversions": res["total_conversions"]})

    return markov_credit


def synthetic_paths(n_paths: int, n_channels: int, seed: int = 3) -> pd.DataFrame:
    """``n_paths`` distinct journeys as ``paths.csv`` rows: path (``" > "``-joined), conversions, value, nulls."""
    rng = np.random.default_rng(seed + n_channels)
    names = [f"ch{i + 1:02d}" for i in range(n_channels)]
    pop = rng.dirichlet(np.full(n_channels, 2.0))
    lift = rng.normal(0.0, 0.5, n_channels)  # per-channel log-odds effect on converting
    seen: dict[tuple, None] = {}
    while len(seen) < n_paths:
        m = 4 * (n_paths - len(seen))
        lengths = np.minimum(rng.geometric(0.22, m), MAX_TOUCHES)
        first = rng.choice(n_channels, m, p=pop)
        steps = rng.integers(1, n_channels, (m, MAX_TOUCHES))  # offsets 1..K-1: never the same channel twice in a row
        walk = (first[:, None] + np.cumsum(np.c_[np.zeros(m, int), steps[:, :-1]], axis=1)) % n_channels
        for row, k in zip(walk, lengths):
            seen.setdefault(tuple(row[:k]), None)
            if len(seen) == n_paths:
                break
    paths = list(seen)
    journeys = 1 + rng.poisson(3.0, n_paths)
    logit = np.array([-2.2 + 0.15 * len(p) + lift[list(set(p))].sum() / np.sqrt(len(set(p))) for p in paths])
    conversions = rng.binomial(journeys, 1.0 / (1.0 + np.exp(-logit)))
    value = np.round(conversions * 60.0 * rng.lognormal(0.0, 0.3, n_paths), 2)
    return pd.DataFrame({
        "path": [" > ".join(names[c] for c in p) for p in paths],
        "conversions": conversions, "value": value, "nulls": journeys - conversions,
    })


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paths", type=int, default=100_000)
    ap.add_argument("--channels", default="5,10,20")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--shapley-repeats", type=int, default=1, help="timed Shapley runs (after a warm-up on 500 paths)")
    ap.add_argument("--no-shapley", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    pb, ca = playbook_api(), channelattribution_api()
    rep = Report("attribution_scale", "`attribution_scale.py` — exact Markov vs ChannelAttribution; Shapley by channel count",
                 packages=("numpy", "pandas", "scikit-learn", "ChannelAttribution"))
    rows, dist, shap = [], [], []
    for k in map(int, args.channels.split(",")):
        frame = synthetic_paths(args.paths, k)
        print(f"== {len(frame):,} distinct paths over {k} channels, {int(frame['conversions'].sum()):,} conversions", flush=True)
        m_parse = measure(partial(pb.parse, frame), "playbook parse_paths", args.repeats)
        m_pb = measure(partial(pb.markov, frame), "playbook parse + exact Markov", args.repeats)
        m_ca = measure(partial(ca, frame), "ChannelAttribution markov_model", args.repeats)
        exact, sim = m_pb.value, m_ca.value.reindex(m_pb.value.index)
        share_gap = (exact["conversions"] / exact["conversions"].sum() - sim["conversions"] / sim["conversions"].sum()).abs()
        re_gap = (exact["removal_effect"] - sim["removal_effect"]).abs()
        rows.append([k, f"{len(frame):,}", secs(m_pb.median), secs(m_parse.median), secs(m_ca.median), ratio(m_ca.median, m_pb.median),
                     f"{m_pb.peak_mib:.0f}", f"{m_ca.peak_mib:.0f}"])
        dist.append([k, f"{100 * share_gap.max():.2f} ({share_gap.idxmax()})", f"{100 * share_gap.mean():.2f}",
                     f"{re_gap.max():.4f} ({re_gap.idxmax()})", f"{exact['removal_effect'].min():.3f}–{exact['removal_effect'].max():.3f}"])
        if not args.no_shapley:
            parsed = m_parse.value
            longest = int(parsed["path"].map(lambda p: len(set(p))).max())
            pb.shapley(parsed.head(500))  # warm-up on a slice (imports); a full call can take minutes at 20 channels
            m_sh = measure(partial(pb.shapley, parsed), f"playbook Shapley ({k} channels)", args.shapley_repeats, warmup=False)
            shap.append([k, longest, secs(m_sh.median), m_sh.spread(), f"{m_sh.peak_mib:.0f}", ratio(m_sh.median, m_pb.median)])
        print(rows[-1], dist[-1], shap[-1:] or "", flush=True)

    rep.add(f"Synthetic paths (seed 3 + channels): {args.paths:,} distinct paths per channel count, 1–{MAX_TOUCHES} touches "
            "(geometric, mean about 4.3), no channel twice in a row, 1 + Poisson(3) journeys per path. "
            f"Median of {args.repeats} timed runs after one warm-up; peak = largest RSS increase during a call (MiB).")
    rep.add()
    rep.table(["channels", "paths", "playbook parse + exact s", "of which parse s", "ChannelAttribution s", "CA / playbook",
               "playbook peak MiB", "CA peak MiB"], rows)
    rep.add("Distance of ChannelAttribution's simulated answer from the exact solution (the playbook's linear solve): "
            "credited-conversion share in percentage points (largest and mean over channels), removal effect (absolute).")
    rep.add()
    rep.table(["channels", "max \\|Δ share\\| pp", "mean \\|Δ share\\| pp", "max \\|Δ removal effect\\|", "exact removal effects"], dist)
    if shap:
        rep.add("Playbook Shapley (`shapley_attribution`: coalition rates with the logistic presence model, exact Shapley values "
                f"per converting channel set) on the same parsed paths: {args.shapley_repeats} timed run(s) after a warm-up on "
                "500 paths (a single run at 20 channels takes minutes, so it is not repeated by default). "
                "'largest channel set' = most distinct channels in one path (exact Shapley evaluates 2^n sub-coalitions).")
        rep.add()
        rep.table(["channels", "largest channel set", "Shapley s", "min–max s", "peak MiB", "vs exact Markov"], shap)
    if not args.no_write:
        rep.write()


if __name__ == "__main__":
    main()
