"""Behavioural personas: clustering features, k-means / Gaussian-mixture fits, profiles, names and actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.personas.lifecycle import DEFAULT_LIFECYCLE_DAYS


def mix_shares(orders: pd.DataFrame, column: str, customer_col: str = "customer_id", value_col: str = "revenue") -> pd.DataFrame:
    """Each customer's share of revenue (0–1) per level of ``column`` (e.g. category), one column per level."""
    table = orders.pivot_table(index=customer_col, columns=column, values=value_col, aggfunc="sum", fill_value=0.0, observed=True)
    table = table.div(table.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    table.columns = [f"{column}_{c}" for c in table.columns]
    return table


def behaviour_features(
    rfm: pd.DataFrame, orders: pd.DataFrame | None = None, mix_columns: Sequence[str] = ("category", "channel")
) -> pd.DataFrame:
    """Clustering features per customer (index ``customer_id``): log1p recency, frequency, AOV and tenure, plus revenue
    shares per category and channel where ``orders`` has those columns."""
    feats = pd.DataFrame(
        {
            "log_recency_days": np.log1p(rfm["recency_days"].to_numpy(float)),
            "log_frequency": np.log1p(rfm["frequency"].to_numpy(float)),
            "log_aov": np.log1p(rfm["aov"].to_numpy(float)),
            "log_tenure_days": np.log1p(rfm["tenure_days"].to_numpy(float)),
        },
        index=pd.Index(rfm["customer_id"].to_numpy(), name="customer_id"),
    )
    if orders is not None:
        window = orders.loc[orders["customer_id"].isin(feats.index)]
        for col in mix_columns:
            if col in window.columns and window[col].notna().any():
                feats = feats.join(mix_shares(window.dropna(subset=[col]), col)).fillna(0.0)
    return feats


@dataclass
class PersonaFit:
    """Clustering result: a persona number per customer, the k chosen and the scores that chose it."""

    labels: pd.Series  # persona number (0..k-1) per customer_id
    k: int
    method: str
    k_scores: pd.DataFrame  # k, silhouette (and bic for gmm, inertia for kmeans)
    centers: pd.DataFrame  # standardized feature means per persona (rows) and feature (columns)
    feature_names: list[str] = field(default_factory=list)


def fit_personas(
    features: pd.DataFrame,
    k: int | str = "auto",
    k_range: Sequence[int] = range(2, 9),
    method: str = "kmeans",
    seed: int = 0,
    silhouette_sample: int = 5000,
    n_threads: int | None = 1,
) -> PersonaFit:
    """Persona number per customer from k-means (or a Gaussian mixture) on standardized features.

    With ``k="auto"`` the k in ``k_range`` with the best silhouette (k-means) or lowest BIC (GMM)
    is used; silhouette is computed on a seeded sample of at most ``silhouette_sample`` customers.
    Personas are numbered by size, largest first. ``n_threads`` caps the BLAS/OpenMP threads
    (1 by default: k-means' OpenMP loops slow down badly on a busy shared machine; ``None`` = all).
    """
    import sklearn.cluster  # noqa: F401  (load the OpenMP/BLAS runtimes before limiting them)
    import sklearn.metrics  # noqa: F401
    import sklearn.mixture  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n_threads):
        return _fit_personas(features, k, k_range, method, seed, silhouette_sample)


def _fit_personas(features, k, k_range, method, seed, silhouette_sample) -> PersonaFit:
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.mixture import GaussianMixture
    from sklearn.preprocessing import StandardScaler

    if method not in ("kmeans", "gmm"):
        raise ValueError(f"method must be 'kmeans' or 'gmm', got {method!r}")
    X = StandardScaler().fit_transform(features.to_numpy(float))
    n = len(X)
    sample = min(n, silhouette_sample)

    def fit(kk: int):
        if method == "kmeans":
            model = KMeans(n_clusters=kk, n_init=10, random_state=seed).fit(X)
            return model.labels_, {"inertia": float(model.inertia_)}
        model = GaussianMixture(n_components=kk, covariance_type="full", reg_covar=1e-3, n_init=3, random_state=seed).fit(X)
        return model.predict(X), {"bic": float(model.bic(X))}

    ks = [int(k)] if k != "auto" else [kk for kk in k_range if 2 <= kk < n]
    if not ks:
        raise ValueError(f"no valid number of personas for {n} customers (k={k!r}, k_range={list(k_range)})")
    rows, fits = [], {}
    for kk in ks:
        labels, extra = fit(kk)
        sil = silhouette_score(X, labels, sample_size=sample, random_state=seed) if len(set(labels)) > 1 else np.nan
        rows.append({"k": kk, "silhouette": float(sil), **extra})
        fits[kk] = labels
    scores = pd.DataFrame(rows)
    if k == "auto":
        best = int(scores.loc[scores["bic"].idxmin(), "k"] if method == "gmm" else scores.loc[scores["silhouette"].idxmax(), "k"])
    else:
        best = int(k)
    raw = fits[best]
    # renumber by size, largest persona = 0
    sizes = np.bincount(raw, minlength=best)
    rank = np.empty(best, dtype=np.int64)
    rank[np.argsort(-sizes, kind="stable")] = np.arange(best)
    labels = pd.Series(rank[raw], index=features.index, name="persona_id")
    centers = pd.DataFrame(X, index=features.index, columns=features.columns).groupby(labels.to_numpy()).mean()
    return PersonaFit(labels, best, method, scores, centers, list(features.columns))


