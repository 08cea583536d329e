"""Vector spaces a photo is indexed in, all derived from its one stored feature vector.

- image: the model's penultimate features as they are (image → image, class-conditioned search);
- text: GloVe word space, through the owner's trained projection when it beat zero-shot on their own tags,
  otherwise ConSE zero-shot from the class logits (logits = features @ W + b).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import components
from .models import SearchIndex, TextProjection


@dataclass(frozen=True)
class Space:
    kind: str  # SearchIndex.Space
    key: str  # names the index files: model key plus, for text, the mapping
    model_key: str
    transform: Callable[[np.ndarray], np.ndarray]  # (N, D) features → (N, d) vectors of this space

    def vectors(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros((0, 0), np.float32)
        return self.transform(features)


def image_space(*, model_key: str) -> Space:
    return Space(kind=SearchIndex.Space.IMAGE, key=model_key, model_key=model_key, transform=lambda f: f)


def text_space(*, owner_id: int, model_key: str) -> Space:
    projection = active_projection(owner_id=owner_id, model_key=model_key)
    if projection is not None:
        model = _load_projection(projection.path)
        return Space(
            kind=SearchIndex.Space.TEXT,
            key=f"{model_key}-proj{projection.id}",
            model_key=model_key,
            transform=model.project,
        )
    return Space(
        kind=SearchIndex.Space.TEXT,
        key=f"{model_key}-conse",
        model_key=model_key,
        transform=lambda features: conse_vectors(features, model_key=model_key),
    )


def conse_vectors(features: np.ndarray, *, model_key: str) -> np.ndarray:
    from .ml.semantic import conse

    return conse(logits(features, model_key=model_key), components.class_matrix())


def logits(features: np.ndarray, *, model_key: str) -> np.ndarray:
    weights, bias = components.classifier(model_key)
    return np.atleast_2d(features) @ weights + bias


def active_projection(*, owner_id: int, model_key: str) -> TextProjection | None:
    latest = TextProjection.objects.filter(owner_id=owner_id, model_key=model_key).first()
    return latest if latest is not None and latest.active else None


_projections: dict[str, object] = {}


def _load_projection(path: str):
    """Projection files are immutable (a retrain writes a new file), so caching by path is safe."""
    from .ml.semantic import Projection

    if path not in _projections:
        _projections[path] = Projection.load(path)
    return _projections[path]
