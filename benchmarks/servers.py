"""Measure the starters' throughput under gunicorn against bare apps of the same framework.

    python benchmarks/servers.py [--framework F ...] [--rounds 7] [--duration 5]
                                 [--connections 8] [--quick] [--write FILE]

For each framework the script renders the default project (database sqlite)
with the scaffold of ``run.py``'s benchmark venv, installs it into a venv of its
own with uv, runs the commands of the README's production section in a
production environment (debug off, a real secret, 127.0.0.1 as the only allowed
host) and stores the same rows in the table of its list page. Beside it, in the
same venv, it writes a bare app of the same framework with the same two
endpoints over the same kind of rows (for Django, a fresh ``django-admin
startproject``). Both run under the README's gunicorn command with one worker.

wrk then loads /health and the list page of each in turn, on 127.0.0.1 only,
in rounds that alternate starter and bare, so that a burst of other work on
the machine hits both sides; each round starts both servers afresh and warms
them up. Any response but a 200, and any socket error, fails the benchmark.
Each run gives two figures: requests per second of wall time, and requests per
second of the server's CPU time (its processes' user and system time, read
from /proc). With one worker kept busy, both say how much work a request
costs; the second leaves out the time a shared machine gives to other work,
so it stays steady where the first swings. Each is reported as the median,
over the rounds, of the starter's figure as a share of the bare app's in the
same round; the target is judged on the CPU figure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from string import Template

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from run import BIN, prepare, sh
from serve import free_port

from scaffold.frameworks import FRAMEWORKS, Framework

WRK = Path("/usr/bin/wrk")
#: Rows stored in the table of each list page (the FastAPI list shows 20 a page).
ROWS = 20
#: The starter's project name, and the package both apps are imported from.
STARTER, BARE = "starter", "bare"
HEALTH = "/health"
#: The section of the written report that --write keeps: notes by hand, not measured here.
NOTES_HEADING = "## How the costs of a request were found"

#: Counts every answer that is not a 200 (wrk itself counts only 4xx and 5xx).
STATUS_CHECK = """\
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0; first = 0 end
function response(status, headers, body)
  if status ~= 200 then
    bad = bad + 1
    if first == 0 then first = status end
  end
end
function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("bad")
    if first == 0 then first = thread:get("first") end
  end
  io.write(string.format("not 200: %d, first: %d\\n", bad, first))
end
"""

BARE_FLASK = {
    "bare/__init__.py": '''\
"""A bare Flask app: a health check and a list of notes, nothing else."""

import os

from flask import Flask, render_template

from .models import Note, db


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("$list_path")
    def index() -> str:
        notes = db.session.scalars(db.select(Note).order_by(Note.id.desc()).limit(10))
        return render_template("index.html", notes=notes.all())

    return app
''',
    "bare/models.py": """\
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Note(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
""",
    # The starter's page: a layout with a stylesheet and a link home, and a list
    # page that extends it, links to /health and shows the notes.
    "bare/templates/base.html": """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{% block title %}bare{% endblock %}</title>
  <link rel="stylesheet" href="{{ url_for('static', filename='style.css') }}">
</head>
<body>
  <header><a href="{{ url_for('index') }}">bare</a></header>
  <main>{% block content %}{% endblock %}</main>
</body>
</html>
""",
    "bare/templates/index.html": """\
{% extends "base.html" %}
{% block content %}
  <h1>bare is running</h1>
  <p>Load balancers can poll <a href="{{ url_for('health') }}">the health check</a>.</p>
  <h2>Latest notes</h2>
  <ul>
    {% for note in notes %}
      <li>{{ note.text }}</li>
    {% endfor %}
  </ul>
{% endblock %}
""",
}

BARE_FASTAPI = {
    "bare/__init__.py": "",
    "bare/main.py": '''\
"""A bare FastAPI app: a health check and a list of items, nothing else."""

import os
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import make_url, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from .models import Item

url = make_url(os.environ["DATABASE_URL"]).set(drivername="sqlite+aiosqlite")
Session = async_sessionmaker(create_async_engine(url), expire_on_commit=False)
app = FastAPI()


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str | None


async def get_session() -> AsyncIterator[AsyncSession]:
    async with Session() as session:
        yield session


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("$list_path")
async def list_items(session: Annotated[AsyncSession, Depends(get_session)]) -> list[ItemRead]:
    items = await session.scalars(select(Item).order_by(Item.id).limit(20))
    return [ItemRead.model_validate(item) for item in items]
''',
    "bare/models.py": """\
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000))
""",
}

#: Added to a fresh ``django-admin startproject``: one app with one model and two views.
BARE_DJANGO = {
    "bare/pages/__init__.py": "",
    "bare/pages/models.py": """\
