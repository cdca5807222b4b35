"""The Flask starter as its README has it run: migrations, hosts, keys, limits, readiness.

Each test runs the real thing on an installed project: the ``flask db`` commands
and then the project's own CI checks, the dev server from a ``.env`` made as the
README says, gunicorn with two workers counting log-ins in Debian's Redis on
127.0.0.1:6379, and ``/ready`` against services that are down.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest

from generated import install_project, production_env, project_env, render_project, run_in, start
from helpers import free_port, stop, wait_for_http
from scaffold.frameworks import FRAMEWORKS, Framework

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("flask")]

FLASK = FRAMEWORKS[Framework.FLASK]
REDIS_URL = "redis://127.0.0.1:6379/0"
#: Nothing listens on port 1.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
WEAK_KEY = (
    "FLASK_SECRET_KEY is too weak: use 50 or more characters, 5 or more of them different "
    '(python -c "import secrets; print(secrets.token_urlsafe(50))")'
)
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def send(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> tuple[int, http.client.HTTPMessage, str]:
    """One request to 127.0.0.1 with exactly these headers; status, headers and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **(headers or {})}
        )
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode(errors="replace")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def accounts_project(tmp_path_factory):
    """A Flask project with accounts, named uniquely: its Redis keys are its own."""
    name = f"limits_{secrets.token_hex(3)}"
    project = render_project(tmp_path_factory.mktemp("flask-accounts"), Framework.FLASK,
                             "-d", "auth=yes", name=name)  # fmt: skip
    return name, project, install_project(project)


