"""The site under load, as deployed: gunicorn and one worker per queue on PostgreSQL, many clients at once.

    python -m bench.load [--db postgres|sqlite] [--clients 16] [--seconds 60] [--users 1000 --photos-per-user 200]

(a) Mixed load: --clients threads send text searches, similar-photo searches and query-by-upload searches (a
    ~1 MP JPEG each) for --seconds, while one more client uploads a photo every --upload-every seconds and
    waits until it is ready. Reports requests/s, p50/p99 and errors per endpoint, and upload → ready.
(c) One user can't starve another: user B, with enough tagged photos for a per-user projection, changes a tag
    every --edit-every seconds (each change retrains the projection on the index queue), while user A uploads
    one photo at a time; reports A's upload → ready.
(b) Many galleries: --users users with --photos-per-user photos each (vectors made from real Fashion-MNIST
    features when the bench cache has them, else random), indexes built, then a freshly started web process
    answers each sampled user's first text query (cold: that user's index is read from disk) and a second one
    (warm). Reports both, and the web process's memory after it has served every user once.

Everything runs on a throwaway data folder, Redis and database (a private PostgreSQL cluster for --db postgres);
all processes are stopped at exit. The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict

import numpy as np
import requests

from bench._django import ROOT, free_port, site, stop, wait_for_port, worker_command
from bench.latency import jpegs, percentiles

TEXT_QUERIES = ("cat", "coffee", "rocket", "person", "dog", "car", "beach", "flower", "cup", "food")
MIX = (("text", 0.45), ("similar_photo", 0.35), ("similar_upload", 0.20))


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(child) for child in f.read().split()]
    return found


# The deployment's queues with a worker each (deploy/supervisord.conf), and the niceness of the background ones.
QUEUES = ("photos", "index", "query", "faces")
NICE = {"index": 10, "faces": 15}


class Deployment:
    """gunicorn plus a worker per queue (QUEUES) and beat, with the production routing."""

    def __init__(self, s, web_workers: int):
        self.site, self.procs = s, []
        self.env = s.child_env(
            DJANGO_SETTINGS_MODULE="searchsite.settings.prod",  # DEBUG off, the deployment's queues
            HTTPS="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECRET_KEY="bench-only-not-secret-" * 3,  # prod refuses one shorter than 50
            SEARCH_MODEL_DIR=str(ROOT / "data" / "models"),
        )
        self.web_workers = web_workers

    def start_workers(self) -> None:
        from searchsite.celery import app

        for queue in QUEUES:
            # As deploy/supervisord.conf: the index and faces workers run at a lower priority.
            nice = ["nice", "-n", str(NICE[queue])] if queue in NICE else []
            self.procs.append(
                subprocess.Popen(
                    [*nice, *worker_command(queue=queue, hostname=f"{queue}@%h")],
                    cwd=ROOT,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=open(self.site.data_dir / f"worker-{queue}.log", "wb"),
                )
            )
        deadline = time.monotonic() + 600  # each worker warms the model up before it answers
        while len({n for reply in app.control.ping(timeout=0.5) for n in reply}) < len(QUEUES):
            if time.monotonic() > deadline or any(proc.poll() is not None for proc in self.procs):
                logs = "".join((self.site.data_dir / f"worker-{q}.log").read_text()[-1500:] for q in QUEUES)
                raise RuntimeError(f"the celery workers did not all start:\n{logs}")

    def start_web(self, workers: int | None = None) -> tuple[subprocess.Popen, str]:
        workers = workers or self.web_workers
        port = free_port()
        web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "searchsite.wsgi",
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(web)
        wait_for_port(port, proc=web, timeout=120)
        base = f"http://127.0.0.1:{port}"
        # The port opens before the web processes have warmed up; a page answers once they have.
        for _ in range(workers):
            requests.get(f"{base}/accounts/login/", timeout=300).raise_for_status()
        return web, base

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)


def token_for(user) -> str:
    from accounts.services import token_rotate

    return token_rotate(user=user)


def session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Token {token}"
    return s


def mixed_load(
    base: str,
    token: str,
    photo_ids: list[int],
    *,
    clients: int,
    seconds: float,
    upload_every: float,
    fresh_uploads: list[bytes],
    queries: list[bytes],
) -> dict:
    stats: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed: int) -> None:
        rng, http = random.Random(seed), session(token)
        while time.monotonic() < deadline:
            kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            started = time.perf_counter()
            try:
                if kind == "text":
                    response = http.get(f"{base}/api/search/text/", params={"q": rng.choice(TEXT_QUERIES)}, timeout=60)
                elif kind == "similar_photo":
                    response = http.get(
                        f"{base}/api/search/similar/", params={"photo": rng.choice(photo_ids)}, timeout=60
                    )
                else:
                    response = http.post(
                        f"{base}/api/search/similar/",
                        files={"image": ("q.jpg", rng.choice(queries), "image/jpeg")},
                        timeout=60,
                    )
                ok = response.status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                stats[kind].append(time.perf_counter() - started)
                errors[kind] += not ok

    to_ready: list[float] = []
    upload_errors = 0

    def uploader() -> None:
        nonlocal upload_errors
        http = session(token)
        for image in fresh_uploads:
            if time.monotonic() >= deadline:
                return
            started = time.perf_counter()
            response = http.post(f"{base}/api/photos/", files=[("files", ("u.jpg", image, "image/jpeg"))], timeout=60)
            if response.status_code != 201:
                upload_errors += 1
                continue
            photo_id = response.json()["created"][0]["id"]
            while time.monotonic() < deadline + 60:
                status = http.get(f"{base}/api/photos/{photo_id}/", timeout=60).json()["status"]
                if status in ("ready", "failed"):
                    upload_errors += status == "failed"
                    to_ready.append(time.perf_counter() - started)
                    break
                time.sleep(0.05)
            time.sleep(max(0.0, upload_every - (time.perf_counter() - started)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    threads.append(threading.Thread(target=uploader))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in stats.values())
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(total / elapsed, 1),
        "errors": sum(errors.values()) + upload_errors,
        "endpoints": {
            kind: {"n": len(times), **percentiles(times, 50, 99), "errors": errors[kind]}
            for kind, times in sorted(stats.items())
        },
        "upload_to_ready": {"n": len(to_ready), **(percentiles(to_ready, 50, 90) if to_ready else {})},
    }


def tag_editor_starvation(
    base: str, *, photos: list[bytes], uploads: list[bytes], edit_every: float, seconds: float
) -> dict:
    """(c): user A's upload → ready while user B's tag edits keep retraining B's projection."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    editor = session(token_for(users.create_user(username="editor", password=None)))
    uploader = session(token_for(users.create_user(username="uploader", password=None)))
    ids = []
    for start in range(0, len(photos), settings.SEARCH_EMBED_BATCH):
        chunk = photos[start : start + settings.SEARCH_EMBED_BATCH]
        response = editor.post(
            f"{base}/api/photos/",
            files=[("files", (f"{i}.jpg", f, "image/jpeg")) for i, f in enumerate(chunk)],
            timeout=120,
        )
        ids += [photo["id"] for photo in response.json()["created"]]
    while any(editor.get(f"{base}/api/photos/{i}/", timeout=60).json()["status"] != "ready" for i in ids[-3:]):
        time.sleep(0.5)
    names = ("family", "work", "travel")
    editor.post(f"{base}/api/photos/bulk/tags/", json={"ids": ids, "name": "family", "action": "add"}, timeout=120)
    deadline = time.monotonic() + seconds
    edits = 0

    def edit() -> None:
        nonlocal edits
        while time.monotonic() < deadline:
            photo_id = ids[edits % len(ids)]
            editor.post(f"{base}/api/photos/{photo_id}/tags/", json={"name": names[edits % 3]}, timeout=60)
            edits += 1
            time.sleep(edit_every)

    thread = threading.Thread(target=edit)
    thread.start()
    to_ready = []
    for image in uploads:
        if time.monotonic() >= deadline:
            break
        started = time.perf_counter()
        response = uploader.post(f"{base}/api/photos/", files=[("files", ("a.jpg", image, "image/jpeg"))], timeout=60)
        photo_id = response.json()["created"][0]["id"]
        while uploader.get(f"{base}/api/photos/{photo_id}/", timeout=60).json()["status"] not in ("ready", "failed"):
            time.sleep(0.02)
        to_ready.append(time.perf_counter() - started)
        time.sleep(1.0)
    thread.join()
    return {
        "tag_edits": edits,
        "edit_every_s": edit_every,
        "upload_to_ready": {"n": len(to_ready), **percentiles(to_ready, 50, 90)},
    }


