"""Account writes: sign-up and API tokens."""

import secrets

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .models import ApiToken
from .selectors import token_digest


def user_create(*, username: str, password: str) -> AbstractBaseUser:
    User = get_user_model()
    user = User(username=username)
    user.full_clean(exclude=["password"])  # username rules and uniqueness, with Django's own messages
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None  # name the field, as for the username
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ValidationError({"username": ["A user with that username already exists."]}) from None
    return user


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
