"""Things and scenes named by words, answered by the model: the owner's text space (zero-shot soft class matching
on the class probabilities, or their trained projection into the word space when it beat zero-shot on their
tags; search/spaces.py). Open: every photo has a score.

It reads a word the word space knows. Its terms also carry what a text query may add to the words: a photo
("like this one, but …") and a class (the "Kind of thing" field). The owner's accepted tags count directly: a
photo tagged with a query word outranks any similarity and is a strong match, one tagged with a ``-word`` sinks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.contrib.auth.models import AbstractBaseUser

from gallery.selectors import photo_get, tags_accepted

from .. import components
from ..index_versions import embeddings
from ..ml import relevance, softclass
from ..spaces import Space, logits, text_query, text_space
from .base import Answer, Candidates, Reading, Term
from .vectors import QueryError, on_shared_scale, photo_features, rank_vectors, serving_model_key

TAG_MATCH_BONUS = 1.0  # a photo the owner tagged with a query word outranks any vector similarity
# Words that only frame a query ("a photo of the sea"): no thing is read from them.
STOP_WORDS = frozenset(
    "a an the in at of on with from and & or to for by photo photos picture pictures pic pics image images".split()  # noqa: SIM905
)
WORD, PHOTO, CLASS = "thing", "photo", "class"  # Term.kind of what this signal answers


class ThingSignal:
    name = "thing"
    kind = WORD
    selective = False

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str]) -> Reading | None:
        word = tokens[0]
        if word in STOP_WORDS or word.startswith('"') or word not in components.word_space():
            return None
        return Reading(length=1, value=word)

    def indexes(self, *, owner_id: int, model_key: str) -> Sequence[Space]:
        return [text_space(owner_id=owner_id, model_key=model_key)]

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        model_key = serving_model_key(owner=owner)
        space = text_space(owner_id=owner.id, model_key=model_key)
        words = components.word_space()
        positive = [t.value for t in terms if t.kind == WORD and not t.negated]
        negative = [t.value for t in terms if t.kind == WORD and t.negated]
        signed = [(1.0, words.vector(w)) for w in positive] + [(-1.0, words.vector(w)) for w in negative]
        class_id = next((t.value for t in terms if t.kind == CLASS), None)
        photo_vector = None
        if (photo_id := next((t.value for t in terms if t.kind == PHOTO), None)) is not None:
            # "Like this one, but …": the photo itself is one more term of the query, and is not a result.
            photo = photo_get(owner=owner, id=photo_id)
            photo_vector = space.vectors(photo_features(photo, model_key=model_key)[None])[0]
            within = Candidates(ids=within.ids, excluded=within.excluded | {photo.id}, allowed=within.allowed)
        bonus = _tag_bonus(owner, positive, negative)
        query = text_query(space, words=signed, photo_vector=photo_vector, class_id=class_id)
        if query is None and not bonus:
            raise QueryError("The words cancel each other out.")
        ranked = rank_vectors(owner=owner, space=space, query=query, k=k, within=within, bonus=bonus)
        raw = dict(ranked)
        label_scores = _label_scores(owner, space, raw, words=signed, class_id=class_id, bonus=bonus)
        sure = {i for i, extra in bonus.items() if extra > 0}
        scores, calibrated = on_shared_scale(label_scores, model_key=model_key, kind=relevance.WORDS, sure=sure)
        return Answer(scores=scores, raw=raw, order=[i for i, _ in ranked], calibrated=calibrated)


def _tag_bonus(owner, positive: list[str], negative: list[str]) -> dict[int, float]:
    """± TAG_MATCH_BONUS per photo for each query word it carries as an accepted tag (− for a ``-word``)."""
    sign = {name: 1.0 for name in positive}
    sign.update({name: -1.0 for name in negative})
    bonus: dict[int, float] = {}
    for photo_id, name in tags_accepted(owner_id=owner.id, names=sign).values_list("photo_id", "tag__name"):
        bonus[photo_id] = bonus.get(photo_id, 0.0) + sign[name] * TAG_MATCH_BONUS
    return bonus


def _label_scores(owner, space: Space, raw: dict[int, float], *, words, class_id, bonus) -> dict[int, float]:
    """Soft class matching scores of the hits, the scale word results are labelled on, whatever mapping ranked
    them: a trained projection's cosines have no fixed scale, so its hits are re-scored by soft class matching."""
    if space.scoring == softclass.KIND:
        return {i: s - bonus.get(i, 0.0) for i, s in raw.items()}
    soft = softclass.words_query(words, components.class_matrix(), class_id=class_id)
    if soft is None or not raw:
        return {i: 0.0 for i in raw}
    rows = dict(
        embeddings(owner_id=owner.id, model_key=space.model_key)
        .filter(photo_id__in=list(raw))
        .values_list("photo_id", "vector")
    )
    if not rows:  # every hit deleted meanwhile
        return {i: 0.0 for i in raw}
    ids = list(rows)
    features = np.stack([np.frombuffer(bytes(rows[i]), dtype=np.float32) for i in ids])
    probabilities = softclass.class_probabilities(logits(features, model_key=space.model_key))
    zero_shot = dict(zip(ids, softclass.dense_scores(probabilities, soft).tolist()))
    return {i: zero_shot.get(i, 0.0) for i in raw}  # a photo deleted since it was ranked: weak
