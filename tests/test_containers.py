"""The generated Docker images build and run as their READMEs say, with SQLite and PostgreSQL.

Each test runs the commands of the README's "Run with Docker" section, adapted
to this machine in one place (``containers.adapt_run``): the stand-in base
image, the host network, names of the test's own. ``.env.production`` is
written from ``.env.example`` by the README's ``cp`` and edited the way the
README tells a user to. The images are built once per session, in parallel.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from containers import (
    STAND_IN_PYTHON,
    DockerError,
    ProjectImage,
    Variant,
    adapt_run,
    build_image,
    container_state,
    docker,
    exit_statuses,
    logs,
    readme_docker_commands,
    remove_container,
    remove_images,
    remove_volume,
    retag,
    unique_name,
    write_env_file,
)
from generated import LOCKED_GUNICORN, lock_with_old_gunicorn, make_lock_stale, render_project
from helpers import free_port, http_get, needs_postgres, needs_redis, redis_cli
from scaffold.answers import ci_is_set
from scaffold.frameworks import FRAMEWORKS, Framework

pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("docker")]

#: The host name of ``.env.example``: the site answers only to it (and /health to any).
SITE_HOST = "example.com"
#: What the entry point prints before it migrates, and gunicorn once it serves.
MIGRATING = "Applying database migrations before starting the server"
SERVING = "Listening at: http://0.0.0.0:"


def variant_param(
    framework: Framework, database: str, *, auth: bool = False, marks: Sequence = ()
) -> pytest.param:
    if database == "postgresql":
        marks = [*marks, needs_postgres, pytest.mark.postgres]
    variant = Variant(framework, database, auth)
    return pytest.param(variant, id=variant.id, marks=marks)


DEFAULTS = [variant_param(framework, "sqlite") for framework in Framework]
VARIANTS = [*DEFAULTS, *(variant_param(framework, "postgresql") for framework in Framework)]
#: Each starter with a log-in: Django's always has one, the others with accounts.
WITH_LOG_IN = [
    variant_param(framework, "sqlite", auth=framework != Framework.DJANGO, marks=[needs_redis])
    for framework in Framework
]


class Container:
    """A container started from the README's ``docker run``, removed at the end of the test."""

    def __init__(self, image: ProjectImage, env_file: Path, *, volume: str) -> None:
        self.image = image
        self.env_file = env_file
        self.volume = volume
        self.name = unique_name(image.variant.id)
        self.port = int(dict(line.split("=", 1) for line in env_lines(env_file))["PORT"])

    def run(self) -> None:
        """Start it with the README's command (detached, restart policy, env file, volume)."""
        remove_container(self.name)
        argv = adapt_run(
            readme_docker_commands(self.image.project).run,
            image=self.image.build.tag,
            name=self.name,
            volume=self.volume,
        )
        subprocess.run(argv, cwd=self.image.project, check=True, capture_output=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_serving(self, timeout: float = 90) -> None:
        """Poll /health until it answers 200; fail early, with the logs, if the container stops."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = container_state(self.name)
            if not state["Running"] or state["Restarting"]:
                pytest.fail(f"container stopped ({state['ExitCode']}):\n{logs(self.name)}")
            try:
                if http_get(self.url("/health"))[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        pytest.fail(f"no answer on /health within {timeout}s:\n{logs(self.name)}")

    def site_get(self, path: str) -> tuple[int, bytes]:
        """GET ``path`` as a browser behind the TLS proxy would, with the site's host name."""
        return http_get(self.url(path), headers=site_headers(self.image.variant.framework))

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return docker("exec", self.name, *command, check=False)

    def remove(self) -> None:
        remove_container(self.name)


def env_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line and not line.startswith("#")]


def site_headers(framework: Framework) -> dict[str, str]:
    """Headers of a request through a TLS-terminating proxy for the site's host."""
    headers = {"Host": SITE_HOST}
    if framework == Framework.DJANGO:
        # Django redirects plain HTTP to HTTPS; behind a proxy it trusts this header.
        headers["X-Forwarded-Proto"] = "https"
    return headers


#: A page of each framework that reads the database, and so fails without the tables.
DATA_PAGE = {Framework.DJANGO: "/", Framework.FLASK: "/", Framework.FASTAPI: "/api/v1/items"}


