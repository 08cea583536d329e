"""Read a legacy (pre-zip) PyTorch state dict without torch and without running pickled code.

A .pth file is a pickle, and unpickling can call any importable function. The loader
below resolves only the handful of globals a state dict needs; anything else raises
``pickle.UnpicklingError`` before it can run.

Legacy layout: magic-number pickle, protocol-version pickle, sys-info pickle, the
state-dict pickle (tensors refer to storages by key), a pickle listing storage keys,
then for each key an int64 element count followed by the raw little-endian data.
"""

from __future__ import annotations

import collections
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_PROTOCOL_VERSION = 1001

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


@dataclass(frozen=True)
class _StorageType:
    dtype: type


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: type


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


class _StateDictUnpickler(pickle.Unpickler):
    """Unpickler that only knows how to rebuild tensors, storages and OrderedDicts."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in a state dict")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        return _StorageRef(key=str(pid[2]), dtype=pid[1].dtype)


def _load_restricted(f: BinaryIO):
    return _StateDictUnpickler(f).load()


def _read_storages(f: BinaryIO, keys: list[str], dtypes: dict[str, type]) -> dict[str, np.ndarray]:
    storages = {}
    for key in keys:
        numel = int(np.frombuffer(f.read(8), dtype="<i8")[0])
        dtype = np.dtype(dtypes[key]).newbyteorder("<")
        raw = f.read(numel * dtype.itemsize)
        if len(raw) != numel * dtype.itemsize:
            raise pickle.UnpicklingError(f"storage {key} is truncated")
        storages[key] = np.frombuffer(raw, dtype=dtype)
    return storages


def _materialize(ref: _TensorRef, storage: np.ndarray) -> np.ndarray:
    itemsize = storage.dtype.itemsize
    view = np.lib.stride_tricks.as_strided(
        storage[ref.offset :],
        shape=ref.shape,
        strides=tuple(s * itemsize for s in ref.stride),
        writeable=False,
    )
    return np.array(view, dtype=storage.dtype.newbyteorder("="))


def load_state_dict(path: Path) -> dict[str, np.ndarray]:
    """Return parameter name → array for a legacy torch.save() file."""
    with open(path, "rb") as f:
        if _load_restricted(f) != _MAGIC_NUMBER:
            raise pickle.UnpicklingError(f"{path} is not a legacy torch file (zip-format files are not supported)")
        if _load_restricted(f) != _PROTOCOL_VERSION:
            raise pickle.UnpicklingError(f"{path} has an unsupported torch protocol version")
        sys_info = _load_restricted(f)
        if not sys_info.get("little_endian", True):
            raise pickle.UnpicklingError(f"{path} was saved big-endian")
        state = _load_restricted(f)
        keys = _load_restricted(f)
        tensors = {name: ref for name, ref in state.items() if isinstance(ref, _TensorRef)}
        dtypes = {ref.storage.key: ref.storage.dtype for ref in tensors.values()}
        storages = _read_storages(f, [str(k) for k in keys], dtypes)
    return {name: _materialize(ref, storages[ref.storage.key]) for name, ref in tensors.items()}
