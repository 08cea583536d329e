"""The numpy port of dlib's face descriptor network gives dlib's descriptors, and the model falls back to dlib."""

import dlib
import face_recognition_models
import numpy as np
import pytest

from people import ml, resnet
from tests.people.conftest import astronaut, grace, messi

MODEL_FILE = face_recognition_models.face_recognition_model_location()


def _chips(image, model: ml.FaceModel) -> list[np.ndarray]:
    """The aligned chips of the faces dlib finds, as people.ml.FaceModel.find makes them."""
    small = ml._resized(image, ml.DETECT_PIXELS)
    pixels = np.asarray(small)
    boxes = model.detector(np.asarray(small.convert("L")), 0)
    return [dlib.get_face_chip(pixels, model.aligner(pixels, box), size=150, padding=0.25) for box in boxes]


@pytest.fixture(scope="module")
def chips():
    model = ml.FaceModel()
    found = [chip for image in (grace(), astronaut(), messi()) for chip in _chips(image, model)]
    assert len(found) == 3
    return np.stack(found)


def test_the_port_gives_dlibs_descriptors_on_real_faces(chips):
    dlib_network = dlib.face_recognition_model_v1(MODEL_FILE)
    theirs = np.stack([np.asarray(dlib_network.compute_face_descriptor(chip)) for chip in chips])
    ours = resnet.ResNet(MODEL_FILE).describe(chips)
    assert ours.shape == (3, 128) and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-4
    assert np.linalg.norm(ours - theirs, axis=1).max() < 1e-4
    # The three people stay far apart (the port does not collapse everything to one point).
    assert min(np.linalg.norm(ours[i] - ours[j]) for i, j in ((0, 1), (0, 2), (1, 2))) > 0.6


def test_one_chip_or_a_batch_give_the_same_descriptors(chips):
    network = resnet.ResNet(MODEL_FILE)
    assert np.allclose(network.describe(chips[0]), network.describe(chips)[:1], atol=1e-5)


def test_another_dlib_file_is_refused():
    with pytest.raises(resnet.FormatError):
        resnet.ResNet(face_recognition_models.pose_predictor_five_point_model_location())


def test_the_model_runs_the_port_and_falls_back_to_dlib_when_it_cannot(monkeypatch):
    assert isinstance(ml.FaceModel().network, resnet.ResNet)

    def refuse(path):
        raise resnet.FormatError("unknown tensor version")

    monkeypatch.setattr(resnet, "ResNet", refuse)
    fallback = ml.FaceModel()
    assert isinstance(fallback.network, ml._DlibNetwork)
    ported = ml.face_model().find(grace())
    [face] = fallback.find(grace())
    assert face.box == ported[0].box and np.linalg.norm(face.descriptor - ported[0].descriptor) < 1e-4
