"""Parts of a photo's detail that other apps own (faces found in it, text read from it, …).

gallery renders them without importing those apps: an app registers a part from its AppConfig.ready(), and
`PhotoDetailSerializer` adds one field per registered part. A part is computed only for a photo's detail (one
photo), never for lists, so it may cost a query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import Photo

_parts: dict[str, Callable[[Photo], Any]] = {}


def photo_detail_part_register(*, name: str, build: Callable[[Photo], Any]) -> None:
    """Add ``name`` to every photo detail, as ``build(photo)`` returns it (JSON-ready)."""
    _parts[name] = build


def photo_detail_parts(*, photo: Photo) -> dict[str, Any]:
    return {name: build(photo) for name, build in _parts.items()}