from django.db import models
from django.utils import timezone


class Announcement(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    published_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-published_at"]
""",
    "bare/pages/views.py": """\
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from .models import Announcement


def health(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    announcements = Announcement.objects.filter(published_at__lte=timezone.now())
    return render(request, "pages/home.html", {"announcements": announcements[:10]})
""",
    "bare/pages/templates/pages/home.html": """\
<!doctype html>
<title>Announcements</title>
<h1>Announcements</h1>
{% for announcement in announcements %}
<article>
  <h2>{{ announcement.title }}</h2>
  <p><time datetime="{{ announcement.published_at|date:'c' }}">
    {{ announcement.published_at }}</time></p>
  {{ announcement.body|linebreaks }}
</article>
{% endfor %}
""",
    "bare/urls.py": """\
from django.contrib import admin
from django.urls import path

from bare.pages import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", views.health),
    path("$list_route", views.home),
]
""",
}

#: Appended to the fresh project's settings: what production mode needs, and the app.
BARE_DJANGO_SETTINGS = """
import os

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
INSTALLED_APPS += ["bare.pages"]
"""


@dataclass(frozen=True)
class Case:
    """What the benchmark needs to know of one framework, beyond scaffold's own facts."""

    framework: Framework
    #: The starter's database-backed list page; the bare app serves the same path.
    list_path: str
    #: The starter's share of the bare app's requests per second that must be reached.
    target: float
    #: Files of the bare app, their text a Template of ``$list_path`` and ``$list_route``.
    bare_files: Mapping[str, str]
    #: Stores ROWS rows through the app's own models (``$package``, ``$rows``). The
    #: bare apps have no migrations: ``create_all`` makes their table, and leaves the
    #: starter's migrated one alone.
    seed_code: str
    #: Runs the seed code in an app's folder, the code as the last argument.
    seed_command: tuple[str, ...] = ("python", "-c")
    #: Shell commands that create the bare app before its files are written, and after.
    bare_before: tuple[str, ...] = ()
    #: Text added at the end of files that ``bare_before`` made.
    bare_appended: Mapping[str, str] = field(default_factory=dict)
    bare_after: tuple[str, ...] = ()
    #: Environment and headers of a TLS-terminating proxy, where the app insists on HTTPS.
    proxy_env: Mapping[str, str] = field(default_factory=dict)
    proxy_headers: tuple[str, ...] = ()
    #: Distributions whose versions the report names.
    libraries: tuple[str, ...] = ()


#: One row per framework; each list path is given here and nowhere else.
CASES: Mapping[Framework, Case] = {
    Framework.DJANGO: Case(
        framework=Framework.DJANGO,
        list_path="/",
        target=0.90,
        bare_files=BARE_DJANGO,
        seed_code=(
            "from $package.pages.models import Announcement\n"
            "Announcement.objects.bulk_create(\n"
            "    Announcement(title=f'Row {n}', body='A line of text.') for n in range($rows)\n"
            ")\n"
        ),
        seed_command=("python", "manage.py", "shell", "-c"),
        bare_before=(f"django-admin startproject {BARE} .",),
        bare_appended={f"{BARE}/settings.py": BARE_DJANGO_SETTINGS},
        bare_after=("python manage.py makemigrations pages", "python manage.py migrate"),
        proxy_env={"DJANGO_SECURE_PROXY_SSL_HEADER": "true"},
        proxy_headers=("X-Forwarded-Proto: https",),
        libraries=("django", "gunicorn"),
    ),
    Framework.FLASK: Case(
        framework=Framework.FLASK,
        list_path="/",
        target=0.85,
        bare_files=BARE_FLASK,
        seed_code=(
            "from $package import create_app\n"
            "from $package.models import Note, db\n"
            "with create_app().app_context():\n"
            "    db.create_all()\n"
            "    db.session.add_all(Note(text=f'Row {n}') for n in range($rows))\n"
            "    db.session.commit()\n"
        ),
        libraries=("flask", "flask-sqlalchemy", "gunicorn"),
    ),
    Framework.FASTAPI: Case(
        framework=Framework.FASTAPI,
        list_path="/api/v1/items",
        target=0.85,
        bare_files=BARE_FASTAPI,
        seed_code=(
            "import os\n"
            "from sqlalchemy import create_engine\n"
            "from sqlalchemy.orm import Session\n"
            "from $package.models import Item\n"
            "engine = create_engine(os.environ['DATABASE_URL'])\n"
            "Item.metadata.create_all(engine)\n"
            "with Session(engine) as session:\n"
            "    session.add_all(\n"
            "        Item(name=f'Row {n}', description='A line.') for n in range($rows)\n"
            "    )\n"
            "    session.commit()\n"
        ),
        libraries=("fastapi", "uvicorn", "sqlalchemy", "gunicorn"),
    ),
}


@dataclass(frozen=True)
class Load:
    """How each app is loaded."""

    rounds: int
    duration: int
    connections: int


@dataclass
class App:
    """One side of a comparison: the starter or the bare app, and its environment."""

    name: str
    folder: Path
    env: dict[str, str]
    url: str = ""
    #: The server's main process, once it runs; its workers are its children.
    pid: int = 0


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) used so far by process ``pid`` and its descendants.

    Read from /proc: the time the kernel ran the server, which leaves out the
    time the machine gave to other work. Children that have ended count too.
    """
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name, in parentheses, may hold spaces: split after it.
            fields = stat.read_text().rpartition(")")[2].split()
            pid_of = int(stat.parent.name)
            parents[pid_of] = int(fields[1])
            # utime, stime, cutime, cstime: fields 14 to 17 of proc(5).
            times[pid_of] = sum(int(value) for value in fields[11:15]) / tick

    def in_server(member: int) -> bool:
        while member > 1:
            if member == pid:
                return True
            member = parents.get(member, 0)
        return False

    return sum(seconds for member, seconds in times.items() if in_server(member))


@dataclass(frozen=True)
class Run:
    """One load of one app's path: its throughput, and its server's CPU time per request."""

    requests_per_second: float
    #: Requests answered per second of the server's CPU time (its main process and worker).
    requests_per_cpu_second: float

    def throughput(self, cpu: bool) -> float:
        """Requests per second of the server's CPU time, or of wall time."""
        return self.requests_per_cpu_second if cpu else self.requests_per_second


