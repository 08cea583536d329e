"""The API: a photo's `text` part, and the reading settings."""

import pytest

from ocr import services
from ocr.models import PhotoText, PhotoWord

pytestmark = pytest.mark.django_db


def test_photo_detail_holds_the_text_read_with_words_boxes_and_confidence(api, text_photo):
    services.photo_text_read(photo_id=text_photo.id)
    text = api.get(f"/api/photos/{text_photo.id}/").json()["text"]
    assert "segmentation" in text["content"].lower()
    word = next(w for w in text["words"] if w["word"].lower().strip("“”\"'.,") == "segmentation")
    assert len(word["box"]) == 4 and word["box"][2] > word["box"][3] > 0
    assert 0 < word["confidence"] <= 1


def test_text_is_null_for_a_photo_not_read(api, plain_photo):
    assert api.get(f"/api/photos/{plain_photo.id}/").json()["text"] is None  # never read
    services.photo_text_read(photo_id=plain_photo.id)
    assert api.get(f"/api/photos/{plain_photo.id}/").json()["text"] is None  # skipped by the gate


def test_other_users_photo_text_is_404(other_api, text_photo):
    services.photo_text_read(photo_id=text_photo.id)
    response = other_api.get(f"/api/photos/{text_photo.id}/")
    assert response.status_code == 404 and "segmentation" not in response.content.decode().lower()


def test_settings_show_the_defaults_and_the_installed_languages(api):
    body = api.get("/api/text/settings/").json()
    assert body["enabled"] is True and body["languages"] == ["eng"] and "eng" in body["installed"]


def test_turning_reading_off_through_the_api_deletes_the_text(api, text_photo):
    services.photo_text_read(photo_id=text_photo.id)
    response = api.put("/api/text/settings/", {"enabled": False, "languages": ["eng"]}, format="json")
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert not PhotoText.objects.exists() and not PhotoWord.objects.exists()
    assert api.get(f"/api/photos/{text_photo.id}/").json()["text"] is None


def test_a_language_not_installed_is_a_400_and_changes_nothing(api, user):
    response = api.put("/api/text/settings/", {"enabled": True, "languages": ["xx"]}, format="json")
    assert response.status_code == 400
    assert "installed" in str(response.json())
    assert api.get("/api/text/settings/").json()["languages"] == ["eng"]


def test_settings_need_a_signed_in_user(client):
    assert client.get("/api/text/settings/").status_code in (401, 403)


def test_settings_page_turns_reading_off(client, user, text_photo):
    services.photo_text_read(photo_id=text_photo.id)
    client.force_login(user)
    assert client.get("/accounts/settings/text/").status_code == 200
    response = client.post("/accounts/settings/text/", {"languages": ["eng"]})  # checkbox "enabled" unticked
    assert response.status_code == 302
    assert not PhotoText.objects.filter(owner=user).exists()


def test_matches_give_the_boxes_of_the_query_words_written_in_the_photo(api, text_photo):
    services.photo_text_read(photo_id=text_photo.id)
    body = api.get(f"/api/photos/{text_photo.id}/text/matches/", {"q": 'harbor "segmentation" cat'}).json()
    assert sorted(m["word"].lower() for m in body["matches"]) == ["harbour", "segmentation"]  # harbor: 1 edit
    assert all(len(m["box"]) == 4 and m["box"][2] > 0 for m in body["matches"])


def test_matches_of_another_users_photo_are_404(other_api, text_photo):
    services.photo_text_read(photo_id=text_photo.id)
    assert other_api.get(f"/api/photos/{text_photo.id}/text/matches/", {"q": "harbour"}).status_code == 404
