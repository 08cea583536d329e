"""Index benchmark: latency and recall@10 of search.ml.ann against exact numpy cosine in the full space.

    python -m bench.search [--sizes 10000,100000,1000000] [--queries 300] [--repeats 3] [--params '{"n_trees": 20}']
                           [--crossover 1000,2000,5000,10000] [--plot docs/search-recall-latency.png]

Per size: build time (and its phases), the build child's peak RSS, bytes on disk (and per photo), the calibrated
parameters, p50/p99 latency and recall@10 for plain queries and for class-conditioned ones (w = max(W[:, c], 0) for a
random ImageNet class c) at the default effort and at every calibrated effort level (the recall/latency curve), and
exact numpy latency over the float32 vectors alongside. Recall is against the exact top 10 over the float32 vectors,
so it includes what the uint8 rerank copies cost. Latencies are medians over `repeats` passes. Other benchmarks
(text-query space, word search) reuse `measure_index` / `latency` and add their results through
`main(extra_sections=...)`; the last stdout line is JSON.
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

from bench.fmnist import BENCH_CACHE
from bench.vectors import bench_set, score_profile
from search.ml.ann import AnnoyIndex, ExactIndex, VectorIndex, build_index, load_index

K = 10
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
EXACT_QUERIES = 30  # a 1M exact scan takes about a second per query; a few dozen give a stable median
CALIBRATION_CLASS_SAMPLE = 50


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
    best_scores = np.full((len(q), k), -np.inf, np.float32)
    best = np.zeros((len(q), k), np.int64)
    step = 16_384
    for start in range(0, len(vectors), step):
        rows = np.asarray(vectors[start : start + step], dtype=np.float32)
        block = rows @ probe.T
        norms = np.linalg.norm(rows, axis=1)[:, None] if w2 is None else np.sqrt(np.square(rows) @ w2.T)
        scores = (block / np.maximum(norms, 1e-30)).T
        merged_scores = np.concatenate([best_scores, scores], axis=1)
        merged = np.concatenate([best, np.broadcast_to(np.arange(start, start + len(rows)), scores.shape)], axis=1)
        keep = np.argpartition(-merged_scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(merged_scores, keep, axis=1)
        best = np.take_along_axis(merged, keep, axis=1)
    return best


def measure(
    search: Callable[[np.ndarray, np.ndarray | None], list],
    ids: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    repeats: int,
) -> dict[str, float]:
    """Latency of search(query, weights) over the queries and recall@K against `truth` (row positions)."""
    w = (lambda i: None) if weights is None else (lambda i: weights[i])
    found = [search(queries[i], w(i)) for i in range(len(queries))]
    truth_ids = ids[truth]
    recall = np.mean([len({i for i, _ in f} & set(t.tolist())) / K for f, t in zip(found, truth_ids)])
    timing = latency(lambda i: search(queries[i], w(i)), len(queries), repeats=repeats)
    return {**timing, f"recall@{K}": round(float(recall), 4)}


def measure_index(index: VectorIndex, queries, truth, *, weights=None, repeats: int) -> dict[str, float]:
    """measure() of index.search at the index's default effort."""
    return measure(
        lambda q, w: index.search(q, K, weights=w), index.ids, queries, truth, weights=weights, repeats=repeats
    )


def class_weights(n: int, *, cache_dir: Path, seed: int) -> tuple[np.ndarray, str]:
    """n conditioning vectors max(W[:, c], 0) for random classes c, from the Lite0 classifier."""
    from search.ml.encoder import get_encoder

    rng = np.random.default_rng(seed)
    matrix, _ = get_encoder("lite0", cache_dir=cache_dir).classifier()
    classes = rng.integers(0, matrix.shape[1], size=n)
    return np.maximum(np.asarray(matrix, dtype=np.float32)[:, classes].T, 0), "lite0-classifier"


def effort_curve(index: AnnoyIndex, queries, truths, weights, *, repeats: int) -> list[dict]:
    """Recall and latency at each calibrated effort level, plain and conditioned (the build's recall/latency curve)."""
    rows = []
    for plain, conditioned in zip(index.params["levels"], index.params["conditioned_levels"]):
        row: dict[str, Any] = {}
        for name, level, truth, w in (
            ("plain", plain, truths[0], None),
            ("conditioned", conditioned, truths[1], weights),
        ):

            def search(q, wi, level=level):
                return index.search_with(q, K, weights=wi, search_k=level["search_k"], rerank=level["rerank"])

            row[name] = {
                **level,
                "calibrated_recall": level["recall"],
                **measure(search, index.ids, queries, truth, weights=w, repeats=repeats),
            }
            del row[name]["recall"]
        rows.append(row)
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


