"""Vectors → nearest neighbours by cosine, behind a small swappable interface.

An index version is an immutable directory ``<name>.<version>/`` holding ``manifest.json`` plus ``.npy``/``.ann``
files. It is written under a temporary name and published with one directory rename, so a reader that can see a
version sees all of it. Versions are never modified, only superseded and later removed by :func:`remove_stale`, which
makes a per-process cache keyed by path safe. No Django here: callers pass the directory.

Large collections (``kind="annoy"``) keep three things per photo: its id, a uint8 copy of its unit vector (one byte
per dimension, scaled per dimension) for the exact rerank, and its node in an Annoy forest built over a small
uncentred PCA projection. A query probes the forest for a candidate pool and reranks the pool by the exact cosine of
the uint8 copies. How much to probe and rerank (``search_k``, ``rerank``) is not a formula: the build calibrates it
on a sample of the collection's own photos used as queries, per recall level, and records the levels in the manifest.

Class-conditioned similarity is cosine(q⊙w, x⊙w). The forest is probed with the plain query and a wider pool is
reranked by the exact conditioned cosine: a near-duplicate of q stays near under any per-dimension reweighting,
whereas Annoy's angle to q⊙w² ignores the ‖x⊙w‖ normaliser and favours items that are merely large on the few
heaviest dimensions (bench.search compares the two).

Every file's CRC-32 is recorded in the manifest at publication and checked when a process loads the version, so a
garbled or truncated file is refused before Annoy maps it. Annoy probes through a shared mapping of the file it loads,
where a torn tree node damaged after the check is a SIGSEGV (a truncation, SIGBUS). So a forest below MMAP_MIN_BYTES is
loaded from a private in-memory copy that damage on disk cannot reach; a larger one is mapped, and each probe leaves a
marker file naming its host and process in the version's folder while it runs: a process that finds the marker of a
dead process on its own host marks the version bad (``.bad``) instead of probing it again. Every load of a version
checks that mark, that its folder is still the one loaded, and that ``index.ann`` is unchanged since.

Builds of the forest run in a child process (``python -m search.ml.ann build <staging>``) whose private memory is
capped, so a million-photo build cannot take a worker's memory with it; the child reports its peak RSS.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
import zlib
from abc import ABC, abstractmethod
from collections.abc import Collection
from pathlib import Path
from typing import Any, ClassVar

import annoy
import numpy as np

Neighbour = tuple[int, float]

MANIFEST = "manifest.json"
FORMAT_VERSION = 3  # 3: the manifest records each file's CRC-32
BAD = ".bad"  # in a version's folder: never load or probe it again (its content says why)
_PROBE_MARKER = ".probe-"  # + host-pid-thread, while that thread probes the version's Annoy file
_HOST = socket.gethostname()

# Up to this many vectors a numpy scan is faster than Annoy + rerank, and exact (bench.search --crossover).
EXACT_MAX_SIZE = 2_000
# Low-dimensional spaces (the 50-d word space of text search) scan fast, while Annoy over them struggles with the
# many near-ties (bench.search, text section).
LOW_DIM = 64
LOW_DIM_EXACT_MAX_SIZE = 150_000

# Recall@10 each size must reach with its default effort: (up to this many photos, plain, conditioned). The
# calibration aims a little above (CALIBRATION_MARGIN): its self-queries are not the photos users will query with.
RECALL_TARGETS = ((200_000, 0.99, 0.97), (sys.maxsize, 0.98, 0.95))
CALIBRATION_MARGIN = 0.005
# The effort levels calibrated and recorded for every index (bench.search draws the recall/latency curve from them).
PLAIN_LEVELS = (0.95, 0.98, 0.99, 0.995)
CONDITIONED_LEVELS = (0.90, 0.95, 0.97, 0.98)
K = 10  # the k that calibration measures recall at
CALIBRATION_DISTINCT_WEIGHTS = 10  # distinct conditioning weights the conditioned self-queries share
# Cost model for choosing among calibrated (search_k, rerank) pairs: the time to rerank one candidate, in units of
# the time Annoy spends per node of search_k. A conditioned rerank also squares the candidate's vector.
RERANK_COST = {"plain": 4.0, "conditioned": 8.0}

_SEARCH_K_GRID = (500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000)
_RERANK_GRID = (20, 40, 80, 160, 320, 640, 1_280, 2_560, 5_120)


def default_kind(n: int, dim: int) -> str:
    exact = n <= EXACT_MAX_SIZE or (dim <= LOW_DIM and n <= LOW_DIM_EXACT_MAX_SIZE)
    return "exact" if exact else "annoy"


def annoy_params(n: int) -> dict[str, Any]:
    """Default build parameters for n vectors (overridable per build; the values used go in the manifest)."""
    return {
        "components": 64,  # PCA dimensions the trees are built on; the 1280-d uint8 rerank restores precision
        "pca_sample": 20_000,  # rows used to fit the PCA; the spectrum is stable well before this
        "n_trees": 24,  # more trees only add build time and bytes: recall follows search_k (bench.search)
        "build_memory_mb": 2048,  # cap on the build child's private memory (heap and anonymous mappings)
        # Plain queries are cheap to calibrate, and 100 self-queries estimate recall near 0.99 too loosely to pick
        # the right search_k; above 200k the exact truth for more would cost most of the build.
        "calibration_queries": 300 if n <= 200_000 else 100,
        "conditioned_calibration_queries": 100,
    }


# Elements per streamed matrix-vector step. OpenBLAS multithreads a product above ~400k elements, which on a busy
# 2-core host waits on threads, and temporaries above a few MB are fresh mappings whose page faults cost more than
# the arithmetic. Rows per step follow from the dimension.
_CHUNK_ELEMENTS = 327_680
_ABANDONED_AFTER = 24 * 3600  # seconds; far longer than any build
_BUILD_CHUNK = 16_384  # rows per build step
_BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class IndexGone(FileNotFoundError):
    """The version was removed (superseded and garbage-collected) before it could be loaded."""


class IndexCorrupt(ValueError):
    """The version's files do not agree with its manifest (truncated, garbled or from another format)."""


