"""Reads from the gallery. Every query starts from the owner, so another user's id is simply not found."""
from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from .models import Photo, PhotoTag


def visible_tags() -> Prefetch:
    """Tags worth showing with a photo: everything but rejected suggestions, best first."""
    return Prefetch(
        "photo_tags",
        queryset=PhotoTag.objects.exclude(state=PhotoTag.State.REJECTED).select_related("tag"),
        to_attr="visible_tags",
    )


def photo_list(*, owner: AbstractBaseUser, filters: dict | None = None) -> QuerySet[Photo]:
    """The owner's photos, newest first; filters: ``tag`` (accepted tags only), ``status`` and ``ids``."""
    filters = filters or {}
    photos = Photo.objects.filter(owner=owner)
    if tag := filters.get("tag"):
        photos = photos.filter(
            photo_tags__tag__name=tag.strip().lower(), photo_tags__state=PhotoTag.State.ACCEPTED
        )
    if status := filters.get("status"):
        photos = photos.filter(status=status)
    if ids := filters.get("ids"):
        photos = photos.filter(id__in=ids)
    return photos.prefetch_related(visible_tags())


def photo_get(*, owner: AbstractBaseUser, id: int) -> Photo:
    try:
        return photo_list(owner=owner).get(id=id)
    except (Photo.DoesNotExist, ValueError, TypeError):
        raise Http404("No such photo.") from None


def photos_by_ids(*, owner: AbstractBaseUser, ids: list[int]) -> dict[int, Photo]:
    """Photos for search results, keyed by id; ids that are not the owner's are silently absent."""
    return {photo.id: photo for photo in photo_list(owner=owner).filter(id__in=ids)}


def tag_counts(*, owner: AbstractBaseUser) -> list[tuple[str, int]]:
    """The owner's accepted tags with how many photos carry each, most used first (for the tag filter)."""
    rows = (
        PhotoTag.objects.filter(photo__owner=owner, state=PhotoTag.State.ACCEPTED)
        .values("tag__name")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__name")
    )
    return [(row["tag__name"], row["n"]) for row in rows]
