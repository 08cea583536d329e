"""The server-rendered pages: owner-only, and usable without JavaScript."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gallery.models import Photo, PhotoTag
from tests import images
from tests.factories import PhotoFactory, PhotoTagFactory, TagFactory


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "name, args",
    [
        ("gallery:upload", []),
        ("gallery:search", []),
        ("gallery:photo", [1]),
        ("accounts:token", []),
    ],
)
def test_pages_redirect_anonymous_visitors_to_login(client, db, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_home_shows_visitors_the_landing_page(client, db):
    page = client.get(reverse("gallery:home")).content.decode()
    assert "Your photos, found by what is in them." in page
    assert reverse("accounts:signup") in page and reverse("login") in page


def test_gallery_lists_only_the_owners_photos(signed_in, user, other_user):
    PhotoFactory(owner=user, name="mine.jpg")
    PhotoFactory(owner=other_user, name="theirs.jpg")
    page = signed_in.get(reverse("gallery:home")).content.decode()
    assert "mine.jpg" in page and "theirs.jpg" not in page


def test_gallery_shows_a_failed_photos_reason_and_retry(signed_in, user):
    photo = PhotoFactory(owner=user)
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.FAILED, error="The image could not be decoded.")
    page = signed_in.get(reverse("gallery:home")).content.decode()
    assert 'data-status="failed"' in page
    assert "The image could not be decoded." in page
    assert reverse("gallery:photo-retry", args=[photo.id]) in page


def test_gallery_filters_by_accepted_tag(signed_in, user):
    cat = PhotoFactory(owner=user, name="cat.jpg")
    PhotoFactory(owner=user, name="cup.jpg", content=images.jpeg("coffee"))
    PhotoTagFactory(photo=cat, tag=TagFactory(name="cat"))
    page = signed_in.get(reverse("gallery:home"), {"tag": "cat"}).content.decode()
    assert "cat.jpg" in page and "cup.jpg" not in page


@pytest.mark.parametrize("name", ["gallery:photo", "gallery:photo-delete", "gallery:thumbnail", "gallery:original"])
def test_other_users_photo_urls_are_404(signed_in, other_user, name):
    photo = PhotoFactory(owner=other_user)
    assert signed_in.get(reverse(name, args=[photo.id])).status_code == 404


def test_other_users_photo_cannot_be_deleted_or_tagged(signed_in, other_user):
    photo = PhotoFactory(owner=other_user)
    assert signed_in.post(reverse("gallery:photo-delete", args=[photo.id])).status_code == 404
    tags = signed_in.post(reverse("gallery:photo-tags", args=[photo.id]), {"name": "mine", "action": "add"})
    assert tags.status_code == 404
    assert Photo.objects.filter(id=photo.id).exists() and not photo.photo_tags.exists()


def test_search_page_for_other_users_photo_is_404(signed_in, other_user):
    photo = PhotoFactory(owner=other_user)
    assert signed_in.get(reverse("gallery:search"), {"photo": photo.id}).status_code == 404


def test_upload_form_shows_each_files_outcome(signed_in, user):
    PhotoFactory(owner=user, content=images.jpeg("coffee"))
    files = [
        SimpleUploadedFile("cat.jpg", images.jpeg("chelsea")),
        SimpleUploadedFile("again.jpg", images.jpeg("coffee")),
        SimpleUploadedFile("notes.jpg", b"just some words, not a picture\n" * 10),
    ]
    response = signed_in.post(reverse("gallery:upload"), {"files": files})
    assert response.status_code == 200
    page = response.content.decode()
    for outcome, name in [("stored", "cat.jpg"), ("duplicate", "again.jpg"), ("rejected", "notes.jpg")]:
        assert f'data-outcome="{outcome}"' in page and name in page
    assert "not an image" in page


def test_upload_form_with_only_bad_files_is_400(signed_in):
    response = signed_in.post(
        reverse("gallery:upload"), {"files": [SimpleUploadedFile("x.jpg", b"not a picture" * 20)]}
    )
    assert response.status_code == 400
    assert 'data-outcome="rejected"' in response.content.decode()


def test_upload_form_without_files_asks_for_some(signed_in):
    response = signed_in.post(reverse("gallery:upload"), {})
    assert "Choose one or more photos" in response.content.decode()


def test_photo_page_shows_own_and_suggested_tags(signed_in, user):
    photo = PhotoFactory(owner=user)
    PhotoTagFactory(photo=photo, tag=TagFactory(name="pet"))
    PhotoTagFactory(
        photo=photo,
        tag=TagFactory(name="tabby"),
        source=PhotoTag.Source.AUTO,
        state=PhotoTag.State.SUGGESTED,
        confidence=0.8,
    )
    PhotoTagFactory(
        photo=photo,
        tag=TagFactory(name="dog"),
        source=PhotoTag.Source.AUTO,
        state=PhotoTag.State.REJECTED,
        confidence=0.1,
    )
    response = signed_in.get(reverse("gallery:photo", args=[photo.id]))
    assert [link.tag.name for link in response.context["own_tags"]] == ["pet"]
    assert [link.tag.name for link in response.context["suggested_tags"]] == ["tabby"]
    assert "Accept tag tabby" in response.content.decode()
    assert "dog" not in response.content.decode()


@pytest.mark.parametrize("action, state", [("accept", PhotoTag.State.ACCEPTED), ("reject", PhotoTag.State.REJECTED)])
def test_suggested_tag_can_be_accepted_or_rejected(signed_in, user, action, state):
    photo = PhotoFactory(owner=user)
    PhotoTagFactory(
        photo=photo, tag=TagFactory(name="tabby"), source=PhotoTag.Source.AUTO, state=PhotoTag.State.SUGGESTED
    )
    response = signed_in.post(reverse("gallery:photo-tags", args=[photo.id]), {"name": "tabby", "action": action})
    assert response.status_code == 302
    assert photo.photo_tags.get().state == state


def test_user_tag_can_be_added_and_removed(signed_in, user):
    photo = PhotoFactory(owner=user)
    url = reverse("gallery:photo-tags", args=[photo.id])
    signed_in.post(url, {"name": "  Holiday ", "action": "add"})
    assert [link.tag.name for link in photo.photo_tags.all()] == ["holiday"]
    signed_in.post(url, {"name": "holiday", "action": "remove"})
    assert not photo.photo_tags.exists()


def test_invalid_tag_is_reported_not_saved(signed_in, user):
    photo = PhotoFactory(owner=user)
    response = signed_in.post(
        reverse("gallery:photo-tags", args=[photo.id]), {"name": "<script>", "action": "add"}, follow=True
    )
    assert "Tags are 1–63 letters" in response.content.decode()
    assert not photo.photo_tags.exists()


def test_delete_asks_for_confirmation_then_moves_to_the_trash(signed_in, user):
    photo = PhotoFactory(owner=user, name="gone.jpg")
    url = reverse("gallery:photo-delete", args=[photo.id])
    assert "Move this photo to the trash?" in signed_in.get(url).content.decode()
    assert Photo.objects.get(id=photo.id).trashed_at is None
    response = signed_in.post(url)
    assert response.status_code == 302 and response.url == reverse("gallery:home")
    assert Photo.objects.get(id=photo.id).trashed_at is not None
    assert signed_in.get(reverse("gallery:photo", args=[photo.id])).status_code == 404
    assert "gone.jpg" in signed_in.get(reverse("gallery:trash")).content.decode()


def test_failed_photo_can_be_retried(signed_in, user):
    photo = PhotoFactory(owner=user)
    Photo.objects.filter(id=photo.id).update(status=Photo.Status.FAILED, error="boom", attempts=3)
    response = signed_in.post(reverse("gallery:photo-retry", args=[photo.id]), {"next": "https://evil.example/"})
    assert response.url == reverse("gallery:photo", args=[photo.id])  # foreign redirect targets are ignored
    photo.refresh_from_db()
    assert (photo.status, photo.error, photo.attempts) == (Photo.Status.PENDING, "", 0)


def test_gallery_is_paginated(signed_in, user, monkeypatch):
    monkeypatch.setattr("gallery.views.PAGE_SIZE", 2)
    for name in ("chelsea", "coffee", "rocket"):
        PhotoFactory(owner=user, name=f"{name}.jpg", content=images.jpeg(name))
    first = signed_in.get(reverse("gallery:home"))
    second = signed_in.get(reverse("gallery:home"), {"page": 2})
    assert len(first.context["page"]) == 2 and 'rel="next"' in first.content.decode()
    assert [photo.original_name for photo in second.context["page"]] == ["chelsea.jpg"]
