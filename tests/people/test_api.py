"""The people API: the shapes other clients rely on, and 404 for anything that is not the caller's."""

import pytest

from people import services
from people.models import Face, Person
from tests.people.conftest import grace

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_persons(user, found, face_in_photo):
    """Grace Hopper (five photos) and the astronaut (five photos), grouped."""
    for name in ("grace", "astronaut"):
        for image, face in found[name]:
            face_in_photo(user, image, face)
    services.faces_cluster(owner_id=user.id)
    grace_face = Face.objects.filter(owner=user).order_by("id").first()
    grace_person = grace_face.person
    return grace_person, Person.objects.filter(owner=user).exclude(id=grace_person.id).get()


def test_people_list_shape(api, two_persons):
    body = api.get("/api/people/").json()
    assert set(body) == {"results"} and len(body["results"]) == 2
    for row in body["results"]:
        assert set(row) == {"id", "name", "photo_count", "face_thumbnail_url", "hidden"}
        assert row["photo_count"] == 5 and row["name"] == "" and row["hidden"] is False
        assert row["face_thumbnail_url"].startswith("/api/faces/")


def test_face_thumbnail_is_a_jpeg_for_the_owner(api, two_persons):
    url = api.get("/api/people/").json()["results"][0]["face_thumbnail_url"]
    response = api.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response).startswith(b"\xff\xd8") and "private" in response["Cache-Control"]


def test_name_hide_and_autocomplete(api, two_persons):
    person, _ = two_persons
    body = api.patch(f"/api/people/{person.id}/", {"name": "  Grace   Hopper "}, format="json").json()
    assert body["name"] == "Grace Hopper" and body["id"] == person.id
    assert [r["name"] for r in api.get("/api/people/?q=gr").json()["results"]] == ["Grace Hopper"]
    assert [r["name"] for r in api.get("/api/people/?q=hop").json()["results"]] == ["Grace Hopper"]
    assert api.get("/api/people/?q=eil").json()["results"] == []
    assert api.patch(f"/api/people/{person.id}/", {"hidden": True}, format="json").json()["hidden"] is True
    assert api.get(f"/api/people/{person.id}/").json()["hidden"] is True


def test_named_persons_come_first(api, two_persons):
    _, astro = two_persons
    api.patch(f"/api/people/{astro.id}/", {"name": "Eileen"}, format="json")
    assert api.get("/api/people/").json()["results"][0]["name"] == "Eileen"


def test_merge(api, two_persons):
    grace_person, astro = two_persons
    response = api.post(f"/api/people/{grace_person.id}/merge/", {"into": astro.id}, format="json")
    assert response.status_code == 200 and response.json()["photo_count"] == 10
    assert api.get(f"/api/people/{grace_person.id}/").status_code == 404


def test_merge_into_themselves_is_400(api, two_persons):
    person, _ = two_persons
    response = api.post(f"/api/people/{person.id}/merge/", {"into": person.id}, format="json")
    assert response.status_code == 400 and Person.objects.filter(id=person.id).exists()


def test_assign_a_face_and_set_it_aside(api, two_persons):
    grace_person, astro = two_persons
    face = grace_person.faces.first()
    body = api.post(f"/api/faces/{face.id}/assign/", {"person": astro.id}, format="json").json()
    assert body == {"id": face.id, "person": astro.id, "box": face.box}
    body = api.post(f"/api/faces/{face.id}/assign/", {"person": None}, format="json").json()
    assert body["person"] is None


def test_photo_detail_has_faces_and_the_list_filters_by_person(api, two_persons):
    person, _ = two_persons
    photo_id = person.faces.first().photo_id
    faces = api.get(f"/api/photos/{photo_id}/").json()["faces"]
    assert len(faces) == 1 and set(faces[0]) == {"id", "person", "box"} and faces[0]["person"] == person.id
    assert len(faces[0]["box"]) == 4 and all(0 <= v <= 1 for v in faces[0]["box"])
    listed = api.get(f"/api/photos/?person={person.id}").json()
    assert listed["count"] == 5 and {p["id"] for p in listed["results"]} == set(
        person.faces.values_list("photo_id", flat=True)
    )


@pytest.mark.parametrize("bad", ["x", "0", "-1", "99999999999999999999999"])
def test_bad_person_filter_is_400(api, bad):
    response = api.get(f"/api/photos/?person={bad}")
    assert response.status_code == 400 and "person" in response.json()


@pytest.mark.parametrize(
    "payload", [{}, {"name": "x" * 101}, {"hidden": "maybe"}, {"cover": "face"}], ids=["empty", "long", "hid", "cov"]
)
def test_bad_patch_is_400(api, two_persons, payload):
    person, _ = two_persons
    response = api.patch(f"/api/people/{person.id}/", payload, format="json")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/json")


