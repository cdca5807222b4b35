"""The production server of each default starter: its log lines, request ids and headers.

The server is started with the README's production command and settings, is
sent real requests over loopback, and what it wrote is read back: every line
in the one format (text or JSON), each request's id in its lines and in the
response, and a request for a host that is not allowed logged as one line.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from generated import production_env, project_env, run_in, start
from helpers import free_port, stop, wait_for_http
from scaffold.frameworks import FRAMEWORKS, Framework

pytestmark = pytest.mark.e2e

REFUSED_HOST = "evil.example"
TEXT_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL) \[(?P<request_id>[^\]]+)\] \S+: .*"
)
JSON_KEYS = {"time", "level", "logger", "request_id", "message"}
GENERATED_ID = re.compile(r"[0-9a-f]{32}")
#: Behind the TLS-terminating proxy the READMEs prescribe: what each starter is told to
#: believe of it (gunicorn itself believes X-Forwarded-Proto from 127.0.0.1, but the
#: FastAPI starter trusts no proxy unless told).
BEHIND_A_PROXY = {
    Framework.DJANGO: {"DJANGO_SECURE_PROXY_SSL_HEADER": "true"},
    Framework.FLASK: {"FLASK_PROXY_HOPS": "1"},
    Framework.FASTAPI: {"FORWARDED_ALLOW_IPS": "127.0.0.1"},
}
#: The README's build step of a production install, before the server starts.
BUILD_STEPS = {Framework.DJANGO: ["python manage.py collectstatic --noinput"]}
#: What the proxy adds to a request that reached it over HTTPS.
FROM_THE_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def request(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPMessage]:
    """GET ``path`` with exactly these headers (Host included); the status and headers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        connection.close()


@contextmanager
def production_server(installed, tmp_path, log_format: str) -> Iterator[tuple[int, list[str]]]:
    """Serve the project as in production; yield the port and, after the block, its lines."""
    framework, project, bin_dir = installed
    port = free_port()
    settings = production_env(framework, port, tmp_path)
    settings.update(BEHIND_A_PROXY[framework], LOG_FORMAT=log_format, WEB_CONCURRENCY="1")
    env = project_env(bin_dir, **settings)
    for setup in [*BUILD_STEPS.get(framework, []), *FRAMEWORKS[framework].setup("svc", "sqlite")]:
        run_in(project, setup, env)
    server = start(project, FRAMEWORKS[framework].production_command.format(package="svc"), env)
    lines: list[str] = []
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", server)
        yield port, lines
    finally:
        stop(server)
        assert server.stdout is not None
        lines.extend(server.stdout.read().decode(errors="replace").splitlines())


def exchange(port: int) -> dict[str, http.client.HTTPMessage]:
    """The requests every starter gets: a refused host, a page with and without an id."""
    status, refused = request(port, "/", {"Host": REFUSED_HOST, "X-Request-ID": "bad-host-1"})
    assert status == 400
    status, page = request(port, "/", {**FROM_THE_PROXY, "X-Request-ID": "page-1"})
    assert status == 200
    status, health = request(port, "/health")
    assert status == 200
    return {"refused": refused, "page": page, "health": health}


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_every_line_has_the_format_and_the_request_id(installed, tmp_path, log_format):
    with production_server(installed, tmp_path, log_format) as (port, lines):
        responses = exchange(port)
    assert responses["page"]["X-Request-ID"] == "page-1"
    assert GENERATED_ID.fullmatch(responses["health"]["X-Request-ID"] or "")
    output = "\n".join(lines)
    assert lines, "the server wrote nothing"
    assert "Traceback" not in output
    records = []
    for line in lines:
        if log_format == "json":
            record = json.loads(line)
            assert record.keys() >= JSON_KEYS, line
        else:
            match = TEXT_LINE.fullmatch(line)
            assert match, f"not in the text format: {line!r}"
            record = {**match.groupdict(), "message": line}
        records.append(record)
    refused = [record for record in records if REFUSED_HOST in record["message"]]
    assert len(refused) == 1, output
    assert refused[0]["level"] == "WARNING"
    assert refused[0]["request_id"] == "bad-host-1"


def test_a_client_request_id_that_is_not_plain_is_replaced(installed, tmp_path):
    with production_server(installed, tmp_path, "text") as (port, _lines):
        status, headers = request(port, "/health", {"X-Request-ID": "x" * 500})
        assert status == 200
        assert GENERATED_ID.fullmatch(headers["X-Request-ID"] or "")
        _status, headers = request(port, "/health", {"X-Request-ID": "a b\tc"})
        assert GENERATED_ID.fullmatch(headers["X-Request-ID"] or "")


def test_pages_carry_the_security_headers(installed, tmp_path):
    """Over HTTPS (as the proxy tells): HSTS and the others; Flask and FastAPI add a policy."""
    framework = installed[0]
    # FastAPI's root answers JSON; its one HTML page, with the referrer policy, is /docs.
    html_page = "/docs" if framework == Framework.FASTAPI else "/"
    with production_server(installed, tmp_path, "text") as (port, _lines):
        status, headers = request(port, "/", FROM_THE_PROXY)
        html_status, html_headers = request(port, html_page, FROM_THE_PROXY)
    assert status == 200 and html_status == 200
    assert "max-age=" in (headers["Strict-Transport-Security"] or "")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert html_headers["Referrer-Policy"]
    if framework == Framework.FASTAPI:
        assert headers["Referrer-Policy"] is None
    policy = headers["Content-Security-Policy"] or ""
    assert headers["X-Frame-Options"] == "DENY" or "frame-ancestors 'none'" in policy
    if framework != Framework.DJANGO:
        assert "default-src" in policy