def _normalise_in_place(vectors: np.ndarray) -> None:
    for start in range(0, len(vectors), 65_536):
        chunk = vectors[start : start + 65_536]
        chunk /= np.maximum(np.linalg.norm(chunk, axis=1, keepdims=True), 1e-30)


def bench_size(
    size: int,
    *,
    queries: int,
    repeats: int,
    params: dict[str, Any],
    cache_dir: Path,
    work_dir: Path,
    subset: Path | None = None,
) -> dict[str, Any]:
    data = bench_set(size=size, queries=queries, cache_dir=cache_dir, subset=subset)
    # bench_set's rows are a fresh copy (a selection or a concatenation), so normalising them in place is safe.
    vectors, real, query_vectors, source = np.asarray(data.vectors, np.float32), data.real, data.queries, data.source
    del data
    _normalise_in_place(vectors)  # the exact reference scans unit rows, as ExactIndex stores them
    ids = np.arange(size)
    weights, weights_source = class_weights(queries, cache_dir=cache_dir, seed=1)
    calibration, _ = class_weights(CALIBRATION_CLASS_SAMPLE, cache_dir=cache_dir, seed=2)
    directory = Path(tempfile.mkdtemp(prefix="bench-index-", dir=work_dir))
    try:
        started = time.perf_counter()
        path = build_index(
            ids=ids, vectors=vectors, directory=directory, name="bench", params=params, calibration_weights=calibration
        )
        build_seconds = time.perf_counter() - started
        manifest = json.loads((path / "manifest.json").read_text())
        index = load_index(path)
        plain_truth = exact_top(vectors, query_vectors, K)
        conditioned_truth = exact_top(vectors, query_vectors, K, weights)
        exact = ExactIndex(path=path, ids=ids, vectors=vectors, params={})
        n_exact = min(EXACT_QUERIES, queries)
        size_bytes = sum(f.stat().st_size for f in path.iterdir())
        section = {
            "size": size,
            "source": source,
            "real_vectors": real,
            "queries": queries,
            "kind": index.kind,
            "params": index.params,
            "build_seconds": round(build_seconds, 2),
            "build_peak_rss_mb": manifest.get("build_peak_rss_mb"),
            "build_phases_seconds": manifest.get("build_phases_seconds"),
            "bytes": size_bytes,
            "bytes_per_photo": round(size_bytes / size, 1),
            "plain": measure_index(index, query_vectors, plain_truth, repeats=repeats),
            "conditioned": measure_index(index, query_vectors, conditioned_truth, weights=weights, repeats=repeats),
            "conditioning_weights": weights_source,
            "exact_numpy": latency(lambda i: exact.search(query_vectors[i], K), n_exact, repeats=1),
            "exact_numpy_conditioned": latency(
                lambda i: exact.search(query_vectors[i], K, weights=weights[i]), n_exact, repeats=1
            ),
            "true_top10_real_fraction": round(float(np.mean(plain_truth < real)), 3),
            "score_profile": profiles(vectors, real, query_vectors[:200]),
        }
        if index.kind == "annoy":
            truths = (plain_truth, conditioned_truth)
            section["curve"] = effort_curve(index, query_vectors, truths, weights, repeats=repeats)
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
                    build_index(
                        ids=np.arange(size), vectors=data.vectors, directory=directory, name=kind, params={"kind": kind}
                    )
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


