"""A second reader for lines Tesseract is unsure of: PaddleOCR's PP-OCRv4 recogniser.

Tesseract reads clean print well and scene text badly: large monospace on a painting, letters crossing light and
dark patches, italics on a texture. The PP-OCRv4 recogniser (a CRNN with a CTC head, 10.9 MB, Apache-2.0, from
the same ``rapidocr-onnxruntime`` package as the detector) was trained on scene text. It reads one level line
at 48 px high; its alphabet is Chinese with Latin letters, digits and punctuation, but no accented letters, so
Tesseract stays the first reader (it has the owner's languages) and this one is asked only where Tesseract was
unsure (reader.py).
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

from . import paddle

MODEL = "models/ch_PP-OCRv4_rec_infer.onnx"
HEIGHT = 48  # px: the network's input height
MAX_WIDTH = 1600  # px at HEIGHT: longer lines are squeezed (the recogniser reads about 8 px per time step)


@functools.cache
def _alphabet() -> list[str]:
    """CTC's classes: 0 is "no letter"; then the model's own alphabet; then the space."""
    meta = paddle.session(MODEL).get_modelmeta().custom_metadata_map
    return ["", *meta["character"].splitlines(), " "]


def recognise(line: Image.Image) -> list[tuple[str, float, int, int]]:
    """The words of one level line: (text, confidence 0–1, left, right) with x in the line image's pixels."""
    session, alphabet = paddle.session(MODEL), _alphabet()
    width = min(MAX_WIDTH, max(HEIGHT // 2, round(line.width * HEIGHT / max(1, line.height))))
    pixels = np.asarray(line.convert("RGB").resize((width, HEIGHT), Image.BILINEAR), dtype=np.float32)
    batch = ((pixels[:, :, ::-1] / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None]  # BGR, as PaddleOCR trained it
    probabilities = session.run(None, {session.get_inputs()[0].name: np.ascontiguousarray(batch)})[0][0]
    best, sure = probabilities.argmax(axis=1), probabilities.max(axis=1)
    step = line.width / len(best)
    words, current, previous = [], [], 0
    for t, (index, p) in enumerate(zip(best.tolist(), sure.tolist())):
        if index != previous and index != 0:
            letter = alphabet[index] if index < len(alphabet) else ""
            if letter == " ":
                words.append(current)
                current = []
            else:
                current.append((letter, p, t))
        previous = index
    words.append(current)
    return [
        (
            "".join(letter for letter, _, _ in word),
            float(np.mean([p for _, p, _ in word])),
            round(word[0][2] * step),
            round((word[-1][2] + 1) * step),
        )
        for word in words
        if word
    ]
