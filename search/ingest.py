"""Where a photo becomes a vector and auto tags: the embed and tag steps of search.pipeline.photos_process.

Photos arrive already decoded upright to RGB, so the image is decoded once for the thumbnail and the model alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from gallery.images import open_for_derivatives
from gallery.models import Photo
from gallery.selectors import tag_verdicts
from gallery.services import tags_suggest

from . import components
from .index_versions import index_rebuild_schedule
from .ml import suggest
from .models import PhotoEmbedding


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
            PhotoEmbedding(
                photo=photo,
                model_name=encoder.name,
                model_version=encoder.version,
                vector=vector.astype(np.float32).tobytes(),
            )
            for photo, vector in zip(photos, features)
        ],
        update_conflicts=True,
        unique_fields=["photo", "model_name", "model_version"],
        update_fields=["vector"],
    )
    return Embedded(
        photos=photos, features=features, logits=logits, model_key=components.model_key(encoder.name, encoder.version)
    )


def photos_tag(*, embedded: Embedded) -> None:
    """Store auto tags for an embedded batch: a few tags with a calibrated probability each (never the owner's own)."""
    tags_suggest(suggestions=photos_suggestions(photos=embedded.photos, logits=embedded.logits))


def photos_suggestions(*, photos: list[Photo], logits: np.ndarray) -> dict[Photo, list[tuple[str, float]]]:
    """{photo: [(tag, probability), ...]} with at most suggest.MAX_SUGGESTIONS tags per photo, best first.

    The ranking and the calibrated probability are search.ml.suggest's (soft class matching over the vocabulary and
    the ImageNet labels, one logistic calibration for both); what depends on the owner is added here: tags they keep
    rejecting are suggested less (gallery.selectors.tag_verdicts).
    """
    if not photos:
        return {}
    calibration = suggest.load_calibration()
    candidates = suggest.candidates(logits, components.tag_vocabulary(), hubness=calibration.hubness)
    verdicts = {owner_id: tag_verdicts(owner_id=owner_id) for owner_id in {photo.owner_id for photo in photos}}
    result = {}
    for row, photo in enumerate(photos):
        one = suggest.Candidates([candidates.tags[row]], [candidates.features[row]])
        result[photo] = suggest.suggest(one, calibration, rejections=verdicts[photo.owner_id])[0]
    return result


def photos_missing_vectors(*, owner_id: int | None = None) -> list[int]:
    """Ready photos without a vector from the configured model, e.g. after SEARCH_MODEL changed."""
    name, version = components.model_parts(components.configured_model_key())
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
