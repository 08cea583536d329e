"""Per-user index versions: build, publish, find the current one, and schedule rebuilds (search.indexes runs them).

A rebuild reads every stored vector of the owner, builds each space's index into a temporary folder and
publishes it atomically (search.ml.ann), then records it in SearchIndex. Queries load the newest recorded
version and scan anything embedded after it exactly, so rebuilds can be lazy: they are debounced (many
uploads → one rebuild) and serialised per user by a Redis lock.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db.models import Max
from redis.exceptions import RedisError

from . import components
from .debounce import debounce, redis_client
from .ml import ann, softclass
from .models import PhotoEmbedding, SearchIndex
from .spaces import Space
from .tasks import rebuild_index_task

logger = logging.getLogger(__name__)

KEEP_VERSIONS = 2  # the current one, and the previous one for readers that loaded it a moment ago


@dataclass
class Collection:
    """What a query searches in one space: a published index (maybe none) plus the exact delta after it."""

    space: Space
    index: ann.VectorIndex | softclass.ClassStore | None
    delta_ids: np.ndarray
    delta_vectors: np.ndarray


def owner_dir(owner_id: int) -> Path:
    return Path(settings.SEARCH_INDEX_DIR) / str(owner_id)


def embeddings(*, owner_id: int, model_key: str, after_id: int = 0):
    name, version = components.model_parts(model_key)
    return PhotoEmbedding.objects.filter(
        photo__owner_id=owner_id, model_name=name, model_version=version, id__gt=after_id
    ).order_by("id")


# A query's delta (vectors embedded since its index was built) is looked up from the newest embeddings when at
# most this many of all users' embeddings are newer than the index.
DELTA_SCAN_MAX = 5_000


def load_features(*, owner_id: int, model_key: str, after_id: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """(photo ids, (N, D) features, newest embedding id) for the owner's photos embedded after ``after_id``."""
    rows = _recent_rows(owner_id=owner_id, model_key=model_key, after_id=after_id) if after_id else None
    if rows is None:
        rows = list(
            embeddings(owner_id=owner_id, model_key=model_key, after_id=after_id).values_list(
                "id", "photo_id", "vector"
            )
        )
    if not rows:
        return np.zeros(0, np.int64), np.zeros((0, 0), np.float32), after_id
    photo_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    features = np.stack([np.frombuffer(bytes(r[2]), dtype=np.float32) for r in rows])
    return photo_ids, features, rows[-1][0]


def _recent_rows(*, owner_id: int, model_key: str, after_id: int) -> list[tuple] | None:
    """The rows of ``embeddings(after_id=…)`` read from the newest embeddings (every query does this; usually none
    are newer than the index), or None when too many are newer to scan.

    Filtered by owner first, SQLite walks every photo of the owner to find the few new embeddings, a cost that
    grows with the gallery (bench.filters: the unfiltered query); walking the embedding ids above the index's
    newest costs only what is new.
    """
    name, version = components.model_parts(model_key)
    newer = list(
        PhotoEmbedding.objects.filter(id__gt=after_id)
        .order_by("id")
        .values_list("id", "photo__owner_id", "model_name", "model_version")[: DELTA_SCAN_MAX + 1]
    )
    if len(newer) > DELTA_SCAN_MAX:
        return None
    wanted = [
        i for i, owner, model, model_version in newer if (owner, model, model_version) == (owner_id, name, version)
    ]
    if not wanted:
        return []
    return list(PhotoEmbedding.objects.filter(id__in=wanted).order_by("id").values_list("id", "photo_id", "vector"))


def spaces_publish(*, owner_id: int, model_key: str, spaces: Sequence[Space]) -> list[SearchIndex]:
    """Build and publish the owner's index of each space for one model (search.indexes says which); safe to run at
    any time."""
    photo_ids, features, max_id = load_features(owner_id=owner_id, model_key=model_key)
    built = []
    for space in spaces:
        if len(photo_ids) == 0:  # everything was deleted: nothing to publish, and nothing old may linger
            SearchIndex.objects.filter(owner_id=owner_id, key=space.key).delete()
            ann.remove_stale(owner_dir(owner_id), space.key, keep=0)
            continue
        path = _build(space, photo_ids, features, owner_dir(owner_id))
        record = SearchIndex.objects.create(
            owner_id=owner_id,
            space=space.kind,
            key=space.key,
            path=str(path),
            size=len(photo_ids),
            max_embedding_id=max_id,
            params=_load(space, path).params,
        )
        built.append(record)
        _forget_old_versions(owner_id=owner_id, space=space)
    return built


CALIBRATION_CLASS_SAMPLE = 50


def _calibration_weights(space: Space, vectors: np.ndarray) -> np.ndarray | None:
    """Conditioning weights as class-conditioned queries use them, for the index to calibrate its effort on."""
    if space.kind != SearchIndex.Space.IMAGE or ann.default_kind(*vectors.shape) != "annoy":
        return None
    weights, _ = components.encoder_for_key(space.model_key).classifier()
    classes = np.random.default_rng(0).choice(weights.shape[1], CALIBRATION_CLASS_SAMPLE, replace=False)
    return np.maximum(weights[:, classes].T, 0)


