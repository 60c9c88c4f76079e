"""Who our customers are: RFM scores and segments, behavioural personas, lifecycle stages and cohorts.

Every function takes plain frames (``orders`` as validated by the ``orders`` contract:
``customer_id, order_date, revenue`` and optionally ``channel, category``; ``customers`` for
demographics) and returns frames or small dataclasses. Aggregations are vectorized group-bys on
factorized integer codes, so they stay fast at millions of customers.

Conventions (documented in the notebook's appendix):

* **RFM** at ``observation_end`` (default: the last order date; later orders are ignored):
  ``recency_days`` = days since the last order (0 = bought on the last day), ``frequency`` = number
  of orders, ``monetary`` = total revenue (currency units), ``aov`` = monetary / frequency.
* **Scores** 1–5 (5 = best) are quintiles of the tie-aware percentile rank: customers with the
  same value share a score (the common ``rank(method="first")`` trick would split identical one-time
  buyers across scores 1 and 2 by row order).
* **Named segments** come from a score-range map (:data:`SEGMENT_MAPS`) and a precedence rule:
  ``"first"`` (the first matching segment wins, rsquaredacademy ``rfm`` ≥ 0.3) or ``"last"`` (a
  later match overwrites, older ``rfm``). Customers no range matches are ``"Others"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.io import rows_until

# --------------------------------------------------------------------------- RFM

#: Segment maps: name → (R range, F range, M range), in precedence order. Ranges are inclusive.
SEGMENT_MAPS: dict[str, list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]]] = {
    # The 11-segment "Putler" set used with rsquaredacademy's rfm::rfm_segment.
    "rfm11": [
        ("Champions", (4, 5), (4, 5), (4, 5)),
        ("Loyal customers", (2, 4), (3, 4), (4, 5)),
        ("Potential loyalists", (3, 5), (1, 3), (1, 3)),
        ("New customers", (4, 5), (1, 1), (1, 1)),
        ("Promising", (3, 4), (1, 1), (1, 1)),
        ("Need attention", (3, 4), (3, 4), (3, 4)),
        ("About to sleep", (2, 3), (1, 2), (1, 2)),
        ("At risk", (1, 2), (2, 5), (2, 5)),
        ("Can't lose them", (1, 1), (4, 5), (4, 5)),
        ("Hibernating", (2, 3), (2, 3), (2, 3)),
        ("Lost", (1, 1), (1, 1), (1, 1)),
    ],
    # The widely copied RF-only 10-segment map (monetary not used); it partitions every R×F cell.
    "rf10": [
        ("Hibernating", (1, 2), (1, 2), (1, 5)),
        ("At risk", (1, 2), (3, 4), (1, 5)),
        ("Can't lose them", (1, 2), (5, 5), (1, 5)),
        ("About to sleep", (3, 3), (1, 2), (1, 5)),
        ("Need attention", (3, 3), (3, 3), (1, 5)),
        ("Loyal customers", (3, 4), (4, 5), (1, 5)),
        ("Promising", (4, 4), (1, 1), (1, 5)),
        ("New customers", (5, 5), (1, 1), (1, 5)),
        ("Potential loyalists", (4, 5), (2, 3), (1, 5)),
        ("Champions", (5, 5), (4, 5), (1, 5)),
    ],
}
OTHERS = "Others"

#: Lifecycle thresholds in days. new: tenure ≤ new; growing: tenure ≤ growing; mature: longer tenure;
#: at_risk: no order for more than at_risk days; dormant: none for more than dormant days.
DEFAULT_LIFECYCLE_DAYS: dict[str, int] = {"new": 7, "growing": 90, "at_risk": 90, "dormant": 180}
LIFECYCLE_STAGES: tuple[str, ...] = ("new", "growing", "mature", "at_risk", "dormant")


def rfm_table(
    orders: pd.DataFrame,
    observation_end: str | pd.Timestamp | None = None,
    customer_col: str = "customer_id",
    date_col: str = "order_date",
    value_col: str = "revenue",
) -> pd.DataFrame:
    """Per-customer RFM at ``observation_end``: recency in days, frequency in orders, monetary in currency units.

    Columns: ``customer_id, first_purchase, last_purchase, recency_days, tenure_days, frequency,
    purchase_days, monetary, aov``; one row per customer with an order up to ``observation_end``.
    """
    window, end = rows_until(orders, observation_end, date_col)
    codes, ids = pd.factorize(window[customer_col].to_numpy(), sort=True)
    day = window[date_col].to_numpy().astype("datetime64[D]").astype(np.int64)
    value = window[value_col].to_numpy(dtype=float)
    n = len(ids)
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, codes, day)
    np.maximum.at(last, codes, day)
    frequency = np.bincount(codes, minlength=n)
    monetary = np.bincount(codes, weights=value, minlength=n)
    distinct = pd.DataFrame({"c": codes, "d": day}).drop_duplicates()
    n_days = np.bincount(distinct["c"].to_numpy(), minlength=n)
    end_day = np.datetime64(end.date(), "D").astype(np.int64)
    epoch = np.datetime64("1970-01-01", "D")
    return pd.DataFrame(
        {
            "customer_id": ids,
            "first_purchase": pd.to_datetime(epoch + first.astype("timedelta64[D]")),
            "last_purchase": pd.to_datetime(epoch + last.astype("timedelta64[D]")),
            "recency_days": (end_day - last).astype(np.int64),
            "tenure_days": (end_day - first).astype(np.int64),
            "frequency": frequency.astype(np.int64),
            "purchase_days": n_days.astype(np.int64),
            "monetary": monetary,
            "aov": monetary / frequency,
        }
    )


def quintile_score(values: pd.Series | np.ndarray, higher_is_better: bool = True, bins: int = 5) -> np.ndarray:
    """Scores 1..``bins`` (``bins`` = best) from the tie-aware percentile rank of ``values``.

    score = ceil(bins × mid-rank / n): equal values share a score; with distinct values each score
    holds n / bins customers (exact quintiles).
    """
    v = pd.Series(np.asarray(values, dtype=float))
    pct = (v if higher_is_better else -v).rank(method="average").to_numpy() / len(v)
    return np.clip(np.ceil(pct * bins - 1e-9), 1, bins).astype(np.int64)


def rfm_scores(rfm: pd.DataFrame, bins: int = 5) -> pd.DataFrame:
    """``rfm`` with ``r_score``, ``f_score``, ``m_score`` (1–5, 5 = best) and ``rfm_score`` (e.g. ``"545"``) added.

    Recent customers score high on R; frequent and high-spending ones on F and M (total revenue).
    """
    out = rfm.copy()
    out["r_score"] = quintile_score(out["recency_days"], higher_is_better=False, bins=bins)
    out["f_score"] = quintile_score(out["frequency"], bins=bins)
    out["m_score"] = quintile_score(out["monetary"], bins=bins)
    out["rfm_score"] = out["r_score"].astype(str) + out["f_score"].astype(str) + out["m_score"].astype(str)
    return out


def rfm_segment(
    scores: pd.DataFrame,
    segment_map: str | Sequence[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]] = "rfm11",
    precedence: str = "first",
) -> pd.Series:
    """The named RFM segment of each customer (``"Others"`` when no range matches), aligned with ``scores``.

    ``segment_map`` is a key of :data:`SEGMENT_MAPS` or a list of ``(name, (r_lo, r_hi),
    (f_lo, f_hi), (m_lo, m_hi))``; ``precedence`` is ``"first"`` (first match wins) or ``"last"``.
    """
    rules = SEGMENT_MAPS[segment_map] if isinstance(segment_map, str) else list(segment_map)
    if precedence not in ("first", "last"):
        raise ValueError(f"precedence must be 'first' or 'last', got {precedence!r}")
    r, f, m = (scores[c].to_numpy() for c in ("r_score", "f_score", "m_score"))
    label = np.full(len(scores), OTHERS, dtype=object)
    assigned = np.zeros(len(scores), dtype=bool)
    for name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi) in rules:
        hit = (r >= r_lo) & (r <= r_hi) & (f >= f_lo) & (f <= f_hi) & (m >= m_lo) & (m <= m_hi)
        if precedence == "first":
            hit &= ~assigned
        label[hit] = name
        assigned |= hit
    return pd.Series(label, index=scores.index, name="rfm_segment")


def group_summary(rfm: pd.DataFrame, labels: pd.Series, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Size and value per group: ``group, customers, customer_share, revenue, revenue_share, recency_days,
    frequency, monetary, aov`` (means per customer; revenue in currency units), largest revenue first
    unless ``order`` is given (groups in ``order`` that are empty get a zero row)."""
    frame = rfm.assign(group=np.asarray(labels))
    g = frame.groupby("group", sort=False)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "revenue": g["monetary"].sum(),
            "recency_days": g["recency_days"].mean(),
            "frequency": g["frequency"].mean(),
            "monetary": g["monetary"].mean(),
        }
    )
    out["aov"] = out["revenue"] / g["frequency"].sum()
    if order is not None:
        out = out.reindex(list(order) + [x for x in out.index if x not in order])
        out[["customers", "revenue"]] = out[["customers", "revenue"]].fillna(0)
    else:
        out = out.sort_values("revenue", ascending=False)
    out["customers"] = out["customers"].astype(np.int64)
    out["customer_share"] = out["customers"] / max(len(frame), 1)
    out["revenue_share"] = out["revenue"] / max(frame["monetary"].sum(), 1e-12)
    out = out.rename_axis("group").reset_index()
    return out[
        ["group", "customers", "customer_share", "revenue", "revenue_share", "recency_days", "frequency", "monetary", "aov"]
    ]


