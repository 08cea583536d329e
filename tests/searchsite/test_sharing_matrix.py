"""The sharing security matrix, generated from the OpenAPI schema: every API operation × every actor.

Actors with accounts: the album's owner, a viewer, a contributor, another account (stranger), and anonymous.
Actors with a link (for the /api/shared/ operations): the right link, a wrong, expired or revoked one, and a
password link with the password missing, wrong or right. Each operation is run against targets inside the
grant (the shared album, its photos) and outside it (the owner's other album and photos); GRANTS says, per
operation and target, which actors the grant covers. Everyone else must get a 404 (anonymous: 401, the same
for every id), nothing the owner has may change, and no response to anyone may carry what their grant does not
cover (SECRET markers in names, the owner's coordinates).

An operation in the schema that GRANTS does not classify fails its test: a new endpoint is covered or fails.
"""

import json
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from gallery import services
from gallery.models import Album, AlbumLink, AlbumMember, AlbumPhoto, Photo, PhotoTag
from people.models import Face, Person
from tests import images
from tests.factories import PhotoFactory, UserFactory
from tests.gallery.sharing_fixtures import World, client_for, with_thumbnail

ACCOUNTS = ("viewer", "contributor", "stranger", "anonymous", "owner")  # the owner last: its changes are allowed
LINKS = ("link_wrong", "link_expired", "link_revoked", "pw_missing", "pw_wrong", "link_right", "pw_right")
PASSWORD = "a link password"
FACTORY_PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's
OUTSIDE_MARKERS = ("SECRET-OUTSIDE", "SECRET-TRASH", "SECRET-ALBUM", "48.85")  # nobody but the owner sees these
STRANGER_MARKERS = ("INSIDE-PHOTO", "Holiday")  # the shared album: only the owner, members and links see it


def schema_operations() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops)


class MatrixWorld(World):
    """sharing_fixtures.World with marked names, a trashed photo, a photo of the viewer's, and every kind of link."""

    def __init__(self):
        super().__init__()
        for photo in self.inside:
            Photo.objects.filter(id=photo.id).update(original_name=f"INSIDE-PHOTO-{photo.id}.jpg")
        Photo.objects.filter(id=self.outside.id).update(original_name="SECRET-OUTSIDE.jpg")
        Album.objects.filter(id=self.other_album.id).update(name="SECRET-ALBUM")
        self.trashed = with_thumbnail(PhotoFactory(owner=self.owner, name="x.jpg", content=images.jpeg("camera")))
        Photo.objects.filter(id=self.trashed.id).update(original_name="SECRET-TRASH.jpg")
        services.photos_trash(owner=self.owner, photo_ids=[self.trashed.id])
        self.viewer_photo = with_thumbnail(
            PhotoFactory(owner=self.viewer, content=images.encode(images.solid((1, 2, 250)), "JPEG"))
        )
        services.tag_add(photo=self.outside, name="secret-outside-tag")
        self.tokens = {}
        self.links = {}
        for album in (self.album, self.other_album):
            self.links[album.id], self.tokens[("right", album.id)] = services.link_create(
                album=album, allow_download=True
            )
        _, self.tokens["expired"] = services.link_create(album=self.album, expires_at=timezone.now() + timedelta(1))
        AlbumLink.objects.filter(digest=_digest(self.tokens["expired"])).update(expires_at=timezone.now())
        revoked, self.tokens["revoked"] = services.link_create(album=self.album, allow_download=True)
        services.link_revoke(link=revoked)
        _, self.tokens["password"] = services.link_create(album=self.album, password=PASSWORD, allow_download=True)

    def user(self, actor: str):
        return None if actor == "anonymous" else getattr(self, actor)

    def photo(self, target: str) -> Photo:
        return {"inside": self.inside[0], "outside": self.outside, "contributed": self.contributed}[target]

    def album_for(self, target: str) -> Album:
        return self.album if target == "shared" else self.other_album


def _digest(token: str) -> str:
    from gallery.selectors import link_digest

    return link_digest(token)


