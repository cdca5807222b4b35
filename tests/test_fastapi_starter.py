"""The FastAPI starter with accounts, run for real: its servers, Redis, Alembic and its checks.

Each test starts the project's documented server (gunicorn as in production, or
uvicorn from a ``.env`` made as the README says) on loopback and talks HTTP to
it; the limits are checked against Debian's Redis on 127.0.0.1:6379.
"""

from __future__ import annotations

import http.client
import json
import secrets
import shutil
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from generated import install_project, production_env, project_env, render_project, run_in, start
from helpers import free_port, stop, wait_for_http
from scaffold.frameworks import FRAMEWORKS, Framework

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("fastapi")]

FASTAPI = FRAMEWORKS[Framework.FASTAPI]
REGISTER = "/api/v1/auth/register"
LOG_IN = "/api/v1/auth/token"
#: A database of Debian's Redis that the suite's other tests leave alone; the keys
#: these tests write there are deleted before and after (see ``redis_url``).
REDIS_DATABASE = 13
#: The starter's limits' keys: `limits` names them LIMITS:LIMITER/<action>/<client>/...
LIMIT_KEYS = "LIMITS:LIMITER/log-in/*"
#: A password zxcvbn scores 4: it passes the strength check.
STRONG = "correct-horse-battery-staple-" + secrets.token_urlsafe(8)


@pytest.fixture(scope="module")
def accounts(tmp_path_factory) -> tuple[Path, Path]:
    """A FastAPI project with accounts, installed once for this module; its path and bin dir."""
    project = render_project(
        tmp_path_factory.mktemp("fastapi-auth"), Framework.FASTAPI, "-d", "auth=yes"
    )
    return project, install_project(project)


def call(
    port: int,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str, float]:
    """One request on a connection of its own; its status, body and seconds taken."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    try:
        connection.request(
            method, path, body=body, headers={"Host": "127.0.0.1", **(headers or {})}
        )
        response = connection.getresponse()
        text = response.read().decode()
        return response.status, text, time.perf_counter() - started
    finally:
        connection.close()


def sign_up(port: int, username: str, password: str) -> tuple[int, str, float]:
    body = json.dumps({"username": username, "password": password})
    return call(port, "POST", REGISTER, body, {"Content-Type": "application/json"})


def log_in(port: int, forwarded_for: str) -> int:
    """A log-in with a wrong password, claiming to come from ``forwarded_for``."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": forwarded_for,
    }
    return call(port, "POST", LOG_IN, "username=alice&password=wrong-password", headers)[0]


@contextmanager
def serving(project: Path, bin_dir: Path, tmp_path: Path, migrate: bool = True, **settings: str):
    """The production server (gunicorn, one worker unless told) with ``settings``; its port."""
    port = free_port()
    env = project_env(
        bin_dir,
        **{**production_env(Framework.FASTAPI, port, tmp_path), "WEB_CONCURRENCY": "1", **settings},
    )
    if migrate:
        run_in(project, "alembic upgrade head", env)
    server = start(project, FASTAPI.production_command.format(package="svc"), env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", server, timeout=180)
        yield port
    finally:
        stop(server)


@pytest.fixture
def redis_url(accounts) -> Iterator[str]:
    """The URL of the suite's Redis database, without log-in counts before and after."""
    project, bin_dir = accounts
    url = f"redis://127.0.0.1:6379/{REDIS_DATABASE}"
    forget = (
        "python -c 'import redis, sys; r = redis.Redis.from_url(sys.argv[1]); "
        "[r.delete(key) for key in r.scan_iter(sys.argv[2])]' "
        f"{url} '{LIMIT_KEYS}'"
    )
    run_in(project, forget, project_env(bin_dir))
    yield url
    run_in(project, forget, project_env(bin_dir))


def test_new_revisions_pass_the_projects_own_checks(tmp_path):
    """After a model change: `alembic revision --autogenerate`, an empty one, then CI's checks."""
    project = render_project(tmp_path, Framework.FASTAPI, "-d", "auth=yes")
    env = project_env(install_project(project))
    run_in(project, "alembic upgrade head", env)
    models = project / "svc" / "models.py"
    anchor = "    description: Mapped[str | None] = mapped_column(String(1000))\n"
    assert anchor in models.read_text()
    column = "    price_in_cents_as_shown_to_the_customers: Mapped[int | None]\n"
    models.write_text(models.read_text().replace(anchor, anchor + column))

    run_in(project, 'alembic revision --autogenerate -m "Add the price of an item, in cents"', env)
    run_in(project, 'alembic revision -m "An empty one"', env)

    revisions = sorted((project / "migrations" / "versions").glob("*.py"))
    assert len(revisions) == 3
    assert any("price_in_cents" in path.read_text() for path in revisions)
    run_in(project, "ruff check . && ruff format --check . && mypy", env)
    run_in(project, "alembic upgrade head && alembic check", env)


def write_env_as_the_readme_says(project: Path) -> None:
    """`cp .env.example .env`, then the secret printed, DEBUG on and the local SQLite URL."""
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DEBUG": "true",
        "DATABASE_URL": FASTAPI.development_env["DATABASE_URL"],
    }
    lines = []
    for line in (project / ".env.example").read_text().splitlines():
        key = line.split("=", 1)[0]
        lines.append(f"{key}={values[key]}" if key in values else line)
    (project / ".env").write_text("\n".join(lines) + "\n")