def many_galleries(deployment: Deployment, *, users: int, per_user: int, sample: int) -> dict:
    """(b): cold and warm first queries per user on a fresh web process, and its memory after all users."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from gallery.models import Photo
    from search import components
    from search.indexes import index_rebuild
    from search.models import PhotoEmbedding

    vectors = _feature_pool(users * per_user)
    model_key = components.configured_model_key()
    name, version = components.model_parts(model_key)
    User = get_user_model()
    tokens = {}
    started = time.perf_counter()
    for u in range(users):
        with transaction.atomic():
            user = User.objects.create_user(username=f"many{u}", password=None)
            photos = Photo.objects.bulk_create(
                [
                    Photo(
                        owner=user,
                        original_name=f"{i}.jpg",
                        sha256=f"{u:08d}{i:056d}",
                        size_bytes=1,
                        format="JPEG",
                        width=1,
                        height=1,
                        status=Photo.Status.READY,
                        original=f"bench/{u}/{i}.jpg",
                    )
                    for i in range(per_user)
                ]
            )
            rows = vectors[u * per_user : (u + 1) * per_user]
            PhotoEmbedding.objects.bulk_create(
                [
                    PhotoEmbedding(photo=photo, model_name=name, model_version=version, vector=row.tobytes())
                    for photo, row in zip(photos, rows)
                ]
            )
        index_rebuild(owner_id=user.id, model_key=model_key)
        tokens[user.id] = token_for(user)
    seed_seconds = time.perf_counter() - started
    web, base = deployment.start_web(workers=1)  # one process, so its memory is the per-process figure
    (process,) = children(web.pid)
    idle_mb = rss_mb(process)
    rng = random.Random(0)
    sampled = rng.sample(sorted(tokens), min(sample, len(tokens)))
    cold, warm = [], []
    for user_id in sampled:
        http = session(tokens[user_id])
        for bucket in (cold, warm):
            t = time.perf_counter()
            response = http.get(f"{base}/api/search/text/", params={"q": "shoe"}, timeout=60)
            bucket.append(time.perf_counter() - t)
            assert response.status_code == 200, response.text
    for user_id in tokens:
        session(tokens[user_id]).get(
            f"{base}/api/search/similar/", params={"photo": _first_photo(user_id)}, timeout=60
        ).raise_for_status()
    return {
        "users": users,
        "photos_per_user": per_user,
        "seed_seconds": round(seed_seconds, 1),
        "first_query_cold": {"n": len(cold), **percentiles(cold, 50, 90)},
        "second_query_warm": {"n": len(warm), **percentiles(warm, 50, 90)},
        "web_process_rss_mb": {"after_start": round(idle_mb), "after_every_user": round(rss_mb(process))},
    }


def _first_photo(user_id: int) -> int:
    from gallery.models import Photo

    return Photo.objects.filter(owner_id=user_id).order_by("id").values_list("id", flat=True)[0]


def _feature_pool(n: int) -> np.ndarray:
    """n feature rows: Fashion-MNIST's real features (repeated) when cached, so indexes see realistic data."""
    try:
        from bench.fmnist import BENCH_CACHE

        cached = sorted(BENCH_CACHE.glob("*features*.npy"))
        base = np.load(cached[0], mmap_mode="r") if cached else None
    except Exception:
        base = None
    rng = np.random.default_rng(0)
    if base is None or base.ndim != 2:
        return np.abs(rng.normal(size=(n, 1280))).astype(np.float32)
    rows = rng.integers(0, len(base), size=n)
    return (np.asarray(base[rows], np.float32) * rng.uniform(0.9, 1.1, size=(n, 1))).astype(np.float32)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--gallery", type=int, default=60, help="photos uploaded before the load starts")
    parser.add_argument("--upload-every", type=float, default=2.0)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--edit-every", type=float, default=11.0)
    parser.add_argument("--starvation-seconds", type=float, default=60)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--photos-per-user", type=int, default=200)
    parser.add_argument("--sample-users", type=int, default=50)
    args = parser.parse_args(argv)

    with site(database=args.db) as s:
        deployment = Deployment(s, args.web_workers)
        try:
            from django.conf import settings
            from django.contrib.auth import get_user_model

            deployment.start_workers()
            web, base = deployment.start_web()
            token = token_for(get_user_model().objects.create_user(username="bench", password=None))
            http = session(token)
            photo_ids = []
            gallery = jpegs(args.gallery)
            for start in range(0, len(gallery), settings.SEARCH_EMBED_BATCH):
                chunk = gallery[start : start + settings.SEARCH_EMBED_BATCH]
                response = http.post(
                    f"{base}/api/photos/",
                    files=[("files", (f"{i}.jpg", f, "image/jpeg")) for i, f in enumerate(chunk)],
                    timeout=120,
                )
                response.raise_for_status()
                photo_ids += [photo["id"] for photo in response.json()["created"]]
            deadline = time.monotonic() + 600
            while any(http.get(f"{base}/api/photos/{i}/").json()["status"] != "ready" for i in photo_ids[-3:]):
                if time.monotonic() > deadline:
                    raise RuntimeError("the gallery did not become ready")
                time.sleep(0.5)
            results = {"db": args.db, "web_workers": args.web_workers}
            results["load"] = mixed_load(
                base,
                token,
                photo_ids,
                clients=args.clients,
                seconds=args.seconds,
                upload_every=args.upload_every,
                fresh_uploads=(fresh := jpegs(int(args.seconds / args.upload_every) + 2, offset=args.gallery)),
                queries=jpegs(8, offset=args.gallery + len(fresh)),
            )
            if args.starvation_seconds:
                results["starvation"] = tag_editor_starvation(
                    base,
                    photos=jpegs(24, offset=200),
                    uploads=jpegs(60, offset=230),
                    edit_every=args.edit_every,
                    seconds=args.starvation_seconds,
                )
            web_processes = children(web.pid)
            results["memory_mb"] = {
                "web_process": [round(rss_mb(pid)) for pid in web_processes],
                "workers": {
                    name: round(rss_mb(proc.pid))
                    for name, proc in zip(QUEUES, deployment.procs[: len(QUEUES)], strict=True)
                },
            }
            stop(web)
            if args.users:
                results["many_galleries"] = many_galleries(
                    deployment, users=args.users, per_user=args.photos_per_user, sample=args.sample_users
                )
            results["load_average_1m"] = round(os.getloadavg()[0], 2)
            results["targets"] = {
                "errors_zero": results["load"]["errors"] == 0,
                "starved_upload_to_ready_p90_le_1000ms": results.get("starvation", {})
                .get("upload_to_ready", {})
                .get("p90_ms", 1e9)
                <= 1000,
            }
        finally:
            deployment.stop()
    print(json.dumps({"bench": "load", **results}))
    return results


if __name__ == "__main__":
    main()
