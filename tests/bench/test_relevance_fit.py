"""Fitting the relevance labels' thresholds (bench.relevance_fit)."""

import numpy as np
import pytest

from bench import relevance_fit


def test_threshold_is_the_lowest_score_that_keeps_the_precision():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    right = np.array([True, True, False, True, False])
    # ≥ 0.6: 3 of 4 right; ≥ 0.5: 3 of 5.
    assert relevance_fit.fit_threshold(scores, right, precision=0.75) == 0.6
    assert relevance_fit.fit_threshold(scores, right, precision=0.6) == 0.5


def test_threshold_keeps_ties_together():
    scores = np.array([0.9, 0.5, 0.5])
    right = np.array([True, True, False])
    assert relevance_fit.fit_threshold(scores, right, precision=0.6) == 0.5


def test_threshold_no_score_reaches_when_nothing_is_precise_enough():
    assert relevance_fit.fit_threshold(np.array([0.9, 0.4]), np.array([False, False]), precision=0.5) > 0.9


def test_fit_reports_the_precision_and_recall_it_reaches():
    scores, right = np.array([0.9, 0.8, 0.7, 0.2]), np.array([True, True, False, True])
    found = relevance_fit.fit(scores, right)
    report = relevance_fit.measure(scores, right, found)
    assert found.strong == pytest.approx(0.8)
    assert (report["strong_precision"], report["strong_recall"]) == (1.0, pytest.approx(0.667, abs=1e-3))