def test_the_dev_server_answers_localhost_from_a_env_made_as_the_readme_says(accounts, tmp_path):
    """Made as the README says; localhost, 127.0.0.1 and [::1] answer besides ALLOWED_HOSTS."""
    project, bin_dir = accounts
    env_file, saved = project / ".env", tmp_path / "scaffold.env"
    shutil.move(env_file, saved)
    try:
        write_env_as_the_readme_says(project)
        assert "ALLOWED_HOSTS=example.com" in env_file.read_text()
        env = project_env(bin_dir)
        run_in(project, "alembic upgrade head", env)
        port = free_port()
        server = start(project, FASTAPI.dev_command.format(package="svc", port=port), env)
        try:
            wait_for_http(f"http://127.0.0.1:{port}/health", server, timeout=180)
            statuses = {
                host: call(port, "GET", "/", headers={"Host": host})[0]
                for host in [
                    f"localhost:{port}",
                    f"127.0.0.1:{port}",
                    f"[::1]:{port}",
                    "example.com",
                    "evil.example",
                ]
            }
            # No proxy in front: a forged X-Forwarded-For gets no fresh allowance.
            forged = [log_in(port, f"203.0.113.{number}") for number in range(12)]
        finally:
            stop(server)
    finally:
        (project / "db.sqlite3").unlink(missing_ok=True)
        shutil.move(saved, env_file)
    assert statuses == {
        f"localhost:{port}": 200, f"127.0.0.1:{port}": 200, f"[::1]:{port}": 200,
        "example.com": 200, "evil.example": 400,
    }  # fmt: skip
    assert forged.count(401) == 10 and forged.count(429) == 2, forged


def refused_start(accounts: tuple[Path, Path], tmp_path: Path, **settings: str) -> str:
    """What gunicorn printed when it would not start with ``settings``; it must exit non-zero."""
    project, bin_dir = accounts
    port = free_port()
    env = project_env(bin_dir, **{**production_env(Framework.FASTAPI, port, tmp_path), **settings})
    server = start(project, FASTAPI.production_command.format(package="svc"), env)
    try:
        server.wait(timeout=180)
    finally:
        stop(server)
    assert server.stdout is not None
    output = server.stdout.read().decode(errors="replace")
    assert server.returncode != 0, output
    assert "Traceback" not in output, output
    return output


@pytest.mark.parametrize("key", ["abc", "a" * 32, "abcd" * 20], ids=["short", "1 char", "4 chars"])
def test_a_weak_secret_stops_gunicorn_with_one_line(accounts, tmp_path, key):
    output = refused_start(accounts, tmp_path, SECRET_KEY=key)
    message = (
        "SECRET_KEY is too weak: use 50 or more characters, 5 or more of them different "
        '(python -c "import secrets; print(secrets.token_urlsafe(50))")'
    )
    assert [line for line in output.splitlines() if "SECRET_KEY" in line] == [f"Error: {message}"]


