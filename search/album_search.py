"""Search inside one album, for its owner and its members: the album's photos scored exactly, nothing else read.

Shared albums are small, so every photo of the album is scored against the query, and only those. Nothing
owner-specific is consulted: not the owner's index, not their trained text projection (learnt from all their
tags), not their tags, nor which model their index serves. The work is a function of the album's size alone,
so neither the answer nor its time says anything about the owner's other photos (bench/album_search.py
measures the time at 100 and 10,000 owner photos).

Words are matched zero-shot (soft class matching, search.ml.softclass); a photo of the album is matched by
image features (cosine). The album is read through gallery's access rule (album_access: owner or member).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from gallery.models import Photo
from gallery.selectors import album_access, album_photo_list

from . import components
from .ml import relevance, softclass
from .ml.ann import exact_search
from .models import PhotoEmbedding
from .signals.parse import tokens, unknown_word
from .signals.things import STOP_WORDS
from .signals.vectors import IN_QUERY_MAX, MAX_K, QueryError
from .spaces import logits


@dataclass(frozen=True)
class AlbumHit:
    photo: Photo
    score: float
    match: str | None


def album_search(
    *, user: AbstractBaseUser, album_id: int, k: int, q: str = "", photo_id: int | None = None
) -> list[AlbumHit]:
    """The album's photos best matching words ``q`` or like the album's photo ``photo_id``, best first.

    Http404 for an album the user neither owns nor is a member of, and for a photo not in the album.
    """
    k = max(1, min(int(k), MAX_K))
    album = album_access(user=user, id=album_id).album
    photos = {photo.id: photo for photo in album_photo_list(album=album)}
    if photo_id is not None and photo_id not in photos:
        raise Http404("No such photo in this album.")
    model_key = components.configured_model_key()
    model, _ = components.model_parts(model_key)
    ids, features = _features(list(photos), model_key=model_key)
    if photo_id is not None:
        if photo_id not in set(ids.tolist()):
            raise QueryError(f"“{photos[photo_id].original_name}” is not searchable yet.")
        query = features[int(np.flatnonzero(ids == photo_id)[0])]
        ranked = exact_search(ids, features, query, k, exclude={photo_id})
        kind = relevance.IMAGE
    else:
        ranked = _by_words(q, ids, features, k=k, model_key=model_key)
        kind = relevance.WORDS
    found = relevance.labels([score for _, score in ranked], model=model, kind=kind)
    return [AlbumHit(photos[int(i)], float(score), match) for (i, score), match in zip(ranked, found)]


def _by_words(q: str, ids: np.ndarray, features: np.ndarray, *, k: int, model_key: str) -> list[tuple[int, float]]:
    words_typed = [(negated, w.strip('"')) for negated, w in tokens(q) if w.strip('"') not in STOP_WORDS]
    positive = [w for negated, w in words_typed if not negated]
    negative = [w for negated, w in words_typed if negated]
    if not positive:
        raise QueryError("Type at least one word to search for.")
    words = components.word_space()
    signed = []
    for sign, group in ((1.0, positive), (-1.0, negative)):
        for word in group:
            if word not in words:
                raise unknown_word(word)
            signed.append((sign, words.vector(word)))
    query = softclass.words_query(signed, components.class_matrix())
    if query is None:
        raise QueryError("The words cancel each other out.")
    if not len(ids):
        return []
    probabilities = softclass.class_probabilities(logits(features, model_key=model_key))
    scores = softclass.dense_scores(probabilities, query)
    order = np.argsort(-scores, kind="stable")[:k]
    return [(int(ids[i]), float(scores[i])) for i in order]


def _features(photo_ids: list[int], *, model_key: str) -> tuple[np.ndarray, np.ndarray]:
    """(ids, (N, D) features) of these photos under this model; photos not embedded yet are left out. Read by
    photo id (an indexed lookup), whoever owns each photo."""
    name, version = components.model_parts(model_key)
    rows = sorted(
        row
        for start in range(0, len(photo_ids), IN_QUERY_MAX)  # chunks: SQLite caps a statement's parameters
        for row in PhotoEmbedding.objects.filter(
            photo_id__in=photo_ids[start : start + IN_QUERY_MAX], model_name=name, model_version=version
        ).values_list("photo_id", "vector")
    )
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32)
    ids = np.array([photo_id for photo_id, _ in rows], dtype=np.int64)
    return ids, np.stack([np.frombuffer(bytes(vector), dtype=np.float32) for _, vector in rows])
