"""Index benchmark: latency and recall@10 of search.ml.ann against exact numpy cosine in the full space.

    python -m bench.search [--sizes 10000,100000,1000000] [--queries 300] [--repeats 3] [--params '{"n_trees": 20}']
                           [--sweep 0.5,2] [--crossover 1000,2000,5000,10000]

Per size: build time and bytes on disk, the index parameters, p50/p99 latency and recall@10 for plain queries and
for class-conditioned ones (w = max(W[:, c], 0) for a random ImageNet class c), and exact numpy latency alongside.
Latencies are medians over `repeats` passes. Other benchmarks (text-query space, word search) reuse
`measure_index` / `latency` and add their results through `main(extra_sections=...)`; the last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bench.vectors import bench_set, score_profile
from search.ml.ann import ExactIndex, VectorIndex, build_index, load_index

K = 10
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
EXACT_QUERIES = 30  # a 1M exact scan takes ~1 s per query; a few dozen give a stable median


def latency(search: Callable[[int], Any], n: int, *, repeats: int) -> dict[str, float]:
    """p50/p99 in ms of search(i) for i in range(n), each the median over `repeats` passes (after one warm-up pass)."""
    for i in range(n):
        search(i)
    p50s, p99s = [], []
    for _ in range(repeats):
        times = np.empty(n)
        for i in range(n):
            started = time.perf_counter()
            search(i)
            times[i] = time.perf_counter() - started
        p50s.append(np.percentile(times, 50) * 1e3)
        p99s.append(np.percentile(times, 99) * 1e3)
    return {"p50_ms": round(float(np.median(p50s)), 3), "p99_ms": round(float(np.median(p99s)), 3)}


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int, weights: np.ndarray | None = None) -> np.ndarray:
    """(Q, k) row indices of the exact top-k by cosine (conditioned per query when weights (Q, D) are given)."""
    q = queries.astype(np.float32)
    w2 = None if weights is None else np.square(weights, dtype=np.float32)
    probe = q if w2 is None else q * w2
    scores = np.empty((len(q), len(vectors)), dtype=np.float32)
    for start in range(0, len(vectors), 32_768):
        rows = np.asarray(vectors[start : start + 32_768], dtype=np.float32)
        block = rows @ probe.T
        norms = np.linalg.norm(rows, axis=1)[:, None] if w2 is None else np.sqrt(np.square(rows) @ w2.T)
        scores[:, start : start + len(rows)] = (block / np.maximum(norms, 1e-30)).T
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    return top


def measure_index(
    index: VectorIndex,
    queries: np.ndarray,
    truth: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    repeats: int,
) -> dict[str, float]:
    """Latency of index.search over the queries and recall@K against `truth` (row positions in the index)."""
    found = [
        index.search(queries[i], K, weights=None if weights is None else weights[i]) for i in range(len(queries))
    ]
    truth_ids = index.ids[truth]
    recall = np.mean([len({i for i, _ in f} & set(t.tolist())) / K for f, t in zip(found, truth_ids)])
    timing = latency(
        lambda i: index.search(queries[i], K, weights=None if weights is None else weights[i]),
        len(queries),
        repeats=repeats,
    )
    return {**timing, f"recall@{K}": round(float(recall), 4)}


def class_weights(n: int, *, cache_dir: Path, seed: int) -> tuple[np.ndarray, str]:
    """n conditioning vectors max(W[:, c], 0) for random classes c, from the Lite0 classifier."""
    rng = np.random.default_rng(seed)
    try:
        from search.ml.encoder import get_encoder
    except ImportError:  # encoder not built yet: Gaussian columns at a classifier-like scale, and say so
        matrix, source = rng.normal(0, 0.05, size=(1280, 1000)).astype(np.float32), "gaussian (no search.ml.encoder)"
    else:
        classifier = get_encoder("lite0", cache_dir=cache_dir).classifier()
        matrix = np.asarray(classifier[0] if isinstance(classifier, tuple) else classifier, dtype=np.float32)
        source = "lite0-classifier"
    classes = rng.integers(0, matrix.shape[1], size=n)
    return np.maximum(matrix[:, classes].T, 0), source


QUERY_EFFORT = ("search_k", "rerank", "conditioned_search_k", "conditioned_rerank")


def effort_sweep(index: VectorIndex, queries, truths, weights, *, scales: list[float], repeats: int) -> list[dict]:
    """Recall and latency with the query-time effort parameters scaled, on the same built index."""
    chosen = dict(index.params)
    rows = []
    try:
        for scale in scales:
            index.params.update({key: max(1, round(chosen[key] * scale)) for key in QUERY_EFFORT})
            rows.append(
                {
                    "scale": scale,
                    **{key: index.params[key] for key in QUERY_EFFORT},
                    "plain": measure_index(index, queries, truths[0], repeats=repeats),
                    "conditioned": measure_index(index, queries, truths[1], weights=weights, repeats=repeats),
                }
            )
    finally:
        index.params.clear()
        index.params.update(chosen)
    return rows


def profiles(vectors: np.ndarray, real: int, queries: np.ndarray) -> dict[str, dict]:
    """Neighbour-score profiles of equally many random real and synthetic rows (equal counts: top-1 grows with N)."""
    n = min(real, len(vectors) - real, 40_000) or real
    rng = np.random.default_rng(0)
    found = {"real": score_profile(vectors[np.sort(rng.choice(real, n, replace=False))], queries)}
    if len(vectors) > real:
        synthetic = real + np.sort(rng.choice(len(vectors) - real, n, replace=False))
        found["synthetic"] = score_profile(vectors[synthetic], queries)
    return found


def bench_size(
    size: int,
    *,
    queries: int,
    repeats: int,
    params: dict[str, Any],
    sweep: list[float],
    cache_dir: Path,
    work_dir: Path,
) -> dict[str, Any]:
    data = bench_set(size=size, queries=queries, cache_dir=cache_dir)
    source, real, query_vectors = data.source, data.real, data.queries
    weights, weights_source = class_weights(queries, cache_dir=cache_dir, seed=1)
    directory = Path(tempfile.mkdtemp(prefix="bench-index-", dir=work_dir))
    try:
        started = time.perf_counter()
        path = build_index(ids=np.arange(size), vectors=data.vectors, directory=directory, name="bench", params=params)
        build_seconds = time.perf_counter() - started
        del data  # the index holds a normalised, memory-mapped copy; free the source matrix
        index = load_index(path)
        plain_truth = exact_top(index.vectors, query_vectors, K)
        conditioned_truth = exact_top(index.vectors, query_vectors, K, weights)
        exact = ExactIndex(path=path, ids=index.ids, vectors=index.vectors, params={})
        n_exact = min(EXACT_QUERIES, queries)
        section = {
            "size": size,
            "source": source,
            "real_vectors": real,
            "queries": queries,
            "kind": index.kind,
            "params": index.params,
            "build_seconds": round(build_seconds, 2),
            "bytes": sum(f.stat().st_size for f in path.iterdir()),
            "plain": measure_index(index, query_vectors, plain_truth, repeats=repeats),
            "conditioned": measure_index(
                index, query_vectors, conditioned_truth, weights=weights, repeats=repeats
            ),
            "conditioning_weights": weights_source,
            "exact_numpy": latency(lambda i: exact.search(query_vectors[i], K), n_exact, repeats=1),
            "exact_numpy_conditioned": latency(
                lambda i: exact.search(query_vectors[i], K, weights=weights[i]), n_exact, repeats=1
            ),
            "true_top10_real_fraction": round(float(np.mean(plain_truth < real)), 3),
            "score_profile": profiles(index.vectors, real, query_vectors[:200]),
        }
        if sweep and index.kind == "annoy":
            truths = (plain_truth, conditioned_truth)
            section["sweep"] = effort_sweep(index, query_vectors, truths, weights, scales=sweep, repeats=repeats)
        return section
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def crossover(sizes: tuple[int, ...], *, queries: int, repeats: int, cache_dir: Path, work_dir: Path) -> list[dict]:
    """Exact scan vs Annoy p50 at small sizes: where exact stops being faster sets search.ml.ann.EXACT_MAX_SIZE."""
    rows = []
    weights, _ = class_weights(queries, cache_dir=cache_dir, seed=1)
    for size in sizes:
        data = bench_set(size=size, queries=queries, cache_dir=cache_dir)
        directory = Path(tempfile.mkdtemp(prefix="bench-index-", dir=work_dir))
        try:
            row: dict[str, Any] = {"size": size}
            for kind in ("exact", "annoy"):
                index = load_index(
                    build_index(ids=np.arange(size), vectors=data.vectors, directory=directory, name=kind,
                                params={"kind": kind})
                )
                plain = latency(lambda i: index.search(data.queries[i], K), queries, repeats=repeats)
                conditioned = latency(
                    lambda i: index.search(data.queries[i], K, weights=weights[i]), queries, repeats=repeats
                )
                row[kind] = {"plain_p50_ms": plain["p50_ms"], "conditioned_p50_ms": conditioned["p50_ms"]}
            rows.append(row)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None, *, extra_sections: Mapping[str, Callable[[], dict]] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--params", type=json.loads, default={}, help="build params, e.g. '{\"kind\": \"annoy\"}'")
    parser.add_argument("--cache-dir", type=Path, default=Path("data/bench"))
    parser.add_argument("--sweep", default="", help="also scale Annoy query effort by these factors, e.g. 0.5,2")
    parser.add_argument("--crossover", default="", help="also time exact vs Annoy at these small sizes, e.g. 1000,5000")
    args = parser.parse_args(argv)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    # Latency on a shared 2-core box depends on what else runs: record the load next to the numbers.
    host = {"cpus": os.cpu_count(), "loadavg_1m_start": os.getloadavg()[0]}
    result: dict[str, Any] = {"benchmark": "search.ml.ann", "k": K, "host": host, "sizes": []}
    for size in (int(s) for s in args.sizes.split(",")):
        section = bench_size(
            size,
            queries=args.queries,
            repeats=args.repeats,
            params=args.params,
            sweep=[float(s) for s in args.sweep.split(",") if s],
            cache_dir=args.cache_dir,
            work_dir=args.cache_dir,
        )
        print(json.dumps(section), flush=True)
        result["sizes"].append(section)
    if args.crossover:
        sizes = tuple(int(s) for s in args.crossover.split(","))
        result["crossover"] = crossover(
            sizes, queries=args.queries, repeats=args.repeats, cache_dir=args.cache_dir, work_dir=args.cache_dir
        )
    for name, section in (extra_sections or {}).items():
        result[name] = section()
    host["loadavg_1m_end"] = os.getloadavg()[0]
    print(json.dumps(result))
    return result


def text_section(*, size: int = 100_000, queries: int = 300, repeats: int = 3, cache_dir: Path = Path("data/bench")):
    """Text queries as the app runs them: photos placed in the 50-d GloVe space by ConSE, queried by word vectors."""
    from search.ml.encoder import get_encoder
    from search.ml.semantic import conse, imagenet_class_matrix
    from search.ml.words import get_word_space

    words = get_word_space(cache_dir=cache_dir)
    weights, bias = get_encoder("lite0", cache_dir=cache_dir).classifier()
    features = bench_set(size=size, queries=1, cache_dir=cache_dir).vectors
    class_matrix = imagenet_class_matrix(words)
    vectors = np.concatenate([
        conse(np.asarray(features[start : start + 50_000]) @ weights + bias, class_matrix)
        for start in range(0, len(features), 50_000)
    ])
    rng = np.random.default_rng(0)
    probes = np.stack([words.vector(w) for w in rng.choice(words.vocabulary[:20_000], queries, replace=False)])
    directory = Path(tempfile.mkdtemp(dir=cache_dir, prefix="bench-text-"))
    try:
        started = time.perf_counter()
        index = load_index(build_index(ids=np.arange(len(vectors)), vectors=vectors, directory=directory, name="text"))
        build_s = time.perf_counter() - started
        measured = measure_index(index, probes, exact_top(vectors, probes, K), repeats=repeats)
        exact = latency(lambda i: ExactIndex.search(index, probes[i], K), min(queries, EXACT_QUERIES), repeats=repeats)
        return {"size": size, "dim": int(vectors.shape[1]), "kind": type(index).kind, "build_s": round(build_s, 2),
                **measured, "exact_p50_ms": exact["p50_ms"]}
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def words_section(*, cache_dir: Path = Path("data/bench")) -> dict:
    """Word → similar words over the filtered vocabulary (the word Annoy index)."""
    from bench.quality_text import word_search_latency
    from search.ml.words import get_word_space

    words = get_word_space(cache_dir=cache_dir)
    return {"vocabulary": len(words.vocabulary), **word_search_latency(words)}


if __name__ == "__main__":
    main(extra_sections={"text_100k": text_section, "words": words_section})