def bootstrap_stability(
    features: pd.DataFrame,
    fit: PersonaFit,
    n_boot: int = 10,
    seed: int = 0,
    n_threads: int | None = 1,
) -> np.ndarray:
    """Adjusted Rand index between the personas and refits on bootstrap resamples, one value per resample.

    Each resample draws customers with replacement, refits the same method with the same k on it and
    assigns every customer to the refit's clusters; the ARI compares that assignment with ``fit.labels``
    (1 = the same partition, 0 = no better than chance). Empty with ``n_boot`` 0 or fewer than 2k customers.
    """
    import sklearn.cluster  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=n_threads):
        return _bootstrap_stability(features, fit, n_boot, seed)


def _bootstrap_stability(features, fit, n_boot, seed) -> np.ndarray:
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture
    from sklearn.preprocessing import StandardScaler

    X = StandardScaler().fit_transform(features.to_numpy(float))
    n = len(X)
    if n_boot <= 0 or n < 2 * fit.k:
        return np.array([])
    rng = np.random.default_rng(seed)
    reference = fit.labels.reindex(features.index).to_numpy()
    out = []
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        if fit.method == "kmeans":
            model = KMeans(n_clusters=fit.k, n_init=10, random_state=seed + b + 1).fit(X[idx])
        else:
            model = GaussianMixture(n_components=fit.k, covariance_type="full", reg_covar=1e-3, n_init=3,
                                    random_state=seed + b + 1).fit(X[idx])
        out.append(adjusted_rand_score(reference, model.predict(X)))
    return np.asarray(out, dtype=float)


#: Suggested action per persona archetype (override with the notebook's ``persona_actions``).
DEFAULT_ACTIONS: dict[str, str] = {
    "champions": "Reward and retain: VIP perks, early access, referral incentives; never discount-train them.",
    "loyal": "Deepen the relationship: loyalty points, cross-sell the next tier, ask for reviews.",
    "new": "Onboard: welcome journey and a second-purchase incentive within the first 30 days.",
    "one_time": "Convert to a second purchase with a time-limited, low-cost offer; measure with a holdout.",
    "lapsing_valuable": "Win back now: personal outreach or a strong offer; they used to spend a lot.",
    "lapsed": "Low-cost reactivation e-mail only; drop from paid retargeting if they stay silent.",
    "steady": "Keep warm: regular content in their favourite category and channel; test upsell.",
}


def _archetype(row: pd.Series, pop: Mapping[str, float], days: Mapping[str, int]) -> tuple[str, str]:
    """(descriptive name stem, action key) for one persona profile.

    Status uses the lifecycle thresholds on the persona's median customer (lapsed: silent longer
    than ``dormant`` days; fading: longer than ``at_risk``; new: tenure within twice ``growing``);
    rhythm and value compare with the population (frequent: ≥ 1.5× mean orders; one-time: ≥ 60%
    single-order customers; premium / budget: AOV ≥ 1.25× / ≤ 0.8× the population's).
    """
    lapsed = row["recency_days_median"] > days["dormant"]
    lapsing = not lapsed and row["recency_days_median"] > days["at_risk"]
    new = row["tenure_days_median"] <= 2 * days["growing"]
    frequent = row["frequency_mean"] >= 1.5 * pop["frequency_mean"]
    one_time = row["one_time_share"] >= 0.6
    premium = row["aov"] >= 1.25 * pop["aov"]
    budget = row["aov"] <= 0.8 * pop["aov"]
    status = "Lapsed" if lapsed else "Fading" if lapsing else "New" if new else "Active"
    rhythm = "frequent" if frequent else "one-time" if one_time else "occasional"
    value = "premium" if premium else "budget" if budget else "mid-value"
    stem = f"{status} {rhythm} {value}"
    high_value = premium or frequent
    if lapsed or lapsing:
        key = "lapsing_valuable" if high_value else "lapsed"
    elif new:
        key = "new"
    elif frequent and premium:
        key = "champions"
    elif frequent:
        key = "loyal"
    elif one_time:
        key = "one_time"
    else:
        key = "steady"
    return stem, key


