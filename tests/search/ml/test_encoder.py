import numpy as np
import pytest
from PIL import Image

from search.ml import efficientnet_lite
from search.ml.classes import class_name, resolve_class
from search.ml.encoder import ModelUnavailable, VGG16Encoder, get_encoder
from tests.images import sample

CATS = {
    resolve_class(n) for n in ("tabby cat", "a cat having a striped coat", "Egyptian Mau", "Persian cat", "Siamese cat")
}
COFFEE = {resolve_class(n) for n in ("espresso", "tea cup", "coffee mug")}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def encoder(model_dir):
    return get_encoder("lite0", cache_dir=model_dir)


def top3(encoder, name):
    _, logits = encoder.encode([sample(name)])
    return set(np.argsort(-logits[0])[:3].tolist())


def test_chelsea_is_a_cat(encoder):
    assert top3(encoder, "chelsea") & CATS, [class_name(i) for i in top3(encoder, "chelsea")]


def test_coffee_is_espresso_or_cup(encoder):
    assert top3(encoder, "coffee") & COFFEE, [class_name(i) for i in top3(encoder, "coffee")]


def test_encode_returns_float32_features_and_logits(encoder):
    features, logits = encoder.encode([sample("chelsea"), sample("rocket")])

    assert features.shape == (2, encoder.dim) == (2, 1280)
    assert logits.shape == (2, 1000)
    assert features.dtype == logits.dtype == np.float32


def test_logits_are_features_through_classifier(encoder):
    features, logits = encoder.encode([sample("coffee")])
    kernel, bias = encoder.classifier()

    np.testing.assert_allclose(features @ kernel + bias, logits, rtol=1e-4, atol=1e-3)


def test_same_image_gives_same_vector_alone_or_in_a_batch(encoder):
    alone, _ = encoder.encode([sample("chelsea")])
    batch, _ = encoder.encode([sample("coffee")] * 32 + [sample("chelsea")])  # second, partial batch

    assert batch.shape[0] == 33
    np.testing.assert_array_equal(alone[0], encoder.encode([sample("chelsea")])[0][0])
    np.testing.assert_allclose(alone[0], batch[32], atol=1e-5)


def test_preprocess_gives_square_uint8_pixels(encoder):
    pixels = encoder.preprocess(Image.new("L", (300, 120), 128))

    assert pixels.shape == (224, 224, 3)
    assert pixels.dtype == np.uint8


def test_encode_of_nothing_is_empty(encoder):
    features, logits = encoder.encode([])

    assert features.shape == (0, 1280) and logits.shape == (0, 1000)


def test_get_encoder_loads_once_per_process(encoder, model_dir):
    assert get_encoder("lite0", cache_dir=model_dir) is encoder


def test_unknown_model_name_is_an_error(model_dir):
    with pytest.raises(ValueError, match="unknown image model"):
        get_encoder("resnet", cache_dir=model_dir)


def test_unknown_runtime_is_an_error(model_dir):
    with pytest.raises(ValueError, match="unknown runtime"):
        get_encoder("lite0", cache_dir=model_dir, runtime="tensorrt")


def test_weights_cache_is_written_once_and_reused(encoder, model_dir, monkeypatch):
    """Ensure later loads read only the Keras cache file, never the torch checkpoint."""
    cached = model_dir / efficientnet_lite.weights_filename("lite0")
    written = cached.stat().st_mtime_ns

    def no_checkpoint(name):
        raise AssertionError("torch checkpoint read although the cache exists")

    monkeypatch.setattr(efficientnet_lite, "torch_checkpoint", no_checkpoint)
    model = efficientnet_lite.load("lite0", cache_dir=model_dir)

    assert cached.stat().st_mtime_ns == written
    np.testing.assert_array_equal(efficientnet_lite.classifier_weights(model)[0], encoder.classifier()[0])


def test_vgg16_gives_4096_features_and_1000_logits():
    vgg = VGG16Encoder(weights=None)
    features, logits = vgg.encode([sample("astronaut")])

    assert features.shape == (1, 4096) and vgg.dim == 4096
    assert logits.shape == (1, 1000)


def test_vgg16_offline_says_how_to_fix_it(monkeypatch):
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(file_utils, "get_file", offline)
    with pytest.raises(ModelUnavailable, match=r"offline.*SEARCH_MODEL=lite0"):
        VGG16Encoder(weights="imagenet")
