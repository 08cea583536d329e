"""The faces pass through a real Celery worker: upload → ready → faces found and grouped, on its own tasks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gallery.models import Photo
from people.models import Face, Person, PhotoScan
from tests.conftest import wait_for
from tests.images import sample
from tests.people.conftest import astronaut, copies, grace, jpeg


@pytest.mark.worker
@pytest.mark.own_workers
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_finds_the_faces_and_groups_copies_of_one_face(start_worker, api, user):
    start_worker(FACES_PASS="1", FACES_PROCESSES="2")  # the face processes, as deployed
    files = {f"grace-{i}.jpg": jpeg(image) for i, image in enumerate([grace(), *copies(grace())[:3]])}
    files |= {"astronaut.jpg": jpeg(astronaut()), "chelsea.jpg": jpeg(sample("chelsea"))}
    response = api.post("/api/photos/", {"files": [SimpleUploadedFile(n, c) for n, c in files.items()]})
    assert response.status_code == 201
    ids = [photo["id"] for photo in response.json()["created"]]

    wait_for(lambda: PhotoScan.objects.filter(photo_id__in=ids).count() == 6, timeout=240)
    # A scan stores its faces before it groups them, so the last grouping may still be running.
    wait_for(lambda: Face.objects.filter(owner=user, person__isnull=False).count() >= 4, timeout=60)
    assert set(Photo.objects.filter(id__in=ids).values_list("status", flat=True)) == {"ready"}
    person = Person.objects.get(owner=user)
    assert set(person.faces.values_list("photo__original_name", flat=True)) == {f"grace-{i}.jpg" for i in range(4)}
    assert Face.objects.get(photo__original_name="astronaut.jpg").person is None  # alone: waits for more
    assert not Face.objects.filter(photo__original_name="chelsea.jpg").exists()
    body = api.get("/api/people/").json()
    assert [(row["id"], row["photo_count"]) for row in body["results"]] == [(person.id, 4)]