@dataclass
class Op:
    """How to call one operation, and whom its grant covers per target (actors not listed get 404)."""

    targets: dict[str, set[str]]  # target → actors inside the grant; "self": each actor's own data, all allowed
    body: object = None  # callable(world, actor, target) → JSON body
    query: object = None  # callable(world, actor, target) → query parameters
    prepare: object = None  # callable(world, target): set-up before the operation is called
    ids: dict = field(default_factory=dict)  # path parameters besides the target, callable(world, actor, target)


OWNER, MEMBERS, CONTRIBUTING = {"owner"}, {"owner", "viewer", "contributor"}, {"owner", "contributor"}
PHOTO_READ = {"inside": MEMBERS, "contributed": MEMBERS, "outside": OWNER}
PHOTO_OWNER = {"inside": OWNER, "outside": OWNER}
ALBUM_READ = {"shared": MEMBERS, "other": OWNER}
ALBUM_OWNER = {"shared": OWNER, "other": OWNER}
SELF = {"self": {"owner", "viewer", "contributor", "stranger"}}
LINK_READ = {"album": {"link_right", "pw_right"}}
LINK_PHOTO = {"inside": {"link_right", "pw_right"}, "contributed": {"link_right", "pw_right"}, "outside": set()}


def add_member(world):
    extra = UserFactory()
    services.member_add(album=world.album, username=extra.username, role="viewer")
    return extra


def ids_body(world, actor, target):
    return {"ids": [world.photo(target).id]}


def trash_target(world, target):
    services.photos_trash(owner=world.photo(target).owner, photo_ids=[world.photo(target).id])


def own_photo(world, actor):
    return {
        "owner": world.outside,
        "viewer": world.viewer_photo,
        "contributor": world.contributor_private,
        "stranger": world.stranger_photo,
    }.get(actor, world.outside)


def a_person(world, target):
    """A person of the owner's with a face on the target photo, and a second person to merge or move into."""
    photo = world.photo(target)
    world.person = Person.objects.create(owner=photo.owner, name="SECRET-OUTSIDE person")
    world.other_person = Person.objects.create(owner=photo.owner, name="SECRET-OUTSIDE other")
    world.face, _ = (
        Face.objects.create(
            owner=photo.owner,
            photo=photo,
            x=x,
            y=0.1,
            w=0.3,
            h=0.3,
            score=1.0,
            descriptor=bytes(512),
            crop=images.encode(images.solid((10, 20, 30)), "JPEG"),
            model_version="matrix",
            person=person,
        )
        for x, person in ((0.1, world.person), (0.5, world.other_person))
    )


PERSON_ID = {"id": lambda w, a, t: w.person.id}
FACE_ID = {"id": lambda w, a, t: w.face.id}

