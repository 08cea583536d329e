"""Word-query quality and word-search latency.

Fashion-MNIST class names become one-word text queries over the 1,000 eval images (first 100 test images
per class, dark object on white); P@10 = share of the 10 highest-cosine images that carry the queried class,
averaged over the 10 queries. Zero-shot places images in word space with ConSE; trained uses a projection
fitted on training images (disjoint from the eval images) with the query words' vectors as targets.

Query words — the plain word a user would type, each known to GloVe:
T-shirt/top → "t-shirt" (a GloVe token; "shirt" is taken by Shirt), Trouser → "trousers",
Pullover → "sweater" ("pullover" is rare in GloVe), Dress → "dress", Coat → "coat", Sandal → "sandal",
Shirt → "shirt", Sneaker → "sneaker", Bag → "bag", Ankle boot → "boot".

`python -m bench.quality_text` runs both on the cached Fashion-MNIST features (bench.fmnist).
"""

from __future__ import annotations

import json
import time

import numpy as np

from search.ml.semantic import conse, imagenet_class_matrix, train_projection
from search.ml.words import WordSpace

QUERY_WORDS = ("t-shirt", "trousers", "sweater", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot")
TRAIN_PER_CLASS = 100  # measured: 30/class already gives P@10 ≈ 0.9, 100/class ≈ 0.92
TOP_K = 10


def precision_at_k(vectors: np.ndarray, labels: np.ndarray, queries: np.ndarray, *, k: int = TOP_K) -> float:
    """Mean over query rows c of the share of the k highest-cosine vectors labelled c."""
    top = np.argsort(-(queries @ vectors.T), axis=1)[:, :k]
    return float(np.mean(labels[top] == np.arange(len(queries))[:, None]))


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    return np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(len(QUERY_WORDS))])


def text_metrics(
    test_features: np.ndarray,
    test_logits: np.ndarray | None,
    test_labels: np.ndarray,
    train_features: np.ndarray,
    train_labels: np.ndarray,
    *,
    word_space: WordSpace,
    classifier: tuple[np.ndarray, np.ndarray],
) -> dict[str, float]:
    """P@10 of the 10 class-word queries, zero-shot and trained.

    test_logits may be None: they are then derived from the features with classifier (W, b), as the app does.
    The projection is trained on the first TRAIN_PER_CLASS images of each class in train_*.
    """
    if test_logits is None:
        weights, bias = classifier
        test_logits = test_features @ weights + bias
    queries = np.stack([word_space.vector(word) for word in QUERY_WORDS])
    zeroshot = conse(test_logits, imagenet_class_matrix(word_space))
    train = first_per_class(train_labels, TRAIN_PER_CLASS)
    projection = train_projection(train_features[train], queries[train_labels[train]], seed=0)
    return {
        "fmnist_text_p10_zeroshot": round(precision_at_k(zeroshot, test_labels, queries), 4),
        "fmnist_text_p10_trained": round(precision_at_k(projection.project(test_features), test_labels, queries), 4),
    }


def word_search_latency(word_space: WordSpace, n: int = 1000, *, k: int = 10) -> dict[str, float]:
    """Per-query latency of `similar(word, k)` over n vocabulary words (fixed sample), after a warm-up pass."""
    rng = np.random.default_rng(0)
    words = [word_space.vocabulary[i] for i in rng.integers(0, len(word_space.vocabulary), n)]
    for word in words[:50]:
        word_space.similar(word, k)
    timings = []
    for word in words:
        start = time.perf_counter()
        word_space.similar(word, k)
        timings.append(time.perf_counter() - start)
    return {
        "p50_ms": round(float(np.percentile(timings, 50)) * 1e3, 4),
        "p99_ms": round(float(np.percentile(timings, 99)) * 1e3, 4),
    }


def main() -> None:
    from bench.fmnist import BENCH_CACHE, fmnist_features
    from search.ml.encoder import get_encoder
    from search.ml.words import get_word_space

    features, labels, split = fmnist_features(BENCH_CACHE)
    test, train = np.flatnonzero(split == 1), np.flatnonzero(split == 0)
    test = test[first_per_class(labels[test], 100)]
    train = train[first_per_class(labels[train], TRAIN_PER_CLASS)]
    word_space = get_word_space(cache_dir=BENCH_CACHE)
    results = text_metrics(
        features[test],
        None,
        labels[test],
        features[train],
        labels[train],
        word_space=word_space,
        classifier=get_encoder("lite0", cache_dir=BENCH_CACHE).classifier(),
    )
    latency = word_search_latency(word_space)
    results.update({"word_search_p50_ms": latency["p50_ms"], "word_search_p99_ms": latency["p99_ms"]})
    print(json.dumps(results))


if __name__ == "__main__":
    main()
