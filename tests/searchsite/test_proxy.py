"""The web front of `make run`: nginx (deploy/nginx.conf, as scripts/proxy-conf.sh writes it) in front of gunicorn's
sync workers, started here without the Celery workers: slow clients, over-long requests, oversized bodies."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from bench._django import ROOT, free_port, stop, wait_for_port
from bench.slowloris import Slowloris, gunicorn, probe, warm_up

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.front]
UPLOAD_MAX_BYTES = 1_000_000  # small, so that the body limits are quick to cross


class Front:
    def __init__(self, port: int):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"

    def raw(self, request: bytes, *, timeout: float = 10) -> tuple[int, dict, bytes]:
        """Send bytes as they are; (status, headers, body) of the answer."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.fixture
def front(settings):
    data_dir = Path(tempfile.mkdtemp(prefix="ss-front-"))  # short: a unix socket path has at most 107 bytes
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "searchsite.settings.worker_test",
        "TEST_DB_NAME": str(settings.DATABASES["default"]["NAME"]),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "SEARCH_INDEX_DIR": str(settings.SEARCH_INDEX_DIR),
        "DATA_DIR": str(data_dir),
        "CELERY_TASK_DEFAULT_QUEUE": "celery",
        "PORT": str(port),
        "WEB_PROXY": "nginx",
        "UPLOAD_MAX_BYTES": str(UPLOAD_MAX_BYTES),
    }
    app = gunicorn(bind=f"unix:{data_dir / 'gunicorn.sock'}", env=env)
    command = subprocess.run(
        [str(ROOT / "scripts" / "proxy-conf.sh")], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    nginx = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_for_port(port, proc=nginx, timeout=30)
        warm_up(port)
        yield Front(port)
    finally:
        stop(nginx)
        stop(app)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_fifty_slow_header_connections_do_not_stop_normal_requests(front):
    """Ensure that, while 50 connections trickle their headers in, every probe of the log-in page is answered
    (200, within the probe's 5 s timeout): alone, gunicorn's two sync workers answer none (bench.slowloris)."""
    with Slowloris(front.port, 50):
        result = probe(front.port, 12)
    assert result["probes"] >= 10
    assert result["answered"] == result["probes"], result


def test_over_long_request_line_is_json_414(front):
    status, headers, body = front.raw(b"GET /api/photos/?q=" + b"x" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n")
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": "The request line is too long: at most 8 KB."}


def test_over_long_header_is_431_json_under_api_and_html_elsewhere(front):
    big = b"X-Big: " + b"y" * 10000 + b"\r\n"
    status, headers, body = front.raw(b"GET /api/photos/ HTTP/1.1\r\nHost: a\r\n" + big + b"\r\n")
    assert status == 431
    assert headers["content-type"] == "application/json"
    assert json.loads(body) == {"detail": "A request header is too long: at most 8 KB each."}
    status, headers, _ = front.raw(b"GET /accounts/login/ HTTP/1.1\r\nHost: a\r\n" + big + b"\r\n")
    assert status == 431
    assert headers["content-type"].startswith("text/html")


def test_chunked_body_over_the_limit_is_stopped_at_the_limit(front, settings):
    """Ensure nginx stops a chunked body (no Content-Length to judge by) once past the limit, in JSON."""
    chunk = b"z" * 1_000_000

    def chunks():
        for _ in range(40):  # 40 MB, past 10 MB of form fields + one file of 1 MB
            yield chunk

    response = requests.post(
        f"{front.url}/api/albums/", data=chunks(), headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


def test_declared_large_upload_is_refused_before_its_body_is_sent(front):
    """Ensure the upload door answers from the headers alone, no body ever sent: nginx past its own limit, and the
    app (to which the door streams) past what this caller may send."""

    def declared(length: int):
        return front.raw(
            b"POST /api/photos/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            + f"Content-Length: {length}\r\n\r\n".encode()
        )

    status, headers, body = declared(960 * 1024**2)  # over 200 files of UPLOAD_MAX_BYTES: nginx
    assert (status, headers["content-type"]) == (413, "application/json")
    assert json.loads(body) == {"detail": "The request body is too large."}
    status, headers, body = declared(50 * 1024**2)  # within nginx's limit, over an anonymous caller's: the app
    assert (status, headers["content-type"]) == (413, "application/json")
    assert json.loads(body)["detail"] == f"The request is {50 * 1024**2} bytes; the limit is {10 * 1024**2} bytes."
