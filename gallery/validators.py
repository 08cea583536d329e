"""One image validator for every way in: the web form, the API and `import_photos`.

It checks content, never the extension or the client's content type, and names the reason precisely.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from struct import error as struct_error  # Pillow raises it on some malformed headers
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError

# Pillow format name → the extension we store under. HEIF (iPhones' HEIC) comes from pillow-heif (gallery.apps).
ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp", "HEIF": "heic"}
ALLOWED_LABEL = "JPEG, PNG, WebP, GIF, BMP or HEIC"

EXIF_IFD = 0x8769
EXIF_DATETIME_ORIGINAL = 36867
EXIF_DATETIME = 306
GPS_IFD = 0x8825
GPS_LATITUDE_REF, GPS_LATITUDE, GPS_LONGITUDE_REF, GPS_LONGITUDE = 1, 2, 3, 4
# EXIF dates outside these bounds are a camera's unset clock or garbage; the photo then dates from its upload.
# Nothing was photographed before Niépce's first photograph, and EXIF wall-clock time runs at most 14 h
# (UTC+14) ahead of UTC, so a day's slack.
EXIF_EARLIEST = datetime(1826, 1, 1, tzinfo=UTC)
EXIF_FUTURE_SLACK = timedelta(days=1)


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    sha256: str
    size: int
    taken_at: datetime | None
    latitude: float | None = None
    longitude: float | None = None


def validate_image(file: IO[bytes], *, size: int | None = None) -> ImageInfo:
    """Return facts about an acceptable image, or raise ValidationError saying why it is not one."""
    size = size_of(file) if size is None else size
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > settings.UPLOAD_MAX_BYTES:
        raise ValidationError(
            f"The file is {filesizeformat(size)}; the limit is {filesizeformat(settings.UPLOAD_MAX_BYTES)}.",
            code="too_large",
        )
    sha256 = _sha256(file)
    fmt, width, height, taken_at, place = _inspect(file)
    return ImageInfo(
        format=fmt,
        width=width,
        height=height,
        sha256=sha256,
        size=size,
        taken_at=taken_at,
        latitude=place[0] if place else None,
        longitude=place[1] if place else None,
    )


def _inspect(file: IO[bytes]) -> tuple[str, int, int, datetime | None, tuple[float, float] | None]:
    # Decompression bombs: Pillow only warns between MAX_IMAGE_PIXELS and twice that; we refuse both, and also
    # anything above our own (lower) pixel limit before a single pixel is decoded.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            file.seek(0)
            with Image.open(file, formats=list(ALLOWED_FORMATS)) as image:
                fmt, (width, height) = image.format, image.size
                _check_pixels(width, height)
                taken_at = _taken_at(image)
                place = _gps(image)
            file.seek(0)
            with Image.open(file, formats=[fmt]) as image:
                image.verify()  # structure and checksums, without decoding
            if fmt == "JPEG":
                # JPEG's verify() checks nothing, so decode once at 1/8 scale: cheap, and it reads the whole
                # entropy-coded stream, which is where truncation and garbage show up.
                file.seek(0)
                with Image.open(file, formats=["JPEG"]) as image:
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
            elif fmt == "GIF":
                # Nor does GIF's. Decode the first frame (the one processing uses) and walk the later frames'
                # blocks without decoding them, so a cut anywhere is found at the cost of reading the file once.
                file.seek(0)
                with Image.open(file, formats=["GIF"]) as image:
                    image.load()
                _check_gif_blocks(file)
            elif fmt == "HEIF":
                # Neither does HEIF's, and it has no reduced decode: a truncated file only shows when decoded.
                file.seek(0)
                with Image.open(file, formats=["HEIF"]) as image:
                    image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                "The image has too many pixels to be decoded safely (a possible decompression bomb).",
                code="bomb",
            ) from None
        except UnidentifiedImageError:
            if _is_heif(file):  # pillow-heif reads metadata at open, so a cut HEIC fails to open, not to decode
                raise ValidationError("The image data is corrupt or truncated.", code="corrupt") from None
            raise ValidationError(_unsupported_message(file), code="unsupported") from None
        except ValidationError:
            raise
        except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct_error) as exc:
            raise ValidationError(f"The image data is corrupt or truncated: {exc}", code="corrupt") from None
        finally:
            file.seek(0)
    return fmt, width, height, taken_at, place


def _check_gif_blocks(file: IO[bytes]) -> None:
    """Raise EOFError unless every block of the GIF is whole and the trailer ends it (a file cut just after a
    frame is otherwise a valid, shorter GIF).

    Layout (GIF89a spec): header, screen descriptor, optional global colour table, then extensions (0x21) and
    images (0x2C), each ending in data sub-blocks closed by a zero byte, then the trailer (0x3B).
    """
    file.seek(0)
    head = _read_exactly(file, 13)
    if head[10] & 0x80:
        _read_exactly(file, 3 << ((head[10] & 7) + 1))
    while True:
        introducer = _read_exactly(file, 1)
        if introducer == b"\x3b":
            return
        if introducer == b"\x21":
            _read_exactly(file, 1)  # label
        elif introducer == b"\x2c":
            descriptor = _read_exactly(file, 9)
            if descriptor[8] & 0x80:
                _read_exactly(file, 3 << ((descriptor[8] & 7) + 1))
            _read_exactly(file, 1)  # LZW minimum code size
        else:
            raise SyntaxError(f"unknown GIF block 0x{introducer[0]:02x}")
        while length := _read_exactly(file, 1)[0]:
            _read_exactly(file, length)


def _read_exactly(file: IO[bytes], count: int) -> bytes:
    data = file.read(count)
    if len(data) < count:
        raise EOFError("image file is truncated")
    return data


def _check_pixels(width: int, height: int) -> None:
    limit = settings.UPLOAD_MAX_PIXELS
    if width * height > limit:
        raise ValidationError(
            f"The image is {width}×{height} pixels ({width * height / 1e6:.0f} MP); the limit is {limit / 1e6:.0f} MP.",
            code="bomb",
        )


def _is_heif(file: IO[bytes]) -> bool:
    file.seek(0)
    head = file.read(12)
    return head[4:8] == b"ftyp" and head[8:12] in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1")


def _unsupported_message(file: IO[bytes]) -> str:
    """Name the format when we can: "TIFF is not supported" helps more than "not an image"."""
    file.seek(0)
    head = file.read(512)
    stripped = head.lstrip()
    if head.startswith((b"II*\x00", b"MM\x00*")):
        name = "TIFF"
    elif head.startswith(b"%!PS") or head.startswith(b"\xc5\xd0\xd3\xc6"):
        name = "EPS/PostScript"
    elif b"<svg" in head.lower() or stripped.startswith(b"<?xml"):
        name = "SVG"
    elif head.startswith(b"%PDF"):
        name = "PDF"
    else:
        try:
            with Image.open(file) as other:  # any format Pillow knows, only to name it
                name = other.format
        except Exception:
            return f"The file is not an image we can read. Upload {ALLOWED_LABEL}."
    return f"{name} files are not supported. Upload {ALLOWED_LABEL}."


def _taken_at(image: Image.Image) -> datetime | None:
    exif = image.getexif()
    raw = exif.get_ifd(EXIF_IFD).get(EXIF_DATETIME_ORIGINAL) or exif.get(EXIF_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        # EXIF has no time zone; store it as UTC wall-clock so it sorts and displays as the camera said.
        taken_at = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    if not EXIF_EARLIEST <= taken_at <= datetime.now(UTC) + EXIF_FUTURE_SLACK:
        return None
    return taken_at


def _gps(image: Image.Image) -> tuple[float, float] | None:
    """(latitude, longitude) in degrees from EXIF GPS, or None when absent, partial or out of range."""
    try:
        gps = image.getexif().get_ifd(GPS_IFD)
        latitude = _degrees(gps.get(GPS_LATITUDE), gps.get(GPS_LATITUDE_REF), negative="S")
        longitude = _degrees(gps.get(GPS_LONGITUDE), gps.get(GPS_LONGITUDE_REF), negative="W")
    except Exception:  # a malformed GPS block loses the place, never the photo
        return None
    if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    if latitude == 0 and longitude == 0:  # what many cameras write when they had no fix
        return None
    return round(latitude, 6), round(longitude, 6)


def _degrees(value, ref, *, negative: str) -> float | None:
    """EXIF (degrees, minutes, seconds) rationals and an N/S or E/W reference → signed decimal degrees."""
    if not isinstance(value, tuple) or len(value) != 3:
        return None
    d, m, s = (float(part) for part in value)
    if any(math.isnan(part) for part in (d, m, s)):
        return None
    degrees = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -degrees if str(ref).strip("\x00 ").upper() == negative else degrees


def size_of(file: IO[bytes]) -> int:
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
        file.seek(0)
    return size


def _sha256(file: IO[bytes]) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1 << 20), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()
