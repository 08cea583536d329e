"""Where a request becomes results: a photo, an image, some examples, a class or words → the owner's photos, best
first. Each function builds the request's terms and hands them to the one ranker (search/signals/rank.py); how
each term is answered is its signal's business (search/signals/).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from PIL import Image

from gallery.selectors import photo_get

from . import components
from .ml import relevance
from .ml.classes import UnknownClass, classes_named_by, resolve_class
from .ml.words import UnknownWord
from .models import TextProjection
from .query_embedding import query_image_features
from .signals import Term
from .signals.images import ImageQuery
from .signals.parse import parse, tokens, unknown_word
from .signals.rank import Hit, rank
from .signals.things import CLASS, PHOTO
from .signals.vectors import MAX_K, QueryError, photo_features, serving_model_key
from .spaces import active_projection

__all__ = [
    "MAX_K",
    "Hit",
    "QueryError",
    "TextResult",
    "by_class",
    "by_text",
    "classes_offered",
    "serving_model_key",
    "similar_to_image",
    "similar_to_photo",
    "similar_to_photos",
    "similar_words",
    "text_mapping",
    "text_search",
    "unknown_word",
]


def similar_to_photo(
    *, owner: AbstractBaseUser, photo_id: int, k: int, class_value: str | None = None, filters: dict | None = None
) -> list[Hit]:
    """Photos like one of the owner's photos (404 for anyone else's id), optionally conditioned on a class."""
    photo = photo_get(owner=owner, id=photo_id)
    model_key = serving_model_key(owner=owner)
    image = ImageQuery(
        model_key=model_key,
        vector=photo_features(photo, model_key=model_key),
        weights=_class_weights(class_value, model_key),
        exclude=frozenset({photo.id}),
    )
    return rank(owner=owner, terms=[_image_term(photo.original_name, image)], k=k, filters=filters)


def similar_to_image(
    *,
    owner: AbstractBaseUser,
    image: Image.Image,
    k: int,
    class_value: str | None = None,
    filters: dict | None = None,
) -> list[Hit]:
    """Photos like an uploaded image that is not stored."""
    model_key = serving_model_key(owner=owner)
    weights = _class_weights(class_value, model_key)  # before the model runs: a bad class is a cheap 400
    vector = query_image_features(image=image, model_key=model_key)
    query = ImageQuery(model_key=model_key, vector=vector, weights=weights)
    return rank(owner=owner, terms=[_image_term("an image", query)], k=k, filters=filters)


ROCCHIO_NEGATIVE_SHARE = 0.5  # how far the negatives' mean pulls the query away (Rocchio's gamma, beta = 1)
MAX_EXAMPLES = 100


def similar_to_photos(
    *,
    owner: AbstractBaseUser,
    photo_ids: list[int],
    not_photo_ids: list[int] | None = None,
    k: int,
    filters: dict | None = None,
) -> list[Hit]:
    """ "More like these": photos like all of ``photo_ids`` and unlike ``not_photo_ids`` (Rocchio).

    The query is the mean of the positives' unit vectors minus ROCCHIO_NEGATIVE_SHARE × the mean of the
    negatives'; every example is left out of the results. Any id that is not the owner's is a 404.
    """
    not_photo_ids = not_photo_ids or []
    if not photo_ids:
        raise QueryError("Pick at least one photo to search like.")
    if len(photo_ids) + len(not_photo_ids) > MAX_EXAMPLES:
        raise QueryError(f"Pick at most {MAX_EXAMPLES} example photos.")
    if set(photo_ids) & set(not_photo_ids):
        raise QueryError("A photo cannot be both an example and a counter-example.")
    examples = [photo_get(owner=owner, id=i) for i in dict.fromkeys(photo_ids + not_photo_ids)]  # 404 first
    model_key = serving_model_key(owner=owner)
    vectors = {p.id: photo_features(p, model_key=model_key) for p in examples}

    def mean_direction(ids: list[int]) -> np.ndarray:
        rows = np.stack([vectors[i] / max(np.linalg.norm(vectors[i]), 1e-12) for i in ids])
        return rows.mean(axis=0)

    vector = mean_direction(photo_ids)
    if not_photo_ids:
        vector = vector - ROCCHIO_NEGATIVE_SHARE * mean_direction(not_photo_ids)
    query = ImageQuery(model_key=model_key, vector=vector.astype(np.float32), exclude=frozenset(vectors))
    return rank(owner=owner, terms=[_image_term("these photos", query)], k=k, filters=filters)


def by_class(*, owner: AbstractBaseUser, class_value: str, k: int, filters: dict | None = None) -> list[Hit]:
    """The owner's photos most like an ImageNet class: cosine between a photo's features and the class's weights."""
    model_key = serving_model_key(owner=owner)
    class_id = _class_id(class_value)
    weights, _ = components.classifier(model_key)
    query = ImageQuery(model_key=model_key, vector=weights[:, class_id], scale=relevance.CLASS)
    return rank(owner=owner, terms=[_image_term(class_value, query)], k=k, filters=filters)


