"""Every way of answering a query word, registered in one list (see base.py for the protocol).

The parser asks the signals in this order whether they read the next words; the longest reading wins, and
between readings of the same length the earlier signal wins. Adding a signal: a module here, plus a line below.
"""

from .base import POSSIBLE, STRONG, WEAK, Answer, Reading, Signal, Term, label
from .text import WrittenText

SIGNALS: list[Signal] = [
    WrittenText(),
]


def by_name(name: str) -> Signal:
    return next(s for s in SIGNALS if s.name == name)


__all__ = ["POSSIBLE", "SIGNALS", "STRONG", "WEAK", "Answer", "Reading", "Signal", "Term", "by_name", "label"]
