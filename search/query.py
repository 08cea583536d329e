"""Where a query becomes results: a request (photo, image, class or words) → the owner's photos, best first.

Every query starts from the owner: it searches only their indexes, and every hit is re-read through the
gallery selector, so a photo deleted since the last rebuild, or anybody else's, can never come back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from PIL import Image

from gallery.models import Photo
from gallery.selectors import filters_active, photo_get, photos_by_ids, photos_filtered, tags_accepted

from . import components
from .index_versions import collection, embeddings
from .ml import relevance, softclass
from .ml.ann import exact_search
from .ml.classes import UnknownClass, classes_named_by, resolve_class
from .ml.words import UnknownWord
from .models import SearchIndex, TextProjection
from .query_embedding import query_image_features
from .spaces import Space, active_projection, image_space, logits, text_query, text_space

MAX_K = 100


class QueryError(ValidationError):
    """A query we cannot run, with a message meant for the person who typed it (a 400 on the API)."""


@dataclass(frozen=True)
class Hit:
    photo: Photo
    score: float
    match: str | None = None  # relevance.STRONG, POSSIBLE or WEAK: one scale across kinds of search


def similar_to_photo(
    *, owner: AbstractBaseUser, photo_id: int, k: int, class_value: str | None = None, filters: dict | None = None
) -> list[Hit]:
    """Photos like one of the owner's photos (404 for anyone else's id), optionally conditioned on a class."""
    photo = photo_get(owner=owner, id=photo_id)
    space = image_space(model_key=serving_model_key(owner=owner))
    features = _photo_features(photo, model_key=space.model_key)
    hits = _rank(
        owner,
        space,
        features,
        k,
        weights=_class_weights(class_value, space),
        exclude={photo.id},
        allowed=_allowed(owner, filters),
    )
    return _labelled(hits, model_key=space.model_key, kind=relevance.IMAGE)


def similar_to_image(
    *,
    owner: AbstractBaseUser,
    image: Image.Image,
    k: int,
    class_value: str | None = None,
    filters: dict | None = None,
) -> list[Hit]:
    """Photos like an uploaded image that is not stored."""
    space = image_space(model_key=serving_model_key(owner=owner))
    weights = _class_weights(class_value, space)  # before the model runs: a bad class is a cheap 400
    features = query_image_features(image=image, model_key=space.model_key)
    hits = _rank(owner, space, features, k, weights=weights, allowed=_allowed(owner, filters))
    return _labelled(hits, model_key=space.model_key, kind=relevance.IMAGE)


ROCCHIO_NEGATIVE_SHARE = 0.5  # how far the negatives' mean pulls the query away (Rocchio's gamma, beta = 1)
MAX_EXAMPLES = 100


def similar_to_photos(
    *,
    owner: AbstractBaseUser,
    photo_ids: list[int],
    not_photo_ids: list[int] | None = None,
    k: int,
    filters: dict | None = None,
) -> list[Hit]:
    """ "More like these": photos like all of ``photo_ids`` and unlike ``not_photo_ids`` (Rocchio).

    The query is the mean of the positives' unit vectors minus ROCCHIO_NEGATIVE_SHARE × the mean of the
    negatives'; every example is left out of the results. Any id that is not the owner's is a 404.
    """
    not_photo_ids = not_photo_ids or []
    if not photo_ids:
        raise QueryError("Pick at least one photo to search like.")
    if len(photo_ids) + len(not_photo_ids) > MAX_EXAMPLES:
        raise QueryError(f"Pick at most {MAX_EXAMPLES} example photos.")
    if set(photo_ids) & set(not_photo_ids):
        raise QueryError("A photo cannot be both an example and a counter-example.")
    examples = [photo_get(owner=owner, id=i) for i in dict.fromkeys(photo_ids + not_photo_ids)]  # 404 first
    space = image_space(model_key=serving_model_key(owner=owner))
    vectors = {p.id: _photo_features(p, model_key=space.model_key) for p in examples}

    def mean_direction(ids: list[int]) -> np.ndarray:
        rows = np.stack([vectors[i] / max(np.linalg.norm(vectors[i]), 1e-12) for i in ids])
        return rows.mean(axis=0)

    query = mean_direction(photo_ids)
    if not_photo_ids:
        query = query - ROCCHIO_NEGATIVE_SHARE * mean_direction(not_photo_ids)
    hits = _rank(owner, space, query.astype(np.float32), k, exclude=set(vectors), allowed=_allowed(owner, filters))
    return _labelled(hits, model_key=space.model_key, kind=relevance.IMAGE)


def by_class(*, owner: AbstractBaseUser, class_value: str, k: int, filters: dict | None = None) -> list[Hit]:
    """The owner's photos most like an ImageNet class: cosine between a photo's features and the class's weights."""
    space = image_space(model_key=serving_model_key(owner=owner))
    class_id = _class_id(class_value)
    weights, _ = components.classifier(space.model_key)
    hits = _rank(owner, space, weights[:, class_id], k, allowed=_allowed(owner, filters))
    return _labelled(hits, model_key=space.model_key, kind=relevance.CLASS)


