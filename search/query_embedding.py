"""Query images are embedded by a worker on the "query" queue, never in a web process.

Web processes then hold no TensorFlow: they start in a second and stay small, and any number of them can run
on hosts without the model (docs/operations.md, "Where query images are embedded"). The web process only shrinks
the image and sends it; the worker runs the same encoder as ingest, and the vector comes back through the result
backend.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from celery.exceptions import TimeoutError as ResultTimeout
from django.conf import settings
from PIL import Image
from rest_framework import exceptions, status

from . import components
from .tasks import query_embed_task

# Shorter side of the copy sent to the worker: above every model's input size, so the model sees the same pixels.
QUERY_IMAGE_SIDE = 320


class QueryWorkerUnavailable(exceptions.APIException):
    """No query worker answered in time: a 503, with Retry-After as searchsite.errors gives every 503."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "No search worker answered in time; try again shortly."
    default_code = "service_unavailable"


def query_image_features(*, image: Image.Image, model_key: str) -> np.ndarray:
    """The image's feature vector from a query worker; QueryWorkerUnavailable (503) if none answers in time."""
    timeout = settings.SEARCH_QUERY_TIMEOUT_SECONDS
    # Expires with the wait: a worker that comes back later skips queries whose clients have given up.
    result = query_embed_task.apply_async((image_payload(image), model_key), expires=timeout)
    try:
        encoded = result.get(timeout=timeout)
    except ResultTimeout:
        raise QueryWorkerUnavailable() from None
    return np.frombuffer(base64.b64decode(encoded), dtype=np.float32)


def query_image_embed(*, payload: str, model_key: str) -> str:
    """In the worker: the vector of a payload made by image_payload, as base64 float32."""
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    image.load()
    features, _ = components.encoder_for_key(model_key).encode([image.convert("RGB")])
    return base64.b64encode(np.ascontiguousarray(features[0], dtype=np.float32).tobytes()).decode()


def image_payload(image: Image.Image) -> str:
    """A small, high-quality JPEG of the image (base64), so a multi-megapixel query costs little on the wire."""
    scale = QUERY_IMAGE_SIDE / min(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=95)
    return base64.b64encode(out.getvalue()).decode()