@dataclass(frozen=True)
class TextResult:
    hits: list[Hit]
    terms: list[Term]  # how each word was understood
    spelling: dict | None  # {"original", "corrected"} when a typo was corrected and the hits are for the correction


def text_search(
    *,
    owner: AbstractBaseUser,
    q: str,
    k: int,
    photo_id: int | None = None,
    class_value: str | None = None,
    filters: dict | None = None,
    exact: bool = False,
) -> TextResult:
    """Words, phrases and ``-word``s, each read by a signal (search/signals/parse.py), optionally narrowed by one
    of the owner's photos ("like this one, but …") and by a class; a photo must satisfy every term.

    A typo no signal reads is corrected to the closest known word unless ``exact``; the result says so.
    """
    parsed = parse(owner=owner, q=q, exact=exact)
    terms = list(parsed.terms)
    if not any(not t.negated for t in terms) and photo_id is None and not class_value:
        raise QueryError(
            "Type at least one word to search for."
            if not terms
            else "Add a word to search for; “-word” only pushes results away from it."
        )
    if class_value:
        terms.append(Term(text=class_value, signal="thing", kind=CLASS, value=_class_id(class_value)))
    if photo_id is not None:
        terms.append(Term(text=f"photo {photo_id}", signal="thing", kind=PHOTO, value=photo_id))
    hits = rank(owner=owner, terms=terms, k=k, filters=filters)
    return TextResult(hits=hits, terms=parsed.terms, spelling=parsed.spelling)


def by_text(*, exact: bool = True, **request) -> list[Hit]:
    """The hits of `text_search` (same keyword arguments); by default its words exactly as typed, so that an
    unknown word is an error rather than corrected."""
    return text_search(exact=exact, **request).hits


def classes_offered(*, q: str) -> list[dict]:
    """Kinds of thing the query's words name ("cat" → tabby cat, Siamese cat, …), to narrow a word search to."""
    positive = [w for negated, w in tokens(q) if not negated and not w.startswith('"')]
    offered = {class_id: name for word in positive for class_id, name in classes_named_by(word)}
    return [{"id": class_id, "name": name} for class_id, name in offered.items()]


def text_mapping(*, owner: AbstractBaseUser) -> dict:
    """Which text mapping the owner's text search uses, and the held-out scores that decided it."""
    latest = TextProjection.objects.filter(owner=owner).first()
    model_key = serving_model_key(owner=owner)
    return {
        "method": "trained" if active_projection(owner_id=owner.id, model_key=model_key) else "zero-shot",
        "zeroshot_score": latest.zeroshot_score if latest else None,
        "trained_score": latest.trained_score if latest else None,
        "tagged_photos": latest.n_photos if latest else 0,
        "trained_at": latest.trained_at if latest else None,
    }


def similar_words(*, q: str, k: int) -> list[tuple[str, float]]:
    word = q.strip().lower()
    if not word or " " in word:
        raise QueryError("Give one word, e.g. ?q=ocean.")
    try:
        return components.word_space().similar(word, k)
    except UnknownWord:
        raise unknown_word(word) from None


def _image_term(text: str, query: ImageQuery) -> Term:
    return Term(text=text, signal="image", kind="photo", value=query)


def _class_id(value: str) -> int:
    try:
        return resolve_class(value)
    except UnknownClass:
        # Said to people as well as to scripts: no jargon, no URL; the class list is GET /api/classes/.
        named = [name for _, name in classes_named_by(str(value))]
        if named:
            raise QueryError(
                f"“{value}” names several kinds of thing: {', '.join(named)}. Pick one.",
                code="unknown_class",
                params={"suggestions": named},
            ) from None
        raise QueryError(
            f"No kind of thing is called “{value}”; pick one of the names suggested as you type."
        ) from None


def _class_weights(class_value: str | None, model_key: str) -> np.ndarray | None:
    """Per-feature weights of one class, negatives clipped to zero.

    cosine(q⊙w, x⊙w) depends on w², so a negative weight (evidence *against* the class) would be emphasised
    exactly like a positive one; clipping keeps only the features that speak for the class.
    """
    if not class_value:
        return None
    weights, _ = components.classifier(model_key)
    return np.maximum(weights[:, _class_id(class_value)], 0).astype(np.float32)
