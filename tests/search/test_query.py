"""Search services end to end on the real model and small real photos (eager tasks, real Redis)."""

import pytest

from gallery import services
from gallery.models import Photo
from search import query
from tests import images
from tests.search.conftest import names

pytestmark = pytest.mark.django_db


def test_photos_are_ready_with_auto_tags(gallery):
    cat = gallery["chelsea"]
    assert cat.status == Photo.Status.READY
    tags = {link.tag.name: link for link in cat.photo_tags.select_related("tag")}
    assert any(name in tags for name in ("tabby cat", "tiger cat", "egyptian mau", "cat")), tags


def test_text_search_cat_ranks_chelsea_first(user, gallery):
    assert names(query.by_text(owner=user, q="cat", k=4))[0] == "chelsea"


def test_text_search_drink_finds_coffee(user, gallery):
    assert names(query.by_text(owner=user, q="drink", k=4))[0] == "coffee"


def test_similar_to_image_finds_its_twin(user, gallery):
    hits = query.similar_to_image(owner=user, image=images.sample("chelsea").resize((300, 200)), k=4)
    assert names(hits)[0] == "chelsea"
    assert hits[0].score > 0.8


def test_similar_to_photo_excludes_itself(user, gallery):
    hits = query.similar_to_photo(owner=user, photo_id=gallery["coffee"].id, k=10)
    assert "coffee" not in names(hits) and len(hits) == 3


def test_negative_word_pushes_results_away(user, gallery):
    plain = query.by_text(owner=user, q="cup", k=4)
    pushed = query.by_text(owner=user, q="cup -coffee", k=4)
    score = {hit.photo.id: hit.score for hit in plain}
    pushed_score = {hit.photo.id: hit.score for hit in pushed}
    coffee = gallery["coffee"].id
    # Relative to the other photos, coffee loses ground when "coffee" is pushed away.
    others = [pid for pid in score if pid != coffee]
    assert pushed_score[coffee] - max(pushed_score[p] for p in others) < score[coffee] - max(score[p] for p in others)


def test_text_with_photo_excludes_the_photo(user, gallery):
    hits = query.by_text(owner=user, q="space", k=4, photo_id=gallery["astronaut"].id)
    assert "astronaut" not in names(hits)
    assert names(hits)[0] == "rocket"


def test_unknown_word_error_names_it(user, gallery):
    with pytest.raises(query.QueryError, match="Unknown word: “blorptastic”"):
        query.by_text(owner=user, q="cat blorptastic", k=4)


def test_empty_text_query_is_an_error(user, gallery):
    with pytest.raises(query.QueryError, match="at least one word"):
        query.by_text(owner=user, q="   ", k=4)


def test_only_negative_words_is_an_error(user, gallery):
    with pytest.raises(query.QueryError, match="Add a word"):
        query.by_text(owner=user, q="-cat", k=4)


def test_class_search_ranks_matching_photo_first(user, gallery):
    assert names(query.by_class(owner=user, class_value="tabby cat", k=4))[0] == "chelsea"
    assert names(query.by_class(owner=user, class_value="967", k=4))[0] == "coffee"  # 967 = espresso


def test_class_conditioning_favours_that_class(user, gallery):
    astronaut = gallery["astronaut"].id
    assert names(query.similar_to_photo(owner=user, photo_id=astronaut, k=3))[-1] == "chelsea"
    assert names(query.similar_to_photo(owner=user, photo_id=astronaut, k=3, class_value="tabby cat"))[0] == "chelsea"
    assert names(query.similar_to_photo(owner=user, photo_id=astronaut, k=3, class_value="espresso"))[0] == "coffee"


def test_unknown_class_is_an_error(user, gallery):
    with pytest.raises(query.QueryError, match="No kind of thing is called “flux capacitor”"):
        query.by_class(owner=user, class_value="flux capacitor", k=4)


def test_deleted_photo_is_never_returned(user, gallery, django_capture_on_commit_callbacks):
    from search.indexes import index_rebuild_try

    assert index_rebuild_try(owner_id=user.id)  # the cat is now inside a published index, not only the delta
    with django_capture_on_commit_callbacks(execute=False):  # the follow-up rebuild does not run
        services.photo_delete(photo=gallery["chelsea"])
    for hits in (
        query.by_text(owner=user, q="cat", k=10),
        query.by_class(owner=user, class_value="tabby cat", k=10),
        query.similar_to_image(owner=user, image=images.sample("chelsea"), k=10),
    ):
        assert "chelsea" not in names(hits) and len(hits) == 3


def test_trashed_photo_gives_its_place_in_the_top_k_to_the_next_photo(user, gallery):
    from search.indexes import index_rebuild_try

    assert index_rebuild_try(owner_id=user.id)  # the trashed photo stays inside the published index
    nearest = names(query.similar_to_photo(owner=user, photo_id=gallery["chelsea"].id, k=2))
    services.photos_trash(owner=user, photo_ids=[gallery[nearest[0]].id])
    hits = query.similar_to_photo(owner=user, photo_id=gallery["chelsea"].id, k=2)
    assert nearest[0] not in names(hits) and len(hits) == 2


