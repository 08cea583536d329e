"""Near-duplicates: same-scene photos (re-encodes, resizes, crops, small edits, bursts) found from stored vectors.

Writes: ``duplicates_check`` (new photos against the owner's gallery, after indexing; incremental) and
``duplicates_check_all`` (a whole gallery against itself, e.g. after an import or a threshold change). Reads:
``duplicate_groups`` (connected components of the stored pairs, best copy first, with the reason it is best).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cmp_to_key

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from gallery.models import Photo
from gallery.selectors import photos_filtered

from .index_versions import collection, embeddings
from .ml import duplicates as join
from .models import NearDuplicate
from .spaces import image_space


def duplicates_check(*, photo_ids: list[int]) -> int:
    """Pair each of these (just indexed) photos with the owner's photos that look the same, keeping each new
    photo's ``PAIRS_PER_PHOTO`` best (see search.ml.duplicates); returns new pairs.

    Only the new photos are compared with the gallery, exactly, so the cost per upload grows with the gallery,
    not with its square. Safe to run twice: pairs are unique.
    """
    from .query import serving_model_key

    created = 0
    photos = Photo.objects.filter(id__in=photo_ids).select_related("owner")
    by_owner: dict[int, list[int]] = {}
    for photo in photos:
        by_owner.setdefault(photo.owner_id, []).append(photo.id)
    for owner_id, ids in by_owner.items():
        owner = photos.filter(owner_id=owner_id).first().owner
        model_key = serving_model_key(owner=owner)
        rows = list(
            embeddings(owner_id=owner_id, model_key=model_key)
            .filter(photo_id__in=ids)
            .values_list("photo_id", "vector")
        )
        if not rows:
            continue
        new_ids = np.array([photo_id for photo_id, _ in rows], dtype=np.int64)
        new_vectors = np.stack([np.frombuffer(bytes(vector), dtype=np.float32) for _, vector in rows])
        found = collection(owner_id=owner_id, space=image_space(model_key=model_key))
        pairs = join.pairs_between(
            new_ids, new_vectors, found.delta_ids, found.delta_vectors, settings.DUPLICATES_THRESHOLD
        )
        if found.index is not None:
            pairs += join.pairs_between(
                new_ids, new_vectors, found.index.ids, found.index.vectors, settings.DUPLICATES_THRESHOLD
            )
        # Each part kept each new photo's best pairs; the cap holds over the whole gallery.
        created += _store(owner_id, join.best_pairs(pairs, photos=new_ids))
    return created


def duplicates_check_all(*, owner_id: int) -> int:
    """Recompute every pair of the owner's gallery (a self-join; see search.ml.duplicates); returns the count."""
    from django.contrib.auth import get_user_model

    from .query import serving_model_key

    owner = get_user_model().objects.get(id=owner_id)
    found = collection(owner_id=owner_id, space=image_space(model_key=serving_model_key(owner=owner)))
    ids, vectors = found.delta_ids, join.unit_rows(found.delta_vectors)
    if found.index is not None:
        old = ~np.isin(found.index.ids, found.delta_ids)  # re-embedded since the build: the delta's vector wins
        ids = np.concatenate([found.index.ids[old], ids])
        stacked = [join.unit_rows(np.asarray(found.index.vectors[np.flatnonzero(old)]))]
        vectors = np.concatenate(stacked + ([vectors] if len(vectors) else []))
    pairs = join.self_join(ids, vectors, settings.DUPLICATES_THRESHOLD, normalised=True)
    with transaction.atomic():
        NearDuplicate.objects.filter(owner_id=owner_id).delete()
        return _store(owner_id, pairs)


def _store(owner_id: int, pairs: list[join.Pair]) -> int:
    if not pairs:
        return 0
    # Photos deleted since the index was built are still in it: keep only pairs of photos that exist.
    alive = set(
        Photo.objects.filter(owner_id=owner_id, id__in={i for a, b, _ in pairs for i in (a, b)}).values_list(
            "id", flat=True
        )
    )
    rows = [
        NearDuplicate(owner_id=owner_id, photo_id=a, other_id=b, similarity=round(s, 4))
        for a, b, s in pairs
        if a in alive and b in alive
    ]
    before = NearDuplicate.objects.filter(owner_id=owner_id).count()
    NearDuplicate.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return NearDuplicate.objects.filter(owner_id=owner_id).count() - before


