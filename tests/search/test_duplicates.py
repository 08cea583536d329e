"""Near-duplicates on real photos and generated near-copies, through the real pipeline (eager tasks, real model)."""

import pytest
from django.core.files.base import ContentFile

from bench.duplicates import near_copies, real_photo
from gallery import services
from gallery.models import Photo
from search import duplicates
from search.models import NearDuplicate, PhotoEmbedding
from tests import images

pytestmark = pytest.mark.django_db

COPIES = ("resized", "crop_corner", "grey", "mirrored", "edited", "recompressed")


def upload(owner, capture, files: dict[str, bytes]) -> dict[str, Photo]:
    with capture(execute=True):
        result = services.photos_upload(
            owner=owner, files=[ContentFile(data, name=f"{name}.jpg") for name, data in files.items()]
        )
    assert not result.rejected and not result.duplicates
    return {p.original_name.removesuffix(".jpg"): Photo.objects.get(id=p.id) for p in result.created}


@pytest.fixture
def copies(user, django_capture_on_commit_callbacks):
    """Two real photos with near-copies of each, and two distinct real photos."""
    files = {}
    for name in ("chelsea", "rocket"):
        photo = real_photo(name)
        files[name] = images.encode(photo, "JPEG", quality=92)
        files.update({f"{name}-{kind}": data for kind, data in near_copies(photo).items() if kind in COPIES})
    files.update({name: images.jpeg(name) for name in ("coffee", "astronaut")})
    return upload(user, django_capture_on_commit_callbacks, files)


def group_names(owner) -> list[set[str]]:
    return [
        {p.original_name.removesuffix(".jpg") for p in group.photos}
        for group in duplicates.duplicate_groups(owner=owner)
    ]


def test_near_copies_form_one_group_per_photo_and_distinct_photos_none(user, copies):
    found = group_names(user)
    assert sorted(found, key=min) == [
        {"chelsea", *(f"chelsea-{k}" for k in COPIES)},
        {"rocket", *(f"rocket-{k}" for k in COPIES)},
    ]
    assert not any(name in group for group in found for name in ("coffee", "astronaut"))


def test_best_copy_is_the_largest_with_a_reason(user, copies):
    for group in duplicates.duplicate_groups(owner=user):
        name = group.best.original_name.removesuffix(".jpg")
        # The original and its mirror, grey, edited and recompressed copies share the largest size.
        assert name.split("-")[0] in ("chelsea", "rocket") and "resized" not in name and "crop" not in name
        assert group.reason.startswith(("largest", "same size"))
        assert group.photos[-1].width * group.photos[-1].height <= group.best.width * group.best.height


def test_a_blurred_copy_of_the_same_size_loses(user, django_capture_on_commit_callbacks):
    from PIL import ImageFilter

    photo = real_photo("coffee")
    found = upload(
        user,
        django_capture_on_commit_callbacks,
        {
            "sharp": images.with_exif(image=photo, taken="2023:01:01 10:00:00"),
            "soft": images.with_exif(image=photo.filter(ImageFilter.GaussianBlur(1.5)), taken="2020:01:01 10:00:00"),
        },
    )
    [group] = duplicates.duplicate_groups(owner=user)
    assert group.best.id == found["sharp"].id
    assert found["sharp"].sharpness > found["soft"].sharpness


def test_the_original_beats_a_brightened_low_quality_re_save(user, django_capture_on_commit_callbacks):
    """Ensure the case the issue reported: a brightened q70 re-save of a rocket was kept over the original."""
    from PIL import ImageEnhance

    photo = real_photo("rocket")
    found = upload(
        user,
        django_capture_on_commit_callbacks,
        {
            "original": images.with_exif(image=photo, taken="2019:05:05 05:05:05", quality=95),
            "resave": images.encode(ImageEnhance.Brightness(photo).enhance(1.25), "JPEG", quality=70),
        },
    )
    [group] = duplicates.duplicate_groups(owner=user)
    assert [p.id for p in group.photos] == [found["original"].id, found["resave"].id]
    assert group.reason == "same size, least compressed file"


