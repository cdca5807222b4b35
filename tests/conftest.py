"""The suite's fixtures; the helpers the tests import live in ``helpers``."""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from helpers import FRAMEWORK_PARAMS, POSTGRES_URL, psql, redis_database
from scaffold.frameworks import Framework

# The fixtures of the container tests (Docker daemon, stand-in image, project images).
pytest_plugins = ["containers"]


@pytest.fixture(scope="session", autouse=True)
def template_cache(tmp_path_factory):
    """The compiled-template cache of every render, in a temporary directory, never the user's."""
    from scaffold.template_cache import ENV_VARIABLE

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VARIABLE, str(tmp_path_factory.mktemp("template-cache")))
        yield


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty directory to run scaffold in."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def installed_projects(tmp_path_factory):
    """Default projects, rendered and installed once per framework and worker."""
    from generated import install_project, render_project

    cache: dict[Framework, tuple[Framework, Path, Path]] = {}

    def get(framework: Framework) -> tuple[Framework, Path, Path]:
        if framework not in cache:
            project = render_project(tmp_path_factory.mktemp(framework.value), framework)
            cache[framework] = (framework, project, install_project(project))
        return cache[framework]

    return get


@pytest.fixture(params=FRAMEWORK_PARAMS)
def installed(request, installed_projects):
    """A default project of one framework, installed with its dev extra."""
    return installed_projects(request.param)


@pytest.fixture
def postgres_database():
    """A fresh, empty database on the suite's server; its URL, dropped afterwards."""
    assert POSTGRES_URL, "CI must provide SCAFFOLD_TEST_POSTGRES_URL (see .ci/run)"
    name = f"scaffold_{secrets.token_hex(4)}"
    psql(f"CREATE DATABASE {name}")
    parts = urlsplit(POSTGRES_URL)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"DROP DATABASE IF EXISTS test_{name} WITH (FORCE)")


@pytest.fixture(name="redis_database")
def redis_database_fixture():
    """A Redis database of the suite's server for this test alone; its URL, emptied afterwards."""
    with redis_database() as url:
        yield url