def write_row(container: Container, text: str) -> None:
    """Store one row through the application itself (its shell, or its API)."""
    framework = container.image.variant.framework
    if framework == Framework.FASTAPI:
        request = json.dumps({"name": text}).encode()
        headers = {**site_headers(framework), "Content-Type": "application/json"}
        post = urllib.request.Request(
            container.url(DATA_PAGE[Framework.FASTAPI]), request, headers, method="POST"
        )
        with urllib.request.urlopen(post, timeout=10) as response:
            assert response.status == 201
        return
    if framework == Framework.DJANGO:
        code = (
            "from svc.pages.models import Announcement; "
            f"Announcement.objects.create(title={text!r})"
        )
        result = container.exec("python", "manage.py", "shell", "-c", code)
    else:
        code = (
            "from svc import create_app; from svc.models import Note, db; "
            "app = create_app(); app.app_context().push(); "
            f"db.session.add(Note(text={text!r})); db.session.commit()"
        )
        result = container.exec("python", "-c", code)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def production_settings(request, project_image: ProjectImage) -> Path:
    """``.env.production``, written by the README's ``cp`` and edited as it says.

    The edits: a fresh secret key, a port of this machine's loopback (the host
    network has no port mapping), the test's own PostgreSQL database, and, for
    Django, trust in the ``X-Forwarded-Proto`` of the TLS proxy the test plays.
    """
    project, variant = project_image.project, project_image.variant
    commands = readme_docker_commands(project)
    env_file = project / ".env.production"
    subprocess.run(["sh", "-c", commands.write_settings], cwd=project, check=True)
    info = FRAMEWORKS[variant.framework]
    changes = {info.secret_variable: secrets.token_urlsafe(50), "PORT": str(free_port())}
    if variant.framework == Framework.DJANGO:
        changes["DJANGO_SECURE_PROXY_SSL_HEADER"] = "true"
    if variant.database == "postgresql":
        changes["DATABASE_URL"] = request.getfixturevalue("postgres_database")
    write_env_file(env_file, changes)
    return env_file


@pytest.fixture
def container(project_image: ProjectImage, production_settings: Path) -> Iterator[Container]:
    volume = unique_name("data")
    started = Container(project_image, production_settings, volume=volume)
    yield started
    started.remove()
    remove_volume(volume)


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_readme_steps_serve_migrate_and_keep_the_data(container: Container):
    container.run()
    container.wait_until_serving()
    framework = container.image.variant.framework

    # The entry point migrated before gunicorn started.
    output = logs(container.name)
    assert MIGRATING in output and SERVING in output
    assert output.index(MIGRATING) < output.index(SERVING), output

    # /health answers loopback probes without a word in the logs; pages answer
    # the site's host name only (Django logs the refused one, with a traceback).
    for _probe in range(3):
        status, body = http_get(container.url("/health"))
        assert status == 200 and json.loads(body) == {"status": "ok"}
    assert "Traceback" not in logs(container.name)
    status, body = container.site_get("/")
    assert status == 200, body[:500]
    assert http_get(container.url("/"))[0] == 400

    # A row written now is still there in a new container on the same volume.
    marker = f"kept-{secrets.token_hex(4)}"
    write_row(container, marker)
    container.run()
    container.wait_until_serving()
    status, body = container.site_get(DATA_PAGE[framework])
    assert status == 200 and marker.encode() in body, body[:500]

    # The app runs unprivileged and may write only its data folder.
    assert container.exec("id", "-u").stdout.strip() == "10001"
    assert container.exec("touch", "/app/written").returncode != 0
    if container.image.variant.database == "sqlite":
        assert container.exec("touch", "/app/data/written").returncode == 0

    # Docker's HEALTHCHECK, which probes /health, reports the new container healthy.
    deadline = time.monotonic() + 60
    while container_state(container.name)["Health"]["Status"] != "healthy":
        assert time.monotonic() < deadline, container_state(container.name)["Health"]
        time.sleep(1)
    assert "Traceback" not in logs(container.name)


@pytest.mark.parametrize("variant", DEFAULTS)
def test_without_a_real_secret_the_container_fails_and_restarts(
    container: Container, production_settings: Path
):
    """The placeholder of .env.example: the app refuses to start, with an error status."""
    info = FRAMEWORKS[container.image.variant.framework]
    write_env_file(production_settings, {info.secret_variable: "change-me"})
    started = time.time()
    container.run()
    deadline = time.monotonic() + 90
    while (state := container_state(container.name))["RestartCount"] < 1:
        assert time.monotonic() < deadline, f"it kept running: {state}\n{logs(container.name)}"
        time.sleep(0.5)
    # Every stop so far was a failure, which is what restart policies act on.
    statuses = exit_statuses(container.name, started)
    assert statuses and 0 not in statuses, statuses
    assert info.secret_variable in logs(container.name)