def test_a_malformed_setting_stops_gunicorn_with_one_line_naming_it(accounts, tmp_path):
    output = refused_start(accounts, tmp_path, LOGIN_RATE_LIMIT="lots")
    (line,) = [line for line in output.splitlines() if "LOGIN_RATE_LIMIT" in line]
    assert line.startswith("Error: LOGIN_RATE_LIMIT: "), line


def test_sign_ups_are_limited_per_client_and_refusals_hide_the_password(accounts, tmp_path):
    project, bin_dir = accounts
    with serving(project, bin_dir, tmp_path) as port:
        short = "Sh0rt!" + secrets.token_hex(1)
        status, body, _ = sign_up(port, "alice", short)
        assert status == 422 and "password" in body and short not in body
        statuses = [sign_up(port, f"user{number}", STRONG)[0] for number in range(30)]
    # The refused sign-up above counted too: 10 an hour by default.
    assert statuses == [201] * 9 + [429] * 21


def test_a_sign_up_flood_does_not_hold_up_the_workers_other_requests(accounts, tmp_path):
    """zxcvbn runs in a thread: /health keeps its latency while 4 clients flood /register."""
    project, bin_dir = accounts
    with serving(project, bin_dir, tmp_path, SIGNUP_RATE_LIMIT="100000/minute") as port:

        def health_latency() -> float:
            latencies = []
            for _request in range(40):
                status, _body, seconds = call(port, "GET", "/health")
                assert status == 200
                latencies.append(seconds)
                time.sleep(0.01)
            return statistics.median(latencies)

        done, flooded = threading.Event(), []

        def flood() -> None:
            while not done.is_set():
                # Easy to guess, so each request is zxcvbn's work and then a 422.
                status, _body, _seconds = sign_up(
                    port, f"u{secrets.token_hex(4)}", "password" + "1234" * 10
                )
                flooded.append(status)

        baseline = health_latency()
        clients = [threading.Thread(target=flood) for _client in range(4)]
        for client in clients:
            client.start()
        try:
            while len(flooded) < 8:
                time.sleep(0.05)
            loaded = health_latency()
        finally:
            done.set()
            for client in clients:
                client.join(timeout=60)
    assert set(flooded) == {422}
    # On the event loop, each /health waited for the sign-ups queued before it:
    # 57 to 88 times the baseline here. In a thread, only for the GIL, which
    # the thread gives up every 5 ms: 6 to 10 times a baseline of about 1.3 ms.
    assert loaded / baseline < 20, (baseline, loaded)


def test_log_in_limits_hold_across_workers_through_redis_whatever_x_forwarded_for(
    accounts, tmp_path, redis_url
):
    project, bin_dir = accounts
    with serving(project, bin_dir, tmp_path, WEB_CONCURRENCY="2", REDIS_URL=redis_url) as port:
        # A new connection each time: the two workers take turns as they accept them.
        statuses = [log_in(port, f"203.0.113.{number}") for number in range(30)]
        status, body, _ = call(port, "GET", "/ready", headers={"Host": "evil.example"})
    assert statuses.count(401) == 10 and statuses.count(429) == 20, statuses
    assert (status, json.loads(body)) == (
        200,
        {"status": "ready", "checks": {"database": "ok", "redis": "ok"}},
    )


def test_ready_says_which_dependency_is_down(accounts, tmp_path):
    project, bin_dir = accounts
    missing = tmp_path / "no-such-folder" / "db.sqlite3"
    settings = {"DATABASE_URL": f"sqlite:///{missing}", "REDIS_URL": "redis://127.0.0.1:1/0"}
    with serving(project, bin_dir, tmp_path, migrate=False, **settings) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/ready", headers={"Host": f"127.0.0.1:{port}"})
        response = connection.getresponse()
        body = json.loads(response.read())
        connection.close()
    assert response.status == 503
    assert response.getheader("Cache-Control") == "no-store"
    assert body == {
        "status": "unavailable",
        "checks": {
            "database": "unavailable: OperationalError",
            "redis": "unavailable: ConnectionError",
        },
    }
