"""Writes of the text pass: read a photo (gate, then Tesseract), store its words, settings, purge.

The text pass never delays `ready`: the pipeline queues it on its own queue ("text") once photos are ready
(search/pipeline.py), and the backfill (a Celery beat task) catches everything else.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterable, Iterator

import redis
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef

from gallery.images import open_rgb
from gallery.models import Photo, PhotoTag

from .core import gate, reader
from .core.matching import fold
from .models import OwnerWord, PhotoText, PhotoWord, TextSettings
from .selectors import languages_of, photos_text_missing, text_settings_get
from .tasks import text_backfill_task, text_read_task

logger = logging.getLogger(__name__)

BACKFILL_BATCH = 50


def text_read_schedule(*, photo_ids: list[int]) -> None:
    """Queue the text pass of these photos once the transaction commits (the pipeline calls this at ready)."""

    if photo_ids:
        transaction.on_commit(lambda: text_read_task.delay(list(photo_ids)))


def photo_text_read(*, photo_id: int) -> PhotoText | None:
    """Run the text pass on one photo: gate, then read if it passes, then store. Safe to run twice: a photo that
    already has a pass by the current engine and the owner's languages is left alone. None when the photo is
    gone, not ready, or its owner turned reading off."""
    photo = Photo.objects.filter(id=photo_id, status=Photo.Status.READY).select_related("owner").first()
    if photo is None:
        return None
    settings_row = text_settings_get(owner=photo.owner)
    if not settings_row.enabled:
        return None
    languages = languages_of(settings_row)
    engine, joined = reader.engine_key(), "+".join(languages)
    existing = PhotoText.objects.filter(photo_id=photo.id, engine=engine, languages=joined).first()
    if existing is not None:
        return existing
    try:
        verdict, words = _read_if_text(photo, languages, _gate(photo))
    except OSError:  # the files went with the photo meanwhile, or are unreadable: nothing to store
        logger.warning("Text pass: photo %s could not be opened", photo.id, exc_info=True)
        return None
    except Exception:
        # A photo Tesseract or the decoder chokes on is recorded as not read, so that neither this task nor the
        # backfill tries it again and again; the next engine key gives it another chance.
        logger.exception("Text pass failed on photo %s; recorded as not read", photo.id)
        verdict, words = gate.Verdict(read=False, score=0, class_score=0), []
    try:
        return _store(photo, verdict=verdict, words=words, engine=engine, languages=joined)
    except IntegrityError:
        if Photo.objects.filter(id=photo.id).exists():
            raise
        return None  # deleted while it was being read


def _gate(photo: Photo) -> gate.Verdict:
    # The original decoded small (JPEG's DCT scaling): the 400-px thumbnail loses letters under 20 px.
    with photo.original.open("rb") as file:
        image = open_rgb(file, long_side=gate.GATE_SIDE)
    # The model's classes, as the pipeline stored them: its auto tags with their probability.
    classes = dict(
        PhotoTag.objects.filter(photo=photo, source=PhotoTag.Source.AUTO).values_list("tag__name", "confidence")
    )
    return gate.verdict(image=image, class_probabilities=classes)


def _read_if_text(
    photo: Photo, languages: tuple[str, ...], verdict: gate.Verdict
) -> tuple[gate.Verdict, list[reader.Word]]:
    """The words of a photo the gate passed, or of a near miss whose best lines hold a sure word; the verdict
    says which (read)."""
    if not verdict.near:
        return verdict, _read(photo, languages, verdict) if verdict.read else []
    first = _read(photo, languages, verdict.confirming())
    if not gate.confirms(first):
        return verdict, []
    # Read in full, the confirming words kept: regions of more lines are read at another tilt and scale.
    verdict = verdict.confirmed()
    return verdict, reader.merged(first, _read(photo, languages, verdict))


def _read(photo: Photo, languages: tuple[str, ...], verdict: gate.Verdict) -> list[reader.Word]:
    with photo.original.open("rb") as file:
        image = open_rgb(file, long_side=reader.READ_SIDE)
    words = reader.read(image, languages=languages, lines=verdict.lines, lines_size=verdict.size)
    scale = photo.width / image.width if image.width else 1.0  # boxes in the photo's own pixels
    if abs(scale - 1.0) > 1e-3:
        words = [
            reader.Word(
                text=w.text,
                confidence=w.confidence,
                box=tuple(round(v * scale) for v in w.box),
                line_start=w.line_start,
            )
            for w in words
        ]
    return words


@transaction.atomic
def _store(
    photo: Photo, *, verdict: gate.Verdict, words: list[reader.Word], engine: str, languages: str
) -> PhotoText | None:
    if not Photo.objects.select_for_update().filter(id=photo.id).exists():  # a delete waits for us, or is done
        return None
    if not text_settings_get(owner=photo.owner).enabled:  # reading was turned off while this photo was read
        return None
    PhotoWord.objects.filter(photo_id=photo.id).delete()
    lines: list[list[str]] = []
    for word in words:
        if word.line_start or not lines:
            lines.append([])
        lines[-1].append(word.text)
    text, _ = PhotoText.objects.update_or_create(
        photo_id=photo.id,
        defaults={
            "owner_id": photo.owner_id,
            "read": verdict.read,
            "content": "\n".join(" ".join(line) for line in lines),
            "engine": engine,
            "languages": languages,
            "gate_score": float(verdict.score),
            "word_count": len(words),
        },
    )
    PhotoWord.objects.bulk_create(
        [
            PhotoWord(
                photo_id=photo.id,
                owner_id=photo.owner_id,
                position=position,
                word=word.text[:100],
                folded=fold(word.text),
                length=len(fold(word.text)),
                confidence=word.confidence,
                x=max(0, word.box[0]),
                y=max(0, word.box[1]),
                width=max(0, word.box[2]),
                height=max(0, word.box[3]),
                size=word.box[3] / max(photo.height, 1),
            )
            for position, word in enumerate(words)
        ]
    )
    OwnerWord.objects.bulk_create(
        [OwnerWord(owner_id=photo.owner_id, folded=f, length=len(f)) for f in {fold(w.text) for w in words} if f],
        ignore_conflicts=True,
    )
    return text


def photos_text_read(*, photo_ids: Iterable[int]) -> int:
    """The text pass over several photos, one at a time (a fault in one leaves the others done)."""
    done = 0
    for photo_id in photo_ids:
        done += photo_text_read(photo_id=photo_id) is not None
    return done


@contextlib.contextmanager
def _lock(*, key: str, seconds: int) -> Iterator[bool]:
    """A Redis lock (SET NX EX) that expires if its holder dies; yields whether it was acquired."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    token = uuid.uuid4().hex
    acquired = bool(client.set(f"searchsite:lock:{key}", token, nx=True, ex=seconds))
    try:
        yield acquired
    finally:
        if acquired and client.get(f"searchsite:lock:{key}") == token.encode():
            client.delete(f"searchsite:lock:{key}")


