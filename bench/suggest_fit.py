"""Fit the calibrated tag-suggestion model (search/ml/suggest_calibration.json) and measure suggestions.

    python -m bench.suggest_fit            # fit on labelled photos, write the calibration, print the report
    python -m bench.suggest_fit --check    # only measure the stored calibration

Labelled photos:
- Fashion-MNIST: the first 100 training images of each class for fitting, its label mapped to the words a person
  would accept (FMNIST_WORDS); the eval slices of bench.quality (test images) are held out;
- the scikit-image sample photos with the words of bench/data/photo_queries.json ("labels"; an empty list marks a
  photo that no everyday word describes), each also as VARIANTS crops/flips/scales. Real-photo figures are
  leave-one-photo-out: the model scoring a photo was fitted without any version of it.

A suggested tag is right when it or one of its words (singular or plural) is among the photo's words.
suggest_precision_at_3: right share of the (at most 3) best suggestions shown, pooled over photos;
suggest_coverage: share of photos with at least one suggestion; suggest_ece: expected calibration error of the
probabilities of all candidates; suggest_max_unrelated_share: the most any one tag is suggested on photos it is
wrong for, as a share of those photos. Last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bench.fmnist import BENCH_CACHE
from search.ml import suggest

VARIANTS = 7
CLOTHES = ("clothing", "clothes", "garment", "apparel")
FOOTWEAR = ("shoe", "footwear")
FMNIST_WORDS = (
    ("t-shirt", "tee", "top", "jersey", *CLOTHES),
    ("trousers", "pants", "jeans", "jean", "slacks", *CLOTHES),
    ("sweater", "pullover", "jumper", "cardigan", "sweatshirt", *CLOTHES),
    ("dress", "gown", "frock", *CLOTHES),
    ("coat", "jacket", "overcoat", "parka", *CLOTHES),
    ("sandal", "flip-flops", *FOOTWEAR),
    ("shirt", "blouse", *CLOTHES),
    ("sneaker", "trainers", *FOOTWEAR),
    ("bag", "handbag", "purse", "backpack"),
    ("boot", *FOOTWEAR),
)


def fit_calibration(
    features: np.ndarray, right: np.ndarray, *, hubness: dict[str, float], l2: float = 1e-2, report: dict | None = None
) -> suggest.Calibration:
    """Logistic regression (Newton's method, L2) of right ∈ {0, 1} on the features."""
    x = np.asarray(features, np.float64)
    y = np.asarray(right, np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        gradient = z.T @ (p - y) + l2 * np.r_[w[:-1], 0]
        hessian = (z * (p * (1 - p))[:, None]).T @ z + l2 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return suggest.Calibration(
        w[:-1].astype(np.float32),
        float(w[-1]),
        mean.astype(np.float32),
        scale.astype(np.float32),
        hubness,
        report or {},
    )


def expected_calibration_error(probabilities: np.ndarray, right: np.ndarray, *, bins: int = 10) -> float:
    """Σ over equal-width probability bins of (bin share) × |mean confidence − accuracy|."""
    probabilities, right = np.asarray(probabilities, float), np.asarray(right, float)
    if not len(probabilities):
        return 0.0
    which = np.minimum((probabilities * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            error += mask.mean() * abs(probabilities[mask].mean() - right[mask].mean())
    return float(error)


def _stem(word: str) -> str:
    for suffix in ("es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)]
    return word


def is_right(tag: str, words: set[str]) -> bool:
    stems = {_stem(w) for w in words}
    return tag in words or _stem(tag) in stems or any(_stem(t) in stems for t in tag.split())


def photo_variants(image, count: int) -> list:
    """Distinct versions of one photo (crops, flips, scales): the same subject, different pixels."""
    from PIL import Image

    out = []
    for i in range(count):
        w, h = image.size
        box = (i * 7 % 40, i * 11 % 30, w - (i * 13 % 40), h - (i * 5 % 30))
        version = image.crop(box).resize((int(w * (0.6 + 0.05 * (i % 5))), int(h * (0.6 + 0.05 * (i % 5)))))
        out.append(version.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if i % 2 else version)
    return out


def real_photos(encoder) -> tuple[np.ndarray, list[set[str]], np.ndarray]:
    """(logits, words per photo, group = which sample photo) for the originals (first) and their variants."""
    from bench.quality_text import PHOTO_QUERIES, sample_photos

    names, images = sample_photos()
    labels = json.loads(PHOTO_QUERIES.read_text())["labels"]
    batch, groups = list(images), list(range(len(images)))
    for g, image in enumerate(images):
        batch += photo_variants(image, VARIANTS)
        groups += [g] * VARIANTS
    _, logits = encoder.encode(batch)
    return logits, [set(labels[names[g]]) for g in groups], np.asarray(groups)


def fmnist_photos(cache_dir: Path, *, split: str) -> tuple[np.ndarray, list[set[str]]]:
    """Fashion-MNIST logits and words: split "fit" (training images) or "eval", "eval2" (bench.quality's slices)."""
    from bench.fmnist import fmnist_features
    from bench.quality import PER_CLASS, eval_indices
    from bench.quality_text import first_per_class
    from search.ml.encoder import get_encoder

    features, labels, splits = fmnist_features(cache_dir)
    if split == "fit":
        rows = np.flatnonzero(splits == 0)
        rows = rows[first_per_class(labels[rows], PER_CLASS)]
    else:
        rows = eval_indices(labels, splits, offset=0 if split == "eval" else PER_CLASS)
    weights, bias = get_encoder("lite0", cache_dir=cache_dir).classifier()
    return features[rows] @ weights + bias, [set(FMNIST_WORDS[c]) for c in labels[rows]]


def labelled(candidates: suggest.Candidates, words: list[set[str]]) -> tuple[np.ndarray, np.ndarray]:
    rows = [f for f in candidates.features if len(f)]
    right = [is_right(tag, w) for tags, w in zip(candidates.tags, words) for tag in tags]
    return (np.concatenate(rows) if rows else np.zeros((0, len(suggest.FEATURES)))), np.asarray(right, float)


def hubness(candidates: suggest.Candidates, words: list[set[str]], *, top: int = 3) -> dict[str, float]:
    """Per tag: share of the photos it is wrong for that have it among their `top` candidates."""
    wrong_for: dict[str, int] = {}
    came_up: dict[str, int] = {}
    for tags, w in zip(candidates.tags, words):
        for tag in tags[:top]:
            if not is_right(tag, w):
                came_up[tag] = came_up.get(tag, 0) + 1
    for tag in came_up:
        wrong_for[tag] = sum(1 for w in words if not is_right(tag, w))
    return {tag: round(n / max(1, wrong_for[tag]), 4) for tag, n in came_up.items()}


def measure(
    candidates: suggest.Candidates,
    words: list[set[str]],
    calibration: suggest.Calibration,
    probabilities: list[np.ndarray] | None = None,
) -> dict[str, float]:
    """suggest_precision_at_3, _coverage, _ece and _max_unrelated_share of one labelled set."""
    if probabilities is None:
        probabilities = [calibration.probability(f) for f in candidates.features]
    shown = suggest.suggest(candidates, calibration, probabilities=probabilities)
    right = [[is_right(tag, w) for tag, _ in row[:3]] for row, w in zip(shown, words)]
    flat = [r for row in right for r in row]
    wrong_counts: dict[str, int] = {}
    for row, w in zip(shown, words):
        for tag, _ in row:
            if not is_right(tag, w):
                wrong_counts[tag] = wrong_counts.get(tag, 0) + 1
    unrelated = max(
        (n / max(1, sum(1 for w in words if not is_right(tag, w))) for tag, n in wrong_counts.items()), default=0.0
    )
    all_p = np.concatenate([p for p in probabilities if len(p)]) if probabilities else np.zeros(0)
    _, all_right = labelled(candidates, words)
    return {
        "suggest_precision_at_3": round(float(np.mean(flat)) if flat else 0.0, 4),
        "suggest_coverage": round(float(np.mean([bool(row) for row in shown])), 4),
        "suggest_ece": round(expected_calibration_error(all_p, all_right), 4),
        "suggest_max_unrelated_share": round(float(unrelated), 4),
        "suggest_per_photo": round(float(np.mean([len(row) for row in shown])), 2),
    }


def main() -> None:
    from search.ml.classes import class_tags
    from search.ml.encoder import get_encoder
    from search.ml.semantic import imagenet_class_matrix
    from search.ml.words import get_word_space

    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="measure the stored calibration, fit nothing")
    parser.add_argument("--no-fmnist", action="store_true", help="fit and measure on the real photos only")
    args = parser.parse_args()
    cache_dir = BENCH_CACHE
    encoder = get_encoder("lite0", cache_dir=cache_dir)
    word_space = get_word_space(cache_dir=cache_dir)
    vocabulary = suggest.build_vocabulary(word_space, imagenet_class_matrix(word_space), list(class_tags()))

    real_logits, real_words, groups = real_photos(encoder)
    fit_logits, fit_words = (
        (np.zeros((0, 1000), np.float32), []) if args.no_fmnist else fmnist_photos(cache_dir, split="fit")
    )
    real_c = suggest.candidates(real_logits, vocabulary)
    fit_c = suggest.candidates(fit_logits, vocabulary)
    hubs = {}
    for c, w in ((real_c, real_words), (fit_c, fit_words)):
        for tag, share in hubness(c, w).items():
            hubs[tag] = max(hubs.get(tag, 0.0), share)
    hubs = {tag: share for tag, share in sorted(hubs.items()) if share >= 0.02}
    real_c = suggest.candidates(real_logits, vocabulary, hubness=hubs)
    fit_c = suggest.candidates(fit_logits, vocabulary, hubness=hubs)

    def fit(exclude_group: int | None = None, report: dict | None = None) -> suggest.Calibration:
        keep = [i for i, g in enumerate(groups) if g != exclude_group]
        real_part = suggest.Candidates([real_c.tags[i] for i in keep], [real_c.features[i] for i in keep])
        xs, ys = zip(labelled(real_part, [real_words[i] for i in keep]), labelled(fit_c, fit_words))
        return fit_calibration(np.concatenate(xs), np.concatenate(ys), hubness=hubs, report=report)

    # Real photos, leave one photo out: each original is scored by a model that never saw any version of it.
    originals = [i for i, g in enumerate(groups) if i == g]
    held_out = [fit(exclude_group=g).probability(real_c.features[i]) for g, i in enumerate(originals)]
    real_set = suggest.Candidates([real_c.tags[i] for i in originals], [real_c.features[i] for i in originals])
    results = {
        f"{k}_photos": v
        for k, v in measure(real_set, [real_words[i] for i in originals], None, probabilities=held_out).items()
    }
    calibration = suggest.load_calibration() if args.check else fit()
    for split in () if args.no_fmnist else ("eval", "eval2"):
        logits, words = fmnist_photos(cache_dir, split=split)
        suffix = "" if split == "eval" else "_slice2"
        scores = measure(suggest.candidates(logits, vocabulary, hubness=calibration.hubness), words, calibration)
        results.update({f"{k}_fmnist{suffix}": v for k, v in scores.items()})
    if not args.check:
        results["fitted_on"] = "real photos" if args.no_fmnist else "real photos + Fashion-MNIST"
        calibration = fit(report=results)
        suggest.CALIBRATION.write_text(json.dumps(calibration.to_json(), indent=1) + "\n")
    from bench.quality_text import PHOTO_QUERIES

    names = list(json.loads(PHOTO_QUERIES.read_text())["photos"])
    for name, row in zip(names, suggest.suggest(real_set, calibration, probabilities=held_out)):
        print(name, [(tag, round(p, 2)) for tag, p in row])
    print(json.dumps(results))


if __name__ == "__main__":
    main()
