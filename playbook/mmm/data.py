"""The MMM's input: the weekly modelling frame, lift-test sources, and the data checks run before fitting.

Functions take DataFrames and numbers and return DataFrames or small dataclasses; they never print, plot or
read files (except :func:`resolve_lift_tests`, which only looks for a path).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.contracts import MMM_MIN_WEEKS, DataRule, Violation

SPEND_PREFIX = "spend_"
TREND_COLUMN = "trend"
#: Collinearity flags: Pearson r of weekly spend between two channels, variance inflation factor.
CORRELATION_FLAG = 0.8
VIF_FLAG = 10.0
#: A channel with spend in fewer weeks than this is left out of the model (its effect would rest on its prior).
MIN_SPEND_WEEKS = 4
#: A channel whose spend follows the baseline terms (trend, seasonality, controls) with R² at least this is confounded.
CONFOUNDING_R2_FLAG = 0.7
#: Fewest modelled weeks any fit is attempted on (the floor of :func:`weeks_needed`): half a year, the
#: mmm.csv contract's own minimum (a shorter file is refused before anything runs).
MIN_WEEKS = MMM_MIN_WEEKS
#: Most recent weeks a smoke run models (the notebook's ``last_weeks`` when ``smoke`` is set).
SMOKE_WEEKS = 104


def weeks_needed(n_channels: int, n_controls: int, l_max: int, yearly_modes: int) -> int:
    """Modelled weeks a fit needs: the longest carry-over (``l_max`` weeks) plus one week per parameter, at least :data:`MIN_WEEKS`.

    Parameters: intercept and noise, three per channel (effect size, carry-over, saturation), one per control
    (trend included) and two per yearly Fourier mode. With fewer weeks the posterior is the prior and the
    sampler's work is wasted, so :func:`playbook.mmm.analyze` refuses before sampling.
    """
    parameters = 2 + 3 * n_channels + n_controls + 2 * max(0, int(yearly_modes))
    return max(MIN_WEEKS, int(l_max) + parameters)


@dataclass
class MMMInput:
    """The weekly modelling frame: ``date``, the KPI, one spend column per channel (named by the
    channel) and the model's control columns (already put on a comparable scale)."""

    frame: pd.DataFrame
    kpi: str
    channels: list[str]
    controls: list[str]
    control_scaling: dict[str, dict[str, float]] = field(default_factory=dict)
    aggregated_geos: int = 0
    #: controls left out because they never change (a constant carries no information and duplicates the intercept)
    constant_controls: list[str] = field(default_factory=list)
    #: weeks (YYYY-MM-DD) whose KPI is missing, left out of the model
    missing_kpi_weeks: list[str] = field(default_factory=list)

    @property
    def X(self) -> pd.DataFrame:
        return self.frame[["date", *self.channels, *self.controls]]

    @property
    def y(self) -> pd.Series:
        return self.frame[self.kpi]

    @property
    def spend(self) -> pd.DataFrame:
        """Weekly spend per channel (currency), indexed by week."""
        return self.frame.set_index("date")[self.channels]

    @property
    def n_weeks(self) -> int:
        return len(self.frame)

    def _with(self, frame: pd.DataFrame, channels: list[str] | None = None) -> MMMInput:
        return replace(self, frame=frame.reset_index(drop=True), channels=list(channels or self.channels))

    def head_weeks(self, n_weeks: int) -> MMMInput:
        """The same input restricted to its first ``n_weeks`` weeks (controls keep their scaling)."""
        return self._with(self.frame.iloc[:n_weeks])

    def tail_weeks(self, n_weeks: int) -> MMMInput:
        """The same input restricted to its last ``n_weeks`` weeks."""
        return self._with(self.frame.iloc[-n_weeks:])

    def without_channels(self, channels: list[str]) -> MMMInput:
        """The same input without the named channels (their spend columns removed)."""
        keep = [c for c in self.channels if c not in set(channels)]
        return self._with(self.frame.drop(columns=list(channels)), keep)


