"""Photos as one zip, streamed: each original is copied in chunks as it is sent, so memory stays flat whatever the
number of photos (bench-free check: tests/gallery/test_downloads.py bounds every chunk)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator

from django.utils.timezone import localtime

from .models import Photo

CHUNK = 1024 * 1024


class _Sink:
    """An unseekable file for ZipFile: it keeps what was written until the response takes it."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> Iterator[bytes]:
        chunks, self.chunks = self.chunks, []
        yield from chunks


def zip_name(photo: Photo, taken: set[str]) -> str:
    """The photo's own file name, made unique within the archive (``name (2).jpg``)."""
    stem, dot, ext = photo.original_name.rpartition(".")
    stem, ext = (stem, f".{ext}") if dot else (photo.original_name, "")
    name, n = photo.original_name, 1
    while name.lower() in taken:
        n += 1
        name = f"{stem} ({n}){ext}"
    taken.add(name.lower())
    return name


def photos_zip(*, photos: Iterable[Photo]) -> Iterator[bytes]:
    """The originals, stored (JPEGs do not shrink), each dated when it was taken; yields the zip as it is made."""
    sink, names = _Sink(), set()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for photo in photos:
            shot = localtime(photo.shot_at)
            info = zipfile.ZipInfo(zip_name(photo, names), date_time=shot.timetuple()[:6])
            with photo.original.open("rb") as source, archive.open(info, "w", force_zip64=True) as entry:
                while chunk := source.read(CHUNK):
                    entry.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()