@dataclass
class Concentration:
    """How concentrated revenue is: top-share figures, the Gini coefficient and the Lorenz curve."""

    top_10_share: float
    top_20_share: float
    gini: float
    lorenz_customers: np.ndarray  # cumulative share of customers (0..1), biggest spenders first
    lorenz_revenue: np.ndarray  # cumulative share of revenue they bring


def revenue_concentration(monetary: pd.Series | np.ndarray, points: int = 201) -> Concentration:
    """Share of revenue from the top 10% / 20% of customers, Gini coefficient (0 = equal, 1 = one customer has all)."""
    v = np.sort(np.asarray(monetary, dtype=float))[::-1]
    n = len(v)
    total = v.sum()
    cum = np.r_[0.0, np.cumsum(v)] / total
    share_at = lambda frac: float(np.interp(frac * n, np.arange(n + 1), cum))  # noqa: E731
    asc = v[::-1]
    gini = float((2 * np.arange(1, n + 1) - n - 1) @ asc / (n * total))
    grid = np.linspace(0, 1, points)
    return Concentration(share_at(0.10), share_at(0.20), gini, grid, np.interp(grid * n, np.arange(n + 1), cum))


# --------------------------------------------------------------------------- personas


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


# --------------------------------------------------------------------------- lifecycle


