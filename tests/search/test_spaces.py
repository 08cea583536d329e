"""The owner's text space: a trained projection applied from its arrays, zero-shot until a legacy one is exported."""

import numpy as np
import pytest

from search import components
from search.index_versions import load_features
from search.ml import softclass
from search.ml.semantic import ProjectionArrays
from search.models import TextProjection
from search.spaces import text_space
from tests.search.conftest import trained_projection

pytestmark = pytest.mark.django_db


def test_trained_projection_space_applies_its_arrays(gallery, user):
    record = trained_projection(user)
    model_key = components.configured_model_key()
    space = text_space(owner_id=user.id, model_key=model_key)
    assert space.key == f"{model_key}-proj{record.id}" and space.scoring == "cosine"
    _, features, _ = load_features(owner_id=user.id, model_key=model_key)
    np.testing.assert_array_equal(space.vectors(features), ProjectionArrays.load(record.path).project(features))


def test_legacy_projection_serves_zero_shot_and_queues_its_export(gallery, user, on_commit):
    """Ensure the web process never loads the .keras file: it answers zero-shot, and the export task (eager here)
    turns the file into arrays that the next query uses."""
    record = trained_projection(user, legacy=True)
    model_key = components.configured_model_key()
    with on_commit():
        assert text_space(owner_id=user.id, model_key=model_key).scoring == softclass.KIND
    assert TextProjection.objects.get(id=record.id).path.endswith(".npz")
    assert text_space(owner_id=user.id, model_key=model_key).key == f"{model_key}-proj{record.id}"


def test_unreadable_projection_file_serves_zero_shot(gallery, user):
    record = trained_projection(user)
    with open(record.path, "wb") as broken:
        broken.write(b"not an npz")
    space = text_space(owner_id=user.id, model_key=components.configured_model_key())
    assert space.scoring == softclass.KIND
