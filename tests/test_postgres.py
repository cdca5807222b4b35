"""With database=postgresql, each generated project migrates and passes its tests on a real server.

The server comes from SCAFFOLD_TEST_POSTGRES_URL (``.ci/run`` starts one). Outside
CI the tests are skipped without it; in CI a missing server is a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import FRAMEWORK_PARAMS
from generated import install_project, project_env, render_project, run_in
from scaffold.answers import ci_is_set
from scaffold.frameworks import FRAMEWORKS, Framework

SERVER_URL = os.environ.get("SCAFFOLD_TEST_POSTGRES_URL", "")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.skipif(
        not SERVER_URL and not ci_is_set(), reason="set SCAFFOLD_TEST_POSTGRES_URL to run"
    ),
]


def psql(sql: str) -> None:
    psql_path = shutil.which("psql")
    assert psql_path, "psql is needed to create the test databases"
    subprocess.run([psql_path, SERVER_URL, "-q", "-c", sql], check=True, capture_output=True)


@pytest.fixture
def database():
    """A fresh, empty database on the server; its URL, dropped afterwards."""
    assert SERVER_URL, "CI must provide SCAFFOLD_TEST_POSTGRES_URL (see .ci/run)"
    name = f"scaffold_{secrets.token_hex(4)}"
    psql(f"CREATE DATABASE {name}")
    parts = urlsplit(SERVER_URL)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(f"DROP DATABASE IF EXISTS test_{name} WITH (FORCE)")


@pytest.mark.parametrize("framework", FRAMEWORK_PARAMS)
def test_migrations_and_tests_run_on_postgresql(tmp_path, framework, database):
    # With accounts where the framework offers them, so their table is on the server too.
    accounts = [] if framework == Framework.DJANGO else ["-d", "auth=yes"]
    project = render_project(tmp_path, framework, "-d", "database=postgresql", *accounts)
    bin_dir = install_project(project)
    env = project_env(bin_dir, DATABASE_URL=database)
    for command in FRAMEWORKS[framework].setup("svc", "postgresql"):
        run_in(project, command, env)
    # Twice: the tests must leave the database as they found it.
    for _run in range(2):
        output = run_in(project, "pytest -q -p no:cacheprovider", env)
        assert " passed" in output
