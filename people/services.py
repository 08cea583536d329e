"""Writes about faces and persons: the faces pass, clustering, the owner's choices and the opt-out.

The owner's word always wins over clustering: a face the owner put somewhere (``assigned_by_owner``) is never
moved by it, a person the owner named or hid is never deleted or merged by it, and faces only ever join one
person, so two persons are merged only when the owner asks.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import redis
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from PIL import Image

from gallery.images import open_rgb
from gallery.models import Photo

from . import ml
from .models import Face, FaceSettings, Person, PhotoScan
from .selectors import faces_enabled, model_version, photos_unscanned
from .tasks import faces_backfill_task, faces_scan_task, people_recluster_task

logger = logging.getLogger(__name__)

BACKFILL_STEP = 32  # photos per backfill task: the task re-queues itself, so other work interleaves
BACKFILL_MARK_SECONDS = 3600  # a lost backfill chain stops blocking a new one after this long
SCAN_BATCH = 16  # photos per faces task from the pipeline
CLUSTER_EVERY_STEPS = 16  # a backfill groups faces every 16 links (512 photos), and at its end


# The faces pass ----------------------------------------------------------------------------------------


def photos_faces_queue(*, photo_ids: list[int]) -> None:
    """After photos became ready (search.pipeline): find their faces on the "faces" queue once this commits.
    Never waits for anything: the photos are ready already."""

    ids = list(photo_ids)

    def send() -> None:
        try:
            for start in range(0, len(ids), SCAN_BATCH):
                faces_scan_task.delay(ids[start : start + SCAN_BATCH])
        except Exception:  # e.g. Redis down: the photos stay ready, and the periodic backfill finds them
            logger.warning("Could not queue the faces pass of %s photo(s)", len(ids), exc_info=True)

    if ids and settings.FACES_PASS:
        transaction.on_commit(send)


def photos_scan(*, photo_ids: list[int], cluster: bool = True) -> int:
    """Find and store the faces of ready photos not yet scanned with the current model, then group them
    (unless ``cluster`` is False: the backfill groups less often).

    Idempotent: photos already scanned with this model, gone, or whose owner turned faces off are skipped.
    Returns how many photos were scanned.
    """
    version = model_version()
    photos = list(
        Photo.objects.filter(id__in=photo_ids, status=Photo.Status.READY)
        .exclude(owner__face_settings__enabled=False)
        .exclude(face_scan__model_version=version)
        .order_by("id")
    )
    if not photos:
        return 0
    results = _face_pool(settings.FACES_PROCESSES).find(
        (_photo_image(photo) for photo in photos), pixels=settings.FACES_DETECT_PIXELS
    )
    for photo, found in zip(photos, results, strict=True):
        _faces_store(photo=photo, found=found, version=version)
    for owner_id in sorted({photo.owner_id for photo in photos}) if cluster else ():
        faces_cluster(owner_id=owner_id)
    return len(photos)


@functools.cache
def _face_pool(processes: int) -> ml.FacePool:
    """The worker's face processes, started on first use and kept for its life (each loads the models once)."""
    return ml.FacePool(processes)


def _photo_image(photo: Photo):
    """The photo decoded here (with every format the gallery reads) for the face processes; None if unreadable."""
    try:
        with photo.original.open("rb") as original:
            with Image.open(original) as header:  # the size only: the JPEG is decoded once, just large enough
                size = ml.detect_size(*header.size, pixels=settings.FACES_DETECT_PIXELS)
            original.seek(0)
            return open_rgb(original, long_side=max(size))
    except Exception:  # a photo that was ready decodes; if it no longer does (file gone), it simply has no faces
        logger.warning("Faces pass: photo %s could not be read", photo.id, exc_info=True)
        return None


