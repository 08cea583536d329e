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
from gallery.selectors import photos_by_ids, photos_filtered

from . import by_name
from .base import WEAK_MAX, Answer, Candidates, Term, label
from .vectors import FILTER_EXACT_MAX, MAX_K, Allowed, filtered

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
    condition, condition_score = None, 1.0  # lazy answers: a QuerySet every photo must be in, and their score
    lazy: list[Answer] = []
    open_groups = []
    for name, group in groups.items():
        signal = by_name(name)
        if not signal.selective:
            open_groups.append((signal, group))
            continue
        for term in (t for t in group if t.negated):
            dropped |= set(_answer(owner, replace(term, negated=False), Candidates(), k))
        plain = [t for t in group if not t.negated and not t.also]
        if plain:
            answer = signal.answer(owner=owner, terms=plain, within=Candidates(allowed=allowed, ids=_ids(kept)), k=k)
            if answer.photos is not None:
                condition = answer.photos if condition is None else condition & answer.photos
                condition_score *= answer.score
                lazy.append(answer)
            else:
                kept = _both(kept, answer.scores)
        for term in (t for t in group if t.also and not t.negated):
            kept = _both(kept, _answer(owner, term, Candidates(allowed=allowed, ids=_ids(kept)), k))
    if condition is not None:
        if kept is not None:
            passing = Allowed(condition, few=0, among=_among(lazy)).among(kept)
            kept = {i: s * condition_score for i, s in kept.items() if i in passing}
        else:
            alone = len(lazy) == 1 and allowed is None  # as large as it said: no other term or filter keeps fewer
            allowed = Allowed(
                condition & photos_filtered(owner=owner, filters=filters or {}),
                few=FILTER_EXACT_MAX,
                among=_among(lazy, request=allowed),
                more_than=lazy[0].more_than if alone else 0,
            )
    within = Candidates(ids=_ids(kept), excluded=dropped, allowed=allowed)
    if not open_groups:
        if kept is None and condition is not None:  # a lazy answer alone: its newest photos
            order = condition.query.order_by or ("-shot_at", "-id")  # the signal's own order, else the newest
            listed = condition.exclude(id__in=dropped) & photos_filtered(owner=owner, filters=filters or {})
            ids = list(listed.order_by(*order).values_list("id", flat=True)[:k])
            scores = dict.fromkeys(ids, condition_score)
            return _hits(owner, ids, scores=scores, raw=scores, calibrated=True)
        scores = {i: kept[i] for i in within.among(kept or {})}
        order = sorted(scores, key=lambda i: (-scores[i], -i))  # equally sure: the newest upload first
        return _hits(owner, order[:k], scores=scores, raw=scores, calibrated=True)
    # The selective terms' scores reorder what an open signal ranks, so it scores all they left (up to a bound);
    # unless they all score the same and one open signal ranks alone: then its own top k are the top k.
    alike = kept is not None and len(open_groups) == 1 and len(set(kept.values())) <= 1
    wanted = k if kept is None or alike else min(max(k, len(within.ids)), OPEN_WITHIN_MAX)
    answers: list[Answer] = [
        signal.answer(owner=owner, terms=group, within=within, k=wanted) for signal, group in open_groups
    ]
    first = answers[0]
    pool = set(first.scores).intersection(*(a.scores for a in answers[1:]))
    factor = (lambda i: kept[i]) if kept is not None else (lambda i: condition_score)
    scores = {i: math.prod(a.scores[i] for a in answers) * factor(i) for i in pool}
    # An open term's alternative readings (the word written in a photo) widen what it finds.
    widened: dict[int, float] = {}
    for term in (t for _, group in open_groups for t in group if not t.negated):
        for alternative in term.also:
            for i, score in _answer(owner, alternative, within, wanted).items():
                widened[i] = max(widened.get(i, 0.0), score)
    for i in within.among(widened):
        scores[i] = max(scores.get(i, 0.0), widened[i] * factor(i))
    position = {i: n for n, i in enumerate(first.order or sorted(first.scores, key=lambda i: -first.scores[i]))}
    if kept is None and len(answers) == 1 and not widened:
        order = sorted(scores, key=position.get)  # one open signal alone keeps its own order
    else:
        order = sorted(scores, key=lambda i: (-scores[i], position.get(i, len(position))))
    own = first.raw if first.raw is not None else first.scores
    # The open signal's own score where it decided the photo's place, the shared one where an alternative did.
    raw = {i: own[i] if i in own and scores[i] == first.scores.get(i) else scores[i] for i in scores}
    return _hits(owner, order[:k], scores=scores, raw=raw, calibrated=all(a.calibrated for a in answers))


def _answer(owner, term: Term, within: Candidates, k: int) -> dict[int, float]:
    """One term's scores, widened by its alternatives' (the best of them for each photo). A photo that lacks the
    fact a factual term names ("paris": not taken there) and only satisfies an alternative reading ("paris"
    written in it, or an OCR misreading of "parts") is at most weak."""
    signal = by_name(term.signal)
    scores = dict(signal.answer(owner=owner, terms=[replace(term, also=())], within=within, k=k).listed())
    ceiling, satisfied = (WEAK_MAX if getattr(signal, "factual", False) else 1.0), set(scores)
    for part in term.also:
        for i, score in by_name(part.signal).answer(owner=owner, terms=[part], within=within, k=k).listed().items():
            scores[i] = max(scores.get(i, 0.0), score if i in satisfied else min(score, ceiling))
    return scores


def _among(lazy: list[Answer], *, request: Allowed | None = None):
    """Which of some ids are in every lazy answer (through their own `Answer.among`) and pass the request's
    filters; None when an answer has no `among` (then its SQL condition decides)."""
    if any(answer.among is None for answer in lazy):
        return None

    def among(ids: set[int]) -> set[int]:
        for answer in lazy:
            ids = answer.among(ids) if ids else ids
        return request.among(ids) if request is not None else ids

    return among


def _both(kept: dict[int, float] | None, scores: dict[int, float]) -> dict[int, float]:
    """Photos in both, with the product of their scores (``kept`` None: no term yet)."""
    return scores if kept is None else {i: s * kept[i] for i, s in scores.items() if i in kept}


def _ids(kept: dict[int, float] | None) -> set[int] | None:
    return None if kept is None else set(kept)


def _hits(owner, ids: list[int], *, scores, raw, calibrated: bool) -> list[Hit]:
    photos = photos_by_ids(owner=owner, ids=ids)  # deleted or trashed meanwhile, or not the owner's: gone
    return [Hit(photos[i], raw[i], label(scores[i]) if calibrated else None) for i in ids if i in photos]
