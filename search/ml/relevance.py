"""How close a search result is, in words every kind of search shares: "strong", "possible" or "weak".

Each kind of search scores on its own scale (soft class matching for words, a cosine with a class's weights, a
cosine between two photos), so a raw score means nothing across kinds. Per kind and model, two thresholds turn
a score into a label: "strong" from the lowest score at which results were right at least STRONG_PRECISION of
the time on labelled real photos, "possible" at POSSIBLE_PRECISION. `python -m bench.relevance_fit` fits them and
stores them beside this module (relevance_thresholds.json) with the precision and recall they reached.
No Django here.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

THRESHOLDS = Path(__file__).with_name("relevance_thresholds.json")
STRONG_PRECISION = 0.9
POSSIBLE_PRECISION = 0.5
STRONG, POSSIBLE, WEAK = "strong", "possible", "weak"
LABELS = (STRONG, POSSIBLE, WEAK)
# The kinds of search with a scale of their own.
WORDS, CLASS, IMAGE = "words", "class", "image"


@dataclass(frozen=True)
class Thresholds:
    strong: float
    possible: float

    def label(self, score: float) -> str:
        return STRONG if score >= self.strong else POSSIBLE if score >= self.possible else WEAK


def fit_threshold(scores: np.ndarray, right: np.ndarray, *, precision: float) -> float:
    """The lowest score t such that results scoring ≥ t are right at least `precision` of the time.

    With no such t (too few right results), the highest score plus a margin: nothing reaches the label.
    """
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    ranked, hits = np.asarray(scores, dtype=np.float64)[order], np.asarray(right, dtype=bool)[order]
    cumulative = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    ok = np.flatnonzero(cumulative >= precision)
    if not len(ok):
        return float(ranked[0] + 1.0) if len(ranked) else float("inf")
    cut = ok[-1]
    while cut + 1 < len(ranked) and ranked[cut + 1] == ranked[cut]:
        cut += 1  # ties share a label
    return float(ranked[cut])


def measure(scores: np.ndarray, right: np.ndarray, found: Thresholds) -> dict:
    """The precision and recall each label's threshold reaches on labelled (scores, right)."""
    scores, right = np.asarray(scores, dtype=np.float64), np.asarray(right, dtype=bool)
    report = {"pairs": len(scores), "right": int(right.sum())}
    for name, cut in ((STRONG, found.strong), (POSSIBLE, found.possible)):
        chosen = scores >= cut
        report[f"{name}_precision"] = round(float(right[chosen].mean()) if chosen.any() else 1.0, 3)
        report[f"{name}_recall"] = round(float(right[chosen].sum() / max(1, right.sum())), 3)
    return report


def fit(scores: np.ndarray, right: np.ndarray) -> Thresholds:
    """Both thresholds of one kind of search, from labelled (scores, right)."""
    strong = fit_threshold(scores, right, precision=STRONG_PRECISION)
    possible = min(strong, fit_threshold(scores, right, precision=POSSIBLE_PRECISION))
    return Thresholds(strong=round(strong, 4), possible=round(possible, 4))


@functools.lru_cache(maxsize=1)
def _stored(path: Path = THRESHOLDS) -> dict:
    return json.loads(Path(path).read_text()) if Path(path).exists() else {}


def thresholds(model: str, kind: str) -> Thresholds | None:
    """The stored thresholds of one kind of search for one model ("lite0"), None when it was never fitted."""
    found = _stored().get("models", {}).get(model, {}).get(kind)
    return Thresholds(strong=found["strong"], possible=found["possible"]) if found else None


def labels(scores, *, model: str, kind: str) -> list[str | None]:
    """A label per score; None for each when this model and kind have no fitted thresholds."""
    found = thresholds(model, kind)
    return [found.label(float(s)) if found else None for s in scores]
