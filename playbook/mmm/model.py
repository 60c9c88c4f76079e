"""Build and fit PyMC-Marketing's MMM from plain parameters; extend a fit that missed its convergence thresholds.

Sampling goes through :mod:`playbook.mcmc` (sampler choice, cores policy, quieting, progress lines, the
R-hat / ESS / divergence read-out).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import pandas as pd

from playbook import mcmc
from playbook.mmm.data import MMMInput

#: Parameters whose convergence the health card reads.
DIAGNOSTIC_VARS = ("intercept_contribution", "saturation_beta", "saturation_lam", "adstock_alpha", "gamma_control", "gamma_fourier", "y_sigma")
#: An extension multiplies draws and warm-up by this factor, at most :data:`MAX_EXTENSIONS` times.
EXTENSION_FACTOR = 2
MAX_EXTENSIONS = 1
#: NUTS target acceptance of MMM fits (higher than the playbook's default: the MMM posterior is curved).
TARGET_ACCEPT = 0.95


def _component_classes() -> tuple[dict, dict]:
    from pymc_marketing.mmm import (
        DelayedAdstock,
        GeometricAdstock,
        HillSaturation,
        LogisticSaturation,
        MichaelisMentenSaturation,
        TanhSaturation,
        WeibullCDFAdstock,
        WeibullPDFAdstock,
    )

    adstocks = {"geometric": GeometricAdstock, "delayed": DelayedAdstock, "weibull_pdf": WeibullPDFAdstock, "weibull_cdf": WeibullCDFAdstock}
    saturations = {"logistic": LogisticSaturation, "hill": HillSaturation, "michaelis_menten": MichaelisMentenSaturation, "tanh": TanhSaturation}
    return adstocks, saturations


@dataclass(frozen=True)
class Spec:
    """The model's shape: adstock and saturation families, longest carry-over and yearly Fourier modes."""

    adstock: str = "geometric"
    saturation: str = "logistic"
    l_max: int = 8
    yearly_seasonality: int | None = 2

    def describe(self) -> str:
        return f"{self.adstock} adstock (l_max {self.l_max}), {self.saturation} saturation, {self.yearly_seasonality or 0} yearly Fourier modes"

    def build(self, inp: MMMInput, model_config: dict | None = None):
        """An unfitted model of this shape for ``inp`` (:func:`build_model`)."""
        return build_model(inp, self.adstock, self.saturation, self.l_max, self.yearly_seasonality, model_config)


def build_model(
    inp: MMMInput,
    adstock: str = "geometric",
    saturation: str = "logistic",
    l_max: int = 8,
    yearly_seasonality: int | None = 2,
    model_config: dict | None = None,
):
    """An unfitted :class:`pymc_marketing.mmm.MMM` for ``inp`` with the named adstock and saturation."""
    from pymc_marketing.mmm import MMM

    adstocks, saturations = _component_classes()
    if adstock not in adstocks:
        raise ValueError(f"adstock must be one of {sorted(adstocks)}, got {adstock!r}")
    if saturation not in saturations:
        raise ValueError(f"saturation must be one of {sorted(saturations)}, got {saturation!r}")
    return MMM(
        date_column="date",
        channel_columns=list(inp.channels),
        target_column=inp.kpi,
        adstock=adstocks[adstock](l_max=l_max),
        saturation=saturations[saturation](),
        control_columns=list(inp.controls) or None,
        yearly_seasonality=yearly_seasonality or None,
        model_config=model_config,
    )


def fit_model(
    mmm,
    inp: MMMInput,
    settings: mcmc.Settings,
    lift_tests: pd.DataFrame | None = None,
    prior_samples: int = 500,
    label: str = "MMM",
):
    """The fitted model (the same object): NUTS posterior, prior draws and, if given, lift-test calibration.

    Lift tests (channel, x, delta_x, delta_y, sigma; money per week) are added with PyMC-Marketing's
    ``add_lift_test_measurements`` before sampling.
    """
    prepare_model(mmm, inp, lift_tests)
    return sample_model(mmm, inp, settings, prior_samples=prior_samples, label=label)


def prepare_model(mmm, inp: MMMInput, lift_tests: pd.DataFrame | None = None):
    """Build ``mmm``'s PyMC graph on ``inp`` and add the lift tests, ready for :func:`sample_model` (once or more)."""
    mmm.build_model(inp.X, inp.y)
    if lift_tests is not None and len(lift_tests):
        unknown = sorted(set(lift_tests["channel"]) - set(inp.channels))
        if unknown:
            raise ValueError(f"lift_tests.csv: channel(s) {unknown} are not in mmm.csv; known: {inp.channels}")
        mmm.add_lift_test_measurements(lift_tests[["channel", "x", "delta_x", "delta_y", "sigma"]].reset_index(drop=True))
    _freeze_once(mmm)
    return mmm


