"""Fit the gate's line score (ocr.core.gate.LINE_WEIGHTS) on rendered words, and show what it does per seed.

    python -m bench.ocr_gate_fit [--fit-seeds 1 2 3 4] [--test-seeds 0]

Every line the gate finds (all of them: no floor) in bench.ocr's labelled photos of the given seeds is labelled
text when it touches the rendered words' box or lies in a real text photo, texture when it lies in a photo
without text or away from the rendered words. A logistic regression (L2) on gate.line_vector is fitted on the
fit seeds; the photos' recall and skip share at a few thresholds (a photo is read when the learned detector,
ocr.core.detector, found a line, or its best chain scores the threshold) are printed for the fit seeds and the
test seeds (bench.ocr's default seed is 0: keep it out of the fit seeds to hold it out). The photos without text are the
same sample photos in every seed (other sizes, crops and flips), so they are not held out. The last stdout
line is JSON: the weights, for LINE_WEIGHTS.
"""

from __future__ import annotations

import argparse
import io
import json

import numpy as np
from PIL import Image
from scipy.optimize import minimize

from bench.ocr import _jpeg, dataset
from ocr.core import detector, gate

THRESHOLDS = (-2.0, -1.5, -1.0, -0.5, 0.0)


def _lines(seed: int) -> list[tuple[str, tuple[bool, bool], list[tuple[np.ndarray, bool]]]]:
    """Per photo: its name, (whether it holds text, whether the detector opened the gate), and its chains of marks
    (vector, is text)."""
    out = []
    for sample in dataset(rendered=40, seed=seed):
        image = Image.open(io.BytesIO(_jpeg(sample.image))).convert("RGB")
        lines, size = gate.text_lines(image)
        factor = image.width / size[0]
        labelled = []
        for line in lines:
            if sample.box is None:
                text = sample.has_text
            else:
                left, top, right, bottom = sample.box
                box = [v * factor for v in line.box]
                text = box[0] < right and box[2] > left and box[1] < bottom and box[3] > top
            labelled.append(
                (gate.line_vector(isolation=line.isolation, marks=line.marks, features=line.features), text)
            )
        out.append((sample.name, (sample.has_text, bool(detector.text_lines(image))), labelled))
    return out


def fit(photos, *, l2: float = 1.0) -> np.ndarray:
    a = np.array([v for _, _, lines in photos for v, _ in lines])
    b = np.array([t for _, _, lines in photos for _, t in lines], dtype=float)
    spread = a[:, 1:].std(axis=0) + 1e-9  # the penalty on standardised weights: features of any scale alike

    def loss(w):
        p = 1 / (1 + np.exp(-(a @ w)))
        return -np.mean(b * np.log(p + 1e-9) + (1 - b) * np.log(1 - p + 1e-9)) + l2 * np.sum(
            (w[1:] * spread) ** 2
        ) / len(b)

    return minimize(loss, np.zeros(a.shape[1]), method="BFGS").x


def rates(photos, weights: np.ndarray, threshold: float) -> tuple[float, float]:
    """Recall on text photos and share of photos without text skipped: read when the detector found a line or
    the best chain scores ``threshold``."""
    read = [
        (has_text, detected or max((float(v @ weights) for v, _ in lines), default=-99.0) >= threshold)
        for _, (has_text, detected), lines in photos
    ]
    text = [r for t, r in read if t]
    plain = [r for t, r in read if not t]
    return round(sum(text) / len(text), 3), round(sum(not r for r in plain) / len(plain), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fit-seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--test-seeds", type=int, nargs="*", default=[0])
    args = parser.parse_args()
    gate.LINE_FLOOR = -np.inf
    data = {seed: _lines(seed) for seed in {*args.fit_seeds, *args.test_seeds}}
    weights = fit([p for seed in args.fit_seeds for p in data[seed]])
    for seed in sorted(data):
        role = "fit" if seed in args.fit_seeds else "test"
        print(
            f"seed {seed} ({role}): recall, skip share by threshold",
            {t: rates(data[seed], weights, t) for t in THRESHOLDS},
        )
    print(json.dumps({"line_weights": [round(float(w), 3) for w in weights]}))


if __name__ == "__main__":
    main()
