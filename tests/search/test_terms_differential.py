"""Date, place and image terms with the request's filters, through the one ranker, against a brute force over the
rows: the listed path, the lazy (condition) path and the over-fetched lazy path must each return what plain
Python finds by `When.matches` and the filters' definitions."""

import itertools
import math
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pytest

from gallery.models import Photo
from gallery.selectors import EARTH_RADIUS_KM
from search.index_versions import collection, owner_dir
from search.ml import ann
from search.models import PhotoEmbedding, SearchIndex
from search.signals import Term, by_name, dates, vectors
from search.signals import rank as ranker
from search.signals.images import ImageQuery
from search.signals.vectors import on_shared_scale
from search.spaces import image_space

pytestmark = pytest.mark.django_db

MODEL_KEY = "lite0-1"
DIM = 24
TODAY = date(2026, 12, 6)
PARIS = (48.85, 2.35)
SYDNEY = (-33.87, 151.21)
QUITO = (0.0, -78.5)  # on the equator: the northern hemisphere's seasons
# (month, day, time of day) in every year: year and season boundaries, Christmas, and either side of midnight UTC.
MOMENTS = [
    (1, 1, "00:00:00"),
    (1, 1, "23:59:59.999999"),
    (2, 28, "23:30:00"),
    (3, 1, "00:00:00"),
    (5, 31, "23:59:59"),
    (6, 1, "00:00:01"),
    (7, 14, "12:00:00"),
    (8, 31, "23:59:59.999999"),
    (9, 1, "00:00:00"),
    (11, 30, "23:59:00"),
    (12, 1, "00:00:00"),
    (12, 23, "23:59:59"),
    (12, 24, "00:00:00"),
    (12, 25, "12:00:00"),
    (12, 26, "23:59:59"),
    (12, 27, "00:00:00"),
    (12, 31, "23:59:59.999999"),
]
YEARS = range(2018, 2027)
SPOTS = [None, PARIS, SYDNEY, QUITO]
PLACES = {PARIS: ("Paris", "France", "FR"), SYDNEY: ("Sydney", "Australia", "AU"), QUITO: ("Quito", "Ecuador", "EC")}
UPLOADED_ONLY = ["2019-12-25T08:00:00", "2020-01-01T00:00:00", "2025-07-01T23:59:59", "2025-12-24T10:00:00"]


@dataclass
class Row:
    id: int
    shot_at: datetime
    camera_dated: bool
    latitude: float | None
    longitude: float | None
    city: str
    trashed: bool
    indexed: bool