def _freeze_once(mmm) -> None:
    """Have ``mmm`` give PyMC the same frozen copy of its graph on every fit until the graph is rebuilt.

    PyMC-Marketing samples ``freeze_dims_and_data(model)``, a new model object on every ``fit``; handing the same
    one back lets :func:`playbook.mcmc.compile_once` re-use the nutpie compilation when the same graph is refitted.
    """
    make = getattr(type(mmm), "_get_sampling_model", None)
    if make is None:
        return
    memo: dict = {}

    def frozen():
        if memo.get("graph") is not mmm.model:
            memo["graph"], memo["frozen"] = mmm.model, make(mmm)
        return memo["frozen"]

    mmm._get_sampling_model = frozen


def sample_model(mmm, inp: MMMInput, settings: mcmc.Settings, prior_samples: int = 500, label: str = "MMM"):
    """Sample the posterior of a model made by :func:`prepare_model` (a refit replaces the posterior and its
    predictive draws; prior draws are taken once per graph)."""
    kwargs = settings.fit_kwargs()
    if settings.sampler != "pymc":
        kwargs.pop("callback", None)
    idata = getattr(mmm, "idata", None)
    has_prior = idata is not None and "prior" in getattr(idata, "children", {})
    with mcmc.sampling(label, settings), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mmm.fit(inp.X, inp.y, **kwargs)
        if prior_samples and not has_prior:
            mmm.sample_prior_predictive(inp.X, samples=prior_samples, random_seed=settings.seed)
        mmm.sample_posterior_predictive(inp.X, extend_idata=True, random_seed=settings.seed, progressbar=False)
    return mmm


def diagnostics(mmm) -> mcmc.Diagnostics:
    """R-hat, ESS and divergences of the fitted model's media, baseline and noise parameters."""
    post = mmm.idata.posterior
    return mcmc.diagnostics(mmm.idata, [v for v in DIAGNOSTIC_VARS if v in post])


@dataclass(frozen=True)
class Extension:
    """What the automatic extension of a non-converged fit did."""

    attempted: bool
    reason: str  # why it ran (the failed thresholds), or why not
    settings_before: mcmc.Settings
    settings_after: mcmc.Settings
    converged_before: bool
    converged_after: bool

    def as_dict(self) -> dict:
        return {
            "attempted": self.attempted,
            "reason": self.reason,
            "draws_before": self.settings_before.draws,
            "tune_before": self.settings_before.tune,
            "draws_after": self.settings_after.draws,
            "tune_after": self.settings_after.tune,
            "converged_before": self.converged_before,
            "converged_after": self.converged_after,
        }


def fit_converged(
    inp: MMMInput,
    spec: Spec,
    settings: mcmc.Settings,
    lift_tests: pd.DataFrame | None = None,
    prior_samples: int = 500,
    max_extensions: int = MAX_EXTENSIONS,
    label: str = "MMM",
):
    """A fitted model and what its automatic extension did.

    When R-hat, bulk ESS or divergences miss their thresholds (:mod:`playbook.mcmc`), the model is refitted
    with :data:`EXTENSION_FACTOR` × the draws and warm-up, at most ``max_extensions`` times (the stated
    budget); the health card then judges the last fit. A refit samples the same graph afresh (new warm-up and
    draws) without compiling it again.
    """
    model = prepare_model(spec.build(inp), inp, lift_tests)
    with mcmc.compile_once():  # a refit samples the same graph again: nutpie compiles it once
        sample_model(model, inp, settings, prior_samples=prior_samples, label=label)
        diag = diagnostics(model)
        first = diag.converged
        missed = list(diag.problems())
        used = settings
        tries = 0
        while not diag.converged and tries < max_extensions:
            tries += 1
            used = used.with_(draws=used.draws * EXTENSION_FACTOR, tune=used.tune * EXTENSION_FACTOR)
            sample_model(model, inp, used, prior_samples=prior_samples, label=label)
            diag = diagnostics(model)
    return model, Extension(tries > 0, extension_reason(first, tries, missed), settings, used, first, diag.converged)


def extension_reason(converged_first: bool, tries: int, missed: list[str]) -> str:
    """Why the fit was (or was not) extended."""
    if converged_first:
        return "not needed: the first fit met every convergence threshold"
    if tries == 0:
        return "not attempted: no extension budget (max_extensions = 0); the first fit missed " + "; ".join(missed)
    return "the first fit missed " + "; ".join(missed)
