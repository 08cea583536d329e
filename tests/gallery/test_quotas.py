"""Per-user storage quota and upload rate: enforced in photo_create, to the byte, leaving nothing behind."""

import io
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from gallery import services
from gallery.models import Photo
from tests import images

pytestmark = pytest.mark.django_db
JPEGS = {name: images.jpeg(name) for name in ("chelsea", "coffee", "rocket", "astronaut")}


def upload(owner, name: str):
    return services.photo_create(owner=owner, file=io.BytesIO(JPEGS[name]), name=f"{name}.jpg")


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_storage_quota_is_enforced_at_the_exact_byte(user, settings):
    chelsea, coffee, rocket = (len(JPEGS[name]) for name in ("chelsea", "coffee", "rocket"))
    settings.STORAGE_QUOTA_BYTES = chelsea + coffee + rocket - 1
    upload(user, "chelsea")
    upload(user, "coffee")
    with pytest.raises(ValidationError) as refused:
        upload(user, "rocket")  # one byte too many
    assert refused.value.code == "storage_quota"
    settings.STORAGE_QUOTA_BYTES = chelsea + coffee + rocket
    upload(user, "rocket")  # exactly full
    assert Photo.objects.filter(owner=user).count() == 3


def test_refused_upload_leaves_no_row_and_no_file(user, settings):
    settings.STORAGE_QUOTA_BYTES = len(JPEGS["chelsea"])
    upload(user, "chelsea")
    files = stored_files(settings)
    with pytest.raises(ValidationError):
        upload(user, "coffee")
    assert Photo.objects.filter(owner=user).count() == 1
    assert stored_files(settings) == files


def test_exact_check_rolls_back_the_row_and_file_after_the_insert(user, settings, monkeypatch):
    """The early check can be passed by a racing upload; the check after the insert still refuses it."""
    from gallery import quotas

    settings.STORAGE_QUOTA_BYTES = len(JPEGS["chelsea"])
    upload(user, "chelsea")
    files = stored_files(settings)
    early = quotas.storage_quota_check
    monkeypatch.setattr(
        quotas,
        "storage_quota_check",
        lambda *, owner, size, exact=True: early(owner=owner, size=size) if exact else None,
    )
    with pytest.raises(quotas.StorageQuotaExceeded):
        upload(user, "coffee")
    assert Photo.objects.filter(owner=user).count() == 1
    assert stored_files(settings) == files


def test_quota_is_per_user(user, other_user, settings):
    settings.STORAGE_QUOTA_BYTES = len(JPEGS["chelsea"])
    upload(user, "chelsea")
    upload(other_user, "chelsea")
    assert Photo.objects.count() == 2


def test_api_upload_over_the_quota_is_413_naming_the_limit(api, user, settings):
    settings.STORAGE_QUOTA_BYTES = 1000
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile("c.jpg", JPEGS["chelsea"])]})
    assert response.status_code == 413
    rejected = response.json()["rejected"][0]
    assert rejected["code"] == "storage_quota"
    assert "Storage quota reached" in rejected["error"] and "STORAGE_QUOTA_BYTES = 1000 bytes" in rejected["error"]


def test_upload_rate_is_refused_with_429_and_retry_after(api, user, settings):
    settings.UPLOAD_RATE_BYTES_PER_HOUR = len(JPEGS["chelsea"]) + len(JPEGS["coffee"])
    first = api.post(
        "/api/photos/",
        {"files": [SimpleUploadedFile("a.jpg", JPEGS["chelsea"]), SimpleUploadedFile("b.jpg", JPEGS["coffee"])]},
    )
    assert first.status_code == 201
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile("c.jpg", JPEGS["rocket"])]})
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "UPLOAD_RATE_BYTES_PER_HOUR" in response.json()["rejected"][0]["error"]
    assert Photo.objects.filter(owner=user).count() == 2


def test_deleting_photos_does_not_reset_the_upload_rate(user, settings):
    settings.UPLOAD_RATE_BYTES_PER_HOUR = len(JPEGS["chelsea"]) + len(JPEGS["coffee"]) // 2
    services.photo_delete(photo=upload(user, "chelsea"))
    with pytest.raises(ValidationError) as refused:
        upload(user, "coffee")
    assert refused.value.code == "upload_rate"


def test_import_command_is_not_rate_limited_but_keeps_the_quota(user, settings, tmp_path):
    from django.core.management import call_command

    settings.UPLOAD_RATE_BYTES_PER_HOUR = 1
    settings.STORAGE_QUOTA_BYTES = len(JPEGS["chelsea"]) + len(JPEGS["coffee"])
    for name in ("chelsea", "coffee", "rocket"):
        (tmp_path / f"{name}.jpg").write_bytes(JPEGS[name])
    call_command("import_photos", str(tmp_path), user=user.username, stdout=io.StringIO(), stderr=io.StringIO())
    assert Photo.objects.filter(owner=user).count() == 2


def test_gallery_page_shows_storage_usage(client, user, settings):
    settings.STORAGE_QUOTA_BYTES = 10 * 1024**2
    upload(user, "chelsea")
    client.force_login(user)
    page = client.get("/").content.decode()
    assert f'value="{len(JPEGS["chelsea"])}"' in page
    assert "of 10.0\xa0MB used" in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_by_one_user_cannot_pass_the_quota(user, settings):
    names = list(JPEGS)
    settings.STORAGE_QUOTA_BYTES = sum(len(JPEGS[name]) for name in names[:2])
    start = threading.Barrier(len(names))
    outcomes = []

    def send(name):
        start.wait()
        try:
            upload(user, name)
            outcomes.append("stored")
        except ValidationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    used = sum(photo.size_bytes for photo in Photo.objects.filter(owner=user))
    assert used <= settings.STORAGE_QUOTA_BYTES
    assert outcomes.count("stored") == Photo.objects.filter(owner=user).count() >= 1
    assert set(outcomes) <= {"stored", "storage_quota"}
    assert len(stored_files(settings)) == Photo.objects.filter(owner=user).count()


def test_upload_is_stored_when_redis_cannot_count_the_rate(user, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }  # nothing listens there
    settings.UPLOAD_RATE_BYTES_PER_HOUR = 1
    upload(user, "chelsea")
    assert Photo.objects.filter(owner=user).count() == 1