def _photo(owner, n: int, **fields) -> Photo:
    return Photo(
        owner=owner,
        original=f"originals/differential/{owner.id}-{n}.jpg",
        original_name=f"{n}.jpg",
        sha256=f"{owner.id:08x}{n:056x}",
        size_bytes=1,
        format="jpg",
        width=1,
        height=1,
        status=Photo.Status.READY,
        **fields,
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def index_params():
    return {"kind": "exact"}


@pytest.fixture
def world(user, other_user, index_params):
    """The user's photos over nine years (some trashed, some uploaded only, one without a vector, one deleted
    since the build) in both hemispheres and none, another user's at the same moments, and the user's published
    index with a delta."""
    counter = itertools.count()
    spots = itertools.cycle(SPOTS)
    photos = []
    for year, (month, day, clock) in itertools.product(YEARS, MOMENTS):
        spot = next(spots)
        city, country, code = PLACES.get(spot, ("", "", ""))
        photos.append(
            _photo(
                user,
                next(counter),
                taken_at=_at(f"{year}-{month:02d}-{day:02d}T{clock}"),
                latitude=spot and spot[0],
                longitude=spot and spot[1],
                place_city=city,
                place_country=country,
                place_country_code=code,
            )
        )
    photos += [
        _photo(user, next(counter), latitude=SYDNEY[0], longitude=SYDNEY[1]) if i % 2 else _photo(user, next(counter))
        for i in range(len(UPLOADED_ONLY))
    ]
    others = [
        _photo(other_user, next(counter), taken_at=_at(f"{year}-12-25T12:00:00"), latitude=PARIS[0], longitude=2.35)
        for year in YEARS
    ]
    Photo.objects.bulk_create(photos + others)
    ids = sorted(Photo.objects.filter(owner=user).values_list("id", flat=True))
    uploaded = ids[-len(UPLOADED_ONLY) :]
    for photo_id, text in zip(uploaded, UPLOADED_ONLY):
        Photo.objects.filter(id=photo_id).update(uploaded_at=_at(text))
    trashed = set(ids[::9])
    Photo.objects.filter(id__in=trashed).update(trashed_at=_at("2026-12-01T00:00:00"))
    unindexed = {ids[5], uploaded[1]}  # the first gets a vector after the build
    indexed = np.array([i for i in ids if i not in unindexed], dtype=np.int64)
    vectors_ = np.random.default_rng(7).normal(size=(len(indexed), DIM)).astype(np.float32)
    space = image_space(model_key=MODEL_KEY)
    # Embedded since the build (the delta): a photo the index lacks, and a re-embedded one whose newer vector wins.
    name, version = MODEL_KEY.rsplit("-", 1)
    rng = np.random.default_rng(8)
    built = PhotoEmbedding.objects.create(
        photo_id=others[0].id,
        model_name=name,
        model_version=version,
        vector=rng.normal(size=DIM).astype("f4").tobytes(),
    )
    delta = {ids[5]: rng.normal(size=DIM).astype(np.float32), ids[10]: rng.normal(size=DIM).astype(np.float32)}
    for photo_id, vector in delta.items():
        PhotoEmbedding.objects.create(
            photo_id=photo_id, model_name=name, model_version=version, vector=vector.tobytes()
        )
    path = ann.build_index(
        ids=indexed, vectors=vectors_, directory=owner_dir(user.id), name=space.key, params=dict(index_params)
    )
    SearchIndex.objects.create(
        owner=user,
        space=space.kind,
        key=space.key,
        path=str(path),
        size=len(indexed),
        max_embedding_id=built.id,
        params=ann.load_index(path).params,
    )
    Photo.objects.filter(id=ids[20]).delete()  # deleted for good since the build: the index still holds it
    rows = [
        Row(
            id=p.id,
            shot_at=p.shot_at.astimezone(UTC),
            camera_dated=p.taken_at is not None,
            latitude=p.latitude,
            longitude=p.longitude,
            city=p.place_city,
            trashed=p.trashed_at is not None,
            indexed=p.id not in unindexed or p.id in delta,
        )
        for p in Photo.objects.filter(owner=user)
    ]
    assert len({r.shot_at.year for r in rows if not r.camera_dated}) == 3 and any(r.trashed for r in rows)
    units = dict(zip(indexed.tolist(), vectors_ / np.linalg.norm(vectors_, axis=1, keepdims=True)))
    units.update({photo_id: vector / np.linalg.norm(vector) for photo_id, vector in delta.items()})
    return rows, units


# Brute force -------------------------------------------------------------------------------------------------


def _passes_filters(row: Row, filters: dict) -> bool:
    day = row.shot_at.date()
    if (after := filters.get("taken_after")) and day < after:
        return False
    if (before := filters.get("taken_before")) and day > before:
        return False
    if (year := filters.get("year")) and day.year != year:
        return False
    if near := filters.get("near"):
        if row.latitude is None:
            return False
        lat, lon, km = near
        phi1, phi2 = math.radians(lat), math.radians(row.latitude)
        cosine = math.sin(phi1) * math.sin(phi2) + math.cos(phi1) * math.cos(phi2) * math.cos(
            math.radians(row.longitude - lon)
        )
        if math.acos(min(1.0, cosine)) * EARTH_RADIUS_KM > km:
            return False
    place = filters.get("place")
    return place is None or row.city.lower() == place.lower()


def _in_dates(row: Row, whens) -> bool:
    return all(when.matches(row.shot_at.date(), latitude=row.latitude) for when in whens)


def _term(owner, words: str) -> Term:
    negated = words.startswith("-")
    words = words.removeprefix("-")
    for name in ("dates", "places"):
        signal = by_name(name)
        extra = {"today": TODAY} if name == "dates" else {}
        reading = signal.read(owner=owner, tokens=words.split(), **extra)
        if reading is not None and reading.length == len(words.split()):
            return Term(text=words, signal=name, kind=signal.kind, value=reading.value, negated=negated)
    raise AssertionError(f"{words!r} is read by neither dates nor places")


def _expected(rows: list[Row], terms: list[Term], filters: dict) -> tuple[dict[int, float], bool]:
    """The photos the query may return, with the product of their selective scores, and whether the date terms are
    answered as a condition (lazy), as the date signal decides from how many photos they hold."""
    visible = [r for r in rows if not r.trashed]
    whens = [t.value for t in terms if t.signal == "dates" and not t.negated]
    unwhens = [t.value for t in terms if t.signal == "dates" and t.negated]
    places = [t.text for t in terms if t.signal == "places" and not t.negated]
    unplaces = [t.text for t in terms if t.signal == "places" and t.negated]
    first = next((t.signal for t in terms if not t.negated and t.signal != "image"), None)
    held = sum(1 for r in visible if _in_dates(r, whens))
    lazy = bool(whens) and first == "dates" and held > dates.LIST_MAX

    def at(row, city):
        return row.city.lower() == city

    kept = {}
    for r in visible:
        if not _passes_filters(r, filters) or not _in_dates(r, whens):
            continue
        if any(_in_dates(r, [w]) for w in unwhens) or not all(at(r, p) for p in places):
            continue
        if any(at(r, p) for p in unplaces):
            continue
        kept[r.id] = 1.0 if lazy or r.camera_dated or not whens else dates.UPLOAD_DATED_SCORE
    return kept, lazy and not places  # with a place term too, the ranker sorts what both kept


def _listed_order(rows: list[Row], kept: dict[int, float], lazy: bool) -> list[int]:
    by_id = {r.id: r for r in rows}
    if lazy:  # the condition's own order: camera-dated first, newest first
        return sorted(kept, key=lambda i: (not by_id[i].camera_dated, -by_id[i].shot_at.timestamp(), -i))
    return sorted(kept, key=lambda i: (-kept[i], -i))


# The queries -------------------------------------------------------------------------------------------------

QUERIES = [  # (words, request filters)
    ("2019", {}),
    ("2020", {}),
    ("summer", {}),
    ("winter", {}),
    ("summer 2019", {}),
    ("winter 2019", {}),
    ("july", {}),
    ("december", {}),
    ("christmas", {}),
    ("new year", {}),
    ("last year", {}),
    ("this year", {}),
    ("1 january", {}),
    ("2019|december", {}),
    ("winter|2020", {}),
    ("christmas|-2019", {}),
    ("winter|-sydney", {}),
    ("2019", {"taken_after": date(2019, 6, 1)}),
    ("summer", {"taken_before": date(2020, 12, 31), "taken_after": date(2019, 12, 31)}),
    ("christmas", {"year": 2025}),
    ("winter", {"near": (*SYDNEY, 50)}),
    ("summer", {"near": (*PARIS, 50)}),
    ("december", {"place": "Quito"}),
    ("paris|summer", {}),
    ("summer|paris", {}),
    ("sydney|winter 2019", {}),
    ("quito|christmas", {"taken_after": date(2020, 1, 1)}),
    ("2025|sydney", {"year": 2025}),
    ("1999", {}),
    ("2020s", {}),
    ("2019-12-25", {}),
    ("december 2019", {}),
    ("summer of 2019", {}),
    ("this month", {}),
    ("last 3 months", {}),
    ("christmas|-2019", {"near": (*SYDNEY, 50)}),
    ("paris|-summer", {}),
    ("-christmas|winter", {"taken_after": date(2025, 12, 25), "taken_before": date(2025, 12, 25)}),
    ("new year|sydney", {}),
    ("summer|paris", {"year": 2019}),
    ("winter|sydney", {"taken_before": date(2021, 8, 31), "near": (*SYDNEY, 10)}),
]


def _conditioned(x: np.ndarray, q: np.ndarray, weights: np.ndarray) -> float:
    x, q = x * weights, q * weights
    return float(x @ q / (np.linalg.norm(x) * np.linalg.norm(q)))


def _run(user, rows, units, words: str, filters: dict, *, k: int, image: bool, slack: float) -> tuple[list[str], bool]:
    """The differences between the ranker's answer and the brute force's, described; whether the date terms were
    a condition."""
    terms = [_term(user, w) for w in words.split("|")]
    kept, lazy = _expected(rows, terms, filters)
    label = f"{words} {filters} k={k} image={image} lazy={lazy}"
    if not image:
        got = [hit.photo.id for hit in ranker.rank(owner=user, terms=terms, k=k, filters=filters)]
        want = _listed_order(rows, kept, lazy)[: min(k, vectors.MAX_K)]
        return ([] if got == want else [f"{label}: got {got}, want {want}"]), lazy
    rng = np.random.default_rng(zlib.crc32(words.encode()))
    q = rng.normal(size=DIM).astype(np.float32)
    # With k=1, class-conditioned (per-feature weights): the cosine of the weighted vectors.
    weights = (np.abs(rng.normal(size=DIM)) + 0.1).astype(np.float32) if k == 1 else np.ones(DIM, np.float32)
    cosine = {i: _conditioned(units[i], q, weights) for i in kept if i in units}
    shared, _ = on_shared_scale(cosine, model_key=MODEL_KEY, kind="image")
    value = {i: (shared[i] * kept[i], cosine[i]) for i in cosine}
    # As "more like this photo" does: the best two are the query's own examples, never returned.
    exclude = set(sorted(value, key=value.get, reverse=True)[:2]) if k == 3 else set()
    value = {i: v for i, v in value.items() if i not in exclude}
    term = Term(
        text="q",
        signal="image",
        kind="photo",
        value=ImageQuery(model_key=MODEL_KEY, vector=q, weights=weights if k == 1 else None),
    )
    hits = ranker.rank(owner=user, terms=[*terms, term], k=k, filters=filters, exclude=frozenset(exclude))
    got = [hit.photo.id for hit in hits]
    problems = []
    if stray := set(got) - set(value):
        problems.append(f"{label}: not allowed {sorted(stray)}")
    if len(got) != min(k, vectors.MAX_K, len(value)):
        problems.append(f"{label}: {len(got)} hits, want {min(k, vectors.MAX_K, len(value))}")
    if got and not stray:
        if any(value[a][0] < value[b][0] - slack for a, b in itertools.pairwise(got)):
            problems.append(f"{label}: out of order {got}")
        last = min(value[i] for i in got)
        better = [
            i
            for i in set(value) - set(got)
            if value[i][0] > last[0] + slack or (abs(value[i][0] - last[0]) <= slack and value[i][1] > last[1] + slack)
        ]
        if better:
            problems.append(f"{label}: missing {sorted(better)} better than the last of {got}")
    return problems, lazy


MODES = {
    # Every period listed with its scores, every filter's ids listed.
    "listed": {"LIST_MAX": 10_000, "FILTER_EXACT_MAX": 10_000, "IN_QUERY_MAX": 900, "SHARE_SAMPLE": 1_000},
    # Periods as conditions, whose photos the search then lists.
    "lazy": {"LIST_MAX": 1, "FILTER_EXACT_MAX": 10_000, "IN_QUERY_MAX": 900, "SHARE_SAMPLE": 1_000},
    # Periods as conditions, candidates over-fetched and checked by id in small chunks.
    "over-fetched": {"LIST_MAX": 2, "FILTER_EXACT_MAX": 3, "IN_QUERY_MAX": 4, "SHARE_SAMPLE": 7},
}


@pytest.mark.parametrize("mode", MODES)
def test_terms_and_filters_return_what_a_brute_force_finds(user, world, monkeypatch, mode):
    _differential(user, world, monkeypatch, mode, slack=1e-6)


# An Annoy index scores its uint8 rows (search/ml/ann.py `scores_at`, and the rerank): close to the exact cosine.
ANNOY = {
    "kind": "annoy",
    "n_trees": 4,
    "components": 16,
    "search_k": 10_000,
    "rerank": 400,
    "conditioned_search_k": 10_000,
    "conditioned_rerank": 400,
}


@pytest.mark.parametrize("index_params", [ANNOY])
@pytest.mark.parametrize("mode", ["listed", "over-fetched"])
def test_over_an_annoy_index_too(user, world, monkeypatch, mode, index_params):
    assert collection(owner_id=user.id, space=image_space(model_key=MODEL_KEY)).index.kind == "annoy"
    _differential(user, world, monkeypatch, mode, slack=0.02)


@pytest.mark.parametrize("index_params", [ANNOY])
def test_over_an_annoy_index_the_listed_and_the_over_fetched_paths_score_alike(user, world, monkeypatch, index_params):
    """Ensure a search that scores the few allowed photos' uint8 rows (`scores_at`) and one that reranks what the
    index over-fetched give each photo the same score, with the date terms a condition in both, plain and
    class-conditioned."""
    found = {}
    for mode in ("lazy", "over-fetched"):
        _configure(monkeypatch, mode)
        for (words, filters), conditioned in itertools.product(QUERIES, (False, True)):
            rng = np.random.default_rng(zlib.crc32(words.encode()))
            q = rng.normal(size=DIM).astype(np.float32)
            weights = (np.abs(rng.normal(size=DIM)) + 0.1).astype(np.float32) if conditioned else None
            terms = [_term(user, w) for w in words.split("|")]
            query = ImageQuery(model_key=MODEL_KEY, vector=q, weights=weights)
            image = Term(text="q", signal="image", kind="photo", value=query)
            hits = ranker.rank(owner=user, terms=[*terms, image], k=500, filters=filters)
            found.setdefault((words, str(filters), conditioned), []).append({h.photo.id: h.score for h in hits})
    for query, (listed, fetched) in found.items():
        assert listed.keys() == fetched.keys(), query
        assert all(math.isclose(listed[i], fetched[i], abs_tol=1e-5) for i in listed), query


def _configure(monkeypatch, mode: str) -> None:
    settings = MODES[mode]
    monkeypatch.setattr(dates, "LIST_MAX", settings["LIST_MAX"])
    monkeypatch.setattr(ranker, "FILTER_EXACT_MAX", settings["FILTER_EXACT_MAX"])
    monkeypatch.setattr(vectors, "FILTER_EXACT_MAX", settings["FILTER_EXACT_MAX"])
    monkeypatch.setattr(vectors, "IN_QUERY_MAX", settings["IN_QUERY_MAX"])
    monkeypatch.setattr(vectors, "SHARE_SAMPLE", settings["SHARE_SAMPLE"])


def _differential(user, world, monkeypatch, mode: str, *, slack: float) -> None:
    rows, units = world
    _configure(monkeypatch, mode)
    seen = {"in_periods": 0, "stepped": 0}
    in_periods, passing = dates._in_periods, vectors._passing

    def counted_in_periods(ids, **kwargs):
        seen["in_periods"] += 1
        return in_periods(ids, **kwargs)

    def counted_passing(ranked, allowed, *, k, step):
        seen["stepped"] += step < len(ranked)
        return passing(ranked, allowed, k=k, step=step)

    monkeypatch.setattr(dates, "_in_periods", counted_in_periods)
    monkeypatch.setattr(vectors, "_passing", counted_passing)
    problems, lazy = [], 0
    for (words, filters), k, image in itertools.product(QUERIES, (1, 3, 500), (False, True)):
        found, was_lazy = _run(user, rows, units, words, filters, k=k, image=image, slack=slack)
        problems += found
        lazy += was_lazy
    assert problems == []
    # Each mode ran the paths it is for.
    if mode == "listed":
        assert lazy == 0 and seen["in_periods"] == 0
    else:
        assert lazy > 20
    if mode == "over-fetched":
        assert seen["in_periods"] > 0 and seen["stepped"] > 0


def test_the_world_holds_each_kind_of_photo(world):
    rows, units = world
    assert {r.latitude is None for r in rows} == {True, False}
    assert any(r.latitude is not None and r.latitude < 0 for r in rows)
    assert sum(not r.indexed for r in rows) == 1 and len(units) == len(rows)  # one deleted, one without a vector
    assert {r.shot_at.year for r in rows} == set(YEARS)
