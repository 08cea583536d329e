"""Near-duplicate pairs: pairs of photos whose feature vectors have cosine ≥ a threshold. No Django here.

Two ways in:
- :func:`pairs_between`, new photos against a gallery (the incremental check after indexing): an exact scan;
- :func:`self_join`, a whole gallery against itself. Exact in full dimension it costs n²·D (100k photos: 1.3e13
  flops), so rows are projected onto the top uncentred principal axes (as the ANN index does) plus one extra
  coordinate, the norm of what the projection leaves out. For unit vectors x, y split into projected and residual
  parts, x·y = xₚ·yₚ + xᵣ·yᵣ ≤ xₚ·yₚ + ‖xᵣ‖‖yᵣ‖, which is exactly the dot product of the augmented rows. So the
  cheap join over the augmented rows can only over-estimate: it misses no pair, and its candidates are verified
  exactly in full dimension.

Bounded output: each photo keeps its ``PAIRS_PER_PHOTO`` best pairs, and a pair is kept when either of its photos
keeps it (so a photo that has any copy stays linked to its closest one, and groups, the connected components, form
as they would from every pair as long as each photo has at most that many copies). A gallery of n photos thus
yields at most n·K pairs, and the join's time and memory stay bounded however many photos look alike (a class of
near-identical images would otherwise give a number of pairs quadratic in its size). Every kept pair is verified
in full dimension. In the projected join, a photo's candidates are its ``CANDIDATE_FACTOR``·K best by the bound;
its kept pairs are its K best of those (always its true K best while it has no more candidates than that, which
is the case of real galleries; in a class of near-identical images the bound, tight for near-copies, ranks them
almost as the exact cosine does).
"""

from __future__ import annotations

import numpy as np

from .ann import _fit_projection

Pair = tuple[int, int, float]  # (smaller id, larger id, cosine)

PAIRS_PER_PHOTO = 10  # K: pairs each photo keeps (chosen by bench.duplicates: keeps bursts of K + 1 whole)
CANDIDATE_FACTOR = 2  # projected join: candidates per photo by the bound, per pair kept, verified exactly
EXACT_JOIN_MAX = 4_000  # rows up to which the self-join runs exactly in full dimension
COMPONENTS = 96  # projected dimensions for larger joins (measured by bench.duplicates: candidates vs matmul time)
_BLOCK_ELEMENTS = 1 << 24  # scores per block: 64 MB of float32, whatever the gallery size
_VERIFY_CHUNK = 4096


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or not vectors.size:
        return vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


class _Best:
    """Per owner (a row position), the ``width`` highest scores offered so far and whom they pair it with."""

    def __init__(self, owners: int, width: int):
        self.width = width
        self.score = np.full((owners, width), -np.inf, dtype=np.float32)
        self.other = np.full((owners, width), -1, dtype=np.int64)
        self.floor = np.full(owners, -np.inf, dtype=np.float32)  # what a newcomer must beat: -inf until full

    def offer(self, owners: np.ndarray, others: np.ndarray, scores: np.ndarray) -> None:
        """Merge entries (owner, other, score); an (owner, other) is offered at most once over all calls."""
        keep = scores > self.floor[owners]
        owners, others, scores = owners[keep], others[keep], scores[keep]
        if not len(owners):
            return
        uniq, rank, (owners, others, scores) = _ranked(owners, scores, owners, others, scores)
        keep = rank < self.width
        row = np.searchsorted(uniq, owners[keep])
        new_score = np.full((len(uniq), self.width), -np.inf, dtype=np.float32)
        new_other = np.full((len(uniq), self.width), -1, dtype=np.int64)
        new_score[row, rank[keep]] = scores[keep]
        new_other[row, rank[keep]] = others[keep]
        merged_score = np.concatenate([self.score[uniq], new_score], axis=1)
        merged_other = np.concatenate([self.other[uniq], new_other], axis=1)
        best = np.argsort(-merged_score, axis=1, kind="stable")[:, : self.width]
        self.score[uniq] = np.take_along_axis(merged_score, best, axis=1)
        self.other[uniq] = np.take_along_axis(merged_other, best, axis=1)
        self.floor[uniq] = self.score[uniq, -1]

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        owner, slot = np.nonzero(self.other >= 0)
        return owner, self.other[owner, slot], self.score[owner, slot]


def _ranked(owners: np.ndarray, scores: np.ndarray, *columns: np.ndarray):
    """Entries sorted by owner then best score first: (distinct owners, each entry's rank within its owner,
    the columns in that order)."""
    order = np.lexsort((-scores, owners))
    owners = owners[order]
    uniq, start, counts = np.unique(owners, return_index=True, return_counts=True)
    rank = np.arange(len(owners)) - np.repeat(start, counts)
    return uniq, rank, tuple(column[order] for column in columns)


