"""The face core on real photos: boxes where the faces are, descriptors that tell people apart."""

import os
import signal
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest
from PIL import Image, ImageOps

from people import ml
from tests.images import sample
from tests.people.conftest import astronaut, copies, grace, messi


@pytest.fixture(scope="module")
def model():
    return ml.face_model()


def test_finds_the_one_face_of_grace_hopper(model):
    faces = model.find(grace())
    assert len(faces) == 1
    x, y, w, h = faces[0].box
    # Her face is in the upper middle of the portrait.
    assert 0.2 < x + w / 2 < 0.8 and 0.2 < y + h / 2 < 0.6 and 0.15 < w < 0.6
    assert faces[0].descriptor.shape == (128,) and faces[0].crop[:2] == b"\xff\xd8"


def test_finds_the_astronauts_face_and_not_her_suit(model):
    faces = model.find(astronaut())
    assert len(faces) == 1
    assert faces[0].box[1] < 0.4  # the face, not the badge on the suit below it


def test_finds_a_small_face(model):
    assert len(model.find(messi())) == 1


def test_finds_no_face_in_a_cat_or_a_coffee(model):
    assert model.find(sample("chelsea")) == [] and model.find(sample("coffee")) == []


def test_copies_of_one_face_group_together_and_apart_from_another(model):
    descriptors = [model.find(image)[0].descriptor for image in [grace(), *copies(grace())]]
    descriptors += [model.find(image)[0].descriptor for image in [astronaut(), *copies(astronaut())[:2]]]
    labels = ml.group(np.stack(descriptors))
    assert len(set(labels[:5])) == 1 and len(set(labels[5:])) == 1 and labels[0] != labels[5]


def test_nearest_without_references_is_nothing():
    where, distance = ml.nearest(np.zeros((2, 128)), np.zeros((0, 128)))
    assert list(where) == [-1, -1] and np.isinf(distance).all()


def test_descriptor_bytes_round_trip():
    vector = np.arange(128, dtype=np.float32) / 7
    assert np.array_equal(ml.descriptor_from_bytes(ml.descriptor_bytes(vector)), vector)


def test_a_wide_group_picture_keeps_the_detail_of_a_photo_of_the_same_pixels(model):
    """Detection sees about DETECT_PIXELS pixels whatever the shape: five 360-px-tall tiles side by side (a row of
    people, 1874×360) are not shrunk to a 1024-px-wide strip where the faces fall under HOG's 80 px."""
    tiles = [grace(), astronaut(), ImageOps.mirror(astronaut()), sample("rocket"), ImageOps.mirror(grace())]
    tiles = [tile.resize((round(tile.width * 360 / tile.height), 360)) for tile in tiles]
    row = Image.new("RGB", (sum(tile.width for tile in tiles), 360), (128, 128, 128))
    left = 0
    for tile in tiles:
        row.paste(tile, (left, 0))
        left += tile.width
    assert ml.detect_size(*row.size)[0] > row.width  # 0.67 MP: a little enlarged, not reduced to a 1024-px side
    assert len(model.find(row)) == 4


def test_detection_sees_about_the_pixel_budget_in_the_photos_shape():
    width, height = ml.detect_size(4000, 3000)
    assert abs(width * height - ml.DETECT_PIXELS) < 0.01 * ml.DETECT_PIXELS and abs(width / height - 4 / 3) < 0.01
    assert ml.detect_size(300, 200, pixels=600 * 400) == (600, 400)  # small photos are enlarged


def test_the_face_processes_find_what_the_calling_thread_finds_at_idle_priority():
    images = [grace(), None, astronaut(), messi()]
    pool = ml.FacePool(2)
    try:
        across = pool.find(iter(images))
        policies = [os.sched_getscheduler(pid) for pid in pool._executor._processes]
    finally:
        pool.close()
    here = ml.FacePool(1).find(images)
    assert policies == [os.SCHED_IDLE] * 2  # background work: any other process preempts them
    assert [len(faces) for faces in across] == [1, 0, 1, 1]
    for theirs, ours in zip(across, here, strict=True):
        assert [f.box for f in theirs] == [f.box for f in ours]
        assert all(np.allclose(a.descriptor, b.descriptor, atol=1e-5) for a, b in zip(theirs, ours, strict=True))


def test_a_face_process_that_dies_fails_that_call_and_the_next_starts_new_ones():
    pool = ml.FacePool(2)
    try:
        assert len(pool.find([grace()])[0]) == 1
        first = pool._executor._processes  # the executor adds each process it starts to this dict
        for process in list(first.values()):
            os.kill(process.pid, signal.SIGKILL)  # e.g. the kernel's out-of-memory killer
        with pytest.raises(BrokenProcessPool):
            pool.find([grace(), astronaut()])
        broken = list(first.values())
        assert [len(faces) for faces in pool.find([grace(), astronaut()])] == [1, 1]
        working = list(pool._executor._processes.values())
    finally:
        pool.close()
    # None is left running: one started while the others died could wait on their queues for ever, and the
    # interpreter's exit with it.
    for process in broken + working:
        process.join(timeout=10)
        assert not process.is_alive()


def test_an_image_the_model_fails_on_has_no_faces_and_the_others_theirs(monkeypatch):
    real_find = ml.FaceModel.find

    def find_or_fail(self, image, **kwargs):
        if image.size == (7, 7):
            raise RuntimeError("dlib failed")
        return real_find(self, image, **kwargs)

    monkeypatch.setattr(ml.FaceModel, "find", find_or_fail)
    found = ml.FacePool(1).find([grace(), Image.new("RGB", (7, 7)), astronaut()])
    assert [len(faces) for faces in found] == [1, 0, 1]
