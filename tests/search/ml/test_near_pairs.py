"""The pair join: each photo keeps its K best pairs (exact, ≥ threshold), planted groups are found whole, the
projected join finds what the exact one does; groups are components."""

import numpy as np

from search.ml import near_pairs

K = near_pairs.PAIRS_PER_PHOTO


def planted(n=600, dim=256, seed=0):
    """Non-negative rows (like ReLU features) with a shared direction, plus noisy copies of every 10th row.
    Below ~0.9 nearly every pair qualifies: a dense set."""
    rng = np.random.default_rng(seed)
    basis = np.maximum(rng.normal(0, 1, (24, dim)), 0)
    rows = np.maximum(rng.normal(0, 1, (n, 24)), 0) @ basis + np.maximum(rng.normal(0, 0.3, (n, dim)), 0)
    rows[1::10] = rows[0::10] + np.abs(rng.normal(0, 0.5, rows[0::10].shape))
    return np.arange(100, 100 + n), rows.astype(np.float32)


def bursts(sizes, n=3000, dim=256, seed=1):
    """Distinct rows (cosines far below 0.9) and, for each size, a group of that many near-copies of one row."""
    rng = np.random.default_rng(seed)
    rows = np.abs(rng.normal(0, 1, (n, dim))) ** 3
    groups, start = [], 0
    for size in sizes:
        base = rows[start]
        rows[start : start + size] = base + 0.15 * np.abs(rng.normal(0, 1, (size, dim))) * base.mean()
        groups.append(set(range(start, start + size)))
        start += size
    return np.arange(n), rows.astype(np.float32), groups


def cosines(rows):
    units = near_pairs.unit_rows(rows)
    return units @ units.T


def best_k_reference(ids, rows, threshold, k=K):
    """Brute force: every photo's k best pairs ≥ threshold; a pair is kept when either photo keeps it."""
    similarity = cosines(rows)
    np.fill_diagonal(similarity, -np.inf)
    kept = set()
    for i, row in enumerate(similarity):
        js = np.flatnonzero(row >= threshold)
        for j in js[np.argsort(-row[js], kind="stable")][:k]:
            kept.add((int(min(ids[i], ids[j])), int(max(ids[i], ids[j]))))
    return kept


def chosen_per_photo(pairs):
    """How many of its pairs each photo keeps itself: those among its K best stored pairs."""
    counts = {}
    for a, b, s in pairs:
        for photo in (a, b):
            counts.setdefault(photo, []).append(s)
    return {photo: min(len(s), K) for photo, s in counts.items()}


def assert_capped_and_exact(pairs, ids, rows, threshold):
    """Every pair exact and ≥ threshold, each one of the K best of one of its photos, at most K per photo chosen."""
    similarity = cosines(rows)
    position = {int(i): p for p, i in enumerate(ids)}
    for a, b, s in pairs:
        assert s >= threshold
        assert abs(s - similarity[position[a], position[b]]) < 1e-5
    assert near_pairs.best_pairs(pairs) == pairs  # no pair is outside both of its photos' K best
    assert len(pairs) <= K * len(ids)


def test_projected_self_join_without_a_cap_equals_exact_join():
    ids, rows = planted()
    exact = near_pairs.self_join(ids, rows, 0.95, exact_max=10_000, per_photo=len(ids))
    projected = near_pairs.self_join(ids, rows, 0.95, exact_max=0, components=16, per_photo=len(ids))
    assert len(exact) >= 60  # the planted copies at least
    assert [(a, b) for a, b, _ in projected] == [(a, b) for a, b, _ in exact]
    assert np.allclose([s for *_, s in projected], [s for *_, s in exact], atol=1e-5)


def test_each_photo_keeps_exactly_its_k_best_pairs_on_a_dense_set():
    ids, rows = planted()
    everything = int((cosines(rows) >= 0.8).sum() - len(ids)) // 2
    pairs = near_pairs.self_join(ids, rows, 0.8, exact_max=10_000)
    assert everything > 100 * len(ids)  # dense: hundreds of pairs per photo
    assert {(a, b) for a, b, _ in pairs} == best_k_reference(ids, rows, 0.8)
    assert_capped_and_exact(pairs, ids, rows, 0.8)


def test_projected_join_holds_the_cap_on_a_dense_set():
    ids, rows = planted()
    pairs = near_pairs.self_join(ids, rows, 0.8, exact_max=0, components=16)
    assert_capped_and_exact(pairs, ids, rows, 0.8)
    assert len(pairs) >= len(ids) * K // 2  # and keeps pairs for every photo, not a few
    assert {a for a, *_ in pairs} | {b for _, b, _ in pairs} == set(ids.tolist())


def test_planted_groups_up_to_k_plus_one_are_found_whole_by_the_capped_joins():
    ids, rows, planted_groups = bursts([2, 3, 5, 8, K + 1, K + 1, 4])
    uncapped = near_pairs.self_join(ids, rows, 0.9, exact_max=10_000, per_photo=len(ids))
    for exact_max in (10_000, 0):  # exact and projected joins
        pairs = near_pairs.self_join(ids, rows, 0.9, exact_max=exact_max, components=32)
        assert near_pairs.groups(pairs) == sorted(planted_groups, key=lambda g: (-len(g), min(g)))
        assert [p[:2] for p in pairs] == [p[:2] for p in uncapped]  # every copy keeps every pair of its group


def test_pairs_between_keeps_each_new_photos_k_best_and_never_itself():
    ids, rows = planted()
    new = np.arange(0, 60, 3)  # some of them with a planted copy, all in the dense part
    pairs = near_pairs.pairs_between(ids[new], rows[new], ids, rows, 0.8)
    similarity = cosines(rows)
    expected = set()
    for q in new:
        row = similarity[q].copy()
        row[q] = -np.inf
        js = np.flatnonzero(row >= 0.8)
        expected |= {(int(min(ids[q], ids[j])), int(max(ids[q], ids[j]))) for j in js[np.argsort(-row[js])][:K]}
    assert {(a, b) for a, b, _ in pairs} == expected
    assert all(a != b and s >= 0.8 for a, b, s in pairs)
    assert near_pairs.best_pairs(pairs, photos=ids[new]) == pairs


def test_pairs_between_finds_new_rows_copies():
    ids, rows = planted()
    new_ids, new_rows = ids[:20:10], rows[:20:10]  # rows 0 and 10, whose copies are rows 1 and 11
    pairs = near_pairs.pairs_between(new_ids, new_rows, ids, rows, 0.95)
    assert {(a, b) for a, b, _ in pairs} >= {(100, 101), (110, 111)}


def test_best_pairs_merges_parts_under_one_cap_per_chooser():
    pairs = [(1, 10 + j, 0.9 - j / 100) for j in range(K + 3)] + [(2, 3, 0.95)]
    kept = near_pairs.best_pairs(pairs + pairs[:2], photos=[1])  # a pair found in two parts counts once
    assert kept == sorted(pairs[:K])  # photo 1 chooses; (2, 3) was nobody's choice
    assert near_pairs.best_pairs(pairs) == sorted(pairs)  # each of 10… keeps its only pair


def test_groups_are_connected_components_largest_first():
    pairs = [(1, 2, 0.9), (2, 3, 0.9), (7, 8, 0.95)]
    assert near_pairs.groups(pairs) == [{1, 2, 3}, {7, 8}]