def _best_per_photo(first, second, similarity, per_photo: int, choosers: np.ndarray | None = None) -> np.ndarray:
    """Mask of the pairs kept when each photo (each of ``choosers`` if given) keeps its ``per_photo`` best:
    a pair is kept when either of its photos keeps it."""
    n = len(first)
    owners = np.concatenate([first, second])
    index = np.concatenate([np.arange(n), np.arange(n)])
    scores = np.concatenate([similarity, similarity])
    if choosers is not None:
        chooses = np.isin(owners, choosers)
        owners, index, scores = owners[chooses], index[chooses], scores[chooses]
    kept = np.zeros(n, dtype=bool)
    if len(owners):
        _, rank, (index,) = _ranked(owners, scores, index)
        kept[index[rank < per_photo]] = True
    return kept


def best_pairs(pairs: list[Pair], *, per_photo: int = PAIRS_PER_PHOTO, photos=None) -> list[Pair]:
    """The pairs kept when each photo (each of ``photos`` if given) keeps its ``per_photo`` best: e.g. to merge
    the incremental check's results over several parts of a gallery under one cap."""
    if not pairs:
        return []
    first, second, similarity = (np.array(column) for column in zip(*pairs))
    pairs = _pairs(first, second, similarity)  # each pair once, so that it takes one place in a photo's best
    first, second, similarity = (np.array(column) for column in zip(*pairs))
    choosers = None if photos is None else np.asarray(photos, dtype=np.int64)
    kept = _best_per_photo(first, second, similarity, per_photo, choosers)
    return _pairs(first[kept], second[kept], similarity[kept])