def duplicates_check_schedule(*, photo_ids: list[int]) -> None:
    """Queue the incremental check once the photos' vectors are committed."""
    from .tasks import duplicates_check_task

    if photo_ids:
        transaction.on_commit(lambda: duplicates_check_task.delay(photo_ids))


# Reads ----------------------------------------------------------------------------------------------------


@dataclass
class DuplicateGroup:
    photos: list[Photo]  # best copy first
    reason: str  # why the first is the best
    similarity: float  # the weakest link that holds the group together

    @property
    def best(self) -> Photo:
        return self.photos[0]


def duplicate_groups(*, owner: AbstractBaseUser) -> list[DuplicateGroup]:
    """The owner's groups of near-duplicates, largest group first; within a group the best copy first:
    the largest (pixels), then the sharpest, then the oldest (taken, else uploaded)."""
    pairs = list(NearDuplicate.objects.filter(owner=owner).values_list("photo_id", "other_id", "similarity"))
    components = join.groups(pairs)
    if not components:
        return []
    photos = {
        p.id: p
        for p in photos_filtered(owner=owner, filters={}).filter(id__in={i for group in components for i in group})
    }
    weakest: dict[int, float] = {}
    root = {i: n for n, group in enumerate(components) for i in group}
    for a, _b, s in pairs:
        weakest[root[a]] = min(weakest.get(root[a], 1.0), s)
    out = []
    for n, group in enumerate(components):
        members = sorted((photos[i] for i in group if i in photos), key=_quality_key)
        if len(members) > 1:
            out.append(
                DuplicateGroup(
                    photos=members, reason=_reason(members[0], members[1]), similarity=round(weakest.get(n, 1.0), 4)
                )
            )
    return out


SHARPER_BY = 1.05  # sharpness ratios closer than this are noise (re-encoding alone moves it a little)


def _better(a: Photo, b: Photo) -> int:
    """Negative when a is the better copy: more pixels, else clearly sharper, else taken (or uploaded) first."""
    if a.width * a.height != b.width * b.height:
        return -1 if a.width * a.height > b.width * b.height else 1
    sharp_a, sharp_b = a.sharpness or 0.0, b.sharpness or 0.0
    if sharp_a > sharp_b * SHARPER_BY or sharp_b > sharp_a * SHARPER_BY:
        return -1 if sharp_a > sharp_b else 1
    if a.shot_at != b.shot_at:
        return -1 if a.shot_at < b.shot_at else 1
    return -1 if a.id < b.id else 1


_quality_key = cmp_to_key(_better)


def _reason(best: Photo, runner_up: Photo) -> str:
    if best.width * best.height > runner_up.width * runner_up.height:
        return f"largest: {best.width}×{best.height} pixels"
    if (best.sharpness or 0) > (runner_up.sharpness or 0) * SHARPER_BY:
        return "same size, sharpest"
    if best.shot_at < runner_up.shot_at:
        return "same size and sharpness, oldest"
    return "same size, sharpness and date; uploaded first"


def duplicates_keep_best(*, owner: AbstractBaseUser, photo_ids: list[int] | None = None) -> dict[str, list[int]]:
    """Keep the best copy of each group and delete the rest: of the groups these photos belong to (any member
    names its group), or of every group when ``photo_ids`` is None. Another user's id is a 404 and nothing
    is deleted; one of the owner's photos that is in no group is a ValidationError."""
    from django.core.exceptions import ValidationError

    from gallery.services import BULK_MAX_PHOTOS, photos_delete, photos_owned

    groups = duplicate_groups(owner=owner)
    if photo_ids is not None:
        wanted = set(photos_owned(owner=owner, photo_ids=photo_ids))  # 404 before anything else
        chosen = [g for g in groups if wanted & {p.id for p in g.photos}]
        stray = wanted - {p.id for g in chosen for p in g.photos}
        if stray:
            raise ValidationError(f"Not in any group of near-duplicates: {sorted(stray)}.", code="not_duplicate")
        groups = chosen
    doomed = [p.id for g in groups for p in g.photos[1:]]
    with transaction.atomic():
        for start in range(0, len(doomed), BULK_MAX_PHOTOS):
            photos_delete(owner=owner, photo_ids=doomed[start : start + BULK_MAX_PHOTOS])
    return {"kept": [g.best.id for g in groups], "deleted": doomed}
