"""Tag suggestions with one calibrated confidence: the probability that a person would call the tag right.

Candidates are the words of the filtered GloVe vocabulary and the photo's ImageNet labels, all scored the same way:
soft class matching (search.ml.softclass) of the tag's word vector against the photo's class distribution. A small
logistic model turns a candidate's evidence into a probability. It was fitted on held-out labelled photos
(``python -m bench.suggest_fit``: Fashion-MNIST training images and the labelled scikit-image sample photos) and
is stored beside this module (suggest_calibration.json) with the expected calibration error it reached.

Its inputs say how much of the photo's probability lies near the tag, how far the tag is behind the photo's best
tag, how sure the classifier is of the photo at all (a vague photo spreads its probability, so every tag on it is
less likely right), how well the tag's word is represented by some class name, and how often the tag comes up
on unrelated photos (hubness: "bubble" is what the classifier sees in anything vague). A photo gets at most
MAX_SUGGESTIONS tags at or above THRESHOLD; a vague photo may get none.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from search.ml import softclass
from search.ml.words import WordSpace

MAX_SUGGESTIONS = 5
THRESHOLD = 0.5  # calibrated: more likely right than wrong
CANDIDATES_PER_PHOTO = 12  # best-evidence tags per photo that the calibrated model looks at
WORD_FIT_TAU = 0.1  # how much a word's distance from its best class name costs a suggestion
VOCABULARY = 20_000  # most frequent filtered words considered as tags
CALIBRATION = Path(__file__).with_name("suggest_calibration.json")
FEATURES = ("score", "gap", "photo_confidence", "word_fit", "hubness", "is_label")


@dataclass(frozen=True)
class Candidates:
    """Per photo: candidate tags with their feature rows (len(FEATURES) columns each)."""

    tags: list[list[str]]
    features: list[np.ndarray]


@dataclass(frozen=True)
class TagVocabulary:
    """Tags with sparse class weights (CSR-like rows) and how well each word is represented by a class name."""

    tags: list[str]
    is_label: np.ndarray  # (T,) bool
    word_fit: np.ndarray  # (T,) max cosine to a class name
    weights: sparse.csr_matrix  # (T, C) class weights, only the non-negligible ones stored


def build_vocabulary(
    word_space: WordSpace, class_matrix: np.ndarray, labels: list[str], *, size: int = VOCABULARY
) -> TagVocabulary:
    """The candidate tags: frequent vocabulary words plus the label tags (their vectors from the class names)."""
    words = [w for w in word_space.vocabulary[:size]]
    label_set = sorted(set(labels) - set(words))
    vectors = list(word_space.vectors(words))
    for label in label_set:
        try:
            vectors.append(word_space.phrase_vector(label))
        except LookupError:
            vectors.append(np.zeros(word_space.dim, np.float32))
    vectors = np.stack(vectors).astype(np.float32)
    keep = softclass.MAX_QUERY_CLASSES
    columns, values, fits = [], [], []
    for start in range(0, len(vectors), 2048):  # the dense (words, classes) cosines are large: a block at a time
        cos = vectors[start : start + 2048] @ class_matrix.T
        best = cos.max(axis=1, keepdims=True)
        top = np.argpartition(-cos, keep - 1, axis=1)[:, :keep]  # the same classes softclass.sparse_term keeps
        weights = np.exp((np.take_along_axis(cos, top, axis=1) - best) / softclass.TAU)
        weights[weights < softclass.MIN_WEIGHT] = 0
        columns.append(top)
        values.append(weights)
        fits.append(best[:, 0])
    columns, values = np.concatenate(columns), np.concatenate(values)
    n = len(vectors)
    weights = sparse.csr_matrix(
        (values.ravel(), (np.repeat(np.arange(n), keep), columns.ravel())),
        shape=(n, class_matrix.shape[0]),
        dtype=np.float32,
    )
    weights.eliminate_zeros()
    return TagVocabulary(
        tags=words + label_set,
        is_label=np.array([False] * len(words) + [True] * len(label_set)),
        word_fit=np.concatenate(fits).astype(np.float32),
        weights=weights,
    )


def candidates(
    logits: np.ndarray,
    vocabulary: TagVocabulary,
    *,
    hubness: dict[str, float] | None = None,
    per_photo: int = CANDIDATES_PER_PHOTO,
) -> Candidates:
    """The best-evidence tags of each photo and their features. ``hubness`` maps tags to the share of unrelated
    photos they came up on (from the calibration file)."""
    logits = np.atleast_2d(logits)
    probabilities = softclass.class_probabilities(logits)
    scores = softclass.term_score(np.asarray((vocabulary.weights @ probabilities.T).T))  # (N, T)
    # Search takes the word as given; a suggestion must also be a good word for the classes it stands on: the
    # word's distance from its best class name counts, as if the weights were relative to a perfect match.
    ranking = scores + (vocabulary.word_fit - 1) / (WORD_FIT_TAU * softclass._LOG_FLOOR)
    confidence = _softmax(logits).max(axis=1)
    hubness = hubness or {}
    all_tags, all_features = [], []
    for row in range(len(logits)):
        top = np.argpartition(-ranking[row], per_photo * 3)[: per_photo * 3]
        top = top[np.argsort(-ranking[row, top], kind="stable")]
        picked: list[int] = []
        for i in top:
            if not any(_same_tag(vocabulary.tags[i], vocabulary.tags[j]) for j in picked):
                picked.append(int(i))
            if len(picked) == per_photo:
                break
        best = ranking[row, picked].max() if picked else 0.0
        features = np.array(
            [
                [
                    ranking[row, i],
                    ranking[row, i] - best,
                    confidence[row],
                    vocabulary.word_fit[i],
                    hubness.get(vocabulary.tags[i], 0.0),
                    float(vocabulary.is_label[i]),
                ]
                for i in picked
            ],
            dtype=np.float32,
        ).reshape(len(picked), len(FEATURES))
        all_tags.append([vocabulary.tags[i] for i in picked])
        all_features.append(features)
    return Candidates(all_tags, all_features)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _same_tag(a: str, b: str) -> bool:
    """ "cat"/"cats", and a label that contains the word ("tabby cat"/"cat"), say the same thing twice."""
    if a == b or a in (b + "s", b + "es") or b in (a + "s", a + "es"):
        return True
    words_a, words_b = set(a.split()), set(b.split())
    return len(words_a) != len(words_b) and bool(words_a & words_b)


@dataclass(frozen=True)
class Calibration:
    """Logistic model over FEATURES (standardised with mean/scale), plus per-tag hubness and the fit's report."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    hubness: dict[str, float]
    report: dict

    def probability(self, features: np.ndarray) -> np.ndarray:
        if not len(features):
            return np.zeros(0, np.float32)
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return (1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))).astype(np.float32)  # exp overflows past ~88

    def to_json(self) -> dict:
        return {
            "features": list(FEATURES),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "hubness": self.hubness,
            "report": self.report,
        }

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        if data["features"] != list(FEATURES):
            raise ValueError("calibration was fitted on other features; rerun python -m bench.suggest_fit")
        return cls(
            np.asarray(data["coef"], np.float32),
            float(data["intercept"]),
            np.asarray(data["mean"], np.float32),
            np.asarray(data["scale"], np.float32),
            dict(data["hubness"]),
            dict(data.get("report", {})),
        )


