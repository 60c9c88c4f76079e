"""The path table every attribution model works on, built from ``paths.csv`` or from raw touchpoints.

A path table is a DataFrame with ``path`` (a tuple of channel names in time order), ``conversions``,
``value`` and ``nulls`` (how many journeys took this path and converted, their total value, and how
many did not convert) and optionally ``days_to_end`` (a tuple of floats: per touch, the days from
the touch to the end of the journey). A row is one journey (:func:`journeys_from_touchpoints`) or a
group of identical paths (:func:`parse_paths`, :func:`aggregate_paths`); every model gives the same
answer for both, because it only uses the weighted counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
#: The row of :func:`time_to_conversion` for the journey as a whole (its first touch).
ALL_CHANNELS = "all"


def parse_paths(frame: pd.DataFrame, sep: str = ">") -> pd.DataFrame:
    """Path table from ``paths.csv``: ``path`` split on ``sep`` into a tuple of channel names."""
    out = frame.copy()
    out["path"] = pd.Series(_split_paths(out["path"], sep), index=out.index, dtype=object)
    for col in ("conversions", "value", "nulls"):
        out[col] = pd.to_numeric(out[col]).astype(float)
    return out.reset_index(drop=True)


def _split_paths(column: pd.Series, sep: str) -> list[tuple[str, ...]]:
    """Each value as text (``str(value)``) split on ``sep``, every step stripped of surrounding whitespace.

    Vectorised with Arrow (split, trim, dictionary-encode once); the tuples share one string
    object per distinct channel name.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.dtype != object and pd.api.types.is_string_dtype(column) and not column.isna().any():
        arr = pa.Array.from_pandas(column)  # pandas' Arrow-backed text: no copy into Python strings
    else:
        arr = pa.array([str(v) for v in column.tolist()], type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string())
    lists = pc.split_pattern(arr, sep)
    steps = pc.utf8_trim_whitespace(lists.flatten()).dictionary_encode()
    names = np.array(steps.dictionary.to_pylist(), dtype=object)
    tokens = names[steps.indices.to_numpy(zero_copy_only=False)].tolist()
    offsets = lists.offsets.to_numpy().tolist()
    return list(map(tuple, map(tokens.__getitem__, map(slice, offsets[:-1], offsets[1:]))))


def path_label(path: Sequence[str], sep: str = " > ") -> str:
    """A path as readable text: ``('a', 'b')`` → ``'a > b'``."""
    return sep.join(path)


def aggregate_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """Path table with one row per distinct path: summed conversions, value and nulls, busiest first."""
    out = paths.groupby("path", sort=False)[["conversions", "value", "nulls"]].sum().reset_index()
    out["journeys"] = out["conversions"] + out["nulls"]
    return out.sort_values(["journeys", "conversions"], ascending=False, ignore_index=True)


def channels_of(paths: pd.DataFrame) -> list[str]:
    """The channels that appear in any path, sorted."""
    return sorted({c for p in paths["path"] for c in p})


@dataclass
class Journeys:
    """Paths built from raw touchpoints, and what the lookback window removed."""

    paths: pd.DataFrame  # one row per journey: journey_id, path, days_to_end, end, conversions, value, nulls
    lookback_days: float | None
    touches_used: int
    touches_dropped: int  # older than the lookback window before the journey's end
    conversions_without_touch: int  # conversions with no touch inside the window (not attributable)
    value_without_touch: float


