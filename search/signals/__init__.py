"""Every way of answering a query word, registered in one list (base.py holds the protocol).

The parser asks the signals in this order whether they read the next words; the longest reading wins, and
between readings of the same length the earlier signal wins: a selective signal that knows a word for sure
(a date, a colour, a place or person of the owner's) comes before the model's open guess at it. Adding a signal:
a module here, plus a line below.
"""

from ..spaces import Space
from .base import POSSIBLE, STRONG, WEAK, Answer, Candidates, IndexedSignal, Reading, Signal, Term, label
from .colours import ColourSignal
from .dates import DateSignal
from .images import ImageSignal
from .people import PeopleSignal
from .places import PlaceSignal
from .tags import TagSignal
from .text import WrittenText
from .things import ThingSignal

SIGNALS: list[Signal] = [
    DateSignal(),
    ColourSignal(),
    PeopleSignal(),
    PlaceSignal(),
    ThingSignal(),
    TagSignal(),
    ImageSignal(),
    WrittenText(),
]


def by_name(name: str) -> Signal:
    return next(s for s in SIGNALS if s.name == name)


def indexed_spaces(*, owner_id: int, model_key: str) -> list[Space]:
    """The spaces the signals answer from (`IndexedSignal.indexes`), each once: the owner's indexes for a model."""
    spaces: dict[tuple[str, str], Space] = {}
    indexed: list[IndexedSignal] = [signal for signal in SIGNALS if hasattr(signal, "indexes")]
    for signal in indexed:
        for space in signal.indexes(owner_id=owner_id, model_key=model_key):
            spaces.setdefault((space.kind, space.key), space)
    return list(spaces.values())


__all__ = [
    "POSSIBLE",
    "SIGNALS",
    "STRONG",
    "WEAK",
    "Answer",
    "Candidates",
    "IndexedSignal",
    "Reading",
    "Signal",
    "Term",
    "by_name",
    "indexed_spaces",
    "label",
]
