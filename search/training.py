"""Learning from each user's own tags: a per-user projection from image features to word vectors.

It is trained on the user's accepted tags and used for that user's text search only where it beats
zero-shot ConSE on a held-out split of those same tags; both scores are kept and shown in the API.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from django.conf import settings

from gallery.selectors import tags_accepted

from . import components
from .debounce import debounce, debounce_started
from .index_versions import index_rebuild_schedule, load_features, owner_dir
from .indexes import index_rebuild_try
from .ml.semantic import Projection, evaluate_split, tag_targets, train_projection
from .models import TextProjection
from .spaces import logits
from .tasks import train_projection_task

logger = logging.getLogger(__name__)


def _debounce_key(owner_id: int) -> str:
    return f"projection-train:{owner_id}"


def projection_train_schedule(*, owner_id: int) -> None:
    """Retrain after tag edits settle; many edits within the window share one training run."""
    delay = settings.SEARCH_INDEX_DEBOUNCE_SECONDS * 2
    debounce(key=_debounce_key(owner_id), task=train_projection_task, args=(owner_id,), delay=delay)


def tagged_photos(*, owner_id: int, photo_ids: np.ndarray) -> list[set[str]]:
    """Accepted tags (the user's own, and suggestions they accepted) for each photo id, in order."""
    tags: dict[int, set[str]] = {int(i): set() for i in photo_ids}
    rows = tags_accepted(owner_id=owner_id, photo_ids=tags).values_list("photo_id", "tag__name")
    for photo_id, name in rows:
        tags[photo_id].add(name)
    return [tags[int(i)] for i in photo_ids]


def projection_train(*, owner_id: int) -> TextProjection | None:
    """Compare zero-shot and a trained projection on the owner's tags; keep the projection only if it wins.

    Returns None when the owner has too few tagged photos to judge (SEARCH_PROJECTION_MIN_PHOTOS).
    """
    debounce_started(key=_debounce_key(owner_id))
    model_key = components.configured_model_key()
    photo_ids, features, _ = load_features(owner_id=owner_id, model_key=model_key)
    tag_sets = tagged_photos(owner_id=owner_id, photo_ids=photo_ids)
    keep = [i for i, tags in enumerate(tag_sets) if tags]
    if len(keep) < settings.SEARCH_PROJECTION_MIN_PHOTOS:
        return None
    features, tag_sets = features[keep], [tag_sets[i] for i in keep]
    word_space, class_matrix = components.word_space(), components.class_matrix()
    scores = evaluate_split(
        features, logits(features, model_key=model_key), tag_sets, word_space=word_space, class_matrix=class_matrix
    )
    path = ""
    if scores.trained_wins:
        targets, rows = tag_targets(tag_sets, word_space)
        projection = train_projection(features[rows], targets)
        number = TextProjection.objects.filter(owner_id=owner_id).count() + 1
        target = owner_dir(owner_id) / f"projection-{model_key}-{number}.npz"
        projection.export().save(target)  # web processes apply it with numpy, never Keras
        path = str(target)
    record = TextProjection.objects.create(
        owner_id=owner_id,
        model_key=model_key,
        path=path,
        n_photos=len(keep),
        n_tags=len(set().union(*tag_sets)),
        zeroshot_score=scores.zeroshot,
        trained_score=scores.trained,
        active=scores.trained_wins,
    )
    _remove_old_projections(owner_id=owner_id, keep=record)
    logger.info(
        "Projection for user %s: zero-shot %.3f, trained %.3f → %s",
        owner_id,
        scores.zeroshot,
        scores.trained,
        "trained" if record.active else "zero-shot",
    )
    # The text index must follow the new mapping; if a rebuild is running, queue one after it.
    if not index_rebuild_try(owner_id=owner_id):
        index_rebuild_schedule(owner_id=owner_id)
    return record


def projection_export(*, projection_id: int) -> None:
    """Export a projection trained before projections were saved as arrays (a .keras file) to its .npz form, in
    a worker (this loads Keras); the row then points at the arrays. Safe to run twice."""
    record = TextProjection.objects.filter(id=projection_id).first()
    if record is None or not record.path.endswith(".keras"):
        return
    source = Path(record.path)
    if not source.is_file():
        logger.warning("Projection %s lost its file %s: zero-shot until the next training", record.id, source)
        TextProjection.objects.filter(id=record.id, path=record.path).update(path="", active=False)
        return
    target = source.with_suffix(".npz")
    Projection.load(source).export().save(target)
    if TextProjection.objects.filter(id=record.id, path=record.path).update(path=str(target)):
        source.unlink()  # the arrays are the same function; the .keras file served only to make them


def _remove_old_projections(*, owner_id: int, keep: TextProjection) -> None:
    """Keep the newest two files (a query may have just loaded the previous one); rows stay as history."""
    old = TextProjection.objects.filter(owner_id=owner_id).exclude(path="").exclude(id=keep.id).order_by("-id")[1:]
    for record in old:
        Path(record.path).unlink(missing_ok=True)
        TextProjection.objects.filter(id=record.id).update(path="", active=False)
