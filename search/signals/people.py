"""People: a person's name ("grace", "grace hopper") or a person word ("people", "portrait", "group") as a
query term, answered from the faces the faces pass found (people/). Selective: the photos with that person, or
with faces of that kind, form a set.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser

from people import selectors as people_selectors

from .base import Answer, Candidates, Reading, Term

# Word → (what it asks for, how surely a photo with such faces is one). dlib's faces say nothing about age or
# sex, so "man", "woman" and "child" only know that someone is there: "possible", never "strong".
PORTRAIT_AREA = 0.025  # a face covering 2.5% of the photo (a 16% × 16% box) makes it a portrait
GROUP_FACES = 3
WORDS = {
    **dict.fromkeys(["person", "persons", "people", "face", "faces", "human", "humans"], ("faces", 0.9)),
    **dict.fromkeys(["portrait", "portraits", "selfie", "selfies", "headshot"], ("portrait", 0.9)),
    **dict.fromkeys(["group", "groups", "crowd"], ("group", 0.9)),
    **dict.fromkeys(
        ["man", "men", "woman", "women", "child", "children", "kid", "kids", "boy", "girl"], ("faces", 0.6)
    ),
}
SHOWN = {"faces": "photos with faces", "portrait": "a portrait (one large face)", "group": "a group (3 or more faces)"}
NAMED = 0.95  # a photo in which a face of the named person was found


class PeopleSignal:
    name = "people"
    kind = "person"
    selective = True
    factual = True

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str]) -> Reading | None:
        if not tokens:
            return None
        persons = [(pid, name, name.lower()) for pid, name in people_selectors.person_names(owner_id=owner.pk)]
        # Longest first: a full name of several words, then one word of a name ("grace" for "Grace Hopper").
        for length in range(min(len(tokens), 4), 0, -1):
            typed = " ".join(tokens[:length])
            ids = [pid for pid, _, lower in persons if lower == typed]
            if ids:
                return Reading(length=length, value=("persons", tuple(ids)), shown=_shown(persons, ids))
        ids = [pid for pid, _, lower in persons if tokens[0] in lower.split()]
        if ids:
            return Reading(length=1, value=("persons", tuple(ids)), shown=_shown(persons, ids))
        if tokens[0] in WORDS:
            return Reading(length=1, value=("word", tokens[0]), shown=SHOWN[WORDS[tokens[0]][0]])
        return None

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        scores: dict[int, float] | None = None
        for term in terms:
            found = _satisfying(owner.pk, term.value)
            scores = found if scores is None else {i: s * found[i] for i, s in scores.items() if i in found}
        scores = scores or {}
        keep = within.among(scores)
        return Answer(scores={i: s for i, s in scores.items() if i in keep})


def _satisfying(owner_id: int, value: tuple) -> dict[int, float]:
    what, detail = value
    if what == "persons":
        rows = people_selectors.photos_with_faces(owner_id=owner_id, person_ids=detail)
        return {photo_id: NAMED for photo_id, _ in rows}
    kind, sureness = WORDS[detail]
    if kind == "portrait":  # one or two large faces: a group with one face near the camera is no portrait
        crowded = {i for i, _ in people_selectors.photos_with_faces(owner_id=owner_id, min_faces=GROUP_FACES)}
        rows = [
            row
            for row in people_selectors.photos_with_faces(owner_id=owner_id, min_area=PORTRAIT_AREA)
            if row[0] not in crowded
        ]
    elif kind == "group":
        rows = people_selectors.photos_with_faces(owner_id=owner_id, min_faces=GROUP_FACES)
    else:
        rows = people_selectors.photos_with_faces(owner_id=owner_id)
    return {photo_id: sureness for photo_id, _ in rows}


def _shown(persons: list[tuple[int, str, str]], ids: list[int]) -> str:
    return " or ".join(sorted({name for pid, name, _ in persons if pid in ids}))