def pairs_between(
    new_ids: np.ndarray,
    new_vectors: np.ndarray,
    ids: np.ndarray,
    vectors: np.ndarray,
    threshold: float,
    *,
    normalised: bool = False,
    per_photo: int = PAIRS_PER_PHOTO,
) -> list[Pair]:
    """Each new photo's ``per_photo`` best pairs with gallery photos at cosine ≥ threshold, exact. A photo is
    never paired with itself; ``vectors`` may be a memory map of already unit rows (``normalised``)."""
    new_ids = np.asarray(new_ids, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    if not len(new_ids) or not len(ids):
        return []
    queries = unit_rows(new_vectors)
    best = _Best(len(new_ids), min(per_photo, len(ids)))
    step = max(1, _BLOCK_ELEMENTS // max(1, len(new_ids)))
    for start in range(0, len(ids), step):
        rows = np.asarray(vectors[start : start + step], dtype=np.float32)
        if not normalised:
            rows = unit_rows(rows)
        scores = rows @ queries.T  # (rows, new)
        hits = (scores >= threshold) & (ids[start : start + len(rows), None] != new_ids[None, :])
        hits = _thin(scores, hits, best.width, axis=0, floor=best.floor)
        r, q = _positions(hits)
        best.offer(q, start + r, scores[r, q])
    query, row, similarity = best.entries()
    return _pairs(new_ids[query], ids[row], similarity)


def self_join(
    ids: np.ndarray,
    vectors: np.ndarray,
    threshold: float,
    *,
    normalised: bool = False,
    components: int = COMPONENTS,
    exact_max: int = EXACT_JOIN_MAX,
    per_photo: int = PAIRS_PER_PHOTO,
) -> list[Pair]:
    """Pairs within one collection with cosine ≥ threshold, each photo keeping its ``per_photo`` best (see the
    module docstring); every pair returned is verified exactly."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    if n < 2:
        return []
    units = np.asarray(vectors, dtype=np.float32) if normalised else unit_rows(vectors)
    if n <= exact_max or components >= units.shape[1]:
        rows = units  # the "bound" is the cosine itself
        width = per_photo
    else:
        rows = _bounding_rows(units, components)
        width = CANDIDATE_FACTOR * per_photo
    first, second = _candidates(rows, threshold, min(width, n - 1))
    exact = np.empty(len(first), dtype=np.float32)
    for start in range(0, len(first), _VERIFY_CHUNK):
        a = np.asarray(units[first[start : start + _VERIFY_CHUNK]], dtype=np.float32)
        b = np.asarray(units[second[start : start + _VERIFY_CHUNK]], dtype=np.float32)
        exact[start : start + _VERIFY_CHUNK] = np.einsum("ij,ij->i", a, b)
    verified = exact >= threshold
    first, second, exact = first[verified], second[verified], exact[verified]
    kept = _best_per_photo(first, second, exact, per_photo)
    return _pairs(ids[first[kept]], ids[second[kept]], exact[kept])


def _bounding_rows(units: np.ndarray, components: int) -> np.ndarray:
    """Projected rows plus the residual-norm coordinate: their dot products bound the cosines from above."""
    n = len(units)
    projection = _fit_projection(units, n_components=components, sample=50_000)
    projected = np.empty((n, components + 1), dtype=np.float32)
    for start in range(0, n, 65_536):
        chunk = np.asarray(units[start : start + 65_536], dtype=np.float32)
        part = chunk @ projection.T
        projected[start : start + len(chunk), :components] = part
        # ‖xᵣ‖² = ‖x‖² − ‖xₚ‖²; the small slack covers float32 rounding so the bound stays an upper bound.
        residual = np.sum(chunk * chunk, axis=1) - np.sum(part * part, axis=1)
        projected[start : start + len(chunk), components] = np.sqrt(np.maximum(residual, 0)) + 1e-3
    return projected


def _candidates(rows: np.ndarray, threshold: float, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Upper-triangle blocked join of rows with themselves: distinct positions (i < j) of the pairs in which one
    of the two has the other among its ``width`` highest dot products ≥ threshold."""
    n = len(rows)
    best = _Best(n, width)
    block = max(1, min(n, _BLOCK_ELEMENTS // n))
    for start in range(0, n, block):
        stop = min(n, start + block)
        scores = np.asarray(rows[start:stop], dtype=np.float32) @ np.asarray(rows[start:], dtype=np.float32).T
        scores[:, : stop - start][np.tril_indices(stop - start)] = -np.inf  # each pair once, never a row with itself
        hits = scores >= threshold
        # A pair (i, j) is offered once to i's list (as a row) and once to j's (as a column).
        as_row = _thin(scores, hits, width, axis=1, floor=best.floor[start:stop])
        as_column = _thin(scores, hits, width, axis=0, floor=best.floor[start:])
        r, c = _positions(as_row)
        best.offer(start + r, start + c, scores[r, c])
        if as_column is not as_row:
            r, c = _positions(as_column)
        best.offer(start + c, start + r, scores[r, c])
    owner, other, _ = best.entries()
    pair = np.unique(np.minimum(owner, other) * n + np.maximum(owner, other))
    return pair // n, pair % n


def _positions(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of a 2-d mask's True entries: np.nonzero on 2-d is several times slower than on 1-d, and
    this runs on every block of the join."""
    return np.divmod(np.flatnonzero(mask), mask.shape[1])


def _thin(scores: np.ndarray, hits: np.ndarray, width: int, *, axis: int, floor: np.ndarray) -> np.ndarray:
    """``hits`` narrowed, where many, to those that beat their owner's ``floor`` (rows' owners for axis=1,
    columns' for axis=0) and are among its ``width`` highest in this block, so that a block of near-identical
    rows yields a bounded number of entries. Sparse blocks pass unchanged (their entries meet the floor later)."""
    if np.count_nonzero(hits) <= width * hits.shape[1 - axis]:
        return hits
    hits = hits & (scores > np.expand_dims(floor, axis))
    dense = np.flatnonzero(np.count_nonzero(hits, axis=axis) > width)
    if len(dense) and hits.shape[axis] > width:
        part = (slice(None), dense) if axis == 0 else (dense, slice(None))
        sub = np.where(hits[part], -scores[part], np.inf)
        kth = -np.partition(sub, width - 1, axis=axis).take(width - 1, axis=axis)
        hits[part] &= scores[part] >= np.expand_dims(kth, axis)
    return hits


def _pairs(a: np.ndarray, b: np.ndarray, similarity: np.ndarray) -> list[Pair]:
    """Sorted (smaller id, larger id, cosine), each pair once."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((high, low))
    low, high, similarity = low[order], high[order], np.asarray(similarity, dtype=np.float64)[order]
    first = np.ones(len(low), dtype=bool)
    first[1:] = (low[1:] != low[:-1]) | (high[1:] != high[:-1])
    return list(zip(low[first].tolist(), high[first].tolist(), similarity[first].tolist()))


def groups(pairs: list[Pair]) -> list[set[int]]:
    """Connected components of the pair graph (each a set of ids), largest first."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    components: dict[int, set[int]] = {}
    for x in list(parent):
        components.setdefault(find(x), set()).add(x)
    return sorted(components.values(), key=lambda g: (-len(g), min(g)))