GRANTS: dict[str, Op] = {
    # Albums
    "GET /api/albums/": Op(SELF),
    "POST /api/albums/": Op(
        {"inside": OWNER, "outside": OWNER}, body=lambda w, a, t: {"name": "New", "ids": [w.photo(t).id]}
    ),
    "GET /api/albums/{id}/": Op(ALBUM_READ),
    "PATCH /api/albums/{id}/": Op(ALBUM_OWNER, body=lambda w, a, t: {"name": "Renamed"}),
    "DELETE /api/albums/{id}/": Op(ALBUM_OWNER),
    "GET /api/albums/{id}/links/": Op(ALBUM_OWNER),
    "POST /api/albums/{id}/links/": Op(ALBUM_OWNER, body=lambda w, a, t: {"label": "new"}),
    "DELETE /api/albums/{id}/links/{link_id}/": Op(
        ALBUM_OWNER, ids={"link_id": lambda w, a, t: w.links[w.album_for(t).id].id}
    ),
    "GET /api/albums/{id}/members/": Op(ALBUM_OWNER),
    "POST /api/albums/{id}/members/": Op(
        ALBUM_OWNER, body=lambda w, a, t: {"username": w.stranger.username, "role": "viewer"}
    ),
    # The owner removes a member (one more, since the others leave first); a member removes only themselves.
    "DELETE /api/albums/{id}/members/{user_id}/": Op(
        {"shared": MEMBERS, "other": set()},
        prepare=lambda w, t: setattr(w, "extra", add_member(w)),
        ids={"user_id": lambda w, a, t: w.extra.id if a == "owner" else (w.user(a) or w.viewer).id},
    ),
    "GET /api/albums/{id}/photos/": Op(ALBUM_READ),
    "POST /api/albums/{id}/photos/": Op(
        {"shared": CONTRIBUTING, "other": OWNER}, body=lambda w, a, t: {"ids": [own_photo(w, a).id]}
    ),
    "POST /api/albums/{id}/photos/remove/": Op(
        {"shared": CONTRIBUTING, "other": OWNER},
        body=lambda w, a, t: {"ids": [(w.contributed if a == "contributor" else w.inside[0]).id]},
    ),
    "GET /api/albums/{id}/search/": Op(ALBUM_READ, query=lambda w, a, t: {"q": "cat"}),
    # Accounts: no photo or album in them; run for the leak and 5xx checks.
    "POST /api/auth/register/": Op(SELF, body=lambda w, a, t: {"username": f"new{secrets.token_hex(3)}"}),
    "POST /api/auth/token/": Op(
        SELF,
        body=lambda w, a, t: {"username": getattr(w.user(a), "username", "nobody"), "password": FACTORY_PASSWORD},
    ),
    "POST /api/auth/token/revoke/": Op(SELF),
    "POST /api/auth/token/rotate/": Op(SELF),
    "GET /api/classes/": Op(SELF, query=lambda w, a, t: {"q": "cat"}),
    "GET /api/words/similar/": Op(SELF, query=lambda w, a, t: {"q": "cat"}),
    # Duplicates and trash: each account's own only.
    "GET /api/duplicates/": Op(SELF),
    "POST /api/duplicates/keep-best/": Op(PHOTO_OWNER, body=lambda w, a, t: {"photos": [w.photo(t).id]}),
    "GET /api/trash/": Op(SELF),
    "DELETE /api/trash/": Op(SELF),
    "POST /api/trash/delete/": Op(PHOTO_OWNER, body=ids_body, prepare=trash_target),
    "POST /api/trash/restore/": Op(PHOTO_OWNER, body=ids_body, prepare=trash_target),
    # Photos: members read the album's photos through the same endpoints; only the owner changes them.
    "GET /api/photos/": Op(SELF),
    "POST /api/photos/": Op(SELF),
    "GET /api/photos/{id}/": Op(PHOTO_READ),
    "PATCH /api/photos/{id}/": Op(PHOTO_OWNER, body=lambda w, a, t: {"favourite": True}),
    "DELETE /api/photos/{id}/": Op(PHOTO_OWNER),
    "GET /api/photos/{id}/original": Op(PHOTO_READ),
    "GET /api/photos/{id}/thumbnail": Op(PHOTO_READ),
    "POST /api/photos/{id}/retry/": Op(PHOTO_OWNER),
    "POST /api/photos/{id}/tags/": Op(PHOTO_OWNER, body=lambda w, a, t: {"name": "new tag"}),
    "PATCH /api/photos/{id}/tags/": Op(
        PHOTO_OWNER, body=lambda w, a, t: {"name": "secret-outside-tag", "accept": True}
    ),
    "DELETE /api/photos/{id}/tags/": Op(PHOTO_OWNER, query=lambda w, a, t: {"name": "secret-outside-tag"}),
    "POST /api/photos/bulk/delete/": Op(PHOTO_OWNER, body=ids_body),
    "POST /api/photos/bulk/favourite/": Op(PHOTO_OWNER, body=ids_body),
    "POST /api/photos/bulk/tags/": Op(PHOTO_OWNER, body=lambda w, a, t: {**ids_body(w, a, t), "name": "bulk"}),
    "POST /api/photos/bulk/trash/": Op(PHOTO_OWNER, body=ids_body),
    "POST /api/photos/bulk/archive/": Op(PHOTO_OWNER, body=ids_body),
    # Search: the owner's index only; members search a shared album through /api/albums/{id}/search/.
    "GET /api/search/class/": Op(SELF, query=lambda w, a, t: {"class": "tabby cat"}),
    "GET /api/search/similar/": Op(PHOTO_OWNER, query=lambda w, a, t: {"photo": w.photo(t).id}),
    "POST /api/search/similar/": Op(PHOTO_OWNER, body=lambda w, a, t: {"photos": [w.photo(t).id]}),
    "GET /api/search/text/": Op(PHOTO_OWNER, query=lambda w, a, t: {"q": "cat", "photo": w.photo(t).id}),
    # People: faces and persons are the owner's alone, also on a photo of a shared album.
    "GET /api/people/": Op(SELF),
    "POST /api/people/recluster/": Op(SELF),
    "GET /api/people/settings/": Op(SELF),
    "PATCH /api/people/settings/": Op(SELF, body=lambda w, a, t: {"enabled": True}),
    "GET /api/people/{id}/": Op(PHOTO_OWNER, prepare=a_person, ids=PERSON_ID),
    "PATCH /api/people/{id}/": Op(PHOTO_OWNER, prepare=a_person, ids=PERSON_ID, body=lambda w, a, t: {"name": "N"}),
    "POST /api/people/{id}/merge/": Op(
        PHOTO_OWNER, prepare=a_person, ids=PERSON_ID, body=lambda w, a, t: {"into": w.other_person.id}
    ),
    "POST /api/faces/{id}/assign/": Op(
        PHOTO_OWNER, prepare=a_person, ids=FACE_ID, body=lambda w, a, t: {"person": w.other_person.id}
    ),
    "POST /api/faces/{id}/name/": Op(PHOTO_OWNER, prepare=a_person, ids=FACE_ID, body=lambda w, a, t: {"name": "N"}),
    "GET /api/faces/{id}/crop": Op(PHOTO_OWNER, prepare=a_person, ids=FACE_ID),
    # Places and text read in photos: the owner's alone.
    "GET /api/places/": Op(SELF),
    "GET /api/text/settings/": Op(SELF),
    "PUT /api/text/settings/": Op(SELF, body=lambda w, a, t: {"enabled": True, "languages": ["eng"]}),
    "GET /api/photos/{id}/text/matches/": Op(PHOTO_OWNER, query=lambda w, a, t: {"q": "cat"}),
    # Through a link, no account.
    "GET /api/shared/{token}/": Op(LINK_READ),
    "GET /api/shared/{token}/photos/{id}/original": Op(LINK_PHOTO),
    "GET /api/shared/{token}/photos/{id}/thumbnail": Op(LINK_PHOTO),
}


