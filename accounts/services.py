"""Account writes: sign-up and API tokens."""
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token


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


def token_get_or_create(*, user: AbstractBaseUser) -> Token:
    token, _ = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def token_regenerate(*, user: AbstractBaseUser) -> Token:
    """Invalidate the old token at once: scripts using it must be given the new one."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)