@pytest.mark.parametrize("variant", DEFAULTS)
def test_migrate_on_start_off_then_the_release_command(
    container: Container, production_settings: Path
):
    write_env_file(production_settings, {"MIGRATE_ON_START": "false"})
    container.run()
    container.wait_until_serving()
    page = DATA_PAGE[container.image.variant.framework]
    # No migration ran: the page that reads the database fails.
    assert MIGRATING not in logs(container.name)
    assert container.site_get(page)[0] == 500

    release = readme_docker_commands(container.image.project).release
    assert release, "the README documents no release command"
    argv = adapt_run(release, image=container.image.build.tag, volume=container.volume)
    result = subprocess.run(
        argv, cwd=container.image.project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert container.site_get(page)[0] == 200


@pytest.mark.parametrize("variant", DEFAULTS)
def test_a_code_change_rebuilds_from_the_cached_dependencies(
    project_image: ProjectImage, docker_base_image: str, tmp_path
):
    """Only the layers from the code on are rebuilt: the second build has no network at all."""
    copy = tmp_path / "svc"
    shutil.copytree(project_image.project, copy)
    (copy / "svc" / "__init__.py").open("a").write("\n# A change to the code only.\n")
    tag = unique_name("rebuilt")
    build = readme_docker_commands(copy).build
    try:
        rebuilt = build_image(copy, retag(build, tag), docker_base_image, network="none")
        assert rebuilt.step_was_cached("COPY pyproject.toml")
        assert rebuilt.step_was_cached("RUN if [ -f uv.lock ]")
        assert not rebuilt.step_was_cached("COPY svc ./svc")
    finally:
        remove_images(tag)


def test_an_image_of_a_locked_project_has_the_locked_versions(docker_base_image, tmp_path):
    """With uv.lock, the build installs its versions; a lock older than pyproject.toml fails."""
    project = render_project(tmp_path, Framework.FLASK, "-d", f"python_version={STAND_IN_PYTHON}")
    lock_with_old_gunicorn(project)
    tag = unique_name("locked")
    build = retag(readme_docker_commands(project).build, tag)
    try:
        build_image(project, build, docker_base_image)
        script = "import importlib.metadata as m; print(m.version('gunicorn'))"
        version = docker("run", "--rm", "--entrypoint", "python", tag, "-c", script).stdout
        assert version.strip() == LOCKED_GUNICORN
        make_lock_stale(project)
        with pytest.raises(DockerError, match="needs to be updated"):
            build_image(project, retag(build, f"{tag}-stale"), docker_base_image)
    finally:
        remove_images(tag, f"{tag}-stale")


@pytest.mark.parametrize("variant", DEFAULTS)
def test_no_env_file_or_build_tool_is_inside_the_image(project_image: ProjectImage):
    # The project folder holds .env (from scaffold) and .env.production files.
    assert (project_image.project / ".env").exists()
    found = docker(
        "run", "--rm", "--network", "host", "--entrypoint", "find", project_image.build.tag,
        "/", "-xdev", "-name", ".env*", "-not", "-path", "/proc/*",
        check=False,
    )  # fmt: skip
    assert found.stdout.strip() == "", found.stdout
    # The final stage has the virtual environment, not pip's requirement file or caches.
    listing = docker("run", "--rm", "--entrypoint", "ls", project_image.build.tag, "/tmp").stdout
    assert "requirements.txt" not in listing


#: The log-in limit the tests set, in attempts per client address.
LOG_IN_LIMIT = 5


@dataclass(frozen=True)
class LogIn:
    """Where a starter takes log-in attempts, and the setting that limits them."""

    path: str
    limit_variable: str
    limit: str
    #: The answer to a wrong password while the limit allows the attempt.
    refused: int
    #: Whether the log-in is an HTML form with a CSRF token, fetched before posting.
    form: bool


LOG_INS = {
    # django-axes counts failed log-ins on every login view, the admin's included.
    Framework.DJANGO: LogIn("/admin/login/", "LOGIN_FAILURE_LIMIT", str(LOG_IN_LIMIT), 200, True),
    Framework.FLASK: LogIn(
        "/auth/login", "FLASK_AUTH_RATE_LIMIT", f"{LOG_IN_LIMIT} per minute", 200, True
    ),
    Framework.FASTAPI: LogIn(
        "/api/v1/auth/token", "LOGIN_RATE_LIMIT", f"{LOG_IN_LIMIT}/minute", 401, False
    ),
}
CSRF_INPUT = re.compile(r'<input[^>]*name="(csrf_token|csrfmiddlewaretoken)"[^>]*>')


def log_in_attempts(container: Container, count: int) -> list[int]:
    """The statuses of ``count`` log-ins with wrong passwords, one after another.

    Each on a connection of its own, as separate clients' requests come, so
    gunicorn's workers share them out between themselves.
    """
    framework = container.image.variant.framework
    log_in = LOG_INS[framework]
    headers = {**site_headers(framework), "Content-Type": "application/x-www-form-urlencoded"}
    fields: dict[str, str] = {}
    if log_in.form:
        page = urllib.request.Request(container.url(log_in.path), headers=site_headers(framework))
        with urllib.request.urlopen(page, timeout=10) as response:
            cookies = [line.split(";", 1)[0] for line in response.headers.get_all("Set-Cookie")]
            html = response.read().decode()
        tag = CSRF_INPUT.search(html)
        assert tag, html[:2000]
        value = re.search(r'value="([^"]*)"', tag[0])
        assert value, tag[0]
        fields[tag[1]] = value[1]
        # Django checks that a form posted over HTTPS comes from its own site.
        headers |= {"Cookie": "; ".join(cookies), "Referer": f"https://{SITE_HOST}{log_in.path}"}
    statuses = []
    for number in range(count):
        form = {**fields, "username": "nobody", "password": f"wrong-{number}"}
        post = urllib.request.Request(
            container.url(log_in.path), urlencode(form).encode(), headers, method="POST"
        )
        try:
            with urllib.request.urlopen(post, timeout=10) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    return statuses


def probe(container: Container, path: str) -> tuple[int, dict, str]:
    """GET ``path`` as a load balancer's probe does (by IP); status, JSON body, Cache-Control."""
    try:
        with urllib.request.urlopen(container.url(path), timeout=10) as response:
            status, body, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, body, headers = error.code, error.read(), error.headers
    return status, json.loads(body), headers.get("Cache-Control", "")


def compose_healthcheck(container: Container) -> int:
    """Run the web service's health check command of compose.yaml in the container."""
    compose = yaml.safe_load((container.image.project / "compose.yaml").read_text())
    kind, *command = compose["services"]["web"]["healthcheck"]["test"]
    assert kind == "CMD", kind
    return container.exec(*command).returncode


def gunicorn_processes(container: Container) -> int:
    """How many processes in the container run gunicorn: its master and its workers."""
    # The name is split so that this command's own line does not count.
    code = (
        "import pathlib; name = b'guni' + b'corn'; "
        "print(sum(name in p.read_bytes() for p in pathlib.Path('/proc').glob('[0-9]*/cmdline')))"
    )
    result = container.exec("python", "-c", code)
    assert result.returncode == 0, result.stderr
    return int(result.stdout)


@pytest.mark.parametrize("variant", WITH_LOG_IN)
def test_with_redis_the_log_in_limit_holds_across_workers_and_ready_checks_it(
    container: Container, production_settings: Path, redis_database: str
):
    """The image as it starts (gunicorn, two workers), counting in the suite's Redis."""
    log_in = LOG_INS[container.image.variant.framework]
    changes = {"REDIS_URL": redis_database, log_in.limit_variable: log_in.limit}
    write_env_file(production_settings, changes, add=True)
    container.run()
    container.wait_until_serving()
    assert gunicorn_processes(container) == 3  # the master and WEB_CONCURRENCY=2 workers

    status, answer, cache_control = probe(container, "/ready")
    assert status == 200, answer
    assert answer == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}
    assert "no-store" in cache_control
    assert compose_healthcheck(container) == 0

    statuses = log_in_attempts(container, 30)
    through = [status for status in statuses if status != 429]
    assert set(through) <= {log_in.refused}, statuses
    assert 1 <= len(through) <= LOG_IN_LIMIT, statuses
    # The counts are in Redis (beside the test's claim on the database).
    assert int(redis_cli(redis_database, "DBSIZE")) > 1

    # Redis unreachable (nothing listens on the port): alive, but not ready.
    closed = free_port()
    write_env_file(production_settings, {"REDIS_URL": f"redis://127.0.0.1:{closed}/0"})
    container.run()
    container.wait_until_serving()
    status, answer, cache_control = probe(container, "/ready")
    assert status == 503, answer
    assert answer["status"] == "unavailable" and answer["checks"]["database"] == "ok"
    assert answer["checks"]["redis"].startswith("unavailable"), answer
    # A short reason, naming no address.
    reason = json.dumps(answer)
    assert "127.0.0.1" not in reason and str(closed) not in reason and "redis://" not in reason
    assert "no-store" in cache_control
    assert probe(container, "/health")[0] == 200
    assert compose_healthcheck(container) != 0


