import numpy as np
import pandas as pd
import pytest

from playbook import fmt


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "0"), (999, "999"), (1234, "1,234"), (12_345, "12.3k"), (999_999, "1M"), (1_500_000, "1.5M"), (2.5e9, "2.5B"), (-45_600, "-45.6k")],
)
def test_number(value, expected):
    assert fmt.number(value) == expected


def test_money_pct_pp_ratio_and_missing_values():
    assert fmt.money(1_500_000) == "$1.5M"
    assert fmt.money(-1200, "€") == "-€1,200"
    assert fmt.money_precise(14.523) == "$14.52" and fmt.money_precise(1234.5) == "$1,234"
    assert fmt.pct(0.1234) == "12.3%" and fmt.pct(0.05, signed=True) == "+5.0%"
    assert fmt.pp(-0.021) == "-2.1 pp"
    assert fmt.ratio(2.4913) == "2.49"
    assert fmt.count(12345.4) == "12,345"
    for f in (fmt.number, fmt.money, fmt.pct, fmt.pp, fmt.ratio, fmt.count, fmt.prob, fmt.days, fmt.date):
        assert f(None) == "–" and f(float("nan")) == "–"
    assert fmt.number(-0.2) == "0"


def test_probabilities_keep_digits_near_certainty():
    assert fmt.prob(0.9731) == "97%"
    assert fmt.prob(0.9996) == "99.96%"
    assert fmt.prob(0.004) == "0.40%"
    assert fmt.prob(1.0) == "100%" and fmt.prob(0.5) == "50%" and fmt.prob(0.0) == "0%"
    assert fmt.prob(0.00004) == "0.004%" and fmt.prob(3e-9) == "<0.001%" and fmt.prob(1 - 3e-9) == ">99.999%"


def test_interval_labels_come_from_the_mass_used():
    assert fmt.interval_label(0.9) == "90% interval"
    assert fmt.interval_label(0.94, "credible interval") == "94% credible interval"
    assert fmt.mass(0.945) == "94.5%"
    assert fmt.interval(0.22, 0.6, fmt.ratio) == "[0.22, 0.60]"
    assert fmt.estimate(0.4, 0.22, 0.6, fmt.ratio) == "0.40 [0.22, 0.60]"
    assert fmt.interval(0.1, 0.2, fmt.pct) == "[10.0%, 20.0%]"


def test_one_money_scale_for_amounts_shown_together():
    assert fmt.scale_for([8000, 16000]) == (1e3, "k")
    assert fmt.scale_for([500, 2500]) == (1.0, "")
    assert fmt.scale_for([np.nan, 3.2e6]) == (1e6, "M")
    scale = fmt.scale_for([8000, 16000])
    assert [fmt.money_scaled(v, scale) for v in (0, 8000, 16000, 2500)] == ["$0", "$8k", "$16k", "$2.5k"]


def test_dates_words_and_plurals():
    assert fmt.date("2025-12-22") == "2025-12-22" and fmt.date("2025-12-22", "month") == "Dec 2025"
    assert fmt.date("2025-12-22", "day") == "22 Dec 2025"
    assert fmt.days(1) == "1 day" and fmt.days(12.4) == "12 days"
    assert fmt.join(["a", "b", "c"]) == "a, b and c" and fmt.join(["a"]) == "a" and fmt.join([]) == ""
    assert fmt.join(["a", "b"], "or") == "a or b"
    assert fmt.plural(1, "channel") == "1 channel" and fmt.plural(3, "channel") == "3 channels"
    assert fmt.plural(2, "journey", "journeys") == "2 journeys"


def test_clip_words_never_cuts_mid_word():
    text = "choosing it risks an expected loss of 0.3 percentage points of conversion"
    out = fmt.clip_words(text, 30)
    assert len(out) <= 30 and out.endswith("…") and text.startswith(out[:-1])
    assert out[:-1].split()[-1] in text.split()
    assert fmt.clip_words("short", 30) == "short"


def test_scope_sentence_states_measure_whose_and_period():
    assert fmt.scope("net revenue per week", "all customers", "2023-01-02", pd.Timestamp("2025-12-22")) == (
        "Scope: net revenue per week; all customers; 2023-01-02 to 2025-12-22.")
    assert fmt.scope("adopters", "nobody", None, "2025-01-01").endswith("; no dated data.")
