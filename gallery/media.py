"""Private media: user files are streamed by access-checked views, never from a public /media/ URL.

Who may fetch a file is decided before this module is called (gallery.selectors.photo_access for accounts,
gallery.services.link_open for share links); here is only how it is sent. An original seen by anyone but its
owner may have to lose its location first (:func:`without_location`).
"""

import io
import mimetypes

from django.http import FileResponse, Http404, HttpResponse
from PIL import Image

from .models import Photo

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "heic": "image/heic",
}

GPS_IFD = 0x8825
# JPEG markers around which segments have no length field: start of image, TEM, and the restart markers.
_STANDALONE = {0xD8, 0x01, *range(0xD0, 0xD8)}
_SOS, _EOI, _APP1, _APP13 = 0xDA, 0xD9, 0xE1, 0xED


def photo_file_response(photo: Photo, *, which: str, owner: bool = True, strip_location: bool = False):
    """The original or the thumbnail as a download.

    ``owner=False`` (a member or a link): never stored by the browser, so that removing a member or revoking a
    link ends access on the next look. ``strip_location``: the original without its EXIF GPS (and without XMP
    and IPTC blocks, which can repeat it); thumbnails never carry metadata.
    """
    stored = photo.original if which == "original" else photo.thumbnail
    if not stored:
        raise Http404("No such file yet.")
    content_type = CONTENT_TYPES.get(photo.format) if which == "original" else "image/jpeg"
    filename = photo.original_name if which == "original" else None
    if which == "original" and strip_location:
        with stored.open("rb") as file:
            data, content_type, filename = without_location(file.read(), photo=photo)
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{_ascii(filename)}"'
    else:
        response = FileResponse(
            stored.open("rb"), content_type=content_type or mimetypes.guess_type(stored.name)[0], filename=filename
        )
    # Private to the signed-in user: browsers may cache, shared proxies must not. Shared access: no store at all.
    response["Cache-Control"] = "private, max-age=3600" if owner else "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"  # a stored file can never run as a page
    if not owner:
        response["Referrer-Policy"] = "no-referrer"
    return response


def without_location(data: bytes, *, photo: Photo) -> tuple[bytes, str, str]:
    """The original's bytes without location, with its content type and file name.

    A JPEG is rewritten losslessly: the same compressed image, its EXIF without the GPS block, XMP and IPTC
    dropped. BMP carries no metadata. Other formats are decoded and written as PNG (lossless, no metadata),
    since their metadata lives in too many places to edit safely (HEIF boxes, PNG text chunks, WebP chunks).
    """
    if photo.format == "bmp":
        return data, "image/bmp", photo.original_name
    if photo.format == "jpg":
        try:
            return _jpeg_without_location(data), "image/jpeg", photo.original_name
        except (ValueError, SyntaxError, OSError, IndexError):
            pass  # segments we cannot walk safely: decoded and rewritten instead, like the other formats
    with Image.open(io.BytesIO(data)) as image:
        image.seek(0)
        frame = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    out = io.BytesIO()
    frame.save(out, "PNG")  # Pillow writes no EXIF or text chunks unless asked to
    stem = photo.original_name.rsplit(".", 1)[0]
    return out.getvalue(), "image/png", f"{stem}.png"


def _jpeg_without_location(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("Not a JPEG.")
    parts, i = [data[:2]], 2
    while i < len(data) - 1:
        if data[i] != 0xFF:
            raise ValueError("A JPEG segment does not start with a marker.")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _STANDALONE:
            parts.append(data[i : i + 2])
            i += 2
            continue
        if marker in (_SOS, _EOI):  # the compressed image and whatever follows it are kept as they are
            parts.append(data[i:])
            break
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        segment = data[i : i + 2 + length]
        body = segment[4:]
        if marker == _APP1 and body.startswith(b"Exif\x00\x00"):
            exif = Image.Exif()
            exif.load(body)
            exif.get_ifd(0x8769)  # loaded, so that tobytes writes the Exif sub-IFD (date taken, camera) back
            exif.pop(GPS_IFD, None)
            payload = exif.tobytes()
            if len(payload) + 2 <= 0xFFFF:
                parts.append(b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload)
        elif marker in (_APP1, _APP13):
            pass  # XMP (APP1) and Photoshop/IPTC (APP13) blocks can hold coordinates and place names
        else:
            parts.append(segment)
        i += 2 + length
    return b"".join(parts)


def _ascii(name: str) -> str:
    return "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)
