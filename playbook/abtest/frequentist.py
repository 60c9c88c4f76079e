"""Frequentist cross-check for the appendix: two-proportion z-tests and Welch t-tests against the control."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from playbook.abtest.checks import order_variants

# --------------------------------------------------------------------------- frequentist appendix


def frequentist_checks(counts: pd.DataFrame, control: str, revenue: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Two-proportion z-test p-values (conversion) and Welch t-test p-values (revenue per unit) vs control.

    ``revenue`` optionally maps a label ("raw", "capped") to a frame with columns variant,
    units, mean, std (per-unit revenue). One row per variant other than control.
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    names = order_variants(counts["variant"], control)
    c = counts.set_index("variant")
    rows = []
    for v in names[1:]:
        k = np.array([c.loc[v, "conversions"], c.loc[control, "conversions"]])
        n = np.array([c.loc[v, "units"], c.loc[control, "units"]])
        z, p = proportions_ztest(k, n, alternative="two-sided")
        lo, hi = confint_proportions_2indep(k[0], n[0], k[1], n[1], method="wald", compare="diff")
        row = {"variant": v, "z_statistic": float(z), "z_p_value": float(p), "diff_ci_low": float(lo), "diff_ci_high": float(hi)}
        for label, frame in (revenue or {}).items():
            f = frame.set_index("variant")
            if v not in f.index or control not in f.index:  # an arm left out of the revenue comparison (broken tag)
                row[f"welch_t_{label}"] = row[f"welch_p_{label}"] = float("nan")
                continue
            t, pt = stats.ttest_ind_from_stats(
                f.loc[v, "mean"], f.loc[v, "std"], f.loc[v, "units"], f.loc[control, "mean"], f.loc[control, "std"], f.loc[control, "units"], equal_var=False
            )
            row[f"welch_t_{label}"] = float(t)
            row[f"welch_p_{label}"] = float(pt)
        rows.append(row)
    return pd.DataFrame(rows)


