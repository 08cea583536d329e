import pytest

from search.ml import relevance


def test_labels_follow_the_thresholds():
    found = relevance.Thresholds(strong=0.6, possible=0.4)
    assert [found.label(s) for s in (0.7, 0.6, 0.5, 0.1)] == ["strong", "strong", "possible", "weak"]


@pytest.mark.parametrize("kind", [relevance.WORDS, relevance.CLASS, relevance.IMAGE])
def test_stored_thresholds_exist_for_the_default_model(kind):
    found = relevance.thresholds("lite0", kind)
    assert found is not None and found.possible <= found.strong


def test_an_unfitted_model_gets_no_labels():
    assert relevance.labels([0.5, 0.9], model="vgg16", kind=relevance.WORDS) == [None, None]