def _faces_store(*, photo: Photo, found: list[ml.Found], version: str) -> None:
    """Replace the photo's faces from an older model by these, keeping the owner's choices for faces found
    again at the same place."""
    try:
        with transaction.atomic():
            if not Photo.objects.filter(id=photo.id).exists() or not faces_enabled(owner_id=photo.owner_id):
                return  # deleted, or faces turned off, while we looked
            old = list(Face.objects.filter(photo=photo))
            faces = []
            for face in found:
                kept = _same_place(face.box, [f for f in old if f.assigned_by_owner or f.person_id])
                faces.append(
                    Face(
                        owner_id=photo.owner_id,
                        photo=photo,
                        x=face.box[0],
                        y=face.box[1],
                        w=face.box[2],
                        h=face.box[3],
                        score=face.score,
                        descriptor=ml.descriptor_bytes(face.descriptor),
                        crop=face.crop,
                        model_version=version,
                        person_id=kept.person_id if kept else None,
                        assigned_by_owner=kept.assigned_by_owner if kept else False,
                    )
                )
            Face.objects.filter(id__in=[f.id for f in old]).delete()
            Face.objects.bulk_create(faces)
            PhotoScan.objects.update_or_create(
                photo=photo, defaults={"owner_id": photo.owner_id, "model_version": version, "faces": len(faces)}
            )
    except IntegrityError:  # the photo was deleted between the check and the insert
        logger.info("Faces pass: photo %s went away while its faces were stored", photo.id)


def _same_place(box: tuple, old: list[Face]) -> Face | None:
    """The old face whose box overlaps this one most, if they overlap by half (intersection over union)."""
    best, best_iou = None, 0.5
    for face in old:
        ix = max(0.0, min(box[0] + box[2], face.x + face.w) - max(box[0], face.x))
        iy = max(0.0, min(box[1] + box[3], face.y + face.h) - max(box[1], face.y))
        inter = ix * iy
        union = box[2] * box[3] + face.w * face.h - inter
        if union > 0 and inter / union >= best_iou:
            best, best_iou = face, inter / union
    return best


def faces_backfill_schedule(*, owner_id: int) -> None:
    """Scan the owner's photos that have no faces from the current model yet (existing photos, a new model),
    in a chain of small tasks on the "faces" queue; one chain per owner at a time."""

    def send() -> None:
        try:
            if cache.add(_backfill_mark(owner_id), 1, timeout=BACKFILL_MARK_SECONDS):
                faces_backfill_task.delay(owner_id)
        except Exception:  # e.g. Redis down: the periodic backfill (Celery beat) starts it later
            logger.warning("Could not start the faces backfill of owner %s", owner_id, exc_info=True)

    transaction.on_commit(send)


def faces_backfill_step(*, owner_id: int, step: int = 0) -> int:
    """Link ``step`` of the backfill chain: scan up to BACKFILL_STEP photos. Returns whether photos remain (the
    task then queues the next link). Grouping reads all the owner's faces, so a long backfill groups every
    CLUSTER_EVERY_STEPS links and at its end rather than after every link."""
    if not faces_enabled(owner_id=owner_id):
        cache.delete(_backfill_mark(owner_id))
        return 0
    ids = list(photos_unscanned(owner_id=owner_id).values_list("id", flat=True)[:BACKFILL_STEP])
    photos_scan(photo_ids=ids, cluster=False)
    remaining = photos_unscanned(owner_id=owner_id).exists()
    if not remaining or step % CLUSTER_EVERY_STEPS == CLUSTER_EVERY_STEPS - 1:
        faces_cluster(owner_id=owner_id)
    if remaining:
        cache.touch(_backfill_mark(owner_id), BACKFILL_MARK_SECONDS)
    else:
        cache.delete(_backfill_mark(owner_id))
    return int(remaining)


def faces_backfill_all() -> int:
    """Periodic: start a backfill for every owner with unscanned ready photos (new model version, lost
    messages, faces turned back on). Returns how many owners."""
    if not settings.FACES_PASS:
        return 0
    owners = set(
        Photo.objects.filter(status=Photo.Status.READY)
        .exclude(owner__face_settings__enabled=False)
        .exclude(face_scan__model_version=model_version())
        .values_list("owner_id", flat=True)
        .distinct()
    )
    for owner_id in sorted(owners):
        faces_backfill_schedule(owner_id=owner_id)
    return len(owners)


