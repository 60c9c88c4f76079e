"""playbook.mmm.health: the health card line by line."""

from playbook.mmm import health as H

from .factory import holdout as _holdout


def test_health_card_passes_and_fails_line_by_line():
    good = H.assess_health(1.005, 900, 0, 0.95, chains=2, holdout=_holdout(0.04, 0.7), prior_sd_ratio_max=0.2)
    assert good.passed and good.failed_checks == [] and good.learning_passed
    assert len(good.lines) == 7 and good.n_passed == 7
    bad = H.assess_health(1.05, 150, 3, 0.6, chains=2, holdout=_holdout(0.2, 0.1), prior_sd_ratio_max=0.9)
    assert not bad.passed and len(bad.failed_checks) == 7 and not bad.learning_passed
    # ESS floor scales with chains: 400 per 4 chains -> 200 for 2 chains, 100 for 1
    assert H.assess_health(1.0, 150, 0, 0.95, chains=1, prior_sd_ratio_max=0.2).passed
    assert H.assess_health(1.0, 150, 0, 0.95, chains=2, prior_sd_ratio_max=0.2).failed_checks == ["Sampling: min bulk ESS"]
    # a measurement that could not be made fails its line
    nan = H.assess_health(float("nan"), 900, 0, 0.95, chains=2, prior_sd_ratio_max=0.1)
    assert nan.failed_checks == ["Convergence: max R-hat"]


def test_the_coverage_line_names_the_interval_used():
    card = H.assess_health(1.0, 900, 0, 0.95, chains=2, prior_sd_ratio_max=0.1, interval=0.8)
    assert "Fit: weeks inside the 80% predictive interval" in card.lines["check"].tolist()
