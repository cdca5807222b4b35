"""The archive cache of ``scaffold serve``, on real servers over loopback.

Whether a download was rendered is seen from the outside: the render workers
are stopped (SIGSTOP) and a cached archive still arrives, while an archive not
yet made cannot; /health counts what the cache did.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import clean_env, git_available, run_scaffold
from webserver import Response, Server, query, start_server

pytestmark = pytest.mark.xdist_group("web-cache")

ROOT = Path(__file__).resolve().parent.parent


def private_env(tmp: Path, **overrides: str) -> dict[str, str]:
    """The server's environment: its own TMPDIR, HOME and XDG directories under ``tmp``."""
    home = tmp / "home"
    return clean_env(
        TMPDIR=str(tmp / "tmp"),
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_CONFIG_HOME=str(home / "config"),
        **overrides,
    )


@contextlib.contextmanager
def cache_server(tmp: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    """``scaffold serve`` with one render worker and a short render limit, ready; then stopped."""
    env = env or private_env(tmp)
    server = start_server(Path(env["TMPDIR"]), "--workers", "1", "--timeout", "3", *args, env=env)
    try:
        server.wait_ready(1)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with cache_server(tmp_path_factory.mktemp("cache")) as running:
        yield running


@contextlib.contextmanager
def workers_stopped(server: Server) -> Iterator[None]:
    """Every render worker stopped (SIGSTOP) for the block: no render can finish meanwhile."""
    workers = server.workers()
    for pid in workers:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):  # killed past the render limit
                os.kill(pid, signal.SIGCONT)


def zip_of(server: Server, **answers: str) -> Response:
    response = server.get(f"/starter.zip?{query(**answers)}")
    assert response.status == 200, response.body[:300]
    return response


def cache(server: Server) -> dict[str, int]:
    return server.health()["cache"]


def test_a_repeated_download_is_the_same_bytes_without_a_render(server):
    first = zip_of(server, name="again", framework="flask")
    before = cache(server)
    with workers_stopped(server):
        again = zip_of(server, name="again", framework="flask")
        # The control: what is not cached cannot be made while the workers are stopped.
        missing = server.get(f"/starter.zip?{query(name='never-made')}")
    assert again.body == first.body
    assert again.headers["etag"] == first.headers["etag"]
    after = cache(server)
    assert after["hits"] == before["hits"] + 1
    assert after["renders"] == before["renders"] + 1  # only the one that could not be served
    assert missing.status == 503
    server.wait_ready(1)  # the stopped worker was killed at the render limit and replaced


def test_the_etag_names_the_archive_and_if_none_match_answers_304(server):
    response = zip_of(server, name="tagged", framework="fastapi")
    tag = response.headers["etag"]
    assert response.headers["cache-control"] == "private, no-cache"
    renders = cache(server)["renders"]
    unchanged = server.get(f"/starter.zip?{query(name='tagged', framework='fastapi')}", **{
        "If-None-Match": tag
    })  # fmt: skip
    assert unchanged.status == 304 and unchanged.body == b""
    assert unchanged.headers["etag"] == tag
    head = server.request(
        f"/starter.zip?{query(name='tagged', framework='fastapi')}", method="HEAD"
    )
    assert head.status == 200 and head.headers["etag"] == tag
    assert cache(server)["renders"] == renders
    other_format = server.get(f"/starter.tar.gz?{query(name='tagged', framework='fastapi')}")
    other_answers = zip_of(server, name="tagged", framework="flask")
    assert len({tag, other_format.headers["etag"], other_answers.headers["etag"]}) == 3
    stale = server.get(f"/starter.zip?{query(name='tagged', framework='flask')}", **{
        "If-None-Match": tag
    })  # fmt: skip
    assert stale.status == 200 and stale.body == other_answers.body


def test_concurrent_requests_for_a_missing_archive_render_it_once(server):
    count = 8
    before = cache(server)
    start = threading.Barrier(count)
    bodies: list[bytes] = []

    def one() -> None:
        start.wait()
        bodies.append(zip_of(server, name="crowd", framework="django").body)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    after = cache(server)
    assert len(bodies) == count and len(set(bodies)) == 1
    assert after["renders"] == before["renders"] + 1
    assert after["shared"] + after["hits"] == before["shared"] + before["hits"] + count - 1


