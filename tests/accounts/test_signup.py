"""SIGNUP = open | invite | closed, invite links made by an admin, and the first account being the admin."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Invite
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "a long pass phrase"
User = get_user_model()


def register(username: str, invite: str | None = None):
    body = {"username": username, "password": PASSWORD, **({"invite": invite} if invite is not None else {})}
    return APIClient().post("/api/auth/register/", body, format="json")


def test_default_is_invite(settings):
    assert settings.SIGNUP == "invite"


@pytest.mark.parametrize("mode", ["open", "invite", "closed"])
def test_first_account_on_a_fresh_site_is_the_admin_whatever_the_mode(settings, mode):
    settings.SIGNUP = mode
    assert register("first").status_code == 201
    first = User.objects.get()
    assert first.is_staff and first.is_superuser


def test_later_accounts_are_not_admins(settings):
    settings.SIGNUP = "open"
    assert register("first").status_code == 201
    assert register("second").status_code == 201
    assert not User.objects.get(username="second").is_staff


def test_closed_refuses_strangers_with_403(settings):
    settings.SIGNUP = "closed"
    UserFactory()
    response = register("stranger")
    assert response.status_code == 403
    assert response.json() == {"detail": "Sign-up is closed on this site. Ask its admin for an account."}
    assert not User.objects.filter(username="stranger").exists()


def test_invite_mode_without_an_invite_is_403(settings):
    UserFactory()
    response = register("stranger")
    assert response.status_code == 403
    assert "by invitation" in response.json()["detail"]
    assert not User.objects.filter(username="stranger").exists()


def test_an_invite_makes_one_account_and_is_then_spent(settings):
    admin = UserFactory(is_staff=True)
    key = services.invite_create(admin=admin)
    assert register("guest", key).status_code == 201
    guest = User.objects.get(username="guest")
    assert not guest.is_staff
    invite = Invite.objects.get()
    assert invite.used_by == guest and invite.used_at is not None
    again = register("second-guest", key)
    assert again.status_code == 400
    assert again.json() == {"invite": ["This invite link is unknown, expired or already used."]}
    assert not User.objects.filter(username="second-guest").exists()


def test_expired_or_unknown_invite_is_400_and_makes_no_account(settings):
    admin = UserFactory(is_staff=True)
    key = services.invite_create(admin=admin)
    Invite.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert register("late", key).status_code == 400
    assert register("guesser", "not-a-key").status_code == 400
    assert User.objects.count() == 1


def test_only_admins_make_invites(settings):
    with pytest.raises(PermissionDenied):
        services.invite_create(admin=UserFactory())
    assert not Invite.objects.exists()


def test_invite_keys_are_stored_hashed(settings):
    key = services.invite_create(admin=UserFactory(is_staff=True))
    assert not Invite.objects.filter(digest=key).exists()
    assert Invite.objects.get().prefix == key[:6]


def test_a_concurrent_first_account_does_not_become_admin_too(settings):
    """Ensure that while one first account is being made (the lock taken), another sign-up is refused, not made
    a second admin."""
    cache.add(services.FIRST_ACCOUNT_LOCK, 1, timeout=30)
    response = register("racer")
    assert response.status_code == 400
    assert not User.objects.exists()


def test_invite_page_makes_a_link_that_signs_up(client, settings):
    admin = UserFactory(is_staff=True)
    client.force_login(admin)
    page = client.post("/accounts/invites/")
    assert page.status_code == 200
    link = page.context["new_link"]
    assert "/accounts/signup/?invite=" in link
    client.logout()
    path = link.split("testserver", 1)[1]
    form = client.get(path)
    assert form.status_code == 200 and b'name="invite"' in form.content
    key = path.split("invite=", 1)[1]
    response = client.post(
        "/accounts/signup/", {"username": "friend", "password1": PASSWORD, "password2": PASSWORD, "invite": key}
    )
    assert response.status_code == 302
    assert User.objects.filter(username="friend", is_staff=False).exists()


def test_invite_page_is_for_admins_only(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/invites/").status_code == 403
    assert client.post("/accounts/invites/").status_code == 403
    assert not Invite.objects.exists()


def test_signup_page_says_it_is_by_invitation(client):
    UserFactory()
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert b"by invitation" in response.content and b'type="submit"' not in response.content
    response = client.post("/accounts/signup/", {"username": "x", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 403
    assert not User.objects.filter(username="x").exists()
