import numpy as np
import pytest

from gallery.models import PhotoTag
from search import components, indexes, ingest, query
from search.models import PhotoEmbedding
from tests.search.conftest import names

pytestmark = pytest.mark.django_db


def test_each_photo_gets_one_vector_of_the_model(gallery):
    embedding = PhotoEmbedding.objects.get(photo=gallery["chelsea"])
    assert f"{embedding.model_name}-{embedding.model_version}" == components.configured_model_key()
    assert embedding.model_name == "lite0"
    assert embedding.as_array().shape == (1280,) and np.isfinite(embedding.as_array()).all()


def test_suggestions_are_few_with_probabilities(gallery):
    from search.ml.suggest import MAX_SUGGESTIONS

    for photo in gallery.values():
        links = PhotoTag.objects.filter(photo=photo)
        assert all(link.source == "auto" and link.state == "suggested" for link in links)
        assert len(links) <= MAX_SUGGESTIONS
        assert all(0.0 <= link.confidence <= 1.0 for link in links)


def test_cat_photos_first_suggestion_is_a_cat_word(gallery):
    first = PhotoTag.objects.filter(photo=gallery["chelsea"]).order_by("-confidence").first()
    assert first is not None and first.tag.name in {
        "cat",
        "cats",
        "kitten",
        "tabby cat",
        "tiger cat",
        "egyptian mau",
        "persian cat",
        "siamese cat",
        "tabby",
    }


def test_vague_photo_gets_few_or_no_suggestions(user, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from gallery import services
    from tests import images

    rng = np.random.default_rng(0)
    noise = images.Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8))
    with django_capture_on_commit_callbacks(execute=True):
        created = services.photos_upload(
            owner=user, files=[ContentFile(images.encode(noise, "PNG"), name="noise.png")]
        ).created
    assert PhotoTag.objects.filter(photo_id=created[0].id).count() <= 1


def test_repeatedly_rejected_word_stops_being_suggested(user, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile

    from gallery import services
    from tests import images

    def upload(contents: list[bytes], start: int):
        with django_capture_on_commit_callbacks(execute=True):
            result = services.photos_upload(
                owner=user, files=[ContentFile(c, name=f"cat-{start + i}.jpg") for i, c in enumerate(contents)]
            )
        return result.created

    variants = images.variants("chelsea", 4)
    for photo in upload(variants[:3], 0):
        assert PhotoTag.objects.filter(photo_id=photo.id, tag__name="cat").exists()  # suggested at first...
        services.tag_decide(photo=photo, name="cat", accept=False)  # ...and rejected every time
    later = upload(variants[3:], 3)[0]
    assert not PhotoTag.objects.filter(photo_id=later.id, tag__name="cat").exists()


def test_rejected_suggestion_is_not_suggested_again(gallery, django_capture_on_commit_callbacks):
    from gallery import services
    from tests import images

    photo = gallery["coffee"]
    name = PhotoTag.objects.filter(photo=photo).order_by("-confidence").first().tag.name
    services.tag_decide(photo=photo, name=name, accept=False)
    ingest.photos_tag(embedded=ingest.photos_embed(photos=[photo], images=[images.sample("coffee")]))  # a retry
    assert PhotoTag.objects.get(photo=photo, tag__name=name).state == "rejected"


def test_processing_twice_keeps_one_vector(gallery):
    from tests import images

    ingest.photos_embed(photos=[gallery["rocket"]], images=[images.sample("rocket")])
    assert PhotoEmbedding.objects.filter(photo=gallery["rocket"]).count() == 1


def test_model_change_reembeds_while_old_vectors_serve(user, gallery, settings, monkeypatch):
    """Ensure switching SEARCH_MODEL keeps search working on old vectors until the new model has caught up."""
    from search.ml.encoder import VGG16Encoder

    vgg = VGG16Encoder(weights=None)  # random weights: the wiring, not the quality, is under test
    real_encoder = components.encoder
    monkeypatch.setattr(
        components,
        "encoder",
        lambda name=None, runtime=None: (
            vgg if (name or settings.SEARCH_MODEL) == "vgg16" else real_encoder(name, runtime=runtime)
        ),
    )
    old_key = components.configured_model_key()
    settings.SEARCH_MODEL = "vgg16"

    assert query.serving_model_key(owner=user) == old_key
    assert names(query.by_text(owner=user, q="cat", k=1)) == ["chelsea"]  # still the Lite0 index
    missing = ingest.photos_missing_vectors(owner_id=user.id)
    assert len(missing) == 4

    assert ingest.photos_reembed(photo_ids=missing) == 4
    assert query.serving_model_key(owner=user) == old_key  # until the new model's index is published
    assert indexes.index_rebuild_try(owner_id=user.id)
    assert query.serving_model_key(owner=user) == "vgg16-1"
    assert PhotoEmbedding.objects.get(photo=gallery["chelsea"], model_name="vgg16").as_array().shape == (4096,)
    assert len(query.similar_to_photo(owner=user, photo_id=gallery["chelsea"].id, k=3)) == 3
    assert ingest.photos_missing_vectors(owner_id=user.id) == []


def test_runtime_change_reembeds_while_old_vectors_serve(user, gallery, settings):
    """Ensure switching SEARCH_RUNTIME (LiteRT ↔ Keras) re-embeds in the background, old vectors serving meanwhile."""
    old_key = components.configured_model_key()
    settings.SEARCH_RUNTIME = "keras" if settings.SEARCH_RUNTIME == "litert" else "litert"
    new_key = components.configured_model_key()

    assert new_key != old_key
    assert query.serving_model_key(owner=user) == old_key
    assert names(query.by_text(owner=user, q="cat", k=1)) == ["chelsea"]  # the old runtime's index still serves
    missing = ingest.photos_missing_vectors(owner_id=user.id)
    assert len(missing) == 4

    assert ingest.photos_reembed(photo_ids=missing) == 4
    assert query.serving_model_key(owner=user) == old_key  # until the new vectors' index is published
    assert indexes.index_rebuild_try(owner_id=user.id)
    assert query.serving_model_key(owner=user) == new_key
    assert names(query.by_text(owner=user, q="cat", k=1)) == ["chelsea"]
    assert len(query.similar_to_photo(owner=user, photo_id=gallery["chelsea"].id, k=3)) == 3
    assert ingest.photos_missing_vectors(owner_id=user.id) == []
