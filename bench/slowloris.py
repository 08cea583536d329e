"""Slow clients against the web front: does the site keep answering while N connections send their headers a
few bytes at a time (slowloris)?

    python -m bench.slowloris [--connections 50] [--seconds 30]

A throwaway site (its own data folder, SQLite database and Redis) served the way `make run` serves it: gunicorn's
sync workers (WEB_WORKERS=2), once alone on the port (WEB_PROXY=none) and once behind nginx with the
configuration scripts/run.sh writes (scripts/proxy-conf.sh from deploy/nginx.conf). For each, the attacker keeps
``--connections`` connections open, each sending one more header line every 2 s and reconnecting when the
server drops it; meanwhile the probe asks for the log-in page every 0.5 s (5 s timeout). Reported per front:
probes answered (200) of probes sent, and their median and slowest time. Last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import statistics
import subprocess
import threading
import time
from pathlib import Path

import requests

from bench._django import ROOT, free_port, site, stop, wait_for_port

HEADER_EVERY_SECONDS = 2.0
PROBE_EVERY_SECONDS = 0.5
PROBE_TIMEOUT_SECONDS = 5.0


def gunicorn(*, bind: str, env: dict) -> subprocess.Popen:
    """gunicorn as scripts/run.sh starts it (sync workers, WEB_WORKERS=2)."""
    return subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "searchsite.wsgi:application",
            "--bind",
            bind,
            "--workers",
            "2",
            "--timeout",
            "120",
            "--no-control-socket",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


class Slowloris:
    """Keeps ``count`` connections sending an endless request header, one line every HEADER_EVERY_SECONDS."""

    def __init__(self, port: int, count: int):
        self.port, self.count = port, count
        self.stopping = threading.Event()
        self.reconnects = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()

    def _open(self, selector) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.setblocking(False)
        sock.send(f"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n".encode())
        selector.register(sock, selectors.EVENT_READ)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        for _ in range(self.count):
            self._open(selector)
        line = 0
        while not self.stopping.is_set():
            deadline = time.monotonic() + HEADER_EVERY_SECONDS
            while (left := deadline - time.monotonic()) > 0 and not self.stopping.is_set():
                for key, _ in selector.select(timeout=min(left, 0.2)):
                    self._drop(selector, key.fileobj)  # the server answered (408) or closed: reconnect
                    self.reconnects += 1
                    self._open(selector)
            line += 1
            for key in list(selector.get_map().values()):
                try:
                    key.fileobj.send(f"X-Slow-{line}: {line}\r\n".encode())
                except OSError:
                    self._drop(selector, key.fileobj)
                    self.reconnects += 1
                    self._open(selector)
        for key in list(selector.get_map().values()):
            self._drop(selector, key.fileobj)

    @staticmethod
    def _drop(selector, sock) -> None:
        selector.unregister(sock)
        sock.close()


def probe(port: int, seconds: float) -> dict:
    times, answered, sent = [], 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        sent += 1
        try:
            response = requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=PROBE_TIMEOUT_SECONDS)
            if response.status_code == 200:
                answered += 1
                times.append(time.monotonic() - started)
        except requests.RequestException:
            pass
        time.sleep(max(0.0, PROBE_EVERY_SECONDS - (time.monotonic() - started)))
    return {
        "probes": sent,
        "answered": answered,
        "median_ms": round(statistics.median(times) * 1000, 1) if times else None,
        "max_ms": round(max(times) * 1000, 1) if times else None,
    }


def warm_up(port: int, timeout: float = 120) -> None:
    """Until both web workers have answered once (the first request imports the app)."""
    deadline, answered = time.monotonic() + timeout, 0
    while answered < 4:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the site did not answer within {timeout} s")
        try:
            answered += requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=30).status_code == 200
        except requests.RequestException:
            time.sleep(0.5)


def measure(port: int, *, connections: int, seconds: float) -> dict:
    warm_up(port)
    baseline = probe(port, 3)
    with Slowloris(port, connections) as attack:
        time.sleep(HEADER_EVERY_SECONDS)  # every slow connection is in
        under_attack = probe(port, seconds)
    return {"baseline": baseline, "under_attack": under_attack, "reconnects": attack.reconnects}


def run(*, connections: int, seconds: float) -> dict:
    results = {}
    with site() as running:
        env = running.child_env()
        port = free_port()
        direct = gunicorn(bind=f"127.0.0.1:{port}", env=env)
        try:
            wait_for_port(port, proc=direct, timeout=60)
            results["gunicorn_alone"] = measure(port, connections=connections, seconds=seconds)
        finally:
            stop(direct)

        port = free_port()
        proxy_env = {**env, "PORT": str(port), "WEB_PROXY": "nginx"}
        socket_path = Path(running.data_dir) / "gunicorn.sock"
        app = gunicorn(bind=f"unix:{socket_path}", env=proxy_env)
        command = subprocess.run(
            [str(ROOT / "scripts" / "proxy-conf.sh")],
            cwd=ROOT,
            env=proxy_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        nginx = subprocess.Popen(command, cwd=ROOT, env=proxy_env)
        try:
            wait_for_port(port, proc=nginx, timeout=30)
            deadline = time.monotonic() + 60
            while not socket_path.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            results["behind_nginx"] = measure(port, connections=connections, seconds=seconds)
        finally:
            stop(nginx)
            stop(app)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    results = run(connections=args.connections, seconds=args.seconds)
    for front, result in results.items():
        attacked = result["under_attack"]
        print(
            f"{front}: {attacked['answered']}/{attacked['probes']} probes answered under {args.connections} slow "
            f"connections (median {attacked['median_ms']} ms, slowest {attacked['max_ms']} ms; "
            f"baseline median {result['baseline']['median_ms']} ms)"
        )
    print(json.dumps({"bench": "slowloris", "connections": args.connections, "seconds": args.seconds, **results}))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
