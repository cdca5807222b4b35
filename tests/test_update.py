"""Updating projects: two template versions, real git repositories, real copier merges.

Version A is the templates of this checkout, installed here. Version B is built
the way a release is: a clone of this repository with A recorded as a release,
B's changes made to the templates (one changed line, one removed file, one added
file, a new question with a default) and the version bumped, packed into a real
wheel and installed into its own venv. Every scaffold and copier run gets its
own HOME, so git configuration, copier's cache and the per-user copy of the
template history are the test's own.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest
import yaml
from packaging.version import Version

import scaffold
from generated import (
    build_wheel,
    clone_working_tree,
    git,
    install_project,
    isolated_env,
    make_venv,
    project_env,
    run_in,
    tree,
)
from helpers import (
    failing_git_env,
    needs_postgres,
    scaffold_command,
    snapshot,
    tmpfs,
)
from scaffold.criteria import Answers
from scaffold.distribution import installation
from scaffold.frameworks import Framework
from scaffold.recommender import recommend
from scaffold.versions.history import bundle_versions
from scaffold.versions.source import TEMPLATE_URL, installed_history, installed_version

ROOT = Path(__file__).resolve().parent.parent
#: The template version this checkout renders: a dev version (or a release, at one).
A = installed_version()
#: The release B's clone makes of the version this checkout develops.
B = Version(scaffold.__version__).base_version

pytestmark = [
    pytest.mark.xdist_group("versions"),
    pytest.mark.skipif(shutil.which("git") is None, reason="updates need git"),
]

# What B changes, and what the user changes, in the project's .gitignore.
GITIGNORE = "_shared/gitignore.jinja"
CHANGED_LINE = "# Tool caches and reports"
CHANGED_LINE_B = "# Caches and reports of the tools"
USER_SAME_LINE = "# Tool caches, coverage reports"
FAR_LINE = "# Local settings and secrets (see .env.example)"
USER_FAR_LINE = "# Local settings and secrets: never commit them"
DROPPED = "{% if docker %}.dockerignore{% endif %}.jinja"
ADDED = "CHANGELOG.md.jinja"
NEW_QUESTION = """
release_tag_prefix:
  type: str
  help: Prefix of the project's release tags
  default: v