TAG_MATCH_BONUS = 1.0  # a photo the owner tagged with a query word outranks any vector similarity


def by_text(
    *,
    owner: AbstractBaseUser,
    q: str,
    k: int,
    photo_id: int | None = None,
    class_value: str | None = None,
    filters: dict | None = None,
) -> list[Hit]:
    """Words (``-word`` pushes away), optionally narrowed by one of the owner's photos and by a class.

    The owner's accepted tags count directly: a photo tagged with a query word (or the whole query, for a
    multi-word tag) gets TAG_MATCH_BONUS added to its score, one tagged with a ``-word`` loses it, and a word
    GloVe does not know is fine as long as it is one of the owner's tags ("xmas2024"). A class is one more
    term, as a word would be: its name, or for soft class matching the class itself.
    """
    q, filters = query_year(q, filters)
    positive, negative = parse_words(q)
    if not positive and photo_id is None and not class_value:
        raise QueryError(
            "Type at least one word to search for."
            if not negative
            else "Add a word to search for; “-word” only pushes results away from it."
        )
    class_id = _class_id(class_value) if class_value else None
    space = text_space(owner_id=owner.id, model_key=serving_model_key(owner=owner))
    words = components.word_space()
    tagged = _tag_matches(owner, positive, negative)
    signed = []
    for sign, group in ((1.0, positive), (-1.0, negative)):
        for word in group:
            if word in words:
                signed.append((sign, words.vector(word)))
            elif word not in tagged["names"]:
                raise unknown_word(word)
    exclude, photo_vector = set(), None
    if photo_id is not None:
        # "Like this one, but …": the photo itself is one more term of the query.
        photo = photo_get(owner=owner, id=photo_id)
        photo_vector = space.vectors(_photo_features(photo, model_key=space.model_key)[None])[0]
        exclude = {photo.id}
    query = text_query(space, words=signed, photo_vector=photo_vector, class_id=class_id)
    if query is None and not tagged["bonus"]:
        raise QueryError("The words cancel each other out.")
    hits = _rank(owner, space, query, k, exclude=exclude, bonus=tagged["bonus"], allowed=_allowed(owner, filters))
    return _text_labelled(owner, hits, space=space, words=signed, class_id=class_id, bonus=tagged["bonus"])


def unknown_word(word: str) -> QueryError:
    """An unknown word, with the vocabulary's closest spellings ("coffe" → coffee) as ``suggestions``."""
    suggestions = components.word_space().spelling(word)
    hint = f" Did you mean {' or '.join(f'“{s}”' for s in suggestions)}?" if suggestions else " Try another word."
    return QueryError(
        f"Unknown word: “{word}”.{hint}", code="unknown_word", params={"word": word, "suggestions": suggestions}
    )


