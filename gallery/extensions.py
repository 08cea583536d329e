"""Parts of the photo API that other apps own, registered without gallery importing those apps.

Parts of a photo's detail that other apps own (faces found in it, text read from it, …).

gallery renders them without importing those apps: an app registers a part from its AppConfig.ready(), and
`PhotoDetailSerializer` adds one field per registered part. A part is computed only for a photo's detail (one
photo), never for lists, so it may cost a query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from .models import Photo

_parts: dict[str, Callable[[Photo], Any]] = {}


def photo_detail_part_register(*, name: str, build: Callable[[Photo], Any]) -> None:
    """Add ``name`` to every photo detail, as ``build(photo)`` returns it (JSON-ready)."""
    _parts[name] = build


def photo_detail_parts(*, photo: Photo) -> dict[str, Any]:
    return {name: build(photo) for name, build in _parts.items()}


# Filters of the photo list that other apps own (?person=ID, …): the API's filter serializer gains one field per
# registered filter, and photo_list applies it to the owner's photos when the request gave it.

_list_filters: dict[str, tuple[Callable[[], Any], Callable[..., QuerySet[Photo]]]] = {}


def photo_list_filter_register(*, name: str, field: Callable[[], Any], apply: Callable[..., QuerySet[Photo]]) -> None:
    """``field()`` makes the DRF field that parses the query parameter; ``apply(photos=, owner=, value=)``
    narrows the owner's photos (raising Http404 for an id the owner may not see)."""
    _list_filters[name] = (field, apply)


def photo_list_filter_fields() -> dict[str, Any]:
    return {name: field() for name, (field, _) in _list_filters.items()}


def photo_list_filters_apply(*, photos: QuerySet[Photo], owner: AbstractBaseUser, filters: dict) -> QuerySet[Photo]:
    for name, (_, apply) in _list_filters.items():
        if filters.get(name) is not None:
            photos = apply(photos=photos, owner=owner, value=filters[name])
    return photos