def test_eviction_keeps_the_cache_within_its_bound_least_recent_first(server, tmp_path):
    names = ["evict-a", "evict-b", "evict-c"]
    archives = {name: zip_of(server, name=name).body for name in names}
    sizes = [len(body) for body in archives.values()]
    # Room for any two of the three archives, never for all three.
    limit = max(sizes[0] + sizes[1], sizes[1] + sizes[2], sizes[0] + sizes[2])
    assert limit < sum(sizes)
    with cache_server(tmp_path, "--cache-size", str(limit)) as small:
        steps = [
            ("evict-a", "renders"),
            ("evict-b", "renders"),
            ("evict-c", "renders"),  # a goes, the least recently used
            ("evict-b", "hits"),
            ("evict-a", "renders"),  # c goes now: b was used after it
            ("evict-b", "hits"),
            ("evict-c", "renders"),
        ]
        for name, counted in steps:
            before = cache(small)
            # Another server, the same day: the same bytes (a replica would agree).
            assert zip_of(small, name=name).body == archives[name]
            after = cache(small)
            assert after[counted] == before[counted] + 1, (name, before, after)
            assert after["entries"] == min(2, after["renders"])
            assert after["bytes"] <= after["limit"] == limit


def test_an_archive_larger_than_the_bound_is_not_kept(tmp_path):
    with cache_server(tmp_path, "--cache-size", "1K") as tiny:
        bodies = [zip_of(tiny, name="big").body for _ in range(2)]
        assert bodies[0] == bodies[1]
        assert cache(tiny) | {"renders": 2} == {
            "entries": 0, "bytes": 0, "limit": 1024, "hits": 0, "shared": 0, "renders": 2,
        }  # fmt: skip


def test_size_0_keeps_nothing_and_archives_hold_no_secret_or_timestamp(tmp_path):
    # The same answers rendered twice, nothing cached: equal bytes, so nothing random
    # (no secret key, no time of day) is in an archive, and none of them holds .env.
    env = private_env(tmp_path, SCAFFOLD_SERVE_CACHE_SIZE="0")
    with cache_server(tmp_path, env=env) as uncached:
        for framework in ["django", "flask", "fastapi"]:
            first, second = (zip_of(uncached, name="plain", framework=framework) for _ in "12")
            assert first.body == second.body
            assert first.headers["etag"] == second.headers["etag"]
            with zipfile.ZipFile(io.BytesIO(first.body)) as archive:
                names = [Path(name).name for name in archive.namelist()]
            assert ".env" not in names and ".env.example" in names
        tar_first, tar_second = (
            uncached.get(f"/starter.tgz?{query(name='plain')}").body for _ in "12"
        )
        assert tar_first == tar_second
        assert cache(uncached) == {
            "entries": 0, "bytes": 0, "limit": 0, "hits": 0, "shared": 0, "renders": 8,
        }  # fmt: skip


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--cache-size", "lots"], {}),
        (["--cache-size", "-1"], {}),
        ([], {"SCAFFOLD_SERVE_CACHE_SIZE": "12X"}),
    ],
    ids=["word", "negative", "environment"],
)
def test_a_bad_cache_size_is_a_one_line_error(tmp_path, args, env):
    result = run_scaffold(["serve", "--port", "0", *args], cwd=tmp_path, env=clean_env(**env))
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("scaffold: error: argument --cache-size: ")
    assert "is not a size" in line and "64M" in line


def checkout_copy(destination: Path) -> Path:
    """A clone of this checkout with its working tree's code and templates (not yet committed)."""
    subprocess.run(
        ["git", "clone", "-q", "--local", str(ROOT), str(destination)],
        check=True,
        capture_output=True,
    )
    for folder in ["scaffold", "templates"]:
        shutil.rmtree(destination / folder)
        shutil.copytree(
            ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    return destination


@pytest.mark.skipif(not git_available(), reason="a checkout's template version needs git")
def test_a_new_template_version_is_a_new_archive(tmp_path):
    checkout = checkout_copy(tmp_path / "checkout")
    changed = checkout / "templates" / "_shared" / "README.md.jinja"
    answers = query(name="versioned", framework="flask")
    tags = []
    for run in ["before", "after"]:
        env = private_env(tmp_path / run, PYTHONPATH=str(checkout))
        with cache_server(tmp_path / run, env=env) as running:
            asked = running.get(f"/starter.zip?{answers}", **{"If-None-Match": " ".join(tags)})
            assert asked.status == 200
            tags.append(asked.headers["etag"])
            with zipfile.ZipFile(io.BytesIO(asked.body)) as archive:
                text = archive.read("versioned/README.md").decode()
        # The next server renders a template changed since: a new version of it.
        changed.write_text(changed.read_text() + "\nA line of a newer template.\n")
    assert tags[0] != tags[1]
    assert "A line of a newer template." in text
