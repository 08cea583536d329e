"""EfficientNet-Lite (Lite0, Lite1) in Keras, with weights ported from the PyTorch checkpoints.

Lite is EfficientNet made CPU/quantisation friendly: no squeeze-excite, ReLU6 instead of swish, stem (32) and
head (1280) fixed. The variants differ in depth, kernel sizes and input resolution; the layout of each is read
from the checkpoint's weight shapes (see ``layout``), so one builder serves them all. The checkpoints follow the
lukemelas ``efficientnet_pytorch`` layout (``_blocks.N._depthwise_conv`` …) whose ``Conv2dStaticSamePadding``
reproduces TensorFlow "SAME" padding, which is exactly Keras ``padding="same"``.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py
import keras
from keras import layers

from search.ml.atomic import atomic_write
from search.ml.catalogue import VARIANTS

_BN_EPSILON = 1e-3
# EfficientNet's seven stages. Variants scale depth (blocks per stage) and kernels, which the weights show;
# strides are not in the weights, and are the same in every variant.
_STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)


@dataclass(frozen=True)
class Block:
    kernel: int
    stride: int
    expand: int
    filters_in: int
    filters_out: int


@dataclass(frozen=True)
class Layout:
    stem: int
    blocks: tuple[Block, ...]
    head: int
    classes: int

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Layout:
        raw = json.loads(text)
        return cls(
            stem=raw["stem"], blocks=tuple(Block(**b) for b in raw["blocks"]), head=raw["head"], classes=raw["classes"]
        )


def layout(shapes: dict[str, tuple[int, ...]]) -> Layout:
    """Derive the network from its weight shapes: kernels, expansion and widths per block, stages by width."""
    blocks: list[Block] = []
    stage, previous_out = -1, None
    while f"_blocks.{len(blocks)}._depthwise_conv.weight" in shapes:
        prefix = f"_blocks.{len(blocks)}"
        expanded, _, kernel, _ = shapes[f"{prefix}._depthwise_conv.weight"]
        filters_out = shapes[f"{prefix}._project_conv.weight"][0]
        expand_conv = shapes.get(f"{prefix}._expand_conv.weight")
        filters_in = expand_conv[1] if expand_conv else expanded
        first_of_stage = filters_out != previous_out  # blocks within a stage keep its width
        stage += first_of_stage
        blocks.append(
            Block(
                kernel=kernel,
                stride=_STAGE_STRIDES[stage] if first_of_stage else 1,
                expand=expanded // filters_in,
                filters_in=filters_in,
                filters_out=filters_out,
            )
        )
        previous_out = filters_out
    return Layout(
        stem=shapes["_conv_stem.weight"][0],
        blocks=tuple(blocks),
        head=shapes["_conv_head.weight"][0],
        classes=shapes["_fc.weight"][0],
    )


def _keras_name(torch_name: str) -> str:
    return torch_name.strip("_").replace("._", "_").replace(".", "_")


def _conv_bn(x, *, filters: int, kernel: int, stride: int, torch_conv: str, torch_bn: str, activate: bool, plan: list):
    conv = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=_keras_name(torch_conv))
    bn = layers.BatchNormalization(epsilon=_BN_EPSILON, name=_keras_name(torch_bn))
    plan += [(conv, torch_conv, "conv"), (bn, torch_bn, "bn")]
    x = bn(conv(x))
    return layers.ReLU(6.0)(x) if activate else x


def _mbconv(x, *, index: int, block: Block, plan: list):
    prefix = f"_blocks.{index}"
    inputs = x
    if block.expand != 1:
        x = _conv_bn(
            x,
            filters=block.filters_in * block.expand,
            kernel=1,
            stride=1,
            torch_conv=f"{prefix}._expand_conv",
            torch_bn=f"{prefix}._bn0",
            activate=True,
            plan=plan,
        )
    dw = layers.DepthwiseConv2D(
        block.kernel,
        strides=block.stride,
        padding="same",
        use_bias=False,
        name=_keras_name(f"{prefix}._depthwise_conv"),
    )
    bn = layers.BatchNormalization(epsilon=_BN_EPSILON, name=_keras_name(f"{prefix}._bn1"))
    plan += [(dw, f"{prefix}._depthwise_conv", "depthwise"), (bn, f"{prefix}._bn1", "bn")]
    x = layers.ReLU(6.0)(bn(dw(x)))
    x = _conv_bn(
        x,
        filters=block.filters_out,
        kernel=1,
        stride=1,
        torch_conv=f"{prefix}._project_conv",
        torch_bn=f"{prefix}._bn2",
        activate=False,
        plan=plan,
    )
    if block.stride == 1 and block.filters_in == block.filters_out:
        x = layers.Add(name=f"blocks_{index}_add")([x, inputs])
    return x


def build(net: Layout, *, input_size: int, name: str) -> tuple[keras.Model, list]:
    """Return the model and its port plan: (keras layer, torch prefix, kind) in build order."""
    plan: list = []
    image = keras.Input((input_size, input_size, 3), name="image")
    # The TF Lite checkpoints were trained on (x - 127) / 128.
    x = layers.Rescaling(1 / 128, offset=-127 / 128, name="normalize")(image)
    x = _conv_bn(
        x, filters=net.stem, kernel=3, stride=2, torch_conv="_conv_stem", torch_bn="_bn0", activate=True, plan=plan
    )
    for index, block in enumerate(net.blocks):
        x = _mbconv(x, index=index, block=block, plan=plan)
    x = _conv_bn(
        x, filters=net.head, kernel=1, stride=1, torch_conv="_conv_head", torch_bn="_bn1", activate=True, plan=plan
    )
    features = layers.GlobalAveragePooling2D(name="features")(x)
    classifier = layers.Dense(net.classes, name="fc")
    plan.append((classifier, "_fc", "dense"))
    logits = classifier(features)
    return keras.Model(image, [features, logits], name=f"efficientnet_{name}"), plan


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


def torch_checkpoint(name: str) -> Path:
    variant = VARIANTS[name]
    model_file = getattr(importlib.import_module(variant.package), variant.model_file_class)
    return Path(model_file.get_model_file_path())


def weights_filename(name: str) -> str:
    return f"efficientnet-{name}-v1.weights.h5"


def load(name: str, *, cache_dir: Path) -> keras.Model:
    """Build a Lite variant with ImageNet weights: from the Keras cache file, porting the torch checkpoint once.

    The model maps uint8-range RGB (N, size, size, 3) to (features (N, 1280), logits (N, 1000)). The cache file
    carries the layout too, so later loads never read the checkpoint.
    """
    from search.ml.torchpickle import load_state_dict

    input_size = VARIANTS[name].input_size
    weights = cache_dir / weights_filename(name)
    if weights.exists():
        with h5py.File(weights, "r") as cached:
            net = Layout.from_json(cached.attrs["layout"]) if "layout" in cached.attrs else None
        if net is not None:
            model, _ = build(net, input_size=input_size, name=name)
            model.load_weights(weights)
            return model
    state = load_state_dict(torch_checkpoint(name))
    net = layout({key: tuple(value.shape) for key, value in state.items()})
    model, plan = build(net, input_size=input_size, name=name)
    _port(plan, state)

    def write(path: str) -> None:
        model.save_weights(path)
        with h5py.File(path, "a") as written:
            written.attrs["layout"] = net.to_json()

    atomic_write(weights, write)  # a concurrent worker never reads a half-written file
    return model


def classifier_weights(model: keras.Model) -> tuple[np.ndarray, np.ndarray]:
    """Return the final Dense layer as (W (1280, 1000), b (1000,)): logits = features @ W + b."""
    kernel, bias = model.get_layer("fc").get_weights()
    return kernel.astype(np.float32), bias.astype(np.float32)
