"""Reads from the gallery. Every query for a user starts from the owner, so another user's id is simply not found."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import ACos, Cos, ExtractYear, Least, Radians, Sin
from django.http import Http404
from django.utils import timezone

from . import extensions, storage
from .models import Album, AlbumLink, AlbumMember, AlbumPhoto, Photo, PhotoTag


def visible_tags() -> Prefetch:
    """Tags worth showing with a photo: everything but rejected suggestions, best first."""
    return Prefetch(
        "photo_tags",
        queryset=PhotoTag.objects.exclude(state=PhotoTag.State.REJECTED).select_related("tag"),
        to_attr="visible_tags",
    )


SORTS = {
    # Date taken (EXIF, else the upload time), then upload time: the order people remember their photos in.
    "taken": ("-shot_at", "-uploaded_at", "-id"),
    "uploaded": ("-uploaded_at", "-id"),
}


def photo_list(*, owner: AbstractBaseUser, filters: dict | None = None) -> QuerySet[Photo]:
    """The owner's photos outside the trash, newest taken first; filters: ``tag`` (accepted tags only),
    ``status``, ``ids``, ``favourite``, ``album`` (an album id), ``sort`` (a key of SORTS), the time and
    place filters of :func:`photos_filtered`, and those other apps registered (gallery/extensions.py)."""
    filters = filters or {}
    photos = photos_filtered(owner=owner, filters=filters).order_by(*SORTS[filters.get("sort") or "taken"])
    if filters.get("favourite"):
        photos = photos.filter(favourite=True)
    if filters.get("archived"):
        photos = photos.filter(archived=True)
    elif not filters.get("ids") and filters.get("album") is None:
        photos = photos.filter(archived=False)  # the timeline; albums and lookups by id keep archived photos
    if (album := filters.get("album")) is not None:
        photos = photos.filter(album_photos__album__id=album, album_photos__album__owner=owner)
    if tag := filters.get("tag"):
        photos = photos.filter(photo_tags__tag__name=tag.strip().lower(), photo_tags__state=PhotoTag.State.ACCEPTED)
    if status := filters.get("status"):
        photos = photos.filter(status=status)
    if ids := filters.get("ids"):
        photos = photos.filter(id__in=ids)
    photos = extensions.photo_list_filters_apply(photos=photos, owner=owner, filters=filters)
    return photos.prefetch_related(visible_tags())


def photos_filtered(*, owner: AbstractBaseUser, filters: dict) -> QuerySet[Photo]:
    """The owner's photos under the time and place filters every search shares (dates are ``shot_at``: taken,
    else uploaded).

    ``taken_after`` and ``taken_before`` are dates, both days included; ``year`` an int; ``near`` a
    (latitude, longitude, km) triple (photos without GPS never match it).
    """
    photos = Photo.objects.filter(owner=owner, trashed_at__isnull=True)
    if after := filters.get("taken_after"):
        photos = photos.filter(shot_at__gte=_day_start(after))
    if before := filters.get("taken_before"):
        photos = photos.filter(shot_at__lt=_day_start(before + timedelta(days=1)))
    if year := filters.get("year"):
        photos = photos.filter(shot_at__gte=_day_start(date(year, 1, 1)), shot_at__lt=_day_start(date(year + 1, 1, 1)))
    if near := filters.get("near"):
        photos = _near(photos, *near)
    if place := filters.get("place"):
        photos = photos.filter(place_q(place))
    return photos


def filters_active(filters: dict | None) -> bool:
    return any((filters or {}).get(key) for key in FILTER_KEYS)


FILTER_KEYS = ("taken_after", "taken_before", "year", "near", "place")
PLACE_FIELDS = ("place_city", "place_region", "place_county", "place_country")


def place_q(place: str) -> Q:
    """Photos taken at ``place``: "Leuven", "Belgium", or "Leuven, Belgium" (each comma-separated part names the
    city, region, county or country, in any case), as the Places page lists them."""
    condition = Q()
    for part in (part.strip() for part in place.split(",")):
        if part:
            condition &= Q(*[Q(**{f"{field}__iexact": part}) for field in PLACE_FIELDS], _connector=Q.OR)
    return condition


def place_counts(*, owner: AbstractBaseUser) -> list[dict]:
    """The owner's places (city, region, county, country, country_code) with how many photos outside the trash
    were taken at each, most photos first."""
    return list(
        Photo.objects.filter(owner=owner, trashed_at__isnull=True)
        .exclude(place_country="")
        .values("place_city", "place_region", "place_county", "place_country", "place_country_code")
        .annotate(count=Count("id"))
        .order_by("-count", "place_country", "place_city")
    )


def photos_to_describe(*, version: int, limit: int) -> list[Photo]:
    """Photos with a thumbnail whose description (place, colours) is older than ``version``, any owner."""
    return list(Photo.objects.filter(described_version__lt=version).exclude(thumbnail="").order_by("id")[:limit])


def place_shown(photo: Photo) -> str | None:
    """ "Leuven, Belgium", or None where the photo's place is not known."""
    return ", ".join(part for part in (photo.place_city, photo.place_country) if part) or None