def _copy(photo_id, *, size=1000, exif=False, quality=90, sharpness=1.0):
    from datetime import UTC, datetime

    from gallery.images import Encoding

    photo = Photo(id=photo_id, width=100, height=100, size_bytes=size, sharpness=sharpness)
    photo.shot_at = datetime(2020, 1, 1, tzinfo=UTC)
    return duplicates.Copy(photo, Encoding(has_exif=exif, quality=quality))


@pytest.mark.parametrize(
    ("a", "b", "reason"),
    [
        ({"size": 2000}, {"size": 1000, "exif": True, "quality": 98}, "same size, least compressed file"),
        ({"size": 1000, "exif": True}, {"size": 1050, "quality": 98}, "same size, camera data (EXIF) kept"),
        ({"quality": 95}, {"quality": 70, "sharpness": 2.0}, "same size, not re-encoded"),
        ({"sharpness": 1.2}, {"sharpness": 1.0}, "same size, sharpest"),
    ],
)
def test_ranking_prefers_the_original_in_order(a, b, reason):
    """Ensure the order of the facts: larger file, then EXIF, then quality, and sharpness only breaks ties."""
    first, second = _copy(1, **a), _copy(2, **b)
    assert duplicates._better(first, second) < 0 and duplicates._better(second, first) > 0
    assert duplicates._reason(first, second) == reason


def test_incremental_check_equals_a_full_recheck(user, copies):
    incremental = set(NearDuplicate.objects.filter(owner=user).values_list("photo_id", "other_id"))
    duplicates.duplicates_check_all(owner_id=user.id)
    assert set(NearDuplicate.objects.filter(owner=user).values_list("photo_id", "other_id")) == incremental


def test_a_new_photo_is_checked_against_the_gallery_only(user, copies, django_capture_on_commit_callbacks):
    before = NearDuplicate.objects.filter(owner=user).count()
    new = upload(
        user, django_capture_on_commit_callbacks, {"coffee-copy": near_copies(real_photo("coffee"))["resized"]}
    )["coffee-copy"]
    added = NearDuplicate.objects.filter(owner=user).count() - before
    assert added == 1
    assert set(NearDuplicate.objects.filter(owner=user).latest("id").__dict__[k] for k in ("photo_id", "other_id")) == {
        copies["coffee"].id,
        new.id,
    }


def test_other_users_photos_are_never_grouped_with_mine(user, other_user, copies, django_capture_on_commit_callbacks):
    upload(other_user, django_capture_on_commit_callbacks, {"theirs": images.encode(real_photo("chelsea"), "JPEG")})
    assert duplicate_ids(other_user) == set()
    assert not NearDuplicate.objects.filter(owner=user, photo__owner=other_user).exists()


def duplicate_ids(owner) -> set[int]:
    return {p.id for g in duplicates.duplicate_groups(owner=owner) for p in g.photos}


def assert_gone(owner, ids: list[int], paths: list[str]) -> None:
    """Nothing of these photos is left: rows, vectors, pairs, files, and entries of the rebuilt index."""
    import os

    from search.index_versions import collection
    from search.query import serving_model_key
    from search.spaces import image_space

    assert not Photo.objects.filter(id__in=ids).exists()
    assert not PhotoEmbedding.objects.filter(photo_id__in=ids).exists()
    assert not NearDuplicate.objects.filter(photo_id__in=ids).exists()
    assert not NearDuplicate.objects.filter(other_id__in=ids).exists()
    assert paths and not any(os.path.exists(path) for path in paths)
    found = collection(owner_id=owner.id, space=image_space(model_key=serving_model_key(owner=owner)))
    indexed = set(found.delta_ids.tolist()) | (set(found.index.ids.tolist()) if found.index is not None else set())
    assert indexed and not indexed & set(ids)


# API -------------------------------------------------------------------------------------------------------


def test_api_lists_groups_best_first(api, copies):
    body = api.get("/api/duplicates/").json()
    assert body["count"] == 2
    for group in body["groups"]:
        assert group["best"] == group["photos"][0]["id"]
        assert group["reason"] and group["similarity"] >= 0.8
        assert {"thumbnail_url", "width", "height"} <= set(group["photos"][0])


