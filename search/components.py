"""The configured parts, loaded once per process: the image model, the word space, the class word matrix."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image

from .ml import catalogue
from .ml.atomic import atomic_write
from .ml.classes import class_tags
from .ml.semantic import imagenet_class_matrix
from .ml.suggest import build_vocabulary
from .ml.words import WordSpace, get_word_space

# TensorFlow is imported on first use of a model, not when Django loads URLs: management commands stay quick.


def model_key(name: str, version: str) -> str:
    return f"{name}-{version}"


def model_parts(key: str) -> tuple[str, str]:
    """(name, version) of a model_key."""
    name, _, version = key.rpartition("-")
    return name, version


def encoder(name: str | None = None, *, runtime: str | None = None) -> Encoder:  # noqa: F821
    """The configured model (SEARCH_MODEL, SEARCH_RUNTIME), or the one named."""
    from .ml.encoder import get_encoder  # not at the top: web processes import this module and never a model

    return get_encoder(
        name or settings.SEARCH_MODEL, cache_dir=settings.SEARCH_MODEL_DIR, runtime=runtime or settings.SEARCH_RUNTIME
    )


def configured_model_key() -> str:
    """The configured model's key, known without loading it."""
    return model_key(settings.SEARCH_MODEL, catalogue.model_version(settings.SEARCH_MODEL, settings.SEARCH_RUNTIME))


def input_size() -> int:
    """The configured model's input side, known without loading it: images are decoded no smaller."""
    return catalogue.input_size(settings.SEARCH_MODEL)


def encoder_for_key(key: str) -> Encoder:  # noqa: F821
    """The encoder whose vectors have this key, e.g. the previous runtime's while a switch re-embeds."""
    name, version = model_parts(key)
    found = encoder(name, runtime=catalogue.model_runtime(version))
    if found.version != version:
        raise LookupError(f"model {key} is not available in this version of searchsite")
    return found


def word_space() -> WordSpace:
    return get_word_space(cache_dir=settings.SEARCH_MODEL_DIR, source=settings.SEARCH_WORDS_SOURCE)


@functools.lru_cache(maxsize=1)
def _class_matrix(cache_key: tuple) -> np.ndarray:
    return imagenet_class_matrix(word_space())


def class_matrix() -> np.ndarray:
    """(1000, dim) word vectors of the ImageNet class names (ConSE's vocabulary)."""
    return _class_matrix((str(settings.SEARCH_MODEL_DIR), str(settings.SEARCH_WORDS_SOURCE)))


@functools.lru_cache(maxsize=1)
def _tag_vocabulary(cache_key: tuple):
    return build_vocabulary(word_space(), class_matrix(), list(class_tags()))


def tag_vocabulary():
    """The candidate tags of suggestions with their class weights (search.ml.suggest); built on first use."""
    return _tag_vocabulary((str(settings.SEARCH_MODEL_DIR), str(settings.SEARCH_WORDS_SOURCE)))


def classifier(model_key: str) -> tuple[np.ndarray, np.ndarray]:
    """The model's final layer (W, b): logits = features @ W + b, for class and text queries.

    Read from a numpy cache that a worker writes when it loads the model, so web processes answer class and text
    queries without loading TensorFlow; only when no worker has written it yet is the model loaded here.
    """
    path = Path(settings.SEARCH_MODEL_DIR) / f"classifier-{model_key}.npz"
    return _classifier(model_key, str(path))


@functools.lru_cache(maxsize=4)
def _classifier(model_key: str, path: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path) as saved:
            return saved["weights"], saved["bias"]
    except (OSError, KeyError, ValueError):  # absent, or half of an old file: derive it again
        pass
    weights, bias = encoder_for_key(model_key).classifier()
    atomic_write(path, lambda tmp: np.savez(tmp, weights=weights, bias=bias))
    return weights, bias


def warm_up() -> None:
    """Load the model, trace it and load the words before the first photo arrives (seconds, once per worker)."""
    model = encoder()
    model.encode([Image.new("RGB", (model.input_size, model.input_size))])
    classifier(configured_model_key())
    class_matrix()


def warm_up_web() -> None:
    """What a web process needs for its first class or text query, loaded before it takes traffic; no model."""
    classifier(configured_model_key())
    class_matrix()