EARTH_RADIUS_KM = 6371.0088


def _near(photos: QuerySet[Photo], latitude: float, longitude: float, km: float) -> QuerySet[Photo]:
    """Within ``km`` of a point by great-circle distance; a bounding box first keeps it on the index."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    photos = photos.filter(latitude__gte=latitude - dlat, latitude__lte=latitude + dlat)
    cos_lat = math.cos(math.radians(min(89.9, abs(latitude) + dlat)))
    dlon = math.degrees(km / (EARTH_RADIUS_KM * cos_lat)) if cos_lat > 0 else 360
    if dlon < 180 and longitude - dlon >= -180 and longitude + dlon <= 180:  # no box across the antimeridian
        photos = photos.filter(longitude__gte=longitude - dlon, longitude__lte=longitude + dlon)
    phi, lam = math.radians(latitude), math.radians(longitude)
    cosine = math.sin(phi) * Sin(Radians("latitude")) + math.cos(phi) * Cos(Radians("latitude")) * Cos(
        Radians("longitude") - lam
    )
    # Rounding can push the cosine of a zero angle just above 1, where ACos is undefined.
    distance = ACos(Least(Value(1.0), cosine)) * EARTH_RADIUS_KM
    return photos.annotate(distance_km=distance).filter(distance_km__lte=km)


def _day_start(day: date) -> datetime:
    # taken_at is stored as the camera's wall clock in UTC (validators._taken_at), so days are UTC days.
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def storage_used(*, owner: AbstractBaseUser) -> int:
    """Bytes of the owner's originals: what the storage quota counts."""
    return Photo.objects.filter(owner=owner).aggregate(total=Sum("size_bytes"))["total"] or 0


def photo_get(*, owner: AbstractBaseUser, id: int, trashed: bool = False) -> Photo:
    """One of the owner's photos outside the trash (``trashed=True``: in the trash or not, e.g. for its files)."""
    photos = Photo.objects.filter(owner=owner).prefetch_related(visible_tags()) if trashed else photo_list(owner=owner)
    try:
        return photos.get(id=id)
    except (Photo.DoesNotExist, ValueError, TypeError):
        raise Http404("No such photo.") from None


def trash_list(*, owner: AbstractBaseUser) -> QuerySet[Photo]:
    """The owner's photos in the trash, most recently deleted first."""
    return Photo.objects.filter(owner=owner, trashed_at__isnull=False).order_by("-trashed_at", "-id")


def purge_at(*, photo: Photo) -> datetime:
    """When a photo in the trash will be deleted for good."""
    return photo.trashed_at + timedelta(days=settings.TRASH_KEEP_DAYS)


