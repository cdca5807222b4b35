"""``scaffold serve`` when the world misbehaves: bursts, dead workers, signals, no stderr, no disk.

Each case gets a real server of its own on loopback, with limits tight enough
that the limit is what is tested, not the machine's speed.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from helpers import clean_env, free_port, scaffold_command, tmpfs
from scaffold.web.connections import LINGER_SECONDS
from scaffold.web.limits import CHEAP_REQUESTS
from webserver import Server, serving, start_server

pytestmark = pytest.mark.xdist_group("web-pressure")


def burst(port: int, count: int, path: str) -> list[tuple[int, dict[str, str], bytes]]:
    """``count`` GETs of ``path`` sent at the same moment, each on a connection of its own.

    ``{n}`` in ``path`` is replaced by the request's number, to ask for different projects.
    """
    ready = threading.Barrier(count)
    answers: list[tuple[int, dict[str, str], bytes]] = []
    lock = threading.Lock()

    def one(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            connection.connect()
            ready.wait(30)
            connection.request("GET", path.replace("{n}", str(number)))
            response = connection.getresponse()
            answer = (response.status, {k.lower(): v for k, v in response.getheaders()})
            body = response.read()
        finally:
            connection.close()
        with lock:
            answers.append((*answer, body))

    threads = [threading.Thread(target=one, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return answers


def test_a_burst_past_every_limit_is_served_in_part_and_refused_as_documented(tmp_path):
    queue = 2
    admitted = 1 + queue + CHEAP_REQUESTS
    # One client sends the whole burst: its connection cap is lifted for the test.
    cap = ("--connections-per-client", "1000")
    with serving(tmp_path, "--queue", str(queue), *cap, workers=1) as server:
        # Each asks for a project of its own, so no two share a render or the cache.
        answers = burst(server.port, admitted + 133, "/starter.zip?name=burst{n}")
        assert len(answers) == admitted + 133
        statuses = [status for status, _headers, _body in answers]
        assert statuses.count(200) >= 1 + queue, statuses  # the render and its queue are served
        assert set(statuses) == {200, 503}
        for status, headers, body in answers:
            if status == 503:  # scaffold's own answer, never uvicorn's bare one
                assert headers["retry-after"] == "1"
                assert "default-src 'none'" in headers["content-security-policy"]
                assert headers["content-type"] == "application/json"
                assert b"try again" in body
        # The limit let go of every request: the server answers normally afterwards.
        assert server.get("/starter.zip").status == 200
        assert server.health()["status"] == "ok"


def test_health_is_admitted_during_a_burst(tmp_path):
    with serving(tmp_path, "--queue", "0", "--connections-per-client", "1000", workers=1) as server:
        stop = threading.Event()

        def flood() -> None:
            while not stop.is_set():
                burst(server.port, CHEAP_REQUESTS + 8, "/starter.zip")

        flooding = threading.Thread(target=flood)
        flooding.start()
        try:
            time.sleep(1)
            assert server.get("/health").status == 200
        finally:
            stop.set()
            flooding.join(180)


def test_a_killed_idle_worker_is_replaced_and_no_request_fails(tmp_path):
    with serving(tmp_path, workers=2) as server:
        victim, survivor = server.workers()
        os.kill(victim, signal.SIGKILL)
        for _ in range(4):
            assert server.get("/starter.zip").status == 200
        server.wait_ready(2)
        assert victim not in server.workers() and survivor in server.workers()
        assert "ended unexpectedly" in server.output()


def test_health_says_503_while_no_worker_is_alive(tmp_path):
    with serving(tmp_path, workers=1) as server:
        (only,) = server.workers()
        os.kill(only, signal.SIGSTOP)  # hold the replacement back: kill, then look at once
        os.kill(only, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while server.health()["renders"]["workers"] and time.monotonic() < deadline:
            time.sleep(0.05)
        response = server.get("/health")
        if response.status == 200:  # the replacement won the race; nothing to see
            pytest.skip("the replacement worker started before /health was asked")
        assert response.status == 503 and response.headers["retry-after"] == "1"
        assert response.json()["status"] in {"starting", "unavailable"}
        server.wait_ready(1)
        assert server.get("/health").status == 200


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM, signal.SIGINT], ids=str)
def test_every_signal_stops_it_with_its_code_no_traceback_and_no_scratch(tmp_path, sig):
    server = start_server(tmp_path, "--workers", "1")
    server.wait_ready(1)
    workers = server.workers()
    assert server.scratch_dirs()
    assert server.stop(sig) == 128 + sig
    output = server.output()
    assert "Traceback" not in output
    assert f"scaffold: interrupted ({signal.Signals(sig).name})" in output
    assert server.scratch_dirs() == []
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_with_stderr_closed_the_workers_still_start_and_render(tmp_path):
    port = free_port()
    command = " ".join([*scaffold_command(), "serve", "--port", str(port), "--workers", "1"])
    process = subprocess.Popen(
        ["sh", "-c", f"exec {command} >/dev/null 2>&-"],
        env=clean_env(TMPDIR=str(tmp_path)),
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(process, port, tmp_path, tmp_path / "no-log")
    server.log.write_text("")
    try:
        server.wait_ready(1)
        assert server.get("/health").status == 200
        assert server.get("/starter.zip").status == 200
    finally:
        assert server.stop() == 130


def test_a_full_tmpdir_is_reported_by_health_not_hidden(tmp_path):
    with tmpfs(tmp_path / "full", "64k") as full:
        server = start_server(full, "--workers", "1")
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    body = server.health()
                except (OSError, ValueError):
                    time.sleep(0.2)
                    continue
                if body["status"] == "unavailable":
                    break
                time.sleep(0.2)
            response = server.get("/health")
            assert response.status == 503
            assert response.json()["status"] == "unavailable"
            assert "No space left on device" in response.json()["reason"]
            assert server.get("/starter.zip").status == 503
        finally:
            assert server.stop() == 130
        assert "Traceback" not in server.output()


def half_requests(port: int, source: str, count: int) -> list[socket.socket]:
    """``count`` connections from ``source`` that send half a request and then wait."""
    held = []
    for _ in range(count):
        connection = socket.create_connection(
            ("127.0.0.1", port), timeout=30, source_address=(source, 0)
        )
        connection.sendall(b"GET /starter.zip HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        held.append(connection)
    return held


def read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_slow_clients_time_out_and_never_crowd_out_the_others(tmp_path):
    with serving(
        tmp_path, "--request-timeout", "3", "--connections-per-client", "8", workers=1
    ) as server:
        slow = half_requests(server.port, "127.0.0.2", 8)
        # One address past its cap is turned away at once, with Retry-After and the headers.
        (extra,) = half_requests(server.port, "127.0.0.2", 1)
        refused = read_all(extra)
        assert refused.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in refused
        assert b"content-security-policy: default-src 'none'" in refused
        crowd = [half_requests(server.port, f"127.0.1.{n}", 8) for n in range(1, 13)]
        try:
            # 104 half requests held open: everyone else is served as usual.
            for _ in range(3):
                assert server.get("/starter.zip").status == 200
                assert server.get("/health").status == 200
            # The slow ones get 408 when their time is up, and are closed.
            answer = read_all(slow[0])
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
            assert b"within 3 s" in answer
        finally:
            for connection in [*slow, *(c for group in crowd for c in group)]:
                connection.close()
        # Their slots are free again: the same address may connect and be served.
        fresh = socket.create_connection(
            ("127.0.0.1", server.port), source_address=("127.0.0.2", 0)
        )
        fresh.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert read_all(fresh).startswith(b"HTTP/1.1 200 ")
        fresh.close()


def test_a_body_that_never_ends_times_out_too(tmp_path):
    with serving(tmp_path, "--request-timeout", "2", workers=1) as server:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        connection.sendall(
            b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nabc"
        )
        started = time.monotonic()
        answer = read_all(connection)
        connection.close()
        assert answer.startswith(b"HTTP/1.1 413 ")  # answered at once, as a body is refused
        assert time.monotonic() - started < 30


def test_a_posted_body_that_never_ends_gets_408(tmp_path):
    with serving(tmp_path, "--request-timeout", "2", workers=1) as server:
        connection = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        connection.sendall(
            b"POST /api/preview HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\nsize=large"
        )
        started = time.monotonic()
        answer = read_all(connection)
        connection.close()
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
        assert 1.5 < time.monotonic() - started < 30
        time.sleep(LINGER_SECONDS + 1)  # the server closes the connection: the body never comes
        assert "Traceback" not in server.output()
        assert server.get("/health").status == 200
