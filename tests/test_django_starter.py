"""The Django starter as its README describes it: real commands, servers, Redis and mail.

A fresh project is rendered and installed for the module; each test then does
what a user or an operator would: follow the README's set-up from
``.env.example``, write migrations, start gunicorn with two workers against
Debian's Redis, probe ``/ready`` with services down, and check that a weak
secret key stops every entry point in one line.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import shutil
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generated import install_project, production_env, project_env, render_project, run_in, start
from helpers import free_port, stop, wait_for_http
from scaffold.frameworks import FRAMEWORKS, Framework

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group(Framework.DJANGO.value)]

DJANGO = FRAMEWORKS[Framework.DJANGO]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
#: Redis database of these tests; they delete only the keys Django wrote there.
REDIS_DB = 13
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
ATTEMPTS = 30
WEAK_KEY = "abcd" * 20  # long enough, but only 4 different characters


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A default Django project of its own, since some tests change its files."""
    project = render_project(tmp_path_factory.mktemp("django-starter"), Framework.DJANGO)
    return project, install_project(project)


def request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One request to 127.0.0.1 with exactly these headers (Host defaults to the address)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def redis_cli(*args: str) -> str:
    result = subprocess.run(
        ["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "-n", str(REDIS_DB), *args],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    return result.stdout


def forget_django_keys() -> None:
    """Delete what Django's cache wrote (its keys start with ``:1:``), nothing else."""
    keys = redis_cli("--scan", "--pattern", ":1:*").split()
    if keys:
        redis_cli("DEL", *keys)


@pytest.fixture
def redis_url() -> Iterator[str]:
    if shutil.which("redis-cli") is None:
        pytest.skip("needs Debian's redis-server and redis-tools on 127.0.0.1:6379")
    forget_django_keys()
    yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"
    forget_django_keys()


def serve_production(project: Path, bin_dir: Path, tmp_path: Path, **settings: str):
    """gunicorn as in production with two workers, plain HTTP; the process and port."""
    port = free_port()
    env = production_env(Framework.DJANGO, port, tmp_path)
    env.update(DJANGO_SECURE_SSL_REDIRECT="false", **settings)
    env = project_env(bin_dir, **env)
    run_in(project, "python manage.py collectstatic --noinput", env)  # the README's build step
    if "DATABASE_URL" not in settings:
        run_in(project, "python manage.py migrate", env)
    server = start(project, DJANGO.production_command.format(package="svc"), env)
    wait_for_http(f"http://127.0.0.1:{port}/health", server)
    return server, port


def failed_logins(port: int, forged_forwarded_for: bool) -> list[int]:
    """The statuses of ATTEMPTS wrong log-ins to the account page, as one client."""
    status, headers, body = request(port, "GET", "/accounts/login/")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    match = CSRF_INPUT.search(body)
    assert match, body[:500]
    token = match.group(1).decode()
    statuses = []
    for attempt in range(ATTEMPTS):
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        if forged_forwarded_for:
            headers["X-Forwarded-For"] = f"198.51.100.{attempt + 1}"
        form = f"csrfmiddlewaretoken={token}&username=nobody&password=guess{attempt}"
        status, _headers, _body = request(port, "POST", "/accounts/login/", headers, form)
        statuses.append(status)
    return statuses


#: A validator of the project's own, so that the migration imports the project's module.
VALIDATOR = '''

def validate_nickname(value: str) -> None:
    """Refuse nicknames that are only digits."""
    if value.isdecimal():
        raise ValidationError(_("A nickname needs a letter."))


class User(AbstractUser):'''
#: A field whose help text is longer than a line, once makemigrations joins it.
NICKNAME = """
    nickname = models.CharField(
        max_length=50,
        blank=True,
        validators=[validate_nickname],
        help_text=_(
            "What other users see instead of the user name, if it is set: "
            "letters, digits and spaces, at most fifty of them."
        ),
    )"""


def test_a_new_migration_keeps_lint_and_types_clean(project):
    """The README's step after changing a model, then the project's own CI checks."""
    path, bin_dir = project
    env = project_env(bin_dir)
    models = path / "svc" / "accounts" / "models.py"
    source = models.read_text()
    for old, new in [
        ("from django.db import models", "from django.core.exceptions import ValidationError\n"
         "from django.db import models"),
        ("\n\nclass User(AbstractUser):", VALIDATOR),
        ("    objects: ClassVar[UserManager] = UserManager()",
         "    objects: ClassVar[UserManager] = UserManager()" + NICKNAME),
    ]:  # fmt: skip
        assert old in source
        source = source.replace(old, new)
    models.write_text(source)
    run_in(path, "ruff check svc && ruff format --check svc", env)  # the change itself is clean

    run_in(path, "python manage.py makemigrations", env)
    run_in(path, "python manage.py makemigrations pages --empty", env)

    (added,) = (path / "svc" / "accounts" / "migrations").glob("0002_*.py")
    (empty,) = (path / "svc" / "pages" / "migrations").glob("0002_*.py")
    # As Django writes them: the project's module among the third-party imports,
    # a line longer than 88 characters, an empty list over two lines.
    assert "import svc.accounts.models" in added.read_text()
    assert max(len(line) for line in added.read_text().splitlines()) > 88
    assert "operations = [\n    ]" in empty.read_text()
    run_in(path, "ruff check . && ruff format --check . && mypy", env)
    run_in(path, "python manage.py makemigrations --check --dry-run", env)
    run_in(path, "pytest -q -p no:cacheprovider", env)


def test_a_env_made_as_the_readme_says_serves_the_first_pages(project, tmp_path):
    """``cp .env.example .env``, a fresh key, debug on, a local SQLite URL."""
    path, bin_dir = project
    lines = (path / ".env.example").read_text().splitlines()
    changes = {
        DJANGO.secret_variable: secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": "sqlite:///db.sqlite3",
    }
    assert {line.split("=", 1)[0] for line in lines} >= changes.keys()
    edited = [
        f"{line.split('=', 1)[0]}={changes[line.split('=', 1)[0]]}"
        if line.split("=", 1)[0] in changes else line
        for line in lines
    ]  # fmt: skip
    env_file = path / ".env"
    saved = env_file.read_text()
    env_file.write_text("\n".join(edited) + "\n")
    try:
        env = project_env(bin_dir)
        run_in(path, "python manage.py migrate", env)
        port = free_port()
        server = start(path, DJANGO.dev_command.format(port=port, package="svc"), env)
        try:
            wait_for_http(f"http://127.0.0.1:{port}/health", server)
            for host in ("127.0.0.1", "localhost", "[::1]", "example.com"):
                for page in ("/", "/accounts/login/", "/accounts/signup/"):
                    status, _headers, body = request(port, "GET", page, {"Host": f"{host}:{port}"})
                    assert status == 200, f"{host} {page}: {status} {body[:300]!r}"
            status, _headers, _body = request(port, "GET", "/", {"Host": "evil.example"})
            assert status == 400
        finally:
            stop(server)
    finally:
        env_file.write_text(saved)


def test_a_weak_secret_key_stops_every_entry_point_in_one_line(installed_projects, tmp_path):
    _framework, path, bin_dir = installed_projects(Framework.DJANGO)
    port = free_port()
    env = production_env(Framework.DJANGO, port, tmp_path)
    env.update({DJANGO.secret_variable: WEAK_KEY, "WEB_CONCURRENCY": "1"})
    env = project_env(bin_dir, **env)
    commands = [
        DJANGO.production_command.format(package="svc"),
        f"python manage.py runserver 127.0.0.1:{port}",
        "python manage.py check",
    ]
    for command in commands:
        server = start(path, command, env)
        try:
            output, _ = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            stop(server)
            pytest.fail(f"{command!r} started with a weak key")
        text = output.decode()
        assert server.returncode != 0, text
        assert "Traceback" not in text
        refusals = [line for line in text.splitlines() if "DJANGO_SECRET_KEY" in line]
        assert len(refusals) == 1, text
        assert "is too weak: use 50 or more characters, 5 or more of them different" in text
        assert "secrets.token_urlsafe(50)" in refusals[0]


@pytest.mark.parametrize("forged", [False, True], ids=["plain", "forged-forwarded-for"])
def test_two_workers_sharing_redis_hold_the_login_limit(
    installed_projects, tmp_path, redis_url, forged
):
    _framework, path, bin_dir = installed_projects(Framework.DJANGO)
    server, port = serve_production(path, bin_dir, tmp_path, REDIS_URL=redis_url)
    try:
        statuses = failed_logins(port, forged_forwarded_for=forged)
    finally:
        stop(server)
    limit = 10  # LOGIN_FAILURE_LIMIT's default
    refused = statuses.count(429)
    assert set(statuses) == {200, 429}, statuses
    assert ATTEMPTS - refused <= limit, statuses
    assert statuses[-1] == 429
    assert redis_cli("--scan", "--pattern", ":1:axes*").split(), "nothing counted in Redis"


def test_ready_checks_the_database_and_redis(installed_projects, tmp_path, redis_url):
    _framework, path, bin_dir = installed_projects(Framework.DJANGO)
    server, port = serve_production(path, bin_dir, tmp_path, REDIS_URL=redis_url)
    try:
        # A probe by IP address, which the site's hosts do not include.
        status, headers, body = request(port, "GET", "/ready", {"Host": "10.0.0.7:8000"})
    finally:
        stop(server)
    assert status == 200, body
    assert json.loads(body) == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}
    assert "no-store" in headers["Cache-Control"]


def test_ready_answers_503_when_the_database_and_redis_are_down(installed_projects, tmp_path):
    _framework, path, bin_dir = installed_projects(Framework.DJANGO)
    missing = tmp_path / "gone" / "db.sqlite3"  # a folder that does not exist
    closed_port = free_port()  # nothing listens there
    server, port = serve_production(
        path, bin_dir, tmp_path,
        DATABASE_URL=f"sqlite:///{missing}", REDIS_URL=f"redis://127.0.0.1:{closed_port}/0",
    )  # fmt: skip
    try:
        status, headers, body = request(port, "GET", "/ready", {"Host": "10.0.0.7:8000"})
        health, _headers, _body = request(port, "GET", "/health")
    finally:
        stop(server)
    assert status == 503, body
    assert json.loads(body) == {
        "status": "unavailable",
        "checks": {
            "database": "unavailable: OperationalError",
            "redis": "unavailable: ConnectionError",
        },
    }
    assert str(closed_port).encode() not in body and b"gone" not in body
    assert "no-store" in headers["Cache-Control"]
    assert health == 200  # liveness stays independent of the services


class _SmtpSink(socketserver.StreamRequestHandler):
    """Just enough SMTP to take a message: every one received is kept on the server."""

    def handle(self) -> None:
        self.wfile.write(b"220 sink\r\n")
        data: list[bytes] | None = None
        for raw in self.rfile:
            line = raw.rstrip(b"\r\n")
            if data is not None:  # the message, up to a line holding one dot
                if line == b".":
                    self.server.messages.append(b"\n".join(data))
                    data = None
                    self.wfile.write(b"250 queued\r\n")
                else:
                    data.append(line)
                continue
            verb = line[:4].upper()
            if verb == b"DATA":
                data = []
                self.wfile.write(b"354 go on\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # EHLO, MAIL FROM, RCPT TO, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


def test_a_password_reset_mail_goes_out_through_the_smtp_server_of_the_environment(
    installed_projects, tmp_path
):
    """In production the reset link goes out by SMTP to EMAIL_HOST:EMAIL_PORT."""
    _framework, path, bin_dir = installed_projects(Framework.DJANGO)
    sink = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpSink)
    sink.messages = []  # what _SmtpSink received
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    mail = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink.server_address[1]),
        "DEFAULT_FROM_EMAIL": "shop@example.com",
    }
    server, port = serve_production(path, bin_dir, tmp_path, **mail)
    try:
        env = project_env(bin_dir, **production_env(Framework.DJANGO, port, tmp_path), **mail)
        create = (
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_user('alice', 'alice@example.com', 'x')"
        )
        run_in(path, f'python manage.py shell -c "{create}"', env)
        status, headers, body = request(port, "GET", "/accounts/password_reset/")
        assert status == 200
        cookie = headers["Set-Cookie"].split(";", 1)[0]
        match = CSRF_INPUT.search(body)
        assert match, body[:500]
        form = f"csrfmiddlewaretoken={match.group(1).decode()}&email=alice%40example.com"
        sent = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        status, headers, _body = request(port, "POST", "/accounts/password_reset/", sent, form)
    finally:
        stop(server)
        sink.shutdown()
        sink.server_close()
    assert status == 302 and headers["Location"].endswith("/accounts/password_reset/done/")
    (message,) = sink.messages
    assert b"To: alice@example.com" in message and b"From: shop@example.com" in message
    assert re.search(rb"/accounts/reset/[^/\s]+/[^/\s]+/", message), message.decode()
