"""Docker for the container tests: the daemon, a stand-in Python base image, images, containers.

No image hub is reachable here, so the official ``python:3.X-slim`` image the
generated Dockerfiles name is replaced by a stand-in built from Debian's own
packages with mmdebstrap: Python, venv, pip in a virtual environment on PATH,
and the host's CA bundle and pip settings, so that pip inside a build reaches
the package index the way the host does. Every build and container uses the
host network and is reached on 127.0.0.1 only.
"""

from __future__ import annotations

import configparser
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from scaffold.answers import ci_is_set
from scaffold.frameworks import Framework

#: Debian release of the stand-in; its Python (3.11) is the one generated projects target here.
DEBIAN_SUITE = "bookworm"
STAND_IN_PYTHON = "3.11"
#: What the official slim image has besides Python: its Dockerfile installs ca-certificates,
#: netbase and tzdata (zoneinfo needs the last), and useradd comes with passwd.
STAND_IN_PACKAGES = ("python3", "python3-venv", "ca-certificates", "netbase", "tzdata", "passwd")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
#: pip settings that decide how pip reaches the index; paths on the host's disk are left out.
PIP_NETWORK_SETTINGS = (
    "index-url",
    "extra-index-url",
    "trusted-host",
    "cert",
    "client-cert",
    "proxy",
    "timeout",
    "default-timeout",
    "retries",
)
#: The classic builder: BuildKit would try to fetch its frontend image from the hub.
DOCKER_ENV = {"DOCKER_BUILDKIT": "0"}


class DockerError(RuntimeError):
    """A docker command failed; the message holds its output."""


