"""dlib's face descriptor network (dlib_face_recognition_resnet_model_v1.dat) run in numpy.

dlib-bin is built without BLAS, so its ResNet costs about 100 ms a face; numpy's matrix product (OpenBLAS) runs
the same network several times faster. This module reads dlib's serialized weights (the file that ships in
face-recognition-models) and computes the same 128-d descriptor from the same 150×150 aligned chip
(dlib.get_face_chip); tests/people/test_resnet.py checks it against dlib's own on real faces.

The network (dlib's dnn_face_recognition_ex.cpp): conv 7×7/2 → affine → relu → max-pool 3×3/2 → 14 residual
blocks (conv 3×3, affine, relu, conv 3×3, affine, + skip, relu; a block that halves the size adds an average-pooled
skip) → average over the whole map → a 128×256 linear layer. dlib adds tensors of different sizes by padding the
smaller one with zeros at the end of each axis; the skips here rely on it (more channels, and a 3×3 map added to a
4×4 one).

Django-free, like people/ml.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import ThreadpoolController

CHIP_SIDE = 150
_NEAR = 4096  # bytes between a layer's weights and the next layer's name, at most


class FormatError(ValueError):
    """The file is not the network this module knows how to run."""


class _Reader:
    """dlib's serialization: integers as a length byte (high bit: negative) then little-endian bytes; floats as
    an integer mantissa and exponent; strings as a length then bytes; tensors as raw little-endian float32."""

    def __init__(self, raw: bytes) -> None:
        self.raw, self.at = raw, 0

    def integer(self) -> int:
        head = self.raw[self.at]
        size, negative = head & 0x0F, bool(head & 0x80)
        value = int.from_bytes(self.raw[self.at + 1 : self.at + 1 + size], "little")
        self.at += 1 + size
        return -value if negative else value

    def real(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        return float(mantissa) * 2.0**exponent

    def string(self) -> str:
        size = self.integer()
        value = self.raw[self.at : self.at + size].decode("ascii")
        self.at += size
        return value

    def tensor(self) -> np.ndarray:
        if self.integer() != 2:
            raise FormatError("unknown tensor version")
        shape = [self.integer() for _ in range(4)]
        count = int(np.prod(shape))
        values = np.frombuffer(self.raw, dtype="<f4", count=count, offset=self.at)
        self.at += 4 * count
        return values.astype(np.float32).reshape(shape)

    def find(self, name: str) -> bool:
        """Move past the next serialized string ``name`` (layer names are the landmarks of the file)."""
        encoded = name.encode("ascii")
        marker = bytes([1, len(encoded)]) + encoded
        found = self.raw.find(marker, self.at)
        if found < 0:
            return False
        self.at = found + len(marker)
        return True

    def next_layer(self, names: tuple[str, ...]) -> str | None:
        """Move past the nearest of these layer names; None when none is left. Only a few flags and empty
        tensors lie between one layer's weights and the next layer's name, so the search stays near."""
        best, best_at = None, len(self.raw)
        for name in names:
            encoded = name.encode("ascii")
            found = self.raw.find(bytes([1, len(encoded)]) + encoded, self.at, self.at + _NEAR)
            if 0 <= found < best_at:
                best, best_at = name, found
        if best is not None:
            self.at = best_at + 2 + len(best)
        return best


@dataclass(frozen=True)
class _Conv:
    weights: np.ndarray  # (k·k·C_in, C_out), rows in (ky, kx, c) order, the affine after it folded in
    bias: np.ndarray
    size: int
    stride: int
    padding: int


LAYERS = ("con_4", "affine_", "relu_", "max_pool_2", "avg_pool_2", "add_prev_", "fc_2")


class ResNet:
    """The descriptor network; ``describe`` takes aligned 150×150 RGB chips (uint8) and returns float32[n, 128]."""

    def __init__(self, path: str | Path) -> None:
        reader = _Reader(Path(path).read_bytes())
        if not reader.find("input_rgb_image_sized"):
            raise FormatError("no input layer")
        self.mean = np.asarray([reader.real() for _ in range(3)], dtype=np.float32)  # red, green, blue
        if (reader.integer(), reader.integer()) != (CHIP_SIDE, CHIP_SIDE):
            raise FormatError("not a 150×150 input")
        layers: list[str] = []
        convs: list[_Conv] = []
        pending: tuple | None = None  # a convolution waiting for the affine layer that follows it
        while (name := reader.next_layer(LAYERS)) is not None:
            if name == "con_4":
                params = reader.tensor().ravel()
                filters, rows, cols, stride_y, stride_x, pad_y, pad_x = (reader.integer() for _ in range(7))
                if rows != cols or stride_y != stride_x or pad_y != pad_x:
                    raise FormatError("non-square convolution")
                inputs = (params.size - filters) // (filters * rows * cols)
                kernel = params[: filters * inputs * rows * cols].reshape(filters, inputs, rows, cols)
                pending = (kernel, params[filters * inputs * rows * cols :], rows, stride_y, pad_y)
            elif name == "affine_":
                params = reader.tensor().ravel()
                if pending is None:
                    raise FormatError("an affine layer after something other than a convolution")
                kernel, bias, size, stride, padding = pending
                gamma, beta = params[: params.size // 2], params[params.size // 2 :]
                folded = kernel * gamma[:, None, None, None]
                convs.append(
                    _Conv(
                        weights=np.ascontiguousarray(folded.transpose(2, 3, 1, 0).reshape(-1, len(gamma))),
                        bias=(bias * gamma + beta).astype(np.float32),
                        size=size,
                        stride=stride,
                        padding=padding,
                    )
                )
                layers.append("conv")
                pending = None
            elif name in ("max_pool_2", "avg_pool_2"):
                rows, cols, stride_y, stride_x, pad_y, pad_x = (reader.integer() for _ in range(6))
                if (rows, cols) == (0, 0):
                    layers.append("mean")  # avg_pool_everything
                elif (rows, cols, stride_y, stride_x, pad_y, pad_x) in ((3, 3, 2, 2, 0, 0), (2, 2, 2, 2, 0, 0)):
                    layers.append(f"{name[:3]}{rows}")
                else:
                    raise FormatError(f"unexpected pooling {rows}×{cols}/{stride_y} pad {pad_y}")
            elif name == "relu_":
                layers.append("relu")
            elif name == "add_prev_":
                layers.append("add")
            else:  # fc_2: outputs, inputs, then (inputs × outputs) weights with no bias
                outputs, inputs = reader.integer(), reader.integer()
                self.fc = reader.tensor().reshape(-1, outputs)[:inputs].copy()
                layers.append("fc")
        self.convs, self.layers = convs, layers
        expected = ["conv", "relu", "max3"] + ["block"] * 14 + ["mean", "fc"]
        if self._shape() != expected:
            raise FormatError(f"unexpected layers: {self._shape()}")

    def _shape(self) -> list[str]:
        """The layer list with each residual block as one word (the check that this is the known network)."""
        out, words = [], list(self.layers)
        while words:
            if words[:5] == ["conv", "relu", "conv", "add", "relu"]:
                out.append("block")
                words = words[5:]
            elif words[:6] == ["conv", "relu", "conv", "avg2", "add", "relu"]:
                out.append("block")
                words = words[6:]
            else:
                out.append(words.pop(0))
        return out

    def describe(self, chips: np.ndarray) -> np.ndarray:
        # OpenBLAS's threads on these small products cost far more than they gain (and the faces pass runs one
        # process per core already): one thread, for this call only.
        with _blas().limit(limits=1, user_api="blas"):
            return self._forward(chips)

    def _forward(self, chips: np.ndarray) -> np.ndarray:
        chips = np.asarray(chips)
        if chips.ndim == 3:
            chips = chips[None]
        if chips.shape[1:] != (CHIP_SIDE, CHIP_SIDE, 3):
            raise ValueError(f"chips must be {CHIP_SIDE}×{CHIP_SIDE} RGB")
        x = (chips.astype(np.float32) - self.mean) / 256.0  # n, h, w, c (dlib's input_rgb_image normalisation)
        convs = iter(self.convs)
        x = np.maximum(_conv(x, next(convs)), 0.0)
        x = _pool(x, 3, np.max)
        index = 3
        layers = self.layers
        while layers[index] == "conv":
            skip = x
            x = np.maximum(_conv(x, next(convs)), 0.0)
            x = _conv(x, next(convs))
            index += 3  # conv relu conv
            if layers[index] == "avg2":
                skip = _pool(skip, 2, np.mean)
                index += 1
            x = np.maximum(_add_padded(x, skip), 0.0)
            index += 2  # add relu
        x = x.mean(axis=(1, 2))
        return (x @ self.fc).astype(np.float32)


@functools.cache
def _blas() -> ThreadpoolController:
    return ThreadpoolController()


def _conv(x: np.ndarray, conv: _Conv) -> np.ndarray:
    """Cross-correlation by im2col and one matrix product; x is (n, h, w, c)."""
    if conv.padding:
        p = conv.padding
        x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    n = x.shape[0]
    windows = sliding_window_view(x, (conv.size, conv.size), axis=(1, 2))[:, :: conv.stride, :: conv.stride]
    rows, cols = windows.shape[1:3]
    # windows: n, rows, cols, c, ky, kx → n·rows·cols, ky·kx·c (the order of the weight rows)
    columns = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * rows * cols, -1)
    out = columns @ conv.weights
    out += conv.bias
    return out.reshape(n, rows, cols, -1)


def _pool(x: np.ndarray, size: int, reduce) -> np.ndarray:
    windows = sliding_window_view(x, (size, size), axis=(1, 2))[:, ::2, ::2]
    return reduce(windows, axis=(-2, -1))


def _add_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """dlib's add of two tensors of different sizes: each is zero beyond its own extent."""
    if a.shape == b.shape:
        return a + b
    shape = tuple(max(i, j) for i, j in zip(a.shape, b.shape, strict=True))
    out = np.zeros(shape, dtype=np.float32)
    out[tuple(slice(0, s) for s in a.shape)] += a
    out[tuple(slice(0, s) for s in b.shape)] += b
    return out
