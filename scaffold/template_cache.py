"""Compiled templates kept on disk: a release compiles its templates once, not at every render.

Jinja turns every template (each file, each file name, each expression of
copier.yml) into Python code before rendering it, and copier builds a new
Jinja environment for every render, so every ``scaffold new`` compiled the
whole template again: about a third of its time. The code depends only on the
source, on the Jinja and Python versions and on the environment's settings.
This cache keeps it in one file per release of scaffold, Jinja version, Python
version and set of settings, under the user's cache directory; Jinja checks
each entry against a checksum of its source, so a changed template recompiles
and a new release starts a file of its own: stale code is never run.

The cache only ever saves time: a directory that is missing, read-only or
full, or a file that is truncated or corrupt, means compiling as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING

from jinja2.bccache import Bucket, BytecodeCache

if TYPE_CHECKING:
    from jinja2 import Environment, nodes

#: Where the cache lives, instead of the user's cache directory; empty turns it off.
ENV_VARIABLE = "SCAFFOLD_CACHE_DIR"
#: Entries one cache file keeps: several times what the bundled templates need.
ENTRIES_KEPT = 4096
#: Settings of a Jinja environment that shape the code it compiles (lexer, code generator).
COMPILE_SETTINGS = (
    "block_start_string", "block_end_string", "variable_start_string", "variable_end_string",
    "comment_start_string", "comment_end_string", "line_statement_prefix",
    "line_comment_prefix", "trim_blocks", "lstrip_blocks", "newline_sequence",
    "keep_trailing_newline", "optimized", "is_async",
)  # fmt: skip


def cache_directory() -> Path | None:
    """The directory of the cache files; None when ``$SCAFFOLD_CACHE_DIR`` is set empty."""
    configured = os.environ.get(ENV_VARIABLE)
    if configured is not None:
        return Path(configured) if configured else None
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("scaffold", appauthor=False)) / "templates"


def settings_key(environment: Environment) -> str | None:
    """A digest of everything besides the source that the compiled code depends on.

    None when a setting cannot be compared between processes (a function
    deciding autoescaping), so that such an environment is never cached.
    """
    from scaffold import __version__

    autoescape = environment.autoescape
    if not isinstance(autoescape, bool):
        return None
    parts = (
        __version__,
        sys.implementation.cache_tag,
        f"{type(environment).__module__}.{type(environment).__qualname__}",
        *(repr(getattr(environment, setting)) for setting in COMPILE_SETTINGS),
        *sorted(environment.extensions),
        *sorted(environment.filters),
        *sorted(environment.tests),
        repr((environment.finalize is None, autoescape)),
    )
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


class CompiledTemplates(BytecodeCache):
    """Jinja's compiled code for one environment, read from one file and written back at the end.

    One file rather than one per template: a render reads it once, and a run
    that compiled nothing new writes nothing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries = self._read()
        #: Keys looked up or stored by this run, kept first when the file is trimmed.
        self.used: set[str] = set()
        #: Templates compiled by this run (a cold cache, or a changed template).
        self.compiled = 0

    def _read(self) -> dict[str, bytes]:
        try:
            # The user's own cache directory, trusted as Python trusts its __pycache__.
            entries = marshal.loads(self.path.read_bytes())  # noqa: S302
        except (OSError, EOFError, ValueError, TypeError):
            return {}  # no file yet, unreadable or corrupt: compile as if there were none
        if not isinstance(entries, dict):
            return {}
        return entries

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill ``bucket`` from the file; Jinja drops it when the source's checksum differs."""
        self.used.add(bucket.key)
        if (data := self.entries.get(bucket.key)) is not None:
            with contextlib.suppress(EOFError, ValueError, TypeError):
                bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the code Jinja has just compiled, to be written by :meth:`save`."""
        self.compiled += 1
        self.used.add(bucket.key)
        self.entries[bucket.key] = bucket.bytecode_to_string()

    def compile_string(
        self, environment: Environment, source: str, compile_source: Callable[[str], CodeType]
    ) -> CodeType:
        """The code of a template given as a string, which Jinja's loaders never cache."""
        bucket = self.get_bucket(
            environment, f"<string>{self.get_source_checksum(source)}", None, source
        )
        if bucket.code is None:
            bucket.code = compile_source(source)
            self.set_bucket(bucket)
        return bucket.code

    def save(self) -> None:
        """Write the file atomically when this run compiled anything; never fails."""
        if not self.compiled:
            return
        kept = sorted(self.entries, key=lambda key: key not in self.used)[:ENTRIES_KEPT]
        data = marshal.dumps({key: self.entries[key] for key in kept})
        scratch: Path | None = None
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            descriptor, name = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            scratch = Path(name)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
            scratch.replace(self.path)  # readers see the old file or the new, never half of one
        except OSError:
            if scratch is not None:
                scratch.unlink(missing_ok=True)
        else:
            self.compiled = 0


def attach(environment: Environment) -> CompiledTemplates | None:
    """Make ``environment`` read compiled templates from the cache and add the ones it compiles.

    Templates from the loader go through Jinja's own bytecode cache hook;
    templates from strings (``from_string``) through the environment's
    ``compile``. Call :meth:`CompiledTemplates.save` when the render is done.
    None, and the environment unchanged, when the cache is off or cannot apply.
    """
    directory = cache_directory()
    key = settings_key(environment)
    if directory is None or key is None:
        return None
    cache = CompiledTemplates(directory / f"{key}.marshal")
    compile_anew = environment.compile

    def compile_cached(
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> str | CodeType:
        if name is not None or raw or defer_init or not isinstance(source, str):
            return compile_anew(source, name, filename, raw, defer_init)  # type: ignore[call-overload,no-any-return]
        return cache.compile_string(environment, source, compile_anew)

    environment.bytecode_cache = cache
    environment.compile = compile_cached  # type: ignore[assignment,method-assign]
    return cache
