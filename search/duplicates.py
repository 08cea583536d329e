"""Near-duplicates: same-scene photos (re-encodes, resizes, crops, small edits, bursts) found from stored vectors.

Writes: ``duplicates_check`` (new photos against the owner's gallery, after indexing; incremental) and
``duplicates_check_all`` (a whole gallery against itself, e.g. after an import or a threshold change) and
``duplicates_keep_best`` (one copy of each group stays, the others go to the trash). Reads:
``duplicate_groups`` (connected components of the stored pairs, best copy first, with the reason it is best).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cmp_to_key

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from PIL import Image

from gallery.images import Encoding, encoding
from gallery.models import Photo
from gallery.selectors import photos_filtered
from gallery.services import BULK_MAX_PHOTOS, photos_owned, photos_trash

from .index_versions import collection, embeddings
from .ml import near_pairs
from .models import NearDuplicate
from .signals.vectors import serving_model_key
from .spaces import image_space
from .tasks import duplicates_check_task


def duplicates_check(*, photo_ids: list[int]) -> int:
    """Pair each of these (just indexed) photos with the owner's photos that look the same, keeping each new
    photo's ``PAIRS_PER_PHOTO`` best (see search.ml.near_pairs); returns new pairs.

    Only the new photos are compared with the gallery, exactly, so the cost per upload grows with the gallery,
    not with its square. Safe to run twice: pairs are unique.
    """
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
        pairs = near_pairs.pairs_between(
            new_ids, new_vectors, found.delta_ids, found.delta_vectors, settings.DUPLICATES_THRESHOLD
        )
        if found.index is not None:
            pairs += near_pairs.pairs_between(
                new_ids, new_vectors, found.index.ids, found.index.vectors, settings.DUPLICATES_THRESHOLD
            )
        # Each part kept each new photo's best pairs; the cap holds over the whole gallery.
        created += _store(owner_id, near_pairs.best_pairs(pairs, photos=new_ids))
    return created


def duplicates_check_all(*, owner_id: int) -> int:
    """Recompute every pair of the owner's gallery (a self-join; see search.ml.near_pairs); returns the count."""
    owner = get_user_model().objects.get(id=owner_id)
    found = collection(owner_id=owner_id, space=image_space(model_key=serving_model_key(owner=owner)))
    ids, vectors = found.delta_ids, near_pairs.unit_rows(found.delta_vectors)
    if found.index is not None:
        old = ~np.isin(found.index.ids, found.delta_ids)  # re-embedded since the build: the delta's vector wins
        ids = np.concatenate([found.index.ids[old], ids])
        stacked = [near_pairs.unit_rows(np.asarray(found.index.vectors[np.flatnonzero(old)]))]
        vectors = np.concatenate(stacked + ([vectors] if len(vectors) else []))
    pairs = near_pairs.self_join(ids, vectors, settings.DUPLICATES_THRESHOLD, normalised=True)
    with transaction.atomic():
        NearDuplicate.objects.filter(owner_id=owner_id).delete()
        return _store(owner_id, pairs)


def _store(owner_id: int, pairs: list[near_pairs.Pair]) -> int:
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
    """The owner's groups of near-duplicates (photos in the trash left out), largest group first; within a group
    the best copy first (see ``_better``), with the reason it is best."""
    pairs = list(NearDuplicate.objects.filter(owner=owner).values_list("photo_id", "other_id", "similarity"))
    components = near_pairs.groups(pairs)
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
        members = [photos[i] for i in group if i in photos]
        if len(members) > 1:
            copies = sorted((_copy(photo) for photo in members), key=cmp_to_key(_better))
            out.append(
                DuplicateGroup(
                    photos=[c.photo for c in copies],
                    reason=_reason(copies[0], copies[1]),
                    similarity=round(weakest.get(n, 1.0), 4),
                )
            )
    return out


@dataclass(frozen=True)
class Copy:
    """One photo of a group with what its header tells (read once per listing: a header, not the pixels)."""

    photo: Photo
    encoding: Encoding

    @property
    def pixels(self) -> int:
        return self.photo.width * self.photo.height


def _copy(photo: Photo) -> Copy:
    try:
        with photo.original.open("rb") as file:
            return Copy(photo, encoding(file))
    except (OSError, ValueError, Image.DecompressionBombError):  # missing or unreadable: it cannot be the original
        return Copy(photo, Encoding(has_exif=False, quality=0))


