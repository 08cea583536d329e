"""Grey-level helpers shared by the detector and the reader (no Django)."""

from __future__ import annotations

import numpy as np


def otsu(pixels: np.ndarray) -> float:
    """The grey level (0–255) that best splits the pixels in two classes (Otsu); 255 when there is one level."""
    counts = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256, dtype=np.float64)
    weight = np.cumsum(counts)
    total = weight[-1]
    mass = np.cumsum(counts * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mass[-1] * weight / total - mass) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between[:-1], nan=-1.0)
    return float(np.argmax(between)) + 0.5 if between.max() > 0 else 255.0
