"""Backup and restore of a whole site: the database rows and the media files, nothing derivable.

A backup is one tar file: ``db.json`` (every installed app's rows, vectors included), ``media/`` (the files those
rows name: originals, thumbnails, and whatever file fields apps added later have) and ``projections/`` (per-user
trained text projections, which a retrain would not reproduce bit for bit). Index files are left out: a restore
rebuilds them from the stored vectors, so no photo is re-embedded. The format is the same for SQLite and
PostgreSQL, so a backup moves between the two.

A backup is one consistent snapshot, taken while uploads go on: the rows are read in one transaction (repeatable
read on PostgreSQL, a deferred read transaction on SQLite in WAL mode), and exactly the files those rows name are
archived. A photo is in the backup whole (an upload writes its file before its row commits) or not at all.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connections, models, transaction
from django.utils import timezone

from gallery import services as gallery_services
from gallery.models import Photo

from .index_versions import models_in_use, owner_dir
from .indexes import index_rebuild
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
    missing: list[str] = field(default_factory=list)  # named by a row, but not in the archive
    orphans: list[str] = field(default_factory=list)  # in the archive, but named by no row (not restored)


def site_backup(*, target: Path) -> BackupSummary:
    """Write one consistent snapshot of the database, and the media its rows name, into ``target`` (a .tar, or
    .tar.gz when the name says so). The summary counts what the archive holds."""
    media_root = Path(settings.MEDIA_ROOT)
    with _snapshot() as alias:
        dump = io.StringIO()
        call_command(
            "dumpdata",
            natural_foreign=True,
            exclude=list(EXCLUDED_MODELS),
            format="json",
            database=alias,
            stdout=dump,
        )
        named = _files_named(alias)
        projections = [
            (record.owner_id, Path(record.path))
            for record in TextProjection.objects.using(alias).exclude(path="")
            if Path(record.path).is_file()
        ]
        users = get_user_model().objects.using(alias).count()
        photos = Photo.objects.using(alias).count()
    files = [name for name in named if (media_root / name).is_file()]
    missing = sorted(set(named) - set(files))  # deleted after the snapshot: the photo's row is in, its file gone
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "users": users,
        "photos": photos,
        "media_files": len(files),
        "missing_files": missing,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")  # a crash never leaves a plausible-looking archive
    with tarfile.open(partial, "w:gz" if target.name.endswith(".gz") else "w") as archive:
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
        _add_bytes(archive, "db.json", dump.getvalue().encode())
        for name in files:
            archive.add(media_root / name, arcname=f"media/{name}", recursive=False)
        for owner_id, path in projections:
            archive.add(path, arcname=f"projections/{owner_id}/{path.name}", recursive=False)
    partial.replace(target)
    return BackupSummary(users=users, photos=photos, files=len(files), bytes=target.stat().st_size, missing=missing)


@contextlib.contextmanager
def _snapshot() -> Iterator[str]:
    """A database alias whose reads all see one moment of the site, while writers go on."""
    connection = connections["default"]
    if connection.in_atomic_block:  # inside another transaction, that one's snapshot is ours
        yield "default"
        return
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        # Django opens SQLite transactions IMMEDIATE, a write lock that would hold every upload back for the whole
        # backup. A deferred one is a plain read snapshot in WAL mode, fixed by its first read.
        begin = "BEGIN DEFERRED"
    else:
        begin = "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
    with connection.cursor() as cursor:
        cursor.execute(begin)
    try:
        yield "default"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")  # it only read


def _file_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every dumped model that has file fields, with their names: apps added later are covered too."""
    excluded = {label.lower() for label in EXCLUDED_MODELS}
    found = []
    for model in apps.get_models():
        if model._meta.app_label in excluded or model._meta.label_lower in excluded:
            continue
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
        if names:
            found.append((model, names))
    return found


def _files_named(alias: str) -> list[str]:
    """The media files the rows of the snapshot name, relative to MEDIA_ROOT."""
    named = set()
    for model, names in _file_fields():
        for row in model._base_manager.using(alias).values_list(*names):
            named.update(name for name in row if name)
    return sorted(named)


def _files_named_in_dump(dump: list[dict]) -> set[str]:
    """The same, read from a dump's rows (a restore checks the archive against them)."""
    fields = {model._meta.label_lower: names for model, names in _file_fields()}
    return {
        row["fields"][name]
        for row in dump
        for name in fields.get(row.get("model", ""), ())
        if row.get("fields", {}).get(name)
    }


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    archive.addfile(info, io.BytesIO(data))


def site_restore(*, source: Path) -> BackupSummary:
    """Load a backup into an empty, migrated site, rebuild every index from the restored vectors (once per owner and
    model), and queue the photos the old site had not finished. Only the files the rows name are restored; the
    summary lists those named but absent (missing) and those present but named by no row (orphans).

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
        named = _files_named_in_dump(json.loads((staging / "db.json").read_text()))
        in_archive = _archived_media(staging / "media")
        missing, orphans = sorted(named - in_archive), sorted(in_archive - named)
        copied = _copy_media(staging / "media", Path(settings.MEDIA_ROOT), names=named & in_archive)
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
    return BackupSummary(
        users=get_user_model().objects.count(),
        photos=Photo.objects.count(),
        files=len(copied),
        bytes=source.stat().st_size,
        missing=missing,
        orphans=orphans,
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


def _archived_media(source: Path) -> set[str]:
    if not source.is_dir():
        return set()
    return {path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file()}


def _copy_media(source: Path, media_root: Path, *, names: set[str]) -> list[Path]:
    copied = []
    for name in sorted(names):
        target = media_root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target)
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
