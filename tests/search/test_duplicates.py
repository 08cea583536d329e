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


def test_same_size_copies_are_ranked_by_sharpness_then_age(user, django_capture_on_commit_callbacks):
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
    assert group.reason == "same size, sharpest"


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


def test_api_keep_best_of_one_group_deletes_the_rest_and_their_files(api, user, copies, on_commit):
    chelsea_group = next(g for g in duplicates.duplicate_groups(owner=user) if copies["chelsea"] in g.photos)
    doomed = chelsea_group.photos[1:]
    paths = [p.original.path for p in doomed] + [p.thumbnail.path for p in doomed]
    with on_commit():
        response = api.post("/api/duplicates/keep-best/", {"photos": [copies["chelsea-grey"].id]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"kept": [chelsea_group.best.id], "deleted": [p.id for p in doomed]}
    assert_gone(user, [p.id for p in doomed], paths)
    assert len(duplicates.duplicate_groups(owner=user)) == 1  # rocket's group is untouched


def test_api_keep_best_of_all(api, user, copies):
    response = api.post("/api/duplicates/keep-best/", {"all": True}, format="json")
    assert response.status_code == 200
    assert len(response.json()["kept"]) == 2 and len(response.json()["deleted"]) == 2 * len(COPIES)
    assert duplicates.duplicate_groups(owner=user) == []
    assert Photo.objects.filter(owner=user).count() == 4  # two best copies and the two distinct photos


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
