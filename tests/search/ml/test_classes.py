import pytest

from search.ml.classes import (
    UnknownClass,
    class_name,
    class_names,
    label_name,
    label_tag,
    resolve_class,
    search_classes,
)


def test_there_are_1000_names_in_logit_order():
    names = class_names()

    assert len(names) == 1000
    assert names[284] == class_name(284) == "Siamese cat"


@pytest.mark.parametrize("value", [284, "284", "Siamese cat", "  siamese CAT "])
def test_resolve_accepts_id_or_name(value):
    assert resolve_class(value) == 284


@pytest.mark.parametrize("value", ["unicorn", "1000", -1, "siamese"])
def test_resolve_unknown_raises(value):
    with pytest.raises(UnknownClass):
        resolve_class(value)


def test_autocomplete_puts_prefix_matches_before_substring_matches():
    results = search_classes("cat")

    assert results[0] == (484, "catamaran")
    assert (284, "Siamese cat") in results[1:]


def test_autocomplete_respects_limit_and_ignores_blank_query():
    assert len(search_classes("a", limit=5)) == 5
    assert search_classes("  ") == []


def test_every_class_name_makes_a_valid_tag():
    from gallery.services import tag_normalise

    for class_id in range(1000):
        assert tag_normalise(label_tag(label_name(class_id)))


def test_gloss_class_names_use_the_wordnet_name():
    assert label_name(282) == "tiger cat"


@pytest.mark.parametrize(
    ("name", "tag"),
    [
        ("cardboard box / carton", "cardboard box"),
        ("St. Bernard", "St Bernard"),
        ("kite (bird of prey)", "kite"),
        ("red wolf or maned wolf", "red wolf"),
        ("tights for gymnastics, a one-piece leotard, or a sport jersey", "tights for gymnastics"),
    ],
)
def test_label_tag_keeps_the_head_words(name, tag):
    assert label_tag(name) == tag
