"""With database=postgresql, each generated project migrates and passes its tests on a real server.

The server comes from SCAFFOLD_TEST_POSTGRES_URL (``.ci/run`` starts one). Outside
CI the tests are skipped without it; in CI a missing server is a failure.
"""

from __future__ import annotations

import pytest

from generated import install_project, project_env, render_project, run_in
from helpers import FRAMEWORK_PARAMS, needs_postgres
from scaffold.frameworks import FRAMEWORKS, Framework

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, needs_postgres]


@pytest.mark.parametrize("framework", FRAMEWORK_PARAMS)
def test_migrations_and_tests_run_on_postgresql(tmp_path, framework, postgres_database):
    # With accounts where the framework offers them, so their table is on the server too.
    accounts = [] if framework == Framework.DJANGO else ["-d", "auth=yes"]
    project = render_project(tmp_path, framework, "-d", "database=postgresql", *accounts)
    bin_dir = install_project(project)
    env = project_env(bin_dir, DATABASE_URL=postgres_database)
    for command in FRAMEWORKS[framework].setup("svc", "postgresql"):
        run_in(project, command, env)
    # Twice: the tests must leave the database as they found it.
    for _run in range(2):
        output = run_in(project, "pytest -q -p no:cacheprovider", env)
        assert " passed" in output
