"""Fit the relevance labels of search results (search/ml/relevance_thresholds.json) on labelled real photos.

    python -m bench.relevance_fit            # fit for each model, write the thresholds, print the report
    python -m bench.relevance_fit --check    # only measure the stored thresholds

The scikit-image sample photos of bench/data/photo_queries.json, with the words a person would accept for each
("labels"), are the gallery. Pairs (query, photo) are right or wrong:
- words: every query word of photo_queries.json against every photo, scored by soft class matching as the app
  does; right when the word is one of the photo's words (bench.suggest_fit.is_right);
- class: every ImageNet class whose short name is right for some photo ("tabby cat" for the cat) against every
  photo, scored by the cosine with the class's weights as the app does;
- image: every version of a photo (crops, flips, scales: bench.suggest_fit.photo_variants) as a query against
  every original photo; right for its own photo.
For each kind, "strong" is the lowest score whose results were right ≥ 99 % of the time, "possible" ≥ 95 %.
The last stdout line is JSON: per model and kind, the thresholds and the precision and recall they reach.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from bench.fmnist import BENCH_CACHE
from bench.quality_text import PHOTO_QUERIES, sample_photos
from bench.suggest_fit import is_right, photo_variants
from search.ml import relevance, softclass
from search.ml.catalogue import VARIANTS, model_version
from search.ml.classes import class_names, label_tag
from search.ml.encoder import get_encoder
from search.ml.semantic import imagenet_class_matrix
from search.ml.words import get_word_space

IMAGE_VERSIONS = 7
STRONG_PRECISION = 0.99  # "strong": results scoring at least this were right this often
POSSIBLE_PRECISION = 0.95


def fit_threshold(scores: np.ndarray, right: np.ndarray, *, precision: float) -> float:
    """The lowest score t such that results scoring ≥ t are right at least `precision` of the time.

    With no such t (too few right results), the highest score plus a margin: nothing reaches the label.
    """
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    ranked, hits = np.asarray(scores, dtype=np.float64)[order], np.asarray(right, dtype=bool)[order]
    cumulative = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    ok = np.flatnonzero(cumulative >= precision)
    if not len(ok):
        return float(ranked[0] + 1.0) if len(ranked) else float("inf")
    cut = ok[-1]
    while cut + 1 < len(ranked) and ranked[cut + 1] == ranked[cut]:
        cut += 1  # ties share a label
    return float(ranked[cut])


def measure(scores: np.ndarray, right: np.ndarray, found: relevance.Thresholds) -> dict:
    """The precision and recall each label's threshold reaches on labelled (scores, right)."""
    scores, right = np.asarray(scores, dtype=np.float64), np.asarray(right, dtype=bool)
    report = {"pairs": len(scores), "right": int(right.sum())}
    for name, cut in ((relevance.STRONG, found.strong), (relevance.POSSIBLE, found.possible)):
        chosen = scores >= cut
        report[f"{name}_precision"] = round(float(right[chosen].mean()) if chosen.any() else 1.0, 3)
        report[f"{name}_recall"] = round(float(right[chosen].sum() / max(1, right.sum())), 3)
    return report


def fit(scores: np.ndarray, right: np.ndarray) -> relevance.Thresholds:
    """Both thresholds of one kind of search, from labelled (scores, right)."""
    strong = fit_threshold(scores, right, precision=STRONG_PRECISION)
    possible = min(strong, fit_threshold(scores, right, precision=POSSIBLE_PRECISION))
    return relevance.Thresholds(strong=round(strong, 4), possible=round(possible, 4))


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


def labelled_pairs(model: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per kind of search: (scores, right) over every labelled (query, photo) pair."""
    names, images = sample_photos()
    spec = json.loads(PHOTO_QUERIES.read_text())
    words = [set(spec["labels"][name]) for name in names]
    encoder = get_encoder(model, cache_dir=BENCH_CACHE)
    versions = [v for image in images for v in photo_variants(image, IMAGE_VERSIONS)]
    features, logits = encoder.encode(list(images) + versions)
    originals, queries = features[: len(images)], features[len(images) :]

    word_space = get_word_space(cache_dir=BENCH_CACHE)
    class_matrix = imagenet_class_matrix(word_space)
    probabilities = softclass.class_probabilities(logits[: len(images)])
    word_scores, word_right = [], []
    for word in sorted({word for word, _ in spec["queries"]}):
        query = softclass.words_query([(1.0, word_space.vector(word))], class_matrix)
        word_scores.append(softclass.dense_scores(probabilities, query))
        word_right.append([is_right(word, w) for w in words])

    weights, _ = encoder.classifier()
    tags = [label_tag(name).lower() for name in class_names()]
    chosen = [c for c, tag in enumerate(tags) if any(is_right(tag, w) for w in words)]
    class_scores = _unit(originals) @ _unit(weights[:, chosen].T).T
    class_right = [[is_right(tags[c], w) for c in chosen] for w in words]

    image_scores = _unit(queries) @ _unit(originals).T
    image_right = np.repeat(np.arange(len(images)), IMAGE_VERSIONS)[:, None] == np.arange(len(images))[None]
    return {
        relevance.WORDS: (np.ravel(word_scores), np.ravel(word_right)),
        relevance.CLASS: (np.ravel(class_scores), np.ravel(class_right)),
        relevance.IMAGE: (np.ravel(image_scores), np.ravel(image_right)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="measure the stored thresholds, write nothing")
    args = parser.parse_args()
    stored = {"models": {}, "about": "written by python -m bench.relevance_fit; do not edit by hand"}
    report = {}
    for model in VARIANTS:
        key = f"{model}-{model_version(model)}"
        stored["models"][model] = {"fitted_on": key}
        for kind, (scores, right) in labelled_pairs(model).items():
            found = relevance.thresholds(model, kind) if args.check else fit(scores, right)
            if found is None:
                report[f"{model}_{kind}"] = None
                continue
            measured = {"strong": found.strong, "possible": found.possible, **measure(scores, right, found)}
            stored["models"][model][kind] = report[f"{model}_{kind}"] = measured
    if not args.check:
        relevance.THRESHOLDS.write_text(json.dumps(stored, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
