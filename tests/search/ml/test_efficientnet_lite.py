"""The Lite builder reads each variant's layout from its checkpoint's weight shapes."""

import numpy as np
import pytest

from search.ml import efficientnet_lite
from search.ml.classes import class_name, resolve_class
from search.ml.encoder import get_encoder
from search.ml.torchpickle import load_state_dict
from tests.images import sample

# EfficientNet-B0's stages, as published: (repeats, kernel, stride, expansion, filters out).
B0_STAGES = [
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
]


def shapes(name: str) -> dict:
    state = load_state_dict(efficientnet_lite.torch_checkpoint(name))
    return {key: tuple(value.shape) for key, value in state.items()}


def stages(net: efficientnet_lite.Layout) -> list[tuple]:
    out = []
    for block in net.blocks:
        if out and block.filters_out == out[-1][4]:
            out[-1] = (out[-1][0] + 1, *out[-1][1:])
        else:
            out.append((1, block.kernel, block.stride, block.expand, block.filters_out))
    return out


def test_lite0_layout_from_weights_is_b0():
    net = efficientnet_lite.layout(shapes("lite0"))

    assert stages(net) == B0_STAGES
    assert (net.stem, net.head, net.classes) == (32, 1280, 1000)


def test_lite1_layout_from_weights_is_deeper_with_the_same_strides():
    net = efficientnet_lite.layout(shapes("lite1"))

    assert len(net.blocks) == 21  # Lite1 scales B0's depth by 1.1 (rounded up per stage)
    assert [s[2] for s in stages(net)] == [s[2] for s in B0_STAGES]
    assert [s[4] for s in stages(net)] == [s[4] for s in B0_STAGES]


def test_layout_survives_the_cache_file(tmp_path):
    efficientnet_lite.load("lite0", cache_dir=tmp_path)
    import h5py

    with h5py.File(tmp_path / efficientnet_lite.weights_filename("lite0")) as cached:
        assert efficientnet_lite.Layout.from_json(cached.attrs["layout"]) == efficientnet_lite.layout(shapes("lite0"))


@pytest.mark.parametrize("name", ["chelsea"])
def test_lite1_sees_a_cat_at_240_px(tmp_path, name):
    encoder = get_encoder("lite1", cache_dir=tmp_path)
    features, logits = encoder.encode([sample(name)])

    cats = {resolve_class(n) for n in ("tabby cat", "a cat having a striped coat", "Egyptian Mau")}
    top3 = set(np.argsort(-logits[0])[:3].tolist())
    assert encoder.input_size == 240 and features.shape == (1, 1280)
    assert top3 & cats, [class_name(i) for i in top3]
