import functools

import numpy as np
import pytest
from django.core.files.base import ContentFile

from gallery import services
from gallery.models import Photo
from search import components
from search.index_versions import load_features, owner_dir
from search.ml.semantic import Projection, train_projection
from search.ml.words import normalize
from search.models import TextProjection
from tests import images

SAMPLE_NAMES = ("chelsea", "coffee", "astronaut", "rocket")


def upload_samples(owner, names=SAMPLE_NAMES, capture=None) -> dict[str, Photo]:
    with capture(execute=True):
        result = services.photos_upload(
            owner=owner, files=[ContentFile(images.jpeg(name), name=f"{name}.jpg") for name in names]
        )
    assert not result.rejected, result.rejected
    return {p.original_name.removesuffix(".jpg"): Photo.objects.get(id=p.id) for p in result.created}


@pytest.fixture
def gallery(user, django_capture_on_commit_callbacks):
    """The user's four sample photos, processed (embedded, tagged) as the worker would."""
    return upload_samples(user, capture=django_capture_on_commit_callbacks)


def names(hits) -> list[str]:
    return [hit.photo.original_name.removesuffix(".jpg") for hit in hits]


def result_names(response) -> list[str]:
    return [hit["photo"]["original_name"].removesuffix(".jpg") for hit in response.json()["results"]]


def trained_projection(owner, *, legacy: bool = False) -> TextProjection:
    """A real projection trained on the owner's photos, each photo's target its file name's word vector, recorded
    as the owner's active mapping: saved as arrays as training does today, or (``legacy``) as the .keras file
    training wrote before."""
    model_key = components.configured_model_key()
    photo_ids, features, _ = load_features(owner_id=owner.id, model_key=model_key)
    names = dict(Photo.objects.filter(id__in=photo_ids).values_list("id", "original_name"))
    projection = _trained(features.tobytes(), tuple(names[int(i)].removesuffix(".jpg") for i in photo_ids))
    path = owner_dir(owner.id) / f"projection-{model_key}-1.{'keras' if legacy else 'npz'}"
    if legacy:
        projection.save(path)
    else:
        projection.export().save(path)
    return TextProjection.objects.create(
        owner=owner,
        model_key=model_key,
        path=str(path),
        n_photos=len(photo_ids),
        n_tags=len(photo_ids),
        zeroshot_score=0.2,
        trained_score=0.9,
        active=True,
    )


@functools.cache
def _trained(features: bytes, words: tuple[str, ...]) -> Projection:
    """One training per set of photos in a test run: the sample photos' features are the same in every test."""
    space = components.word_space()
    targets = normalize(np.stack([space.vector(word) for word in words]))
    return train_projection(np.frombuffer(features, np.float32).reshape(len(words), -1), targets, epochs=20, seed=0)
