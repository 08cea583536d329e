import numpy as np
import pytest

from search.ml import words
from search.ml.words import STOPWORDS, UnknownWord, WordSpace, get_word_space


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("words")


@pytest.fixture(scope="module")
def space(cache_dir):
    return get_word_space(cache_dir=cache_dir)


def test_similar_words_of_ocean_are_sea_words(space):
    neighbours = [w for w, _ in space.similar("ocean", 10)]
    assert {"sea", "seas", "waters", "oceans", "coast"} & set(neighbours)


def test_similar_excludes_the_word_itself(space):
    assert "cat" not in [w for w, _ in space.similar("cat", 20)]


def test_similar_scores_are_cosines_in_descending_order(space):
    results = space.similar("guitar", 10)
    scores = [s for _, s in results]
    assert scores == sorted(scores, reverse=True)
    for word, score in results:
        assert score == pytest.approx(float(space.vector("guitar") @ space.vector(word)), abs=1e-4)


def test_similar_never_returns_stopwords_or_non_words(space):
    for query in ["the", "of", "however", "1990", "cat", "would", "it"]:
        for word, _ in space.similar(query, 30):
            assert word not in STOPWORDS
            assert word.isalpha() and word.islower() and len(word) >= 3


def test_vocabulary_is_filtered_and_frequency_limited(space):
    assert 30_000 < len(space.vocabulary) <= words.VOCAB_SIZE
    assert not STOPWORDS & set(space.vocabulary)


def test_lookup_is_case_insensitive(space):
    np.testing.assert_array_equal(space.vector("Ocean"), space.vector("ocean"))
    assert "OCEAN" in space


def test_rare_word_outside_filtered_vocabulary_still_has_a_vector(space):
    assert "pullover" not in space.vocabulary
    assert np.linalg.norm(space.vector("pullover")) == pytest.approx(1.0)


def test_unknown_word_error_names_the_word(space):
    with pytest.raises(UnknownWord, match="qwxzzyq") as error:
        space.vector("qwxzzyq")
    assert error.value.word == "qwxzzyq"


def test_phrase_vector_is_the_mean_of_its_words(space):
    expected = space.vector("siamese") + space.vector("cat")
    np.testing.assert_allclose(space.phrase_vector("Siamese cat"), expected / np.linalg.norm(expected), atol=1e-6)


def test_phrase_vector_skips_unknown_tokens_and_stopwords(space):
    expected = space.phrase_vector("hen woods")
    np.testing.assert_allclose(space.phrase_vector("hen of the woods (xqzzq)"), expected, atol=1e-6)


def test_phrase_vector_without_known_words_raises(space):
    with pytest.raises(UnknownWord):
        space.phrase_vector("Qzzxq Xqqz")


def test_nearest_words_of_a_mixed_vector_covers_both_words(space):
    mixed = space.vector("king") + space.vector("woman") - space.vector("man")
    found = [w for w, _ in space.nearest_words(mixed / np.linalg.norm(mixed), 5)]
    assert "queen" in found


def test_word_index_is_built_once_and_reused(space, cache_dir, monkeypatch):
    index_files = list(cache_dir.glob("words-*.ann"))
    assert len(index_files) == 1
    mtime = index_files[0].stat().st_mtime_ns

    def fail(*args):
        raise AssertionError("index rebuilt")

    monkeypatch.setattr(WordSpace, "_build_index", fail)
    again = WordSpace(words._default_source(), cache_dir=cache_dir)
    assert again.similar("ocean", 5) == space.similar("ocean", 5)
    assert index_files[0].stat().st_mtime_ns == mtime


def test_get_word_space_is_shared_per_process(space, cache_dir):
    assert get_word_space(cache_dir=cache_dir) is space


def test_glove_text_file_is_parsed_once_then_memory_mapped(space, tmp_path, monkeypatch):
    sample = ["the", "cat", "dog", "sea", "ocean", "car", "truck", "of", "boat", "ship", "Paris"]
    glove = tmp_path / "tiny.6d.txt"
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(sample), 6)).astype(np.float32)
    glove.write_text("".join(w + " " + " ".join(f"{x:.5f}" for x in v) + "\n" for w, v in zip(sample, vectors)))
    cache = tmp_path / "cache"

    first = get_word_space(cache_dir=cache, source=glove)
    assert first.dim == 6
    np.testing.assert_allclose(first.vector("ship"), vectors[9] / np.linalg.norm(vectors[9]), atol=1e-4)
    assert first.vector("paris") @ first.vector("Paris") == pytest.approx(1.0)
    assert "the" not in first.vocabulary and "Paris" not in first.vocabulary

    monkeypatch.setattr(words, "_parse_glove_text", lambda path: pytest.fail("parsed twice"))
    second = WordSpace(words._text_source(glove, cache), cache_dir=cache)
    assert second.similar("cat", 3) == first.similar("cat", 3)


@pytest.mark.parametrize(
    ("typo", "meant"), [("coffe", "coffee"), ("espreso", "espresso"), ("rokcet", "rocket"), ("pengiun", "penguin")]
)
def test_spelling_offers_the_word_meant(space, typo, meant):
    assert space.spelling(typo)[0] == meant


def test_spelling_offers_nothing_for_gibberish(space):
    assert space.spelling("xqzvw") == []


def test_spelling_allows_one_edit_in_short_words(space):
    assert all(words._edit_distance("dgo", w) == 1 for w in space.spelling("dgo"))


def test_edit_distance_counts_a_swap_as_one_edit():
    assert (words._edit_distance("acbd", "abcd"), words._edit_distance("kitten", "sitting")) == (1, 3)
