"""Turns a throttled log-in or sign-up on a web page into a 429 page (the API answers JSON by itself)."""

import math

from django.shortcuts import render
from rest_framework.exceptions import Throttled


class ThrottledPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Throttled):
            return None
        response = render(request, "429.html", {"detail": exception.detail}, status=429)
        if exception.wait is not None:
            response["Retry-After"] = str(max(1, math.ceil(exception.wait)))
        return response