def _backfill_mark(owner_id: int) -> str:
    return f"people:backfill:{owner_id}"


# Clustering ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _redis_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


@contextmanager
def _owner_lock(owner_id: int) -> Iterator[None]:
    """One clustering per owner at a time, across workers (two at once would make the same person twice)."""
    with _redis_for(settings.REDIS_URL).lock(f"people:cluster:{owner_id}", timeout=600, blocking_timeout=600):
        yield


def faces_cluster(*, owner_id: int) -> None:
    """Incremental: each face that is nobody's (and not set aside by the owner) joins the person whose mean face
    is nearest, within FACES_SAME_PERSON; the rest are grouped among themselves, and a group of at least
    FACES_MIN_GROUP faces becomes a new, unnamed person. Smaller groups wait for more faces."""
    with _owner_lock(owner_id), transaction.atomic():
        members = list(
            Face.objects.filter(owner_id=owner_id, person__isnull=False).values_list("person_id", "descriptor")
        )
        _faces_group(owner_id=owner_id, anchors=members)


def people_recluster(*, owner: AbstractBaseUser) -> None:
    """The full re-cluster, on the owner's demand: every face the owner did not place is released and grouped
    again. Persons the owner named or hid, or placed faces in, stay, and take back the faces near their own."""
    with _owner_lock(owner.pk), transaction.atomic():
        kept = set(
            Person.objects.filter(owner=owner)
            .filter(~Q(name="") | Q(hidden=True) | Q(faces__assigned_by_owner=True))
            .values_list("id", flat=True)
        )
        anchors = list(Face.objects.filter(owner=owner, person_id__in=kept).values_list("person_id", "descriptor"))
        Face.objects.filter(owner=owner, assigned_by_owner=False).update(person=None)
        Person.objects.filter(owner=owner).exclude(id__in=kept).delete()
        _faces_group(owner_id=owner.pk, anchors=anchors)


def people_recluster_schedule(*, owner: AbstractBaseUser) -> None:

    transaction.on_commit(lambda: people_recluster_task.delay(owner.pk))


def _faces_group(*, owner_id: int, anchors: list[tuple[int, bytes]]) -> None:
    waiting = list(
        Face.objects.filter(owner_id=owner_id, person__isnull=True, assigned_by_owner=False).values_list(
            "id", "descriptor"
        )
    )
    if not waiting:
        return
    ids = np.array([face_id for face_id, _ in waiting])
    descriptors = np.stack([ml.descriptor_from_bytes(raw) for _, raw in waiting])
    same = settings.FACES_SAME_PERSON
    joined: dict[int, list[int]] = {}
    if anchors:
        # A person is the mean of their faces: one odd face (say, one the owner placed against the model's
        # judgement) does not pull every face that resembles it into that person.
        by_person: dict[int, list[np.ndarray]] = {}
        for person_id, raw in anchors:
            by_person.setdefault(person_id, []).append(ml.descriptor_from_bytes(raw))
        anchor_persons = list(by_person)
        centroids = np.stack([np.mean(by_person[person_id], axis=0) for person_id in anchor_persons])
        nearest, distance = ml.nearest(descriptors, centroids)
        for row in np.nonzero(distance < same)[0]:
            joined.setdefault(int(anchor_persons[nearest[row]]), []).append(int(ids[row]))
        alone = distance >= same
        ids, descriptors = ids[alone], descriptors[alone]
    labels = ml.group(descriptors, threshold=same)
    for label in np.unique(labels):
        members = ids[labels == label]
        if len(members) >= settings.FACES_MIN_GROUP:
            person = Person.objects.create(owner_id=owner_id)
            joined[person.id] = [int(i) for i in members]
    for person_id, face_ids in joined.items():
        Face.objects.filter(id__in=face_ids, person__isnull=True, assigned_by_owner=False).update(person_id=person_id)


