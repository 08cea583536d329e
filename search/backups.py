"""Backup and restore of a whole site: the database rows and the media files, nothing derivable.

A backup is one tar file: ``db.json`` (every app's rows, vectors included), ``media/`` (originals and
thumbnails) and ``projections/`` (per-user trained text projections, which a retrain would not reproduce
bit for bit). Index files are left out: a restore rebuilds them from the stored vectors, so no photo is
re-embedded. The format is the same for SQLite and PostgreSQL, so a backup moves between the two.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from gallery import services as gallery_services
from gallery.models import Photo

from .index_versions import index_rebuild, models_in_use, owner_dir
from .models import SearchIndex, TextProjection
from .pipeline import photos_queue

FORMAT_VERSION = 1
# Rows that are caches or belong to Django's own bookkeeping, recreated by migrate or by a rebuild.
EXCLUDED_MODELS = ("contenttypes", "auth.permission", "sessions", "admin.logentry", "search.searchindex")


class RestoreError(Exception):
    """The archive can't be restored here; nothing was changed."""


@dataclass
class BackupSummary:
    users: int
    photos: int
    files: int
    bytes: int


def site_backup(*, target: Path) -> BackupSummary:
    """Write the database and media into ``target`` (a .tar, or .tar.gz when the name says so)."""
    dump = io.StringIO()
    call_command("dumpdata", natural_foreign=True, exclude=list(EXCLUDED_MODELS), format="json", stdout=dump)
    media_root = Path(settings.MEDIA_ROOT)
    files = sorted(p for p in media_root.rglob("*") if p.is_file()) if media_root.exists() else []
    projections = [
        (record.owner_id, Path(record.path))
        for record in TextProjection.objects.exclude(path="")
        if Path(record.path).is_file()
    ]
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "users": get_user_model().objects.count(),
        "photos": Photo.objects.count(),
        "media_files": len(files),
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")  # a crash never leaves a plausible-looking archive
    with tarfile.open(partial, "w:gz" if target.name.endswith(".gz") else "w") as archive:
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
        _add_bytes(archive, "db.json", dump.getvalue().encode())
        for path in files:
            archive.add(path, arcname=f"media/{path.relative_to(media_root).as_posix()}", recursive=False)
        for owner_id, path in projections:
            archive.add(path, arcname=f"projections/{owner_id}/{path.name}", recursive=False)
    partial.replace(target)
    return BackupSummary(
        users=manifest["users"], photos=manifest["photos"], files=len(files), bytes=target.stat().st_size
    )


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def site_restore(*, source: Path) -> BackupSummary:
    """Load a backup into an empty, migrated site, rebuild every index from the restored vectors (once per owner and
    model), and queue the photos the old site had not finished.

    Refuses (RestoreError) when the site already has users, or the archive is not a searchsite backup.
    """
    if get_user_model().objects.exists():
        raise RestoreError("This site already has users; restore into a freshly migrated, empty database.")
    with tempfile.TemporaryDirectory() as tmp:
        staging = Path(tmp)
        _extract(source, staging)
        manifest = json.loads((staging / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise RestoreError(f"Unknown backup format {manifest.get('format')!r}.")
        copied = _copy_media(staging / "media", Path(settings.MEDIA_ROOT))
        try:
            with transaction.atomic():
                call_command("loaddata", str(staging / "db.json"), verbosity=0)
                SearchIndex.objects.all().delete()
                _restore_projections(staging / "projections")
        except BaseException:
            for path in copied:  # no rows, so no files either
                path.unlink(missing_ok=True)
            raise
    # order_by() drops Photo.Meta.ordering, which would otherwise join DISTINCT and make one "owner" per photo.
    for owner_id in Photo.objects.order_by().values_list("owner_id", flat=True).distinct():
        for model_key in models_in_use(owner_id=owner_id):
            index_rebuild(owner_id=owner_id, model_key=model_key)
    # Photos the old site had not finished: this site's workers take them to ready (or failed, with a reason).
    unfinished = dict(
        Photo.objects.filter(status__in=[Photo.Status.PENDING, Photo.Status.PROCESSING]).values_list("id", "claimed_by")
    )
    photos_queue(
        photo_ids=gallery_services.photos_requeue(photo_ids=list(unfinished), released=set(unfinished.values()))
    )
    files = sum(1 for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    return BackupSummary(
        users=get_user_model().objects.count(),
        photos=Photo.objects.count(),
        files=files,
        bytes=source.stat().st_size,
    )


def _extract(source: Path, staging: Path) -> None:
    try:
        with tarfile.open(source) as archive:
            # The "data" filter refuses absolute paths, links out of the folder and device files.
            archive.extractall(staging, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise RestoreError(f"{source} is not a readable backup: {error}") from error
    if not (staging / "manifest.json").is_file() or not (staging / "db.json").is_file():
        raise RestoreError(f"{source} is not a searchsite backup (no manifest.json or db.json).")


def _copy_media(source: Path, media_root: Path) -> list[Path]:
    copied = []
    for path in sorted(source.rglob("*")) if source.is_dir() else []:
        if path.is_file():
            target = media_root / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied.append(target)
    return copied


def _restore_projections(folder: Path) -> None:
    """Put each kept projection file in this site's index folder and point its row at it."""
    for record in TextProjection.objects.exclude(path=""):
        saved = folder / str(record.owner_id) / Path(record.path).name
        if not saved.is_file():
            TextProjection.objects.filter(id=record.id).update(path="", active=False)
            continue
        target = owner_dir(record.owner_id) / saved.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(saved, target)
        TextProjection.objects.filter(id=record.id).update(path=str(target))
