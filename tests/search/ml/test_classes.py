import pytest

from search.ml.classes import UnknownClass, class_name, class_names, resolve_class, search_classes


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
