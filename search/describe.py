"""What a photo shows besides its objects: where it was taken, in words, and its main colours.

Read at ingest from the decoded photo (search/pipeline.py), and in the background for photos stored before, or
described by an older DESCRIBE_VERSION (photos_describe_missing, run by Celery beat). Both are cheap (a k-d tree
look-up, a 64-pixel copy) and never fail a photo: a photo that cannot be described stays searchable by
everything else.
"""

from __future__ import annotations

import logging
import uuid

import redis
from PIL import Image

from gallery import selectors as gallery_selectors
from gallery import services as gallery_services
from gallery.models import Photo

from .debounce import redis_client
from .ml import colours as colour_names
from .ml import places

logger = logging.getLogger(__name__)

# Raise when the geocoding or the colour reading changes: the background pass redoes older photos.
DESCRIBE_VERSION = 2
BACKFILL_BATCH = 200


def photos_describe(*, decoded: list[tuple[Photo, Image.Image]]) -> None:
    """Describe each photo from its decoded image; one photo's fault only leaves that photo for the backfill."""
    for photo, image in decoded:
        try:
            photo_describe(photo=photo, image=image)
        except Exception:
            logger.exception("Describing photo %s failed; the background pass will try again", photo.id)


def photo_describe(*, photo: Photo, image: Image.Image | None) -> None:
    """Store the photo's place (from its GPS position) and colours (from ``image``; None: unreadable)."""
    place = None
    if photo.latitude is not None and photo.longitude is not None:
        found = places.geocoder().place(latitude=photo.latitude, longitude=photo.longitude)
        if found is not None:
            place = {part: getattr(found, part) for part in gallery_services.PLACE_PARTS}
    found_colours = colour_names.colours(image) if image is not None else None
    gallery_services.photo_describe(
        photo_id=photo.id,
        place=place,
        colours=found_colours.shares if found_colours else None,
        monochrome=found_colours.monochrome if found_colours else None,
        version=DESCRIBE_VERSION,
    )
    if place is not None:
        places_changed(owner_id=photo.owner_id)


def places_changed(*, owner_id: int) -> None:
    try:
        redis_client().set(_places_key(owner_id), uuid.uuid4().hex)
    except redis.RedisError:  # nobody can keep the old names either: places_version answers None meanwhile
        logger.warning("Redis is unavailable: could not renew the place names of owner %s", owner_id)


def places_version(*, owner_id: int) -> bytes | None:
    """A token that changes whenever one of the owner's photos gets a place: web processes keep the owner's
    place names (search/signals/places.py) for as long as it stays the same. None while Redis is unavailable:
    then nothing may be kept, and text search still works."""
    try:
        client = redis_client()
        client.set(_places_key(owner_id), uuid.uuid4().hex, nx=True)
        return client.get(_places_key(owner_id))
    except redis.RedisError:
        return None


def _places_key(owner_id: int) -> str:
    return f"searchsite:places:{owner_id}"


def photos_describe_missing(*, limit: int) -> int:
    """Describe up to ``limit`` photos that were stored before (or described by an older version), from their
    thumbnails; returns how many were done. Photos without a thumbnail yet are left to the pipeline."""
    photos = gallery_selectors.photos_to_describe(version=DESCRIBE_VERSION, limit=limit)
    for photo in photos:
        try:
            with photo.thumbnail.open("rb") as thumbnail, Image.open(thumbnail) as image:
                image.load()
                photo_describe(photo=photo, image=image)
        except Exception:  # a missing or broken thumbnail: describe what can be, so it is not retried forever
            logger.warning("Photo %s: no readable thumbnail; described without colours", photo.id, exc_info=True)
            photo_describe(photo=photo, image=None)
    return len(photos)
