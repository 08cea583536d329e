import pytest
from django.contrib.auth import get_user_model

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


def test_signup_logs_in_and_leads_to_upload(client):
    response = client.post("/accounts/signup/", {"username": "bea", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response.url == "/upload/"
    assert get_user_model().objects.filter(username="bea").exists()
    assert client.get("/").status_code == 200


def test_login_and_logout(client):
    UserFactory(username="bea")
    response = client.post("/accounts/login/", {"username": "bea", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert "Sign up" in client.get("/").content.decode()  # the landing page, not the gallery
    assert client.get("/albums/").status_code == 302


def test_password_change(client):
    user = UserFactory()
    client.force_login(user)
    new = "another long passphrase 42"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_a_weak_password_is_reported_under_the_password_and_nothing_is_cleared(client):
    response = client.post("/accounts/signup/", {"username": "bea", "password1": "short", "password2": "short"})
    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors["password1"] and "password2" not in form.errors
    html = response.content.decode()
    assert 'value="bea"' in html and html.count('value="short"') == 2


def test_a_mismatch_stays_under_the_confirmation(client):
    response = client.post("/accounts/signup/", {"username": "bea", "password1": PASSWORD, "password2": PASSWORD + "x"})
    assert "password2" in response.context["form"].errors and "password1" not in response.context["form"].errors
