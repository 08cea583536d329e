"""The pair join: the projected self-join finds exactly the pairs of the exact one; groups are components."""

import numpy as np

from search.ml import duplicates


def planted(n=600, dim=256, seed=0):
    """Non-negative rows (like ReLU features) with a shared direction, plus noisy copies of every 10th row."""
    rng = np.random.default_rng(seed)
    basis = np.maximum(rng.normal(0, 1, (24, dim)), 0)
    rows = np.maximum(rng.normal(0, 1, (n, 24)), 0) @ basis + np.maximum(rng.normal(0, 0.3, (n, dim)), 0)
    rows[1::10] = rows[0::10] + np.abs(rng.normal(0, 0.5, rows[0::10].shape))
    return np.arange(100, 100 + n), rows.astype(np.float32)


def test_projected_self_join_equals_exact_join():
    ids, rows = planted()
    exact = duplicates.self_join(ids, rows, 0.95, exact_max=10_000)
    projected = duplicates.self_join(ids, rows, 0.95, exact_max=0, components=16)
    assert len(exact) >= 60  # the planted copies at least
    assert [(a, b) for a, b, _ in projected] == [(a, b) for a, b, _ in exact]
    assert np.allclose([s for *_, s in projected], [s for *_, s in exact], atol=1e-5)


def test_pairs_between_finds_new_rows_copies_and_never_itself():
    ids, rows = planted()
    new_ids, new_rows = ids[:20:10], rows[:20:10]  # rows 0 and 10, whose copies are rows 1 and 11
    pairs = duplicates.pairs_between(new_ids, new_rows, ids, rows, 0.95)
    assert {(a, b) for a, b, _ in pairs} >= {(100, 101), (110, 111)}
    assert all(a != b for a, b, _ in pairs)


def test_groups_are_connected_components_largest_first():
    pairs = [(1, 2, 0.9), (2, 3, 0.9), (7, 8, 0.95)]
    assert duplicates.groups(pairs) == [{1, 2, 3}, {7, 8}]
