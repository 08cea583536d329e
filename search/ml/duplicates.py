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


def pairs_between(new_ids: np.ndarray, new_vectors: np.ndarray, ids: np.ndarray, vectors: np.ndarray,
                  threshold: float, *, normalised: bool = False) -> list[Pair]:
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


def self_join(ids: np.ndarray, vectors: np.ndarray, threshold: float, *, normalised: bool = False,
              components: int = COMPONENTS, exact_max: int = EXACT_JOIN_MAX) -> list[Pair]:
    """Every pair within one collection with cosine ≥ threshold (exact result, see the module docstring)."""
    ids = np.asarray(ids, dtype=np.int64)
    n = len(ids)
    if n < 2:
        return []
    units = np.asarray(vectors, dtype=np.float32) if normalised else unit_rows(vectors)
    if n <= exact_max or components >= units.shape[1]:
        return _join(ids, units, units, threshold)
    projection = _fit_projection(units, n_components=components, sample=50_000)
    projected = np.empty((n, components + 1), dtype=np.float32)
    for start in range(0, n, 65_536):
        chunk = np.asarray(units[start : start + 65_536], dtype=np.float32)
        part = chunk @ projection.T
        projected[start : start + len(chunk), :components] = part
        # ‖xᵣ‖² = ‖x‖² − ‖xₚ‖²; the small slack covers float32 rounding so the bound stays an upper bound.
        residual = np.sum(chunk * chunk, axis=1) - np.sum(part * part, axis=1)
        projected[start : start + len(chunk), components] = np.sqrt(np.maximum(residual, 0)) + 1e-3
    candidates = _join(ids, projected, projected, threshold, positions=True)
    if not candidates:
        return []
    first = np.fromiter((a for a, _, _ in candidates), dtype=np.int64, count=len(candidates))
    second = np.fromiter((b for _, b, _ in candidates), dtype=np.int64, count=len(candidates))
    exact = np.empty(len(candidates), dtype=np.float32)
    for start in range(0, len(candidates), 4096):
        a = np.asarray(units[first[start : start + 4096]], dtype=np.float32)
        b = np.asarray(units[second[start : start + 4096]], dtype=np.float32)
        exact[start : start + 4096] = np.einsum("ij,ij->i", a, b)
    keep = np.flatnonzero(exact >= threshold)
    pairs = [(int(ids[first[i]]), int(ids[second[i]]), float(exact[i])) for i in keep]
    return sorted((min(a, b), max(a, b), s) for a, b, s in pairs)


def _join(ids: np.ndarray, left: np.ndarray, right: np.ndarray, threshold: float, *,
          positions: bool = False) -> list[Pair]:
    """Upper-triangle blocked join of a collection with itself (left and right are the same rows)."""
    n = len(ids)
    out: list[Pair] = []
    block = max(1, min(n, _BLOCK_ELEMENTS // n))
    for start in range(0, n, block):
        stop = min(n, start + block)
        scores = np.asarray(left[start:stop], dtype=np.float32) @ np.asarray(right[start:], dtype=np.float32).T
        rows, cols = np.nonzero(scores >= threshold)
        keep = cols > rows  # upper triangle: each pair once, never a row with itself
        for r, c in zip(rows[keep], cols[keep]):
            i, j = start + int(r), start + int(c)
            if positions:
                out.append((i, j, float(scores[r, c])))
            else:
                a, b = int(ids[i]), int(ids[j])
                out.append((min(a, b), max(a, b), float(scores[r, c])))
    return out


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
