"""Every HTML page carries a Content-Security-Policy that allows no inline code, and no template needs any."""

import re
from pathlib import Path

import pytest

from tests.factories import PhotoFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (part.strip() for part in header.split(";")) if d}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/",
        "/upload/",
        "/search/",
        "/accounts/token/",
        "/accounts/password/",
        "/photos/{id}/",
        "/photos/{id}/delete/",
        "/api/docs/",
    ],
)
def test_every_html_page_has_a_csp_without_inline_code(client, user, path):
    photo = PhotoFactory(owner=user)
    if path not in ("/accounts/login/", "/accounts/signup/"):
        client.force_login(user)
    response = client.get(path.format(id=photo.id), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    directives = policy(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_api_answers_json_not_html_pages(client, user):
    client.force_login(user)
    response = client.get("/api/photos/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")  # a browser
    assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_originals_keep_their_stricter_policy(client, user):
    photo = PhotoFactory(owner=user)
    client.force_login(user)
    response = client.get(f"/photos/{photo.id}/original")
    assert response["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_template_has_no_inline_script_or_style(template):
    text = template.read_text()
    inline_scripts = [
        tag
        for tag in re.findall(r"<script\b[^>]*>", text)
        if "src=" not in tag and 'type="application/json"' not in tag
    ]
    assert not inline_scripts
    assert not re.search(r"<style\b", text)
    assert not re.search(r"\sstyle=", text)
    assert not re.search(r"\son[a-z]+=", text)