def classes_offered(*, q: str) -> list[dict]:
    """Kinds of thing the query's words name ("cat" → tabby cat, Siamese cat, …), to narrow a word search to."""
    positive, _ = parse_words(query_year(q, None)[0])
    offered = {class_id: name for word in positive for class_id, name in classes_named_by(word)}
    return [{"id": class_id, "name": name} for class_id, name in offered.items()]


def _tag_matches(owner, positive: list[str], negative: list[str]) -> dict:
    """The owner's photos carrying a query word as an accepted tag: {"names": matched tags, "bonus": {id: ±bonus}}."""
    sign = {name: 1.0 for name in [*positive, " ".join(positive)] if name}
    sign.update({name: -1.0 for name in negative})
    rows = tags_accepted(owner_id=owner.id, names=sign).values_list("photo_id", "tag__name")
    bonus: dict[int, float] = {}
    for photo_id, name in rows:
        bonus[photo_id] = bonus.get(photo_id, 0.0) + sign[name] * TAG_MATCH_BONUS
    return {"names": {name for _, name in rows}, "bonus": bonus}


def text_mapping(*, owner: AbstractBaseUser) -> dict:
    """Which text mapping the owner's text search uses, and the held-out scores that decided it."""
    latest = TextProjection.objects.filter(owner=owner).first()
    model_key = serving_model_key(owner=owner)
    return {
        "method": "trained" if active_projection(owner_id=owner.id, model_key=model_key) else "zero-shot",
        "zeroshot_score": latest.zeroshot_score if latest else None,
        "trained_score": latest.trained_score if latest else None,
        "tagged_photos": latest.n_photos if latest else 0,
        "trained_at": latest.trained_at if latest else None,
    }


def similar_words(*, q: str, k: int) -> list[tuple[str, float]]:
    word = q.strip().lower()
    if not word or " " in word:
        raise QueryError("Give one word, e.g. ?q=ocean.")
    try:
        return components.word_space().similar(word, k)
    except UnknownWord:
        raise unknown_word(word) from None


_WORD = re.compile(r"^-?[\w'’-]+$")


def parse_words(q: str) -> tuple[list[str], list[str]]:
    """'cat sofa -person' → (['cat', 'sofa'], ['person']); commas and extra spaces are ignored."""
    positive, negative = [], []
    for token in q.replace(",", " ").split():
        if not _WORD.match(token) or token == "-":
            raise QueryError(f"“{token}” is not a word; use letters, and “-word” to push a word away.")
        (negative if token.startswith("-") else positive).append(token.lstrip("-").lower())
    return positive, negative


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


def _photo_features(photo: Photo, *, model_key: str) -> np.ndarray:
    row = embeddings(owner_id=photo.owner_id, model_key=model_key).filter(photo=photo).first()
    if row is None:
        raise QueryError(f"“{photo.original_name}” is not searchable yet (status: {photo.status}).")
    return row.as_array()


def _class_id(value: str) -> int:
    try:
        return resolve_class(value)
    except UnknownClass:
        # Said to people as well as to scripts: no jargon, no URL; the class list is GET /api/classes/.
        named = [name for _, name in classes_named_by(str(value))]
        if named:
            raise QueryError(
                f"“{value}” names several kinds of thing: {', '.join(named)}. Pick one.",
                code="unknown_class",
                params={"suggestions": named},
            ) from None
        raise QueryError(
            f"No kind of thing is called “{value}”; pick one of the names suggested as you type."
        ) from None


def _class_weights(class_value: str | None, space: Space) -> np.ndarray | None:
    """Per-feature weights of one class, negatives clipped to zero.

    cosine(q⊙w, x⊙w) depends on w², so a negative weight (evidence *against* the class) would be emphasised
    exactly like a positive one; clipping keeps only the features that speak for the class.
    """
    if not class_value:
        return None
    weights, _ = components.classifier(space.model_key)
    return np.maximum(weights[:, _class_id(class_value)], 0).astype(np.float32)


# Time and place filters -----------------------------------------------------------------------------------
# A filter is a restriction of the candidate photos, applied below the scoring: every search type gets it the
# same way, whatever scores the candidates.