@dataclass
class Row:
    """One line of the results table: the runs of each round, each side."""

    framework: Framework
    endpoint: str
    starter: list[Run]
    bare: list[Run]
    target: float

    def median(self, runs: Sequence[Run], cpu: bool) -> float:
        """The median throughput of ``runs``, per CPU second or per second of wall time."""
        return statistics.median(run.throughput(cpu) for run in runs)

    def round_ratios(self, cpu: bool) -> list[float]:
        """The starter's throughput as a share of the bare app's, round by round."""
        return [
            starter.throughput(cpu) / bare.throughput(cpu)
            for starter, bare in zip(self.starter, self.bare, strict=True)
        ]

    def ratio(self, cpu: bool) -> float:
        """The median of the rounds' ratios: above 1, the starter is faster.

        The two runs of a round are taken back to back, so a change in the
        machine's speed between rounds (other work, a busier host) cancels out
        in the round's ratio; in a quotient of the two sides' medians it need not.
        """
        return statistics.median(self.round_ratios(cpu))

    @property
    def spread(self) -> tuple[float, float]:
        """The lowest and highest CPU ratio of a single round: how steady the measure was."""
        ratios = self.round_ratios(cpu=True)
        return min(ratios), max(ratios)

    @property
    def verdict(self) -> str:
        """Whether the CPU ratio reaches its target."""
        return "meets target" if self.ratio(cpu=True) >= self.target else "misses target"


