"""One ranker for every query: terms → each signal's answer → combined → labelled hits.

Read like Lucene's bool query: each positive selective term is a `filter` the photos must pass (their sets are
intersected, their scores multiplied), each negated selective term a `must_not`, and the open terms score what
is left (`must`). Time and place filters from the request restrict everything below the scoring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.contrib.auth.models import AbstractBaseUser

from gallery.models import Photo
from gallery.selectors import photos_by_ids

from . import by_name
from .base import Answer, Candidates, Term, label
from .vectors import MAX_K, filtered

# An open signal scores at most this many of the photos the selective terms left; more are ranked by it alone.
OPEN_WITHIN_MAX = 1_000


@dataclass(frozen=True)
class Hit:
    photo: Photo
    score: float  # on the scale of the query's own kind of search (a cosine, a soft class score), or the shared one
    match: str | None = None  # strong / possible / weak, one scale for every kind of search; None: not calibrated


def rank(
    *, owner: AbstractBaseUser, terms: Sequence[Term], k: int, filters: dict | None = None, exclude=frozenset()
) -> list[Hit]:
    """The owner's top ``k`` photos for all of ``terms`` together, best first."""
    k = max(1, min(int(k), MAX_K))
    groups: dict[str, list[Term]] = {}
    for term in terms:
        groups.setdefault(term.signal, []).append(term)
    allowed = filtered(owner=owner, filters=filters)
    dropped, kept = set(exclude), None  # kept: photo id → product of the selective scores
    open_groups = []
    for name, group in groups.items():
        signal = by_name(name)
        if not signal.selective:
            open_groups.append((signal, group))
            continue
        for term in (t for t in group if t.negated):
            pushed = signal.answer(owner=owner, terms=[replace(term, negated=False)], within=Candidates(), k=k)
            dropped |= set(pushed.scores)
        positive = [t for t in group if not t.negated]
        if positive:
            answer = signal.answer(owner=owner, terms=positive, within=Candidates(allowed=allowed, ids=_ids(kept)), k=k)
            kept = answer.scores if kept is None else {i: s * kept[i] for i, s in answer.scores.items() if i in kept}
    within = Candidates(ids=_ids(kept), excluded=dropped, allowed=allowed)
    if not open_groups:
        scores = {i: kept[i] for i in within.among(kept or {})}
        order = sorted(scores, key=lambda i: (-scores[i], -i))  # equally sure: the newest upload first
        return _hits(owner, order[:k], scores=scores, raw=scores, calibrated=True)
    wanted = k if kept is None else min(max(k, len(within.ids)), OPEN_WITHIN_MAX)
    answers: list[Answer] = [
        signal.answer(owner=owner, terms=group, within=within, k=wanted) for signal, group in open_groups
    ]
    first = answers[0]
    pool = set(first.scores).intersection(*(a.scores for a in answers[1:]))
    scores = {i: math.prod(a.scores[i] for a in answers) * (kept[i] if kept else 1.0) for i in pool}
    position = {i: n for n, i in enumerate(first.order or sorted(first.scores, key=lambda i: -first.scores[i]))}
    if kept is None and len(answers) == 1:
        order = sorted(pool, key=position.get)  # one open signal alone keeps its own order
    else:
        order = sorted(pool, key=lambda i: (-scores[i], position[i]))
    raw = first.raw if first.raw is not None else first.scores
    return _hits(owner, order[:k], scores=scores, raw=raw, calibrated=all(a.calibrated for a in answers))


def _ids(kept: dict[int, float] | None) -> set[int] | None:
    return None if kept is None else set(kept)


def _hits(owner, ids: list[int], *, scores, raw, calibrated: bool) -> list[Hit]:
    photos = photos_by_ids(owner=owner, ids=ids)  # deleted or trashed meanwhile, or not the owner's: gone
    return [Hit(photos[i], raw[i], label(scores[i]) if calibrated else None) for i in ids if i in photos]