_YEAR = re.compile(r"^(19|20)\d\d$")


def query_year(q: str, filters: dict | None) -> tuple[str, dict | None]:
    """'beach 2023' → ('beach', filters with year=2023): a lone year in a text query means "taken that year"."""
    tokens = q.split()
    years = [t for t in tokens if _YEAR.match(t)]
    if not years:
        return q, filters
    if len(set(years)) > 1:
        raise QueryError(f"Give one year, not {len(set(years))}: use taken_after and taken_before for a range.")
    words = " ".join(t for t in tokens if not _YEAR.match(t))
    return words, {**(filters or {}), "year": int(years[0])}


IN_QUERY_MAX = 10_000  # ids in one `id IN (…)` query


class Allowed:
    """The photos a filtered search may return, read only as far as the search needs them: how many there are
    (an indexed count), whether a few candidates are among them, or all their ids when they are few. Listing
    every id of a filter that keeps half of a large gallery cost more than the search itself (bench.filters)."""

    def __init__(self, photos, *, few: int):
        self._photos = photos.order_by()
        self._few = few
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

    def among(self, photo_ids) -> set[int]:
        """Which of these photo ids pass the filter."""
        wanted = set(photo_ids)
        if not wanted:
            return set()
        if self._ids is not None:
            return self._ids & wanted
        ids = sorted(wanted)  # asked in chunks: SQLite caps the parameters of one statement
        return {
            photo_id
            for start in range(0, len(ids), IN_QUERY_MAX)
            for photo_id in self._photos.filter(id__in=ids[start : start + IN_QUERY_MAX]).values_list("id", flat=True)
        }


def _allowed(owner, filters: dict | None) -> Allowed | None:
    """What a filtered search may return, or None when there is no filter."""
    return (
        Allowed(photos_filtered(owner=owner, filters=filters), few=FILTER_EXACT_MAX)
        if filters_active(filters)
        else None
    )


# Up to this many allowed photos a filtered query scores exactly those photos' vectors; above it, the index is
# over-fetched in proportion to how much of the collection the filter keeps (bench/filters.py measures both).
FILTER_EXACT_MAX = 2_000


def _rank(
    owner,
    space: Space,
    query: np.ndarray,
    k: int,
    *,
    weights=None,
    exclude=frozenset(),
    bonus: dict[int, float] | None = None,
    allowed: Allowed | None = None,
) -> list[Hit]:
    """Top k of the owner's photos by similarity (plus ``bonus`` per photo id), best first; only ``allowed``
    ids when given (a time or place filter)."""
    k = max(1, min(int(k), MAX_K))
    bonus = {i: b for i, b in (bonus or {}).items() if i not in exclude}
    if allowed is not None:
        passing = allowed.among(bonus)
        bonus = {i: b for i, b in bonus.items() if i in passing}
    found = collection(owner_id=owner.id, space=space)
    fetch = k + len(exclude) + len(bonus) + 8
    if allowed is not None:
        total = len(found.index or ()) + len(found.delta_ids)
        if not allowed or not total:
            return []
        if len(allowed) <= FILTER_EXACT_MAX or found.index is None:
            scores = _scores_within(found, query, allowed.ids(), weights=weights)
            for photo_id in exclude:
                scores.pop(photo_id, None)
            for photo_id, extra in bonus.items():
                scores[photo_id] = scores.get(photo_id, 0.0) + extra
            ranked = sorted(scores.items(), key=lambda item: -item[1])[:k]
            photos = photos_by_ids(owner=owner, ids=[i for i, _ in ranked])
            return [Hit(photos[i], score) for i, score in ranked if i in photos]
        fetch = int(fetch * 2 * total / len(allowed))
    visible = allowed if allowed is not None else Allowed(photos_filtered(owner=owner, filters={}), few=0)
    while True:
        candidates: dict[int, float] = {}
        if bonus:  # tag matches compete even when their vectors are far from the words
            candidates.update(_scores_of(found, query, list(bonus), weights=weights))
        if query is not None:
            candidates.update(_search(found, query, fetch, weights=weights, exclude=exclude))
        for photo_id, extra in (bonus or {}).items():
            if photo_id in candidates:
                candidates[photo_id] += extra
        ranked = sorted(candidates.items(), key=lambda item: -item[1])
        # Candidates trashed or deleted since the last build drop out here, before they can take a place in the
        # top k; only the final k are loaded with their tags.
        passing = visible.among(i for i, _ in ranked)
        top = [(i, score) for i, score in ranked if i in passing][:k]
        exhausted = len(ranked) < fetch or fetch >= len(found.index or ()) + len(found.delta_ids)
        if len(top) == k or exhausted:
            photos = photos_by_ids(owner=owner, ids=[i for i, _ in top])
            return [Hit(photos[i], score) for i, score in top if i in photos]
        fetch *= 4  # photos deleted since the last build took places in the candidates: look further