def run_in(app: App, command: str) -> None:
    """Run a shell command in an app's folder with its environment (``sh`` takes none)."""
    result = subprocess.run(
        ["sh", "-c", command], cwd=app.folder, env=app.env, capture_output=True, text=True
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        sys.exit(f"benchmark set-up failed in {app.name}: {command}\n{output}")


def production_env(framework: Framework, venv: Path, data: Path) -> dict[str, str]:
    """What an operator sets: debug off, a real secret, 127.0.0.1 as the served host.

    Nothing else is inherited but the locale and HOME, so that no variable of the
    caller's (a LOG_LEVEL, a DJANGO_SETTINGS_MODULE) changes what is measured.
    """
    env = {key: os.environ[key] for key in ("HOME", "LANG", "LC_ALL") if key in os.environ}
    env.update(
        {
            "PATH": os.pathsep.join([str(venv / "bin"), os.environ.get("PATH", "")]),
            "VIRTUAL_ENV": str(venv),
            **FRAMEWORKS[framework].production_env(hosts="127.0.0.1"),
            "DATABASE_URL": f"sqlite:///{data / 'db.sqlite3'}",
            "WEB_CONCURRENCY": "1",
            **CASES[framework].proxy_env,
        }
    )
    return env


def readme_production(project: Path, command: str) -> list[str]:
    """The README's production steps: the lines of the code block that ends in ``command``."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.DOTALL):
        lines = [line for line in block.splitlines() if line.strip()]
        if lines and lines[-1].strip() == command:
            return lines[:-1]
    sys.exit(f"benchmark set-up failed: no code block of {project}/README.md ends in {command}")


def seed(case: Case, app: App, package: str) -> None:
    """Store the rows of the list page through the app's own models."""
    code = Template(case.seed_code).substitute(package=package, rows=ROWS)
    run_in(app, shlex.join([*case.seed_command, code]))


def write_bare(case: Case, app: App) -> None:
    """The bare app of the case's framework, created in its folder and seeded."""
    app.folder.mkdir(parents=True)
    for command in case.bare_before:
        run_in(app, command)
    values = {"list_path": case.list_path, "list_route": case.list_path.lstrip("/")}
    for name, text in case.bare_files.items():
        path = app.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(text).substitute(values), encoding="utf-8")
    for name, text in case.bare_appended.items():
        with (app.folder / name).open("a", encoding="utf-8") as made:
            made.write(text)
    for command in case.bare_after:
        run_in(app, command)
    seed(case, app, BARE)


def get(url: str, headers: Sequence[str]) -> str:
    """The body of a GET that must answer 200."""
    fields = dict(header.split(": ", 1) for header in headers)
    request = urllib.request.Request(url, headers=fields)  # noqa: S310 (loopback http only)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        body: bytes = response.read()
    return body.decode()