def album_list(*, owner: AbstractBaseUser) -> list[Album]:
    """The owner's albums by name, each with ``count`` (photos outside the trash) and ``tile`` (the cover if it is
    still in the album and not trashed, else the most recently added photo; None for an empty album)."""
    return [_album_summary(album) for album in _albums(owner)]


def album_get(*, owner: AbstractBaseUser, id: int) -> Album:
    """One of the owner's albums, with ``count`` and ``tile`` as in album_list."""
    try:
        return _album_summary(_albums(owner).get(id=id))
    except (Album.DoesNotExist, ValueError, TypeError):
        raise Http404("No such album.") from None


def _albums(owner: AbstractBaseUser) -> QuerySet[Album]:
    return Album.objects.filter(owner=owner).annotate(
        count=Count("album_photos", filter=Q(album_photos__photo__trashed_at__isnull=True))
    )


def _album_summary(album: Album) -> Album:
    photos = Photo.objects.filter(album_photos__album=album, trashed_at__isnull=True)
    cover = photos.filter(id=album.cover_id).first() if album.cover_id else None
    album.tile = cover or photos.order_by("-album_photos__added_at", "-id").first()
    return album


def photos_by_ids(*, owner: AbstractBaseUser, ids: list[int]) -> dict[int, Photo]:
    """Photos for search results, keyed by id; ids that are not the owner's are silently absent."""
    # Unsorted: to return them in the timeline's order, SQLite would walk every photo of the owner down the
    # (owner, trashed_at, shot_at) index rather than look a few ids up and sort them (bench.filters).
    return {photo.id: photo for photo in photo_list(owner=owner).filter(id__in=ids).order_by()}


def tags_accepted(*, owner_id: int, photo_ids=None, names=None) -> QuerySet[PhotoTag]:
    """The owner's accepted tags (their own, and suggestions they accepted), optionally only on some photos or
    with some names: the one definition of "tags the owner stands by", for search, training and the tag filter."""
    links = PhotoTag.objects.filter(photo__owner_id=owner_id, state=PhotoTag.State.ACCEPTED)
    if photo_ids is not None:
        links = links.filter(photo_id__in=list(photo_ids))
    if names is not None:
        links = links.filter(tag__name__in=list(names))
    return links


def tag_verdicts(*, owner_id: int) -> dict[str, tuple[int, int]]:
    """How the owner judged each suggested tag so far: {name: (times accepted, times rejected)}."""
    rows = (
        PhotoTag.objects.filter(
            photo__owner_id=owner_id,
            source=PhotoTag.Source.AUTO,
            state__in=[PhotoTag.State.ACCEPTED, PhotoTag.State.REJECTED],
        )
        .values("tag__name", "state")
        .annotate(n=Count("id"))
    )
    verdicts: dict[str, tuple[int, int]] = {}
    for row in rows:
        accepted, rejected = verdicts.get(row["tag__name"], (0, 0))
        if row["state"] == PhotoTag.State.ACCEPTED:
            accepted += row["n"]
        else:
            rejected += row["n"]
        verdicts[row["tag__name"]] = (accepted, rejected)
    return verdicts


def tag_counts(*, owner: AbstractBaseUser) -> list[tuple[str, int]]:
    """The owner's accepted tags with how many photos carry each, most used first (for the tag filter)."""
    rows = (
        tags_accepted(owner_id=owner.id)
        .filter(photo__trashed_at__isnull=True)
        .values("tag__name")
        .annotate(n=Count("id"))
        .order_by("-n", "tag__name")
    )
    return [(row["tag__name"], row["n"]) for row in rows]


def photos_stuck(*, changed_before: datetime) -> list[Photo]:
    """Photos still pending or processing whose status last changed before the given time (with their claim)."""
    return list(
        Photo.objects.filter(
            status__in=[Photo.Status.PENDING, Photo.Status.PROCESSING], status_changed_at__lt=changed_before
        )
        .only("id", "attempts", "status", "status_changed_at", "claimed_by")
        .order_by("id")
    )


