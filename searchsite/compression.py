"""Compress text answers (pages, JSON) and leave photos alone: a JPEG does not shrink, and gzipping a streamed
original would cost CPU for nothing. Django's GZipMiddleware pads each body with random bytes, which blunts
BREACH (https://docs.djangoproject.com/en/stable/ref/middleware/#module-django.middleware.gzip)."""

from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "application/vnd.oai.openapi")


class TextGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if not response.get("Content-Type", "").startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)
