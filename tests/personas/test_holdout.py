"""playbook.personas.holdout: the calibration/holdout split, bucket errors by hand, and the rule that picks a model."""

import numpy as np
import pandas as pd
import pytest

from playbook.demo.personas import simulate_btyd_orders
from playbook.personas import holdout


def test_bucket_errors_by_hand():
    freq = np.array([0, 0, 1, 8, 9])
    actual = np.array([0.0, 2.0, 1.0, 5.0, 7.0])
    predicted = np.array([0.5, 0.5, 2.0, 6.0, 6.0])
    c = holdout.score("bgnbd", freq, actual, predicted)
    assert list(c.buckets["frequency"]) == ["0", "1", "7+"] and list(c.buckets["customers"]) == [2, 1, 2]
    # bucket gaps: |0.5 − 1| = 0.5 (2 customers), |2 − 1| = 1 (1), |6 − 6| = 0 (2) → (1 + 1 + 0) / 5
    assert c.holdout_error == pytest.approx(2 / 5)
    assert c.total_error == pytest.approx((15 - 15) / 15)


def test_holdout_purchases_count_purchase_days_in_the_window():
    orders = pd.DataFrame({"customer_id": ["a", "a", "a", "b", "c"],
                           "order_date": pd.to_datetime(["2024-01-01", "2024-02-02", "2024-02-02", "2024-02-10", "2024-03-05"]),
                           "revenue": 1.0})
    got = holdout.holdout_purchases(orders, pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29"), ["a", "b", "x"])
    assert list(got) == [1.0, 1.0, 0.0]  # two orders on one day count once; c's order is after the end


def test_split_date_caps_the_holdout_at_a_third_of_the_span():
    orders = pd.DataFrame({"order_date": pd.to_datetime(["2024-01-01", "2024-12-31"])})
    end = pd.Timestamp("2024-12-31")
    assert holdout.split_date(orders, end, 4, "W") == end - pd.Timedelta(days=28)
    assert holdout.split_date(orders, end, 52, "W") == end - pd.Timedelta(days=round(365 / 3))


def test_compare_short_data_uses_the_default_and_says_why():
    orders = pd.DataFrame({"customer_id": ["a", "b"], "order_date": pd.to_datetime(["2024-01-01", "2024-01-20"]), "revenue": 1.0})
    c = holdout.compare(orders, pd.Timestamp("2024-01-20"), 52, "W")
    assert not c.compared and c.chosen == "mbgnbd" and c.reason
    c2 = holdout.compare(orders, pd.Timestamp("2024-01-20"), 52, "W", purchase_model="bgnbd")
    assert c2.chosen == "bgnbd" and c2.rule.startswith("set by the analyst")


@pytest.fixture(scope="module")
def btyd_world():
    """Orders from a BG/NBD population with known parameters (the models' own family)."""
    orders, truth = simulate_btyd_orders(1500, r=0.8, alpha=6.0, a=1.0, b=3.0, p=4.0, q=6.0, v=100.0, days=900, seed=2)
    return orders, pd.Timestamp(truth["observation_end"])


def test_compare_ranks_every_candidate_and_chooses_by_the_rule(btyd_world):
    orders, end = btyd_world
    c = holdout.compare(orders, end, 26, "W")
    assert c.compared and set(c.candidates) == set(holdout.CANDIDATES)
    errors = {m: x.holdout_error for m, x in c.candidates.items()}
    assert c.chosen == min(errors, key=errors.get) and c.rule == holdout.RULE
    assert all(np.isfinite(e) and e >= 0 for e in errors.values())
    # predictions track the actual holdout purchases on data from the model family: within 0.35 purchases per customer
    assert errors["bgnbd"] < 0.35
    assert c.holdout_periods == pytest.approx(26.0)
    d = c.as_dict()
    assert set(d["candidates"]["pareto"]) == {"holdout_error", "total_error", "buckets"}
    forced = holdout.compare(orders, end, 26, "W", purchase_model="pareto")
    assert forced.chosen == "pareto" and forced.compared
