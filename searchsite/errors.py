"""How failures reach clients, in one place: the API's exception handler, the site's error views, a 503 when
Redis (the Celery broker, debounce marks and locks) cannot be reached, and a 507 when the disk is full (both
with Retry-After).

The API answers JSON whatever happens: a validation error from a service, a 400 Django raises while reading the
request (too many fields or files, a body too large), a 404 for an unknown /api/ URL, or a bug (a 500 without a
traceback; the traceback goes to the log).
"""

import logging
import traceback

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from gallery import storage

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# Long enough for Redis to restart (an AOF replay) without clients hammering it meanwhile.
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = (
    "The task queue is briefly unavailable. Try again shortly; photos already stored are processed once it is back."
)


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = UNAVAILABLE_MESSAGE
    default_code = "service_unavailable"


class InsufficientStorage(exceptions.APIException):
    status_code = status.HTTP_507_INSUFFICIENT_STORAGE
    default_detail = str(storage.StorageFull())
    default_code = "no_space"


def broker_unavailable(exc: BaseException) -> bool:
    """Redis is down or restarting: kombu's error when a task cannot be sent, redis-py's for marks and locks."""
    return isinstance(
        exc, (kombu.exceptions.OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
    )


def api_exception_handler(exc: Exception, context: dict) -> Response:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every exception an API view raises becomes a JSON answer."""
    if isinstance(exc, DjangoValidationError):
        # Services raise Django's ValidationError; a dict names the fields, a list is about the request.
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": " ".join(exc.messages)}
        if isinstance(getattr(exc, "params", None), dict) and "detail" in detail:
            detail.update(exc.params)  # help a client can act on, e.g. an unknown word's "suggestions"
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, SuspiciousOperation):
        # Django's own request limits and malformed requests: the client's fault, said in JSON.
        logger.warning("Bad API request: %s", exc)
        exc = exceptions.ParseError(_request_limit_message(exc))
    elif _nested_too_deeply(exc):
        logger.warning("Bad API request: %s", exc)
        exc = exceptions.ParseError("The JSON is nested too deeply.")
    elif broker_unavailable(exc):
        logger.warning("Redis unavailable during an API request: %s", exc)
        exc = ServiceUnavailable()
    elif storage.is_disk_full(exc):
        # Raised by the upload service, or while Django spooled the request body to its temporary folder.
        logger.error("No space left during an API request: %s", exc)
        exc = InsufficientStorage(str(exc) if isinstance(exc, storage.StorageFull) else None)
    response = exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        logger.error("Internal Server Error: %s", getattr(request, "path", "?"), exc_info=exc)
        response = Response({"detail": "Server error."}, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    if response.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif response.status_code == status.HTTP_507_INSUFFICIENT_STORAGE:
        response["Retry-After"] = str(storage.RETRY_AFTER_SECONDS)
    return response


def _nested_too_deeply(exc: Exception) -> bool:
    """A RecursionError raised while a request parser read the body (json's scanner on 1,000 nested brackets),
    as opposed to one from a bug in our own code, which stays a 500."""
    return isinstance(exc, RecursionError) and any(
        frame.f_globals.get("__name__") == "rest_framework.parsers" for frame, _ in traceback.walk_tb(exc.__traceback__)
    )


def _request_limit_message(exc: SuspiciousOperation) -> str:
    # Django's messages name its settings; clients need the limit itself.
    if isinstance(exc, TooManyFilesSent):
        return f"Too many files in one request: the limit is {settings.DATA_UPLOAD_MAX_NUMBER_FILES}."
    if isinstance(exc, TooManyFieldsSent):
        return f"Too many form fields in one request: the limit is {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}."
    if isinstance(exc, RequestDataTooBig):
        return (
            f"The request's form fields are too large: the limit is {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes "
            "(files do not count)."
        )
    return "Bad request."


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(detail: str, code: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=code)


class BrokerUnavailableMiddleware:
    """Pages (not the API, whose handler does this) answer a plain 503 page instead of a 500 while Redis is down."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exc):
        if not broker_unavailable(exc):
            return None
        logger.warning("Redis unavailable during %s: %s", request.path, exc)
        if _is_api(request):
            response = _json(UNAVAILABLE_MESSAGE, status.HTTP_503_SERVICE_UNAVAILABLE)
        else:
            response = HttpResponse(loader.render_to_string("503.html"), status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


# Error views (handler400/403/404/500 in searchsite.urls): JSON under /api/, Django's pages elsewhere.
def bad_request(request, exception):
    return _json("Bad request.", 400) if _is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception):
    return _json("Permission denied.", 403) if _is_api(request) else defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    return _json("Not found.", 404) if _is_api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    return _json("Server error.", 500) if _is_api(request) else defaults.server_error(request)
