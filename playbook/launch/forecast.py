"""From Bass draws to the report's numbers: m, p, q with intervals, the timing of the peak and of half
the potential, and the adoption forecast per period with prediction intervals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.launch.bass import Draws, adoption_rate, cumulative_share, peak_time, time_to_share
from playbook.launch.history import History

#: The forecast never runs further than this many years past the launch (or the last observed period).
MAX_HORIZON_YEARS = 10


@dataclass(frozen=True)
class Estimate:
    """A posterior (or prior) mean with its highest-density interval; all ``None`` when the quantity is unknown."""

    mean: float | None
    low: float | None
    high: float | None
    median: float | None = None

    @property
    def known(self) -> bool:
        return self.mean is not None

    def as_dict(self) -> dict:
        return {"mean": self.mean, "hdi_low": self.low, "hdi_high": self.high}


UNKNOWN = Estimate(None, None, None, None)


def estimate(values: np.ndarray | None, interval: float) -> Estimate:
    """Mean, median and the HDI of mass ``interval`` of ``values`` (ArviZ's HDI)."""
    if values is None:
        return UNKNOWN
    import arviz as az

    values = np.asarray(values, dtype=float)
    low, high = (float(v) for v in az.hdi(values, prob=interval))
    return Estimate(float(values.mean()), low, high, float(np.median(values)))


@dataclass(frozen=True)
class Timing:
    """When something happens, in periods since the launch: the estimate, the period holding the median, its date."""

    time: Estimate
    index: int
    date: pd.Timestamp
    low_date: pd.Timestamp
    high_date: pd.Timestamp
    #: P(it happened within the observed periods): the service's own history only, else ``None``
    prob_observed: float | None
    times: np.ndarray  # one time per draw, for the timing chart


def timing(times: np.ndarray, history: History, interval: float) -> Timing:
    """The :class:`Timing` of per-draw event times (periods since the launch; period k covers [k, k+1))."""
    est = estimate(times, interval)
    index = int(np.floor(est.median))
    observed = float(np.mean(times < history.n)) if history.source == "own" else None
    return Timing(est, index, history.date(index), history.date(int(np.floor(est.low))), history.date(int(np.floor(est.high))),
                  observed, np.asarray(times, dtype=float))


@dataclass(frozen=True)
class BassSummary:
    """m, p and q (per period and per year) with intervals, and the timing of the peak and of half the potential."""

    m: Estimate
    p: Estimate
    q: Estimate
    p_per_year: Estimate
    q_per_year: Estimate
    peak: Timing
    half_potential: Timing
    #: P(q > p): imitation outweighs innovation, so new adoptions rise before they fall
    prob_imitation_led: float
    #: P(p above its analogue value), P(q above its analogue value): how the data moved the priors
    prob_p_above_analogue: float
    prob_q_above_analogue: float


def summarize(draws: Draws, history: History, interval: float, analogue_p: float, analogue_q: float) -> BassSummary:
    """The :class:`BassSummary` of ``draws`` on ``history``'s timeline at interval mass ``interval``.

    ``analogue_p`` and ``analogue_q`` (per year) are the priors' means the posterior is compared with.
    """
    ppy = history.periods_per_year
    return BassSummary(
        m=estimate(draws.m, interval),
        p=estimate(draws.p, interval),
        q=estimate(draws.q, interval),
        p_per_year=estimate(draws.p * ppy, interval),
        q_per_year=estimate(draws.q * ppy, interval),
        peak=timing(peak_time(draws.p, draws.q), history, interval),
        half_potential=timing(time_to_share(draws.p, draws.q, 0.5), history, interval),
        prob_imitation_led=float(np.mean(draws.q > draws.p)),
        prob_p_above_analogue=float(np.mean(draws.p * ppy > analogue_p)),
        prob_q_above_analogue=float(np.mean(draws.q * ppy > analogue_q)),
    )


def horizon(history: History, forecast_periods: int, last_index_needed: int) -> tuple[int, bool]:
    """Periods the forecast covers from the launch, and whether :data:`MAX_HORIZON_YEARS` cut it.

    It runs ``forecast_periods`` past the last observed period of the service (past the launch
    without one), and at least to ``last_index_needed`` (the end of the plan's last phase).
    """
    wanted = max(history.last_observed_index + 1 + max(forecast_periods, 1), last_index_needed + 1, history.n)
    cap = int(round(MAX_HORIZON_YEARS * history.periods_per_year)) + max(history.last_observed_index + 1, 0)
    return min(wanted, cap), wanted > cap


def _quantiles(values: np.ndarray, interval: float) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.quantile(values, [(1 - interval) / 2, (1 + interval) / 2], axis=0)
    return low, high


def forecast_table(draws: Draws, history: History, periods: int, interval: float, seed: int = 0) -> pd.DataFrame:
    """One row per period from the launch: observed adopters, expected new adopters (mean) with a prediction
    interval (``lower``, ``upper``: equal-tailed, negative-binomial noise included), the cumulative adopters
    and the cumulative share of the potential with their intervals.

    Adopter columns are NaN when m is unknown; the shares are always known. For the service's own
    history the cumulative count is the observed total plus the forecast from the first unobserved period.
    """
    rng = np.random.default_rng(seed)
    own = history.n if history.source == "own" else 0
    periods = max(periods, own)  # the observed periods are always in the table
    k = np.arange(periods)
    p, q = draws.p[:, None], draws.q[:, None]
    share = cumulative_share(p, q, (k + 1)[None, :])
    share_low, share_high = _quantiles(share, interval)
    out = pd.DataFrame({
        "period": history.dates(0, periods),
        "period_index": k,
        "observed": np.nan,
        "mean": np.nan, "lower": np.nan, "upper": np.nan,
        "cumulative_mean": np.nan, "cumulative_lower": np.nan, "cumulative_upper": np.nan,
        "share_mean": share.mean(axis=0), "share_lower": share_low, "share_upper": share_high,
    })
    if own:
        out.loc[: own - 1, "observed"] = history.adopters[:own]
    if draws.m is None:
        return out
    expected = draws.m[:, None] * adoption_rate(p, q, (k + 0.5)[None, :])
    alpha = draws.dispersion[:, None]
    simulated = rng.negative_binomial(alpha, alpha / (alpha + expected)).astype(float)
    out["mean"] = expected.mean(axis=0)
    out["lower"], out["upper"] = _quantiles(simulated, interval)
    seen = np.cumsum(history.adopters[:own]).astype(float)
    ahead = seen[-1] if own else 0.0
    cumulative = ahead + np.cumsum(simulated[:, own:], axis=1)
    low, high = _quantiles(cumulative, interval)
    out.loc[own:, "cumulative_mean"] = cumulative.mean(axis=0)
    out.loc[own:, "cumulative_lower"] = low
    out.loc[own:, "cumulative_upper"] = high
    if own:
        out.loc[: own - 1, ["cumulative_mean", "cumulative_lower", "cumulative_upper"]] = np.repeat(seen[:, None], 3, axis=1)
    return out
