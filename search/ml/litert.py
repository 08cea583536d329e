"""LiteRT (TensorFlow Lite) for the forward pass: a Keras model converted once to a cached .tflite file (by the
encoder), run by the ``ai-edge-litert`` interpreter with its XNNPACK CPU kernels, without TensorFlow.

Only float32 conversion is offered: int8 post-training quantisation, calibrated on real photos, moved the
features too far from the float model to keep (docs/search.md, "Runtime", has the measurements).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter

from search.ml.atomic import atomic_write


def cached_model(path: Path, *, build: Callable[[], bytes]) -> Path:
    """The converted file at ``path``, converting once (tens of seconds) and publishing it with one rename."""
    if not path.exists():
        converted = build()
        atomic_write(path, lambda tmp: Path(tmp).write_bytes(converted))
    return path


class Runner:
    """Runs a converted model on uint8 batches; callable from several threads (one invoke at a time).

    The interpreter is resized to each new batch size; XNNPACK keeps what it prepared for sizes it has seen,
    so alternating between a full batch and a single query image costs nothing after the first time.
    """

    def __init__(self, path: Path, *, threads: int | None = None):
        self._interpreter = Interpreter(model_path=str(path), num_threads=threads or os.cpu_count() or 1)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._outputs = [detail["index"] for detail in self._interpreter.get_output_details()]
        self._batch = 0
        self._lock = threading.Lock()

    def __call__(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            if len(pixels) != self._batch:
                self._interpreter.resize_tensor_input(self._input, pixels.shape)
                self._interpreter.allocate_tensors()
                self._batch = len(pixels)
            self._interpreter.set_tensor(self._input, np.ascontiguousarray(pixels, dtype=np.uint8))
            self._interpreter.invoke()
            outputs = [self._interpreter.get_tensor(index) for index in self._outputs]
        # Output order in the flatbuffer is not the function's: the 1000 logits are told apart by width.
        logits = next(o for o in outputs if o.shape[1] == 1000)
        features = next(o for o in outputs if o is not logits)
        return features.astype(np.float32, copy=True), logits.astype(np.float32, copy=True)
