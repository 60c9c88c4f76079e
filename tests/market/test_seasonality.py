"""playbook.market.seasonality: STL recovers a known multiplicative seasonal index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from playbook.market import seasonality as m

from .builders import seasonal_series


def test_stl_recovers_seasonal_index_and_names_peaks():
    s, index = seasonal_series()
    season = m.stl_seasonality(s, 12)
    np.testing.assert_allclose(season.seasonal_index.to_numpy(), index, atol=0.01)
    assert list(season.seasonal_index.index) == list(m.MONTH_NAMES)
    assert season.seasonal_index.mean() == pytest.approx(1.0)
    assert season.peak_months == ["December", "November"]
    assert season.trough_month == "February"
    assert season.strength > 0.9
    assert len(season.components) == len(s)
    with pytest.raises(ValueError, match="two years"):
        m.stl_seasonality(s.iloc[:20], 12)




def test_seasonal_index_peak_and_trough_and_flat_series():
    s, index = seasonal_series()
    season = m.stl_seasonality(s, 12)
    assert season.peak == pytest.approx(index.max() - 1, abs=0.01) and season.trough == pytest.approx(index.min() - 1, abs=0.01)
    flat = pd.Series(np.random.default_rng(2).lognormal(0, 0.05, 48), index=pd.date_range("2020-01-01", periods=48, freq="MS"))
    assert m.stl_seasonality(flat, 12).strength < 0.3  # noise only: weak seasonality
    with pytest.raises(ValueError, match="strictly positive"):
        m.stl_seasonality(s.where(s.index != s.index[5], 0.0), 12)
