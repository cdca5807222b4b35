"""The files around a generated project's code: what git keeps out, hooks, update bots, CI.

Each is proven with the real tool: ``git check-ignore`` and ``git add`` for
``.gitignore``, ``pre-commit run`` for the hooks, and the JSON schemas that
``check-jsonschema`` ships (SchemaStore's, the ones editors use) for the
Dependabot, Renovate, GitHub Actions and GitLab CI files.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from containers import readme_docker_commands
from generated import project_env, render_project
from helpers import BIN, FRAMEWORK_PARAMS, clean_env, git_available, run_scaffold
from scaffold.frameworks import Framework

pytestmark = pytest.mark.skipif(not git_available(), reason="needs git")

#: Settings files people commonly keep beside the code, besides those the READMEs name.
COMMON_ENV_FILES = (".env", ".env.local", ".env.development", ".env.test", ".env.production.local")


def git(project: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=project, env=clean_env(), capture_output=True, text=True, check=check
    )


def new_repository(parent: Path, framework: Framework) -> Path:
    """``scaffold new`` with its git repository and first commit."""
    result = run_scaffold(["new", "svc", "-y", "--framework", framework.value], parent)
    assert result.returncode == 0, result.stderr
    return parent / "svc"


def env_files_named(project: Path) -> set[str]:
    """Every ``.env...`` file name the project's README mentions."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"(?<![\w.])\.env(?:\.[\w-]+)*\b", readme))


@pytest.mark.parametrize("framework", list(Framework), ids=lambda f: f.value)
def test_no_settings_file_a_readme_names_can_be_committed(tmp_path, framework):
    """Only ``.env.example`` is tracked; following the Docker steps stages nothing secret."""
    project = new_repository(tmp_path, framework)
    named = env_files_named(project)
    assert {".env", ".env.example", ".env.production"} <= named, named
    secret_files = (named | set(COMMON_ENV_FILES)) - {".env.example"}
    for name in sorted(secret_files):
        ignored = git(project, "check-ignore", "--no-index", "--verbose", name, check=False)
        assert ignored.returncode == 0, f"{name} is not ignored"
        assert ignored.stdout.startswith(".gitignore:"), ignored.stdout
    assert git(project, "check-ignore", "--no-index", ".env.example", check=False).returncode == 1
    assert git(project, "ls-files", ".env.example").stdout == ".env.example\n"

    # The README's own step, then what a user types to commit everything.
    subprocess.run(
        ["sh", "-c", readme_docker_commands(project).write_settings], cwd=project, check=True
    )
    for name in COMMON_ENV_FILES:
        shutil.copy(project / ".env.example", project / name)
    git(project, "add", "-A")
    assert git(project, "status", "--porcelain").stdout == ""
    tracked = git(project, "ls-files").stdout.split()
    assert [name for name in tracked if Path(name).name.startswith(".env")] == [".env.example"]


@pytest.mark.e2e
@pytest.mark.parametrize("framework", FRAMEWORK_PARAMS)
def test_the_pre_commit_hooks_pass_on_a_fresh_project_and_catch_faults(
    installed_projects, tmp_path, framework
):
    """``pre-commit run --all-files`` with the project's own venv active, as its README says."""
    _framework, installed, bin_dir = installed_projects(framework)
    project = tmp_path / "svc"
    shutil.copytree(installed, project, ignore=shutil.ignore_patterns(*UNTRACKED))
    git(project, "init", "-q")
    git(project, "add", "-A")
    env = project_env(bin_dir, PRE_COMMIT_HOME=str(tmp_path / "pre-commit"))

    def run_hooks() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / "pre-commit"), "run", "--all-files", "--color", "never"],
            cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    fresh = run_hooks()
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    for hook in ("ruff check", "ruff format", "mypy"):
        assert re.search(rf"^{hook}\.+Passed$", fresh.stdout, re.MULTILINE), fresh.stdout

    # A badly formatted line with a type error: the format and type hooks fail.
    (project / "svc" / "faulty.py").write_text('count: int = "one"  # wrong type\nx=( 1 )\n')
    git(project, "add", "-A")
    faulty = run_hooks()
    assert faulty.returncode != 0
    for hook in ("ruff format", "mypy"):
        assert re.search(rf"^{hook}\.+Failed$", faulty.stdout, re.MULTILINE), faulty.stdout


#: What the installed project holds besides its sources: never in a fresh clone.
UNTRACKED = (".venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__", ".coverage")


def schema_errors(schema: str, path: Path) -> str:
    """What ``check-jsonschema`` finds wrong with ``path`` by a schema it ships; "" if nothing."""
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", f"vendor.{schema}", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "" if result.returncode == 0 else result.stdout + result.stderr


def readme_build_words(project: Path) -> list[str]:
    """The README's ``docker build``, without the image's name (CI tags its own)."""
    build = readme_docker_commands(project).build
    tag = build.index("-t")
    return build[:tag] + build[tag + 2 :]


