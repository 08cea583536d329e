"""Account reads: which user an API token belongs to, a user's live token, open invites and sign-up state."""

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import ApiToken, Invite


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


def invites_open(*, admin: AbstractBaseUser) -> list[Invite]:
    """Unused, unexpired invites, newest first (every admin sees every admin's)."""
    if not admin.is_staff:
        return []
    return list(
        Invite.objects.filter(used_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("created_by")
        .order_by("-created")
    )


def signup_needs_invite() -> bool:
    """Whether a stranger needs an invite link (SIGNUP = "invite", and the site already has its admin)."""
    return settings.SIGNUP == "invite" and get_user_model().objects.exists()


def signup_closed() -> bool:
    return settings.SIGNUP == "closed" and get_user_model().objects.exists()
