"""Run ``scaffold serve`` for real on loopback and talk to it over HTTP, as a client would."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import clean_env, free_port, scaffold_command
from scaffold.criteria import CRITERIA
from scaffold.frameworks import Framework

# The load generator and the process-memory probe are the benchmark's own (benchmarks/serve.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from serve import children, memory_kib


@dataclass
class Response:
    """What came back: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Server:
    """A running ``scaffold serve`` process, its private TMPDIR and its log."""

    process: subprocess.Popen[bytes]
    port: int
    tmp: Path
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(
        self, path: str, *, method: str = "GET", headers: dict[str, str] | None = None,
        body: bytes | None = None, timeout: float = 60,
    ) -> Response:  # fmt: skip
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            answer = connection.getresponse()
            headers_out = {key.lower(): value for key, value in answer.getheaders()}
            return Response(answer.status, headers_out, answer.read())
        finally:
            connection.close()

    def get(self, path: str, **headers: str) -> Response:
        return self.request(path, headers=headers)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def scratch_dirs(self) -> list[Path]:
        return sorted(self.tmp.glob("scaffold-serve-*"))

    def render_dirs(self) -> list[Path]:
        """Per-render directories still on disk (there should be none between requests)."""
        return sorted(path for scratch in self.scratch_dirs() for path in scratch.iterdir())

    def workers(self) -> list[int]:
        """The process ids of the render workers (the server's child processes)."""
        return children(self.process.pid)

    def memory_kib(self) -> int:
        """Resident memory of the server and its workers together."""
        return memory_kib([self.process.pid, *self.workers()])

    def health(self) -> dict:
        return self.get("/health").json()

    def wait_ready(self, workers: int, timeout: float = 120) -> None:
        """Wait until ``workers`` render workers are up and idle."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"scaffold serve exited with {self.process.returncode}:\n{self.output()}"
                )
            with contextlib.suppress(OSError, ValueError):
                renders = self.health()["renders"]
                if renders["workers"] == workers and renders["rendering"] == 0:
                    return
            time.sleep(0.1)
        pytest.fail(f"scaffold serve had no {workers} workers after {timeout}s:\n{self.output()}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30) -> int:
        """Stop the server as a user would (Ctrl-C by default); its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.process.returncode


def start_server(tmp: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """Start ``scaffold serve`` on a free loopback port with ``tmp`` as its TMPDIR."""
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    log = tmp.parent / f"{tmp.name}-serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*scaffold_command(), "serve", "--port", str(port), *args],
            env=env or clean_env(TMPDIR=str(tmp)),
            cwd=tmp,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, port, tmp, log)


@contextlib.contextmanager
def serving(tmp: Path, *args: str, workers: int = 2) -> Iterator[Server]:
    """A server that is ready to render with ``workers`` workers; stopped afterwards."""
    server = start_server(tmp, *args, "--workers", str(workers))
    try:
        server.wait_ready(workers)
        yield server
    finally:
        server.stop()


#: Criteria that make each framework the recommended one.
CRITERIA_FOR = {
    Framework.DJANGO: {"size": "large", "builtins": "yes"},
    Framework.FLASK: {},
    Framework.FASTAPI: {"app_type": "api", "api_docs": "yes", "performance": "high"},
}
#: A file only that framework's project has.
OWN_FILE = {
    Framework.DJANGO: "manage.py",
    Framework.FLASK: "demo/views.py",
    Framework.FASTAPI: "demo/routers/health.py",
}
PAIRS = [
    pytest.param(old, new, id=f"{old.value}-{new.value}")
    for old, new in itertools.permutations(Framework, 2)
]


def criteria_of(framework: Framework) -> dict[str, str]:
    """Every criterion's radio set as the answers that recommend ``framework``."""
    return {q.key: CRITERIA_FOR[framework].get(q.key, str(q.default)) for q in CRITERIA}


def query(**answers: str) -> str:
    from urllib.parse import urlencode

    return urlencode(answers)
