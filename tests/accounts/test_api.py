import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def test_register_creates_user():
    response = APIClient().post("/api/auth/register/", {"username": "ann", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    assert response.json()["username"] == "ann"
    assert get_user_model().objects.get(username="ann").check_password(PASSWORD)


def test_register_rejects_weak_password():
    response = APIClient().post("/api/auth/register/", {"username": "ann", "password": "123"}, format="json")
    assert response.status_code == 400
    assert "too short" in " ".join(response.json()["password"])
    assert not get_user_model().objects.filter(username="ann").exists()


def test_register_rejects_taken_username():
    UserFactory(username="ann")
    response = APIClient().post("/api/auth/register/", {"username": "ann", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert "already exists" in " ".join(response.json()["username"])


def test_token_for_valid_credentials_authenticates_api():
    UserFactory(username="ann")
    client = APIClient()
    token = client.post("/api/auth/token/", {"username": "ann", "password": PASSWORD}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/photos/").status_code == 200


def test_token_for_wrong_password_is_refused():
    UserFactory(username="ann")
    response = APIClient().post("/api/auth/token/", {"username": "ann", "password": "wrong"}, format="json")
    assert response.status_code == 401


def test_api_requires_authentication():
    response = APIClient().get("/api/photos/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_bad_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/photos/").status_code == 401


def test_session_api_write_without_csrf_is_refused():
    """Ensure a logged-in browser session cannot be used cross-site: writes need the CSRF token."""
    user = UserFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/photos/", {}, format="multipart")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_session_api_write_with_csrf_passes_csrf(client):
    user = UserFactory()
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(user)
    api.get("/accounts/token/")  # any page sets the csrftoken cookie
    token = api.cookies["csrftoken"].value
    response = api.post("/api/photos/", {}, format="multipart", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 400  # past CSRF; now it is about the missing files
    assert "files" in response.json()