def docker(
    *args: str, check: bool = True, timeout: float = 900, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the docker CLI with the classic builder; fail with its output unless ``check`` is off."""
    result = subprocess.run(
        ["docker", *args],
        cwd=cwd,
        env={**os.environ, **DOCKER_ENV},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise DockerError(f"docker {shlex.join(args)}:\n{result.stdout}\n{result.stderr}")
    return result


def daemon_answers() -> bool:
    """True when the docker CLI exists and a daemon answers it."""
    if shutil.which("docker") is None:
        return False
    return docker("info", check=False, timeout=30).returncode == 0


@contextlib.contextmanager
def running_daemon(log_dir: Path) -> Iterator[str | None]:
    """Make sure a Docker daemon answers; yield None, or why none could be had.

    A daemon that already runs is used and left alone. Otherwise ``dockerd`` is
    started without a bridge network (containers use the host's) and stopped
    again at the end, since this process started it.
    """
    if daemon_answers():
        yield None
        return
    dockerd = shutil.which("dockerd")
    if dockerd is None or shutil.which("docker") is None:
        yield "docker is not installed (apt-get install docker.io)"
        return
    log_path = log_dir / "dockerd.log"
    with log_path.open("wb") as log:
        daemon = subprocess.Popen(
            [dockerd, "--bridge=none", "--iptables=false"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not daemon_answers():
            if daemon.poll() is not None and not daemon_answers():
                tail = log_path.read_text(errors="replace")[-2000:]
                yield f"dockerd exited with {daemon.returncode}:\n{tail}"
                return
            if time.monotonic() > deadline:
                yield "dockerd did not answer within 60 s"
                return
            time.sleep(0.5)
        yield None
    finally:
        if daemon.poll() is None:
            daemon.terminate()
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                daemon.kill()


def host_pip_settings(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The host's pip settings that decide how it reaches the index, as pip merges them.

    Files first (system, then user, then ``PIP_CONFIG_FILE``), ``[global]`` then
    ``[install]``, and ``PIP_*`` variables last, as pip itself does.
    """
    home = Path(env.get("HOME", str(Path.home())))
    files = [
        Path("/etc/xdg/pip/pip.conf"),
        Path("/etc/pip.conf"),
        home / ".pip" / "pip.conf",
        home / ".config" / "pip" / "pip.conf",
    ]
    if env.get("PIP_CONFIG_FILE"):
        files.append(Path(env["PIP_CONFIG_FILE"]))
    settings: dict[str, str] = {}
    for path in files:
        parser = configparser.ConfigParser(interpolation=None)
        with contextlib.suppress(OSError, configparser.Error):
            parser.read(path)
        for section in ("global", "install"):
            if parser.has_section(section):
                settings.update(parser.items(section))
    for key in PIP_NETWORK_SETTINGS:
        value = env.get("PIP_" + key.upper().replace("-", "_"))
        if value:
            settings[key] = value
    return {key: value for key, value in settings.items() if key in PIP_NETWORK_SETTINGS}


def image_pip_conf(settings: Mapping[str, str]) -> str:
    """The ``pip.conf`` for the stand-in image: the host's network settings, minus local paths.

    An index on the host's disk (``file://``) does not exist inside a container.
    """
    lines = ["[global]"]
    for key, value in settings.items():
        if key in ("index-url", "extra-index-url"):
            value = " ".join(url for url in value.split() if re.match(r"https?://", url))
            if not value:
                continue
        lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class StandIn:
    """How the stand-in base image is made; its tag changes when any input does."""

    pip_conf: str
    files: tuple[Path, ...]

    @classmethod
    def for_host(cls) -> StandIn:
        settings = host_pip_settings()
        files = {CA_BUNDLE}
        if settings.get("cert"):
            files.add(Path(settings["cert"]))
        if settings.get("client-cert"):
            files.add(Path(settings["client-cert"]))
        present = tuple(sorted(path for path in files if path.is_file()))
        return cls(image_pip_conf(settings), present)

    @property
    def digest(self) -> str:
        inputs = hashlib.sha256()
        for part in (DEBIAN_SUITE, *STAND_IN_PACKAGES, self.pip_conf):
            inputs.update(part.encode() + b"\0")
        for path in self.files:
            inputs.update(str(path).encode() + b"\0" + path.read_bytes())
        return inputs.hexdigest()[:12]

    @property
    def tag(self) -> str:
        return f"scaffold-suite/python:{STAND_IN_PYTHON}-{self.digest}"

    def mmdebstrap_command(self, rootfs: Path, pip_conf: Path) -> list[str]:
        hooks = ['chroot "$1" python3 -m venv /opt/py']
        for path in self.files:
            hooks.append(f'cp {shlex.quote(str(path))} "$1"{shlex.quote(str(path))}')
        hooks.append(f'cp {shlex.quote(str(pip_conf))} "$1"/etc/pip.conf')
        return [
            "mmdebstrap",
            "--quiet",
            "--variant=apt",
            f"--include={','.join(STAND_IN_PACKAGES)}",
            *(f"--customize-hook={hook}" for hook in hooks),
            DEBIAN_SUITE,
            str(rootfs),
        ]


def image_exists(tag: str) -> bool:
    return docker("image", "inspect", tag, check=False, timeout=60).returncode == 0


def stand_in_image(cache_dir: Path) -> str:
    """The tag of the stand-in base image, built (or imported from the cached tarball) once.

    A file lock makes concurrent test processes wait for one build.
    """
    stand_in = StandIn.for_host()
    cache_dir.mkdir(parents=True, exist_ok=True)
    rootfs = cache_dir / f"python-{STAND_IN_PYTHON}-{stand_in.digest}.tar"
    with (cache_dir / "stand-in.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if image_exists(stand_in.tag):
            return stand_in.tag
        if not rootfs.exists():
            if shutil.which("mmdebstrap") is None:
                raise DockerError("mmdebstrap is not installed (apt-get install mmdebstrap)")
            with tempfile.TemporaryDirectory() as scratch:
                pip_conf = Path(scratch) / "pip.conf"
                pip_conf.write_text(stand_in.pip_conf)
                partial = Path(scratch) / "rootfs.tar"
                command = stand_in.mmdebstrap_command(partial, pip_conf)
                result = subprocess.run(
                    command, capture_output=True, text=True, timeout=900, check=False
                )
                if result.returncode != 0:
                    raise DockerError(f"{shlex.join(command)}:\n{result.stderr[-3000:]}")
                shutil.move(partial, rootfs)
        docker(
            "import",
            "--change",
            "ENV PATH=/opt/py/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            str(rootfs),
            stand_in.tag,
        )
        remove_outdated_stand_ins(stand_in, cache_dir)
        return stand_in.tag


def remove_outdated_stand_ins(current: StandIn, cache_dir: Path) -> None:
    """Remove the stand-ins (images and cached file systems) made from other inputs."""
    repository = current.tag.split(":")[0]
    listed = docker("images", "--format", "{{.Repository}}:{{.Tag}}", repository).stdout.split()
    outdated = [tag for tag in listed if tag != current.tag]
    if outdated:
        docker("image", "rm", *outdated, check=False)
    for rootfs in cache_dir.glob(f"python-{STAND_IN_PYTHON}-*.tar"):
        if current.digest not in rootfs.name:
            rootfs.unlink()


def unique_name(prefix: str) -> str:
    """A name no other test run uses, for images, containers and volumes."""
    return f"scaffold-test-{prefix}-{secrets.token_hex(4)}"


@dataclass
class Build:
    """The result of one ``docker build``: the tag and the builder's log."""

    tag: str
    log: str

    def step_was_cached(self, instruction: str) -> bool:
        """Whether the steps whose instruction starts with ``instruction`` came from the cache."""
        steps = re.split(r"^Step \d+/\d+ : ", self.log, flags=re.MULTILINE)[1:]
        matching = [step for step in steps if step.startswith(instruction)]
        assert matching, f"no step {instruction!r} in the build log:\n{self.log}"
        return all(" ---> Using cache" in step for step in matching)


def build_image(
    project: Path, argv: Sequence[str], base_image: str, *, network: str = "host"
) -> Build:
    """Run a ``docker build`` command line of the README, adapted to this machine.

    The adaptation: the stand-in as ``PYTHON_IMAGE`` and the given network. The
    build stage is built first under a tag of its own, so that its images are
    removed with the final one instead of being left dangling.
    """
    assert list(argv[:2]) == ["docker", "build"], argv
    *options, context = argv[2:]
    tag = options[options.index("-t") + 1]
    common = ["build", "--network", network, "--build-arg", f"PYTHON_IMAGE={base_image}"]
    stage = docker(*common, "--target", "build", "-t", f"{tag}-build", context, cwd=project)
    final = docker(*common, *options, context, cwd=project)
    return Build(tag, stage.stdout + final.stdout)


def remove_images(*tags: str) -> None:
    """Remove images this run built, with their build-stage images; ignore those already gone."""

    def remove(tag: str) -> None:
        docker("image", "rm", "--force", tag, f"{tag}-build", check=False, timeout=300)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(remove, tags))


def remove_leftover_layers(base_image: str) -> None:
    """Remove untagged images built on the stand-in that no image or container uses.

    The classic builder keeps an image per step; removing two images at once
    can leave the steps they shared, and nothing else builds on the stand-in.
    """
    base = docker("image", "inspect", "--format", "{{.Id}}", base_image).stdout.strip()
    listed = docker("images", "--quiet", "--no-trunc", "--filter", "dangling=true").stdout
    for image in listed.split():
        ancestor = image
        while ancestor and ancestor != base:
            ancestor = docker(
                "image", "inspect", "--format", "{{.Parent}}", ancestor, check=False
            ).stdout.strip()
        if ancestor == base:
            # Without --force: an image still in use (another run's build) stays.
            docker("image", "rm", image, check=False)


def container_state(name: str) -> dict[str, Any]:
    """Docker's ``State`` of the container, plus how often its restart policy restarted it."""
    inspected = json.loads(docker("inspect", name).stdout)[0]
    return {**inspected["State"], "RestartCount": inspected["RestartCount"]}


def exit_statuses(name: str, since: float) -> list[int]:
    """The exit status of each time the container stopped since ``since`` (a Unix time)."""
    result = docker(
        "events", "--since", str(int(since)), "--until", str(int(time.time()) + 1),
        "--filter", f"container={name}", "--filter", "event=die",
        "--format", "{{.Actor.Attributes.exitCode}}",
    )  # fmt: skip
    return [int(line) for line in result.stdout.split()]


def logs(name: str) -> str:
    result = docker("logs", name, check=False)
    return result.stdout + result.stderr


def remove_container(name: str) -> None:
    docker("rm", "--force", "--volumes", name, check=False, timeout=120)


def remove_volume(name: str) -> None:
    docker("volume", "rm", "--force", name, check=False, timeout=120)


# ---------------------------------------------------------------- fixtures


def cache_dir() -> Path:
    """Where the stand-in's root file system is kept between test runs."""
    configured = os.environ.get("SCAFFOLD_TEST_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "scaffold-tests"


class Variant(NamedTuple):
    """A generated project whose image the suite builds: a framework, its database, accounts."""

    framework: Framework
    database: str
    auth: bool = False

    @property
    def id(self) -> str:
        return f"{self.framework.value}-{self.database}" + ("-auth" if self.auth else "")

    @property
    def options(self) -> list[str]:
        """The ``scaffold new`` options that render it (besides the framework)."""
        options = ["-d", f"database={self.database}"]
        return [*options, "-d", "auth=true"] if self.auth else options


@dataclass(frozen=True)
class ProjectImage:
    """A rendered project and the image built from it with its README's command."""

    variant: Variant
    project: Path
    build: Build


@pytest.fixture(scope="session")
def docker_base_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Docker daemon that answers, and the tag of the stand-in Python image."""
    with running_daemon(tmp_path_factory.mktemp("dockerd")) as problem:
        if problem:
            if ci_is_set():
                pytest.fail(f"CI needs Docker (see .ci/run): {problem}")
            pytest.skip(problem)
        yield stand_in_image(cache_dir())


@pytest.fixture(scope="session")
def project_images(
    request: pytest.FixtureRequest,
    docker_base_image: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Variant], ProjectImage]]:
    """The image of each variant, built once; all the session needs are built in parallel.

    The first request starts the builds of every variant that a collected test
    asks for, a few at a time (most of a build is waiting for the index), so
    that later tests find their image ready.
    """
    from generated import render_project

    wanted = sorted(
        {
            item.callspec.params["variant"]
            for item in request.session.items
            if "project_image" in getattr(item, "fixturenames", ())
            and "variant" in getattr(getattr(item, "callspec", None), "params", {})
        }
    )
    built: list[str] = []

    def build(variant: Variant) -> ProjectImage:
        parent = tmp_path_factory.mktemp(variant.id)
        project = render_project(
            parent, variant.framework, *variant.options, "-d", f"python_version={STAND_IN_PYTHON}"
        )
        tag = unique_name(variant.id)
        built.append(tag)
        command = retag(readme_docker_commands(project).build, tag)
        return ProjectImage(variant, project, build_image(project, command, docker_base_image))

    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {variant: pool.submit(build, variant) for variant in wanted}

        def get(variant: Variant) -> ProjectImage:
            if variant not in futures:
                futures[variant] = pool.submit(build, variant)
            return futures[variant].result()

        try:
            yield get
        finally:
            for future in futures.values():
                future.cancel()
    remove_images(*built)
    remove_leftover_layers(docker_base_image)


@pytest.fixture
def project_image(
    project_images: Callable[[Variant], ProjectImage], variant: Variant
) -> ProjectImage:
    """The image of the test's ``variant``."""
    return project_images(variant)


# ---------------------------------------------------------- README commands


@dataclass(frozen=True)
class DockerCommands:
    """The shell commands of a generated README's "Run with Docker" section, split into words."""

    write_settings: str
    build: list[str]
    run: list[str]
    release: list[str] | None
    compose: list[str]


def readme_docker_commands(project: Path) -> DockerCommands:
    """Read the commands of the README's Docker section, in the order it gives them."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Run with Docker\n", 1)[1].split("\n## ", 1)[0]
    lines = [
        line
        for block in re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
        for line in block.splitlines()
        if line.strip()
    ]

    def one(prefix: str) -> str | None:
        found = [line for line in lines if line.startswith(prefix)]
        assert len(found) <= 1, found
        return found[0] if found else None

    def required(prefix: str) -> str:
        line = one(prefix)
        assert line, f"no {prefix!r} command in the README's Docker section:\n{section}"
        return line

    release = one("docker run --rm")
    return DockerCommands(
        write_settings=required("cp .env.example .env.production"),
        build=shlex.split(required("docker build ")),
        run=shlex.split(required("docker run -d ")),
        release=shlex.split(release) if release else None,
        compose=shlex.split(required("docker compose ")),
    )


def retag(build: Sequence[str], tag: str) -> list[str]:
    """The README's ``docker build`` with the test's own tag."""
    argv = list(build)
    argv[argv.index("-t") + 1] = tag
    return argv


#: Options of the README's ``docker run`` lines and whether they take a value.
_RUN_OPTIONS = {"-d": False, "--rm": False, "--name": True, "--restart": True,
                "--env-file": True, "-p": True, "-v": True, "-e": True}  # fmt: skip


def adapt_run(
    run: Sequence[str], *, image: str, name: str | None = None, volume: str | None = None
) -> list[str]:
    """The README's ``docker run`` for this machine: host network, the test's names.

    Published ports (``-p``) mean nothing on the host network, where the server
    listens on the ``PORT`` of ``.env.production``. Everything else is kept.
    """
    assert list(run[:2]) == ["docker", "run"], run
    adapted = ["docker", "run", "--network", "host"]
    words = list(run[2:])
    while words and words[0].startswith("-"):
        option = words.pop(0)
        assert option in _RUN_OPTIONS, f"unexpected option {option} in {shlex.join(run)}"
        value = words.pop(0) if _RUN_OPTIONS[option] else None
        if option == "-p":
            continue
        if option == "--name" and name:
            value = name
        if option == "-v" and value and volume:
            value = f"{volume}:{value.split(':', 1)[1]}"
        adapted += [option] if value is None else [option, value]
    _readme_image, *command = words
    return [*adapted, image, *command]


def write_env_file(path: Path, changes: Mapping[str, str], *, add: bool = False) -> None:
    """Edit ``KEY=value`` lines of an env file as a user would: replace values in place.

    With ``add``, a setting the file has no line for (such as one the example
    leaves commented out) gets a line at the end; without, that is a mistake.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    missing = dict(changes)
    for index, line in enumerate(lines):
        key = line.split("=", 1)[0]
        if not line.startswith("#") and key in missing:
            lines[index] = f"{key}={missing.pop(key)}"
    assert add or not missing, f"{path.name} has no line for {sorted(missing)}"
    lines += [f"{key}={value}" for key, value in missing.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