def owner_state(world) -> tuple:
    """Everything of the owner's that nobody else may change."""
    owner = world.owner
    return (
        sorted(Photo.objects.filter(owner=owner).values_list("id", "trashed_at", "favourite", "original_name")),
        sorted(PhotoTag.objects.filter(photo__owner=owner).values_list("photo_id", "tag__name", "state")),
        sorted(Album.objects.filter(owner=owner).values_list("id", "name", "cover_id")),
        sorted(AlbumPhoto.objects.filter(album__owner=owner, photo__owner=owner).values_list("album_id", "photo_id")),
        sorted(AlbumMember.objects.filter(album__owner=owner).values_list("album_id", "user_id", "role")),
        sorted(AlbumLink.objects.filter(album__owner=owner).values_list("id", "revoked_at", "digest")),
    )


def call(world, operation: str, op: Op, actor: str, target: str):
    method, template = operation.split(" ", 1)
    path = template
    if "{token}" in path:
        token, headers = _link_credentials(world, actor)
        path = path.replace("{token}", token)
    else:
        headers = {}
    if "{id}" in path and "id" not in op.ids:
        value = world.album_for(target).id if template.startswith("/api/albums/") else world.photo(target).id
        path = path.replace("{id}", str(value))
    for name, build in op.ids.items():
        path = path.replace("{" + name + "}", str(build(world, actor, target)))
    client = client_for(world.user(actor)) if actor in ACCOUNTS else client_for()
    body = op.body(world, actor, target) if op.body else None
    query = op.query(world, actor, target) if op.query else None
    request = getattr(client, method.lower())
    if method == "GET":
        return request(path, query, **headers)
    if query:
        path = f"{path}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
    return request(path, body, format="json", **headers)


