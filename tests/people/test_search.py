"""Search by person through GET /api/search/text/: a name, a name with a thing, a negated name, a person word.
The photos go through the whole pipeline (eager tasks): embedded, tagged, ready, then their faces found."""

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from gallery import services as gallery_services
from people.models import Person
from tests.images import sample
from tests.people.conftest import copies, grace, jpeg
from tests.search.conftest import result_names

pytestmark = pytest.mark.django_db


def side_by_side(*parts: Image.Image) -> Image.Image:
    height = max(part.height for part in parts)
    canvas = Image.new("RGB", (sum(part.width for part in parts), height), (255, 255, 255))
    left = 0
    for part in parts:
        canvas.paste(part, (left, 0))
        left += part.width
    return canvas


@pytest.fixture
def gallery_with_grace(user, api, faces_on, django_capture_on_commit_callbacks):
    """Three photos of Grace Hopper, one of her beside a coffee, a coffee and a cat; her person named "Grace"."""
    photos = {f"grace-{i}": image for i, image in enumerate([grace(), *copies(grace())[:2]])}
    photos |= {"grace-coffee": side_by_side(grace(), sample("coffee")), "coffee": sample("coffee")}
    photos["chelsea"] = sample("chelsea")
    with django_capture_on_commit_callbacks(execute=True):  # the pipeline, then the faces pass it queues
        result = gallery_services.photos_upload(
            owner=user, files=[ContentFile(jpeg(image), name=f"{name}.jpg") for name, image in photos.items()]
        )
    assert not result.rejected
    person = Person.objects.get(owner=user)
    api.patch(f"/api/people/{person.id}/", {"name": "Grace"}, format="json")
    return person


def test_a_name_finds_the_photos_of_that_person(api, gallery_with_grace):
    body = api.get("/api/search/text/?q=grace&k=10").json()
    assert body["terms"] == [{"word": "grace", "as": "person", "shown": "Grace", "negated": False}]
    assert sorted(result_names_of(body)) == ["grace-0", "grace-1", "grace-2", "grace-coffee"]


def test_a_name_and_a_thing_put_the_photo_with_both_first(api, gallery_with_grace):
    response = api.get("/api/search/text/?q=grace coffee&k=10")
    assert response.status_code == 200
    assert [t["as"] for t in response.json()["terms"]] == ["person", "thing"]
    names = result_names(response)
    assert names[0] == "grace-coffee" and set(names) <= {"grace-0", "grace-1", "grace-2", "grace-coffee"}


def test_a_negated_name_leaves_her_photos_out(api, gallery_with_grace):
    names = result_names(api.get("/api/search/text/?q=coffee -grace&k=10"))
    assert names[0] == "coffee" and not any(name.startswith("grace") for name in names)


def test_a_person_word_finds_the_photos_with_faces(api, gallery_with_grace):
    body = api.get("/api/search/text/?q=people&k=10").json()
    assert body["terms"][0]["as"] == "person"
    assert sorted(result_names_of(body)) == ["grace-0", "grace-1", "grace-2", "grace-coffee"]


def result_names_of(body: dict) -> list[str]:
    return [hit["photo"]["original_name"].removesuffix(".jpg") for hit in body["results"]]
