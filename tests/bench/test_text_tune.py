"""The text tuning grid scores words exactly as the app does, and chooses by the worse of its two sets."""

import numpy as np
import pytest

from bench.text_tune import APP, ClassCosines, objective, word_evidence
from search.ml import softclass
from search.ml.semantic import imagenet_class_matrix
from search.ml.words import get_word_space


@pytest.fixture(scope="module")
def space(tmp_path_factory):
    return get_word_space(cache_dir=tmp_path_factory.mktemp("words"))


@pytest.mark.parametrize("word", ["cat", "coffee", "grass", "boot"])
def test_word_evidence_gives_the_apps_scores(space, word):
    logits = np.random.default_rng(0).normal(0, 3, (300, 1000)).astype(np.float32)
    probabilities = softclass.class_probabilities(logits)
    vector = space.vector(word)
    app = softclass.dense_scores(probabilities, softclass.words_query([(1.0, vector)], imagenet_class_matrix(space)))
    evidence = word_evidence(APP, ClassCosines(space)("clean", vector), probabilities)
    np.testing.assert_allclose(softclass.term_score(evidence), app, atol=1e-5)


def test_synonym_names_bring_classes_at_least_as_close_as_the_clean_name(space):
    cosines = ClassCosines(space)
    vector = space.vector("denim")
    assert (cosines("max", vector) >= cosines("clean", vector) - 1e-6).all()
    assert cosines("max", vector).max() > cosines("clean", vector).max()


def test_objective_is_the_worse_sets_gain_and_requires_the_hub_target():
    reference = {"map": 0.3, "mrr": 0.7, "hub": 0.1}
    assert objective({"map": 0.36, "mrr": 0.77, "hub": 0.1}, reference) == (True, pytest.approx(1.1))
    assert objective({"map": 0.6, "mrr": 0.7, "hub": 0.1}, reference) == (True, pytest.approx(1.0))
    assert objective({"map": 0.6, "mrr": 0.9, "hub": 0.2}, reference)[0] is False
