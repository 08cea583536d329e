"""Photos like a photo, an uploaded image, several examples, or an ImageNet class, answered in the image space
(the model's features as they are). Open, and read from no word: query.py builds its terms from the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser

from ..ml import relevance
from ..spaces import Space, image_space
from .base import Answer, Candidates, Reading, Term
from .vectors import on_shared_scale, rank_vectors


@dataclass(frozen=True)
class ImageQuery:
    """A query vector in one model's image space, optionally conditioned on a class (per-feature weights)."""

    model_key: str
    vector: np.ndarray
    weights: np.ndarray | None = None
    scale: str = relevance.IMAGE  # relevance.IMAGE, or relevance.CLASS for a class's own weights
    exclude: frozenset[int] = frozenset()  # the example photos themselves


class ImageSignal:
    name = "image"
    kind = "photo"
    selective = False

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str]) -> Reading | None:
        return None

    def indexes(self, *, owner_id: int, model_key: str) -> Sequence[Space]:
        return [image_space(model_key=model_key)]

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        (term,) = terms  # one image query per request
        image: ImageQuery = term.value
        within = Candidates(ids=within.ids, excluded=within.excluded | set(image.exclude), allowed=within.allowed)
        space = image_space(model_key=image.model_key)
        ranked = rank_vectors(owner=owner, space=space, query=image.vector, k=k, within=within, weights=image.weights)
        raw = dict(ranked)
        scores, calibrated = on_shared_scale(raw, model_key=image.model_key, kind=image.scale)
        return Answer(scores=scores, raw=raw, order=[i for i, _ in ranked], calibrated=calibrated)
