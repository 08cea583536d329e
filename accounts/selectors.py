"""Account reads: which user an API token belongs to, and a user's live token."""

import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.utils.crypto import constant_time_compare

from .models import ApiToken


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _is_live(token: ApiToken) -> bool:
    return token.user.is_active and constant_time_compare(
        token.password_fingerprint, token.user.get_session_auth_hash()
    )


def token_user(*, key: str) -> AbstractBaseUser | None:
    """The active user whose live token this is, or None (unknown, revoked, or issued before a password change)."""
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(key)).first()
    return token.user if token is not None and _is_live(token) else None


def token_get(*, user: AbstractBaseUser) -> ApiToken | None:
    token = ApiToken.objects.select_related("user").filter(user=user).first()
    return token if token is not None and _is_live(token) else None
