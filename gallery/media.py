"""Private media: user files are streamed by owner-checked views, never from a public /media/ URL."""

import mimetypes

from django.http import FileResponse, Http404

from .models import Photo

CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "heic": "image/heic",
}


def photo_file_response(photo: Photo, *, which: str) -> FileResponse:
    stored = photo.original if which == "original" else photo.thumbnail
    if not stored:
        raise Http404("No such file yet.")
    content_type = CONTENT_TYPES.get(photo.format) if which == "original" else "image/jpeg"
    response = FileResponse(
        stored.open("rb"),
        content_type=content_type or mimetypes.guess_type(stored.name)[0],
        filename=photo.original_name if which == "original" else None,
    )
    # Private to the signed-in user: browsers may cache, shared proxies must not.
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"  # a stored file can never run as a page
    return response
