"""Vectors → nearest neighbours by cosine, behind a small swappable interface.

An index version is an immutable directory ``<name>.<version>/`` holding ``manifest.json`` plus ``.npy``/``.ann``
files. It is written under a temporary name and published with one directory rename, so a reader that can see a
version sees all of it. Versions are never modified, only superseded and later removed by :func:`remove_stale`, which
makes a per-process cache keyed by path safe. No Django here: callers pass the directory.

Class-conditioned similarity is cosine(q⊙w, x⊙w). The approximate index is probed with the plain query and a wider
candidate set is reranked with the exact conditioned cosine: a near-duplicate of q stays near under any per-dimension
reweighting, and measured on 5k Lite0 Fashion-MNIST features this finds the conditioned top 10 far better than
probing with q⊙w² (recall@10 0.95 vs 0.75 from 100 candidates, 0.99 vs 0.96 from 400), because Annoy's angle to q⊙w² ignores the ‖x⊙w‖ normaliser
and so favours items that are merely large on the few heaviest dimensions.
"""

from __future__ import annotations

import functools
import json
import shutil
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Collection
from pathlib import Path
from typing import Any, ClassVar

import annoy
import numpy as np

Neighbour = tuple[int, float]

MANIFEST = "manifest.json"
FORMAT_VERSION = 1

# Up to this many vectors a numpy scan is faster than Annoy + rerank, and exact (bench.search --crossover, Lite0
# Fashion-MNIST features, 2 cores, plain p50: 0.11 vs 0.22 ms at 1k, 0.21 vs 0.29 ms at 2k, 1.15 vs 0.42 ms at 5k).
EXACT_MAX_SIZE = 2_000
# Low-dimensional spaces (the 50-d word space of text search) scan fast, while Annoy over them struggles with the
# many near-ties: at 100k × 50-d exact takes ~1.1 ms against Annoy's 1.5 ms at recall@10 0.84 (bench.search).
LOW_DIM = 64
LOW_DIM_EXACT_MAX_SIZE = 150_000


def default_kind(n: int, dim: int) -> str:
    exact = n <= EXACT_MAX_SIZE or (dim <= LOW_DIM and n <= LOW_DIM_EXACT_MAX_SIZE)
    return "exact" if exact else "annoy"


def annoy_params(n: int) -> dict[str, Any]:
    """Default AnnoyIndex parameters for n vectors (overridable per build; the chosen values go in the manifest).

    At fixed query effort recall@10 falls as the collection grows. Measured (bench.search --sweep, Lite0 Fashion-MNIST
    features, 64 trees): plain effort ∝ n^0.25 holds recall@10 near 0.99 at 100k and 0.98 at 1M within the latency
    budget; conditioned queries rerank a wider pool of plain neighbours (see module docstring), grown ∝ n^0.4.
    """
    small, large = n**0.25, n**0.4  # 10, 40 at 10k; 17.8, 100 at 100k; 31.6, 251 at 1M
    return {
        "components": 128,  # PCA dimensions the trees are built on; the full 1280-d rerank restores precision
        "pca_sample": 50_000,  # rows used to fit the PCA; the spectrum is stable well before this
        "n_trees": 64,  # 1M builds in ~60 s on 2 cores; at equal latency 64 trees beat 32 by ~0.015 recall@10
        "search_k": round(675 * small),  # Annoy nodes inspected per plain query
        "rerank": max(100, round(13.5 * small)),  # candidates reranked exactly in the full space
        "conditioned_search_k": round(120 * large),
        "conditioned_rerank": max(400, round(12 * large)),
    }


# Elements per streamed matrix-vector step. OpenBLAS multithreads a product above ~400k elements; on a busy 2-core
# host that waits on threads for up to 15 ms per call, while one thread is memory-bound anyway (measured). Rows per
# step follow from the dimension: 256 at 1280-d, 5,242 at 50-d (where per-step overhead would otherwise dominate).
_CHUNK_ELEMENTS = 327_680
_ABANDONED_AFTER = 24 * 3600  # seconds; far longer than any build
_BUILD_CHUNK = 65_536  # rows per build step (matrix-matrix products, where threads do pay)


class IndexGone(FileNotFoundError):
    """The version was removed (superseded and garbage-collected) before it could be loaded."""


class VectorIndex(ABC):
    """Immutable nearest-neighbour index over unit-normalised float32 vectors, cosine similarity."""

    kind: ClassVar[str]

    def __init__(self, *, path: Path, ids: np.ndarray, vectors: np.ndarray, params: dict[str, Any]):
        self.path = path
        self.ids = ids
        self.vectors = vectors
        self.params = params

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @abstractmethod
    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        weights: np.ndarray | None = None,
        exclude: Collection[int] = (),
    ) -> list[Neighbour]:
        """Return up to k (id, cosine) pairs, best first; with weights, cosine(q⊙w, x⊙w).

        `exclude` is for a few ids (the query photo, deletions since the build): each widens the candidate pool.
        """

    @classmethod
    def _write(cls, directory: Path, vectors: np.ndarray, params: dict[str, Any]) -> dict[str, Any]:
        """Write implementation-specific files; return the params to record in the manifest."""
        return params