LARGER_BY = 1.10  # a file this much larger, at the same pixel size, was compressed less (re-saves shrink files)
QUALITY_BY = 3  # JPEG quality estimates closer than this are the same setting read off rounded tables
SHARPER_BY = 1.05  # sharpness ratios closer than this are noise (re-encoding alone moves it a little)


def _better(a: Copy, b: Copy) -> int:
    """Negative when a is more likely the original: more pixels, else a clearly larger file, else EXIF kept,
    else a finer JPEG quality (not re-encoded), else clearly sharper (contrast-blind, images.sharpness), else
    taken (or uploaded) first."""
    if a.pixels != b.pixels:
        return -1 if a.pixels > b.pixels else 1
    size_a, size_b = a.photo.size_bytes, b.photo.size_bytes
    if size_a > size_b * LARGER_BY or size_b > size_a * LARGER_BY:
        return -1 if size_a > size_b else 1
    if a.encoding.has_exif != b.encoding.has_exif:
        return -1 if a.encoding.has_exif else 1
    if abs(a.encoding.quality - b.encoding.quality) >= QUALITY_BY:
        return -1 if a.encoding.quality > b.encoding.quality else 1
    sharp_a, sharp_b = a.photo.sharpness or 0.0, b.photo.sharpness or 0.0
    if sharp_a > sharp_b * SHARPER_BY or sharp_b > sharp_a * SHARPER_BY:
        return -1 if sharp_a > sharp_b else 1
    if a.photo.shot_at != b.photo.shot_at:
        return -1 if a.photo.shot_at < b.photo.shot_at else 1
    return -1 if a.photo.id < b.photo.id else 1


def _reason(best: Copy, runner_up: Copy) -> str:
    if best.pixels > runner_up.pixels:
        return f"largest: {best.photo.width}×{best.photo.height} pixels"
    if best.photo.size_bytes > runner_up.photo.size_bytes * LARGER_BY:
        return "same size, least compressed file"
    if best.encoding.has_exif and not runner_up.encoding.has_exif:
        return "same size, camera data (EXIF) kept"
    if best.encoding.quality - runner_up.encoding.quality >= QUALITY_BY:
        return "same size, not re-encoded"
    if (best.photo.sharpness or 0) > (runner_up.photo.sharpness or 0) * SHARPER_BY:
        return "same size, sharpest"
    if best.photo.shot_at < runner_up.photo.shot_at:
        return "same size and quality, oldest"
    return "same size and quality; uploaded first"


def duplicates_keep_best(
    *, owner: AbstractBaseUser, photo_ids: list[int] | None = None, keep_ids: list[int] | None = None
) -> dict[str, list[int]]:
    """Keep one copy of each group and move the others to the trash (restorable, like any delete).

    ``keep_ids`` are copies the owner chose: each names its group and is the one kept. ``photo_ids`` name groups
    (any member) whose best copy is kept. With neither, every group keeps its best. Another user's id is a 404
    and nothing moves; a photo in no group, or two chosen copies of one group, is a ValidationError.
    Returns ``{"kept": [...], "trashed": [...]}``."""
    groups = duplicate_groups(owner=owner)
    keep_ids, photo_ids = list(keep_ids or []), photo_ids
    chosen: dict[int, int] = {}  # group index -> the photo kept
    if keep_ids or photo_ids is not None:
        wanted = set(photos_owned(owner=owner, photo_ids=[*keep_ids, *(photo_ids or [])]))  # 404 before anything
        member = {p.id: n for n, g in enumerate(groups) for p in g.photos}
        stray = wanted - member.keys()
        if stray:
            raise ValidationError(f"Not in any group of near-duplicates: {sorted(stray)}.", code="not_duplicate")
        for photo_id in keep_ids:
            if member[photo_id] in chosen:
                raise ValidationError("Choose one copy to keep in each group.", code="two_in_group")
            chosen[member[photo_id]] = photo_id
        for photo_id in photo_ids or []:
            chosen.setdefault(member[photo_id], groups[member[photo_id]].best.id)
    else:
        chosen = {n: g.best.id for n, g in enumerate(groups)}
    trashed = [p.id for n, kept in sorted(chosen.items()) for p in groups[n].photos if p.id != kept]
    with transaction.atomic():
        for start in range(0, len(trashed), BULK_MAX_PHOTOS):
            photos_trash(owner=owner, photo_ids=trashed[start : start + BULK_MAX_PHOTOS])
    return {"kept": [kept for _n, kept in sorted(chosen.items())], "trashed": trashed}
