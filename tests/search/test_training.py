"""Training's part in serving: a projection is kept as numpy arrays, and one trained before that is exported."""

from pathlib import Path

import numpy as np
import pytest

from search.index_versions import load_features
from search.ml.semantic import Projection, ProjectionArrays
from search.models import TextProjection
from search.training import projection_export
from tests.search.conftest import trained_projection

pytestmark = pytest.mark.django_db


def test_legacy_keras_projection_is_exported_to_arrays_of_the_same_function(gallery, user):
    record = trained_projection(user, legacy=True)
    keras_path = Path(record.path)
    keras_model = Projection.load(keras_path)
    projection_export(projection_id=record.id)
    record.refresh_from_db()
    assert record.path == str(keras_path.with_suffix(".npz")) and record.active
    assert not keras_path.exists()
    _, features, _ = load_features(owner_id=user.id, model_key=record.model_key)
    np.testing.assert_allclose(
        ProjectionArrays.load(record.path).project(features), keras_model.project(features), atol=1e-5
    )


def test_exporting_twice_changes_nothing(gallery, user):
    record = trained_projection(user, legacy=True)
    projection_export(projection_id=record.id)
    record.refresh_from_db()
    exported = Path(record.path).read_bytes()
    projection_export(projection_id=record.id)
    assert TextProjection.objects.get(id=record.id).path == record.path
    assert Path(record.path).read_bytes() == exported


def test_legacy_projection_whose_file_is_gone_falls_back_to_zero_shot(gallery, user):
    record = trained_projection(user, legacy=True)
    Path(record.path).unlink()
    projection_export(projection_id=record.id)
    record.refresh_from_db()
    assert (record.path, record.active) == ("", False)