def photos_waiting_for_space_count() -> int:
    """Photos on every account that failed for lack of disk space and wait for room (the health page)."""
    return Photo.objects.filter(status=Photo.Status.FAILED, error=storage.NO_SPACE_REASON).count()


def timeline_years(*, photos: QuerySet[Photo], page_size: int) -> list[dict]:
    """For a list ordered newest taken first: each year, how many photos it has and the page its newest is on."""
    rows = (
        photos.order_by().annotate(year=ExtractYear("shot_at")).values("year").annotate(n=Count("id")).order_by("-year")
    )
    years, newer = [], 0
    for row in rows:
        years.append({"year": row["year"], "count": row["n"], "page": newer // page_size + 1})
        newer += row["n"]
    return years


def on_this_day(*, owner: AbstractBaseUser, day: date, limit: int = 30) -> list[Photo]:
    """The owner's photos taken on this day and month in earlier years, newest year first (memories)."""
    return list(
        Photo.objects.filter(
            owner=owner,
            trashed_at__isnull=True,
            shot_at__month=day.month,
            shot_at__day=day.day,
            shot_at__year__lt=day.year,
            archived=False,
        )
        .exclude(thumbnail="")
        .order_by("-shot_at", "-id")[:limit]
    )


# Sharing ---------------------------------------------------------------------------------------------------
# The one place that answers "may this user see this photo?". A user sees their own photos, and, read-only, the
# photos outside the trash of albums they own or are a member of (a contributor's photo in someone's album, the
# owner's photos in an album shared with them). Every photo endpoint and media view asks photo_access; anything
# else is simply not found.

OWNER = "owner"


@dataclass(frozen=True)
class PhotoAccess:
    photo: Photo
    owner: bool  # True: the user's own photo, all of it; False: seen through a shared album, as SharedPhotoSerializer


@dataclass(frozen=True)
class AlbumAccess:
    album: Album
    role: str  # OWNER, or the member's AlbumMember.Role

    @property
    def owner(self) -> bool:
        return self.role == OWNER

    @property
    def may_add(self) -> bool:
        return self.role in (OWNER, AlbumMember.Role.CONTRIBUTOR)


def _albums_of(user: AbstractBaseUser) -> QuerySet[Album]:
    """Every album the user owns or is a member of (a subquery, so no join multiplies rows)."""
    return Album.objects.filter(Q(owner=user) | Q(id__in=AlbumMember.objects.filter(user=user).values("album_id")))


def photos_shared_with(*, user: AbstractBaseUser) -> QuerySet[Photo]:
    """Photos outside the trash in albums the user owns or is a member of, whoever owns them."""
    in_albums = AlbumPhoto.objects.filter(album__in=_albums_of(user)).values("photo_id")
    return Photo.objects.filter(id__in=in_albums, trashed_at__isnull=True)


def photo_access(*, user: AbstractBaseUser, id: int, trashed: bool = False) -> PhotoAccess:
    """The photo with id ``id`` as this user may see it: their own (``trashed=True``: in the trash too), or one
    outside the trash in an album they own or are a member of. Http404 for everything else."""
    if not user.is_authenticated:
        raise Http404("No such photo.")
    try:
        return PhotoAccess(photo_get(owner=user, id=id, trashed=trashed), owner=True)
    except Http404:
        pass
    try:
        return PhotoAccess(photos_shared_with(user=user).get(id=id), owner=False)
    except (Photo.DoesNotExist, ValueError, TypeError):
        raise Http404("No such photo.") from None


def album_access(*, user: AbstractBaseUser, id: int) -> AlbumAccess:
    """An album the user owns or is a member of, with ``count`` and ``tile`` as in album_list, and their role."""
    if not user.is_authenticated:
        raise Http404("No such album.")
    try:
        album = (
            _albums_of(user)
            .annotate(count=Count("album_photos", filter=Q(album_photos__photo__trashed_at__isnull=True)))
            .select_related("owner")
            .get(id=id)
        )
    except (Album.DoesNotExist, ValueError, TypeError):
        raise Http404("No such album.") from None
    if album.owner_id == user.pk:
        return AlbumAccess(_album_summary(album), OWNER)
    role = AlbumMember.objects.get(album=album, user=user).role
    return AlbumAccess(_album_summary(album), role)


def album_shared_list(*, user: AbstractBaseUser) -> list[Album]:
    """Albums other accounts shared with the user ("Shared with me"), by name, each with ``count``, ``tile``,
    ``role`` and ``shared_at``; ``unseen`` is True until the member first opens it."""
    memberships = {m.album_id: m for m in AlbumMember.objects.filter(user=user).select_related("album", "album__owner")}
    albums = (
        Album.objects.filter(id__in=memberships)
        .select_related("owner")
        .annotate(count=Count("album_photos", filter=Q(album_photos__photo__trashed_at__isnull=True)))
    )
    summaries = []
    for album in albums:
        membership = memberships[album.id]
        album.role, album.shared_at, album.unseen = membership.role, membership.added_at, membership.seen_at is None
        summaries.append(_album_summary(album))
    return summaries


def album_photo_list(*, album: Album) -> QuerySet[Photo]:
    """The album's photos outside the trash, whoever added them, newest taken first, each with ``added_by_id``
    and ``added_by_name`` (who put it in the album)."""
    rows = AlbumPhoto.objects.filter(album=album, photo=OuterRef("pk"))
    return (
        Photo.objects.filter(album_photos__album=album, trashed_at__isnull=True)
        .annotate(
            added_by_id=Subquery(rows.values("added_by_id")[:1]),
            added_by_name=Subquery(rows.values("added_by__username")[:1]),
        )
        .order_by(*SORTS["taken"])
        .prefetch_related(visible_tags())
    )


def album_members(*, album: Album) -> QuerySet[AlbumMember]:
    return AlbumMember.objects.filter(album=album).select_related("user")


def album_member_get(*, album: Album, user_id: int) -> AlbumMember:
    try:
        return album_members(album=album).get(user_id=user_id)
    except (AlbumMember.DoesNotExist, ValueError, TypeError):
        raise Http404("No such member.") from None


def link_list(*, album: Album) -> QuerySet[AlbumLink]:
    """The album's links, newest first, revoked ones included (with ``revoked_at``)."""
    return AlbumLink.objects.filter(album=album)


def link_get(*, album: Album, id: int) -> AlbumLink:
    try:
        return link_list(album=album).get(id=id)
    except (AlbumLink.DoesNotExist, ValueError, TypeError):
        raise Http404("No such link.") from None


def link_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_live(*, token: str) -> AlbumLink | None:
    """The link this token names if it is neither revoked nor expired, else None. Read on every request
    through a link, never cached: a revoked link fails on the next request."""
    if not token or len(token) > 128:
        return None
    # A deactivated owner's links stop with their account.
    link = (
        AlbumLink.objects.select_related("album", "album__owner")
        .filter(digest=link_digest(token), revoked_at__isnull=True, album__owner__is_active=True)
        .first()
    )
    if link is None or (link.expires_at is not None and link.expires_at <= timezone.now()):
        return None
    return link


def link_photos(*, link: AlbumLink) -> QuerySet[Photo]:
    """What a link shows: its album's photos outside the trash, newest taken first."""
    return Photo.objects.filter(album_photos__album_id=link.album_id, trashed_at__isnull=True).order_by(*SORTS["taken"])


def link_photo_get(*, link: AlbumLink, id: int) -> Photo:
    """One photo of the link's album; Http404 for any other id."""
    try:
        return link_photos(link=link).get(id=id)
    except (Photo.DoesNotExist, ValueError, TypeError):
        raise Http404("No such photo.") from None