COMPOSE_CASES = [
    *((framework, {"database": "sqlite"}) for framework in Framework),
    *((framework, {"database": "postgresql", "postgres_version": "17"}) for framework in Framework),
    (Framework.FLASK, {"database": "none"}),
    (Framework.FASTAPI, {"database": "postgresql", "postgres_version": "18", "auth": "true"}),
    (Framework.FLASK, {"database": "sqlite", "auth": "true"}),
]


def compose_config(project: Path) -> dict:
    """The README's ``docker compose --env-file .env.production up --build``, as ``config``.

    Validated by Debian's ``docker-compose`` 1.29, which prints the file as it
    would run it: the env file inlined, the variables substituted.
    """
    compose = shutil.which("docker-compose")
    if compose is None:
        if ci_is_set():
            pytest.fail("CI needs docker-compose (see .ci/run)")
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    commands = readme_docker_commands(project)
    subprocess.run(["sh", "-c", commands.write_settings], cwd=project, check=True)
    assert commands.compose[:2] == ["docker", "compose"]
    assert commands.compose[-2:] == ["up", "--build"]
    result = subprocess.run(
        [compose, *commands.compose[2:-2], "config"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.mark.parametrize(
    ("framework", "options"),
    COMPOSE_CASES,
    ids=[
        "-".join([f.value, *o.values(), *(["auth"] if "auth" in o else [])])
        for f, o in COMPOSE_CASES
    ],
)
def test_the_compose_file_is_valid(tmp_path, framework, options):
    """Validated by Debian's ``docker-compose config``, not started.

    The PostgreSQL and Redis images cannot be pulled on this machine (no image
    hub), so the suite proves the application's image against its own
    PostgreSQL and Redis servers instead (the tests above) and checks here
    how compose.yaml wires them together.
    """
    render_options = [word for key, value in options.items() for word in ("-d", f"{key}={value}")]
    project = render_project(tmp_path, framework, *render_options)
    config = compose_config(project)
    database = options["database"]

    web = config["services"]["web"]
    assert web["build"]["context"] == str(project)
    # docker-compose 1.29 inlines the env file: the settings of .env.production.
    secret = FRAMEWORKS[framework].secret_variable
    assert web["environment"][secret] == "change-me"
    assert web["restart"] == "unless-stopped"
    # The web service is healthy only while /ready answers 200 (see the image tests).
    assert "/ready" in " ".join(web["healthcheck"]["test"])
    needed = {}
    if database == "sqlite":
        assert mounts(web) == [("data", "/app/data")]
        assert set(config["volumes"]) == {"data"}
    elif database == "postgresql":
        db = config["services"]["db"]
        postgres_version = options["postgres_version"]
        assert db["image"] == f"postgres:{postgres_version}"
        assert "pg_isready" in db["healthcheck"]["test"]
        needed["db"] = {"condition": "service_healthy"}
        assert web["environment"]["DATABASE_URL"] == "postgresql://postgres:change-me@db:5432/svc"
        data = "/var/lib/postgresql" if int(postgres_version) >= 18 else "/var/lib/postgresql/data"
        assert mounts(db) == [("db-data", data)]
        assert set(config["volumes"]) == {"db-data"}
    else:
        assert "volumes" not in config
    # Redis wherever log-ins are counted: Django always, the others with accounts.
    if framework == Framework.DJANGO or options.get("auth") == "true":
        redis = config["services"]["redis"]
        assert re.fullmatch(r"redis:\d+", redis["image"]), redis["image"]
        assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
        assert "ports" not in redis
        needed["redis"] = {"condition": "service_healthy"}
        assert web["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    else:
        assert "redis" not in config["services"]
        assert "REDIS_URL" not in web["environment"]
    assert web.get("depends_on", {}) == needed
    assert set(config["services"]) == {"web", *needed}


def mounts(service: dict) -> list[tuple[str, str]]:
    """(volume, path) of each mount of a service in ``docker-compose config`` output."""
    return [tuple(entry.split(":")[:2]) for entry in service.get("volumes", [])]


def test_the_image_migrates_with_the_documented_set_up_command(tmp_path):
    """The entry point and the README run the set-up command scaffold itself runs."""
    for framework in Framework:
        (tmp_path / framework.value).mkdir()
        project = render_project(tmp_path / framework.value, framework)
        (setup,) = FRAMEWORKS[framework].setup("svc", "sqlite")
        entrypoint = (project / "docker-entrypoint.sh").read_text()
        assert f"    {setup}\n" in entrypoint
        release = readme_docker_commands(project).release
        assert release and shlex.join(release).endswith(f" svc {setup}")
