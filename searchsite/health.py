"""GET /health/: whether the site can take photos now, and why not, for an operator or a monitoring probe.

200 when healthy, 503 when not, each problem named in plain words. Figures (free bytes, photo counts) are for
staff only: anyone may learn that the disk is full, not how full.
"""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from gallery import selectors as gallery_selectors
from gallery import storage


@never_cache
@require_GET
def health(request):
    free = storage.free_bytes()
    waiting = gallery_selectors.photos_waiting_for_space_count()
    problems = []
    if free < settings.STORAGE_MIN_FREE_BYTES:
        problems.append(
            "No space left: the media disk has less free space than STORAGE_MIN_FREE_BYTES, so uploads are refused."
        )
    if waiting:
        problems.append("No space left: photos failed for lack of space wait for room; they resume by themselves.")
    body = {"status": "degraded" if problems else "ok", "problems": problems}
    if request.user.is_staff:
        body["storage"] = {
            "free_bytes": free,
            "min_free_bytes": settings.STORAGE_MIN_FREE_BYTES,
            "photos_waiting_for_space": waiting,
        }
    return JsonResponse(body, status=503 if problems else 200)
