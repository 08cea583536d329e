"""The one protocol every way of answering a query word follows.

A query is parsed once into terms (search/signals/parse.py). Each term was read by one registered signal, which
answers it for one owner with candidate photos and a score in (0, 1]: a calibrated "how surely this photo
satisfies the term", so that terms from different signals combine (search/signals/rank.py) and one labeller
turns the combined score into strong / possible / weak (`label`).

Two kinds of signal, told apart by ``selective`` and nothing else:
- selective (dates, places, colours, people, tags, written text): the photos that satisfy the term form a set
  that the signal can list cheaply. The ranker intersects these sets first ("red motorcycle 2019" keeps only
  photos that are red and from 2019), and removes the sets of negated terms ("cat -grace").
- open (the model's image and word spaces): every photo has some score; the signal ranks the whole gallery, or
  only the candidates the selective terms left.

Adding a signal is one module with a class that follows `Signal`, plus one line in search/signals/__init__.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.contrib.auth.models import AbstractBaseUser

from ..spaces import Space

# One scale for every signal: a combined score at or above these is labelled so.
STRONG_SCORE = 0.8
POSSIBLE_SCORE = 0.5
STRONG, POSSIBLE, WEAK = "strong", "possible", "weak"
TAIL_SHARE = 0.1  # see calibrate
# A photo that lacks a fact a term names (where, when, what colour, who) scores at most this: weak, whatever an
# alternative reading of the words (the word written in it) finds.
WEAK_MAX = 0.49


def label(score: float) -> str:
    """strong / possible / weak for a combined score in [0, 1]."""
    return STRONG if score >= STRONG_SCORE else POSSIBLE if score >= POSSIBLE_SCORE else WEAK


def calibrate(raw: float, *, possible: float, strong: float) -> float:
    """A score on a signal's own scale mapped onto the shared one: ``possible`` → POSSIBLE_SCORE and ``strong`` →
    STRONG_SCORE, linear between, saturating towards 0 below and 1 above. Strictly increasing, so one signal's
    order is kept."""
    spread = max(strong - possible, 1e-6)
    # The tails fade over at least a tenth of the threshold: thresholds fitted equal (nothing between "possible"
    # and "strong" on the labelled photos) must not squash every other score to 0 or 1, which would lose the
    # signal's order once terms are multiplied.
    tail = max(spread, TAIL_SHARE * abs(strong), 1e-6)
    if raw < possible:
        return POSSIBLE_SCORE * math.exp((raw - possible) / tail)
    if raw < strong:
        return POSSIBLE_SCORE + (STRONG_SCORE - POSSIBLE_SCORE) * (raw - possible) / spread
    return STRONG_SCORE + (1 - STRONG_SCORE) * (1 - math.exp(-(raw - strong) / tail))


@dataclass(frozen=True)
class Reading:
    """What a signal made of the first ``length`` tokens it was shown."""

    length: int  # how many tokens it consumed (≥ 1): "new york" is 2, "2019" is 1
    value: Any  # the signal's own parsed form: a date range, a place key, a colour name, a person id, …
    shown: str | None = None  # how to show it if not as typed: "Rome, Italy", "July 2019"


@dataclass(frozen=True)
class Term:
    """One part of a query, as read by one signal."""

    text: str  # the words as typed: "new york", "2019", "red", '"gate 12"'
    signal: str  # the `Signal.name` that reads and answers it
    kind: str  # how it was understood, shown to the user: "thing", "place", "date", "colour", "person", …
    value: Any = None
    shown: str | None = None
    negated: bool = False  # typed as "-word": photos that satisfy it are pushed out
    # Other signals' readings of the same words, answered as alternatives: a photo satisfies the term if it
    # satisfies any of them (a word shown in a photo, or written in it). See `Signal.alternative`.
    also: tuple[Term, ...] = ()

    def as_dict(self) -> dict:
        """The API shape of a term: {"word", "as", "shown", "negated"}."""
        return {"word": self.text, "as": self.kind, "shown": self.shown or self.text, "negated": self.negated}


@dataclass
class Answer:
    """A signal's answer to its terms.

    - ``scores``: photo id → how surely the photo satisfies the terms, in (0, 1], on the one scale every signal
      shares. Terms combine by multiplying these, and `label` reads the product. An open signal returns only the
      photos it found worth returning: its top candidates.
    - ``raw``: the same photos on the signal's own scale (a cosine, a soft class score), which the API shows as
      ``score``; None when that is ``scores``.
    - ``order``: the signal's own best-first order, when it ranks by something finer than ``scores``.
    - ``calibrated``: False when the signal has no fitted scale for this model; the results then carry no label.
    - ``photos``: instead of ``scores``, a lazy QuerySet of the owner's photos that satisfy the terms, each
      scoring ``score``: for a selective answer that may hold most of a large gallery ("summer"), which the ranker
      then applies as a condition of the search instead of listing its ids. Its ordering, if any, is the order in
      which a query of this term alone lists the photos.
    - ``among``: with ``photos``, optionally, which of a few given photo ids are among them, found without
      ``photos``' SQL condition (a recurring period is dozens of ranges, and SQLite reads a wide range's index
      rather than look a few ids up).
    - ``more_than``: with ``photos``, how many photos they are known to exceed (0: not known), so that the ranker
      need not list them again to learn that they are many.
    """

    scores: dict[int, float] = field(default_factory=dict)
    raw: dict[int, float] | None = None
    order: list[int] | None = None
    calibrated: bool = True
    photos: Any = None
    score: float = 1.0
    among: Callable[[set[int]], set[int]] | None = None
    more_than: int = 0

    def listed(self) -> dict[int, float]:
        """``scores``, or every photo of a lazy answer with its score (for tests and benches, not the ranker)."""
        if self.photos is None:
            return self.scores
        return dict.fromkeys(self.photos.values_list("id", flat=True), self.score)


class Candidates:
    """The photos a term may still return: every photo of the owner (``ids`` None) or a known set, minus
    ``excluded``; ``allowed`` also restricts them when the request carries time or place filters (read lazily:
    search/signals/vectors.py `Allowed`)."""

    def __init__(self, *, ids: set[int] | None = None, excluded: set[int] | None = None, allowed=None):
        self.ids = ids
        self.excluded = excluded or set()
        self.allowed = allowed

    def among(self, photo_ids) -> set[int]:
        """Which of these photo ids are candidates."""
        wanted = set(photo_ids) - self.excluded
        if self.ids is not None:
            wanted &= self.ids
        return self.allowed.among(wanted) if self.allowed is not None else wanted


class Signal(Protocol):
    name: str  # unique key in the registry, and Term.signal
    kind: str  # Term.kind of the terms it reads
    selective: bool  # see the module docstring
    # True for a signal whose reading widens another's instead of replacing it (written text: "coffee" finds the
    # photos showing coffee and those with the word written). Signals without the attribute replace.
    alternative: bool
    # True for a signal whose terms name a fact a photo has or lacks (where, when, what colour, who): a photo
    # lacking it is at most weak (WEAK_MAX) even when an alternative reading finds it. Absent: False.
    factual: bool

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str]) -> Reading | None:
        """Whether the tokens, starting at tokens[0], name something this signal answers (longest reading
        first: "new york city" before "new york"). Tokens are lower-cased words; a quoted phrase arrives as one
        token with its quotes. None when it doesn't read them. Cheap: it runs for every word of every query."""
        ...

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        """Scores of the owner's photos for all of ``terms`` (this signal's) taken together.

        A selective signal is given its terms without negation (the ranker removes what a negated one answers)
        and lists every photo that satisfies them; it may ignore ``within`` (the ranker intersects) or use it to
        read less. An open signal handles its own negated terms ("cup -coffee" pushes away) and returns its best
        ``k`` among ``within``. Only ``owner``'s photos, never trashed ones."""
        ...


class IndexedSignal(Signal, Protocol):
    """A signal that answers from vector indexes also names them: the spaces of the owner's photos it reads, for
    one model (search/spaces.py). Every index it names is built, published and loaded with the others
    (search/indexes.py), with no line elsewhere."""

    def indexes(self, *, owner_id: int, model_key: str) -> Sequence[Space]: ...
