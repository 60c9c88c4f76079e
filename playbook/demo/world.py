"""The fictional company every demo data set is drawn from.

*Nimbus* launches a new subscription service in five regions and markets it through six
channels. Every part of the demo world (market panel, customers, experiment, MMM, journeys)
is generated from one :class:`World`, so the parts share dates, regions, channels and one
daily media plan, and each part draws from its own independent, seeded random stream.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

CHANNELS: tuple[str, ...] = ("social", "short_video", "search", "kol", "email", "offline_events")
REGIONS: tuple[str, ...] = ("north", "south", "east", "west", "central")
OUR_BRAND = "Nimbus"
COMPETITORS: tuple[str, ...] = ("Altus", "Borealis", "Cirrus", "Dynamo")


@dataclass(frozen=True)
class World:
    """Shared settings of the demo world; ``scale`` multiplies row counts, not effects."""

    seed: int = 7
    scale: float = 1.0
    # The media / customer window: three full years of weeks starting on a Monday.
    start: pd.Timestamp = field(default_factory=lambda: pd.Timestamp("2023-01-02"))
    weeks: int = 156
    # The market panel reaches further back than our launch, to measure growth.
    market_start: pd.Timestamp = field(default_factory=lambda: pd.Timestamp("2021-01-01"))
    channels: tuple[str, ...] = CHANNELS
    regions: tuple[str, ...] = REGIONS
    our_brand: str = OUR_BRAND
    competitors: tuple[str, ...] = COMPETITORS

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError(f"scale must be > 0, got {self.scale}")
        if self.start.dayofweek != 0:
            raise ValueError(f"start must be a Monday, got {self.start.date()}")

    @property
    def end(self) -> pd.Timestamp:
        """Last day (a Sunday) of the media / customer window."""
        return self.start + pd.Timedelta(weeks=self.weeks) - pd.Timedelta(days=1)

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="D")

    @property
    def week_starts(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, periods=self.weeks, freq="7D")

    def n(self, base: int, minimum: int = 1) -> int:
        """``base`` rows scaled by ``scale`` (at least ``minimum``)."""
        return max(minimum, int(round(base * self.scale)))

    def rng(self, part: str) -> np.random.Generator:
        """An independent, reproducible random stream for one part of the world."""
        digest = hashlib.sha256(f"{self.seed}:{part}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))

    def daily_spend(self) -> pd.DataFrame:
        """The media plan: spend per day (rows) and channel (columns), in currency units.

        Each channel has its own level, a yearly cycle, flighting (weeks switched on and
        off) and noise. The MMM part aggregates it to weeks and the funnel part spreads it
        over days, so both tell the same story about the same money.
        """
        rng = self.rng("media-plan")
        days = self.days
        t = np.arange(len(days))
        week = t // 7
        level = {
            "social": 9000.0,
            "short_video": 7000.0,
            "search": 11000.0,
            "kol": 5000.0,
            "email": 1500.0,
            "offline_events": 4000.0,
        }
        plan = {}
        for i, ch in enumerate(self.channels):
            base = level.get(ch, 5000.0) / 7.0
            phase = rng.uniform(0, 2 * np.pi)
            season = 1.0 + 0.35 * np.sin(2 * np.pi * t / 365.25 + phase)
            # Flighting: a channel-specific share of weeks is dark (email never goes dark).
            dark_share = 0.0 if ch == "email" else rng.uniform(0.08, 0.3)
            on = rng.uniform(size=self.weeks) >= dark_share
            # A slow drift so channels are not collinear with one another.
            drift = np.exp(np.cumsum(rng.normal(0, 0.06, size=self.weeks)))[week]
            noise = rng.lognormal(0, 0.25, size=len(days))
            growth = 1.0 + 0.25 * i / max(1, len(self.channels) - 1) * t / len(days)
            plan[ch] = base * season * on[week] * drift * noise * growth
        return pd.DataFrame(plan, index=days).rename_axis("date").round(2)