class ExactIndex(VectorIndex):
    """Full numpy scan: exact, no build cost; the right choice for small collections."""

    kind = "exact"

    def search(self, query, k, *, weights=None, exclude=()):
        return _exact_search(self.ids, self.vectors, query, k, weights=weights, exclude=exclude, normalised=True)


class AnnoyIndex(VectorIndex):
    """Angular Annoy over an uncentred PCA projection, candidates reranked exactly in the full space.

    The projection is uncentred (eigenvectors of E[xxᵀ]) so that projected dot products approximate the full-space
    cosine of unit vectors; centring would make Annoy rank by a different quantity than the one we rerank by.
    """

    kind = "annoy"

    def __init__(self, *, path, ids, vectors, params):
        super().__init__(path=path, ids=ids, vectors=vectors, params=params)
        self.components = np.load(path / "components.npy")
        self.annoy = annoy.AnnoyIndex(self.components.shape[0], "angular")
        if len(ids):
            self.annoy.load(str(path / "index.ann"))

    def search(self, query, k, *, weights=None, exclude=()):
        query = np.asarray(query, dtype=np.float32)
        n = len(self)
        conditioned = weights is not None
        candidates = self.params["conditioned_rerank" if conditioned else "rerank"]
        candidates = max(candidates, k) + len(exclude)
        if k <= 0 or n == 0:
            return []
        if candidates >= n:
            return _exact_search(self.ids, self.vectors, query, k, weights=weights, exclude=exclude, normalised=True)
        if not query.any():
            return []
        search_k = max(candidates, self.params["conditioned_search_k" if conditioned else "search_k"])
        positions = self.annoy.get_nns_by_vector((self.components @ query).tolist(), candidates, search_k=search_k)
        positions = np.sort(np.asarray(positions, dtype=np.int64))  # sorted reads are kinder to the memory map
        return _exact_search(
            self.ids[positions], self.vectors[positions], query, k, weights=weights, exclude=exclude, normalised=True
        )

    @classmethod
    def _write(cls, directory, vectors, params):
        params = {**annoy_params(len(vectors)), **params}
        components = _fit_projection(vectors, n_components=params["components"], sample=params["pca_sample"])
        np.save(directory / "components.npy", components)
        index = annoy.AnnoyIndex(components.shape[0], "angular")
        index.on_disk_build(str(directory / "index.ann"))
        for start in range(0, len(vectors), _BUILD_CHUNK):
            projected = vectors[start : start + _BUILD_CHUNK] @ components.T
            for offset, row in enumerate(projected):
                index.add_item(start + offset, row)
        index.build(params["n_trees"], n_jobs=-1)
        index.unload()
        return {**params, "components": int(components.shape[0])}


_KINDS: dict[str, type[VectorIndex]] = {cls.kind: cls for cls in (ExactIndex, AnnoyIndex)}


def exact_search(
    ids: np.ndarray,
    vectors: np.ndarray,
    query: np.ndarray,
    k: int,
    weights: np.ndarray | None = None,
    exclude: Collection[int] = (),
) -> list[Neighbour]:
    """Exact cosine top-k over raw (not necessarily normalised) rows, e.g. vectors added since the last build."""
    return _exact_search(ids, vectors, query, k, weights=weights, exclude=exclude, normalised=False)