def test_results_never_include_other_users_photos(user, other_user, gallery, django_capture_on_commit_callbacks):
    from tests.search.conftest import upload_samples

    upload_samples(other_user, names=("chelsea",), capture=django_capture_on_commit_callbacks)
    theirs = set(Photo.objects.filter(owner=other_user).values_list("id", flat=True))
    for hits in (
        query.by_text(owner=user, q="cat", k=10),
        query.similar_to_image(owner=user, image=images.sample("chelsea"), k=10),
        query.by_class(owner=user, class_value="tabby cat", k=10),
    ):
        assert not theirs & {hit.photo.id for hit in hits}
        assert len(hits) == 4


def test_photo_found_before_and_after_rebuild(user, gallery):
    from search.indexes import index_rebuild_try
    from search.models import SearchIndex

    before = names(query.by_text(owner=user, q="cat", k=4))
    assert index_rebuild_try(owner_id=user.id)
    assert set(SearchIndex.objects.filter(owner=user).values_list("space", flat=True)) == {"image", "text"}
    assert names(query.by_text(owner=user, q="cat", k=4)) == before


def test_own_tag_ranks_first_even_against_the_vectors(user, gallery):
    services.tag_add(photo=gallery["rocket"], name="cat")  # the owner's word beats the model's view
    hits = query.by_text(owner=user, q="cat", k=4)
    assert names(hits)[:2] == ["rocket", "chelsea"]


def test_tag_unknown_to_glove_is_searchable(user, gallery):
    services.tag_add(photo=gallery["coffee"], name="xmas2024")
    hits = query.by_text(owner=user, q="xmas2024", k=4)
    assert names(hits)[0] == "coffee"
    with pytest.raises(query.QueryError, match="Unknown word: “xmas2025”"):
        query.by_text(owner=user, q="xmas2025", k=4)


def test_negative_tag_pushes_tagged_photo_down(user, gallery):
    services.tag_add(photo=gallery["chelsea"], name="indoors")
    assert names(query.by_text(owner=user, q="cat -indoors", k=4))[-1] == "chelsea"


def test_other_users_tags_do_not_count(user, other_user, gallery, django_capture_on_commit_callbacks):
    from tests.search.conftest import upload_samples

    theirs = upload_samples(other_user, names=("rocket",), capture=django_capture_on_commit_callbacks)["rocket"]
    services.tag_add(photo=theirs, name="zzsecret")
    with pytest.raises(query.QueryError, match="Unknown word"):
        query.by_text(owner=user, q="zzsecret", k=4)


def test_unknown_word_suggests_the_closest_spellings(user, gallery):
    with pytest.raises(query.QueryError) as raised:
        query.by_text(owner=user, q="coffe", k=4)
    assert raised.value.params["suggestions"][0] == "coffee"
    assert "Did you mean “coffee”" in raised.value.messages[0]


def test_text_hits_carry_a_relevance_label(user, gallery):
    hits = query.by_text(owner=user, q="cat", k=4)
    assert hits[0].match == "strong"
    assert {hit.match for hit in hits[1:]} <= {"possible", "weak"}


def test_class_hits_are_labelled_on_the_same_scale(user, gallery):
    hits = query.by_class(owner=user, class_value="tabby cat", k=4)
    assert (names(hits)[0], hits[0].match) == ("chelsea", "strong")
    assert hits[-1].match == "weak"


def test_image_hits_are_labelled_on_the_same_scale(user, gallery):
    hits = query.similar_to_image(owner=user, image=images.sample("chelsea").resize((300, 200)), k=4)
    assert [hit.match for hit in hits] == ["strong", "weak", "weak", "weak"]


def test_a_class_narrows_words(user, gallery):
    """ "space" matches the rocket and the astronaut; the class "space shuttle" keeps the rocket on top, and
    an unrelated class (espresso) changes the order: the class is not ignored."""
    assert names(query.by_text(owner=user, q="space", k=2, class_value="space shuttle"))[0] == "rocket"
    assert names(query.by_text(owner=user, q="space", k=1, class_value="espresso")) == ["coffee"]


def test_a_class_alone_is_a_text_query(user, gallery):
    assert names(query.by_text(owner=user, q="", k=1, class_value="espresso")) == ["coffee"]


def test_an_unknown_class_with_words_is_an_error(user, gallery):
    with pytest.raises(query.QueryError, match="No kind of thing is called “catz”"):
        query.by_text(owner=user, q="cat", k=4, class_value="catz")


def test_words_offer_the_classes_they_name():
    assert [c["name"] for c in query.classes_offered(q="cat -dog 2023")][:2] == ["tabby cat", "tiger cat"]
    assert query.classes_offered(q="sunset") == []


def test_a_word_given_as_a_class_lists_the_kinds_it_names(user, gallery):
    with pytest.raises(query.QueryError, match="“cat” names several kinds of thing") as raised:
        query.by_class(owner=user, class_value="cat", k=4)
    assert raised.value.params["suggestions"][:2] == ["tabby cat", "tiger cat"]
