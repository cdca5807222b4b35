"""The image of ``scaffold serve`` itself (deploy/), built and run as docs/hosting.md says.

Built from a wheel of this checkout on the stand-in Python image (no image hub
here), run read-only with /tmp as its only writable place, probed over loopback
as a reverse proxy would reach it, in two replicas that must answer alike.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from containers import (
    build_image,
    container_state,
    docker,
    logs,
    remove_container,
    remove_images,
    unique_name,
)
from generated import build_wheel
from helpers import free_port, http_get

pytestmark = [pytest.mark.docker, pytest.mark.xdist_group("docker")]

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
HOSTING = ROOT / "docs" / "hosting.md"
PROXIED_NAME = "scaffold.example.test"


def documented(pattern: str) -> str:
    """The one command line of docs/hosting.md that matches ``pattern``."""
    (line,) = [
        line.strip()
        for line in HOSTING.read_text().splitlines()
        if re.search(pattern, line) and not line.lstrip().startswith("#")
    ]
    return line


@pytest.fixture(scope="module")
def serve_image(docker_base_image, tmp_path_factory):
    """The image, built by the documented command from a copy of deploy/ and a fresh wheel."""
    context = tmp_path_factory.mktemp("serve-image") / "deploy"
    shutil.copytree(DEPLOY, context, ignore=shutil.ignore_patterns("dist"))
    build_wheel(ROOT, context / "dist")
    command = documented(r"^docker build ").split()
    tag = unique_name("scaffold-serve")
    command[command.index("-t") + 1] = tag
    command[-1] = str(context)
    build = build_image(context, command, docker_base_image)
    yield build.tag
    remove_images(build.tag)


def run_replica(tag: str) -> tuple[str, int]:
    """Start one container as the docs' ``docker run`` does, on a free loopback port."""
    name, port = unique_name("scaffold-serve"), free_port()
    run = documented(r"^docker run ").split()
    assert "--read-only" in run and "--tmpfs" in run
    image = run.index("scaffold-serve")
    options, given = [], iter(run[2:image])
    for option in given:
        if option in ("-p", "-e", "--name"):  # the port, host names and name are the test's
            next(given)
        else:
            options.append(option)
    docker(
        "run", "--name", name, "--network", "host", *options,
        "-e", f"SCAFFOLD_SERVE_PORT={port}", "-e", f"SCAFFOLD_SERVE_ALLOWED_HOSTS={PROXIED_NAME}",
        tag,
    )  # fmt: skip
    return name, port


def wait_healthy(name: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = container_state(name)
        if state.get("Health", {}).get("Status") == "healthy":
            return
        assert state["Running"], logs(name)
        time.sleep(1)
    pytest.fail(f"{name} was not healthy within {timeout}s:\n{logs(name)}")


def members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return {info.filename: opened.read(info) for info in opened.infolist()}


def test_the_image_serves_a_team_behind_a_proxy_in_replicas_that_answer_alike(serve_image):
    replicas = [run_replica(serve_image) for _ in range(2)]
    try:
        for name, _port in replicas:
            wait_healthy(name)
            user = docker("exec", name, "id", "-u").stdout.strip()
            assert user != "0"
        archives = []
        for _name, port in replicas:
            base = f"http://127.0.0.1:{port}"
            status, body = http_get(f"{base}/starter.zip?name=shop&size=large&builtins=yes")
            assert status == 200
            archives.append(members(body))
            proxied = {"Host": PROXIED_NAME}
            assert http_get(f"{base}/api/metadata", proxied)[0] == 200
            assert http_get(f"{base}/api/metadata", {"Host": "rebind.example"})[0] == 400
        assert archives[0] == archives[1]
        assert "shop/manage.py" in archives[0]
        name = replicas[0][0]
        # Nothing kept on disk: the only writable place holds the empty scratch directory.
        left = docker("exec", name, "find", "/tmp", "-mindepth", "2").stdout.split()
        assert left == [], left
        docker("stop", "--time", "30", name)
        state = container_state(name)
        assert state["ExitCode"] == 143, logs(name)  # SIGTERM, as documented
        assert "Traceback" not in logs(name)
    finally:
        for name, _port in replicas:
            remove_container(name)


def test_the_compose_file_runs_the_same_image_read_only():
    compose = shutil.which("docker-compose")
    if compose is None:
        pytest.skip("docker-compose is not installed")
    checked = subprocess.run(
        [compose, "-f", str(DEPLOY / "compose.yaml"), "config"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "read_only: true" in checked.stdout and "/tmp" in checked.stdout
    assert "SCAFFOLD_SERVE_ALLOWED_HOSTS" in checked.stdout
    assert "SCAFFOLD_SERVE_CACHE_SIZE: 64M" in checked.stdout