CI_CASES = [
    (framework, ci, docker)
    for framework in Framework
    for ci in ("github", "gitlab")
    for docker in (True, False)
]


@pytest.mark.parametrize(
    ("framework", "ci", "docker"),
    CI_CASES,
    ids=[f"{f.value}-{ci}-{'docker' if d else 'no-docker'}" for f, ci, d in CI_CASES],
)
def test_update_bots_and_ci_match_their_schemas_and_build_the_image(
    tmp_path, framework, ci, docker
):
    """Dependabot for GitHub, Renovate for GitLab, and a CI job building the Docker image."""
    options = ["-d", f"ci={ci}", "-d", f"docker={str(docker).lower()}"]
    if framework != Framework.DJANGO:
        options += ["-d", "database=postgresql"]
    project = render_project(tmp_path, framework, *options)
    if ci == "github":
        dependabot = project / ".github" / "dependabot.yml"
        workflow = project / ".github" / "workflows" / "ci.yml"
        assert not (project / "renovate.json").exists()
        assert schema_errors("dependabot", dependabot) == ""
        assert schema_errors("github-workflows", workflow) == ""
        # The keys Dependabot's reference marks required, and the ecosystems wanted.
        config = yaml.safe_load(dependabot.read_text())
        assert config["version"] == 2
        for update in config["updates"]:
            assert update["directory"] == "/" and update["schedule"]["interval"] == "weekly"
        ecosystems = {update["package-ecosystem"] for update in config["updates"]}
        wanted = {"uv", "github-actions"} | ({"docker", "docker-compose"} if docker else set())
        assert ecosystems == wanted
        jobs = yaml.safe_load(workflow.read_text())["jobs"]
        build = [
            step["run"] for step in jobs.get("docker", {"steps": []})["steps"] if "run" in step
        ]
    else:
        renovate = project / "renovate.json"
        pipeline = project / ".gitlab-ci.yml"
        assert not (project / ".github").exists()
        assert schema_errors("renovate", renovate) == ""
        assert schema_errors("gitlab-ci", pipeline) == ""
        config = json.loads(renovate.read_text())
        assert config["extends"] == ["config:recommended"]
        assert config["$schema"] == "https://docs.renovatebot.com/renovate-schema.json"
        jobs = yaml.safe_load(pipeline.read_text())
        build = jobs.get("docker", {"script": []})["script"]
    assert "test" in jobs
    if docker:
        # The image CI builds is the one of the README's own command.
        (command,) = build
        words = shlex.split(command)
        tag = words.index("-t")
        assert words[:tag] + words[tag + 2 :] == readme_build_words(project)
    else:
        assert "docker" not in jobs and build == []


def _create_table_calls(migration: Path) -> dict[str, ast.Call]:
    """The ``op.create_table`` calls of a migration, by table name."""
    calls = {}
    for node in ast.walk(ast.parse(migration.read_text())):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "op.create_table":
            calls[ast.literal_eval(node.args[0])] = node
    return calls


def _columns(model: Path, name: str) -> dict[str, str]:
    """Each column of the model class ``name``: its annotation and its mapped_column call."""
    (cls,) = [
        node
        for node in ast.walk(ast.parse(model.read_text()))
        if isinstance(node, ast.ClassDef) and node.name == name
    ]
    return {
        ast.unparse(item.target): f"{ast.unparse(item.annotation)} = {ast.unparse(item.value)}"
        for item in cls.body
        if isinstance(item, ast.AnnAssign) and item.value is not None
    }


def test_flask_and_fastapi_accounts_share_one_vocabulary(tmp_path):
    """The same concept has the same name, type and length in both, and the same first migration.

    What each keeps is its own on purpose: Flask's notes are a page's content,
    FastAPI's items an API resource; both belong to their owner through ``owner_id``.
    """
    flask = render_project(tmp_path, Framework.FLASK, "-d", "auth=yes", name="one")
    fastapi = render_project(tmp_path, Framework.FASTAPI, "-d", "auth=yes", name="two")
    flask_migrations, fastapi_migrations = flask / "one" / "migrations", fastapi / "migrations"
    assert (flask_migrations / "script.py.mako").read_bytes() == (
        fastapi_migrations / "script.py.mako"
    ).read_bytes()
    first = [_create_table_calls(m / "versions" / "0001_initial.py")
             for m in (flask_migrations, fastapi_migrations)]  # fmt: skip
    assert ast.dump(first[0]["users"]) == ast.dump(first[1]["users"])
    users = [_columns(flask / "one" / "models.py", "User"),
             _columns(fastapi / "two" / "models.py", "User")]  # fmt: skip
    assert users[0] == users[1] and {"username", "password_hash"} <= set(users[0])
    owned = [_columns(flask / "one" / "models.py", "Note"),
             _columns(fastapi / "two" / "models.py", "Item")]  # fmt: skip
    assert owned[0]["owner_id"] == owned[1]["owner_id"]
    assert "ForeignKey('users.id')" in owned[0]["owner_id"]
