"""ConSE, the zero-shot baseline bench.quality_text reports beside soft class matching."""

import numpy as np
import pytest

from bench.quality_text import conse
from search.ml.classes import class_names
from search.ml.semantic import imagenet_class_matrix
from search.ml.words import get_word_space


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    return get_word_space(cache_dir=tmp_path_factory.mktemp("words"))


@pytest.fixture(scope="module")
def class_matrix(space):
    return imagenet_class_matrix(space)


def one_hot_logits(class_name: str) -> np.ndarray:
    logits = np.zeros((1, 1000), np.float32)
    logits[0, class_names().index(class_name)] = 20.0
    return logits


def test_conse_of_a_confident_siamese_cat_prediction_is_near_cat(space, class_matrix):
    vector = conse(one_hot_logits("Siamese cat"), class_matrix)[0]
    assert "cat" in [w for w, _ in space.nearest_words(vector, 3)]


def test_conse_weights_classes_by_probability(space, class_matrix):
    logits = np.zeros((1, 1000), np.float32)
    logits[0, class_names().index("Siamese cat")] = 10.0
    logits[0, class_names().index("sports car")] = 9.0
    vector = conse(logits, class_matrix, top=2)[0]
    assert vector @ space.vector("cat") > vector @ space.vector("car") > 0.3


def test_conse_returns_unit_vectors_per_image(class_matrix):
    logits = np.random.default_rng(0).normal(size=(7, 1000)).astype(np.float32)
    vectors = conse(logits, class_matrix)
    assert vectors.shape == (7, class_matrix.shape[1])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
