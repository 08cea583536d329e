"""Calibrated tag suggestions (search.ml.suggest) without Django: the stored calibration, rejections, ECE."""

import numpy as np

from search.ml import suggest


def candidates(rows: list[list[tuple[str, float]]]) -> suggest.Candidates:
    """Candidates whose single feature column is the probability itself (with an identity calibration)."""
    return suggest.Candidates(
        [[t for t, _ in row] for row in rows],
        [
            np.array([[p] + [0.0] * (len(suggest.FEATURES) - 1) for _, p in row], np.float32).reshape(
                len(row), len(suggest.FEATURES)
            )
            for row in rows
        ],
    )


def identity_probabilities(c: suggest.Candidates) -> list[np.ndarray]:
    return [f[:, 0] for f in c.features]


def test_stored_calibration_loads_and_gives_probabilities():
    calibration = suggest.load_calibration()
    p = calibration.probability(np.random.default_rng(0).normal(size=(20, len(suggest.FEATURES))).astype(np.float32))
    assert ((p >= 0) & (p <= 1)).all()
    assert "suggest_ece_photos" in calibration.report


def test_at_most_the_limit_above_the_threshold_best_first():
    c = candidates([[("a", 0.9), ("b", 0.4), ("c", 0.95), ("d", 0.7), ("e", 0.6), ("f", 0.8), ("g", 0.55)]])
    shown = suggest.suggest(c, None, probabilities=identity_probabilities(c), limit=5, threshold=0.5)[0]
    assert [t for t, _ in shown] == ["c", "a", "f", "d", "e"]


def test_rejections_lower_a_tags_probability_unless_outweighed_by_acceptances():
    c = candidates([[("cat", 0.9), ("pet", 0.6)]])
    p = identity_probabilities(c)
    assert [t for t, _ in suggest.suggest(c, None, probabilities=p, rejections={"cat": (0, 3)})[0]] == ["pet"]
    assert [t for t, _ in suggest.suggest(c, None, probabilities=p, rejections={"cat": (9, 1)})[0]] == ["cat", "pet"]
