"""Reads about faces and persons. Every query starts from the owner: another user's ids are simply not found."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import Http404

from gallery.models import Photo

from . import ml
from .models import Face, FaceSettings, Person, PhotoScan


def model_version() -> str:
    """The face model as this deployment runs it: a photo scanned with another version is scanned again."""
    return ml.model_version(settings.FACES_DETECT_PIXELS)


def faces_enabled(*, owner_id: int) -> bool:
    return not FaceSettings.objects.filter(owner_id=owner_id, enabled=False).exists()


def photos_unscanned(*, owner_id: int) -> QuerySet[Photo]:
    """The owner's ready photos without faces from the current model, oldest first."""
    return (
        Photo.objects.filter(owner_id=owner_id, status=Photo.Status.READY)
        .exclude(face_scan__model_version=model_version())
        .order_by("id")
    )


def faces_progress(*, owner: AbstractBaseUser) -> dict:
    """{"enabled", "photos", "scanned"}: how far the faces pass has gone through the owner's ready photos."""
    ready = Photo.objects.filter(owner=owner, status=Photo.Status.READY)
    return {
        "enabled": faces_enabled(owner_id=owner.pk),
        "photos": ready.count(),
        "scanned": PhotoScan.objects.filter(
            owner=owner, model_version=model_version(), photo__status=Photo.Status.READY
        ).count(),
    }


def person_list(*, owner: AbstractBaseUser, name_prefix: str | None = None) -> QuerySet[Person]:
    """The owner's persons that have faces, each with ``photo_count`` (outside the trash) and ``thumbnail_face``
    (the cover, else their most confident face): named first, then by photo count."""
    best_face = Face.objects.filter(person=OuterRef("pk")).order_by("-score", "id").values("id")[:1]
    persons = (
        Person.objects.filter(owner=owner)
        .annotate(
            photo_count=Count("faces__photo", distinct=True, filter=Q(faces__photo__trashed_at__isnull=True)),
            best_face=Subquery(best_face),
        )
        .filter(best_face__isnull=False)
    )
    if name_prefix:  # autocomplete: names the search understands, so no hidden or unnamed persons
        persons = (
            persons.filter(hidden=False)
            .exclude(name="")
            .filter(Q(name__istartswith=name_prefix) | Q(name__icontains=f" {name_prefix}"))
        )
    unnamed = Case(When(name="", then=Value(1)), default=Value(0), output_field=IntegerField())
    return persons.order_by(unnamed, "-photo_count", "name", "id")


def person_get(*, owner: AbstractBaseUser, id) -> Person:
    try:
        return person_list(owner=owner).get(id=id)
    except (Person.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such person.") from None


def face_get(*, owner: AbstractBaseUser, id) -> Face:
    try:
        return Face.objects.get(owner=owner, id=id)
    except (Face.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such face.") from None


def person_thumbnail_face_id(person: Person) -> int | None:
    return person.cover_id or getattr(person, "best_face", None)


def person_faces(*, person: Person) -> QuerySet[Face]:
    """A person's faces outside the trash, most confident first (the crops are served by id)."""
    return (
        Face.objects.filter(person=person, photo__trashed_at__isnull=True)
        .only("id", "photo_id", "score", "person_id")
        .order_by("-score", "id")
    )


def photo_faces(photo: Photo) -> list[dict]:
    """The faces part of a photo's detail (gallery/extensions.py): [{"id", "person", "box": [x, y, w, h]}], the
    box in fractions of the upright photo."""
    return [
        {"id": face.id, "person": face.person_id, "box": face.box}
        for face in Face.objects.filter(photo=photo, owner_id=photo.owner_id).order_by("x", "id")
    ]


def photos_with_person(*, photos: QuerySet[Photo], owner: AbstractBaseUser, value: int) -> QuerySet[Photo]:
    """The ?person=ID filter of the photo list; another user's person → 404."""
    if not Person.objects.filter(owner=owner, id=value).exists():
        raise Http404("No such person.")
    return photos.filter(id__in=Face.objects.filter(owner=owner, person_id=value).values("photo_id"))


def photos_with_faces(*, owner_id: int, person_ids=None, min_faces: int = 1, min_area: float = 0.0) -> QuerySet:
    """Ids of the owner's photos outside the trash with faces: of these persons, at least ``min_faces`` of them,
    or one whose box covers at least ``min_area`` of the photo (a portrait)."""
    faces = Face.objects.filter(owner_id=owner_id, photo__trashed_at__isnull=True)
    if person_ids is not None:
        faces = faces.filter(person_id__in=list(person_ids))
    if min_area:
        faces = faces.annotate(area=F("w") * F("h")).filter(area__gte=min_area)
    return faces.values("photo_id").annotate(n=Count("id")).filter(n__gte=min_faces).values_list("photo_id", "n")


def person_names(*, owner_id: int) -> list[tuple[int, str]]:
    """(id, name) of the owner's named persons that are not hidden (two persons may share a name)."""
    return list(Person.objects.filter(owner_id=owner_id, hidden=False).exclude(name="").values_list("id", "name"))