def spend_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Channel name → its ``spend_<channel>`` column, in file order."""
    return {c[len(SPEND_PREFIX) :]: c for c in frame.columns if c.startswith(SPEND_PREFIX)}


def prepare_input(
    frame: pd.DataFrame,
    kpi: str = "revenue",
    controls: list[str] | None = None,
    trend: bool = True,
    last_weeks: int | None = None,
) -> MMMInput:
    """The modelling frame: weekly rows sorted by date, channels renamed, controls scaled.

    Continuous controls are centred and divided by their largest absolute deviation (so they
    lie in [-1, 1], matching the unit-scale prior PyMC-Marketing puts on control effects);
    0/1 controls are kept as they are. ``trend`` adds a linear time index from 0 to 1.
    A ``geo`` column, if present, is summed to one national series (controls averaged).
    Weeks whose KPI is missing (in any geo) are left out and listed in ``missing_kpi_weeks``; the weeks
    either side are then adjacent for the carry-over. A control that never changes is left out and listed
    in ``constant_controls``. ``last_weeks`` keeps only the most recent weeks (used by smoke runs).
    """
    controls = list(controls or [])
    channel_cols = spend_columns(frame)
    if not channel_cols:
        raise ValueError(f"mmm.csv: expected spend_<channel> columns; found {', '.join(map(str, frame.columns))}")
    missing = [c for c in [kpi, *controls] if c not in frame.columns]
    if missing:
        raise ValueError(f"mmm.csv: column(s) {', '.join(missing)} not found; the file has {', '.join(map(str, frame.columns))}")
    overlap = set(controls) & set(channel_cols.values())
    if overlap:
        raise ValueError(f"controls may not be spend columns: {sorted(overlap)}")
    work = frame.copy()
    work["date"] = pd.to_datetime(work["date"])
    missing_kpi = sorted({f"{d:%Y-%m-%d}" for d in work.loc[work[kpi].isna(), "date"]})
    work = work[~work["date"].isin(pd.to_datetime(missing_kpi))]
    geos = 0
    if "geo" in work.columns:
        geos = int(work["geo"].nunique())
        sums = work.groupby("date")[[kpi, *channel_cols.values()]].sum()
        means = work.groupby("date")[controls].mean() if controls else None
        work = sums.join(means).reset_index() if means is not None else sums.reset_index()
    work = work.sort_values("date").reset_index(drop=True)
    if last_weeks is not None and last_weeks < len(work):
        work = work.iloc[-last_weeks:].reset_index(drop=True)
        missing_kpi = [d for d in missing_kpi if pd.Timestamp(d) >= work["date"].min()]
    out = pd.DataFrame({"date": pd.to_datetime(work["date"]), kpi: work[kpi].astype(float)})
    for ch, col in channel_cols.items():
        out[ch] = work[col].astype(float).to_numpy()
    scaling: dict[str, dict[str, float]] = {}
    model_controls, constant = [], []
    for c in controls:
        values = work[c].astype(float)
        if values.nunique(dropna=False) <= 1:
            constant.append(c)  # no information, and a copy of the intercept; data_checks reports it
            continue
        if values.isin([0.0, 1.0]).all():
            center, scale = 0.0, 1.0
        else:
            center = float(values.mean())
            scale = float((values - center).abs().max())
        out[c] = ((values - center) / scale).to_numpy()
        scaling[c] = {"center": center, "scale": scale}
        model_controls.append(c)
    if trend:
        name = TREND_COLUMN if TREND_COLUMN not in out.columns else f"{TREND_COLUMN}_index"
        out[name] = np.arange(len(out)) / max(1, len(out) - 1)
        model_controls.append(name)
    return MMMInput(out, kpi, list(channel_cols), model_controls, scaling, geos, constant, missing_kpi)


@dataclass(frozen=True)
class DroppedChannel:
    """A channel left out of the model, and why."""

    channel: str
    spend_weeks: int
    n_weeks: int

    @property
    def reason(self) -> str:
        if self.spend_weeks == 0:
            return f"no spend in any of the {self.n_weeks} modelled weeks"
        return f"spend in only {self.spend_weeks} of the {self.n_weeks} modelled weeks (at least {MIN_SPEND_WEEKS} are needed)"

    def as_dict(self) -> dict:
        return {"channel": self.channel, "spend_weeks": self.spend_weeks, "n_weeks": self.n_weeks, "reason": self.reason}


def drop_sparse_channels(inp: MMMInput, min_spend_weeks: int = MIN_SPEND_WEEKS) -> tuple[MMMInput, list[DroppedChannel]]:
    """``inp`` without the channels that have spend in fewer than ``min_spend_weeks`` weeks, and those channels.

    Such a channel would be fitted on its prior alone and fail the health card's learning check for the
    whole model; it is left out with a named note instead. At least one channel is always kept.
    """
    weeks = (inp.spend > 0).sum()
    dropped = [DroppedChannel(ch, int(weeks[ch]), inp.n_weeks) for ch in inp.channels if weeks[ch] < min_spend_weeks]
    if not dropped or len(dropped) == len(inp.channels):
        return inp, []
    return inp.without_channels([d.channel for d in dropped]), dropped


def too_few_weeks(inp: MMMInput, l_max: int, yearly_modes: int) -> str | None:
    """Why ``inp`` (channels already thinned by :func:`drop_sparse_channels`) has too few weeks for the model, or ``None``."""
    needed = weeks_needed(len(inp.channels), len(inp.controls), l_max, yearly_modes or 0)
    if inp.n_weeks >= needed:
        return None
    return (
        f"mmm.csv: {inp.n_weeks} modelled weeks, but this model needs at least {needed} ({_weeks_terms(inp, l_max, yearly_modes or 0)}, "
        f"at least {MIN_WEEKS}); nothing was sampled. {SMALLER_MODEL}."
    )


#: What to do about too few weeks (both refusals say it).
SMALLER_MODEL = "Add weeks, or fit a smaller model (a shorter l_max, fewer yearly_seasonality modes or controls)"


def _weeks_terms(inp: MMMInput, l_max: int, modes: int) -> str:
    """The sum :func:`weeks_needed` makes for ``inp``, term by term: ``'8 (l_max, the longest carry-over) + 2 (intercept and noise) + …'``."""
    parts = [f"{l_max} (l_max, the longest carry-over)", "2 (intercept and noise)", f"3 × {len(inp.channels)} channels"]
    parts += [f"{len(inp.controls)} controls ({', '.join(inp.controls)})" if inp.controls else "0 controls"]
    parts += [f"2 × {modes} yearly modes"] if modes else []
    return " + ".join(parts)


def _enough_weeks(frame: pd.DataFrame, values: dict) -> list[Violation]:
    """:data:`ENOUGH_WEEKS`: the notebook's data step on ``frame`` with the run's settings, then :func:`weeks_needed`."""
    controls = values["controls"]
    if isinstance(controls, str):  # as the notebook reads it: comma-separated
        controls = [c.strip() for c in controls.split(",") if c.strip()]
    try:
        inp = prepare_input(frame, values["kpi"], list(controls or []), bool(values["trend"]),
                            last_weeks=SMOKE_WEEKS if values["smoke"] else None)
    except ValueError as err:  # a KPI or control the settings check did not stop (e.g. a spend column as a control)
        return [Violation("(settings)", str(err))]
    inp, dropped = drop_sparse_channels(inp)
    l_max, modes = int(values["l_max"]), int(values["yearly_seasonality"] or 0)
    needed = weeks_needed(len(inp.channels), len(inp.controls), l_max, modes)
    if inp.n_weeks >= needed:
        return []
    left = []
    if inp.missing_kpi_weeks:
        left.append(f"{len(inp.missing_kpi_weeks)} with no {values['kpi']}")
    if values["smoke"] and inp.n_weeks == SMOKE_WEEKS:
        left.append(f"a smoke run models the last {SMOKE_WEEKS}")
    rule = (f"at least {needed} modelled weeks for this model: {_weeks_terms(inp, l_max, modes)}, at least {MIN_WEEKS}; the file has "
            f"{inp.n_weeks}{' (' + '; '.join(left) + ')' if left else ''}. {SMALLER_MODEL}")
    gone = [f"channel {d.channel} (spend in {d.spend_weeks} weeks)" for d in dropped]
    gone += [f"control {c} (the same in every week)" for c in inp.constant_controls]
    if gone:
        rule += f"; already left out: {', '.join(gone)}"
    return [Violation("date", rule, count=inp.n_weeks)]


#: The rule ``mmm.ipynb`` declares (``metadata.playbook.data_rules``): the weeks :func:`weeks_needed` asks for, with the
#: run's KPI, controls, trend, carry-over and seasonal modes (mmm.csv is weekly: its validated frame is the summary).
ENOUGH_WEEKS = DataRule(
    "weeks for the model", "mmm", ("kpi", "controls", "trend", "l_max", "yearly_seasonality", "smoke"),
    lambda frame: frame, _enough_weeks,
    doc="as many modelled weeks as weeks_needed(channels, controls, l_max, yearly_seasonality)",
)


@dataclass
class DataChecks:
    """Spend sanity, weeks without spend, collinearity between channels and with the baseline terms."""

    spend: pd.DataFrame  # channel, total_spend, weekly_mean, share_of_spend, zero_spend_weeks, max_weekly
    correlation: pd.DataFrame  # channel × channel Pearson correlation of weekly spend
    vif: pd.DataFrame  # channel, vif
    collinear_pairs: list[tuple[str, str, float]]
    problems: list[str]  # plain-language findings that need attention (empty = clean)
    n_weeks: int
    baseline_r2: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["channel", "baseline_r2"]))
    dropped: list[DroppedChannel] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def collinear(self) -> bool:
        """Some pair of channels moves together, or some channel is nearly a mix of the others."""
        return bool(self.collinear_pairs) or bool((self.vif["vif"] > VIF_FLAG).any())

    @property
    def confounded(self) -> list[str]:
        """Channels whose spend follows the baseline terms (R² ≥ :data:`CONFOUNDING_R2_FLAG`)."""
        b = self.baseline_r2
        return b.loc[b["baseline_r2"] >= CONFOUNDING_R2_FLAG, "channel"].tolist() if len(b) else []


def baseline_r2(inp: MMMInput, yearly_modes: int = 2) -> pd.DataFrame:
    """Per channel: R² of its weekly spend regressed on the baseline terms (trend, yearly Fourier terms, controls).

    A high R² means the channel's spend moves with the baseline, so the model can swap credit between them.
    """
    n = inp.n_weeks
    t = np.arange(n)
    cols = [np.ones(n), t / max(1, n - 1)]
    day = pd.to_datetime(inp.frame["date"]).dt.dayofyear.to_numpy() / 365.25
    for k in range(1, max(0, int(yearly_modes)) + 1):
        cols += [np.sin(2 * np.pi * k * day), np.cos(2 * np.pi * k * day)]
    cols += [inp.frame[c].to_numpy(dtype=float) for c in inp.controls if c in inp.frame]
    Z = np.column_stack(cols)
    rows = []
    for ch in inp.channels:
        y = inp.frame[ch].to_numpy(dtype=float)
        if y.std() == 0:
            rows.append({"channel": ch, "baseline_r2": float("nan")})
            continue
        beta, *_ = np.linalg.lstsq(Z, y, rcond=None)
        resid = y - Z @ beta
        rows.append({"channel": ch, "baseline_r2": float(1 - resid.var() / y.var())})
    return pd.DataFrame(rows, columns=["channel", "baseline_r2"])


def data_checks(inp: MMMInput, dropped: list[DroppedChannel] | None = None, yearly_modes: int = 2) -> DataChecks:
    """Spend table, correlation matrix, variance inflation factors, baseline confounding and the problems found."""
    from statsmodels.stats.outliers_influence import variance_inflation_factor
    from statsmodels.tools.tools import add_constant

    spend = inp.spend
    total = spend.sum()
    table = pd.DataFrame(
        {
            "channel": inp.channels,
            "total_spend": total.to_numpy(),
            "weekly_mean": spend.mean().to_numpy(),
            "share_of_spend": (total / total.sum()).to_numpy(),
            "zero_spend_weeks": (spend == 0).sum().to_numpy(),
            "max_weekly": spend.max().to_numpy(),
        }
    )
    corr = spend.corr()
    pairs = []
    for i, a in enumerate(inp.channels):
        for b in inp.channels[i + 1 :]:
            r = float(corr.loc[a, b])
            if abs(r) >= CORRELATION_FLAG:
                pairs.append((a, b, r))
    active = [c for c in inp.channels if spend[c].std() > 0]
    exog = add_constant(spend[active].to_numpy(), has_constant="add")
    vif_values = [float(variance_inflation_factor(exog, i + 1)) for i in range(len(active))] if len(active) > 1 else [1.0] * len(active)
    vif = pd.DataFrame({"channel": active, "vif": vif_values})
    base = baseline_r2(inp, yearly_modes)

    problems = []
    n = len(spend)
    for d in dropped or []:
        problems.append(f"{d.channel} was left out of the model: {d.reason}")
    for c in inp.constant_controls:
        problems.append(f"control {c} never changes, so it was left out of the model (a constant is already the intercept)")
    if inp.missing_kpi_weeks:
        problems.append(f"{len(inp.missing_kpi_weeks)} week(s) with no {inp.kpi} ({', '.join(inp.missing_kpi_weeks[:5])}"
                        f"{', …' if len(inp.missing_kpi_weeks) > 5 else ''}) were left out of the model")
    if n < 52:
        problems.append(f"only {n} weeks of data; a year or more is needed to separate media from seasonality")
    for ch in inp.channels:
        zero = int((spend[ch] == 0).sum())
        if zero == n:
            problems.append(f"{ch} has no spend in any week and cannot be estimated")
        elif zero > n / 2:
            problems.append(f"{ch} has no spend in {zero} of {n} weeks; its effect rests on few weeks")
        elif spend[ch].std() / max(spend[ch].mean(), 1e-9) < 0.1:
            problems.append(f"{ch} spend barely varies (CV < 10 %), so its effect is hard to separate from the baseline")
    for a, b, r in pairs:
        problems.append(f"{a} and {b} move together (r = {r:.2f}); the model cannot reliably split credit between them")
    for _, row in vif[vif["vif"] > VIF_FLAG].iterrows():
        problems.append(f"{row['channel']} is largely explained by the other channels (VIF = {row['vif']:.1f})")
    for _, row in base[base["baseline_r2"] >= CONFOUNDING_R2_FLAG].iterrows():
        problems.append(
            f"{row['channel']} spend follows the trend, seasonality and controls (R² = {row['baseline_r2']:.2f}); "
            "the model can swap credit between it and the baseline"
        )
    if (inp.y <= 0).any():
        problems.append(f"{int((inp.y <= 0).sum())} week(s) with non-positive {inp.kpi}")
    return DataChecks(table, corr, vif, pairs, problems, n, base, list(dropped or []))


def resolve_lift_tests(setting: str, data_dir: str | Path, output_dir: str | Path) -> tuple[Path | None, str]:
    """Where to read lift tests from, and a sentence saying which source is used.

    ``"auto"``: ``<data_dir>/lift_tests.csv`` if present, else ``<output_dir>/lift_tests.csv``
    (written earlier in the same run by the A/B notebook), else none. ``"none"``: no
    calibration. Anything else is a path that must exist.
    """
    setting = (setting or "none").strip()
    if setting.lower() == "none":
        return None, "No calibration: lift tests were switched off (lift_tests = none)."
    if setting.lower() == "auto":
        for where, folder in (("the input data folder", data_dir), ("this run's output folder (written by the A/B test notebook)", output_dir)):
            path = Path(folder) / "lift_tests.csv"
            if path.is_file():
                return path, f"Calibrated with lift tests from {where}: {path.name}."
        return None, "No calibration: no lift_tests.csv in the data folder or this run's output folder."
    path = Path(setting)
    if not path.is_file():
        raise FileNotFoundError(f"lift_tests: expected a CSV file at {path}, found nothing there")
    return path, f"Calibrated with lift tests from {path}."


def usable_lift_tests(lifts: pd.DataFrame | None, channels: list[str]) -> pd.DataFrame | None:
    """The lift tests on channels the model fits (``None`` when there are none)."""
    if lifts is None:
        return None
    kept = lifts[lifts["channel"].isin(channels)].reset_index(drop=True)
    return kept if len(kept) else None


def lift_tests_before(lifts: pd.DataFrame | None, cutoff: pd.Timestamp) -> tuple[pd.DataFrame | None, list[str]]:
    """The lift tests a fit that ends before ``cutoff`` may use, and the channels of those left out.

    A test dated (``start``, else ``end``) on or after ``cutoff`` ran inside the held-out weeks: using it would let the
    holdout fit see those weeks. Undated tests are kept (their timing is unknown).
    """
    if lifts is None:
        return None, []
    when = None
    for col in ("start", "end"):
        if col in lifts.columns:
            when = pd.to_datetime(lifts[col], errors="coerce") if when is None else when.fillna(pd.to_datetime(lifts[col], errors="coerce"))
    if when is None:
        return lifts, []
    inside = when.notna() & (when >= pd.Timestamp(cutoff))
    kept = lifts[~inside].reset_index(drop=True)
    return (kept if len(kept) else None), lifts.loc[inside, "channel"].astype(str).tolist()


def lift_test_weeks(lifts: pd.DataFrame | None) -> dict[str, float]:
    """Duration in weeks of each dated lift test (by channel; the longest when a channel has several)."""
    if lifts is None or not {"start", "end"} <= set(lifts.columns):
        return {}
    weeks = (pd.to_datetime(lifts["end"], errors="coerce") - pd.to_datetime(lifts["start"], errors="coerce")).dt.days.add(1) / 7
    out = pd.Series(weeks.to_numpy(), index=lifts["channel"].astype(str)).dropna()
    return out.groupby(level=0).max().to_dict()