def _build(space: Space, photo_ids: np.ndarray, features: np.ndarray, directory: Path) -> Path:
    vectors = space.vectors(features)
    if space.scoring == softclass.KIND:
        return softclass.build_store(ids=photo_ids, probabilities=vectors, directory=directory, name=space.key)
    return ann.build_index(
        ids=photo_ids,
        vectors=vectors,
        directory=directory,
        name=space.key,
        calibration_weights=_calibration_weights(space, vectors),
    )


def _load(space: Space, path: Path):
    return (softclass.load_store if space.scoring == softclass.KIND else ann.load_index)(Path(path))


def _forget_old_versions(*, owner_id: int, space: Space) -> None:
    stale = SearchIndex.objects.filter(owner_id=owner_id, space=space.kind, key=space.key).order_by("-id")[
        KEEP_VERSIONS:
    ]
    SearchIndex.objects.filter(id__in=[record.id for record in stale]).delete()
    ann.remove_stale(owner_dir(owner_id), space.key, keep=KEEP_VERSIONS)


def collection(*, owner_id: int, space: Space) -> Collection:
    """The newest published index of this space, plus vectors embedded since it was built.

    An index that cannot be loaded (missing, garbled, truncated, an older format) counts as no index: the
    query scans every stored vector exactly, and a rebuild is scheduled at once.
    """
    records = SearchIndex.objects.filter(owner_id=owner_id, space=space.kind, key=space.key).order_by("-id")
    index, after_id = None, 0
    record = records.first()
    if record is not None:
        index = _load_or_none(record, space)
        if index is None and (newer := records.first()) is not None and newer.id != record.id:
            record = newer  # collected by a newer build between our read and the load: that one is current
            index = _load_or_none(record, space)
        if index is None:
            _index_unusable(record)
        else:
            after_id = record.max_embedding_id
    photo_ids, features, _ = load_features(owner_id=owner_id, model_key=space.model_key, after_id=after_id)
    return Collection(space=space, index=index, delta_ids=photo_ids, delta_vectors=space.vectors(features))


def _load_or_none(record: SearchIndex, space: Space):
    try:
        return _load(space, record.path)
    except Exception as exc:  # whatever is wrong with a derived file, the stored vectors still answer
        record.failure = repr(exc)
        return None


# How long the site remembers it logged a version as unusable; far longer than its rebuild takes.
UNUSABLE_LOGGED_SECONDS = 24 * 3600
_unusable_logged: set[int] = set()  # this process's memory of the same, for when Redis is away


def _index_unusable(record: SearchIndex) -> None:
    """Schedule the rebuild at once (debounced: every query asks, one rebuild runs); log the error once per version
    for the whole site, not once per query."""
    if record.id not in _unusable_logged:
        _unusable_logged.add(record.id)
        try:
            first = redis_client().set(f"searchsite:index-unusable:{record.id}", 1, nx=True, ex=UNUSABLE_LOGGED_SECONDS)
        except RedisError:
            first = True
        if first:
            logger.error(
                "Index %s of user %s is unusable (%s); searching exactly until it is rebuilt",
                record.path,
                record.owner_id,
                getattr(record, "failure", "unknown"),
            )
    index_rebuild_schedule(owner_id=record.owner_id, delay=0)


def indexes_verify() -> int:
    """Check every current version's files against their checksums, as a scrub: a process that loaded a version
    before its files rotted keeps a good private copy and never looks again, so without this nothing would notice.
    A version that fails is marked bad (every process then scans exactly) and rebuilt; returns how many failed."""
    newest = SearchIndex.objects.values("owner_id", "key").annotate(newest=Max("id")).values_list("newest", flat=True)
    failed = 0
    for record in SearchIndex.objects.filter(id__in=list(newest)).order_by("id"):
        try:
            ann.manifest_read(Path(record.path))
        except (OSError, ValueError) as exc:  # IndexCorrupt (now marked bad), or files gone
            record.failure = repr(exc)
            _index_unusable(record)
            failed += 1
    return failed


# Scheduling -----------------------------------------------------------------------------------------------


def debounce_key(owner_id: int) -> str:
    return f"index-rebuild:{owner_id}"


def index_rebuild_schedule(*, owner_id: int, delay: float | None = None) -> None:
    """Ask for a rebuild soon (after SEARCH_INDEX_DEBOUNCE_SECONDS unless ``delay``); requests within the window
    share one rebuild."""
    if delay is None:
        delay = settings.SEARCH_INDEX_DEBOUNCE_SECONDS
    debounce(key=debounce_key(owner_id), task=rebuild_index_task, args=(owner_id,), delay=delay)


def models_in_use(*, owner_id: int) -> list[str]:
    rows = (
        PhotoEmbedding.objects.filter(photo__owner_id=owner_id)
        .values("model_name", "model_version")
        .annotate(newest=Max("id"))
    )
    keys = {f"{row['model_name']}-{row['model_version']}" for row in rows}
    # Models whose photos were all deleted still have an index to retire.
    keys |= set(
        SearchIndex.objects.filter(owner_id=owner_id, space=SearchIndex.Space.IMAGE).values_list("key", flat=True)
    )
    return sorted(keys)