@contextlib.contextmanager
def serving(app: App, command: str, headers: Sequence[str]) -> Iterator[App]:
    """Run ``command`` in the app's folder on a loopback port until /health answers.

    gunicorn reads GUNICORN_CMD_ARGS after its configuration file, so the bind
    address given there wins; the command line stays the README's. The server
    runs in a process group of its own, stopped (whole) on the way out.
    """
    port = free_port()
    env = {**app.env, "GUNICORN_CMD_ARGS": f"--bind 127.0.0.1:{port}"}
    log = app.folder.parent / f"{app.name}-server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["sh", "-c", f"exec {command}"], cwd=app.folder, env=env,
            stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    app.url, app.pid = f"http://127.0.0.1:{port}", process.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                get(app.url + HEALTH, headers)
                break
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:]
                sys.exit(f"benchmark set-up failed: {app.name} did not start: {command}\n{tail}")
            time.sleep(0.2)
        yield app
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass(frozen=True)
class Wrk:
    """wrk's command line for the apps of one framework."""

    connections: int
    headers: tuple[str, ...]
    #: The Lua script that counts the answers that are not a 200.
    script: Path

    def run(self, app: App, path: str, seconds: int) -> Run:
        """Load one app's path for ``seconds``; stop the benchmark at any answer but a 200."""
        command = [str(WRK), "-t1", f"-c{self.connections}", f"-d{seconds}s", "--timeout", "10s"]
        command += ["-s", str(self.script), *(f"-H{header}" for header in self.headers)]
        command.append(app.url + path)
        cpu_before = cpu_seconds(app.pid)
        result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
        cpu = cpu_seconds(app.pid) - cpu_before
        output = result.stdout + result.stderr
        rate = re.search(r"^Requests/sec:\s*([\d.]+)", output, flags=re.MULTILINE)
        answered = re.search(r"^\s*(\d+) requests in", output, flags=re.MULTILINE)
        status = re.search(r"^not 200: (\d+), first: (\d+)", output, flags=re.MULTILINE)
        if result.returncode != 0 or not (rate and status and answered) or cpu <= 0:
            sys.exit(f"benchmark failed: {' '.join(command)}\n{output}")
        if int(status[1]) or "Socket errors:" in output:
            sys.exit(f"benchmark failed: {app.name} {path} answered with errors\n{output}")
        return Run(float(rate[1]), int(answered[1]) / cpu)


def versions(venv: Path, libraries: Sequence[str]) -> str:
    """``name version`` of each library as installed in the venv."""
    code = "import sys, importlib.metadata as m; print(*(m.version(d) for d in sys.argv[1:]))"
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code, *libraries],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return ", ".join(map(" ".join, zip(libraries, result.stdout.split(), strict=True)))


def set_up(case: Case, folder: Path) -> tuple[App, App, Path]:
    """The starter and the bare app, installed, migrated and seeded; and their venv."""
    framework = case.framework
    folder.mkdir()
    sh([str(BIN / "scaffold"), "new", STARTER, "-y", "--framework", framework, "--no-git"], folder)
    project = folder / STARTER
    (project / ".env").unlink(missing_ok=True)  # development settings, not production's
    venv = folder / "venv"
    sh([str(BIN / "uv"), "venv", "--quiet", "--python", str(BIN / "python"), str(venv)])
    python = str(venv / "bin" / "python")
    sh([str(BIN / "uv"), "pip", "install", "--quiet", "--python", python, "-e", str(project)])

    starter = App(STARTER, project, production_env(framework, venv, folder / "starter-data"))
    bare = App(BARE, folder / BARE, production_env(framework, venv, folder / "bare-data"))
    for app in (starter, bare):
        Path(app.env["DATABASE_URL"].removeprefix("sqlite:///")).parent.mkdir()
    command = FRAMEWORKS[framework].production_command.format(package=STARTER)
    for line in readme_production(project, command):
        run_in(starter, line)
    seed(case, starter, STARTER)
    write_bare(case, bare)
    return starter, bare, venv


def measure(case: Case, load: Load, work: Path) -> tuple[list[Row], str]:
    """Set up both apps of one framework, load them in turn; the rows and the versions."""
    starter, bare, venv = set_up(case, work / case.framework.value)
    script = work / "status.lua"
    script.write_text(STATUS_CHECK, encoding="utf-8")
    loader = Wrk(load.connections, case.proxy_headers, script)
    paths = (HEALTH, case.list_path)
    runs: dict[tuple[str, str], list[Run]] = {
        (app.name, path): [] for app in (starter, bare) for path in paths
    }
    production_command = FRAMEWORKS[case.framework].production_command
    marker = f"Row {ROWS - 1}"
    for index in range(load.rounds):
        # Fresh servers every round: a process keeps its memory layout and hash
        # seed for life, and one slow process would otherwise weigh on every
        # round of its side.
        with contextlib.ExitStack() as servers:
            apps = [
                servers.enter_context(
                    serving(app, production_command.format(package=app.name), case.proxy_headers)
                )
                for app in (starter, bare)
            ]
            for app in apps:
                if marker not in get(app.url + case.list_path, case.proxy_headers):
                    sys.exit(
                        f"benchmark set-up failed: {app.name}'s {case.list_path} lacks {marker}"
                    )
                for path in paths:  # warm-up: imports, caches, database connections
                    loader.run(app, path, 1)
            for path in paths:
                for app in apps if index % 2 == 0 else apps[::-1]:
                    run = loader.run(app, path, load.duration)
                    runs[app.name, path].append(run)
                    round_name = f"{case.framework.value} {app.name} {path} round {index + 1}"
                    print(
                        f"{round_name}: {run.requests_per_second:.0f} req/s, "
                        f"{run.requests_per_cpu_second:.0f} per CPU-s",
                        file=sys.stderr,
                        flush=True,
                    )
    rows = [
        Row(case.framework, path, runs[STARTER, path], runs[BARE, path], case.target)
        for path in paths
    ]
    return rows, versions(venv, case.libraries)