@functools.lru_cache(maxsize=2)
def load_calibration(path: Path = CALIBRATION) -> Calibration:
    return Calibration.from_json(json.loads(Path(path).read_text()))


def suggest(
    candidates: Candidates,
    calibration: Calibration | None,
    *,
    probabilities: list[np.ndarray] | None = None,
    rejections: dict[str, tuple[int, int]] | None = None,
    limit: int = MAX_SUGGESTIONS,
    threshold: float = THRESHOLD,
) -> list[list[tuple[str, float]]]:
    """Per photo, at most `limit` (tag, probability) at or above `threshold`, most probable first.

    ``probabilities`` replaces the calibration's (e.g. held-out ones in a benchmark). ``rejections`` maps a tag
    to the owner's (accepted, rejected) counts of it as a suggestion: each rejection not
    outweighed by acceptances scales the probability down, p · (accepted + 1) / (accepted + rejected + 1).
    """
    rejections = rejections or {}
    if probabilities is None:
        probabilities = [calibration.probability(features) for features in candidates.features]
    results = []
    for tags, photo_probabilities in zip(candidates.tags, probabilities):
        scored = []
        for tag, p in zip(tags, photo_probabilities):
            accepted, rejected = rejections.get(tag, (0, 0))
            scored.append((tag, float(p) * (accepted + 1) / (accepted + rejected + 1)))
        scored.sort(key=lambda item: -item[1])
        results.append([(tag, p) for tag, p in scored if p >= threshold][:limit])
    return results
