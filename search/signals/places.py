"""Place names as query terms: "rome", "new york", "usa", "holland", "sao paulo" find photos taken there.

A word reads as a place only if one of the owner's photos was taken at a place of that name (city, region,
county, country or a common alias, accents optional): "orange" stays a colour or a fruit for someone who has
never been to Orange. The places and their names come from the photos' reverse-geocoded fields
(search/describe.py). Each process keeps an owner's place names until describe.places_version changes, since
`read` runs for every word of every query; a place whose photos were all trashed since still reads as a place
(and answers nothing) until then.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from gallery import selectors as gallery_selectors
from gallery.models import Photo

from .. import describe
from ..ml import places
from .base import Answer, Candidates, Reading, Term

MAX_WORDS = 5  # "united states of america"


class PlaceSignal:
    name = "places"
    kind = "place"
    selective = True
    factual = True

    def read(self, *, owner: AbstractBaseUser, tokens: Sequence[str]) -> Reading | None:
        if not tokens or tokens[0].startswith('"'):
            return None
        vocabulary = place_vocabulary(owner=owner)
        for length in range(min(len(tokens), MAX_WORDS), 0, -1):
            words = tokens[:length]
            if any(word.startswith('"') for word in words):
                continue
            if found := vocabulary.get(places.normalize(" ".join(words))):
                conditions, shown = found
                return Reading(length=length, value=conditions, shown=shown)
        return None

    def answer(self, *, owner: AbstractBaseUser, terms: Sequence[Term], within: Candidates, k: int) -> Answer:
        """Every photo taken at all of the terms' places ("paris texas": in a Paris that is in Texas), score 1."""
        photos = Photo.objects.filter(owner=owner, trashed_at__isnull=True)
        for term in terms:
            photos = photos.filter(_condition(term.value))
        if within.ids is not None:
            photos = photos.filter(id__in=within.ids)
        # Unsorted: the photo model's default ordering would sort every photo of the place first.
        return Answer(scores=dict.fromkeys(photos.order_by().values_list("id", flat=True), 1.0))


Vocabulary = dict[str, tuple[tuple[tuple[tuple[str, str], ...], ...], str]]  # name → (place paths, shown)
_vocabularies: dict[int, tuple[bytes, Vocabulary]] = {}  # owner id → (places_version, their place names)
KEEP_OWNERS = 256


def place_vocabulary(*, owner: AbstractBaseUser) -> Vocabulary:
    """Normalized name → (the places it names, as paths of field values; how to show it), over the owner's
    places."""
    version = describe.places_version(owner_id=owner.id)
    kept = _vocabularies.get(owner.id)
    if version is not None and kept is not None and kept[0] == version:
        return kept[1]
    vocabulary = _vocabulary(owner)
    if version is None:
        return vocabulary
    if len(_vocabularies) >= KEEP_OWNERS:
        _vocabularies.clear()
    _vocabularies[owner.id] = (version, vocabulary)
    return vocabulary


def _vocabulary(owner: AbstractBaseUser) -> Vocabulary:
    found: dict[str, tuple[set[tuple[tuple[str, str], ...]], str]] = {}
    for row in gallery_selectors.place_counts(owner=owner):  # most photos first: the first place shows a name
        place = places.Place(
            city=row["place_city"],
            region=row["place_region"],
            county=row["place_county"],
            country=row["place_country"],
            country_code=row["place_country_code"],
        )
        for key, levels in places.names(place).items():
            conditions = found.setdefault(key, (set(), _shown(place, levels)))[0]
            for level in levels:
                conditions.add(_path(place, level))
    return {key: (tuple(sorted(conditions)), shown) for key, (conditions, shown) in found.items()}


def _path(place: places.Place, level: str) -> tuple[tuple[str, str], ...]:
    """The fields a photo at that level of the place has, from the country down, so that the (owner, country,
    region, city) index finds them: the city Paris is Paris in Île-de-France in France."""
    path = [("place_country", place.country)]
    if level in ("region", "city"):
        path.append(("place_region", place.region))
    if level == "city":
        path.append(("place_city", place.city))
    if level == "county":
        path.append(("place_county", place.county))
    return tuple(path)


def _shown(place: places.Place, levels: set[str]) -> str:
    """ "Leuven, Belgium" for a city, "Flanders, Belgium" for a region, "Belgium" for a country."""
    for level in ("city", "region", "county"):
        if level in levels:
            return f"{getattr(place, level)}, {place.country}"
    return place.country


def _condition(paths: Sequence[tuple[tuple[str, str], ...]]) -> Q:
    """Photos at any of the places (each a path of field values: see _path)."""
    return Q(*[Q(**dict(path)) for path in paths], _connector=Q.OR)