def lifecycle_stage(tenure_days, recency_days, thresholds: Mapping[str, int] | None = None) -> np.ndarray:
    """Lifecycle stage per customer from days since first and since last order (see :data:`DEFAULT_LIFECYCLE_DAYS`).

    Inactivity wins over tenure: a customer silent for longer than ``dormant`` days is dormant
    whatever the tenure; then at_risk; then new / growing / mature by tenure.
    """
    t = {**DEFAULT_LIFECYCLE_DAYS, **dict(thresholds or {})}
    tenure = np.asarray(tenure_days, dtype=float)
    recency = np.asarray(recency_days, dtype=float)
    return np.select(
        [recency > t["dormant"], recency > t["at_risk"], tenure <= t["new"], tenure <= t["growing"]],
        ["dormant", "at_risk", "new", "growing"],
        default="mature",
    ).astype(object)


def lifecycle_flow(
    orders: pd.DataFrame,
    snapshots: Sequence[str | pd.Timestamp],
    thresholds: Mapping[str, int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stage of every customer at each snapshot date, and the stage counts per snapshot.

    Returns ``(stages, counts)``: ``stages`` is customers × snapshots (missing before a customer's
    first order); ``counts`` is snapshots × stages (number of customers).
    """
    window, _ = rows_until(orders, max(pd.Timestamp(s) for s in snapshots), "order_date")
    codes, ids = pd.factorize(window["customer_id"].to_numpy(), sort=True)
    day = window["order_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    n = len(ids)
    big = np.iinfo(np.int64).max
    first = np.full(n, big)
    np.minimum.at(first, codes, day)
    out = {}
    for snap in snapshots:
        s = np.datetime64(pd.Timestamp(snap).date(), "D").astype(np.int64)
        valid = day <= s  # last order on or before the snapshot
        last = np.full(n, np.iinfo(np.int64).min)
        np.maximum.at(last, codes[valid], day[valid])
        acquired = first <= s
        stage = np.full(n, None, dtype=object)
        stage[acquired] = lifecycle_stage(s - first[acquired], s - last[acquired], thresholds)
        out[pd.Timestamp(snap)] = stage
    stages = pd.DataFrame(out, index=pd.Index(ids, name="customer_id"))
    counts = pd.DataFrame(
        {col: stages[col].value_counts().reindex(LIFECYCLE_STAGES, fill_value=0) for col in stages.columns}
    ).T.astype(np.int64)
    counts.index.name = "snapshot"
    return stages, counts


def stage_transitions(stages: pd.DataFrame, start, end) -> pd.DataFrame:
    """Customers moving from each stage at ``start`` (rows; ``"not yet acquired"`` included) to each stage at ``end`` (columns)."""
    a = stages[pd.Timestamp(start)].fillna("not yet acquired")
    b = stages[pd.Timestamp(end)].fillna("not yet acquired")
    levels = ["not yet acquired", *LIFECYCLE_STAGES]
    table = pd.crosstab(pd.Categorical(a, levels), pd.Categorical(b, levels), dropna=False)
    table.index.name, table.columns.name = "from", "to"
    return table.drop(columns="not yet acquired", errors="ignore")


# --------------------------------------------------------------------------- cohorts


@dataclass
class Cohorts:
    """Monthly acquisition cohorts: retention triangle, sizes and revenue per cohort."""

    retention: pd.DataFrame  # cohort month × months since acquisition: share of the cohort ordering that month
    sizes: pd.Series  # customers per cohort
    revenue: pd.DataFrame  # cohort × months since acquisition: revenue (currency units)
    revenue_per_customer: pd.DataFrame  # cumulative revenue per cohort member by month since acquisition


def cohort_retention(orders: pd.DataFrame, observation_end=None) -> Cohorts:
    """Monthly cohort triangles: share of each acquisition cohort that orders in each later month, and its revenue.

    A customer's cohort is the calendar month of the first order; month 0 is that month (100% by
    construction). Cells after ``observation_end``'s month are NaN (not yet observed).
    """
    window, end = rows_until(orders, observation_end, "order_date")
    codes, _ = pd.factorize(window["customer_id"].to_numpy())
    month = (window["order_date"].dt.year * 12 + window["order_date"].dt.month - 1).to_numpy()
    first = np.full(codes.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, codes, month)
    cohort = first[codes]
    age = month - cohort
    last_month = end.year * 12 + end.month - 1
    active = pd.DataFrame({"c": codes, "cohort": cohort, "age": age}).drop_duplicates(["c", "age"])
    counts = active.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    sizes = pd.Series(np.bincount(first - first.min()), index=np.arange(first.min(), first.max() + 1))
    sizes = sizes[sizes > 0]
    counts = counts.reindex(index=sizes.index, columns=np.arange(0, last_month - sizes.index.min() + 1), fill_value=0)
    rev = (
        pd.DataFrame({"cohort": cohort, "age": age, "v": window["revenue"].to_numpy(float)})
        .groupby(["cohort", "age"])["v"]
        .sum()
        .unstack(fill_value=0.0)
    )
    rev = rev.reindex(index=counts.index, columns=counts.columns, fill_value=0.0)
    observed = (counts.index.to_numpy()[:, None] + counts.columns.to_numpy()[None, :]) <= last_month
    retention = (counts / sizes.to_numpy()[:, None]).where(observed)
    revenue = rev.where(observed)
    per_customer = (rev.cumsum(axis=1) / sizes.to_numpy()[:, None]).where(observed)
    labels = pd.PeriodIndex([pd.Period(year=int(m // 12), month=int(m % 12) + 1, freq="M") for m in counts.index], name="cohort")
    for frame in (retention, revenue, per_customer):
        frame.index = labels
        frame.columns.name = "months_since_acquisition"
    return Cohorts(retention, pd.Series(sizes.to_numpy(), index=labels, name="customers"), revenue, per_customer)


def snapshot_dates(observation_end: str | pd.Timestamp, n: int, freq: str = "QE") -> list[pd.Timestamp]:
    """``n`` snapshot dates ending at ``observation_end``: the previous ``n − 1`` period ends (quarter ends by default) and the end itself."""
    end = pd.Timestamp(observation_end).normalize()
    previous = pd.date_range(end=end - pd.Timedelta(days=1), periods=max(n - 1, 0), freq=freq) if n > 1 else []
    return [*[pd.Timestamp(d) for d in previous if d < end], end]