def plot(result: dict, path: Path) -> None:
    """The recall/latency curve of every size, plain and conditioned, with exact numpy's p50 for scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, NullFormatter, StrMethodFormatter

    figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=False)
    for ax, kind in zip(axes, ("plain", "conditioned")):
        for section in result["sizes"]:
            if "curve" not in section:
                continue
            points = [(row[kind]["p50_ms"], row[kind][f"recall@{K}"]) for row in section["curve"]]
            exact = section["exact_numpy" if kind == "plain" else "exact_numpy_conditioned"]["p50_ms"]
            label = f"{section['size']:,} photos (exact numpy {exact:.0f} ms)"
            line = ax.plot(*zip(*points), marker="o", label=label)[0]
            default = section[kind]
            ax.plot(default["p50_ms"], default[f"recall@{K}"], marker="*", markersize=14, color=line.get_color())
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator([0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128]))
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("p50 latency per query (ms, log scale)")
        ax.set_ylabel(f"recall@{K} vs exact float32")
        ax.set_title(f"{kind} queries (★ = calibrated default)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    load = result["host"]
    sources = ", ".join(sorted({section["source"] for section in result["sizes"]}))
    figure.suptitle(
        f"bench.search, {sources}: {load['cpus']} shared cores, 1-min load {load['loadavg_1m_start']:.0f}"
        f" at start, {load['loadavg_1m_end']:.0f} at end",
        fontsize=10,
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)


def main(argv: list[str] | None = None, *, extra_sections: Mapping[str, Callable[[], dict]] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--params", type=json.loads, default={}, help='build params, e.g. \'{"kind": "annoy"}\'')
    parser.add_argument("--cache-dir", type=Path, default=BENCH_CACHE)
    parser.add_argument("--crossover", default="", help="also time exact vs Annoy at these small sizes, e.g. 1000,5000")
    parser.add_argument("--plot", type=Path, help="write the recall/latency curve here (PNG)")
    parser.add_argument("--no-extra", action="store_true", help="skip the text and word sections")
    parser.add_argument(
        "--subset", type=Path, help="an .npz of some Fashion-MNIST features instead of all (see bench_set)"
    )
    args = parser.parse_args(argv)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="bench-search-"))
    # Latency on a shared 2-core box depends on what else runs: record the load next to the numbers.
    host = {"cpus": os.cpu_count(), "loadavg_1m_start": os.getloadavg()[0]}
    result: dict[str, Any] = {"benchmark": "search.ml.ann", "k": K, "host": host, "sizes": []}
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            section = bench_size(
                size,
                queries=args.queries,
                repeats=args.repeats,
                params=args.params,
                cache_dir=args.cache_dir,
                work_dir=work_dir,
                subset=args.subset,
            )
            print(json.dumps(section), flush=True)
            result["sizes"].append(section)
        if args.crossover:
            sizes = tuple(int(s) for s in args.crossover.split(","))
            result["crossover"] = crossover(
                sizes, queries=args.queries, repeats=args.repeats, cache_dir=args.cache_dir, work_dir=work_dir
            )
        for name, section in ({} if args.no_extra else extra_sections or {}).items():
            result[name] = section()
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    host["loadavg_1m_end"] = os.getloadavg()[0]
    if args.plot:
        plot(result, args.plot)
    print(json.dumps(result))
    return result


def text_section(*, size: int = 100_000, queries: int = 300, repeats: int = 3, cache_dir: Path = BENCH_CACHE):
    """Text queries as the app runs them: soft class matching over the store built from the photos' class
    probabilities (search.ml.softclass), one word per query; recall@10 against the exact dense scores."""
    from search.ml import softclass
    from search.ml.encoder import get_encoder
    from search.ml.semantic import imagenet_class_matrix
    from search.ml.words import get_word_space

    words = get_word_space(cache_dir=cache_dir)
    weights, bias = get_encoder("lite0", cache_dir=cache_dir).classifier()
    features = bench_set(size=size, queries=1, cache_dir=cache_dir).vectors
    class_matrix = imagenet_class_matrix(words)
    probabilities = np.concatenate(
        [
            softclass.class_probabilities(np.asarray(features[start : start + 20_000]) @ weights + bias)
            for start in range(0, len(features), 20_000)
        ]
    )
    rng = np.random.default_rng(0)
    probes = [
        softclass.words_query([(1.0, words.vector(w))], class_matrix)
        for w in rng.choice(words.vocabulary[:20_000], queries, replace=False)
    ]
    ids = np.arange(len(probabilities))
    directory = Path(tempfile.mkdtemp(dir=cache_dir, prefix="bench-text-"))
    try:
        started = time.perf_counter()
        store = softclass.load_store(
            softclass.build_store(ids=ids, probabilities=probabilities, directory=directory, name="text")
        )
        build_s = time.perf_counter() - started
        timed = latency(lambda i: store.search(probes[i], K), queries, repeats=repeats)
        checked = range(min(queries, EXACT_QUERIES))
        recall = np.mean(
            [
                len(
                    {i for i, _ in store.search(probes[q], K)}
                    & {i for i, _ in softclass.exact_search(ids, probabilities, probes[q], K)}
                )
                / K
                for q in checked
            ]
        )
        exact = latency(lambda i: softclass.exact_search(ids, probabilities, probes[i], K), len(checked), repeats=1)
        return {
            "size": size,
            "kind": softclass.KIND,
            "build_s": round(build_s, 2),
            **timed,
            "recall_at_10": round(float(recall), 4),
            "exact_dense_p50_ms": exact["p50_ms"],
        }
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def words_section(*, cache_dir: Path = BENCH_CACHE) -> dict:
    """Word → similar words over the filtered vocabulary (the word Annoy index)."""
    from bench.quality_text import word_search_latency
    from search.ml.words import get_word_space

    words = get_word_space(cache_dir=cache_dir)
    return {"vocabulary": len(words.vocabulary), **word_search_latency(words)}


if __name__ == "__main__":
    main(extra_sections={"text_100k": text_section, "words": words_section})