def _link_credentials(world, actor: str) -> tuple[str, dict]:
    password = {"pw_wrong": {"HTTP_X_SHARE_PASSWORD": "not it"}, "pw_right": {"HTTP_X_SHARE_PASSWORD": PASSWORD}}
    token = {
        "link_right": world.tokens[("right", world.album.id)],
        "link_wrong": secrets.token_urlsafe(32),
        "link_expired": world.tokens["expired"],
        "link_revoked": world.tokens["revoked"],
        "pw_missing": world.tokens["password"],
        "pw_wrong": world.tokens["password"],
        "pw_right": world.tokens["password"],
    }.get(actor, secrets.token_urlsafe(32))
    return token, password.get(actor, {})


def body_text(response) -> str:
    if response.get("Content-Type", "").startswith("image/"):
        return ""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def markers_for(actor: str) -> tuple[str, ...]:
    if actor == "owner":
        return ()
    hidden = (*OUTSIDE_MARKERS, "SECRET-CONTRIB") if actor != "contributor" else OUTSIDE_MARKERS
    return hidden + STRANGER_MARKERS if actor in ("stranger", "anonymous", *LINKS[:5]) else hidden


@pytest.fixture(autouse=True)
def generous_rates(settings):
    """The matrix sends many wrong tokens and passwords from one address: throttling has tests of its own."""
    settings.SHARE_MISSES_PER_ADDRESS = "100000/hour"
    settings.AUTH_RATE_PER_ADDRESS = "100000/hour"
    settings.AUTH_FREE_FAILURES = 100000


@pytest.mark.django_db
@pytest.mark.parametrize("operation", schema_operations())
def test_operation_answers_each_actor_within_its_grant_only(operation):
    """Ensure each actor outside the operation's grant gets a 404 (anonymous: 401) and changes nothing of the
    owner's, each actor inside it is served, and no answer carries anything the actor's grant does not cover."""
    if operation not in GRANTS:
        pytest.fail(f"{operation} is in the API but not in the sharing matrix: classify it in GRANTS")
    op = GRANTS[operation]
    actors = LINKS if "/api/shared/" in operation else ACCOUNTS
    leaks, wrong = [], []
    for target, granted in op.targets.items():
        world = MatrixWorld()
        Photo.objects.filter(id=world.contributor_private.id).update(original_name="SECRET-CONTRIB.jpg")
        if op.prepare:
            op.prepare(world, target)
        for actor in actors:
            before = owner_state(world)
            response = call(world, operation, op, actor, target)
            code = response.status_code
            allowed = actor in granted or (target == "self" and actor != "anonymous")
            if code >= 500:
                wrong.append((actor, target, code))
            elif allowed and code in (401, 403, 404):
                wrong.append((actor, target, code, "refused inside the grant"))
            elif not allowed:
                expected = {401} if actor == "anonymous" and target != "self" else {404}
                if actor == "anonymous" and target == "self":
                    expected = {401, 200, 201, 400}  # register and token need no account
                if actor == "pw_missing":
                    expected = {401}  # the same for every photo id: the link asks for its password first
                if code not in expected:
                    wrong.append((actor, target, code, f"expected {sorted(expected)}"))
                if actor != "owner" and owner_state(world) != before:
                    wrong.append((actor, target, "changed the owner's data"))
            text = body_text(response)
            leaks += [(actor, target, marker) for marker in markers_for(actor) if marker in text]
            if code == 404 and "/api/" in operation:
                assert json.loads(text or "{}").get("detail") is not None, (actor, target, text)
    assert not wrong, f"{operation}: {wrong}"
    assert not leaks, f"{operation} leaked: {leaks}"


