import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import images
from tests.search.conftest import result_names

pytestmark = pytest.mark.django_db


def test_similar_by_photo_id(api, gallery):
    response = api.get(f"/api/search/similar/?photo={gallery['coffee'].id}&k=2")
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 2
    assert {"id", "thumbnail_url", "original_name", "tags"} <= set(body["results"][0]["photo"])
    scores = [hit["score"] for hit in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_similar_by_uploaded_image_is_not_stored(api, gallery):
    from gallery.models import Photo

    before = Photo.objects.count()
    response = api.post("/api/search/similar/", {"image": SimpleUploadedFile("q.jpg", images.jpeg("chelsea"))})
    assert response.status_code == 200
    assert result_names(response)[0] == "chelsea"
    assert Photo.objects.count() == before


def test_similar_upload_with_class_moves_that_class_up(api, gallery):
    def coffee_lead(extra: dict) -> float:
        """How far the coffee photo is ahead of the best other photo (negative: behind)."""
        upload = SimpleUploadedFile("q.jpg", images.jpeg("camera"))  # not in the gallery
        response = api.post("/api/search/similar/", {"image": upload, **extra})
        assert response.status_code == 200
        scores = {hit["photo"]["original_name"]: hit["score"] for hit in response.json()["results"]}
        return scores.pop("coffee.jpg") - max(scores.values())

    assert coffee_lead({"class": "espresso"}) > coffee_lead({})


def test_non_image_query_upload_is_400(api, gallery):
    response = api.post("/api/search/similar/", {"image": SimpleUploadedFile("q.jpg", b"<html>hello</html>")})
    assert response.status_code == 400
    assert "not an image" in response.json()["image"][0]


def test_oversized_query_upload_is_400(api, gallery, settings):
    settings.UPLOAD_MAX_BYTES = 5_000
    response = api.post("/api/search/similar/", {"image": SimpleUploadedFile("q.jpg", images.jpeg("astronaut"))})
    assert response.status_code == 400
    assert "the limit is" in response.json()["image"][0]


def test_class_search(api, gallery):
    response = api.get("/api/search/class/?class=tabby cat&k=1")
    assert response.status_code == 200
    assert result_names(response) == ["chelsea"]


def test_unknown_class_is_400(api, gallery):
    response = api.get("/api/search/class/?class=flux capacitor")
    assert response.status_code == 400
    assert "flux capacitor" in response.json()["detail"]


def test_text_search_reports_mapping(api, gallery):
    response = api.get("/api/search/text/?q=cat&k=2")
    assert response.status_code == 200
    assert result_names(response)[0] == "chelsea"
    assert response.json()["mapping"]["method"] == "zero-shot"


def test_unknown_word_is_400_naming_it(api, gallery):
    response = api.get("/api/search/text/?q=cat zzqxv")
    assert response.status_code == 400
    assert "“zzqxv”" in response.json()["detail"]


def test_empty_text_query_is_400(api, gallery):
    response = api.get("/api/search/text/?q=")
    assert response.status_code == 400
    assert "at least one word" in response.json()["detail"]


def test_similar_words(api):
    response = api.get("/api/words/similar/?q=ocean&k=5")
    assert response.status_code == 200
    words = [row["word"] for row in response.json()["results"]]
    assert len(words) == 5 and "ocean" not in words
    assert {"sea", "waters", "pacific", "atlantic", "coast"} & set(words)


def test_similar_words_unknown_is_400(api):
    response = api.get("/api/words/similar/?q=zzqxv")
    assert response.status_code == 400
    assert "zzqxv" in response.json()["detail"]


def test_class_autocomplete(api):
    response = api.get("/api/classes/?q=siam")
    assert response.status_code == 200
    assert {"id": 284, "name": "Siamese cat"} in response.json()["results"]


def test_search_requires_authentication(client):
    assert client.get("/api/search/text/?q=cat").status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "/api/search/similar/?photo={id}",
        "/api/search/similar/?photo={id}&class=tabby cat",
        "/api/search/text/?q=cat&photo={id}",
    ],
)
def test_other_users_photo_as_query_is_404(other_api, gallery, url):
    assert other_api.get(url.format(id=gallery["chelsea"].id)).status_code == 404


def test_other_user_finds_nothing_of_ours(other_api, gallery):
    assert other_api.get("/api/search/text/?q=cat").json()["results"] == []
    assert other_api.get("/api/search/class/?class=tabby cat").json()["results"] == []
    response = other_api.post("/api/search/similar/", {"image": SimpleUploadedFile("q.jpg", images.jpeg("chelsea"))})
    assert response.json()["results"] == []


@pytest.mark.parametrize("body", ["null", "true", "3", '["photos"]'])
def test_similar_post_with_a_json_body_that_is_no_object_is_400(api, body):
    """Found by the schema fuzzer: was a 500."""
    response = api.post("/api/search/similar/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()


def test_keep_best_refuses_an_id_beyond_64_bits(api):
    response = api.post("/api/duplicates/keep-best/", {"all": False, "photos": [2**63]}, format="json")
    assert response.status_code == 400  # found by the schema fuzzer: was a 500
    assert "photos" in response.json()


def test_text_results_carry_match_labels_and_offered_classes(api, gallery):
    body = api.get("/api/search/text/?q=cat&k=4").json()
    assert (body["results"][0]["photo"]["original_name"], body["results"][0]["match"]) == ("chelsea.jpg", "strong")
    assert [c["name"] for c in body["classes"]][:2] == ["tabby cat", "tiger cat"]


def test_text_search_takes_a_class(api, gallery):
    response = api.get("/api/search/text/?q=space&class=espresso&k=1")
    assert response.status_code == 200
    assert result_names(response) == ["coffee"]


def test_a_typo_is_corrected_and_says_so(api, gallery):
    response = api.get("/api/search/text/?q=coffe")
    assert response.status_code == 200
    assert response.json()["spelling"] == {"original": "coffe", "corrected": "coffee"}
    assert result_names(response)[0] == "coffee"


def test_terms_say_how_each_word_was_read(api, gallery):
    response = api.get("/api/search/text/?q=a photo of a cup -coffee")
    assert response.json()["terms"] == [
        {"word": "cup", "as": "thing", "shown": "cup", "negated": False},
        {"word": "coffee", "as": "thing", "shown": "coffee", "negated": True},
    ]


def test_unknown_word_searched_exactly_is_a_400_with_suggestions(api, gallery):
    response = api.get("/api/search/text/?q=coffe&exact=true")
    assert response.status_code == 400
    assert response.json()["suggestions"][0] == "coffee"
    assert "Did you mean “coffee”" in response.json()["detail"]


def test_similar_words_of_an_unknown_word_suggest_spellings(api):
    response = api.get("/api/words/similar/?q=rokcet")
    assert (response.status_code, response.json()["suggestions"][:1]) == (400, ["rocket"])
