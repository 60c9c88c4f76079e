"""What each channel contributed and at what return: contributions, shares, ROAS, profit, ranks and tiers.

Every per-channel quantity comes from the joint posterior draws, so probabilities (P(ROAS × margin > 1),
P(ROAS of A > ROAS of B)) are read from the draws, never from an interval end.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.mmm.data import MMMInput
from playbook.mmm.stats import draws_of, hdi

#: A channel is ranked only when its ROAS interval is no wider than this multiple of its mean.
RANKABLE_REL_WIDTH = 1.5
#: Two channels' order counts as known when the posterior puts at least this probability on it.
ORDER_SURE = 0.9


@dataclass(frozen=True)
class Share:
    """A share (of the KPI, of media contribution) with its interval."""

    mean: float
    hdi_low: float
    hdi_high: float

    def as_dict(self) -> dict:
        return {"mean": self.mean, "hdi_low": self.hdi_low, "hdi_high": self.hdi_high}


def contribution_draws(mmm) -> pd.DataFrame:
    """Posterior draws (rows) of each channel's total contribution over the window (columns; currency)."""
    contrib = mmm.data.get_channel_contributions(original_scale=True).sum("date")
    d = draws_of(contrib, "channel")
    return pd.DataFrame(d.values, columns=[str(c) for c in d.coords["channel"].values])


def marginal_roas_draws(mmm) -> pd.DataFrame:
    """Posterior draws of marginal ROAS over the whole window (1 % more spend in every week, carry-over included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mroas = mmm.incrementality.marginal_contribution_over_spend(frequency="all_time")
    d = draws_of(mroas, "channel")
    return pd.DataFrame(d.values, columns=[str(c) for c in d.coords["channel"].values])


def summarize_channels(
    contrib: pd.DataFrame,
    spend: pd.Series,
    mroas: pd.DataFrame | None = None,
    mroas_current: pd.DataFrame | None = None,
    interval: float = 0.9,
    margin: float = 1.0,
) -> pd.DataFrame:
    """One row per channel from joint draws: contribution, share, ROAS, marginal ROAS, profit ROI and their probabilities.

    ``contrib``: draws × channels of total contribution; ``spend``: total spend per channel; ``mroas``: draws of
    marginal ROAS over the window; ``mroas_current``: draws of marginal ROAS at current spend (they may be fewer
    draws, from the thinned posterior the budget planner uses). ``saturation_ratio`` = mean marginal ROAS (at
    current spend when given) / mean ROAS. Profit ROI =
    ROAS × margin − 1; ``prob_profitable`` = P(ROAS × margin > 1); ``prob_marginal_profitable`` = P(marginal
    ROAS at current spend × margin > 1) (over the window when the current one is not given).
    """
    channels = list(contrib.columns)
    total = contrib.sum(axis=1).to_numpy()
    rows = []
    for ch in channels:
        c = contrib[ch].to_numpy(dtype=float)
        s = float(spend[ch])
        roas = c / s if s > 0 else np.full_like(c, np.nan)
        share = np.divide(c, total, out=np.full_like(c, np.nan), where=total != 0)
        m = mroas[ch].to_numpy(dtype=float) if mroas is not None and ch in mroas else np.full_like(c, np.nan)
        mc = mroas_current[ch].to_numpy(dtype=float) if mroas_current is not None and ch in mroas_current else np.full_like(c, np.nan)
        marginal = mc if np.isfinite(mc).any() else m
        profit = roas * margin - 1
        row = {"channel": ch, "spend": s}
        for name, v in (("contribution", c), ("contribution_share", share), ("roas", roas), ("mroas", m), ("mroas_current", mc), ("profit_roi", profit)):
            finite = np.isfinite(v)
            mean = float(v[finite].mean()) if finite.any() else np.nan
            lo, hi = hdi(v, interval)
            key = "contribution_share" if name == "contribution_share" else f"{name}_mean"
            row[key] = mean
            row[f"{name}_hdi_low"], row[f"{name}_hdi_high"] = lo, hi
        row["prob_roas_above_1"] = float((roas > 1).mean()) if s > 0 else np.nan
        row["prob_profitable"] = float((roas * margin > 1).mean()) if s > 0 else np.nan
        row["prob_marginal_profitable"] = float((marginal * margin > 1)[np.isfinite(marginal)].mean()) if np.isfinite(marginal).any() else np.nan
        # ratio of posterior means: the marginal draws may come from a thinned posterior (the budget planner's)
        marginal_mean = float(np.nanmean(marginal)) if np.isfinite(marginal).any() else np.nan
        roas_mean = float(np.nanmean(roas)) if np.isfinite(roas).any() else np.nan
        row["saturation_ratio"] = marginal_mean / roas_mean if np.isfinite(marginal_mean) and roas_mean else np.nan
        rows.append(row)
    out = pd.DataFrame(rows)
    out = rank_channels(out)
    tiers = roas_tiers(contrib.div(spend.reindex(channels).replace(0, np.nan), axis=1), sure=ORDER_SURE)
    out["tier"] = out["channel"].map(tiers)
    return out


def channel_summary(mmm, inp: MMMInput, interval: float = 0.9, margin: float = 1.0, mroas_current: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per channel of the fitted model: see :func:`summarize_channels` (ROAS = contribution / spend over the window)."""
    return summarize_channels(contribution_draws(mmm), inp.spend.sum(), marginal_roas_draws(mmm), mroas_current, interval, margin)