def table(rows: Sequence[Row]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| framework | endpoint | starter req/s | bare req/s | ratio "
        "| starter req/CPU-s | bare req/CPU-s | CPU ratio | per round | target | |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        low, high = row.spread
        figures = [
            f"{row.median(runs, cpu):.0f}"
            for cpu in (False, True)
            for runs in (row.starter, row.bare)
        ]
        lines.append(
            f"| {FRAMEWORKS[row.framework].label} | `{row.endpoint}` "
            f"| {figures[0]} | {figures[1]} | {row.ratio(cpu=False):.2f} "
            f"| {figures[2]} | {figures[3]} | {row.ratio(cpu=True):.2f} "
            f"| {low:.2f}-{high:.2f} | >= {row.target:.2f} | {row.verdict} |"
        )
    return "\n".join(lines)


EXPLANATION = f"""\
- *Starter*: `scaffold new` with the default options (database sqlite), installed
  with uv, set up with the commands of its README's production section (Django
  also checks the deployment and collects the static files), {ROWS} rows stored in
  the table of its list page, and started with the README's gunicorn command.
- *Bare*: in the same venv, so with the same library versions: a plain Flask app
  and a plain FastAPI app with `/health` and the same list over the same ORM and
  driver; for Django a fresh `django-admin startproject` with a health view and a
  list view over one model added, and only DEBUG, ALLOWED_HOSTS and SECRET_KEY
  changed in its settings. The list pages show the latest 10 rows (Flask, Django)
  or the first 20 (FastAPI), rendered the way the starter renders them: JSON
  through the same kind of pydantic model (FastAPI), or a Jinja page extending
  a layout with the same three `url_for` links as the starter's (Flask).
- *Server*: the same gunicorn command line for both (the starter's package name
  swapped for the bare app's), `WEB_CONCURRENCY=1`, bound to 127.0.0.1 through
  `GUNICORN_CMD_ARGS`; gunicorn's access log stays off.
- *Production mode*: debug off, a fresh random secret, 127.0.0.1 as the only
  allowed host. The Django starter redirects plain HTTP to HTTPS, so it trusts
  the `X-Forwarded-Proto` header of a TLS proxy and wrk sends it to both apps.
- *Load*: wrk with one thread, in rounds that alternate starter and bare (the
  order flips every round). Each round starts both servers afresh and warms each
  app and endpoint up for 1 s. A process keeps its memory layout and hash seed
  for life: of six FastAPI starter processes started in turn, one ran about 20%
  slower than the others in two of its three runs, and it would have weighed on
  every round of a run served by it alone. A response that is not a 200 or a
  socket error fails the benchmark instead of giving a figure.
- *Ratio*: the median, over the rounds, of the starter's requests per second as
  a share of the bare app's in the same round. The two runs of a round are back
  to back, so a change in the machine's speed between rounds cancels out in
  their ratio; the quotient of the two medians in the columns beside it need not
  be the same figure.
- *CPU ratio*: the same for requests per second of the server's CPU time (user
  and system time of gunicorn and its worker, from /proc, over each run). The
  worker is busy all through a run, so this is the inverse of the CPU cost of a
  request; unlike wall time, it leaves out the time the machine ran other work,
  which on a shared machine swings from run to run. The target is judged on it.
  *Per round* is the lowest and the highest CPU ratio of the two runs of one
  round, taken back to back.
"""


def report(
    rows: Sequence[Row], libraries: Mapping[Framework, str], load: Load, load_before: float
) -> str:
    """The Markdown page written by --write, with the facts of the machine it ran on."""
    machine = f"Python {platform.python_version()}, {platform.system()} {platform.machine()}"
    wrk_version = subprocess.run([str(WRK), "-v"], capture_output=True, text=True).stdout
    method = (
        "Measured by `python benchmarks/servers.py`: each framework's starter against a "
        "bare app of the same framework, under the same gunicorn command with one worker, "
        f"loaded in turn by `wrk` with {load.connections} connections on 127.0.0.1. Each "
        f"figure is the median of {load.rounds} runs of {load.duration} s; a ratio is the "
        "median, over the rounds, of the starter's figure as a share of the bare app's in "
        "the same round, and the target is the least CPU ratio (requests per second of "
        "the server's CPU time) that issue 12 accepts."
    )
    facts = (
        f"Last run: {date.today().isoformat()}, {machine}, {os.cpu_count()} CPUs, load "
        f"average {load_before:.1f} at the start and {os.getloadavg()[0]:.1f} at the end, "
        f"{wrk_version.split(' [', 1)[0].strip() or 'wrk'}. The machine is shared with "
        "other work, which makes the requests per second of single runs noisy: read the "
        "CPU ratios, not the absolute figures."
    )
    lines = [
        "# Server throughput of the starters",
        "",
        textwrap.fill(method, width=88),
        "",
        textwrap.fill(facts, width=88),
        "",
        table(rows),
        "",
        "Versions:",
        *(f"- {FRAMEWORKS[framework].label}: {text}" for framework, text in libraries.items()),
        "",
        "How it is measured:",
        "",
        EXPLANATION,
    ]
    return "\n".join(lines)


def write_report(path: Path, text: str) -> None:
    """Write the report to ``path``, keeping the notes that follow NOTES_HEADING there.

    The notes say how costs were found, by means this script does not run.
    """
    notes = ""
    if path.exists():
        old = path.read_text(encoding="utf-8")
        start = old.find(f"\n{NOTES_HEADING}\n")
        notes = old[start:] if start >= 0 else ""
    path.write_text(text + notes, encoding="utf-8")


def stop_on_sigterm() -> None:
    """Turn SIGTERM into an exit that runs the clean-up, as Ctrl-C does."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def main() -> None:
    """Set up, measure, print and optionally write the report."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--framework", action="append", choices=[f.value for f in Framework],
        help="measure this framework (repeat for several; default: all)",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=7, help="runs of each app and endpoint")
    parser.add_argument("--duration", type=int, default=5, help="seconds of each run")
    parser.add_argument("--connections", type=int, default=8, help="open connections of wrk")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round of 1 s")
    parser.add_argument(
        "--write", metavar="FILE",
        help=f"also write the report to FILE, keeping its section {NOTES_HEADING!r}",
    )  # fmt: skip
    parser.add_argument("--fresh", action="store_true", help="rebuild the benchmark venv")
    args = parser.parse_args()
    if not WRK.exists():
        sys.exit("benchmarks/servers.py needs wrk: apt-get install wrk")
    rounds, duration = (1, 1) if args.quick else (args.rounds, args.duration)
    load = Load(rounds, duration, args.connections)
    stop_on_sigterm()
    load_before = os.getloadavg()[0]
    prepare(args.fresh)
    rows: list[Row] = []
    libraries: dict[Framework, str] = {}
    with tempfile.TemporaryDirectory(prefix="scaffold-bench-servers-") as work:
        for name in args.framework or [f.value for f in Framework]:
            framework = Framework(name)
            framework_rows, libraries[framework] = measure(CASES[framework], load, Path(work))
            rows += framework_rows
            print(table(framework_rows), flush=True)
    text = report(rows, libraries, load, load_before)
    print(text, end="")
    if args.write:
        write_report(Path(args.write), text)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # the servers and the work folder are gone by now
        sys.exit("benchmark interrupted")
