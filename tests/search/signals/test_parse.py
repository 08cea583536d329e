"""Reading a query into terms: stop words, negation, phrases, tags of several words, typos."""

import pytest

from gallery import services
from search.signals.parse import parse, tokens
from search.signals.vectors import QueryError

pytestmark = pytest.mark.django_db


def read(terms) -> list[tuple[str, str, bool]]:
    return [(t.text, t.kind, t.negated) for t in terms]


def test_tokens_keep_a_quoted_phrase_whole_and_mark_negation():
    assert tokens('Cat -dog "Gate  12"') == [(False, "cat"), (True, "dog"), (False, '"gate 12"')]


def test_a_token_that_is_not_a_word_is_an_error():
    with pytest.raises(QueryError, match="is not a word"):
        tokens("cat <script>")


def test_stop_words_frame_the_query_and_are_dropped(user):
    assert read(parse(owner=user, q="a photo of the sea").terms) == [("sea", "thing", False)]


def test_a_tag_of_several_words_is_read_as_one_term(user, gallery):
    services.tag_add(photo=gallery["coffee"], name="grandmas kitchen")
    assert read(parse(owner=user, q="cup grandmas kitchen").terms) == [
        ("cup", "thing", False),
        ("grandmas kitchen", "tag", False),
    ]


def test_a_typo_is_corrected_and_reported(user):
    parsed = parse(owner=user, q="coffe -cat")
    assert read(parsed.terms) == [("coffee", "thing", False), ("cat", "thing", True)]
    assert parsed.spelling == {"original": "coffe -cat", "corrected": "coffee -cat"}


def test_an_exact_query_keeps_its_typo_and_fails_on_it(user):
    with pytest.raises(QueryError, match="Unknown word: “coffe”") as raised:
        parse(owner=user, q="coffe", exact=True)
    assert raised.value.params["suggestions"][0] == "coffee"


def test_a_word_nobody_knows_and_nothing_resembles_is_an_error(user):
    with pytest.raises(QueryError, match="Unknown word: “qxzvkj”"):
        parse(owner=user, q="qxzvkj")


@pytest.mark.parametrize(
    "q",
    ["black and white photo", "black & white", "b&w", "B/W", "monochrome", "grayscale", "greyscale photos"],
)
def test_every_spelling_of_black_and_white_is_one_colour_term(user, q):
    assert [(t.kind, t.value) for t in parse(owner=user, q=q).terms] == [("colour", "black and white")]


def test_an_ampersand_between_words_is_a_stop_word(user):
    assert read(parse(owner=user, q="cat & dog").terms) == [("cat", "thing", False), ("dog", "thing", False)]
