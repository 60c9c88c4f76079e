"""CLV at scale: the playbook's customer summary, BG/NBD and Gamma-Gamma against lifetimes', 10k → 1M customers.

A seeded synthetic order book is drawn from the BG/NBD and Gamma-Gamma processes themselves
(known parameters, weeks as the time unit), about 10 orders per customer, so 1,000,000 customers
give about 10,000,000 orders. At each size, side by side on the same book:

* summary: ``playbook.personas.summary.customer_summary(orders, end, "W")`` against lifetimes'
  ``summary_data_from_transaction_data(..., freq="D", freq_multiplier=7)`` (the configuration with
  the same conventions: same-day orders merged, recency and T in exact days / 7); the two summaries
  are checked to agree;
* BG/NBD: ``playbook.personas.clv.fit_bgnbd(summary, method="map")`` (PyMC-Marketing's
  ``BetaGeoModel``, posterior mode: the room's fast path; the notebook's default is NUTS) against
  ``lifetimes.BetaGeoFitter().fit`` (maximum likelihood);
* Gamma-Gamma: ``clv.fit_gamma_gamma(summary, method="map")`` against ``lifetimes.GammaGammaFitter().fit``
  on the repeat customers.

Reports wall time (median of repeats after a warm-up), peak RSS increase, the ratio lifetimes /
playbook (above 1: the playbook is faster), the largest relative difference between the two
tools' parameters, and how each time grows with the number of customers.

Run:  python benchmarks/clv_scale.py [--max-customers 1000000] [--repeats 3] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import Report, measure, ratio, secs  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
#: true parameters of the synthetic book (time unit: weeks; spend in currency units)
TRUTH_BG = {"r": 0.9, "alpha": 4.0, "a": 0.6, "b": 6.0}
TRUTH_GG = {"p": 6.0, "q": 4.0, "v": 20.0}
START = np.datetime64("2024-01-01", "D")
WINDOW_DAYS = 730  # observation: two years; first purchases spread over the first year


def playbook_api() -> SimpleNamespace:
    """The playbook calls under test (adapt here if the personas room's API moves)."""
    from playbook.personas import clv, summary

    def fit_bgnbd(s: pd.DataFrame):
        m = clv.fit_bgnbd(s, method="map", seed=0)
        return clv.parameter_table(m, clv.BGNBD_PARAMS).set_index("parameter")["mean"].to_dict()

    def fit_gg(s: pd.DataFrame):
        m = clv.fit_gamma_gamma(s, method="map", seed=0)
        return clv.parameter_table(m, clv.GAMMA_GAMMA_PARAMS).set_index("parameter")["mean"].to_dict()

    return SimpleNamespace(summary=lambda orders, end: summary.customer_summary(orders, end, "W"), fit_bgnbd=fit_bgnbd, fit_gg=fit_gg)


def lifetimes_api() -> SimpleNamespace:
    """lifetimes' equivalents (the `bench` extra)."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    def summary(orders: pd.DataFrame, end) -> pd.DataFrame:
        return summary_data_from_transaction_data(
            orders, "customer_id", "order_date", monetary_value_col="revenue", observation_period_end=end, freq="D", freq_multiplier=7
        )

    def fit_bgnbd(s: pd.DataFrame):
        f = BetaGeoFitter(penalizer_coef=0.0).fit(s["frequency"], s["recency"], s["T"])
        return {k: float(f.params_[k]) for k in ("r", "alpha", "a", "b")}

    def fit_gg(s: pd.DataFrame):
        rep = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
        f = GammaGammaFitter(penalizer_coef=0.0).fit(rep["frequency"], rep["monetary_value"])
        return {k: float(f.params_[k]) for k in ("p", "q", "v")}

    return SimpleNamespace(summary=summary, fit_bgnbd=fit_bgnbd, fit_gg=fit_gg)


def synthetic_book(n_customers: int, seed: int = 7) -> tuple[pd.DataFrame, pd.Timestamp]:
    """A BG/NBD + Gamma-Gamma order book: ``customer_id, order_date, revenue`` (about 10 orders per customer)."""
    rng = np.random.default_rng(seed)
    t = TRUTH_BG
    lam = rng.gamma(t["r"], 1.0 / t["alpha"], n_customers) / 7.0  # purchases per day
    p = rng.beta(t["a"], t["b"], n_customers)
    first = rng.integers(0, 365, n_customers)
    horizon = WINDOW_DAYS - first
    n_events = rng.poisson(lam * horizon)
    alive_for = rng.geometric(p)  # the customer drops out right after this many repeat purchases
    repeats = np.minimum(n_events, alive_for)
    owner = np.repeat(np.arange(n_customers), repeats)  # sorted
    # the first `repeats` of n_events uniform arrival times are the order statistics of n_events uniforms
    # (drawn here as sorted uniforms scaled by a Beta-distributed span, exact for a Poisson process)
    u = rng.random(len(owner))
    u = u[np.lexsort((u, owner))]
    u[np.flatnonzero(np.r_[owner[1:] != owner[:-1], True])] = 1.0  # each customer's last repeat is at the order statistic itself
    span = rng.beta(repeats.clip(min=1), (n_events - repeats + 1).clip(min=1))  # the repeats-th order statistic
    when = first[owner] + np.floor(u * span[owner] * horizon[owner]).astype(np.int64) + 1
    when = np.minimum(when, WINDOW_DAYS)
    nu = rng.gamma(TRUTH_GG["q"], 1.0 / TRUTH_GG["v"], n_customers)
    cust = np.r_[np.arange(n_customers), owner]
    day = np.r_[first, when]
    value = rng.gamma(TRUTH_GG["p"], 1.0 / nu[cust])
    orders = pd.DataFrame({"customer_id": cust, "order_date": pd.to_datetime(START + day.astype("timedelta64[D]")), "revenue": value.round(2)})
    end = pd.Timestamp(START + np.timedelta64(WINDOW_DAYS, "D"))
    return orders.sample(frac=1.0, random_state=seed).reset_index(drop=True), end


def summaries_agree(pb: pd.DataFrame, lt: pd.DataFrame) -> float:
    """Largest absolute difference between the two summaries' frequency, recency, T and monetary_value."""
    lt = lt.reindex(pb["customer_id"].to_numpy())
    return max(float(np.nanmax(np.abs(pb[c].to_numpy(float) - lt[c].to_numpy(float)))) for c in ("frequency", "recency", "T", "monetary_value"))


def max_rel(a: dict, b: dict) -> tuple[float, str]:
    rel = {k: abs(a[k] - b[k]) / abs(b[k]) for k in b}
    k = max(rel, key=rel.get)
    return rel[k], k


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-customers", type=int, default=SIZES[-1])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated customer counts")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    import logging

    logging.getLogger("pymc").setLevel(logging.ERROR)
    logging.getLogger("pymc_marketing").setLevel(logging.ERROR)

    sizes = [n for n in map(int, args.sizes.split(",")) if n <= args.max_customers]
    pb, lt = playbook_api(), lifetimes_api()
    rep = Report("clv_scale", "`clv_scale.py` — customer summary, BG/NBD and Gamma-Gamma: playbook vs lifetimes",
                 packages=("numpy", "pandas", "pymc", "pymc-marketing", "lifetimes", "autograd", "scipy"))
    rows, growth, agree = [], [], []
    for n in sizes:
        orders, end = synthetic_book(n)
        print(f"== {n:,} customers, {len(orders):,} orders", flush=True)
        m = {}
        m["pb_sum"] = measure(partial(pb.summary, orders, end), "playbook summary", args.repeats)
        m["lt_sum"] = measure(partial(lt.summary, orders, end), "lifetimes summary", args.repeats)
        s_pb, s_lt = m["pb_sum"].value, m["lt_sum"].value
        diff = summaries_agree(s_pb, s_lt)
        m["pb_bg"] = measure(partial(pb.fit_bgnbd, s_pb), "playbook BG/NBD (MAP)", args.repeats)
        m["lt_bg"] = measure(partial(lt.fit_bgnbd, s_lt), "lifetimes BetaGeoFitter", args.repeats)
        m["pb_gg"] = measure(partial(pb.fit_gg, s_pb), "playbook Gamma-Gamma (MAP)", args.repeats)
        m["lt_gg"] = measure(partial(lt.fit_gg, s_lt), "lifetimes GammaGammaFitter", args.repeats)
        del orders
        label = f"{n:,} / {int(s_pb['orders'].sum()):,}"
        for what, a, b in (("summary", "pb_sum", "lt_sum"), ("BG/NBD fit", "pb_bg", "lt_bg"), ("Gamma-Gamma fit", "pb_gg", "lt_gg")):
            rows.append([label, what, secs(m[a].median), secs(m[b].median), ratio(m[b].median, m[a].median),
                         f"{m[a].peak_mib:.0f}", f"{m[b].peak_mib:.0f}"])
        t_pb = m["pb_sum"].median + m["pb_bg"].median + m["pb_gg"].median
        t_lt = m["lt_sum"].median + m["lt_bg"].median + m["lt_gg"].median
        rows.append([label, "**all three**", f"**{secs(t_pb)}**", f"**{secs(t_lt)}**", f"**{ratio(t_lt, t_pb)}**", "", ""])
        growth.append((n, {k: v.median for k, v in m.items()}))
        bg_rel, bg_k = max_rel(m["pb_bg"].value, m["lt_bg"].value)
        gg_rel, gg_k = max_rel(m["pb_gg"].value, m["lt_gg"].value)
        fmt = lambda d: ", ".join(f"{k} {v:.4g}" for k, v in d.items())  # noqa: E731
        agree.append([f"{n:,}", f"{diff:.2g}", fmt(m["pb_bg"].value), fmt(m["lt_bg"].value), f"{bg_rel:.2%} ({bg_k})",
                      fmt(m["pb_gg"].value), fmt(m["lt_gg"].value), f"{gg_rel:.2%} ({gg_k})"])
        print(rows[-4:], agree[-1], flush=True)

    rep.add(f"Synthetic book drawn from BG/NBD {TRUTH_BG} (weeks) and Gamma-Gamma {TRUTH_GG}, seed 7, about 10 orders "
            f"per customer over {WINDOW_DAYS} days. Median of {args.repeats} timed runs after one warm-up; "
            "peak = largest RSS increase during a call (MiB). Ratio = lifetimes / playbook (above 1: the playbook is faster). "
            "Playbook fits are PyMC-Marketing models fitted at the posterior mode (`method=\"map\"`, the room's fast path: "
            "with the default priors a NumPy weighted log-likelihood, `clv.bgnbd_map` / `clv.gamma_gamma_map`; the notebook's default "
            "NUTS fit is not timed here); lifetimes fits are maximum likelihood with no penalizer.")
    rep.add()
    rep.table(["customers / orders", "step", "playbook s", "lifetimes s", "lifetimes / playbook", "playbook peak MiB",
               "lifetimes peak MiB"], rows)
    rep.add("Agreement: the largest absolute difference between the two summaries (frequency, recency, T, "
            "monetary_value), and each tool's parameters with their largest relative difference.")
    rep.add()
    rep.table(["customers", "summary max \\|Δ\\|", "playbook BG/NBD", "lifetimes BG/NBD", "max rel. Δ", "playbook Gamma-Gamma",
               "lifetimes Gamma-Gamma", "max rel. Δ"], agree)
    if len(growth) > 1:
        rep.add("Growth: time at each size divided by the time at the smallest size "
                f"({growth[0][0]:,} customers); linear growth would be the size ratio.")
        rep.add()
        keys = [("pb_sum", "playbook summary"), ("lt_sum", "lifetimes summary"), ("pb_bg", "playbook BG/NBD"),
                ("lt_bg", "lifetimes BG/NBD"), ("pb_gg", "playbook Gamma-Gamma"), ("lt_gg", "lifetimes Gamma-Gamma")]
        base = growth[0][1]
        rep.table(["customers", "size ratio", *[k[1] for k in keys]],
                  [[f"{n:,}", f"{n / growth[0][0]:.0f}×", *[ratio(t[k], base[k]) for k, _ in keys]] for n, t in growth])
    if not args.no_write:
        rep.write()


if __name__ == "__main__":
    main()
