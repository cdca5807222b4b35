"""Facts about Django, Flask and FastAPI: how they compare, and how a generated project runs.

The comparison rows paraphrase the article; the project facts (environment,
commands, pages) describe what the bundled templates generate and are what the
"next steps" output, the ``.env`` writer and the end-to-end tests rely on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Framework(StrEnum):
    """A framework scaffold can recommend and generate."""

    DJANGO = "django"
    FLASK = "flask"
    FASTAPI = "fastapi"


#: Rows of ``scaffold frameworks``, in display order.
COMPARISON_ROWS: tuple[str, ...] = (
    "Kind",
    "Built in",
    "Async",
    "Speed",
    "API docs",
    "Structure",
    "Learning curve",
    "Community",
    "Best for",
    "Built on",
    "Served by",
)


@dataclass(frozen=True)
class FrameworkInfo:
    """Everything scaffold says or does that depends on the framework."""

    framework: Framework
    label: str
    #: What choosing it gives you, in one sentence (shown for alternatives).
    offers: str
    #: One cell per row of :data:`COMPARISON_ROWS`.
    comparison: Mapping[str, str]
    #: Environment variable holding the secret key.
    secret_variable: str
    #: Development settings scaffold writes to ``.env`` (without the secret).
    development_env: Mapping[str, str]
    #: Commands to run once after installing, before the first start, and again after
    #: each upgrade (the database migrations); ``{package}`` is filled in.
    setup_commands: tuple[str, ...]
    #: True when the set-up commands only migrate the database (so none without a database).
    setup_is_database: bool
    #: Start the development server; ``{port}`` and ``{package}`` are filled in.
    dev_command: str
    #: Start the production server; port and workers come from $PORT / $WEB_CONCURRENCY.
    production_command: str
    #: Paths that answer 200 on a freshly generated project, besides /health.
    pages: tuple[str, ...]
    #: Creates the first account of a built-in admin site, when the framework has one.
    superuser_command: str | None = None
    #: It brings its own user accounts, so the ``auth`` option is not asked for it.
    builtin_accounts: bool = False
    #: Why it cannot do without a database; empty when it can (``database=none``).
    needs_database: str = ""
    #: Its ``/ready`` checks Redis whenever ``REDIS_URL`` is set, accounts or not
    #: (the others only when log-in limits count there).
    ready_checks_redis: bool = False

    @property
    def hosts_variable(self) -> str:
        """The environment variable listing the host names the application answers to."""
        (key,) = (key for key in self.development_env if key.endswith("HOSTS"))
        return key

    @property
    def migrate_command(self) -> str:
        """The command that applies the migrations (``{package}`` left to fill in)."""
        return self.setup_commands[0]

    def setup(self, package: str, database: str) -> list[str]:
        """The one-time set-up commands for a project with this package and database."""
        if self.setup_is_database and database == "none":
            return []
        return [command.format(package=package) for command in self.setup_commands]

    def env_file(self, package: str, database: str) -> dict[str, str]:
        """Development ``.env`` values for a new project, with a fresh secret key."""
        import secrets

        env = {self.secret_variable: secrets.token_urlsafe(50)}
        env.update(
            {key: value.format(package=package) for key, value in self.development_env.items()}
        )
        if database == "postgresql":
            env["DATABASE_URL"] = f"postgresql://postgres:postgres@localhost:5432/{package}"
        elif database == "none":
            env.pop("DATABASE_URL", None)
        return env

    def production_env(self, hosts: str) -> dict[str, str]:
        """What an operator sets on a server: debug off, a fresh secret, ``hosts`` served.

        The keys are this framework's own (``development_env`` names its debug
        and host variables); the database and the port are the caller's.
        """
        import secrets

        env = {self.secret_variable: secrets.token_urlsafe(50)}
        for key in self.development_env:
            if key.endswith("DEBUG"):
                env[key] = "false"
            elif key.endswith("HOSTS"):
                env[key] = hosts
        return env


FRAMEWORKS: Mapping[Framework, FrameworkInfo] = {
    Framework.DJANGO: FrameworkInfo(
        framework=Framework.DJANGO,
        label="Django",
        offers=(
            "Django brings an ORM, an admin site, authentication and a prescribed layout, "
            "so large, feature-rich sites need few outside parts."
        ),
        comparison={
            "Kind": "Full-stack, batteries included",
            "Built in": "ORM, migrations, admin, auth, forms, templates",
            "Async": "Async views; ORM mostly synchronous",
            "Speed": "Good; extra layers cost a little",
            "API docs": "Through add-ons (e.g. DRF + spectacular)",
            "Structure": "Prescribed: project + apps, MVT",
            "Learning curve": "Steepest of the three",
            "Community": "Largest, very mature",
            "Best for": "Large, complex, content-rich sites",
            "Built on": "Its own ORM and template engine",
            "Served by": "WSGI or ASGI (gunicorn)",
        },
        secret_variable="DJANGO_SECRET_KEY",
        development_env={
            "DJANGO_DEBUG": "true",
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1,[::1]",
            "DATABASE_URL": "sqlite:///db.sqlite3",
        },
        setup_commands=("python manage.py migrate",),
        setup_is_database=False,
        dev_command="python manage.py runserver {port}",
        production_command="gunicorn {package}.wsgi",
        pages=("/", "/admin/login/"),
        superuser_command="python manage.py createsuperuser",
        builtin_accounts=True,
        needs_database="Django's admin and authentication need a database",
    ),
    Framework.FLASK: FrameworkInfo(
        framework=Framework.FLASK,
        label="Flask",
        offers=(
            "Flask stays small and easy to learn, and leaves the layout and the "
            "choice of extensions to you."
        ),
        comparison={
            "Kind": "Microframework",
            "Built in": "Routing, Jinja2 templates, sessions, dev server",
            "Async": "Async views run in a thread; WSGI at heart",
            "Speed": "Good for ordinary loads",
            "API docs": "Through extensions",
            "Structure": "Free: app factory + blueprints by habit",
            "Learning curve": "Gentlest of the three",
            "Community": "Large, many extensions",
            "Best for": "Small to medium apps, prototypes, simple APIs",
            "Built on": "Werkzeug (WSGI) and Jinja2",
            "Served by": "WSGI (gunicorn)",
        },
        secret_variable="FLASK_SECRET_KEY",
        development_env={
            "FLASK_DEBUG": "true",
            "FLASK_TRUSTED_HOSTS": "localhost,127.0.0.1",
            "DATABASE_URL": "sqlite:///{package}.sqlite3",
        },
        setup_commands=("flask --app {package} db upgrade",),
        setup_is_database=True,
        dev_command="flask --app {package} run --port {port}",
        production_command='gunicorn "{package}:create_app()"',
        pages=("/",),
        ready_checks_redis=True,
    ),
    Framework.FASTAPI: FrameworkInfo(
        framework=Framework.FASTAPI,
        label="FastAPI",
        offers=(
            "FastAPI is the fastest of the three, async from the ground up, and turns "
            "type hints into request validation and interactive API docs."
        ),
        comparison={
            "Kind": "Async API framework",
            "Built in": "Validation (Pydantic), OpenAPI docs, dependency injection",
            "Async": "Native asyncio (ASGI)",
            "Speed": "Fastest of the three",
            "API docs": "Built in: Swagger UI and ReDoc",
            "Structure": "Free: routers by habit",
            "Learning curve": "Moderate: type hints and async",
            "Community": "Younger, growing fast",
            "Best for": "High-load APIs, many concurrent connections",
            "Built on": "Starlette (ASGI) and Pydantic",
            "Served by": "ASGI (uvicorn workers under gunicorn)",
        },
        secret_variable="SECRET_KEY",
        development_env={
            "DEBUG": "true",
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "CORS_ORIGINS": "http://localhost:3000,http://127.0.0.1:3000",
            "DATABASE_URL": "sqlite:///db.sqlite3",
        },
        setup_commands=("alembic upgrade head",),
        setup_is_database=True,
        # No proxy in development: uvicorn would otherwise believe X-Forwarded-For from
        # 127.0.0.1, and any local client could pick the address the log-in limit counts.
        dev_command="uvicorn {package}.main:app --reload --no-proxy-headers --port {port}",
        # gunicorn supervises the uvicorn workers: unlike `uvicorn --workers`, it
        # exits with an error status when the application cannot start.
        production_command=(
            "gunicorn {package}.main:app --worker-class uvicorn_worker.UvicornWorker"
        ),
        pages=("/docs", "/openapi.json"),
    ),
}
