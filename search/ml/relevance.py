"""How close a search result is, in words every kind of search shares: "strong", "possible" or "weak".

Each kind of search scores on its own scale (soft class matching for words, a cosine with a class's weights, a
cosine between two photos), so a raw score means nothing across kinds. Per kind and model, two thresholds turn
a score into a label: "strong" from the lowest score at which results were right at least 99 % of the time on
labelled real photos, "possible" at 95 %. `python -m bench.relevance_fit` fits them and stores them beside this
module (relevance_thresholds.json) with the precision and recall they reached.
No Django here.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

THRESHOLDS = Path(__file__).with_name("relevance_thresholds.json")
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