# The owner's choices ------------------------------------------------------------------------------------


def person_name_clean(name: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > 100:
        raise ValidationError("A name is at most 100 characters.", code="invalid_name")
    return name


def person_update(
    *, person: Person, name: str | None = None, hidden: bool | None = None, cover: Face | None = None
) -> Person:
    """Name or rename (an empty name unnames), hide or show, or choose the cover face (one of the person's)."""
    fields = []
    if name is not None:
        person.name = person_name_clean(name)
        fields.append("name")
    if hidden is not None:
        person.hidden = hidden
        fields.append("hidden")
    if cover is not None:
        if cover.person_id != person.id:
            raise ValidationError("The cover must be one of the person's faces.", code="cover_not_theirs")
        person.cover = cover
        fields.append("cover")
    if fields:
        person.save(update_fields=fields)
    return person


@transaction.atomic
def person_merge(*, person: Person, into: Person) -> Person:
    """Move every face of ``person`` to ``into`` as the owner's choice, and delete ``person``. ``into`` keeps
    its name, or takes ``person``'s if it had none."""
    if person.owner_id != into.owner_id:
        raise ValidationError("Both persons must be yours.", code="not_yours")  # selectors 404 before this
    if person.id == into.id:
        raise ValidationError("A person cannot be merged into themselves.", code="same_person")
    Face.objects.filter(person=person).update(person=into, assigned_by_owner=True)
    fields = []
    if not into.name and person.name:
        into.name = person.name
        fields.append("name")
    if into.cover_id is None and person.cover_id is not None:
        into.cover_id = person.cover_id
        fields.append("cover")
    person.delete()
    if fields:
        into.save(update_fields=fields)
    return into


@transaction.atomic
def face_assign(*, face: Face, person: Person | None) -> Face:
    """The owner puts a face on a person, or on nobody ("not a person I know"); clustering leaves it there.
    A person left with no faces and no name goes."""
    if person is not None and person.owner_id != face.owner_id:
        raise ValidationError("The person must be yours.", code="not_yours")  # selectors 404 before this
    previous = Face.objects.filter(id=face.id).values_list("person_id", flat=True).first()  # as stored now
    face.person, face.assigned_by_owner = person, True
    face.save(update_fields=["person", "assigned_by_owner"])
    if previous and previous != face.person_id:
        Person.objects.filter(id=previous, name="", hidden=False, faces__isnull=True).delete()
    return face


@transaction.atomic
def face_name(*, face: Face, name: str) -> Face:
    """ "Who is this?" answered with a name: the face goes to the owner's person of that name (made if there is
    none). If the face's own person has no name yet, naming the face names that person, with all their faces."""
    name = person_name_clean(name)
    if not name:
        raise ValidationError("Type a name.", code="invalid_name")
    named = Person.objects.filter(owner_id=face.owner_id, name__iexact=name).order_by("hidden", "id").first()
    if named is None and face.person_id:
        person = Person.objects.select_for_update().get(id=face.person_id)
        if not person.name:
            person_update(person=person, name=name)
            return face
    if named is None:
        named = Person.objects.create(owner_id=face.owner_id, name=name)
    return face_assign(face=face, person=named)


def faces_enable(*, owner: AbstractBaseUser, enabled: bool) -> FaceSettings:
    """Turn face grouping on or off for the account. Off deletes every face, person and scan of the owner
    (the owner asked for exactly that); on again finds the faces of every photo anew, in the background."""
    with transaction.atomic():
        face_settings, _ = FaceSettings.objects.select_for_update().get_or_create(owner=owner)
        face_settings.enabled = enabled
        face_settings.save(update_fields=["enabled"])
        if not enabled:
            Person.objects.filter(owner=owner).delete()
            Face.objects.filter(owner=owner).delete()
            PhotoScan.objects.filter(owner=owner).delete()
        else:
            faces_backfill_schedule(owner_id=owner.pk)
    return face_settings