def rank_channels(summary: pd.DataFrame, rel_width: float = RANKABLE_REL_WIDTH) -> pd.DataFrame:
    """``summary`` sorted by ROAS with ``rankable`` (HDI narrow enough to rank) and ``rank`` (1 = best; NaN if not rankable)."""
    out = summary.copy()
    width = out["roas_hdi_high"] - out["roas_hdi_low"]
    out["rankable"] = (width <= rel_width * out["roas_mean"].abs()) & (out["spend"] > 0)
    out = out.sort_values(["rankable", "roas_mean"], ascending=[False, False]).reset_index(drop=True)
    out["rank"] = out["roas_mean"].where(out["rankable"]).rank(ascending=False, method="min")
    return out


def prob_greater(roas: pd.DataFrame) -> pd.DataFrame:
    """P(ROAS of row channel > ROAS of column channel), from the joint draws (draws × channels)."""
    chans = list(roas.columns)
    v = roas.to_numpy(dtype=float)
    p = (v[:, :, None] > v[:, None, :]).mean(axis=0)
    return pd.DataFrame(p, index=chans, columns=chans)


def roas_tiers(roas: pd.DataFrame, sure: float = ORDER_SURE) -> dict[str, int]:
    """Tier per channel (1 = best): channels in order of mean ROAS; a channel opens a new tier only when every
    channel of the current tier beats it with probability at least ``sure``, so channels whose order is not
    that certain share a tier."""
    p = prob_greater(roas)
    order = roas.mean().sort_values(ascending=False).index.tolist()
    tiers: dict[str, int] = {}
    current: list[str] = []
    tier = 0
    for ch in order:
        if not current or all(p.loc[m, ch] >= sure for m in current):
            tier += 1
            current = []
        current.append(ch)
        tiers[ch] = tier
    return tiers


def tied_groups(summary: pd.DataFrame) -> list[list[str]]:
    """Channels that share a tier with another channel, tier by tier (best first)."""
    groups = summary.dropna(subset=["tier"]).groupby("tier")["channel"].apply(list)
    return [g for _, g in sorted(groups.items()) if len(g) > 1]


def media_share(contrib: pd.DataFrame, kpi_total: float, interval: float = 0.9) -> Share:
    """Media's share of the KPI over the window: total media contribution / total KPI, with its interval."""
    v = contrib.sum(axis=1).to_numpy(dtype=float) / float(kpi_total)
    lo, hi = hdi(v, interval)
    return Share(float(v.mean()), lo, hi)


def decomposition(mmm, inp: MMMInput) -> pd.DataFrame:
    """Per week, the posterior-mean KPI contribution (currency) of baseline, trend, seasonality, each control and each channel."""
    c = mmm.data.get_contributions(original_scale=True, include_baseline=True, include_controls=True, include_seasonality=True)
    dates = pd.to_datetime(c["date"].values) if "date" in c.coords else pd.to_datetime(inp.frame["date"])
    out = pd.DataFrame({"date": dates})
    base = c["baseline"].mean(("chain", "draw")).values
    out["baseline"] = np.broadcast_to(base, len(dates)).astype(float)
    if "controls" in c:
        ctrl = c["controls"].mean(("chain", "draw"))
        for name in ctrl.coords["control"].values:
            out[str(name)] = ctrl.sel(control=name).values
    if "seasonality" in c:
        out["seasonality"] = c["seasonality"].mean(("chain", "draw")).values
    ch = c["channels"].mean(("chain", "draw"))
    for name in ch.coords["channel"].values:
        out[str(name)] = ch.sel(channel=name).values
    return out


def waterfall(decomp: pd.DataFrame, channels: list[str]) -> pd.DataFrame:
    """Total contribution over the window per component (currency) and its share of the modelled KPI, channels last."""
    comps = [c for c in decomp.columns if c != "date"]
    non_media = [c for c in comps if c not in channels]
    totals = decomp[comps].sum()
    out = pd.DataFrame({"component": non_media + list(channels), "contribution": [float(totals[c]) for c in non_media + list(channels)]})
    out["share_of_kpi"] = out["contribution"] / out["contribution"].sum()
    out["is_media"] = out["component"].isin(channels)
    return out


def calibration_comparison(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per channel: ROAS mean and interval before and after lift-test calibration, and the change in interval width."""
    cols = ["channel", "roas_mean", "roas_hdi_low", "roas_hdi_high"]
    b = before[cols].set_index("channel").add_suffix("_before")
    a = after[cols].set_index("channel").add_suffix("_after")
    out = b.join(a).reset_index()
    out["hdi_width_before"] = out["roas_hdi_high_before"] - out["roas_hdi_low_before"]
    out["hdi_width_after"] = out["roas_hdi_high_after"] - out["roas_hdi_low_after"]
    out["hdi_width_change"] = out["hdi_width_after"] / out["hdi_width_before"] - 1
    return out