class VectorIndex(ABC):
    """Immutable nearest-neighbour index over unit-normalised vectors, cosine similarity."""

    kind: ClassVar[str]

    def __init__(self, *, path: Path, ids: np.ndarray, vectors: Any, params: dict[str, Any]):
        self.path = path
        self.ids = ids
        self.vectors = vectors  # (N, D); indexing it gives float32 rows
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

    def scores_at(self, positions: np.ndarray, query: np.ndarray, *, weights: np.ndarray | None = None) -> dict:
        """Exact cosine (with weights, conditioned) of the rows at ``positions``: {id: score}; empty for a query
        of no length."""
        rows = np.asarray(self.vectors[positions], dtype=np.float32)
        return dict(exact_search(self.ids[positions], rows, query, len(positions), weights=weights))


class ExactIndex(VectorIndex):
    """Full numpy scan over float32 rows: exact, no build cost; the right choice for small collections."""

    kind = "exact"

    def search(self, query, k, *, weights=None, exclude=()):
        return _exact_search(self.ids, self.vectors, query, k, weights=weights, exclude=exclude, normalised=True)


class Quantized:
    """uint8 rows x ≈ low + step·code, per dimension; indexing decodes to float32, like an (N, D) array."""

    def __init__(self, codes: np.ndarray, low: np.ndarray, step: np.ndarray):
        self.codes, self.low, self.step = codes, low, step
        self.shape = codes.shape
        self.dtype = np.dtype(np.float32)
        self.has_low = bool(low.any())

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, key) -> np.ndarray:
        rows = np.asarray(self.codes[key], dtype=np.float32) * self.step
        return rows + self.low if self.has_low else rows

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self[:], dtype=dtype)


class AnnoyIndex(VectorIndex):
    """Angular Annoy over an uncentred PCA projection, candidates reranked exactly on uint8 copies.

    The projection is uncentred (eigenvectors of E[xxᵀ]) so that projected dot products approximate the full-space
    cosine of unit vectors; centring would make Annoy rank by a different quantity than the one we rerank by.
    """

    kind = "annoy"

    def __init__(self, *, path, ids, vectors, params, components, norms, private: bool = True):
        super().__init__(path=path, ids=ids, vectors=vectors, params=params)
        self.components = components
        self.norms = norms  # of the decoded rows, so a plain rerank needs no second pass over them
        self.annoy = annoy.AnnoyIndex(self.components.shape[0], "angular")
        self.forest_identity = None
        self.mapped = False  # probes read the file on disk itself (not a private copy): guard them
        if len(ids):
            forest = path / "index.ann"
            self.forest_identity = _identity_of(forest)
            if private and self.forest_identity[2] < MMAP_MIN_BYTES and hasattr(os, "memfd_create"):
                _load_private(self.annoy, forest)
            else:
                self.annoy.load(str(forest))
                self.mapped = True

    def damage(self) -> str | None:
        """Why the forest on disk is not the one loaded (replaced, resized or written since), or None.

        A folder removed meanwhile is safe: its files live on, unlinked, for as long as they are mapped.
        """
        if self.forest_identity is None:
            return None
        try:
            now = _identity_of(self.path / "index.ann")
        except FileNotFoundError:
            return None
        return None if now == self.forest_identity else "index.ann was replaced or written after it was loaded"

    def search(self, query, k, *, weights=None, exclude=()):
        conditioned = weights is not None
        prefix = "conditioned_" if conditioned else ""
        return self.search_with(
            query,
            k,
            weights=weights,
            exclude=exclude,
            search_k=self.params[prefix + "search_k"],
            rerank=self.params[prefix + "rerank"],
        )

    def scores_at(self, positions, query, *, weights=None) -> dict:
        # On the uint8 rows as they are, as search reranks them: decoding thousands first costs several times more.
        query = np.asarray(query, dtype=np.float32)
        u = None if weights is None else np.square(weights, dtype=np.float32)
        if (np.linalg.norm(query) if u is None else np.sqrt(np.dot(query * query, u))) == 0:
            return {}
        scores = _quantized_scores(self.vectors, self.norms, positions, query, weights)
        return dict(zip(self.ids[positions].tolist(), scores.tolist()))

    def search_with(self, query, k, *, search_k: int, rerank: int, weights=None, exclude=()) -> list[Neighbour]:
        """search() at a given effort: probe `search_k` Annoy nodes, rerank the best `rerank` candidates."""
        query = np.asarray(query, dtype=np.float32)
        n = len(self)
        if k <= 0 or n == 0 or not query.any():
            return []
        candidates = max(rerank, k) + len(exclude)
        if candidates >= n or self.damage() is not None:  # a damaged forest: rerank everything, exactly
            positions = np.arange(n)
        else:
            with _probing(self.path) if self.mapped else contextlib.nullcontext():
                found = self.annoy.get_nns_by_vector(
                    (self.components @ query).tolist(), candidates, search_k=max(candidates, search_k)
                )
            positions = np.sort(np.asarray(found, dtype=np.int64))  # sorted reads are kinder to the memory map
        scores = _quantized_scores(self.vectors, self.norms, positions, query, weights)
        return _best(self.ids[positions], scores, k, exclude)


