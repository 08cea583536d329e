"""The image model behind a plain interface: PIL images → (features, ImageNet logits).

Everything that turns pixels into vectors lives here, so index time and query time
cannot drift apart: ``Encoder.preprocess`` is the only definition of resizing.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image, ImageOps

from search.ml import litert
from search.ml.atomic import atomic_write
from search.ml.catalogue import (
    LITE_WEIGHTS_VERSION,
    RUNTIMES,
    VARIANTS,
    VGG16_INPUT_SIZE,
    VGG16_VERSION,
    model_version,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BATCH_SIZE = 32


@functools.cache
def _tf():
    """TensorFlow, imported on first use: a LiteRT worker whose converted model exists never imports it."""
    import tensorflow as tf

    # One op at a time, each using every core, so concurrent ops don't fight over the few cores.
    # Only possible before TF starts.
    try:
        tf.config.threading.set_intra_op_parallelism_threads(os.cpu_count() or 1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass
    return tf


class ModelUnavailable(RuntimeError):
    """The model's weights cannot be obtained (typically: offline and not cached)."""


class Encoder(Protocol):
    """Image → (features (N, dim) float32, logits (N, 1000) float32)."""

    name: str
    version: str
    dim: int
    input_size: int

    def preprocess(self, image: Image.Image) -> np.ndarray: ...

    def encode(self, images: list[Image.Image]) -> tuple[np.ndarray, np.ndarray]: ...

    def encode_pixels(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def classifier(self) -> tuple[np.ndarray, np.ndarray]: ...


def square_crop_resize(image: Image.Image, *, size: int) -> np.ndarray:
    """Return the central square of ``image`` at size×size as uint8 RGB.

    A centre square keeps the aspect ratio the ImageNet models were trained on, yet
    keeps more of a photo than the usual 87.5% evaluation crop, which matters when
    the subject is off-centre. EXIF rotation is applied so a phone photo matches
    the same photo rotated on disk.

    A JPEG that is not loaded yet is decoded at reduced scale (``Image.draft``), in
    place: hand in an image you do not need at full size afterwards.
    """
    image.draft("RGB", (size, size))
    image = ImageOps.exif_transpose(image).convert("RGB")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return np.asarray(square.resize((size, size), Image.Resampling.BICUBIC), dtype=np.uint8)


class _BatchEncoder:
    """Shared batching: batches of up to BATCH_SIZE through one forward function on uint8 pixels.

    The batch dimension is left open, so one query image costs one forward pass, not a padded batch.
    """

    name: str
    version: str
    dim: int
    input_size: int

    def __init__(self, *, run, classifier: tuple[np.ndarray, np.ndarray]):
        self._run = run  # uint8 (n, size, size, 3) → (features, logits) as numpy
        self._classifier = classifier

    def preprocess(self, image: Image.Image) -> np.ndarray:
        return square_crop_resize(image, size=self.input_size)

    def encode(self, images: list[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
        pixels = np.stack([self.preprocess(image) for image in images]) if images else None
        return self.encode_pixels(pixels)

    def encode_pixels(self, pixels: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Encode already preprocessed uint8 (N, size, size, 3) pixels."""
        if pixels is None or len(pixels) == 0:
            return np.zeros((0, self.dim), np.float32), np.zeros((0, 1000), np.float32)
        features, logits = [], []
        for start in range(0, len(pixels), BATCH_SIZE):
            batch_features, batch_logits = self._run(pixels[start : start + BATCH_SIZE])
            features.append(batch_features)
            logits.append(batch_logits)
        return np.concatenate(features).astype(np.float32), np.concatenate(logits).astype(np.float32)

    def classifier(self) -> tuple[np.ndarray, np.ndarray]:
        """Return (W (dim, 1000), b (1000,)) so that logits = features @ W + b."""
        return self._classifier


def _keras_run(forward, input_size: int):
    """A traced tf.function: model.predict is slower for this workload, and XLA (jit_compile) far slower here."""
    tf = _tf()
    function = tf.function(forward, input_signature=[tf.TensorSpec((None, input_size, input_size, 3), tf.uint8)])

    def run(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        features, logits = function(tf.constant(pixels))
        return features.numpy(), logits.numpy()

    return run


class LiteEncoder(_BatchEncoder):
    """EfficientNet-Lite0/1: 1280-d features, fast on CPU, run by Keras or by LiteRT.

    ``version`` names the weights and preprocessing, plus the runtime when it is not Keras: another runtime
    gives (very slightly) other vectors, so switching re-embeds through the same path as switching models.
    """

    dim = 1280

    def __init__(self, name: str, *, cache_dir: Path, runtime: str = "keras"):
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
        self.name, self.runtime = name, runtime
        self.input_size = VARIANTS[name].input_size
        self.version = model_version(name, runtime)
        if runtime == "litert":
            run, classifier = self._litert(cache_dir)
        else:
            model = _efficientnet_lite().load(name, cache_dir=cache_dir)
            run, classifier = _keras_run(_forward(model), self.input_size), _classifier_weights(model)
        super().__init__(run=run, classifier=classifier)

    def _litert(self, cache_dir: Path):
        """The converted model and its final layer, each a file: Keras builds them once, and after that a LiteRT
        worker runs without Keras or TensorFlow."""
        path = cache_dir / f"efficientnet-{self.name}-v{LITE_WEIGHTS_VERSION}.tflite"
        classifier_path = path.with_suffix(".classifier.npz")
        if not (path.exists() and classifier_path.exists()):
            model = _efficientnet_lite().load(self.name, cache_dir=cache_dir)
            weights, bias = _classifier_weights(model)
            litert.cached_model(path, build=lambda: _litert_convert(_forward(model), input_size=self.input_size))
            atomic_write(classifier_path, lambda tmp: np.savez(tmp, weights=weights, bias=bias))
        with np.load(classifier_path) as saved:
            classifier = saved["weights"], saved["bias"]
        return litert.Runner(path), classifier


def _efficientnet_lite():
    """The Keras builder, imported on first use: a LiteRT worker whose converted file exists never needs it."""
    from search.ml import efficientnet_lite

    return efficientnet_lite


def _forward(model):
    tf = _tf()

    def forward(pixels):
        return tuple(model(tf.cast(pixels, tf.float32), training=False))

    return forward


def _classifier_weights(model) -> tuple[np.ndarray, np.ndarray]:
    return _efficientnet_lite().classifier_weights(model)


def _litert_convert(forward, *, input_size: int) -> bytes:
    """A .tflite flatbuffer of ``forward``: uint8 (N, size, size, 3) → (features, logits), weights frozen in."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    tf = _tf()
    function = tf.function(forward, input_signature=[tf.TensorSpec((None, input_size, input_size, 3), tf.uint8)])
    frozen = convert_variables_to_constants_v2(function.get_concrete_function())
    return tf.lite.TFLiteConverter.from_concrete_functions([frozen]).convert()


class VGG16Encoder(_BatchEncoder):
    """VGG16 fc2: 4096-d features, many times the compute of Lite0; the seed's model, kept for comparison."""

    name = "vgg16"
    version = VGG16_VERSION
    dim = 4096
    input_size = VGG16_INPUT_SIZE

    def __init__(self, weights: str | None = "imagenet"):
        import keras

        tf = _tf()
        try:
            vgg = keras.applications.VGG16(weights=weights, include_top=True)
        except Exception as exc:
            if weights != "imagenet":
                raise
            raise ModelUnavailable(
                "VGG16 ImageNet weights could not be downloaded (offline?). Place "
                "vgg16_weights_tf_dim_ordering_tf_kernels.h5 in ~/.keras/models or set SEARCH_MODEL=lite0"
            ) from exc
        fc2 = keras.Model(vgg.input, vgg.get_layer("fc2").output)
        # "predictions" applies softmax; logits are its affine part, computed from its weights.
        kernel, bias = (w.astype(np.float32) for w in vgg.get_layer("predictions").get_weights())
        kernel_t, bias_t = tf.constant(kernel), tf.constant(bias)

        def forward(pixels):
            features = fc2(keras.applications.vgg16.preprocess_input(tf.cast(pixels, tf.float32)), training=False)
            return features, tf.matmul(features, kernel_t) + bias_t

        super().__init__(run=_keras_run(forward, self.input_size), classifier=(kernel, bias))


@functools.cache
def _cached_encoder(name: str, cache_dir: Path, runtime: str) -> Encoder:
    model_version(name, runtime)  # refuses unknown names
    if name == "vgg16":
        return VGG16Encoder()
    return LiteEncoder(name, cache_dir=cache_dir, runtime=runtime)


def get_encoder(name: str, *, cache_dir: Path, runtime: str = "keras") -> Encoder:
    """Return the process-wide encoder, so a worker loads a model once and traces once."""
    return _cached_encoder(name, Path(cache_dir), runtime)