def _exact_search(ids, vectors, query, k, *, weights, exclude, normalised) -> list[Neighbour]:
    n = len(ids)
    if k <= 0 or n == 0:
        return []
    query = np.asarray(query, dtype=np.float32)
    if weights is None:
        probe, row_weights = query, None
        query_norm = np.linalg.norm(query)
    else:
        w2 = np.square(weights, dtype=np.float32)
        probe, row_weights = query * w2, w2
        query_norm = np.sqrt(np.dot(query * query, w2))
    if query_norm == 0:
        return []
    scores = np.empty(n, dtype=np.float32)
    step = max(1, _CHUNK_ELEMENTS // max(1, vectors.shape[1]))
    for start in range(0, n, step):
        rows = np.asarray(vectors[start : start + step], dtype=np.float32)
        dots = rows @ probe
        if row_weights is not None:
            norms = np.sqrt(np.square(rows) @ row_weights)
        elif not normalised:
            norms = np.linalg.norm(rows, axis=1)
        else:
            norms = None
        if norms is not None:
            dots = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        scores[start : start + len(rows)] = dots
    scores /= query_norm
    if len(exclude):
        scores[np.isin(ids, np.fromiter(exclude, dtype=np.int64, count=len(exclude)))] = -np.inf
    top = _top_k(scores, min(k, n))
    top = top[np.isfinite(scores[top])]
    return [(int(i), float(s)) for i, s in zip(ids[top], scores[top])]


_SAMPLE_STRIDE = 16


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest scores, best first.

    A full argpartition of 100k scores costs ~0.8 ms, more than the scan itself at 50-d. The k-th largest of every
    16th score is a lower bound for the true k-th largest, so filtering by it keeps all of the top k while leaving
    only ~16·k candidates to partition.
    """
    candidates = np.arange(len(scores))
    if len(scores) > 64 * _SAMPLE_STRIDE * k:
        sample = scores[::_SAMPLE_STRIDE]
        threshold = np.partition(sample, len(sample) - k)[len(sample) - k]
        candidates = np.flatnonzero(scores >= threshold)
    if len(candidates) > k:
        candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
    return candidates[np.argsort(-scores[candidates], kind="stable")]


def _fit_projection(vectors: np.ndarray, *, n_components: int, sample: int) -> np.ndarray:
    """Top eigenvectors of the uncentred second moment of a row sample, as (n_components, D) float32."""
    n, dim = vectors.shape
    n_components = min(n_components, dim)
    if n == 0:
        return np.eye(n_components, dim, dtype=np.float32)
    rows = np.sort(np.random.default_rng(0).choice(n, size=min(n, sample), replace=False))
    x = np.asarray(vectors[rows], dtype=np.float64)
    _, eigenvectors = np.linalg.eigh(x.T @ x)
    return np.ascontiguousarray(eigenvectors[:, ::-1][:, :n_components].T, dtype=np.float32)


def build_index(
    *,
    ids: np.ndarray,
    vectors: np.ndarray,
    directory: Path,
    name: str,
    params: dict[str, Any] | None = None,
) -> Path:
    """Build and atomically publish a new version of index `name` under `directory`; return its path.

    params: ``kind`` ("exact" | "annoy"; default by size and dimension, see default_kind) plus implementation parameters
    (annoy_params). Rows are unit-normalised here; zero rows stay zero and never match.
    """
    if "." in name or "/" in name:
        raise ValueError(f"index name must not contain '.' or '/': {name!r}")
    ids = np.asarray(ids, dtype=np.int64)
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or len(ids) != len(vectors):
        raise ValueError(f"need ids (N,) and vectors (N, D); got {ids.shape} and {vectors.shape}")
    params = dict(params or {})
    kind = params.pop("kind", default_kind(len(ids), vectors.shape[1]))
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f".tmp-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        started = time.perf_counter()
        np.save(staging / "ids.npy", ids)
        normalised = np.lib.format.open_memmap(
            staging / "vectors.npy", mode="w+", dtype=np.float32, shape=vectors.shape
        )
        for start in range(0, len(vectors), _BUILD_CHUNK):
            chunk = vectors[start : start + _BUILD_CHUNK]
            norms = np.linalg.norm(chunk, axis=1, keepdims=True)
            normalised[start : start + len(chunk)] = np.divide(chunk, norms, out=np.zeros_like(chunk), where=norms > 0)
        normalised.flush()
        params = _KINDS[kind]._write(staging, normalised, params)
        del normalised
        manifest = {
            "format": FORMAT_VERSION,
            "kind": kind,
            "name": name,
            "size": len(ids),
            "dim": int(vectors.shape[1]),
            "params": params,
            "build_seconds": round(time.perf_counter() - started, 3),
            "created": time.time(),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
        return _publish(staging, directory, name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _publish(staging: Path, directory: Path, name: str) -> Path:
    while True:
        final = directory / f"{name}.{time.time_ns()}"
        try:
            staging.rename(final)  # atomic; fails rather than overwrite if the name is taken
        except OSError:
            if final.exists():
                continue
            raise
        return final


def load_index(path: Path) -> VectorIndex:
    """Load a published version (cached per process: versions are immutable). Raises IndexGone if removed."""
    return _load(str(Path(path).resolve()))


@functools.lru_cache(maxsize=16)
def _load(path: str) -> VectorIndex:
    directory = Path(path)
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        ids = np.load(directory / "ids.npy")
        vectors = np.load(directory / "vectors.npy", mmap_mode="r")
        return _KINDS[manifest["kind"]](path=directory, ids=ids, vectors=vectors, params=manifest["params"])
    except OSError as exc:  # Annoy reports a missing file as a bare OSError
        if not (directory / MANIFEST).exists():
            raise IndexGone(path) from exc
        raise


def versions(directory: Path, name: str) -> list[Path]:
    """Published versions of `name`, oldest first."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.glob(f"{name}.*") if p.name.rpartition(".")[2].isdigit()]
    return sorted(found, key=lambda p: int(p.name.rpartition(".")[2]))


def remove_stale(directory: Path, name: str, *, keep: int = 2) -> list[Path]:
    """Delete all but the newest `keep` versions of `name`; return what was removed.

    A version is first renamed out of the namespace (atomic), so readers see it whole or not at all; processes that
    already memory-mapped it keep working because the files stay alive until unmapped. Leftovers of builds or
    removals that were killed midway are swept once they are a day old.
    """
    stale = versions(directory, name)[: -keep or None]
    for path in stale:
        trash = directory / f".trash-{uuid.uuid4().hex}"
        path.rename(trash)
        shutil.rmtree(trash)
    cutoff = time.time() - _ABANDONED_AFTER
    for leftover in [*directory.glob(".tmp-*"), *directory.glob(".trash-*")]:
        if leftover.stat().st_mtime < cutoff:
            shutil.rmtree(leftover, ignore_errors=True)
    return stale
