"""The password backend every log-in goes through (web, admin, API token): throttled before it hashes."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from . import throttling


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        attempt = throttling.attempt_begin(request=request, username=username)  # raises Throttled
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            attempt.succeeded()
        return user
