"""Many runs racing for a few names: per name exactly one project, whole, and nothing else."""

from __future__ import annotations

import subprocess

import yaml

from helpers import clean_env, git_available, scaffold_command, staging_left

NAMES = [f"race{number}" for number in range(5)]
FRAMEWORKS = ["django", "flask", "fastapi"]
RUNS = 20
#: A file only that framework's project has, and one it must not have.
MARKERS = {
    "django": ("manage.py", "app.py"),
    "flask": ("{package}/views.py", "manage.py"),
    "fastapi": ("{package}/main.py", "manage.py"),
}


def test_twenty_concurrent_runs_into_five_names_make_five_whole_projects(workdir):
    runs = [
        (NAMES[index % len(NAMES)], FRAMEWORKS[index % len(FRAMEWORKS)]) for index in range(RUNS)
    ]
    command = [*scaffold_command(), "new"]
    processes = [
        subprocess.Popen(
            [*command, name, "-y", "--framework", framework], cwd=workdir, env=clean_env(),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name, framework in runs
    ]  # fmt: skip
    results = []
    for (name, framework), process in zip(runs, processes, strict=True):
        _out, err = process.communicate(timeout=600)
        results.append((name, framework, process.returncode, err))

    assert sorted(path.name for path in workdir.iterdir()) == NAMES
    assert staging_left(workdir) == []
    for name in NAMES:
        outcomes = [(framework, code, err) for run, framework, code, err in results if run == name]
        winners = [framework for framework, code, _err in outcomes if code == 0]
        assert len(winners) == 1, (name, outcomes)
        for _framework, code, err in outcomes:
            if code != 0:  # the losers: one line each, and (checked below) no trace left
                assert code == 1 and len(err.splitlines()) == 1, err
                assert err.startswith("scaffold: error: ") and "Traceback" not in err
        _assert_whole(workdir / name, winners[0])


def _assert_whole(project, framework):
    """The winner's project, all of it and nothing of another run's."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["framework"] == framework
    present, absent = (
        marker.format(package=answers["package_name"]) for marker in MARKERS[framework]
    )
    assert (project / present).is_file() and not (project / absent).exists()
    # Regenerating the same project over it finds every file there and identical.
    again = subprocess.run(
        [*scaffold_command(), "new", project.name, "-y", "--framework", framework, "--force",
         "--pretend"], cwd=project.parent, env=clean_env(), capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    statuses = {line.split()[0] for line in again.stdout.splitlines() if line.startswith("  ")}
    assert statuses == {"identical", "kept"}, again.stdout
    tests = [path for path in again.stdout.split() if path.startswith("tests/")]
    assert tests and all((project / path).is_file() for path in tests)
    if git_available():
        status = subprocess.run(
            ["git", "status", "--porcelain", "--ignored"], cwd=project, capture_output=True,
            text=True, check=True,
        )  # fmt: skip
        assert status.stdout == "!! .env\n"  # committed whole; only the gitignored .env beside