def persona_profiles(
    rfm: pd.DataFrame,
    labels: pd.Series,
    orders: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    actions: Mapping[str, str] | None = None,
    lifecycle_days: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """One row per persona: generated ``name``, size, revenue share, AOV, frequency, recency, tenure, top
    categories and channels, demographics (when ``customers`` is given) and a suggested ``action``.

    ``labels`` maps ``customer_id`` → persona number; ``rfm`` is :func:`rfm_table` output;
    ``lifecycle_days`` the thresholds that also name the persona's status (see :func:`_archetype`).
    """
    actions = {**DEFAULT_ACTIONS, **dict(actions or {})}
    days = {**DEFAULT_LIFECYCLE_DAYS, **dict(lifecycle_days or {})}
    frame = rfm.set_index("customer_id").join(labels.rename("persona_id"), how="inner")
    g = frame.groupby("persona_id")
    prof = pd.DataFrame(
        {
            "customers": g.size(),
            "revenue": g["monetary"].sum(),
            "frequency_mean": g["frequency"].mean(),
            "recency_days_median": g["recency_days"].median(),
            "tenure_days_median": g["tenure_days"].median(),
            "one_time_share": g["frequency"].apply(lambda s: float((s == 1).mean())),
        }
    )
    prof["aov"] = prof["revenue"] / g["frequency"].sum()
    prof["customer_share"] = prof["customers"] / prof["customers"].sum()
    prof["revenue_share"] = prof["revenue"] / prof["revenue"].sum()
    pop = {
        "recency_days_median": float(frame["recency_days"].median()),
        "tenure_days_median": float(frame["tenure_days"].median()),
        "frequency_mean": float(frame["frequency"].mean()),
        "aov": float(frame["monetary"].sum() / frame["frequency"].sum()),
    }
    if orders is not None:
        joined = orders[orders["customer_id"].isin(frame.index)].assign(
            persona_id=lambda d: d["customer_id"].map(frame["persona_id"])
        )
        for col, out_col in (("category", "top_categories"), ("channel", "top_channels")):
            if col in joined.columns and joined[col].notna().any():
                share = joined.groupby(["persona_id", col], observed=True)["revenue"].sum()
                share = share / share.groupby(level=0).transform("sum")
                prof[out_col] = share.groupby(level=0).apply(
                    lambda s: ", ".join(f"{lvl} {v:.0%}" for (_, lvl), v in s.sort_values(ascending=False).head(2).items())
                )
                prof[f"top_{col}"] = share.groupby(level=0).apply(lambda s: s.idxmax()[1])
    if customers is not None:
        demo = customers.set_index("customer_id").reindex(frame.index).assign(persona_id=frame["persona_id"])
        gd = demo.groupby("persona_id")
        if "age" in demo.columns:
            prof["age_median"] = gd["age"].median()
        for col in ("region", "city_tier", "gender", "acquisition_channel"):
            if col in demo.columns and demo[col].notna().any():
                prof[f"top_{col}"] = gd[col].agg(lambda s: _top_level(s))
    stems, keys = zip(*(_archetype(row, pop, days) for _, row in prof.iterrows()))
    prof["archetype"] = keys
    prof["action"] = [actions.get(k, "") for k in keys]
    prof["name"] = _unique_names(list(stems), prof)
    prof = prof.rename_axis("persona_id").reset_index()
    first = [
        "persona_id",
        "name",
        "customers",
        "customer_share",
        "revenue",
        "revenue_share",
        "aov",
        "frequency_mean",
        "recency_days_median",
        "tenure_days_median",
        "one_time_share",
    ]
    return prof[first + [c for c in prof.columns if c not in first]]


def _top_level(s: pd.Series) -> str:
    counts = s.value_counts(normalize=True)
    if counts.empty:
        return "–"
    return f"{counts.index[0]} ({counts.iloc[0]:.0%})"


def _unique_names(stems: list[str], prof: pd.DataFrame) -> list[str]:
    """Make persona names unique: add the top category, then the top channel, then a number."""
    names = list(stems)
    for extra_col, fmt in (("top_category", "{stem}, {x} plan"), ("top_channel", "{stem} ({x})")):
        dup = pd.Series(names).duplicated(keep=False)
        if not dup.any() or extra_col not in prof.columns:
            continue
        extra = prof[extra_col].tolist()
        names = [fmt.format(stem=n, x=extra[i]) if dup.iloc[i] else n for i, n in enumerate(names)]
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} #{seen[n]}")
    return out


def feature_lift(features: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Relative importance per persona (rows) and feature (columns): persona mean ÷ population mean − 1.

    ``log_*`` features are compared on their natural scale (days, orders, currency), named without ``log_``.
    """
    natural = features.copy()
    logs = [c for c in natural.columns if c.startswith("log_")]
    natural[logs] = np.expm1(natural[logs])
    natural = natural.rename(columns={c: c[4:] for c in logs})
    means = natural.groupby(labels.reindex(natural.index).to_numpy()).mean()
    pop = natural.mean()
    return means.div(pop.replace(0, np.nan)) - 1.0
