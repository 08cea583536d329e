"""Benchmark vectors with real structure: Fashion-MNIST Lite0 features, scaled up with matched synthetic samples.

An index benchmark needs both neighbourhood structure (pure noise has none, so every method looks equally bad) and
no shortcuts (noisy copies of real vectors have one obvious neighbour each, so every method looks good). The real
train features are kept as they are; larger sets are filled with samples from a per-class Gaussian copula fitted to
them: each class's correlation structure and each dimension's real distribution, including its mass at zero
(ReLU6 features), so the class clusters, covariance and sparsity all carry over. `score_profile` compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special, stats

from search.ml.atomic import atomic_write

_GENERATE_CHUNK = 32_768


@dataclass(frozen=True)
class BenchSet:
    """An index corpus plus held-out queries from the same distribution."""

    vectors: np.ndarray  # (N, D) float32; the first `real` rows are real features
    real: int
    queries: np.ndarray  # (Q, D) float32, real test-split features, never in `vectors`
    source: str


def real_features(cache_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features (70000, 1280) float32, labels, split 0=train 1=test); bench.fmnist computes them once and caches."""
    from bench.fmnist import fmnist_features  # imports TensorFlow; only needed here

    features, labels, split = fmnist_features(cache_dir)
    return features.astype(np.float32, copy=False), labels, split


def synthetic_like(features: np.ndarray, labels: np.ndarray, n: int, *, seed: int) -> np.ndarray:
    """n rows from a per-class Gaussian copula fitted to `features`, with class frequencies as in `labels`.

    Per class: the correlation of the features' normal scores, and each dimension's own empirical distribution as the
    marginal. A plain clipped Gaussian matches the covariance but not the sparsity (Lite0 features here are about half
    exact zeros, a clipped Gaussian a third) and packs samples too densely around the class mean, which makes
    neighbours less distinct than real ones.
    """
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    per_class = rng.multinomial(n, counts / counts.sum())
    out = np.empty((n, features.shape[1]), dtype=np.float32)
    start = 0
    for c, count in zip(classes, per_class):
        members = features[labels == c]
        ordered = np.sort(members, axis=0)
        scores = special.ndtri(stats.rankdata(members, axis=0) / (len(members) + 1))
        with np.errstate(invalid="ignore"):
            correlation = np.corrcoef(scores, rowvar=False)
        constant = ~np.isfinite(np.diag(correlation))  # a dimension that never varies within the class
        correlation[constant, :] = correlation[:, constant] = 0
        correlation[constant, constant] = 1
        eigenvalues, eigenvectors = np.linalg.eigh(correlation)
        root = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0, None))).T.astype(np.float32)  # z @ root ~ N(0, corr)
        columns = np.arange(features.shape[1])
        for offset in range(0, count, _GENERATE_CHUNK):
            m = min(_GENERATE_CHUNK, count - offset)
            uniform = special.ndtr(rng.standard_normal((m, len(columns)), dtype=np.float32) @ root)
            quantile = np.minimum((uniform * len(members)).astype(np.int64), len(members) - 1)
            out[start : start + m] = ordered[quantile, columns]
            start += m
    return out  # grouped by class; order is irrelevant to an index and a shuffled copy would double peak memory


def bench_set(*, size: int, queries: int, cache_dir: Path, seed: int = 0, subset: Path | None = None) -> BenchSet:
    """`size` index vectors (real train features first, then synthetic) and `queries` real test-split queries.

    `subset`: an .npz of some of the Fashion-MNIST features (features, labels, split) to use instead of all 70k,
    e.g. while the full cache is still being computed; the source says so and nothing is cached.
    """
    if subset is not None:
        with np.load(subset) as loaded:
            features, labels, split = loaded["features"], loaded["labels"], loaded["split"]
    else:
        features, labels, split = real_features(cache_dir)
    tag = "" if subset is None else f"-subset{len(features)}"
    rng = np.random.default_rng(seed)
    train = np.flatnonzero(split == 0)
    test = np.flatnonzero(split == 1)
    query_rows = np.sort(rng.choice(test, size=queries, replace=False))
    if size <= len(train):
        rows = np.sort(rng.choice(train, size=size, replace=False))
        return BenchSet(vectors=features[rows], real=size, queries=features[query_rows], source=f"fmnist-lite0{tag}")
    extra = size - len(train)
    if subset is not None:
        synthetic = synthetic_like(features[train], labels[train], extra, seed=seed)
    else:
        path = cache_dir / f"fmnist-lite0-synthetic-{extra}-s{seed}.npy"
        if not path.exists():
            generated = synthetic_like(features[train], labels[train], extra, seed=seed)
            atomic_write(path, lambda tmp: np.save(tmp, generated))
            del generated
        synthetic = np.load(path, mmap_mode="r")
    vectors = np.concatenate([features[train], synthetic])
    return BenchSet(
        vectors=vectors, real=len(train), queries=features[query_rows], source=f"fmnist-lite0{tag}+synthetic"
    )


def score_profile(vectors: np.ndarray, queries: np.ndarray, *, k: int = 10) -> dict[str, float]:
    """Cosine of the 1st and kth neighbour and of random pairs: compare real vs synthetic to judge realism."""
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    q = queries / np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
    top = -np.sort(-(q @ v.T), axis=1)[:, :k]
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, len(v), size=(2, 2000))
    random_pairs = np.einsum("ij,ij->i", v[pairs[0]], v[pairs[1]])
    return {
        "top1_median": round(float(np.median(top[:, 0])), 4),
        f"top{k}_median": round(float(np.median(top[:, -1])), 4),
        "random_pair_median": round(float(np.median(random_pairs)), 4),
        "zero_fraction": round(float(np.mean(vectors == 0)), 4),
    }