def test_matrix_size_and_every_grant_is_in_the_schema():
    """Ensure GRANTS names no operation the API no longer has (and report the matrix's size)."""
    operations = schema_operations()
    assert set(GRANTS) <= set(operations), set(GRANTS) - set(operations)
    cells = sum(len(LINKS if "/shared/" in o else ACCOUNTS) * len(GRANTS[o].targets) for o in operations)
    print(f"sharing matrix: {len(operations)} operations, {cells} (operation, target, actor) cells")
    assert cells > 0


# Pages and media views (not in the OpenAPI schema): every route taking an object id, from the URL configuration.
PAGE_GRANTS = {
    ("GET", "albums/<int:id>/"): (ALBUM_READ, None),
    ("POST", "albums/<int:id>/"): (ALBUM_OWNER, {"name": "Renamed"}),
    ("GET", "photos/<int:id>/"): (PHOTO_READ, None),
    ("GET", "photos/<int:id>/original"): (PHOTO_READ, None),
    ("GET", "photos/<int:id>/thumbnail"): (PHOTO_READ, None),
    ("POST", "photos/<int:id>/favourite/"): (PHOTO_OWNER, {}),
    ("POST", "photos/<int:id>/tags/"): (PHOTO_OWNER, {"name": "new", "action": "add"}),
    ("POST", "photos/<int:id>/retry/"): (PHOTO_OWNER, {}),
    ("GET", "photos/<int:id>/delete/"): (PHOTO_OWNER, None),
    ("POST", "photos/<int:id>/delete/"): (PHOTO_OWNER, {}),
    ("GET", "albums/<int:id>/download/"): (ALBUM_OWNER, None),  # the owner's zip; members view, they don't take
    ("GET", "people/<int:id>/"): (PHOTO_OWNER, None, a_person),
    ("POST", "people/<int:id>/change/"): (PHOTO_OWNER, {"name": "N"}, a_person),
}


def page_routes_with_ids() -> list[str]:
    from django.urls import get_resolver
    from django.urls.resolvers import URLResolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    return sorted(r for r in walk(get_resolver().url_patterns) if "<int:" in r and not r.startswith("api/"))


def test_every_page_route_taking_an_id_is_in_the_page_matrix():
    classified = {route for _, route in PAGE_GRANTS}
    assert set(page_routes_with_ids()) <= classified, set(page_routes_with_ids()) - classified


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "route"), sorted(PAGE_GRANTS))
def test_page_answers_each_account_within_its_grant_only(method, route, client):
    """Ensure pages and media views serve each account its grant and 404 everyone else, changing nothing."""
    grants, form, *person = PAGE_GRANTS[(method, route)]
    wrong, leaks = [], []
    for target, granted in grants.items():
        world = MatrixWorld()
        if person:
            person[0](world, target)
        for actor in ("viewer", "contributor", "stranger", "anonymous", "owner"):
            value = world.album_for(target).id if route.startswith("albums/") else world.photo(target).id
            if route.startswith("people/"):
                value = world.person.id
            url = "/" + route.replace("<int:id>", str(value))
            client.logout()
            if actor != "anonymous":
                client.force_login(world.user(actor))
            before = owner_state(world)
            response = client.get(url) if method == "GET" else client.post(url, form)
            code = response.status_code
            if actor == "anonymous":
                ok = code == 302 and "/accounts/login/" in response["Location"]
            elif actor in granted:
                ok = code in (200, 302)
            else:
                ok = code == 404 and owner_state(world) == before
            if not ok:
                wrong.append((actor, target, code))
            text = body_text(response)
            leaks += [(actor, target, m) for m in markers_for(actor) if m in text]
    assert not wrong, f"{method} {route}: {wrong}"
    assert not leaks, f"{method} {route} leaked: {leaks}"
