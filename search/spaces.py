"""Vector spaces a photo is indexed in, all derived from its one stored feature vector.

- image: the model's penultimate features as they are (image → image, class-conditioned search);
- text: through the owner's trained projection into the GloVe word space when it beat zero-shot on their own tags
  (cosine), otherwise zero-shot soft class matching on the class probabilities (search.ml.softclass; logits =
  features @ W + b).

`text_query` is the one place where words (and optionally a photo) become the query of a text space.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import components
from .debounce import debounce
from .ml import softclass
from .ml.semantic import ProjectionArrays
from .models import SearchIndex, TextProjection
from .tasks import projection_export_task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Space:
    kind: str  # SearchIndex.Space
    key: str  # names the index files: model key plus, for text, the mapping
    model_key: str
    transform: Callable[[np.ndarray], np.ndarray]  # (N, D) features → (N, d) vectors of this space
    scoring: str = "cosine"  # or softclass.KIND: the vectors are class probabilities, searched by soft matching

    def vectors(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros((0, 0), np.float32)
        return self.transform(features)


def image_space(*, model_key: str) -> Space:
    return Space(kind=SearchIndex.Space.IMAGE, key=model_key, model_key=model_key, transform=lambda f: f)


def text_space(*, owner_id: int, model_key: str) -> Space:
    projection = active_projection(owner_id=owner_id, model_key=model_key)
    arrays = projection_arrays(projection) if projection is not None else None
    if arrays is not None:
        return Space(
            kind=SearchIndex.Space.TEXT,
            key=f"{model_key}-proj{projection.id}",
            model_key=model_key,
            transform=arrays.project,
        )
    return Space(
        kind=SearchIndex.Space.TEXT,
        key=f"{model_key}-{softclass.KIND}",
        model_key=model_key,
        transform=lambda features: softclass.class_probabilities(logits(features, model_key=model_key)),
        scoring=softclass.KIND,
    )


def text_query(
    space: Space,
    *,
    words: list[tuple[float, np.ndarray]],
    photo_vector: np.ndarray | None = None,
    class_id: int | None = None,
):
    """Signed unit word vectors (+1, or −1 for a ``-word``), plus optionally a photo's vector in this space and a
    class, as the query of a text space: a SoftQuery for soft class matching, a unit vector for a trained
    projection's cosine (where a class counts as its name's words). Returns None when nothing is left to search
    for (the words cancel out)."""
    if space.scoring == softclass.KIND:
        return softclass.words_query(words, components.class_matrix(), photo=photo_vector, class_id=class_id)
    if class_id is not None:
        words = [*words, (1.0, components.class_matrix()[class_id])]
    total = np.zeros(components.word_space().dim, np.float32)
    for sign, vector in words:
        total += sign * vector
    if photo_vector is not None:
        total += photo_vector
    norm = np.linalg.norm(total)
    return total / norm if norm > 1e-6 else None


def logits(features: np.ndarray, *, model_key: str) -> np.ndarray:
    weights, bias = components.classifier(model_key)
    return np.atleast_2d(features) @ weights + bias


def active_projection(*, owner_id: int, model_key: str) -> TextProjection | None:
    latest = TextProjection.objects.filter(owner_id=owner_id, model_key=model_key).first()
    return latest if latest is not None and latest.active else None


def projection_arrays(projection: TextProjection) -> ProjectionArrays | None:
    """The projection as numpy arrays (never Keras: this runs in web processes), or None to serve zero-shot.

    A projection trained before projections were saved as arrays is a .keras file: a worker exports it once
    (training.projection_export) and until then its owner's text search stays zero-shot.
    """
    if not projection.path.endswith(".npz"):
        _projection_export_schedule(projection_id=projection.id)
        return None
    try:
        return _load_arrays(projection.path)
    except (OSError, KeyError, ValueError):
        logger.warning("Projection %s cannot be read from %s: zero-shot", projection.id, projection.path)
        return None


@functools.lru_cache(maxsize=32)
def _load_arrays(path: str) -> ProjectionArrays:
    """Projection files are immutable (a retrain writes a new file), so caching by path is safe; a few tens of
    users' arrays (about 10 MB each) stay loaded."""
    return ProjectionArrays.load(path)


def _projection_export_schedule(*, projection_id: int) -> None:

    debounce(key=f"projection-export:{projection_id}", task=projection_export_task, args=(projection_id,), delay=0)
