"""Near-duplicate pairs: every pair of photos whose feature vectors have cosine ≥ a threshold. No Django here.

Two ways in:
- :func:`pairs_between`, new photos against a gallery (the incremental check after indexing): an exact scan;
- :func:`self_join`, a whole gallery against itself. Exact in full dimension it costs n²·D (100k photos: 1.3e13
  flops), so rows are projected onto the top uncentred principal axes (as the ANN index does) plus one extra
  coordinate, the norm of what the projection leaves out. For unit vectors x, y split into projected and residual
  parts, x·y = xₚ·yₚ + xᵣ·yᵣ ≤ xₚ·yₚ + ‖xᵣ‖‖yᵣ‖, which is exactly the dot product of the augmented rows. So the
  cheap join over the augmented rows can only over-estimate: it keeps every true pair (no recall is lost), and its
  few extra candidates are verified exactly in full dimension.
"""

from __future__ import annotations

import numpy as np

from .ann import _fit_projection

Pair = tuple[int, int, float]  # (smaller id, larger id, cosine)

EXACT_JOIN_MAX = 4_000  # rows up to which the self-join runs exactly in full dimension
COMPONENTS = 96  # projected dimensions for larger joins (measured by bench.duplicates: candidates vs matmul time)
_BLOCK_ELEMENTS = 1 << 24  # scores per block: 64 MB of float32, whatever the gallery size


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or not vectors.size:
        return vectors
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def pairs_between(
    new_ids: np.ndarray,
    new_vectors: np.ndarray,
    ids: np.ndarray,
    vectors: np.ndarray,
    threshold: float,
    *,
    normalised: bool = False,
) -> list[Pair]:
    """Pairs (new photo, gallery photo) with cosine ≥ threshold, exact. A photo is never paired with itself;
    ``vectors`` may be a memory map of already unit rows (``normalised``)."""
    new_ids = np.asarray(new_ids, dtype=np.int64)
    ids = np.asarray(ids, dtype=np.int64)
    if not len(new_ids) or not len(ids):
        return []
    queries = unit_rows(new_vectors)
    found: dict[tuple[int, int], float] = {}
    step = max(1, _BLOCK_ELEMENTS // max(1, len(new_ids)))
    for start in range(0, len(ids), step):
        rows = np.asarray(vectors[start : start + step], dtype=np.float32)
        if not normalised:
            rows = unit_rows(rows)
        scores = rows @ queries.T  # (rows, new)
        for r, q in zip(*np.nonzero(scores >= threshold)):
            a, b = int(ids[start + r]), int(new_ids[q])
            if a != b:
                found[(min(a, b), max(a, b))] = float(scores[r, q])
    return [(a, b, s) for (a, b), s in sorted(found.items())]


def self_join(
    ids: np.ndarray,
    vectors: np.ndarray,
    threshold: float,
    *,
    normalised: bool = False,
    components: int = COMPONENTS,
    exact_max: int = EXACT_JOIN_MAX,
) -> list[Pair]:
    """Every pair within one collection with cosine ≥ threshold (exact result, see the module docstring)."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    if n < 2:
        return []
    units = np.asarray(vectors, dtype=np.float32) if normalised else unit_rows(vectors)
    if n <= exact_max or components >= units.shape[1]:
        first, second, similarity = _join(units, threshold)
        return _pairs(ids, first, second, similarity)
    projection = _fit_projection(units, n_components=components, sample=50_000)
    projected = np.empty((n, components + 1), dtype=np.float32)
    for start in range(0, n, 65_536):
        chunk = np.asarray(units[start : start + 65_536], dtype=np.float32)
        part = chunk @ projection.T
        projected[start : start + len(chunk), :components] = part
        # ‖xᵣ‖² = ‖x‖² − ‖xₚ‖²; the small slack covers float32 rounding so the bound stays an upper bound.
        residual = np.sum(chunk * chunk, axis=1) - np.sum(part * part, axis=1)
        projected[start : start + len(chunk), components] = np.sqrt(np.maximum(residual, 0)) + 1e-3
    first, second, _ = _join(projected, threshold)
    exact = np.empty(len(first), dtype=np.float32)
    for start in range(0, len(first), 4096):
        a = np.asarray(units[first[start : start + 4096]], dtype=np.float32)
        b = np.asarray(units[second[start : start + 4096]], dtype=np.float32)
        exact[start : start + 4096] = np.einsum("ij,ij->i", a, b)
    keep = exact >= threshold
    return _pairs(ids, first[keep], second[keep], exact[keep])


def _pairs(ids: np.ndarray, first: np.ndarray, second: np.ndarray, similarity: np.ndarray) -> list[Pair]:
    a, b = ids[first], ids[second]
    return sorted(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), similarity.tolist()))


def _join(rows: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper-triangle blocked join of rows with themselves: (positions i < j, and their dot products ≥ threshold)."""
    n = len(rows)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    block = max(1, min(n, _BLOCK_ELEMENTS // n))
    for start in range(0, n, block):
        stop = min(n, start + block)
        scores = np.asarray(rows[start:stop], dtype=np.float32) @ np.asarray(rows[start:], dtype=np.float32).T
        r, c = np.nonzero(scores >= threshold)
        keep = c > r  # upper triangle: each pair once, never a row with itself
        r, c = r[keep], c[keep]
        found.append((start + r, start + c, scores[r, c]))
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    return tuple(np.concatenate(parts) for parts in zip(*found))


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
