"""PaddleOCR's PP-OCRv4 models as the ``rapidocr-onnxruntime`` wheel ships them, run by onnxruntime on one thread
(the text worker's share of the machine). The detector and the recogniser load theirs here."""

from __future__ import annotations

import functools
import importlib.util
import threading
from pathlib import Path

_lock = threading.Lock()


def package_file(name: str) -> Path:
    """A file of the installed rapidocr-onnxruntime package (found without importing it: its __init__ needs
    OpenCV)."""
    spec = importlib.util.find_spec("rapidocr_onnxruntime")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("rapidocr-onnxruntime is not installed (requirements.txt): it holds the text models")
    return Path(next(iter(spec.submodule_search_locations))) / name


def session(name: str):
    """The model's onnxruntime session, loaded once per process."""
    with _lock:
        return _load(name)


@functools.cache
def _load(name: str):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(package_file(name)), options, providers=["CPUExecutionProvider"])
