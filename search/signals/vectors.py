"""The vector machinery the open signals share: an owner's published index plus its exact delta, searched for
the top k among the candidates a query allows, and the fitted scale that maps a space's scores onto the one
every signal shares.

Every search reads only the owner's own vectors, and every id it returns has been checked against the owner's
visible (non-trashed) photos, so a photo deleted since the last rebuild, or anybody else's, can never come back.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from gallery.models import Photo
from gallery.selectors import filters_active, photos_filtered

from .. import components
from ..index_versions import collection, embeddings
from ..ml import relevance, softclass
from ..ml.ann import exact_search
from ..models import SearchIndex
from ..spaces import Space
from .base import Candidates, calibrate

MAX_K = 100
IN_QUERY_MAX = 10_000  # ids in one `id IN (…)` query
SHARE_SAMPLE = 256  # index ids checked against a large filter to size the over-fetch (Allowed.share)
# Up to this many allowed photos a filtered query scores exactly those photos' vectors; above it, the index is
# over-fetched in proportion to how much of the collection the filter keeps (bench/filters.py measures both).
FILTER_EXACT_MAX = 2_000


class QueryError(ValidationError):
    """A query we cannot run, with a message meant for the person who typed it (a 400 on the API)."""


class Allowed:
    """The photos a filtered search may return, read only as far as the search needs them: how many there are
    (an indexed count), whether a few candidates are among them, or all their ids when they are few. Listing
    every id of a filter that keeps half of a large gallery cost more than the search itself (bench.filters).
    ``among`` and ``more_than`` are what a lazy answer knows of its photos (`Answer.among`, `Answer.more_than`)."""

    def __init__(self, photos, *, few: int, among: Callable[[set[int]], set[int]] | None = None, more_than: int = 0):
        self._photos = photos.order_by()
        self._few = few
        self._among = among
        self._more_than = more_than
        # Checking fewer ids pays only when each costs its own lookup: SQLite may answer the SQL condition of a
        # wide range by walking the range, whatever the ids asked (bench.filters, "year 2000").
        self.by_id = among is not None
        self._count: int | None = None
        self._ids: set[int] | None = None

    def __len__(self) -> int:
        if self._count is None:
            if self._ids is None:  # up to `few` ids come with their count in one query, and are kept
                head = list(self._photos.values_list("id", flat=True)[: self._few + 1])
                if len(head) <= self._few:
                    self._ids = set(head)
            self._count = len(self._ids) if self._ids is not None else self._photos.count()
        return self._count

    def ids(self) -> set[int]:
        if self._ids is None:
            self._ids = set(self._photos.values_list("id", flat=True))
        return self._ids

    def few(self) -> bool:
        """Whether at most ``few`` photos pass (then their ids are kept), in one query of at most few + 1 ids: no
        count of a large answer, which costs as much as the search when its condition is many date ranges."""
        if self._ids is None and self._count is None:
            if self._more_than and self._more_than >= self._few:
                return False
            head = list(self._photos.values_list("id", flat=True)[: self._few + 1])
            if len(head) <= self._few:
                self._ids = set(head)
        return self._ids is not None and len(self._ids) <= self._few

    def share(self, ids: np.ndarray) -> float:
        """About what share of ``ids`` (the index's) passes, from a fixed sample of SHARE_SAMPLE of them: the
        over-fetch factor of a search needs no more. At least (few + 1) / len(ids), since more than few pass (an
        index built before photos were added may hold fewer)."""
        if not len(ids):
            return 1.0
        if self._count is not None or self._ids is not None:
            return min(1.0, len(self) / len(ids))
        sample = ids if len(ids) <= SHARE_SAMPLE else np.random.default_rng(0).choice(ids, SHARE_SAMPLE, replace=False)
        passing = len(self.among(int(i) for i in sample))
        return min(1.0, max(passing / len(sample), (self._few + 1) / len(ids)))

    def among(self, photo_ids) -> set[int]:
        """Which of these photo ids pass the filter."""
        wanted = set(photo_ids)
        if not wanted:
            return set()
        if self._ids is not None:
            return self._ids & wanted
        ids = sorted(wanted)  # asked in chunks: SQLite caps the parameters of one statement
        chunks = (ids[start : start + IN_QUERY_MAX] for start in range(0, len(ids), IN_QUERY_MAX))
        if self._among is not None:
            return set().union(*(self._among(set(chunk)) for chunk in chunks))
        return {
            photo_id for chunk in chunks for photo_id in self._photos.filter(id__in=chunk).values_list("id", flat=True)
        }


class KnownIds:
    """A set of ids known in full (what selective terms left), with Allowed's interface."""

    by_id = False  # a set lookup: asking about fewer ids saves nothing

    def __init__(self, ids: set[int]):
        self._ids = ids

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> set[int]:
        return self._ids

    def few(self) -> bool:
        return len(self._ids) <= FILTER_EXACT_MAX

    def share(self, ids: np.ndarray) -> float:
        return min(1.0, len(self._ids) / max(len(ids), 1))

    def among(self, photo_ids) -> set[int]:
        return self._ids & set(photo_ids)


def filtered(*, owner: AbstractBaseUser, filters: dict | None) -> Allowed | None:
    """What a request's time and place filters allow, or None when it has none."""
    return (
        Allowed(photos_filtered(owner=owner, filters=filters), few=FILTER_EXACT_MAX)
        if filters_active(filters)
        else None
    )


def serving_model_key(*, owner: AbstractBaseUser) -> str:
    """The configured model, unless an older model's published index still covers more of the owner's photos.

    After SEARCH_MODEL changes, photos are re-embedded in the background and the new model's index is rebuilt as
    they come in; until it has caught up, the old model's vectors and index keep serving (queries are embedded
    with that same old model). Reads the few SearchIndex rows, not every vector: this runs on every query.
    """
    configured = components.configured_model_key()
    sizes: dict[str, int] = {}
    for key, size in (
        SearchIndex.objects.filter(owner=owner, space=SearchIndex.Space.IMAGE).order_by("id").values_list("key", "size")
    ):
        sizes[key] = size  # newest version last
    if sizes.get(configured, 0) >= max(sizes.values(), default=0):
        return configured
    return max(sizes, key=sizes.get)


def photo_features(photo: Photo, *, model_key: str) -> np.ndarray:
    row = embeddings(owner_id=photo.owner_id, model_key=model_key).filter(photo=photo).first()
    if row is None:
        raise QueryError(f"“{photo.original_name}” is not searchable yet (status: {photo.status}).")
    return row.as_array()


def on_shared_scale(raw: dict[int, float], *, model_key: str, kind: str, sure=frozenset()) -> tuple[dict, bool]:
    """Scores of one kind of search (relevance.WORDS, CLASS or IMAGE) on the scale every signal shares, through
    the thresholds fitted for this model and kind; ``sure`` ids (tag matches) count as strong whatever they
    score. (scores, calibrated): not calibrated when this model and kind were never fitted."""
    model, _ = components.model_parts(model_key)
    found = relevance.thresholds(model, kind)
    if found is None:
        return {i: 0.0 for i in raw}, False
    scores = {i: calibrate(s, possible=found.possible, strong=found.strong) for i, s in raw.items()}
    for i in sure:
        if i in scores:
            scores[i] = max(scores[i], 0.9)
    return scores, True


def rank_vectors(
    *,
    owner: AbstractBaseUser,
    space: Space,
    query,
    k: int,
    within: Candidates,
    weights=None,
    bonus: dict[int, float] | None = None,
) -> list[tuple[int, float]]:
    """Top k of the owner's visible photos among ``within`` by similarity to ``query`` (plus ``bonus`` per photo
    id), best first, as (photo id, score)."""
    exclude = within.excluded
    allowed = KnownIds(within.among(within.ids)) if within.ids is not None else within.allowed
    bonus = {i: b for i, b in (bonus or {}).items() if i not in exclude}
    if allowed is not None:
        passing = allowed.among(bonus)
        bonus = {i: b for i, b in bonus.items() if i in passing}
    found = collection(owner_id=owner.id, space=space)
    fetch = k + len(exclude) + len(bonus) + 8
    if allowed is not None:
        total = len(found.index or ()) + len(found.delta_ids)
        if not total:
            return []
        if found.index is None or allowed.few():
            scores = _scores_within(found, query, allowed.ids(), weights=weights)
            for photo_id in exclude:
                scores.pop(photo_id, None)
            for photo_id, extra in bonus.items():
                scores[photo_id] = scores.get(photo_id, 0.0) + extra
            return sorted(scores.items(), key=lambda item: -item[1])[:k]
        share = allowed.share(found.index.ids)
        fetch = int(fetch * 2 / share)
        # Candidates looked up by id are checked best first, about twice as many as hold k passing ones at a
        # time: the rest of the over-fetch is only a margin.
        step = max(k, int(2 * k / share)) if allowed.by_id else None
    else:
        step = None  # all the candidates at once
    visible = allowed if allowed is not None else _visible(owner)
    while True:
        candidates: dict[int, float] = {}
        if bonus:  # tag matches compete even when their vectors are far from the words
            candidates.update(_scores_of(found, query, list(bonus), weights=weights))
        if query is not None:
            candidates.update(_search(found, query, fetch, weights=weights, exclude=exclude))
        for photo_id, extra in bonus.items():
            if photo_id in candidates:
                candidates[photo_id] += extra
        ranked = sorted(candidates.items(), key=lambda item: -item[1])
        # Candidates trashed or deleted since the last build drop out here, before they can take a place in the
        # top k.
        top = _passing(ranked, visible, k=k, step=step or len(ranked) or 1)
        exhausted = len(ranked) < fetch or fetch >= len(found.index or ()) + len(found.delta_ids)
        if len(top) == k or exhausted:
            return top
        fetch *= 4  # photos deleted since the last build took places in the candidates: look further


def _passing(ranked: list[tuple[int, float]], allowed, *, k: int, step: int) -> list[tuple[int, float]]:
    """The first k of ``ranked`` that ``allowed`` passes, asking it about ``step`` of them at a time."""
    top: list[tuple[int, float]] = []
    for start in range(0, len(ranked), step):
        chunk = ranked[start : start + step]
        passing = allowed.among(i for i, _ in chunk)
        top += [(i, score) for i, score in chunk if i in passing]
        if len(top) >= k:
            break
    return top[:k]


def _visible(owner) -> Allowed:
    return Allowed(photos_filtered(owner=owner, filters={}), few=0)


def _search(found, query, k: int, *, weights, exclude) -> dict[int, float]:
    """Top k of the published index, then of the delta (embedded after the last build, scanned exactly: its
    scores win, since a re-embedded photo's new vector is the current one)."""
    if isinstance(query, softclass.SoftQuery):
        hits = dict(found.index.search(query, k, exclude=exclude)) if found.index is not None else {}
        hits.update(softclass.exact_search(found.delta_ids, found.delta_vectors, query, k, exclude=exclude))
        return hits
    hits = dict(found.index.search(query, k, weights=weights, exclude=exclude)) if found.index is not None else {}
    hits.update(exact_search(found.delta_ids, found.delta_vectors, query, k, weights=weights, exclude=exclude))
    return hits


def _scores_of(found, query, photo_ids: list[int], *, weights=None) -> dict[int, float]:
    """Exact scores of particular photos, 0 for those without a vector here or when there is no query."""
    scores = _scores_within(found, query, set(photo_ids), weights=weights) if query is not None else {}
    return {i: scores.get(i, 0.0) for i in photo_ids}


def _scores_within(found, query, allowed: set[int], *, weights=None) -> dict[int, float]:
    """Exact scores of the allowed photos that have a vector here (published index or delta)."""
    if query is None:
        return {}
    wanted = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
    scores: dict[int, float] = {}
    soft = isinstance(query, softclass.SoftQuery)
    if found.index is not None and soft:
        scores.update(found.index.scores_of(query, wanted))
    elif found.index is not None and len(rows := np.flatnonzero(np.isin(found.index.ids, wanted))):
        scores.update(found.index.scores_at(rows, query, weights=weights))
    ids, vectors = found.delta_ids, found.delta_vectors  # last: a re-embedded photo's newer vector wins
    rows = np.flatnonzero(np.isin(ids, wanted)) if len(ids) else ()
    if len(rows) and soft:
        delta = softclass.dense_scores(np.asarray(vectors[rows]), query)
        scores.update({int(i): float(v) for i, v in zip(ids[rows], delta)})
    elif len(rows):
        scores.update(exact_search(ids[rows], np.asarray(vectors[rows]), query, len(rows), weights=weights))
    return scores
