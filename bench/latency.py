"""Latency a user sees, over HTTP against a live gunicorn server and a real Celery worker.

    python -m bench.latency [--uploads 15] [--gallery 50] [--queries 30] [--faces] [--text] [--database postgres]

(a) upload → searchable: POST one ~1 MP JPEG to /api/photos/, then poll GET /api/photos/<id>/ until its status
    is `ready` (ready means searchable: new vectors are scanned exactly until the next index build). Distinct
    images, one at a time, with a pause after each so the debounced index rebuild is not in the next one's way.
    Each photo is then checked to come first for POST /api/search/similar/ with its own bytes.
(b) warm round trips against a gallery of ~50 photos: POST /api/search/similar/ with a ~1 MP JPEG,
    GET /api/search/text/?q=cat and GET /api/search/similar/?photo=ID.

With --faces, the faces pass is on (FACES_PASS, its tasks on their own queue, as deployed) and (a) runs three
times: without a faces worker (its tasks wait in their queue), with the faces worker running as deployed (nice 15,
two face processes: it first works through the gallery's and the earlier uploads' faces), and without it again.
The ratio of p50s tells whether the faces pass delays `ready`. --text does the same with the text pass's worker
(queue "text", nice 15, one thread: the detector, Tesseract and the recogniser), which is always queued.

Everything runs on a throwaway data folder, SQLite database and Redis; all processes are stopped at exit.
Last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import requests

from bench._django import ROOT, free_port, site, start_worker, stop, wait_for_port, worker_command
from bench.ingest import source_images, upscale, variant

ONE_MP = (1152, 864)
POLL_SECONDS = 0.02


def jpegs(count: int, *, offset: int = 0) -> list[bytes]:
    """Distinct ~1 MP JPEGs made from real photos (crops and mirrors of scikit-image samples)."""
    sources = source_images()
    files = []
    for i in range(offset, offset + count):
        out = io.BytesIO()
        upscale(variant(sources[i % len(sources)], i // len(sources)), ONE_MP).save(out, "JPEG", quality=90)
        files.append(out.getvalue())
    return files


def cpu_seconds(*procs: subprocess.Popen) -> float:
    """User + system CPU the processes and their live children (gunicorn's worker) have used so far: unlike wall
    time, not inflated by other load."""
    ticks = 0
    pids = [proc.pid for proc in procs]
    while pids:
        pid = pids.pop()
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pids += [int(child) for child in children.read().split()]
        except FileNotFoundError:  # exited meanwhile
            continue
    return ticks / os.sysconf("SC_CLK_TCK")


def percentiles(seconds: list[float], *qs: int) -> dict[str, float]:
    return {f"p{q}_ms": round(float(np.percentile(seconds, q)) * 1e3, 1) for q in qs}


class Client:
    def __init__(self, base: str, token: str):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def call(self, method: str, path: str, **kwargs) -> dict:
        response = self.session.request(method, self.base + path, timeout=120, **kwargs)
        response.raise_for_status()
        return response.json()

    def upload(self, files: list[bytes]) -> list[int]:
        body = self.call(
            "POST", "/api/photos/", files=[("files", (f"{i}.jpg", f, "image/jpeg")) for i, f in enumerate(files)]
        )
        return [photo["id"] for photo in body["created"]]

    def wait_ready(self, photo_id: int, *, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            photo = self.call("GET", f"/api/photos/{photo_id}/")
            if photo["status"] == "ready":
                return
            if photo["status"] == "failed":
                raise RuntimeError(f"photo {photo_id} failed: {photo['error']}")
            time.sleep(POLL_SECONDS)
        raise TimeoutError(f"photo {photo_id} not ready after {timeout} s")

    def similar_to_upload(self, image: bytes) -> list[int]:
        body = self.call("POST", "/api/search/similar/", files={"image": ("q.jpg", image, "image/jpeg")})
        return [hit["photo"]["id"] for hit in body["results"]]


def round_trips(request, n: int, *, server: subprocess.Popen) -> dict[str, float]:
    """p50/p99 wall time of n warm requests, and the server's mean CPU time per request."""
    request()  # warm: model, word space and index loaded in the server
    times = []
    cpu = cpu_seconds(server)
    for _ in range(n):
        started = time.perf_counter()
        request()
        times.append(time.perf_counter() - started)
    return {**percentiles(times, 50, 99), "server_cpu_ms": round((cpu_seconds(server) - cpu) / n * 1e3, 1)}


def upload_to_ready(client: Client, files: list[bytes], *, pause: float, worker: subprocess.Popen) -> dict:
    """Wall time from POST to `ready`, and the worker's mean CPU time per photo (its index rebuilds included)."""
    totals, uploads, misses, worker_cpu = [], [], 0, 0.0
    for image in files:
        started, cpu = time.perf_counter(), cpu_seconds(worker)
        (photo_id,) = client.upload([image])
        uploads.append(time.perf_counter() - started)
        client.wait_ready(photo_id)
        totals.append(time.perf_counter() - started)
        time.sleep(pause)  # the debounced index rebuild runs now
        worker_cpu += cpu_seconds(worker) - cpu
        misses += client.similar_to_upload(image)[:1] != [photo_id]
    return {
        "n": len(files),
        **percentiles(totals, 50, 90),
        "upload_request": percentiles(uploads, 50, 90),
        "worker_cpu_ms": round(worker_cpu / len(files) * 1e3, 1),
        "not_first_for_its_own_image": misses,
    }


FACES_QUEUE = "faces"
TEXT_QUEUE = "text"


@dataclass(frozen=True)
class Background:
    """A background pass whose worker must not delay `ready`: how it is deployed, and how its progress shows."""

    name: str
    command: list[str]
    routes: dict[str, str]  # settings of every process: the pass on, its tasks routed to its queue
    env: dict[str, str]  # settings of its worker
    done: Callable[[], int]  # photos it has finished so far


def _faces_scans() -> int:
    from people.models import PhotoScan

    return PhotoScan.objects.count()


def _text_passes() -> int:
    from ocr.models import PhotoText

    return PhotoText.objects.count()


BACKGROUND = {
    # As deploy/supervisord.conf runs them: nice 15; faces with two processes, text solo with one thread.
    "faces": Background(
        "faces",
        ["nice", "-n", "15", *worker_command(queue=FACES_QUEUE, hostname="faces@%h")],
        {"FACES_PASS": "1", "FACES_QUEUE": FACES_QUEUE},
        {"FACES_PROCESSES": "2"},
        _faces_scans,
    ),
    "text": Background(
        "text",
        ["nice", "-n", "15", *worker_command(queue=TEXT_QUEUE, hostname="text@%h")],
        {"TEXT_QUEUE": TEXT_QUEUE},
        {"OMP_THREAD_LIMIT": "1"},
        _text_passes,
    ),
}


def background_worker_effect(
    s, client: Client, files: list[bytes], *, kind: Background, before: dict, pause: float, worker
) -> dict:
    """Upload → ready with the pass's worker running, timed from its first finished photo (started, warm and
    busy with the gallery's backlog), then without it again; the ratio of p50s to the runs without it."""
    half = len(files) // 2
    waiting = kind.done()
    background = subprocess.Popen(
        kind.command, cwd=ROOT, env=s.child_env(**kind.routes, **kind.env), stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 180
        while kind.done() == waiting:
            if time.monotonic() > deadline or background.poll() is not None:
                raise RuntimeError(f"the {kind.name} worker finished no photo")
            time.sleep(0.1)
        finished = kind.done()
        started = time.perf_counter()
        running = upload_to_ready(client, files[:half], pause=pause, worker=worker)
        running["seconds"] = round(time.perf_counter() - started, 1)
        running[f"{kind.name}_done_before"] = finished - waiting
        running[f"{kind.name}_done_meanwhile"] = kind.done() - finished
        running[f"{kind.name}_worker_cpu_s"] = round(cpu_seconds(background), 1)
    finally:
        stop(background, timeout=60)
    after = upload_to_ready(client, files[half:], pause=pause, worker=worker)
    without = statistics.median([before["p50_ms"], after["p50_ms"]])
    return {
        f"with_{kind.name}_worker": running,
        "without_again": after,
        "p50_ratio_with_to_without": round(running["p50_ms"] / without, 3),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=15, help="timed single uploads for (a)")
    parser.add_argument("--gallery", type=int, default=50, help="photos in the gallery for (b)")
    parser.add_argument("--queries", type=int, default=30, help="timed round trips per query kind in (b)")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between uploads in (a)")
    parser.add_argument("--faces", action="store_true", help="(a) without, with, without the faces worker")
    parser.add_argument("--text", action="store_true", help="(a) without, with, without the text (OCR) worker")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    passes = [BACKGROUND[name] for name in ("faces", "text") if getattr(args, name)]
    routes = {key: value for kind in passes for key, value in kind.routes.items()}

    procs: list[subprocess.Popen] = []
    with site(database=args.database) as s:
        try:
            from django.conf import settings
            from django.contrib.auth import get_user_model

            from accounts.services import token_rotate
            from searchsite.celery import app

            user = get_user_model().objects.create_user(username="bench", password="bench-password")
            token = token_rotate(user=user)
            port = free_port()
            procs.append(worker := start_worker(s, env=s.child_env(**routes)))
            procs.append(
                server := subprocess.Popen(
                    # gunicorn, as in production: runserver's thread-per-request adds ~40 ms to every round trip.
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "searchsite.wsgi",
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--threads",
                        "2",
                    ],
                    cwd=ROOT,
                    env=s.child_env(**routes),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_for_port(port, proc=procs[-1], timeout=60)
            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=0.5):
                if time.monotonic() > deadline or procs[0].poll() is not None:
                    raise RuntimeError("the celery worker did not start")
            client = Client(f"http://127.0.0.1:{port}", token)

            gallery = jpegs(args.gallery)
            uploads = jpegs(args.uploads + 1, offset=args.gallery)
            queries = jpegs(4, offset=args.gallery + args.uploads + 1)
            more = jpegs(2 * args.uploads * len(passes), offset=args.gallery + args.uploads + 5)
            # The gallery first: it also warms the worker (model load and trace are not what (a) measures).
            gallery_ids = []
            for start in range(0, len(gallery), settings.SEARCH_EMBED_BATCH):
                gallery_ids += client.upload(gallery[start : start + settings.SEARCH_EMBED_BATCH])
            for photo_id in gallery_ids:
                client.wait_ready(photo_id)
            upload_to_ready(client, uploads[:1], pause=args.pause, worker=worker)  # warm the single-photo path
            results = {"upload_to_ready": upload_to_ready(client, uploads[1:], pause=args.pause, worker=worker)}
            for n, kind in enumerate(passes):
                results[kind.name] = background_worker_effect(
                    s,
                    client,
                    more[2 * args.uploads * n : 2 * args.uploads * (n + 1)],
                    kind=kind,
                    before=results["upload_to_ready"],
                    pause=args.pause,
                    worker=worker,
                )

            n_query = iter(range(10**9))
            similar_upload = round_trips(
                lambda: client.similar_to_upload(queries[next(n_query) % len(queries)]), args.queries, server=server
            )
            text = round_trips(
                lambda: client.call("GET", "/api/search/text/", params={"q": "cat"}), args.queries, server=server
            )
            similar_photo = round_trips(
                lambda: client.call("GET", "/api/search/similar/", params={"photo": gallery_ids[0]}),
                args.queries,
                server=server,
            )
            photos = len(gallery_ids) + args.uploads + 1
            results.update(
                {
                    "similar_upload": {"gallery": photos, **similar_upload},
                    "text_cat": {"gallery": photos, **text},
                    "similar_photo": {"gallery": photos, **similar_photo},
                    "database": args.database,
                    "load_average_1m": round(os.getloadavg()[0], 2),  # other processes on the 2 cores skew all this
                }
            )
            results["targets"] = {
                "upload_to_ready_p50_le_1500ms": results["upload_to_ready"]["p50_ms"] <= 1500,
                "similar_upload_p50_le_60ms": results["similar_upload"]["p50_ms"] <= 60,
            }
        finally:
            for proc in reversed(procs):
                stop(proc)
    print(json.dumps({"bench": "latency", **results}))
    return results


if __name__ == "__main__":
    main()