def text_backfill(*, budget_seconds: float, owner_id: int | None = None) -> int:
    """Read photos that have no current text pass, for up to ``budget_seconds``; the next run goes on. One run
    at a time (a Redis lock): beat may fire again while a long backfill is still going."""
    done = 0
    with _lock(key="ocr:backfill", seconds=int(budget_seconds) + 600) as acquired:
        if not acquired:
            return 0
        vocabulary_prune()
        deadline = time.monotonic() + budget_seconds
        while time.monotonic() < deadline:
            batch = photos_text_missing(owner_id=owner_id, limit=BACKFILL_BATCH)
            if not batch:
                break
            for photo_id in batch:
                if time.monotonic() >= deadline:
                    break
                if photo_text_read(photo_id=photo_id) is None:
                    # Not readable now (files gone): record an empty pass so the backfill does not spin on it.
                    _skip(photo_id)
                done += 1
    return done


def _skip(photo_id: int) -> None:
    photo = Photo.objects.filter(id=photo_id).select_related("owner").first()
    if photo is None or not text_settings_get(owner=photo.owner).enabled:
        return
    languages = "+".join(languages_of(text_settings_get(owner=photo.owner)))
    nothing = gate.Verdict(read=False, score=0, class_score=0)
    with contextlib.suppress(IntegrityError):  # deleted meanwhile
        _store(photo, verdict=nothing, words=[], engine=reader.engine_key(), languages=languages)


def vocabulary_prune() -> int:
    """Forget words no photo holds any more (their photos were deleted or read again): the vocabulary keeps
    nothing of a deleted photo for longer than one backfill period."""
    held = PhotoWord.objects.filter(owner_id=OuterRef("owner_id"), folded=OuterRef("folded"))
    deleted, _ = OwnerWord.objects.exclude(Exists(held)).delete()
    return deleted


@transaction.atomic
def text_settings_update(*, owner: AbstractBaseUser, enabled: bool, languages: list[str]) -> TextSettings:
    """Change the owner's reading settings. Turning reading off deletes every text read from their photos (they
    asked for it); choosing other languages reads their photos again in the background."""
    installed = reader.installed_languages()
    unknown = [code for code in languages if code not in installed]
    if not languages or unknown:
        raise ValidationError(
            f"Choose one or more installed languages ({', '.join(installed)}).", code="invalid_languages"
        )
    row, _ = TextSettings.objects.get_or_create(owner=owner)
    row.enabled = enabled
    row.languages = "+".join(dict.fromkeys(languages))
    row.save()
    if not enabled:
        text_delete_all(owner=owner)
    else:
        transaction.on_commit(lambda: text_backfill_task.delay(owner.id))
    return row


def text_delete_all(*, owner: AbstractBaseUser) -> int:
    """Delete every text read from the owner's photos."""
    PhotoWord.objects.filter(owner=owner).delete()
    OwnerWord.objects.filter(owner=owner).delete()
    deleted, _ = PhotoText.objects.filter(owner=owner).delete()
    return deleted
