"""The LiteRT runtime against the Keras reference: the accuracy gates a runtime must pass to be offered."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from search.ml import litert
from search.ml.catalogue import model_runtime, model_version
from search.ml.encoder import get_encoder
from tests.images import SAMPLES, sample

PHOTOS = sorted(SAMPLES)
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def outputs(model_dir):
    images = [sample(name) for name in PHOTOS]
    return {
        runtime: get_encoder("lite0", cache_dir=model_dir, runtime=runtime).encode(images)
        for runtime in ("keras", "litert")
    }


def test_litert_features_have_cosine_at_least_0_99_to_keras_on_every_photo(outputs):
    reference, converted = outputs["keras"][0], outputs["litert"][0]
    cosine = (reference * converted).sum(1) / np.linalg.norm(reference, axis=1) / np.linalg.norm(converted, axis=1)

    assert cosine.min() >= 0.99, dict(zip(PHOTOS, cosine.round(4)))


def test_litert_top5_labels_agree_with_keras_on_every_photo(outputs):
    top5 = {
        runtime: [set(row) for row in np.argsort(-logits, axis=1)[:, :5].tolist()]
        for runtime, (_, logits) in outputs.items()
    }

    assert top5["litert"] == top5["keras"]


def test_litert_vectors_have_their_own_version():
    assert model_version("lite0", "litert") != model_version("lite0", "keras")
    assert model_runtime(model_version("lite0", "litert")) == "litert"
    assert model_runtime(model_version("lite0", "keras")) == "keras"


def test_converted_model_is_built_once_and_reused(model_dir, outputs):
    [converted] = model_dir.glob("*.tflite")
    written = converted.stat().st_mtime_ns

    def no_conversion(*args, **kwargs):
        raise AssertionError("converted again although the file exists")

    runner = litert.Runner(litert.cached_model(converted, build=no_conversion))

    assert converted.stat().st_mtime_ns == written
    features, logits = runner(np.zeros((2, 224, 224, 3), np.uint8))
    assert features.shape == (2, 1280) and logits.shape == (2, 1000)


def test_one_image_after_a_batch_gives_the_same_vector(model_dir, outputs):
    encoder = get_encoder("lite0", cache_dir=model_dir, runtime="litert")
    alone, _ = encoder.encode([sample(PHOTOS[0])])

    np.testing.assert_allclose(alone[0], outputs["litert"][0][0], rtol=1e-4, atol=1e-4)


def test_litert_encoder_runs_without_tensorflow_once_its_files_exist(model_dir, outputs):
    """Ensure a LiteRT worker whose converted model exists imports neither TensorFlow nor Keras."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from search.ml.encoder import get_encoder\n"
        "from tests.images import sample\n"
        f"encoder = get_encoder('lite0', cache_dir=Path({str(model_dir)!r}), runtime='litert')\n"
        f"features, _ = encoder.encode([sample({PHOTOS[0]!r})])\n"
        "print(features.shape[1], 'tensorflow' in sys.modules, 'keras' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-3:] == ["1280", "False", "False"]
