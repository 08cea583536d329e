"""Reads of the text read from photos. Every query starts from the owner."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from gallery.models import Photo

from .core import reader
from .core.matching import fold, similarity
from .models import PhotoText, PhotoWord, TextSettings


def text_settings_get(*, owner: AbstractBaseUser) -> TextSettings:
    """The owner's settings (unsaved defaults when they never changed them)."""
    return TextSettings.objects.filter(owner=owner).first() or TextSettings(owner=owner)


def languages_of(settings_row: TextSettings) -> tuple[str, ...]:
    return tuple(settings_row.languages.split("+"))


def photo_text_part(photo: Photo) -> dict | None:
    """The `text` part of a photo's detail (gallery/extensions.py): None when the photo was not read."""
    text = PhotoText.objects.filter(photo=photo, read=True).first()
    if text is None:
        return None
    words = PhotoWord.objects.filter(photo=photo).order_by("position")
    return {
        "content": text.content,
        "words": [{"word": w.word, "box": [w.x, w.y, w.width, w.height], "confidence": w.confidence} for w in words],
    }


def photos_text_missing(*, owner_id: int | None = None, limit: int = 1000) -> list[int]:
    """Ready photos of owners who read text, with no text pass by the current engine and their languages: new
    photos the pipeline's message missed, photos from before the text pass existed, and all after an engine or
    language change. Oldest first."""
    disabled = TextSettings.objects.filter(enabled=False).values("owner_id")
    photos = Photo.objects.filter(status=Photo.Status.READY).exclude(owner_id__in=disabled)
    if owner_id is not None:
        photos = photos.filter(owner_id=owner_id)
    current = PhotoText.objects.filter(engine=reader.engine_key())
    # The languages must be the owner's: compare with their row, or with the default when they have none.
    chosen = TextSettings.objects.filter(owner_id__in=photos.values("owner_id"))
    stale_languages = Q()
    for row in chosen.values("owner_id", "languages"):
        stale_languages |= Q(owner_id=row["owner_id"]) & ~Q(languages=row["languages"])
    defaults = ~Q(owner_id__in=chosen.values("owner_id")) & ~Q(languages=TextSettings().languages)
    current = current.exclude(stale_languages | defaults) if stale_languages else current.exclude(defaults)
    photos = photos.exclude(id__in=current.values("photo_id"))
    return list(photos.order_by("id").values_list("id", flat=True)[:limit])


def words_of(*, owner: AbstractBaseUser) -> QuerySet[PhotoWord]:
    """The owner's read words on photos that are not in the trash."""
    return PhotoWord.objects.filter(owner=owner, photo__trashed_at__isnull=True)


def photo_words_matching(*, photo: Photo, query: str) -> list[dict]:
    """The words read in the photo that the query's words match (with the search's folding and tolerance), for
    highlighting a search result: [{"word", "box"}] in the photo's pixels. Quoted phrases count word by word."""
    wanted = [w for w in (fold(part) for part in query.replace('"', " ").split()) if len(w) >= 2]
    if not wanted:
        return []
    rows = PhotoWord.objects.filter(photo=photo).order_by("position")
    return [
        {"word": row.word, "box": [row.x, row.y, row.width, row.height]}
        for row in rows
        if any(similarity(w, row.folded) > 0 for w in wanted)
    ]
