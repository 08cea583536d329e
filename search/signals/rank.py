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
            dropped |= set(_answer(owner, replace(term, negated=False), Candidates(), k))
        plain = [t for t in group if not t.negated and not t.also]
        answers = (
            [signal.answer(owner=owner, terms=plain, within=Candidates(allowed=allowed, ids=_ids(kept)), k=k).scores]
            if plain
            else []
        )
        answers += [
            _answer(owner, t, Candidates(allowed=allowed, ids=_ids(kept)), k) for t in group if t.also and not t.negated
        ]
        for scores in answers:
            kept = scores if kept is None else {i: s * kept[i] for i, s in scores.items() if i in kept}
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
    # An open term's alternative readings (the word written in a photo) widen what it finds.
    widened: dict[int, float] = {}
    for term in (t for _, group in open_groups for t in group if not t.negated):
        for alternative in term.also:
            for i, score in _answer(owner, alternative, within, wanted).items():
                widened[i] = max(widened.get(i, 0.0), score)
    for i in within.among(widened):
        scores[i] = max(scores.get(i, 0.0), widened[i] * (kept[i] if kept else 1.0))
    position = {i: n for n, i in enumerate(first.order or sorted(first.scores, key=lambda i: -first.scores[i]))}
    if kept is None and len(answers) == 1 and not widened:
        order = sorted(scores, key=position.get)  # one open signal alone keeps its own order
    else:
        order = sorted(scores, key=lambda i: (-scores[i], position.get(i, len(position))))
    raw = {**scores, **(first.raw if first.raw is not None else first.scores)}
    return _hits(owner, order[:k], scores=scores, raw=raw, calibrated=all(a.calibrated for a in answers))


def _answer(owner, term: Term, within: Candidates, k: int) -> dict[int, float]:
    """One term's scores, widened by its alternatives' (the best of them for each photo)."""
    scores: dict[int, float] = {}
    for part in (replace(term, also=()), *term.also):
        for i, score in by_name(part.signal).answer(owner=owner, terms=[part], within=within, k=k).scores.items():
            scores[i] = max(scores.get(i, 0.0), score)
    return scores


def _ids(kept: dict[int, float] | None) -> set[int] | None:
    return None if kept is None else set(kept)


def _hits(owner, ids: list[int], *, scores, raw, calibrated: bool) -> list[Hit]:
    photos = photos_by_ids(owner=owner, ids=ids)  # deleted or trashed meanwhile, or not the owner's: gone
    return [Hit(photos[i], raw[i], label(scores[i]) if calibrated else None) for i in ids if i in photos]