"""
USER_DELETED = ".github/workflows/ci.yml"


# ----------------------------------------------------------------------------- helpers


def run(
    args: list[str], cwd: Path, home: Path, bin_dir: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run scaffold (this checkout's, or the one in ``bin_dir``) without a terminal."""
    command = [str(bin_dir / "scaffold")] if bin_dir else scaffold_command()
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        env=isolated_env(home, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("scaffold: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[-1]


def replace_line(path: Path, old: str, new: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    assert f"{old}\n" in lines, f"{path} no longer has the line {old!r}; update this test"
    path.write_text("".join(f"{new}\n" if line == f"{old}\n" else line for line in lines))


def apply_version_b(source: Path) -> None:
    """Turn the clone into release B: B's template changes, B's version (uncommitted).

    A, this checkout's working tree, is the clone's newest commit: B's history
    finds it there as the dev version this checkout names it.
    """
    init = source / "scaffold" / "__init__.py"
    declared = f'__version__ = "{scaffold.__version__}"'
    assert declared in init.read_text()
    init.write_text(init.read_text().replace(declared, f'__version__ = "{B}"'))
    templates = source / "templates"
    replace_line(templates / GITIGNORE, CHANGED_LINE, CHANGED_LINE_B)
    (templates / "flask" / DROPPED).unlink()
    (templates / "flask" / ADDED).write_text(
        "# Changelog of {{ project_name }}\n\nReleases are tagged {{ release_tag_prefix }}1.2.3.\n"
    )
    with (templates / "copier.yml").open("a") as config:
        config.write(NEW_QUESTION)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def release_b(tmp_path_factory) -> Path:
    """The bin directory of a venv with scaffold B installed from its own wheel."""
    work = tmp_path_factory.mktemp("release-b")
    source = work / "scaffold"
    clone_working_tree(ROOT, source)
    apply_version_b(source)
    wheel = build_wheel(source, work / "dist")
    return make_venv(work / "venv", str(wheel))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """A committed Flask project generated with version A."""
    parent = tmp_path_factory.mktemp("pristine")
    result = run(["new", "shop", "-y", "--framework", "flask"], parent, parent / "home")
    assert result.returncode == 0, result.stderr
    return parent / "shop"


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def project(pristine, tmp_path) -> Path:
    """A fresh copy of the pristine project (with its git repository and .env)."""
    copy = tmp_path / "shop"
    shutil.copytree(pristine, copy, symlinks=True)
    return copy


def edit_like_a_user(project: Path, *, same_line: bool = True) -> None:
    """The proof's user: one far edit, one same-line edit, a deleted file, a file of their own."""
    replace_line(project / ".gitignore", FAR_LINE, USER_FAR_LINE)
    if same_line:
        replace_line(project / ".gitignore", CHANGED_LINE, USER_SAME_LINE)
    (project / USER_DELETED).unlink()
    (project / "notes.md").write_text("My own notes.\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "My changes")


def answers_of(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def unmerged(project: Path) -> list[str]:
    return git(project, "diff", "--name-only", "--diff-filter=U").split()


# --------------------------------------------------------------------------- the proof


def test_history_b_extends_the_installed_history_with_the_same_ids(release_b):
    (bundle,) = release_b.parent.glob(
        "lib/python*/site-packages/scaffold/versions/templates.bundle"
    )
    with installed_history() as installed:
        assert list(bundle_versions(bundle).items())[:-1] == list(installed.commits.items())
    assert list(bundle_versions(bundle)) == [*installed.versions, B]


def test_new_projects_record_the_url_and_version(pristine):
    answers = answers_of(pristine)
    assert answers["_src_path"] == TEMPLATE_URL
    assert answers["_commit"] == f"v{A}"
    assert git(pristine, "status", "--porcelain") == ""


def test_check_update_exit_codes(project, home, release_b):
    result = run(["check-update", "--json"], project, home)
    assert result.returncode == 0, result.stderr
    expected = {"update_available": False, "current_version": A, "latest_version": A}
    assert json.loads(result.stdout) == expected
    result = run(["check-update", "--json"], project, home, release_b)
    assert result.returncode == 2, result.stderr
    expected = {"update_available": True, "current_version": A, "latest_version": B}
    assert json.loads(result.stdout) == expected
    result = run(["check-update"], project, home, release_b)
    assert result.returncode == 2
    assert f"shop is on template version {A}; {B} is installed" in result.stdout
    assert "up to date" in run(["check-update", str(project)], project.parent, home).stdout


def test_update_keeps_edits_applies_changes_and_marks_the_conflict(project, home, release_b):
    edit_like_a_user(project)
    env_before = (project / ".env").read_bytes()
    result = run(["update"], project, home, release_b)
    assert result.returncode == 1, result.stdout + result.stderr
    assert error_line(result) == (
        "scaffold: error: 1 file left with conflicts: .gitignore; "
        "resolve them (see <<<<<<< markers), then commit"
    )
    assert f"Updated shop from template version {A} to {B}" in result.stdout
    for line in ("conflict  .gitignore", "added     CHANGELOG.md", "removed   .dockerignore"):
        assert line in result.stdout
    assert "New answers: release_tag_prefix=v" in result.stdout
    gitignore = (project / ".gitignore").read_text()
    assert USER_FAR_LINE in gitignore and FAR_LINE not in gitignore  # the far edit is kept
    block = gitignore[gitignore.index("<<<<<<< before updating") :]
    assert USER_SAME_LINE in block and CHANGED_LINE_B in block and ">>>>>>> after updating" in block
    assert unmerged(project) == [".gitignore"]
    assert not (project / USER_DELETED).exists()  # the user's deletion is kept
    assert (project / "notes.md").read_text() == "My own notes.\n"
    assert not (project / ".dockerignore").exists()  # dropped by the template
    assert (project / "CHANGELOG.md").read_text().endswith("Releases are tagged v1.2.3.\n")
    answers = answers_of(project)
    assert answers["_commit"] == f"v{B}" and answers["_src_path"] == TEMPLATE_URL
    assert answers["release_tag_prefix"] == "v"
    assert (project / ".env").read_bytes() == env_before


def test_update_with_rej_files(project, home, release_b):
    edit_like_a_user(project)
    result = run(["update", "--conflict", "rej"], project, home, release_b)
    assert result.returncode == 1
    assert "1 file left with conflicts: .gitignore; resolve them (see the .rej files)" in (
        error_line(result)
    )
    gitignore = (project / ".gitignore").read_text()
    assert CHANGED_LINE_B in gitignore and USER_FAR_LINE in gitignore  # change applied, edit kept
    assert "<<<<<<<" not in gitignore
    assert USER_SAME_LINE in (project / ".gitignore.rej").read_text()
    assert not (project / USER_DELETED).exists() and (project / "notes.md").exists()
    assert not (project / ".dockerignore").exists() and (project / "CHANGELOG.md").exists()
    assert answers_of(project)["_commit"] == f"v{B}"


def test_update_without_conflicts_exits_0(project, home, release_b):
    edit_like_a_user(project, same_line=False)
    result = run(["update"], project, home, release_b)
    assert result.returncode == 0, result.stderr
    gitignore = (project / ".gitignore").read_text()
    assert CHANGED_LINE_B in gitignore and USER_FAR_LINE in gitignore
    assert "Review the changes" in result.stdout
    assert run(["check-update"], project, home, release_b).returncode == 0


def test_plain_copier_gives_the_same_tree_after_the_documented_set_up(
    project, home, tmp_path, release_b
):
    edit_like_a_user(project)
    by_copier = tmp_path / "by-copier"
    shutil.copytree(project, by_copier, symlinks=True)
    assert run(["update"], project, home, release_b).returncode == 1

    copier_home = tmp_path / "copier-home"
    source = run(["template-source", "--json"], tmp_path, copier_home, release_b)
    assert source.returncode == 0, source.stderr
    set_up = json.loads(source.stdout)
    assert set_up["url"] == TEMPLATE_URL and set_up["versions"][-1] == B
    text = run(["template-source"], tmp_path, copier_home, release_b).stdout
    assert " ".join(set_up["git_config"]) in text
    env = isolated_env(copier_home)
    subprocess.run(set_up["git_config"], env=env, check=True)
    copier = [str(release_b / "copier"), "update", "--defaults", "--quiet"]
    check = subprocess.run(
        [str(release_b / "copier"), "check-update", "--output-format", "json"],
        cwd=by_copier, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert json.loads(check.stdout)["update_available"] is True, check.stderr
    result = subprocess.run(
        copier, cwd=by_copier, env=env, capture_output=True, text=True, check=False
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert tree(by_copier) == tree(project)
    assert unmerged(by_copier) == unmerged(project) == [".gitignore"]


def test_new_questions_are_asked_on_a_terminal(project, home, release_b):
    edit_like_a_user(project, same_line=False)
    child = pexpect.spawn(
        str(release_b / "scaffold"), ["update"], cwd=str(project), encoding="utf-8", timeout=120,
        env=isolated_env(home, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm"), dimensions=(40, 120),
    )  # fmt: skip
    child.expect(r"\x1b\[\?2004h")
    child.send("\x7f" + "rel-" + "\r")  # erase the default "v"
    child.expect(pexpect.EOF)
    output = child.before
    child.close()
    assert child.exitstatus == 0, output
    assert "Prefix of the project's release tags" in output
    assert answers_of(project)["release_tag_prefix"] == "rel-"
    assert "tagged rel-1.2.3." in (project / "CHANGELOG.md").read_text()


def test_ctrl_c_at_a_new_question_changes_nothing(project, home, release_b):
    child = pexpect.spawn(
        str(release_b / "scaffold"), ["update"], cwd=str(project), encoding="utf-8", timeout=120,
        env=isolated_env(home, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm"), dimensions=(40, 120),
    )  # fmt: skip
    child.expect(r"\x1b\[\?2004h")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)
    output = child.before
    child.close()
    assert child.exitstatus == 130 and "Traceback" not in output
    assert git(project, "status", "--porcelain") == ""
    assert answers_of(project)["_commit"] == f"v{A}"


def test_a_failed_merge_puts_the_project_back(project, home, release_b):
    # B adds CHANGELOG.md; a directory of that name makes copier fail half-way.
    (project / "CHANGELOG.md").mkdir()
    (project / "CHANGELOG.md" / "keep.txt").write_text("mine\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "A directory where B puts a file")
    before = tree(project)
    result = run(["update"], project, home, release_b)
    assert result.returncode == 1
    assert "the update failed" in error_line(result)
    assert "is back at its last commit" in error_line(result)
    assert tree(project) == before
    assert git(project, "status", "--porcelain") == ""


def test_an_answer_changes_through_the_same_merge(project, home):
    edit_like_a_user(project, same_line=False)
    result = run(["update", "-d", "auth=yes"], project, home)
    assert result.returncode == 0, result.stderr
    assert f"Updated shop at template version {A}" in result.stdout
    assert answers_of(project)["auth"] is True
    assert (project / "shop" / "auth.py").is_file()
    assert USER_FAR_LINE in (project / ".gitignore").read_text()
    bin_dir = install_project(project)
    output = run_in(project, "python -m pytest -q -p no:cacheprovider", project_env(bin_dir))
    assert " passed" in output and "failed" not in output


def test_up_to_date_project_needs_nothing(project, home):
    result = run(["update"], project, home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"shop is up to date (template version {A})."
    assert git(project, "status", "--porcelain") == ""


# ------------------------------------------------------------------ projects of 0.1.0


@pytest.fixture
def project_010(tmp_path, home) -> Path:
    """A project as scaffold 0.1.0 made it: rendered from a plain folder, so with an
    absolute _src_path and no _commit, then committed."""
    released = tmp_path / "scaffold-0.1.0"
    released.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", _release_commit("0.1.0"), "templates"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(released)], input=archive, check=True)
    data = ["-d", "framework=flask", "-d", "project_name=old", "-d", "python_version=3.11"]
    copier = [sys.executable, "-m", "copier", "copy", "--defaults", "--quiet", *data]
    subprocess.run(
        [*copier, str(released / "templates"), str(tmp_path / "old")],
        env=isolated_env(home), check=True, capture_output=True,
    )  # fmt: skip
    project = tmp_path / "old"
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Initial commit from scaffold")
    return project


def _release_commit(version: str) -> str:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["hatch"]["build"]["hooks"]["custom"]["releases"][version]


def test_a_010_project_is_pointed_at_from_version(project_010, home):
    assert "_commit" not in answers_of(project_010)
    for command in (["update"], ["check-update"]):
        result = run(command, project_010, home)
        assert result.returncode == 1
        assert "adopt it once with: scaffold update --from-version 0.1.0" in error_line(result)


def test_from_version_adopts_and_updates_a_010_project(project_010, home):
    before = (project_010 / ".copier-answers.yml").read_text().splitlines()
    result = run(["update", "--from-version", "0.1.0"], project_010, home)
    assert result.returncode == 0, result.stderr
    assert git(project_010, "log", "-1", "--format=%s").strip() == (
        "Record template version 0.1.0 of scaffold, for updates"
    )
    adopted = git(project_010, "show", "HEAD:.copier-answers.yml").splitlines()
    changed = set(adopted) ^ set(before)
    assert changed == {
        before[0],  # the absolute _src_path of 0.1.0
        "_commit: v0.1.0",
        f"_src_path: {TEMPLATE_URL}",
    }
    assert answers_of(project_010)["_commit"] == f"v{A}"
    assert run(["check-update"], project_010, home).returncode == 0


def test_a_010_projects_own_ignored_compose_file_is_kept_when_the_template_adds_one(
    project_010, home
):
    """The reported case on a project made by the 0.1.0 release: later templates add
    compose.yaml, and the user's own, git-ignored one must survive the update."""
    assert not git(project_010, "ls-files", "compose.yaml")  # 0.1.0 made none
    own = "services:\n  mine:\n    image: my-own-stack\n"
    (project_010 / "compose.yaml").write_text(own)
    _ignore(project_010, "compose.yaml", untrack=False)
    result = run(["update", "--from-version", "0.1.0"], project_010, home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (project_010 / "compose.yaml").read_text() == own
    assert "kept      compose.yaml\n" in result.stdout
    assert "the template's is in NAME.new" in error_line(result)
    assert "services:" in (project_010 / "compose.yaml.new").read_text()
    assert answers_of(project_010)["_commit"] == f"v{A}"


# ------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [
        ("no-answers", "is not a scaffold project: it has no .copier-answers.yml"),
        ("other-template", "was generated from https://example.com/t.git, not from scaffold's"),
        ("no-git", "is not in a git repository"),
        ("uncommitted", "has uncommitted changes (README.md, scratch.txt)"),
        ("unknown-version", "records template version 0.1.5, which scaffold"),
        ("newer-version", "is on template version 99.0.0, newer than scaffold"),
        ("bad-commit", "records _commit 'main', which names no scaffold version"),
        ("bad-package", "package_name: '1bad' is not a valid package name"),
    ],
)
def test_update_refusals(project, home, prepare, expected):
    answers_file = project / ".copier-answers.yml"
    if prepare == "no-answers":
        answers_file.unlink()
    elif prepare == "other-template":
        answers_file.write_text(
            answers_file.read_text().replace(TEMPLATE_URL, "https://example.com/t.git")
        )
    elif prepare == "no-git":
        shutil.rmtree(project / ".git")
    elif prepare == "uncommitted":
        (project / "README.md").write_text("changed\n")
        (project / "scratch.txt").write_text("new\n")
    elif prepare == "bad-package":
        answers_file.write_text(
            answers_file.read_text().replace("package_name: shop", "package_name: 1bad")
        )
    else:
        commit = {"unknown-version": "v0.1.5", "newer-version": "v99.0.0", "bad-commit": "main"}
        answers_file.write_text(answers_file.read_text().replace(f"v{A}", commit[prepare]))
    if prepare not in ("no-git", "uncommitted"):
        git(project, "commit", "--quiet", "-am", "Prepare")
    before = tree(project)
    result = run(["update"], project, home)
    assert result.returncode == 1, result.stdout
    assert expected in error_line(result)
    if prepare == "newer-version":  # this checkout's install: pull, then reinstall it
        assert f"; upgrade scaffold (git -C {ROOT} pull && " in error_line(result)
        reinstall = "-e" if installation().editable else "--upgrade"
        assert error_line(result).endswith(f" install {reinstall} {ROOT}) and try again")
    assert tree(project) == before
    if prepare in (
        "no-answers",
        "other-template",
        "unknown-version",
        "newer-version",
        "bad-package",
    ):
        check = run(["check-update"], project, home)
        assert check.returncode == 1 and check.stdout == ""


@pytest.mark.parametrize(
    ("args", "expected", "code"),
    [
        (["-d", "framework=django"], "an update keeps the project's framework", 2),
        (["-d", "databse=postgresql"], "did you mean 'database'?", 2),
        (["-d", "database=mysql"], "database=mysql is not one of", 2),
        (["--from-version", "0.1.0"], f"already records template version {A}", 1),
        (["--conflict", "theirs"], "invalid choice: 'theirs'", 2),
    ],
)
def test_update_refuses_bad_arguments(project, home, args, expected, code):
    result = run(["update", *args], project, home)
    assert result.returncode == code
    assert expected in error_line(result)
    assert git(project, "status", "--porcelain") == ""


def test_from_version_must_be_a_known_version(project_010, home):
    result = run(["update", "--from-version", "0.0.9"], project_010, home)
    assert result.returncode == 1
    assert "--from-version 0.0.9 is not a scaffold version" in error_line(result)
    assert "_commit" not in answers_of(project_010)


def test_check_update_usage_errors_exit_1(project, home):
    for args in (["check-update", "--bogus"], ["check-update", "a", "b"]):
        result = run(args, project, home)
        assert result.returncode == 1, args
        assert "unrecognized arguments" in error_line(result)
    assert run(["check-update", str(project / "nowhere")], project, home).returncode == 1


def test_the_answers_files_of_a_project_reproduce_it(tmp_path, home):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    # --framework over the criteria's recommendation (Django): recorded as overridden.
    args = ["new", "shop", "-y", "--framework", "flask", "-d", "size=large", "-d", "builtins=yes"]
    assert run([*args, "-d", "database=postgresql"], first, home).returncode == 0
    original = first / "shop"
    record = (original / "docs" / "decisions" / "0001-framework.md").read_text()
    assert "Flask was chosen over the recommended Django" in record
    django = recommend(Answers({"size": "large", "builtins": "yes"})).scores[Framework.DJANGO]
    assert "- Overridden: yes" in record and f"| Django | {django} | recommended |" in record
    files = ["--data-file", str(original / ".copier-answers.yml")]
    files += ["--data-file", str(original / ".scaffold-answers.yml")]
    result = run(["new", "shop", "-y", *files], second, home)
    assert result.returncode == 0, result.stderr
    copy = tree(second / "shop")
    differing = {name for name, content in tree(original).items() if copy.get(name) != content}
    assert differing == {".env"}  # a fresh secret; everything else is the same
    assert set(copy) == set(tree(original))


# ------------------------------------------------------------------------- the wheel


def test_a_project_from_the_wheel_updates_after_its_venv_is_gone(tmp_path, home, release_b):
    wheel = build_wheel(ROOT, tmp_path / "dist")
    venv = tmp_path / "venv-a"
    bin_dir = make_venv(venv, str(wheel))
    result = run(["new", "svc", "-y", "--framework", "flask"], tmp_path, home, bin_dir)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "svc"
    for name, content in tree(project).items():
        text = content.decode(errors="replace")
        for machine_path in (str(venv), str(tmp_path), str(home), sys.prefix):
            assert machine_path not in text, f"{name} mentions {machine_path}"
    assert answers_of(project)["_src_path"] == TEMPLATE_URL
    shutil.rmtree(venv)
    check = run(["check-update", "--json"], project, home, release_b)
    assert check.returncode == 2 and json.loads(check.stdout)["current_version"] == A
    result = run(["update"], project, home, release_b)
    assert result.returncode == 0, result.stderr
    assert answers_of(project)["_commit"] == f"v{B}"
    assert (project / "CHANGELOG.md").is_file()


# ------------------------------------------------------------------ git configuration


def test_an_old_per_user_copy_is_brought_up_to_date(project, home, release_b):
    edit_like_a_user(project, same_line=False)
    set_up = json.loads(run(["template-source", "--json"], project, home).stdout)
    assert set_up["versions"][-1] == A
    subprocess.run(set_up["git_config"], env=isolated_env(home), check=True)
    # git prefers the configured mapping, to A's history; B refreshes that copy first.
    result = run(["update"], project, home, release_b)
    assert result.returncode == 0, result.stderr
    assert list(bundle_versions(Path(set_up["bundle"])))[-1] == B


@pytest.mark.parametrize("framework", ["django", "flask", "fastapi"])
def test_new_renders_what_the_history_holds_for_its_version(tmp_path, home, framework):
    """scaffold new renders the installed folder; copier from the bundle gives the same files."""
    result = run(["new", "svc", "-y", "--framework", framework, "--no-git"], tmp_path, home)
    assert result.returncode == 0, result.stderr
    project = tmp_path / "svc"
    data = {key: value for key, value in answers_of(project).items() if not key.startswith("_")}
    from_history = tmp_path / "from-history"
    code = (
        "import sys, plumbum, yaml, copier\n"
        "from scaffold.versions.source import TEMPLATE_URL, installed_history, installed_version\n"
        "with installed_history() as history, plumbum.local.env(**history.git_env()):\n"
        "    copier.run_copy(TEMPLATE_URL, sys.argv[1], data=yaml.safe_load(sys.argv[2]),\n"
        "        defaults=True, quiet=True, vcs_ref=sys.argv[3])\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(from_history), yaml.safe_dump(data), f"v{A}"],
        env=isolated_env(home), check=True,
    )  # fmt: skip
    ours = tree(project)
    for own in (".env", ".scaffold-answers.yml", "docs/decisions/0001-framework.md"):
        del ours[own]
    assert ours == tree(from_history)


# -------------------------------------------------------------- plain copier kept current


def _copier(project: Path, home: Path, bin_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(bin_dir / "copier"), *args], cwd=project, env=isolated_env(home),
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_check_update_keeps_plain_copier_current_after_an_upgrade(project, home, release_b):
    """The documented set-up with A, then B installed: any scaffold run in the project
    refreshes the per-user copy, and plain copier sees what scaffold sees."""
    set_up = json.loads(run(["template-source", "--json"], project, home).stdout)
    subprocess.run(set_up["git_config"], env=isolated_env(home), check=True)
    stale = _copier(project, home, release_b, "check-update", "--output-format", "json")
    assert json.loads(stale.stdout)["update_available"] is False, stale.stderr
    scaffold_says = json.loads(run(["check-update", "--json"], project, home, release_b).stdout)
    copier_says = _copier(project, home, release_b, "check-update", "--output-format", "json")
    # copier shows a version without its local part (the tree's hash).
    assert json.loads(copier_says.stdout) == {**scaffold_says, "current_version": Version(A).public}
    assert scaffold_says == {"update_available": True, "current_version": A, "latest_version": B}
    assert list(bundle_versions(Path(set_up["bundle"])))[-1] == B
    assert [p.name for p in Path(set_up["bundle"]).parent.iterdir()] == ["templates.bundle"]
    result = _copier(project, home, release_b, "update", "--defaults", "--quiet")
    assert result.returncode == 0, result.stderr
    assert answers_of(project)["_commit"] == f"v{B}"


def _history_with_other_ids(source: Path, target: Path, work: Path) -> dict[str, str]:
    """A copy of ``source`` in which version A is a commit with a parent, as copies written by
    scaffold before ids depended on the tree alone were: same version, another id, and a
    newer version than scaffold knows (which made the old rule keep the copy)."""
    clone = work / "old-style"
    git(work, "clone", "--quiet", "--mirror", str(source), str(clone))
    tree = git(clone, "rev-parse", f"v{A}^{{tree}}").strip()
    parent = git(clone, "rev-parse", "v0.1.0").strip()
    other = git(clone, "commit-tree", tree, "-p", parent, "-m", f"Templates of scaffold {A}")
    git(clone, "tag", "--force", f"v{A}", other.strip())
    git(clone, "tag", "v9.0.0", other.strip())  # and a version newer than any installed
    target.parent.mkdir(parents=True, exist_ok=True)
    git(clone, "bundle", "create", "--quiet", str(target), "--tags", "--branches")
    return bundle_versions(target)


def test_a_copy_that_names_a_version_differently_is_no_dead_end(project, home, tmp_path, release_b):
    edit_like_a_user(project, same_line=False)
    set_up = json.loads(run(["template-source", "--json"], project, home).stdout)
    subprocess.run(set_up["git_config"], env=isolated_env(home), check=True)
    with installed_history() as history:
        old = _history_with_other_ids(history.bundle, Path(set_up["bundle"]), tmp_path)
        assert old[A] != history.commits[A]
    result = run(["update"], project, home, release_b)
    assert result.returncode == 0, result.stderr
    assert answers_of(project)["_commit"] == f"v{B}"
    with installed_history() as history:
        held = bundle_versions(Path(set_up["bundle"]))
        assert held.items() >= history.commits.items()  # ours won the version both name
    assert held["9.0.0"] == old["9.0.0"]  # and the copy keeps what it held beyond it


def test_a_mapping_to_another_history_is_named_with_the_fix(project, home, release_b, tmp_path):
    with installed_history() as history:
        elsewhere = tmp_path / "elsewhere.bundle"
        shutil.copyfile(history.bundle, elsewhere)
    subprocess.run(
        ["git", "config", "--global", f"url.{elsewhere}.insteadOf", TEMPLATE_URL],
        env=isolated_env(home), check=True,
    )  # fmt: skip
    result = run(["update"], project, home, release_b)
    assert result.returncode == 1
    line = error_line(result)
    assert f"git does not reach template version {B} through {TEMPLATE_URL}" in line
    assert f"your global git configuration maps it to {elsewhere}" in line
    assert git(project, "status", "--porcelain") == ""
    fix = line.split("point it at scaffold's copy with: ", 1)[1]
    source = json.loads(run(["template-source", "--json"], project, home, release_b).stdout)
    assert source["configured"] is False and source["fix"] == [fix]
    subprocess.run(["sh", "-c", fix], env=isolated_env(home), check=True)
    assert json.loads(run(["template-source", "--json"], project, home).stdout)["configured"]
    assert "Plain copier is set up" in run(["template-source"], project, home).stdout
    assert run(["update"], project, home, release_b).returncode == 0


def test_template_source_on_a_full_disk_leaves_no_partial_file(tmp_path, home):
    with tmpfs(tmp_path / "disk", "64k") as disk:
        env = isolated_env(home, XDG_DATA_HOME=str(disk))
        target = disk / "scaffold" / "templates.bundle"
        target.parent.mkdir()
        old = b"# v2 git bundle\n\n"  # an old copy holding nothing: to be replaced
        target.write_bytes(old)
        result = subprocess.run(
            [*scaffold_command(), "template-source"], cwd=tmp_path, env=env,
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 1
        assert error_line(result) == (
            f"scaffold: error: cannot write {target}: No space left on device"
        )
        assert list((disk / "scaffold").iterdir()) == [target]
        assert target.read_bytes() == old


# ---------------------------------------------------------------- changed answers


@pytest.mark.e2e
@pytest.mark.postgres
@needs_postgres
def test_an_answer_change_brings_env_along_and_prints_the_next_steps(
    tmp_path, home, postgres_database
):
    package = postgres_database.rsplit("/", 1)[1]  # .env names the database after the package
    assert run(["new", package, "-y", "--framework", "flask"], tmp_path, home).returncode == 0
    project = tmp_path / package
    result = run(["update", "-d", "database=postgresql"], project, home)
    assert result.returncode == 0, result.stderr
    url = f"postgresql://postgres:postgres@localhost:5432/{package}"
    assert "Changed answers: database: sqlite -> postgresql" in result.stdout
    assert f"Updated .env: set DATABASE_URL={url} (it held the old answers' value)" in (
        result.stdout
    )
    assert f"DATABASE_URL={url}\n" in (project / ".env").read_text()
    assert (project / ".env").stat().st_mode & 0o777 == 0o600
    # The same next steps as scaffold new prints for a PostgreSQL project of that name.
    (tmp_path / "fresh").mkdir()
    fresh = run(["new", package, "-y", "--framework", "flask", "-d", "database=postgresql"],
                tmp_path / "fresh", home)  # fmt: skip
    steps = result.stdout[result.stdout.index("Next steps:") :]
    assert steps == fresh.stdout[fresh.stdout.index("Next steps:") :].replace(
        f"  cd {package}\n", ""
    )
    # The migrations they name run against the server .env now points at.
    bin_dir = install_project(project)
    migrate = next(line.strip() for line in steps.splitlines() if "db upgrade" in line)
    run_in(project, migrate, project_env(bin_dir, DATABASE_URL=None))


def test_an_edited_env_line_is_named_and_left_alone(project, home):
    env_file = project / ".env"
    replace_line(env_file, "DATABASE_URL=sqlite:///shop.sqlite3", "DATABASE_URL=sqlite:///mine.db")
    before = env_file.read_bytes()
    result = run(
        ["update", "-d", "database=postgresql", "-d", "postgres_version=16"], project, home
    )
    assert result.returncode == 0, result.stderr
    assert env_file.read_bytes() == before
    assert (
        "Edit .env yourself: DATABASE_URL holds your own value; for the new answers scaffold new "
        "writes DATABASE_URL=postgresql://postgres:postgres@localhost:5432/shop"
    ) in result.stdout
    assert "docker run -d --name shop-db" in result.stdout and "postgres:16" in result.stdout


@pytest.mark.parametrize("kind", ["huge", "fifo", "binary"])
def test_an_env_file_scaffold_cannot_read_is_named_and_left_alone(project, home, kind):
    """The merge is done whatever .env is: read bounded, never whole, never waited on."""
    env_file = project / ".env"
    env_file.unlink()
    if kind == "huge":  # sparse: 800 MB on paper, no disk
        with env_file.open("wb") as stream:
            stream.truncate(800 * 1024 * 1024)
        reason = "larger than 256 KiB"
    elif kind == "fifo":
        os.mkfifo(env_file)
        reason = "not a regular file"
    else:
        env_file.write_bytes(b"DATABASE_URL=\xff\xfe\n")
        reason = "not UTF-8 text"
    result = run(["update", "-d", "database=postgresql"], project, home)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert answers_of(project)["database"] == "postgresql"
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("Edit .env")]
    assert line.startswith(f"Edit .env yourself: scaffold left it alone ({reason}")
    assert line.endswith("writes DATABASE_URL=postgresql://postgres:postgres@localhost:5432/shop")


# ------------------------------------------------------- bytes git does not hold


OUTSIDE = "outside.txt"


def _ignore(project: Path, *paths: str, untrack: bool = True) -> None:
    """Make ``paths`` git-ignored (and no longer tracked) in a commit of the user's."""
    with (project / ".gitignore").open("a") as gitignore:
        gitignore.write("".join(f"/{path}\n" for path in paths))
    if untrack:
        git(project, "rm", "--quiet", "--cached", "-r", "--", *paths)
    git(project, "add", ".gitignore")
    git(project, "commit", "--quiet", "-m", "Keep these files to myself")


def _prepare_unheld(project: Path, case: str) -> list[str]:
    """Put bytes git does not hold where release B writes; the paths the user owns."""
    if case == "ignored-file-b-adds":
        (project / "CHANGELOG.md").write_text("My own changelog.\n")
        (project / ".git" / "info" / "exclude").write_text("CHANGELOG.md\n")
        return ["CHANGELOG.md"]
    if case in ("ignored-edited-dockerfile", "ignored-edited-compose"):
        name = "Dockerfile" if case.endswith("dockerfile") else "compose.yaml"
        _ignore(project, name)
        (project / name).write_text((project / name).read_text() + "# my local change\n")
        return [name]
    if case == "ignored-edited-file-b-drops":
        _ignore(project, ".dockerignore")
        (project / ".dockerignore").write_text("my own ignores\n")
        return [".dockerignore"]
    if case == "ignored-directory-in-the-way":
        (project / "CHANGELOG.md").mkdir()
        (project / "CHANGELOG.md" / "2026.md").write_text("mine\n")
        _ignore(project, "CHANGELOG.md", untrack=False)
        return ["CHANGELOG.md"]
    if case == "ignored-symlink-out-of-the-project":
        (project.parent / OUTSIDE).write_text("not the project's\n")
        (project / "CHANGELOG.md").symlink_to(project.parent / OUTSIDE)
        _ignore(project, "CHANGELOG.md", untrack=False)
        return ["CHANGELOG.md"]
    assert case == "tracked-directory-link", case
    shutil.move(project / ".github", project.parent / "shared-github")
    (project / ".github").symlink_to(project.parent / "shared-github")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Share the CI configuration")
    return [".github"]


def _owned(project: Path, paths: list[str]) -> dict[str, str]:
    """The user's entries and everything outside the project, links not followed."""
    outside = {
        f"../{name}": value
        for name, value in snapshot(project.parent).items()
        if not name.startswith((project.name, "home"))
    }
    inside = {}
    for path in paths:
        place = project / path
        if place.is_symlink():
            inside[path] = f"link to {place.readlink()}"
        elif place.is_dir():
            inside.update({f"{path}/{name}": value for name, value in snapshot(place).items()})
        else:
            inside[path] = place.read_text()
    return {**outside, **inside}


@pytest.mark.parametrize(
    ("case", "template_beside"),
    [
        ("ignored-file-b-adds", "CHANGELOG.md.new"),
        # Untracked since A, so copier takes the file as deleted by the user: nothing to add.
        ("ignored-edited-dockerfile", None),
        ("ignored-edited-compose", None),
        ("ignored-edited-file-b-drops", None),
        ("ignored-directory-in-the-way", "CHANGELOG.md.new"),
        ("ignored-symlink-out-of-the-project", "CHANGELOG.md.new"),
    ],
)
def test_update_never_writes_over_bytes_git_does_not_hold(
    project, home, release_b, case, template_beside
):
    owned_paths = _prepare_unheld(project, case)
    before = _owned(project, owned_paths)
    env_before = (project / ".env").read_bytes()
    result = run(["update"], project, home, release_b)
    assert _owned(project, owned_paths) == before  # every byte, inside and outside
    assert (project / ".env").read_bytes() == env_before
    assert answers_of(project)["_commit"] == f"v{B}"
    if template_beside is None:  # nothing of the template's is due at that path
        assert result.returncode == 0, result.stdout + result.stderr
        assert not list(project.glob("*.new"))
        return
    assert result.returncode == 1, result.stdout + result.stderr
    (kept,) = owned_paths
    assert f"kept      {kept}\n" in result.stdout
    line = error_line(result)
    assert "left with conflicts: " in line and kept in line.split("conflicts: ")[1]
    assert "the template's is in NAME.new" in line
    beside = project / template_beside
    assert beside.is_file() and not beside.is_symlink()
    assert beside.read_text().endswith("Releases are tagged v1.2.3.\n")
    assert not list((project / ".git").glob("scaffold-update-aside-*"))


def test_a_committed_link_to_a_directory_is_refused_before_copier_writes(project, home, release_b):
    owned = _prepare_unheld(project, "tracked-directory-link")
    before, owned_before = tree(project), _owned(project, owned)
    result = run(["update"], project, home, release_b)
    assert result.returncode == 1
    assert error_line(result).startswith(
        "scaffold: error: .github is a symbolic link to a directory ("
    )
    assert "the update would write through it" in error_line(result)
    assert tree(project) == before and _owned(project, owned) == owned_before
    assert git(project, "status", "--porcelain") == ""


def test_an_untracked_file_where_the_template_writes_is_refused(project, home, release_b):
    (project / "CHANGELOG.md").write_text("mine\n")
    result = run(["update"], project, home, release_b)
    assert result.returncode == 1
    assert "has uncommitted changes (CHANGELOG.md)" in error_line(result)
    assert (project / "CHANGELOG.md").read_text() == "mine\n"


def test_a_failed_merge_gives_back_what_git_does_not_hold(project, home, release_b):
    # B adds CHANGELOG.md; a committed directory of that name makes copier fail half-way,
    # while an ignored compose.yaml was set aside.
    owned = _prepare_unheld(project, "ignored-edited-compose")
    (project / "CHANGELOG.md").mkdir()
    (project / "CHANGELOG.md" / "keep.txt").write_text("mine\n")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "A directory where B puts a file")
    before, owned_before = tree(project), _owned(project, owned)
    result = run(["update"], project, home, release_b)
    assert result.returncode == 1
    assert "is back at its last commit" in error_line(result)
    assert tree(project) == before and _owned(project, owned) == owned_before
    assert not (project / "compose.yaml.new").exists()


# ------------------------------------------------------------ one update at a time


def _held(directory: Path) -> bool:
    """True while another process holds scaffold's lock on ``directory``."""
    import fcntl

    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
    return False


def _update_in_progress(
    project: Path, home: Path, release_b: Path
) -> tuple[subprocess.Popen[str], Path, subprocess.CompletedProcess[str]]:
    """An update of ``project`` that holds its lock now; a copy and what one update alone makes."""
    edit_like_a_user(project)
    alone = project.parent / "alone"
    shutil.copytree(project, alone, symlinks=True)
    expected = run(["update"], alone, home, release_b)
    first = subprocess.Popen(
        [str(release_b / "scaffold"), "update"], cwd=project, env=isolated_env(home),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    while not _held(project):
        assert first.poll() is None, first.communicate()
        time.sleep(0.02)
    return first, alone, expected


def test_a_second_update_at_once_refuses_and_touches_nothing(project, home, release_b):
    first, alone, expected = _update_in_progress(project, home, release_b)
    second = run(["update"], project, home, release_b)
    out, err = first.communicate(timeout=300)
    assert second.returncode == 1
    assert error_line(second) == (
        f"scaffold: error: another scaffold run is updating or writing into {project}; "
        "wait for it to finish, then run scaffold update again"
    )
    assert second.stdout == ""
    # The first run's report is true: the project is what one update alone makes of it.
    assert (first.returncode, out) == (
        expected.returncode,
        expected.stdout.replace("alone", "shop"),
    )
    assert err.splitlines()[-1] == expected.stderr.splitlines()[-1]
    assert tree(project) == tree(alone)
    assert unmerged(project) == unmerged(alone) == [".gitignore"]


def test_new_force_into_a_project_being_updated_refuses_and_touches_nothing(
    project, home, release_b
):
    first, alone, _expected = _update_in_progress(project, home, release_b)
    forced = run(["new", project.name, "-y", "--force", "--no-git"], project.parent, home)
    first.communicate(timeout=300)
    assert forced.returncode == 1, forced.stderr
    assert error_line(forced).startswith(
        f"scaffold: error: another scaffold run is writing into {project.name}; wait for it"
    )
    assert tree(project) == tree(alone)


def test_two_projects_of_one_repository_update_at_once(pristine, home, tmp_path, release_b):
    """Each update sets the ignored .env aside in the one git directory; neither takes the
    other's for what a killed run left, and both merge."""
    repository = tmp_path / "services"
    for name in ("shop", "depot"):
        shutil.copytree(pristine, repository / name, symlinks=True)
        shutil.rmtree(repository / name / ".git")
    git(repository, "init", "--quiet")
    git(repository, "add", "--all")
    git(repository, "commit", "--quiet", "-m", "Two services")
    first = subprocess.Popen(
        [str(release_b / "scaffold"), "update"], cwd=repository / "shop", env=isolated_env(home),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    while not list((repository / ".git").glob("scaffold-update-aside-*")):
        assert first.poll() is None, first.communicate()
        time.sleep(0.01)
    os.kill(first.pid, signal.SIGSTOP)  # shop's .env waits in the git directory meanwhile
    try:
        second = run(["update"], repository / "depot", home, release_b)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=300)
    assert second.returncode == 0, second.stderr
    assert first.returncode == 0, err
    for report in (out, second.stdout):  # both projects are named shop in their answers
        assert report.startswith("Updated shop from template version"), report
    for name in ("shop", "depot"):
        assert (repository / name / "CHANGELOG.md").is_file()  # what release B adds
        assert (repository / name / ".env").read_text() == (pristine / ".env").read_text()
    assert not list((repository / ".git").glob("scaffold-update-aside-*"))


# --------------------------------------------------------- any spelling of the path


@pytest.mark.parametrize("spelling", ["../shop", "..", "link", "link/", "./shop/../shop"])
def test_any_spelling_of_the_project_directory_works_as_cd_does(
    project, home, tmp_path, release_b, spelling
):
    edit_like_a_user(project, same_line=False)
    (tmp_path / "link").symlink_to(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = {"../shop": elsewhere, "..": project / "shop"}.get(spelling, tmp_path)
    check = run(["check-update", "--json", spelling], cwd, home, release_b)
    assert check.returncode == 2, check.stderr
    assert json.loads(check.stdout)["current_version"] == A
    result = run(["update", spelling], cwd, home, release_b)
    assert result.returncode == 0, result.stderr
    assert f"Updated shop from template version {A} to {B}" in result.stdout
    assert answers_of(project)["_commit"] == f"v{B}"
    assert (project / "CHANGELOG.md").is_file() and (tmp_path / "link").is_symlink()


# ------------------------------------------------------------ signals mid-update


@pytest.mark.parametrize(("number", "delay"), [(2, 1.0), (15, 2.5), (2, 4.0), (15, 6.0)])
def test_an_interrupted_update_leaves_no_temporary_directory(
    project, home, tmp_path, release_b, number, delay
):
    edit_like_a_user(project)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    before = tree(project)
    child = subprocess.Popen(
        [str(release_b / "scaffold"), "update"], cwd=project,
        env=isolated_env(home, TMPDIR=str(scratch)), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(delay)
    child.send_signal(number)
    _out, err = child.communicate(timeout=120)
    assert "Traceback" not in err
    assert list(scratch.iterdir()) == []
    if child.returncode == 128 + number:  # stopped mid-way: back at the last commit
        assert tree(project) == before
        assert git(project, "status", "--porcelain") == ""
    else:  # the signal came after the merge: a whole update, reported as such
        assert child.returncode == 1 and "left with conflicts" in err, err
    assert not list((project / ".git").glob("scaffold-update-aside-*"))


# ------------------------------------------------------- adoption with a failing hook


def test_adoption_with_a_failing_commit_hook_changes_nothing(project_010, home, tmp_path):
    answers_before = (project_010 / ".copier-answers.yml").read_bytes()
    head = git(project_010, "rev-parse", "HEAD")
    hook = failing_git_env(tmp_path, "echo 'no commits today' >&2; exit 1")
    hook_config = {key: hook[key] for key in hook if key.startswith("GIT_CONFIG_")}
    result = run(["update", "--from-version", "0.1.0"], project_010, home, **hook_config)
    assert result.returncode == 1
    assert "recording the template version failed" in error_line(result)
    assert "old is unchanged" in error_line(result)
    assert (project_010 / ".copier-answers.yml").read_bytes() == answers_before
    assert git(project_010, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(project_010, "diff", "--cached", "--name-only") == ""
    assert git(project_010, "rev-parse", "HEAD") == head
    # Without the hook, adoption and the update work as if nothing had happened.
    result = run(["update", "--from-version", "0.1.0"], project_010, home)
    assert result.returncode == 0, result.stderr
    assert answers_of(project_010)["_commit"] == f"v{A}"
