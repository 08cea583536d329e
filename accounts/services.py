"""Account writes: sign-up (as SIGNUP allows), invites and API tokens."""

import secrets
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import ApiToken, Invite
from .selectors import token_digest

FIRST_ACCOUNT_LOCK = "signup:first-account"


class SignupClosed(PermissionDenied):
    """SIGNUP does not let this caller create an account (403)."""


def user_create(*, username: str, password: str, invite: str = "") -> AbstractBaseUser:
    """Create an account as SIGNUP allows: anyone ("open"), holders of an unused invite link ("invite"), nobody
    ("closed"). The first account on a fresh site is always allowed, and is the admin (staff and superuser).

    Raises SignupClosed (403) when sign-up is not open to this caller, ValidationError for a bad username,
    password or invite link; then no account is made and no invite is used up.
    """
    User = get_user_model()
    user = User(username=username)
    user.full_clean(exclude=["password"])  # username rules and uniqueness, with Django's own messages
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None  # name the field, as for the username
    user.set_password(password)
    if not User.objects.exists():
        with _first_account_lock(), transaction.atomic():
            if not User.objects.exists():
                user.is_staff = user.is_superuser = True
                _user_save(user)
                return user
    if settings.SIGNUP == "closed":
        raise SignupClosed("Sign-up is closed on this site. Ask its admin for an account.")
    if settings.SIGNUP == "invite" and not invite:
        raise SignupClosed("Sign-up on this site is by invitation: open the invite link an admin gave you.")
    with transaction.atomic():
        _user_save(user)
        if settings.SIGNUP == "invite":
            _invite_use(key=invite, user=user)
    return user


def _user_save(user: AbstractBaseUser) -> None:
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": ["A user with that username already exists."]}) from None


@contextmanager
def _first_account_lock():
    """One first account at a time across web processes: two people racing on a fresh site must not both become
    admin (an empty table has no row for the database to lock)."""
    if not cache.add(FIRST_ACCOUNT_LOCK, 1, timeout=30):
        raise ValidationError("Another account is being created right now; try again in a moment.")
    try:
        yield
    finally:
        cache.delete(FIRST_ACCOUNT_LOCK)


def _invite_use(*, key: str, user: AbstractBaseUser) -> None:
    """Spend an invite on ``user``, in the caller's transaction: one UPDATE, so two sign-ups can't share a link."""
    used = Invite.objects.filter(digest=token_digest(key), used_at__isnull=True, expires_at__gt=timezone.now()).update(
        used_at=timezone.now(), used_by=user
    )
    if not used:
        raise ValidationError({"invite": ["This invite link is unknown, expired or already used."]})


def invite_create(*, admin: AbstractBaseUser) -> str:
    """A new one-use invite for sign-up; returns its key (shown once, stored only hashed). Admins only."""
    if not admin.is_staff:
        raise PermissionDenied("Only admins can invite.")
    key = secrets.token_urlsafe(24)
    Invite.objects.create(
        digest=token_digest(key),
        prefix=key[:6],
        created_by=admin,
        expires_at=timezone.now() + timedelta(days=settings.INVITE_DAYS),
    )
    return key


def invite_revoke(*, admin: AbstractBaseUser, invite_id: int) -> bool:
    """Delete an unused invite; False if there was no such unused invite."""
    if not admin.is_staff:
        raise PermissionDenied("Only admins can revoke invites.")
    deleted, _ = Invite.objects.filter(id=invite_id, used_at__isnull=True).delete()
    return deleted > 0


@transaction.atomic
def token_rotate(*, user: AbstractBaseUser) -> str:
    """Issue a new API token, revoking the old one at once; returns the key, which is stored only hashed."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()  # one rotation per user at a time
    ApiToken.objects.filter(user=user).delete()
    key = secrets.token_hex(20)
    ApiToken.objects.create(
        user=user, digest=token_digest(key), prefix=key[:6], password_fingerprint=user.get_session_auth_hash()
    )
    return key


def token_revoke(*, user: AbstractBaseUser) -> bool:
    """Delete the user's API token; False if there was none."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted > 0
