"""API tokens: stored hashed, rotated and revoked from the API and the token page, dead after a password change."""

import pytest
from rest_framework.test import APIClient

from accounts import services
from accounts.models import ApiToken
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def status_with(key: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get("/api/photos/").status_code


def test_old_token_is_401_after_a_password_change(client):
    user = UserFactory()
    key = services.token_rotate(user=user)
    assert status_with(key) == 200
    client.force_login(user)
    new = "another long passphrase 42"
    client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert status_with(key) == 401


def test_token_dies_with_a_password_set_through_any_door():
    user = UserFactory()
    key = services.token_rotate(user=user)
    user.set_password("set by an admin or a reset 42")
    user.save()
    assert status_with(key) == 401


def test_token_of_a_deactivated_user_is_401():
    user = UserFactory()
    key = services.token_rotate(user=user)
    user.is_active = False
    user.save()
    assert status_with(key) == 401


def test_tokens_are_stored_only_as_a_hash():
    user = UserFactory()
    key = services.token_rotate(user=user)
    row = ApiToken.objects.values().get(user=user)
    assert key not in " ".join(str(value) for value in row.values())
    assert row["prefix"] == key[:6]


def test_token_endpoint_issues_a_new_token_and_revokes_the_old():
    UserFactory(username="ann")
    credentials = {"username": "ann", "password": PASSWORD}
    first = APIClient().post("/api/auth/token/", credentials, format="json").json()["token"]
    second = APIClient().post("/api/auth/token/", credentials, format="json").json()["token"]
    assert first != second
    assert (status_with(first), status_with(second)) == (401, 200)


def test_rotate_api_replaces_the_callers_token():
    key = services.token_rotate(user=UserFactory())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post("/api/auth/token/rotate/")
    assert response.status_code == 200
    assert (status_with(key), status_with(response.json()["token"])) == (401, 200)


def test_revoke_api_ends_the_callers_token():
    key = services.token_rotate(user=UserFactory())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.post("/api/auth/token/revoke/").status_code == 204
    assert status_with(key) == 401


def test_token_page_shows_a_new_token_once(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post("/accounts/token/")
    key = response.context["new_key"]
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert status_with(key) == 200
    page = client.get("/accounts/token/").content.decode()
    assert key not in page and key[:6] in page


def test_token_page_rotates_and_revokes(client):
    user = UserFactory()
    client.force_login(user)
    first = client.post("/accounts/token/").context["new_key"]
    second = client.post("/accounts/token/").context["new_key"]
    assert (status_with(first), status_with(second)) == (401, 200)
    client.post("/accounts/token/", {"action": "revoke"})
    assert status_with(second) == 401
    assert not ApiToken.objects.filter(user=user).exists()