def test_cover_must_be_one_of_their_faces(api, two_persons):
    grace_person, astro = two_persons
    response = api.patch(f"/api/people/{grace_person.id}/", {"cover": astro.faces.first().id}, format="json")
    assert response.status_code == 400
    cover = grace_person.faces.last()
    body = api.patch(f"/api/people/{grace_person.id}/", {"cover": cover.id}, format="json").json()
    assert body["face_thumbnail_url"] == f"/api/faces/{cover.id}/crop"


def test_settings_off_deletes_faces_and_reports_progress(api, user, two_persons):
    assert api.get("/api/people/settings/").json() == {"enabled": True, "photos": 10, "scanned": 10}
    assert api.patch("/api/people/settings/", {"enabled": False}, format="json").json()["enabled"] is False
    assert not Face.objects.filter(owner=user).exists() and api.get("/api/people/").json() == {"results": []}


def test_photo_without_faces_has_an_empty_faces_list(api, user, ready_photo):
    photo = ready_photo(user, grace())  # not scanned yet
    assert api.get(f"/api/photos/{photo.id}/").json()["faces"] == []


# Isolation: another user's persons, faces and filters are 404, and they see none of the owner's.


def test_other_users_see_no_person_or_face(other_api, two_persons):
    person, other = two_persons
    face = person.faces.first()
    assert other_api.get("/api/people/").json() == {"results": []}
    for method, url, data in [
        ("get", f"/api/people/{person.id}/", None),
        ("patch", f"/api/people/{person.id}/", {"name": "mine"}),
        ("post", f"/api/people/{person.id}/merge/", {"into": other.id}),
        ("get", f"/api/faces/{face.id}/crop", None),
        ("post", f"/api/faces/{face.id}/assign/", {"person": None}),
        ("get", f"/api/photos/?person={person.id}", None),
    ]:
        response = getattr(other_api, method)(url, data, format="json")
        assert response.status_code == 404, url
    person.refresh_from_db()
    face.refresh_from_db()
    assert person.name == "" and face.person == person and not face.assigned_by_owner


def test_merging_or_assigning_into_another_users_person_is_404(api, other_api, other_user, two_persons, found):
    person, _ = two_persons
    theirs = Person.objects.create(owner=other_user, name="Theirs")
    assert api.post(f"/api/people/{person.id}/merge/", {"into": theirs.id}, format="json").status_code == 404
    face = person.faces.first()
    assert api.post(f"/api/faces/{face.id}/assign/", {"person": theirs.id}, format="json").status_code == 404
    face.refresh_from_db()
    assert face.person == person and not theirs.faces.exists()


def test_recluster_keeps_names(api, two_persons, on_commit):
    person, _ = two_persons
    api.patch(f"/api/people/{person.id}/", {"name": "Grace"}, format="json")
    with on_commit():
        assert api.post("/api/people/recluster/").status_code == 202
    names = sorted(r["name"] for r in api.get("/api/people/").json()["results"])
    assert names == ["", "Grace"]


def test_who_is_this_names_an_unnamed_persons_face_and_so_the_person(api, two_persons):
    person, _ = two_persons
    face = person.faces.first()
    body = api.post(f"/api/faces/{face.id}/name/", {"name": "Grace"}, format="json").json()
    assert body["person"] == person.id
    person.refresh_from_db()
    assert person.name == "Grace" and person.faces.count() == 5


def test_who_is_this_with_another_name_moves_only_that_face(api, user, two_persons):
    person, astro = two_persons
    api.patch(f"/api/people/{astro.id}/", {"name": "Eileen"}, format="json")
    api.patch(f"/api/people/{person.id}/", {"name": "Grace"}, format="json")
    face = person.faces.first()
    assert api.post(f"/api/faces/{face.id}/name/", {"name": "eileen"}, format="json").json()["person"] == astro.id
    new = api.post(f"/api/faces/{person.faces.first().id}/name/", {"name": "Someone New"}, format="json").json()
    assert Person.objects.get(id=new["person"], owner=user).name == "Someone New"
    assert person.faces.count() == 3


def test_who_is_this_without_a_name_is_400(api, two_persons):
    person, _ = two_persons
    response = api.post(f"/api/faces/{person.faces.first().id}/name/", {"name": "   "}, format="json")
    assert response.status_code == 400


def test_autocomplete_leaves_out_hidden_and_unnamed_persons(api, two_persons):
    person, _ = two_persons
    api.patch(f"/api/people/{person.id}/", {"name": "Grace", "hidden": True}, format="json")
    assert api.get("/api/people/?q=g").json()["results"] == []
    assert len(api.get("/api/people/").json()["results"]) == 2  # the list itself still shows both