def serve(project: Path, package: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start the README's production command and wait until /health answers."""
    server = start(project, FLASK.production_command.format(package=package), env)
    wait_for_http(f"http://127.0.0.1:{port}/health", server)
    return server


def test_new_migrations_keep_the_projects_ci_checks_clean(tmp_path):
    """``flask db migrate`` after a model change, and an empty ``flask db revision``."""
    project = render_project(tmp_path, Framework.FLASK, "-d", "auth=yes")
    env = project_env(install_project(project))
    models = project / "svc" / "models.py"
    source = models.read_text()
    column = "    text: Mapped[str] = mapped_column(String(500))\n"
    assert column in source
    models.write_text(source.replace(
        column, column + "    title: Mapped[str | None] = mapped_column(String(100), index=True)\n"
    ))  # fmt: skip
    versions = project / "svc" / "migrations" / "versions"
    before = set(versions.iterdir())

    run_in(project, "flask --app svc db upgrade", env)
    run_in(project, 'flask --app svc db migrate -m "Add a title to notes"', env)
    run_in(project, 'flask --app svc db revision -m "Fill the titles"', env)

    written = {path.name: path.read_text() for path in set(versions.iterdir()) - before}
    assert len(written) == 2, written
    (added,) = [text for name, text in written.items() if name.endswith("_add_a_title_to_notes.py")]
    assert 'add_column(sa.Column("title"' in added
    (empty,) = [text for name, text in written.items() if name.endswith("_fill_the_titles.py")]
    assert "import sqlalchemy" not in empty  # an empty revision imports nothing unused
    run_in(project, "ruff check . && ruff format --check . && mypy", env)
    run_in(project, "flask --app svc db upgrade && flask --app svc db downgrade base", env)


def test_a_env_made_as_the_readme_says_serves_every_local_name(installed_projects):
    """``cp .env.example .env``, a fresh secret, debug on, a local SQLite URL; ``flask run``."""
    _framework, project, bin_dir = installed_projects(Framework.FLASK)
    env_file, saved = project / ".env", project / ".env.scaffold"
    env_file.rename(saved)
    try:
        shutil.copy(project / ".env.example", env_file)
        text = env_file.read_text()
        for old, new in [
            ("FLASK_SECRET_KEY=change-me", f"FLASK_SECRET_KEY={secrets.token_urlsafe(50)}"),
            ("FLASK_DEBUG=false", "FLASK_DEBUG=true"),
            ("DATABASE_URL=sqlite:////app/data/db.sqlite3", "DATABASE_URL=sqlite:///svc.sqlite3"),
        ]:
            assert old in text, old
            text = text.replace(old, new)
        env_file.write_text(text)
        env = project_env(bin_dir)
        port = free_port()
        for setup in FLASK.setup("svc", "sqlite"):
            run_in(project, setup, env)
        server = start(project, FLASK.dev_command.format(port=port, package="svc"), env)
        try:
            wait_for_http(f"http://127.0.0.1:{port}/health", server)
            for host in ("localhost", "127.0.0.1", "[::1]", "example.com"):
                status, _headers, body = send(port, "/", headers={"Host": f"{host}:{port}"})
                assert status == 200, (host, body[:300])
            status, _headers, _body = send(port, "/", headers={"Host": f"evil.example:{port}"})
            assert status == 400
        finally:
            stop(server)
    finally:
        env_file.unlink(missing_ok=True)
        saved.rename(env_file)


@pytest.mark.parametrize("key", ["abc", "a" * 60, "abcd" * 20], ids=["short", "1 char", "4 chars"])
def test_weak_secret_keys_stop_gunicorn_in_one_line_and_flask_run(
    installed_projects, tmp_path, key
):
    _framework, project, bin_dir = installed_projects(Framework.FLASK)
    port = free_port()
    settings = production_env(Framework.FLASK, port, tmp_path)
    settings.update(FLASK_SECRET_KEY=key, WEB_CONCURRENCY="1")
    env = project_env(bin_dir, **settings)
    commands = [FLASK.production_command, FLASK.dev_command.replace("{port}", str(port))]
    for command in commands:
        server = start(project, command.format(package="svc"), env)
        try:
            output, _ = server.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            stop(server)
            pytest.fail(f"{command} started with the key {key!r}")
        assert server.returncode != 0, command
        text = output.decode(errors="replace")
        if command == FLASK.production_command:  # refused before any worker starts
            assert "Traceback" not in text, text
            assert [line for line in text.splitlines() if "FLASK_SECRET_KEY" in line] == [
                f"Error: {WEAK_KEY}"
            ], text
        else:  # Flask's own server shows the traceback of the factory, ending with the line
            assert text.rstrip().endswith(f"ConfigurationError: {WEAK_KEY}"), text


def test_ready_checks_the_database_and_redis_whatever_the_host(installed_projects, tmp_path):
    _framework, project, bin_dir = installed_projects(Framework.FLASK)
    probe = {"Host": "10.0.0.7:8000"}  # an address, as load balancers send

    def ready(**settings: str) -> tuple[int, http.client.HTTPMessage, dict[str, object]]:
        port = free_port()
        env = project_env(bin_dir, **{**production_env(Framework.FLASK, port, tmp_path),
                                      "WEB_CONCURRENCY": "1", **settings})  # fmt: skip
        if not settings.get("DATABASE_URL"):
            for setup in FLASK.setup("svc", "sqlite"):
                run_in(project, setup, env)
        server = serve(project, "svc", env, port)
        try:
            status, headers, body = send(port, "/ready", headers=probe)
        finally:
            stop(server)
        assert headers["Cache-Control"] == "no-store"
        return status, headers, json.loads(body)

    assert ready()[::2] == (200, {"status": "ready", "checks": {"database": "ok"}})
    assert ready(REDIS_URL=REDIS_URL)[::2] == (
        200, {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}
    )  # fmt: skip
    status, _headers, body = ready(REDIS_URL=UNREACHABLE_REDIS)
    assert (status, body) == (503, {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unavailable: ConnectionError"},
    })  # fmt: skip
    missing = tmp_path / "stopped" / "db.sqlite3"  # a database that cannot be reached
    status, _headers, body = ready(DATABASE_URL=f"sqlite:///{missing}")
    assert (status, body) == (503, {
        "status": "unavailable", "checks": {"database": "unavailable: OperationalError"}
    })  # fmt: skip


def redis_keys(pattern: str) -> list[str]:
    """The keys of Debian's Redis that match ``pattern``."""
    result = subprocess.run(["redis-cli", "--scan", "--pattern", pattern],
                            capture_output=True, text=True, check=True)  # fmt: skip
    return result.stdout.split()


@pytest.mark.parametrize("forged", [False, True], ids=["plain", "forged X-Forwarded-For"])
def test_log_in_limits_hold_across_gunicorn_workers_in_redis(accounts_project, tmp_path, forged):
    """30 wrong log-ins from one client, spread over two workers: 10 get through."""
    if shutil.which("redis-cli") is None:
        pytest.skip("Debian's redis-server is not installed")
    package, project, bin_dir = accounts_project
    port = free_port()
    settings = production_env(Framework.FLASK, port, tmp_path)
    env = project_env(bin_dir, **settings, REDIS_URL=REDIS_URL)
    for setup in FLASK.setup(package, "sqlite"):
        run_in(project, setup, env)
    server = serve(project, package, env, port)
    try:
        _status, headers, page = send(port, "/auth/login")
        cookie = (headers["Set-Cookie"] or "").split(";", 1)[0]
        match = CSRF_TOKEN.search(page)
        assert cookie and match, page[:500]
        form = urlencode({"csrf_token": match.group(1), "username": "ada", "password": "wrong"})
        statuses = []
        for attempt in range(30):
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            if forged:
                headers["X-Forwarded-For"] = f"198.51.100.{attempt}"
            status, _headers, _body = send(port, "/auth/login", method="POST", headers=headers,
                                           body=form)  # fmt: skip
            statuses.append(status)
        assert sorted(statuses) == [200] * 10 + [429] * 20, statuses
        assert redis_keys(f"*{package}*"), "the attempts were not counted in Redis"
    finally:
        stop(server)
        for key in redis_keys(f"*{package}*"):
            subprocess.run(["redis-cli", "DEL", key], capture_output=True, check=True)
