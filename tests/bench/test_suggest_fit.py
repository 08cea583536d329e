"""Fitting the suggestions' calibration (bench.suggest_fit)."""

import numpy as np
import pytest

from bench import suggest_fit
from search.ml import suggest


def test_expected_calibration_error_is_zero_when_confidence_matches_accuracy():
    p = np.array([0.25] * 4 + [0.75] * 4)
    right = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    assert suggest_fit.expected_calibration_error(p, right) == pytest.approx(0.0)
    assert suggest_fit.expected_calibration_error(np.ones(4), np.zeros(4)) == pytest.approx(1.0)


def test_fitted_calibration_is_monotone_in_its_evidence():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(suggest.FEATURES))).astype(np.float32)
    right = (rng.random(400) < 1 / (1 + np.exp(-3 * x[:, 0]))).astype(float)
    fitted = suggest_fit.fit_calibration(x, right, hubness={})
    low, high = np.zeros((1, len(suggest.FEATURES)), np.float32), np.zeros((1, len(suggest.FEATURES)), np.float32)
    high[0, 0] = 2.0
    assert fitted.probability(high)[0] > 0.8
    assert fitted.probability(-high)[0] < 0.5
    assert abs(fitted.probability(low)[0] - 0.5) < 0.15
