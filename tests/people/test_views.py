"""The People page and a person's page, without JavaScript: naming, hiding, merging, the opt-out."""

import pytest

from people import services
from people.models import Face, FaceSettings, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def grace_person(user, found, face_in_photo):
    for image, face in found["grace"]:
        face_in_photo(user, image, face)
    services.faces_cluster(owner_id=user.id)
    return Person.objects.get(owner=user)


def test_people_page_offers_an_unnamed_person_for_naming(signed_in, grace_person):
    page = signed_in.get("/people/").content.decode()
    assert "Who are they?" in page and f'id="name-{grace_person.id}"' in page and "5 photos" in page
    response = signed_in.post(f"/people/{grace_person.id}/change/", {"action": "name", "name": "Grace Hopper"})
    assert response.status_code == 302
    grace_person.refresh_from_db()
    assert grace_person.name == "Grace Hopper"
    assert "Grace Hopper" in signed_in.get("/people/").content.decode()


def test_person_page_lists_their_photos(signed_in, grace_person):
    page = signed_in.get(f"/people/{grace_person.id}/").content.decode()
    assert page.count('class="card"') == 5


def test_hide_and_merge_from_the_person_page(signed_in, user, grace_person):
    other = Person.objects.create(owner=user, name="Other")
    Face.objects.filter(id=grace_person.faces.first().id).update(person=other)
    signed_in.post(f"/people/{grace_person.id}/change/", {"action": "hide", "from": "person"})
    grace_person.refresh_from_db()
    assert grace_person.hidden
    response = signed_in.post(f"/people/{other.id}/change/", {"action": "merge", "into": grace_person.id})
    assert response.status_code == 302 and response["Location"] == f"/people/{grace_person.id}/"
    assert grace_person.faces.count() == 5 and not Person.objects.filter(id=other.id).exists()


def test_other_users_person_pages_are_404(client, other_user, grace_person):
    client.force_login(other_user)
    assert client.get(f"/people/{grace_person.id}/").status_code == 404
    response = client.post(f"/people/{grace_person.id}/change/", {"action": "name", "name": "Mine"})
    assert response.status_code == 404
    grace_person.refresh_from_db()
    assert grace_person.name == ""


def test_turning_face_grouping_off_from_the_page(signed_in, user, grace_person):
    signed_in.post("/people/settings/", {})  # the checkbox unticked
    assert not FaceSettings.objects.get(owner=user).enabled and not Face.objects.filter(owner=user).exists()
    assert "Face grouping is off" in signed_in.get("/people/").content.decode()


def test_photo_page_loads_the_faces_script_and_the_nav_links_people(signed_in, grace_person):
    photo_id = grace_person.faces.first().photo_id
    page = signed_in.get(f"/photos/{photo_id}/").content.decode()
    assert "js/faces.js" in page and 'href="/people/"' in page
