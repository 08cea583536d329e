"""The configured parts, loaded once per process: the image model, the word space, the class word matrix."""
from __future__ import annotations

import functools

import numpy as np
from django.conf import settings

from .ml.words import WordSpace, get_word_space

# TensorFlow is imported on first use of a model, not when Django loads URLs: management commands stay quick.


# Bump with the encoder's `version` when a model's weights or preprocessing change: photos are then re-embedded.
MODEL_VERSIONS = {"lite0": "1", "vgg16": "1"}


def model_key(name: str, version: str) -> str:
    return f"{name}-{version}"


def encoder(name: str | None = None) -> "Encoder":  # noqa: F821
    from .ml.encoder import get_encoder

    return get_encoder(name or settings.SEARCH_MODEL, cache_dir=settings.SEARCH_MODEL_DIR)


def configured_model_key() -> str:
    """The configured model's key, known without loading it (the version is a class attribute)."""
    return model_key(settings.SEARCH_MODEL, MODEL_VERSIONS[settings.SEARCH_MODEL])


def encoder_for_key(key: str) -> "Encoder":  # noqa: F821
    name, _, version = key.rpartition("-")
    found = encoder(name)
    if found.version != version:
        raise LookupError(f"model {key} is not available in this version of searchsite")
    return found


def word_space() -> WordSpace:
    return get_word_space(cache_dir=settings.SEARCH_MODEL_DIR, source=settings.SEARCH_WORDS_SOURCE)


@functools.lru_cache(maxsize=1)
def _class_matrix(cache_key: tuple) -> np.ndarray:
    from .ml.semantic import imagenet_class_matrix

    return imagenet_class_matrix(word_space())


def class_matrix() -> np.ndarray:
    """(1000, dim) word vectors of the ImageNet class names (ConSE's vocabulary)."""
    return _class_matrix((str(settings.SEARCH_MODEL_DIR), str(settings.SEARCH_WORDS_SOURCE)))


def warm_up() -> None:
    """Load the model, trace it and load the words before the first photo arrives (seconds, once per worker)."""
    from PIL import Image

    encoder().encode([Image.new("RGB", (224, 224))])
    class_matrix()