def test_api_keep_best_of_one_group_trashes_the_rest(api, user, copies):
    chelsea_group = next(g for g in duplicates.duplicate_groups(owner=user) if copies["chelsea"] in g.photos)
    others = [p.id for p in chelsea_group.photos[1:]]
    response = api.post("/api/duplicates/keep-best/", {"photos": [copies["chelsea-grey"].id]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"kept": [chelsea_group.best.id], "trashed": others}
    assert Photo.objects.filter(id__in=others, trashed_at__isnull=False).count() == len(others)  # not deleted
    assert len(duplicates.duplicate_groups(owner=user)) == 1  # rocket's group is untouched

    assert api.post("/api/trash/restore/", {"ids": others}, format="json").status_code == 200  # undo
    assert len(duplicates.duplicate_groups(owner=user)) == 2


def test_api_keep_keeps_the_chosen_copy(api, user, copies):
    chosen = copies["chelsea-resized"].id
    response = api.post("/api/duplicates/keep-best/", {"keep": [chosen]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["kept"] == [chosen]
    assert copies["chelsea"].id in response.json()["trashed"] and chosen not in response.json()["trashed"]


def test_api_keep_two_copies_of_one_group_is_400_and_trashes_nothing(api, copies):
    both = [copies["chelsea"].id, copies["chelsea-grey"].id]
    response = api.post("/api/duplicates/keep-best/", {"keep": both}, format="json")
    assert response.status_code == 400
    assert not Photo.objects.filter(trashed_at__isnull=False).exists()


def test_api_keep_best_of_all(api, user, copies):
    response = api.post("/api/duplicates/keep-best/", {"all": True}, format="json")
    assert response.status_code == 200
    assert len(response.json()["kept"]) == 2 and len(response.json()["trashed"]) == 2 * len(COPIES)
    assert duplicates.duplicate_groups(owner=user) == []
    assert Photo.objects.filter(owner=user, trashed_at=None).count() == 4  # two best copies and two distinct
    assert Photo.objects.filter(owner=user).count() == 4 + 2 * len(COPIES)  # nothing deleted for good


def test_api_keep_best_with_another_users_photo_is_404_and_deletes_nothing(api, other_api, user, copies):
    before = Photo.objects.count()
    assert (
        other_api.post("/api/duplicates/keep-best/", {"photos": [copies["chelsea"].id]}, format="json").status_code
        == 404
    )
    assert other_api.get("/api/duplicates/").json() == {"count": 0, "groups": []}
    assert Photo.objects.count() == before


def test_api_keep_best_of_a_photo_in_no_group_is_400(api, copies):
    response = api.post("/api/duplicates/keep-best/", {"photos": [copies["coffee"].id]}, format="json")
    assert response.status_code == 400
    assert "Not in any group" in response.json()["detail"]


def test_api_keep_best_needs_photos_or_all(api, copies):
    assert api.post("/api/duplicates/keep-best/", {}, format="json").status_code == 400


# Bulk delete ------------------------------------------------------------------------------------------------


def test_bulk_delete_leaves_nothing_behind(api, user, copies, on_commit):
    doomed = [copies[name] for name in ("coffee", "chelsea-grey", "rocket")]
    paths = [p.original.path for p in doomed] + [p.thumbnail.path for p in doomed]
    with on_commit():
        response = api.post("/api/photos/bulk/delete/", {"ids": [p.id for p in doomed]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"deleted": 3}
    assert_gone(user, [p.id for p in doomed], paths)


def test_bulk_delete_with_another_users_photo_is_404_and_deletes_nothing(api, other_user, copies):
    theirs = services.photo_create(owner=other_user, file=ContentFile(images.jpeg("camera"), name="c.jpg"))
    before = Photo.objects.count()
    response = api.post("/api/photos/bulk/delete/", {"ids": [copies["coffee"].id, theirs.id]}, format="json")
    assert response.status_code == 404
    assert Photo.objects.count() == before


def test_find_duplicates_command_recomputes_the_pairs(user, copies):
    from io import StringIO

    from django.core.management import call_command

    expected = NearDuplicate.objects.filter(owner=user).count()
    NearDuplicate.objects.all().delete()
    out = StringIO()
    call_command("find_duplicates", "--user", user.username, stdout=out)
    assert out.getvalue().strip() == f"{user.username}: {expected} near-duplicate pairs"
    assert NearDuplicate.objects.filter(owner=user).count() == expected
