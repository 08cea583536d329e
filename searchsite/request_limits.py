"""Request bodies refused by their declared size, before a byte of them is read.

Django reads a whole multipart body, spooling its files to disk, the first time anything touches request.POST,
and the CSRF check does that before any view runs. So the limits a body must meet are checked here, in a
middleware's request phase, from the headers alone:

- ``Content-Length`` over what the request may carry at all: 413. A known caller may send, on an upload door,
  ``UPLOAD_MAX_FILES`` files of ``UPLOAD_MAX_BYTES``, elsewhere one file (a query image), plus the form fields
  Django allows (``DATA_UPLOAD_MAX_MEMORY_SIZE``); an anonymous caller the form fields only.
- On an upload door, ``Content-Length`` over what the caller may still upload this hour (gallery/quotas.py):
  429 with ``Retry-After``.
- A chunked body (no ``Content-Length``) to an upload door: 411. Under WSGI Django would read it as empty;
  behind the proxy (deploy/nginx.conf) ``client_max_body_size`` stops it at the limit and the proxy passes on
  a ``Content-Length``.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from accounts import selectors as account_selectors
from gallery import quotas

# Multipart headers around each file (boundary, Content-Disposition with the file name, Content-Type).
PART_OVERHEAD_BYTES = 2048
API_PREFIX = "/api/"


def upload_paths() -> set[str]:
    """The doors photos come in by (import_photos has no HTTP body)."""
    return {reverse("api:photo-list"), reverse("gallery:upload")}


def body_limits() -> tuple[int, int]:
    """(the largest body any request may carry, the largest an upload door may): what scripts/run.sh gives the
    proxy as client_max_body_size, so that it stops a chunked body where the app would refuse it."""
    fields, files = settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.DATA_UPLOAD_MAX_NUMBER_FILES
    one_file = settings.UPLOAD_MAX_BYTES + PART_OVERHEAD_BYTES
    return fields + one_file, fields + files * one_file


class RequestSizeLimitMiddleware:
    """Goes after AuthenticationMiddleware (it reads the session's user) and before anything reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self._refusal(request) or self.get_response(request)

    def _refusal(self, request) -> HttpResponse | None:
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        upload = request.path_info in upload_paths()
        try:
            length = int(request.META.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return _answer(request, 400, "The Content-Length header is not a number.")
        if length < 0:
            if upload and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
                return _answer(request, 411, "Send uploads with a Content-Length header (chunked bodies are refused).")
            return None
        fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length <= fields:
            return None  # what anyone may send: no need to know the caller
        caller = _caller(request)
        files = settings.DATA_UPLOAD_MAX_NUMBER_FILES if upload else 1
        limit = body_limits()[1 if upload else 0] if caller else fields
        if length > limit:
            return _answer(
                request,
                413,
                f"The request is {length} bytes; the limit is {limit} bytes"
                + (f" ({files} file(s) of at most {settings.UPLOAD_MAX_BYTES} bytes)." if caller else "."),
            )
        if upload:
            remaining, wait = quotas.upload_rate_remaining(owner=caller)
            if length > remaining + files * PART_OVERHEAD_BYTES:
                response = _answer(
                    request,
                    429,
                    f"Upload rate limit: this request is {length} bytes and you may upload {remaining} more bytes "
                    f"this hour (UPLOAD_RATE_BYTES_PER_HOUR = {settings.UPLOAD_RATE_BYTES_PER_HOUR}). "
                    f"Try again in {math.ceil(wait / 60)} minutes, or send fewer files.",
                )
                response["Retry-After"] = str(max(1, math.ceil(wait)))
                return response
        return None


def _caller(request):
    """The signed-in user (session) or the owner of the request's API token; None for anyone else."""
    if request.user.is_authenticated:
        return request.user
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "token" and key.strip():
        return account_selectors.token_user(key=key.strip())
    return None


def _answer(request, code: int, detail: str) -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse({"detail": detail}, status=code)
    return HttpResponse(detail, status=code, content_type="text/plain; charset=utf-8")