def _labelled(hits: list[Hit], *, model_key: str, kind: str, scores=None, sure=frozenset()) -> list[Hit]:
    """The hits with their relevance labels: each score (or ``scores``, on the kind's own scale) against the
    thresholds fitted for this model and kind; ``sure`` photo ids (tag matches) are strong whatever they score."""
    model, _ = components.model_parts(model_key)
    found = relevance.labels([h.score for h in hits] if scores is None else scores, model=model, kind=kind)
    return [replace(h, match=relevance.STRONG if h.photo.id in sure else m) for h, m in zip(hits, found)]


def _text_labelled(owner, hits: list[Hit], *, space: Space, words, class_id, bonus: dict[int, float]) -> list[Hit]:
    """Word results labelled on the soft class matching scale, whatever mapping ranked them: the trained
    projection's cosines have no fixed scale, so its hits are re-scored by soft class matching for the label."""
    sure = {i for i, extra in bonus.items() if extra > 0}
    if space.scoring == softclass.KIND:
        scores = [h.score - bonus.get(h.photo.id, 0.0) for h in hits]
        return _labelled(hits, model_key=space.model_key, kind=relevance.WORDS, scores=scores, sure=sure)
    soft = softclass.words_query(words, components.class_matrix(), class_id=class_id)
    if soft is None or not hits:
        return [replace(h, match=relevance.STRONG if h.photo.id in sure else None) for h in hits]
    rows = dict(
        embeddings(owner_id=owner.id, model_key=space.model_key)
        .filter(photo_id__in=[h.photo.id for h in hits])
        .values_list("photo_id", "vector")
    )
    if not rows:  # every hit deleted meanwhile
        return [replace(h, match=relevance.STRONG if h.photo.id in sure else None) for h in hits]
    ids = list(rows)
    features = np.stack([np.frombuffer(bytes(rows[i]), dtype=np.float32) for i in ids])
    probabilities = softclass.class_probabilities(logits(features, model_key=space.model_key))
    zero_shot = dict(zip(ids, softclass.dense_scores(probabilities, soft).tolist()))
    scores = [zero_shot.get(h.photo.id, 0.0) for h in hits]  # a photo deleted since it was ranked: weak
    return _labelled(hits, model_key=space.model_key, kind=relevance.WORDS, scores=scores, sure=sure)


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
    parts = [(found.delta_ids, found.delta_vectors)]
    if found.index is not None and not soft:
        parts.insert(0, (found.index.ids, found.index.vectors))
    for ids, vectors in parts:  # the delta comes last: a re-embedded photo's newer vector wins
        if not len(ids):
            continue
        rows = np.flatnonzero(np.isin(ids, wanted))
        if not len(rows):
            continue
        if soft:
            delta = softclass.dense_scores(np.asarray(vectors[rows]), query)
            scores.update({int(i): float(v) for i, v in zip(ids[rows], delta)})
        else:
            scores.update(exact_search(ids[rows], np.asarray(vectors[rows]), query, len(rows), weights=weights))
    return scores