class _probing:
    """While a thread probes a version's forest, a marker in its folder names the thread's host and process: if the
    process dies in the probe, the marker outlives it and tells the next reader the version is bad."""

    def __init__(self, directory: Path):
        self.marker = directory / f"{_PROBE_MARKER}{_HOST}-{os.getpid()}-{threading.get_ident()}"

    def __enter__(self):
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_WRONLY, 0o644))
        except OSError:  # a removed or read-only folder: probe unguarded rather than not at all
            self.marker = None

    def __exit__(self, *exc_info):
        if self.marker is not None:
            with contextlib.suppress(OSError):
                self.marker.unlink()


def _identity_of(path: Path) -> tuple[int, int, int, int]:
    stat = path.stat()
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def _load_private(forest: annoy.AnnoyIndex, path: Path) -> None:
    """Load the forest from a private in-memory copy: damage to the file on disk can no longer reach the mapping that
    the probes read (Annoy maps the file it loads, shared)."""
    descriptor = os.memfd_create("annoy-forest")
    try:
        with open(path, "rb") as source, os.fdopen(os.dup(descriptor), "wb") as copy:
            shutil.copyfileobj(source, copy, _CRC_BLOCK)
        forest.load(f"/proc/self/fd/{descriptor}")
    finally:
        os.close(descriptor)  # the mapping keeps the copy alive


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _quantized_scores(rows: Quantized, norms: np.ndarray, positions: np.ndarray, query: np.ndarray, weights):
    """Exact cosine (conditioned when weights are given) of the decoded rows at `positions`, without decoding them.

    With x = low + step·c and u = w² (or 1): x·(q⊙u) = c·(step⊙q⊙u) + low·(q⊙u), and ‖x⊙w‖² expands the same way,
    so each step is one uint8→float32 conversion and one or two matrix-vector products.
    """
    if weights is None:
        u = None
        probe, query_norm = query, np.linalg.norm(query)
    else:
        u = np.square(weights, dtype=np.float32)
        probe = query * u
        query_norm = np.sqrt(np.dot(query, probe))
    scores = np.zeros(len(positions), dtype=np.float32)
    if query_norm == 0:
        return scores
    a, alpha = rows.step * probe, float(rows.low @ probe)
    if u is not None:
        g, b, beta = u * rows.step**2, 2 * u * rows.low * rows.step, float(u @ rows.low**2)
    step = max(1, _CHUNK_ELEMENTS // max(1, rows.shape[1]))
    for start in range(0, len(positions), step):
        chunk = positions[start : start + step]
        codes = rows.codes[chunk].astype(np.float32)
        dots = codes @ a + alpha
        if u is None:
            denominators = norms[chunk]
        else:
            squared = np.square(codes) @ g + beta
            if rows.has_low:
                squared += codes @ b
            denominators = np.sqrt(np.maximum(squared, 0))
        scores[start : start + len(chunk)] = np.divide(
            dots, denominators, out=np.zeros_like(dots), where=denominators > 0
        )
    scores /= query_norm
    return scores


def _best(ids: np.ndarray, scores: np.ndarray, k: int, exclude: Collection[int]) -> list[Neighbour]:
    if len(exclude):
        scores[np.isin(ids, np.fromiter(exclude, dtype=np.int64, count=len(exclude)))] = -np.inf
    top = _top_k(scores, min(k, len(ids)))
    top = top[np.isfinite(scores[top])]
    return [(int(i), float(s)) for i, s in zip(ids[top], scores[top])]


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
    return _best(ids, scores, k, exclude)


_SAMPLE_STRIDE = 16


def _top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest scores, best first.

    A full argpartition costs more than a 50-d scan of the same rows. The k-th largest of every 16th score is a lower
    bound for the true k-th largest, so filtering by it keeps all of the top k while leaving only ~16·k candidates
    to partition.
    """
    candidates = np.arange(len(scores))
    if len(scores) > 64 * _SAMPLE_STRIDE * k:
        sample = scores[::_SAMPLE_STRIDE]
        threshold = np.partition(sample, len(sample) - k)[len(sample) - k]
        candidates = np.flatnonzero(scores >= threshold)
    if len(candidates) > k:
        candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
    return candidates[np.argsort(-scores[candidates], kind="stable")]


# Building ------------------------------------------------------------------------------------------------------


def build_index(
    *,
    ids: np.ndarray,
    vectors: np.ndarray,
    directory: Path,
    name: str,
    params: dict[str, Any] | None = None,
    calibration_weights: np.ndarray | None = None,
) -> Path:
    """Build and atomically publish a new version of index `name` under `directory`; return its path.

    params: ``kind`` ("exact" | "annoy"; default by size and dimension, see default_kind) plus build parameters
    (annoy_params), or fixed query effort (``search_k``, ``rerank``, ``conditioned_search_k``,
    ``conditioned_rerank``) instead of calibrated. ``calibration_weights`` (M, D) are typical conditioning weights
    (classifier columns) to calibrate conditioned queries with; without them they are calibrated on random
    non-negative weights. Rows are unit-normalised here; zero rows stay zero and never match.
    """
    if "." in name or "/" in name:
        raise ValueError(f"index name must not contain '.' or '/': {name!r}")
    ids = np.asarray(ids, dtype=np.int64)
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or len(ids) != len(vectors):
        raise ValueError(f"need ids (N,) and vectors (N, D); got {ids.shape} and {vectors.shape}")
    params = dict(params or {})
    kind = params.pop("kind", default_kind(len(ids), vectors.shape[1]))
    if kind not in _KINDS:
        raise KeyError(f"unknown index kind {kind!r}")
    directory.mkdir(parents=True, exist_ok=True)
    staging = directory / f".tmp-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        started = time.perf_counter()
        np.save(staging / "ids.npy", ids)
        manifest: dict[str, Any] = {
            "format": FORMAT_VERSION,
            "kind": kind,
            "name": name,
            "size": len(ids),
            "dim": int(vectors.shape[1]),
        }
        if kind == "exact":
            out = np.lib.format.open_memmap(staging / "vectors.npy", mode="w+", dtype=np.float32, shape=vectors.shape)
            for start in range(0, len(vectors), _BUILD_CHUNK):
                out[start : start + _BUILD_CHUNK] = _normalised(vectors[start : start + _BUILD_CHUNK])
            out.flush()
            del out
            manifest["params"] = params
        else:
            _write_codes(staging, vectors)
            codes_seconds = round(time.perf_counter() - started, 2)
            if calibration_weights is not None:
                np.save(staging / "calibration-weights.npy", np.asarray(calibration_weights, dtype=np.float32))
            (staging / "build.json").write_text(json.dumps({**annoy_params(len(ids)), **params}))
            manifest.update(_run_build_child(staging))
            manifest["build_phases_seconds"] = {"codes": codes_seconds, **manifest["build_phases_seconds"]}
            for scratch in ("build.json", "calibration-weights.npy"):
                (staging / scratch).unlink(missing_ok=True)
        manifest["build_seconds"] = round(time.perf_counter() - started, 3)
        manifest["created"] = time.time()
        manifest["bytes"] = sum(f.stat().st_size for f in staging.iterdir())
        manifest_write(staging, manifest)
        return publish(staging, directory, name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _normalised(chunk: np.ndarray) -> np.ndarray:
    chunk = np.asarray(chunk, dtype=np.float32)
    norms = np.linalg.norm(chunk, axis=1, keepdims=True)
    return np.divide(chunk, norms, out=np.zeros_like(chunk), where=norms > 0)


def _write_codes(staging: Path, vectors: np.ndarray) -> None:
    """Quantise the unit-normalised rows to codes.npy (+ quant.npy: low and step, norms.npy: decoded row norms).

    Two passes (the range of every dimension, then the codes); the row norms of the first are kept for the second,
    and each chunk is worked on in place, since at a million rows every extra temporary is seconds of page faults.
    """
    n, dim = vectors.shape
    low = np.zeros(dim, np.float32)
    high = np.zeros(dim, np.float32)
    row_norms = np.empty(n, np.float32)
    buffer = np.empty((min(n, _BUILD_CHUNK), dim), np.float32)  # reused: a fresh array per chunk is pages to fault in
    for start in range(0, n, _BUILD_CHUNK):
        chunk = _rows_into(buffer, vectors, start)
        norms = np.sqrt(np.einsum("ij,ij->i", chunk, chunk))
        row_norms[start : start + len(chunk)] = norms
        chunk /= _positive(norms)[:, None]
        np.minimum(low, chunk.min(axis=0, initial=0), out=low)
        np.maximum(high, chunk.max(axis=0, initial=0), out=high)
    step = ((high - low) / 255).astype(np.float32)
    step[step == 0] = 1  # a constant dimension decodes exactly with any step
    inverse = (1 / step).astype(np.float32)
    codes = np.lib.format.open_memmap(staging / "codes.npy", mode="w+", dtype=np.uint8, shape=(n, dim))
    decoded_norms = np.empty(n, np.float32)
    for start in range(0, n, _BUILD_CHUNK):
        chunk = _rows_into(buffer, vectors, start)
        chunk /= _positive(row_norms[start : start + len(chunk)])[:, None]
        chunk -= low
        chunk *= inverse
        np.rint(chunk, out=chunk)
        np.clip(chunk, 0, 255, out=chunk)
        codes[start : start + len(chunk)] = chunk
        chunk *= step  # decoded, as a search sees it
        chunk += low
        decoded_norms[start : start + len(chunk)] = np.sqrt(np.einsum("ij,ij->i", chunk, chunk))
    codes.flush()
    del codes
    np.save(staging / "quant.npy", np.stack([low, step]))
    np.save(staging / "norms.npy", decoded_norms)


def _rows_into(buffer: np.ndarray, vectors, start: int) -> np.ndarray:
    rows = vectors[start : start + len(buffer)]
    chunk = buffer[: len(rows)]
    chunk[...] = rows
    return chunk


def _positive(norms):
    """Norms safe to divide by: a zero row stays zero."""
    return np.where(norms > 0, norms, 1).astype(np.float32)


def _peak_rss_mb() -> float:
    """This process's own peak resident memory. Not getrusage's ru_maxrss: Linux carries it across exec, so a child
    forked from a large parent would report the parent's size; VmHWM starts afresh with the new program."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc: the best available


def _run_build_child(staging: Path) -> dict[str, Any]:
    """Build forest and calibration in a child process; return what it reports for the manifest."""
    root = Path(__file__).resolve().parents[2]  # the project root, so the child can import search.ml
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
        **{name: str(_idle_cores()) for name in _BLAS_THREAD_VARIABLES},
    }
    done = subprocess.run(
        [sys.executable, "-m", "search.ml.ann", "build", str(staging)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"index build failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads((staging / "build-result.json").read_text())


def _idle_cores() -> int:
    """BLAS threads for a build: the cores nobody else is using, at least one.

    OpenBLAS threads busy-wait for each other, so on a host whose cores are taken by other workers a multithreaded
    product runs several times slower than a single-threaded one (bench.search reports the build's phases); on an
    idle host every core helps. The forest itself is built by Annoy's own threads on every core. The caller itself
    (which just wrote the codes) counts as one of the load average's running tasks.
    """
    cores = os.cpu_count() or 1
    others = max(0.0, os.getloadavg()[0] - 1)
    return max(1, min(cores, cores - round(others)))


def _build_in_child(staging: Path) -> None:
    """The child's side: PCA, Annoy forest and calibration over the codes written by the parent."""
    _die_with_parent()
    params = json.loads((staging / "build.json").read_text())
    limit = int(params["build_memory_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal started
        phases[name] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()

    ids = np.load(staging / "ids.npy")
    vectors, norms = _load_codes(staging)
    n = len(vectors)
    components = _fit_projection(vectors, n_components=params["components"], sample=params["pca_sample"])
    np.save(staging / "components.npy", components)
    phase("projection")
    forest = annoy.AnnoyIndex(components.shape[0], "angular")
    forest.on_disk_build(str(staging / "index.ann"))
    # Projected straight from the codes: (low + step·c)·Pᵀ = c·(step⊙P)ᵀ + low·Pᵀ, so no row is decoded.
    scaled, shift = (components * vectors.step).T, components @ vectors.low
    buffer = np.empty((min(n, _BUILD_CHUNK), vectors.shape[1]), np.float32)
    for start in range(0, n, _BUILD_CHUNK):
        projected = _rows_into(buffer, vectors.codes, start) @ scaled + shift
        for offset, row in enumerate(projected.tolist()):
            forest.add_item(start + offset, row)
    phase("project_and_add")
    forest.build(params["n_trees"], n_jobs=-1)
    forest.unload()
    phase("forest")
    params["components"] = int(components.shape[0])
    built = AnnoyIndex(
        path=staging, ids=ids, vectors=vectors, params=params, components=components, norms=norms, private=False
    )
    weights_path = staging / "calibration-weights.npy"
    weights = np.load(weights_path) if weights_path.exists() else None
    params.update(calibrate(built, weights=weights, fixed=params))
    phase("calibration")
    result = {"params": params, "build_peak_rss_mb": round(_peak_rss_mb(), 1), "build_phases_seconds": phases}
    (staging / "build-result.json").write_text(json.dumps(result))


def _die_with_parent() -> None:
    """A worker killed mid-build must not leave its build running (Linux: PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the build runs to its end, then its staging folder is swept
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        sys.exit(1)


def recall_targets(n: int) -> tuple[float, float]:
    """(plain, conditioned) recall@10 the default effort must reach at n photos."""
    return next((plain, conditioned) for size, plain, conditioned in RECALL_TARGETS if n <= size)


def calibrate(index: AnnoyIndex, *, weights: np.ndarray | None, fixed: dict[str, Any] | None = None) -> dict:
    """Effort levels from self-queries: for each recall level, the cheapest calibrated (search_k, rerank).

    A sample of the index's own rows is queried (each excluding itself, as a similar-photo query does) against the
    exact top 10 over the decoded rows. One Annoy probe per search_k gives its candidates in Annoy's order; the
    prefixes of that list are what each rerank width would rerank, so every (search_k, rerank) pair is scored from
    one probe. Returns the levels, and search_k/rerank (plain and conditioned) for the size's recall target, unless
    `fixed` already sets them.
    """
    fixed = fixed or {}
    n = len(index)
    if n <= 2 * K:  # every query reranks the whole collection
        return {key: fixed.get(key, n) for key in ("search_k", "rerank", "conditioned_search_k", "conditioned_rerank")}
    rng = np.random.default_rng(0)
    plain_count = min(n, max(1, int(fixed.get("calibration_queries", 100))))
    conditioned_count = min(plain_count, max(1, int(fixed.get("conditioned_calibration_queries", plain_count))))
    rows = rng.choice(n, size=plain_count, replace=False)  # random order: the conditioned ones are its first rows
    queries = index.vectors[rows]
    if weights is None or not len(weights):
        weights = np.maximum(rng.normal(0, 1, (CALIBRATION_DISTINCT_WEIGHTS, index.dim)), 0).astype(np.float32)
    distinct = np.asarray(weights[:CALIBRATION_DISTINCT_WEIGHTS], dtype=np.float32)
    classes = np.arange(conditioned_count) % len(distinct)
    weights = distinct[classes]
    result: dict[str, Any] = {"calibration_queries": plain_count, "conditioned_calibration_queries": conditioned_count}
    truths = _exact_tops(index.vectors, index.norms, queries, rows, distinct, classes)
    for kind, count, query_weights, levels, target, truth in (
        ("plain", plain_count, None, PLAIN_LEVELS, recall_targets(n)[0], truths[0]),
        ("conditioned", conditioned_count, weights, CONDITIONED_LEVELS, recall_targets(n)[1], truths[1]),
    ):
        enough = max(*levels, target + CALIBRATION_MARGIN)
        curve = _recall_grid(index, queries[:count], rows[:count], truth, query_weights, enough=enough)
        chosen = [_cheapest(curve, level, kind) for level in (*levels, target + CALIBRATION_MARGIN)]
        prefix = "" if kind == "plain" else "conditioned_"
        result[prefix + "levels"] = [
            {"target": level, "search_k": s, "rerank": r, "recall": rec} for level, (s, r, rec) in zip(levels, chosen)
        ]
        result[prefix + "target"] = target
        result[prefix + "search_k"] = fixed.get(prefix + "search_k", chosen[-1][0])
        result[prefix + "rerank"] = fixed.get(prefix + "rerank", chosen[-1][1])
    return result


def _exact_tops(vectors: Quantized, norms, queries, rows, distinct, classes) -> tuple[np.ndarray, np.ndarray]:
    """Positions of each query's exact top K over all rows, own row excluded: (Q, K) plain, and (C, K) conditioned
    for the first C = len(classes) queries.

    Conditioned query i is conditioned on distinct[classes[i]]. One pass over the codes: the per-dimension step (and
    offset) is folded into the query side, as in _quantized_scores, so each chunk is converted to float32 once and
    never decoded, and the ‖x⊙w‖ denominators are computed once per distinct weight vector, not per query.
    """
    q = queries.astype(np.float32)
    c = len(classes)
    u_distinct = np.square(distinct, dtype=np.float32)
    u = u_distinct[classes]
    step, low = vectors.step, vectors.low
    probes = np.concatenate([q * step, q[:c] * u * step]).T  # plain and conditioned numerators in one product
    offsets = np.concatenate([q @ low, (q[:c] * u) @ low])
    squares = (u_distinct * step**2).T
    cross, square_offset = (2 * u_distinct * low * step).T, u_distinct @ low**2
    best = [(np.full((m, K), -np.inf, np.float32), np.zeros((m, K), np.int64)) for m in (len(q), c)]
    chunk = 8_192
    for start in range(0, len(vectors), chunk):
        codes = vectors.codes[start : start + chunk].astype(np.float32)
        dots = codes @ probes + offsets
        denominators = np.square(codes) @ squares + square_offset
        if vectors.has_low:
            denominators += codes @ cross
        denominators = np.sqrt(np.maximum(denominators, 1e-30))[:, classes]
        plain = dots[:, : len(q)] / np.maximum(norms[start : start + chunk, None], 1e-30)
        conditioned = dots[:, len(q) :] / denominators
        for i, (scores, query_rows) in enumerate(((plain.T, rows), (conditioned.T, rows[:c]))):
            own = (query_rows >= start) & (query_rows < start + len(codes))
            scores[own, query_rows[own] - start] = -np.inf
            merged_scores = np.concatenate([best[i][0], scores], axis=1)
            positions = np.broadcast_to(np.arange(start, start + len(codes)), scores.shape)
            merged = np.concatenate([best[i][1], positions], axis=1)
            keep = np.argpartition(-merged_scores, K - 1, axis=1)[:, :K]
            best[i] = (np.take_along_axis(merged_scores, keep, axis=1), np.take_along_axis(merged, keep, axis=1))
    return best[0][1], best[1][1]


def _recall_grid(index: AnnoyIndex, queries, rows, truth, weights, *, enough: float) -> dict[tuple[int, int], float]:
    """recall@K of (search_k, rerank) grid pairs, up to one search_k past the first that reaches `enough`.

    More search_k than that could only pay with a much narrower rerank, which the cost model rarely prefers.
    """
    n = len(index)
    search_ks = [s for s in _SEARCH_K_GRID if s < n * index.params["n_trees"]] or [_SEARCH_K_GRID[0]]
    reranks = [r for r in _RERANK_GRID if r < n] or [n]
    curve: dict[tuple[int, int], float] = {}
    reached = False
    for search_k in search_ks:
        width = min(max(reranks), search_k)
        hits = np.zeros(len(reranks))
        for i, query in enumerate(queries):
            found = index.annoy.get_nns_by_vector((index.components @ query).tolist(), width + 1, search_k=search_k)
            found = np.asarray(found, dtype=np.int64)
            scores = _quantized_scores(
                index.vectors, index.norms, found, query, None if weights is None else weights[i]
            )
            scores[found == rows[i]] = -np.inf
            wanted = set(truth[i].tolist())
            for j, rerank in enumerate(reranks):
                top = found[: rerank + 1][_top_k(scores[: rerank + 1].copy(), K)]
                hits[j] += len(wanted & set(top.tolist()))
        for rerank, hit in zip(reranks, hits):
            if rerank <= search_k:
                curve[(search_k, rerank)] = round(float(hit / (K * len(queries))), 4)
        if reached:
            break
        reached = max(curve.values()) >= enough
    return curve


def _cheapest(curve: dict[tuple[int, int], float], target: float, kind: str) -> tuple[int, int, float]:
    """The cheapest (search_k, rerank, recall) reaching the target; the best recall if none does."""
    cost = RERANK_COST[kind]
    meeting = [(s + cost * r, s, r) for (s, r), recall in curve.items() if recall >= target]
    if meeting:
        _, s, r = min(meeting)
    else:
        s, r = max(curve, key=lambda key: (curve[key], -key[0] - cost * key[1]))
    return s, r, curve[(s, r)]


def _fit_projection(vectors, *, n_components: int, sample: int) -> np.ndarray:
    """Top eigenvectors of the uncentred second moment of a row sample, as (n_components, D) float32."""
    n, dim = vectors.shape
    n_components = min(n_components, dim)
    if n == 0:
        return np.eye(n_components, dim, dtype=np.float32)
    rows = np.sort(np.random.default_rng(0).choice(n, size=min(n, sample), replace=False))
    moment = np.zeros((dim, dim), np.float64)
    for start in range(0, len(rows), _BUILD_CHUNK // 4):
        x = np.asarray(vectors[rows[start : start + _BUILD_CHUNK // 4]], dtype=np.float32)
        moment += x.T @ x  # float32 products, float64 sums: the rounding stays far below the spectrum's gaps
    return np.ascontiguousarray(_top_eigenvectors(moment, n_components).T, dtype=np.float32)


_SUBSPACE_OVERSAMPLE = 16
_SUBSPACE_ITERATIONS = 10


def _top_eigenvectors(moment: np.ndarray, k: int) -> np.ndarray:
    """(D, k) leading eigenvectors of a symmetric PSD matrix, largest first.

    A full eigendecomposition of a 1280×1280 matrix is most of a build's projection time (bench.search reports the
    phases), while only the top few dozen are kept: subspace iteration with a few spare directions finds those at
    the cost of a few matrix products. Small or nearly full requests use the full decomposition.
    """
    dim = len(moment)
    if k + _SUBSPACE_OVERSAMPLE >= dim // 2:
        _, eigenvectors = np.linalg.eigh(moment)
        return eigenvectors[:, ::-1][:, :k]
    basis = np.random.default_rng(0).normal(size=(dim, k + _SUBSPACE_OVERSAMPLE))
    for _ in range(_SUBSPACE_ITERATIONS):
        basis, _ = np.linalg.qr(moment @ basis)
    _, rotation = np.linalg.eigh(basis.T @ moment @ basis)
    return (basis @ rotation[:, ::-1])[:, :k]


def publish(staging: Path, directory: Path, name: str) -> Path:
    """Rename a fully written staging folder to the next version of `name`: readers see all of it or nothing."""
    while True:
        final = directory / f"{name}.{time.time_ns()}"
        try:
            staging.rename(final)  # atomic; fails rather than overwrite if the name is taken
        except OSError:
            if final.exists():
                continue
            raise
        return final


# Loading -------------------------------------------------------------------------------------------------------


def load_index(path: Path) -> VectorIndex:
    """Load a published version, cached per process and checked on every call (see load_checked).

    Raises IndexGone if it was removed, IndexCorrupt if its files do not match its manifest or it was marked bad.
    """
    return load_checked(path, _load_parts)


def load_checked(path: Path, loader):
    """``loader(directory, manifest)`` for a version whose files match their checksums, cached per process.

    Every call checks, in a few system calls, what may have changed since the version was loaded: the folder was
    removed (IndexGone) or replaced (it is loaded afresh), it was marked bad, a process on this host died probing
    it, or its mapped forest changed (IndexCorrupt; the last two mark it bad for every other process).
    """
    directory = Path(path).resolve()
    try:
        manifest = directory / MANIFEST
        # The folder by inode only: probe markers come and go in it.
        identity = (*_identity_of(directory)[:2], *_identity_of(manifest))
    except OSError as exc:
        raise IndexGone(str(directory)) from exc
    loaded = _load(str(directory), identity, loader)
    _check(loaded)
    return loaded


@functools.lru_cache(maxsize=16)
def _load(path: str, identity: tuple, loader):
    directory = Path(path)
    try:
        return loader(directory, manifest_read(directory))
    except (OSError, ValueError) as exc:  # Annoy reports a missing file as a bare OSError, numpy a short one as either
        if not (directory / MANIFEST).exists():
            raise IndexGone(path) from exc
        if isinstance(exc, IndexCorrupt):
            raise
        raise IndexCorrupt(f"{path}: {exc}") from exc


def _check(loaded) -> None:
    directory = loaded.path
    try:
        entries = os.listdir(directory)
    except FileNotFoundError as exc:
        raise IndexGone(str(directory)) from exc
    if BAD in entries:
        raise IndexCorrupt(f"{directory} is marked bad: {_read_reason(directory)}")
    for entry in entries:
        if entry.startswith(_PROBE_MARKER) and (dead := _dead_prober(entry)) is not None:
            reason = f"process {dead} on {_HOST} died while probing it"
            mark_bad(directory, reason=reason)
            raise IndexCorrupt(f"{directory}: {reason}")
    damage = getattr(loaded, "damage", lambda: None)()
    if damage is not None:
        mark_bad(directory, reason=damage)
        raise IndexCorrupt(f"{directory}: {damage}")


def _dead_prober(marker: str) -> int | None:
    """The pid of the dead process on this host that left the marker, or None (alive, ours, or another host's)."""
    host_and_pid, _, _ = marker.removeprefix(_PROBE_MARKER).rpartition("-")
    host, _, pid = host_and_pid.rpartition("-")
    if host != _HOST or not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
        return None
    return int(pid)


def _read_reason(directory: Path) -> str:
    try:
        return (directory / BAD).read_text()[:500] or "no reason recorded"
    except OSError:
        return "no reason recorded"


def mark_bad(directory: Path, *, reason: str) -> None:
    """Tell every process never to load or probe this version again (best effort: a read-only folder stays as is)."""
    with contextlib.suppress(OSError):
        (Path(directory) / BAD).write_text(reason)


def manifest_write(staging: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest of a staged version, with the CRC-32 of each of its files."""
    manifest["checksums"] = {
        path.name: _crc32(path) for path in sorted(staging.iterdir()) if path.is_file() and path.name != MANIFEST
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))


def manifest_read(directory: Path) -> dict[str, Any]:
    """The manifest of a version whose files all match their recorded checksums.

    Raises IndexCorrupt, and marks the version bad, when one does not; a missing file raises FileNotFoundError.
    """
    if (directory / BAD).exists():  # refused without hashing it again
        raise IndexCorrupt(f"{directory} is marked bad: {_read_reason(directory)}")
    manifest = json.loads((directory / MANIFEST).read_text())
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(f"{directory}: format {manifest.get('format') if isinstance(manifest, dict) else None!r}")
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict) or not checksums:
        raise IndexCorrupt(f"{directory}: no checksums in the manifest")
    for name, expected in checksums.items():
        if "/" in name or name.startswith("."):
            raise IndexCorrupt(f"{directory}: a checksum for {name!r}")
        if _crc32(directory / name) != expected:
            reason = f"{name} does not match its checksum"
            mark_bad(directory, reason=reason)
            raise IndexCorrupt(f"{directory}: {reason}")
    return manifest


_CRC_BLOCK = 1 << 20


def _crc32(path: Path) -> str:
    """CRC-32 of a file: damage (bit rot, torn or truncated writes) is what it guards against, not an adversary, and
    it runs at memory speed (bench.faults: checksum)."""
    crc, buffer = 0, bytearray(_CRC_BLOCK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as file:
        while read := file.readinto(buffer):
            crc = zlib.crc32(view[:read], crc)
    return f"{crc:08x}"


# Below this size an index's arrays are read into memory rather than mapped: truncating a mapped file from
# outside (a full disk, an operator) turns the next read into SIGBUS, which kills the process.
MMAP_MIN_BYTES = 1 << 30


def _load_array(path: Path) -> np.ndarray:
    return np.load(path, mmap_mode="r" if path.stat().st_size >= MMAP_MIN_BYTES else None)


def _load_parts(directory: Path, manifest: dict[str, Any]) -> VectorIndex:
    if manifest.get("kind") not in _KINDS:
        raise IndexCorrupt(f"{directory}: kind {manifest.get('kind')!r}")
    ids = np.load(directory / "ids.npy")
    size, dim = manifest.get("size", len(ids)), manifest.get("dim")
    if manifest["kind"] == "exact":
        vectors = _load_array(directory / "vectors.npy")
        _check_shape(directory, vectors, ids, size, dim)
        return ExactIndex(path=directory, ids=ids, vectors=vectors, params=manifest["params"])
    vectors, norms = _load_codes(directory)
    _check_shape(directory, vectors, ids, size, dim)
    if len(norms) != size:
        raise IndexCorrupt(f"{directory}: {len(norms)} norms for {size} rows")
    components = np.load(directory / "components.npy")
    return AnnoyIndex(
        path=directory, ids=ids, vectors=vectors, params=manifest["params"], components=components, norms=norms
    )


def _load_codes(directory: Path) -> tuple[Quantized, np.ndarray]:
    low, step = np.load(directory / "quant.npy")
    codes = _load_array(directory / "codes.npy")
    return Quantized(codes, low, step), np.load(directory / "norms.npy")


def _check_shape(directory: Path, vectors, ids, size, dim) -> None:
    if len(ids) != size or vectors.shape[0] != size or (dim is not None and vectors.shape[1] != dim):
        raise IndexCorrupt(f"{directory}: {len(ids)} ids and {vectors.shape} rows for a manifest of {size}×{dim}")


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


if __name__ == "__main__":
    if sys.argv[1:2] == ["build"] and len(sys.argv) == 3:
        _build_in_child(Path(sys.argv[2]))
    else:
        sys.exit("usage: python -m search.ml.ann build <staging directory>")