def journeys_from_touchpoints(
    touchpoints: pd.DataFrame,
    conversions: pd.DataFrame,
    lookback_days: float | None = 30,
) -> Journeys:
    """Journeys (one path per conversion, plus one per non-converting remainder) from raw events.

    A conversion's path is the journey's touches after its previous conversion and at most
    ``lookback_days`` before it (touches at the conversion's timestamp count). Touches after a
    journey's last conversion form a non-converting path that ends at its last touch, with the
    same window measured back from that touch. ``lookback_days=None`` keeps every touch.
    """
    tp = touchpoints[["journey_id", "timestamp", "channel"]].copy()
    tp["journey_id"] = tp["journey_id"].astype(str)
    tp["timestamp"] = pd.to_datetime(tp["timestamp"])
    cv = conversions[["journey_id", "timestamp", "value"]].copy()
    cv["journey_id"] = cv["journey_id"].astype(str)
    cv["timestamp"] = pd.to_datetime(cv["timestamp"])
    cv = cv.sort_values(["journey_id", "timestamp"], kind="stable").reset_index(drop=True)
    cv["conversion_no"] = cv.groupby("journey_id").cumcount()
    tp = tp.sort_values(["journey_id", "timestamp"], kind="stable").reset_index(drop=True)

    # Each touch belongs to the first conversion of its journey at or after it.
    merged = pd.merge_asof(
        tp.sort_values("timestamp", kind="stable"),
        cv[["journey_id", "timestamp", "conversion_no"]].rename(columns={"timestamp": "end"}).sort_values("end", kind="stable"),
        left_on="timestamp",
        right_on="end",
        by="journey_id",
        direction="forward",
    )
    converting = merged["end"].notna()
    remainder_end = merged[~converting].groupby("journey_id")["timestamp"].transform("max")
    merged.loc[~converting, "end"] = remainder_end
    merged["conversion_no"] = merged["conversion_no"].fillna(-1).astype(int)
    merged["days_to_end"] = (merged["end"] - merged["timestamp"]).dt.total_seconds() / 86400.0
    keep = merged["days_to_end"] <= lookback_days if lookback_days is not None else pd.Series(True, index=merged.index)
    dropped = int((~keep).sum())
    used = merged[keep].sort_values(["journey_id", "conversion_no", "timestamp"], kind="stable")

    grouped = used.groupby(["journey_id", "conversion_no"], sort=True)
    paths = grouped.agg(
        path=("channel", tuple),
        days_to_end=("days_to_end", tuple),
        end=("end", "first"),
    ).reset_index()
    # Plain tuples in an object column (pandas may otherwise infer an Arrow list type).
    paths["path"] = pd.Series([tuple(str(c) for c in p) for p in paths["path"]], index=paths.index, dtype=object)
    paths["days_to_end"] = pd.Series([tuple(float(d) for d in p) for p in paths["days_to_end"]], index=paths.index, dtype=object)
    paths = paths.merge(cv[["journey_id", "conversion_no", "value"]], on=["journey_id", "conversion_no"], how="left")
    paths["conversions"] = (paths["conversion_no"] >= 0).astype(float)
    paths["nulls"] = 1.0 - paths["conversions"]
    paths["value"] = paths["value"].fillna(0.0).astype(float)

    attributed = set(zip(paths.loc[paths["conversions"] > 0, "journey_id"], paths.loc[paths["conversions"] > 0, "conversion_no"]))
    unattributed = [(j, k) not in attributed for j, k in zip(cv["journey_id"], cv["conversion_no"])]
    return Journeys(
        paths=paths[["journey_id", "path", "days_to_end", "end", "conversions", "value", "nulls"]],
        lookback_days=lookback_days,
        touches_used=int(keep.sum()),
        touches_dropped=dropped,
        conversions_without_touch=int(np.sum(unattributed)),
        value_without_touch=float(cv.loc[unattributed, "value"].sum()),
    )


def path_length_summary(paths: pd.DataFrame) -> pd.DataFrame:
    """Journeys, conversions and conversion rate by number of touches (a count table)."""
    frame = pd.DataFrame(
        {"touches": [len(p) for p in paths["path"]], "conversions": paths["conversions"], "nulls": paths["nulls"]}
    )
    out = frame.groupby("touches")[["conversions", "nulls"]].sum()
    out["journeys"] = out["conversions"] + out["nulls"]
    out["conversion_rate"] = out["conversions"] / out["journeys"]
    return out.reset_index()[["touches", "journeys", "conversions", "conversion_rate"]]


def time_to_conversion(paths: pd.DataFrame) -> pd.DataFrame:
    """Days from a channel's first touch in a converting journey to the conversion: channel, journeys, median_days, p90_days.

    Needs ``days_to_end`` (journeys built from timestamped touchpoints). Each converting journey
    counts once per channel it touched, at that channel's earliest touch; the row ``"all"`` uses
    the journey's first touch.
    """
    cols = ["channel", "journeys", "median_days", "p90_days"]
    if "days_to_end" not in paths.columns:
        return pd.DataFrame(columns=cols)
    rows: dict[str, list[float]] = {}
    for path, days, conv in zip(paths["path"], paths["days_to_end"], paths["conversions"]):
        if conv <= 0 or not len(path):
            continue
        first: dict[str, float] = {}
        for c, d in zip(path, days):
            first[c] = max(first.get(c, 0.0), float(d))
        for c, d in first.items():
            rows.setdefault(c, []).extend([d] * int(round(conv)))
        rows.setdefault(ALL_CHANNELS, []).extend([max(first.values())] * int(round(conv)))
    out = [{"channel": c, "journeys": len(v), "median_days": float(np.median(v)), "p90_days": float(np.quantile(v, 0.9))}
           for c, v in sorted(rows.items()) if v]
    return pd.DataFrame(out, columns=cols)
