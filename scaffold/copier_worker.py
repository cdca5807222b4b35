"""copier's Worker as scaffold renders with it: compiled templates kept, no needless work.

:func:`run_copy` takes the arguments of :func:`copier.run_copy` that scaffold
uses and renders through a :class:`copier.Worker` that

- compiles each template once per release (:mod:`scaffold.template_cache`);
- reuses the copier.yml scaffold has already read instead of parsing it again,
  and knows the installed template folder is no git repository;
- takes the answers file's name as it is when it holds no Jinja, and then
  builds the render context once for all the files instead of once per file;
- skips copier's per-file ``git config`` call: it copies an executable bit
  into the git index of the destination, and scaffold renders into a new
  staging directory whose files no index tracks, so the call (one git process
  per file) could never change anything.

These hooks use copier's internals (``Worker``, ``Template._raw_config``), as
of the copier range scaffold requires; ``tests/test_template_cache.py`` fails
when one of them stops working.
"""

from __future__ import annotations

import copy
from collections.abc import MutableMapping
from functools import cached_property
from pathlib import Path
from typing import Any

from copier._jinja_ext import SandboxedEnvironment
from copier._main import Worker
from copier._template import Template

from scaffold import options, template_cache


class _Worker(Worker):
    """copier's Worker for fresh renders of the bundled template."""

    @cached_property
    def template(self) -> Template:
        """The template, given the configuration scaffold has read (one parse of copier.yml)."""
        template = super().template
        if Path(template.url).resolve() == options.templates_root().resolve():
            # Template._raw_config is a cached property: seeding it is what reading would do.
            template.__dict__["_raw_config"] = copy.deepcopy(options.template_config())
            # The bundled folder is no git repository's root, so copier would read it as a
            # plain folder after running git three times to find that out (a cached property).
            template.__dict__["vcs"] = None
        return template

    def _plain_answers_path(self) -> Path | None:
        """The answers file's path when it holds no Jinja (as the bundled template's); else None."""
        path = str(self.answers_file or self.template.answers_relpath)
        environment = self.jinja_env
        markers = (
            environment.block_start_string,
            environment.variable_start_string,
            environment.comment_start_string,
        )
        return None if any(marker in path for marker in markers) else Path(path)

    @property
    def answers_relpath(self) -> Path:
        """The answers file's path; rendered only when it holds Jinja (copier renders it always).

        copier asks for it once per file and renders it each time, a tenth of a render.
        """
        return self._plain_answers_path() or super().answers_relpath

    def _render_template(self) -> None:
        """Render the files with one context, built once: every answer is final by now.

        copier builds the context anew for each file and each part of a file
        name, a third of a render. A rendered answers path would change the
        shared context (copier's answers_relpath edits it), so then it does.
        """
        if self._plain_answers_path() is None:
            super()._render_template()
            return
        self.__dict__["_files_context"] = super()._render_context()
        try:
            super()._render_template()
        finally:
            del self.__dict__["_files_context"]

    def _render_context(self) -> MutableMapping[str, Any]:
        """The render context; while the files render, a copy of the one built for them."""
        kept: MutableMapping[str, Any] | None = self.__dict__.get("_files_context")
        return dict(kept) if kept is not None else super()._render_context()

    @cached_property
    def jinja_env(self) -> SandboxedEnvironment:
        """The environment copier builds, reading and keeping compiled templates in the cache."""
        environment = super().jinja_env
        self.__dict__["_compiled"] = template_cache.attach(environment)
        return environment

    def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
        """Nothing to sync: no git index tracks the files of a new staging directory."""

    def run_copy(self) -> None:
        """Render, then write what was compiled for the next render."""
        super().run_copy()
        if (compiled := self.__dict__.get("_compiled")) is not None:
            compiled.save()


def run_copy(
    src_path: str,
    dst_path: Path,
    data: dict[str, Any],
    *,
    defaults: bool,
    overwrite: bool,
    quiet: bool,
    unsafe: bool,
    cleanup_on_error: bool,
) -> None:
    """Render ``src_path`` into ``dst_path`` like :func:`copier.run_copy`, with the hooks above."""
    with _Worker(
        src_path=src_path,
        dst_path=dst_path,
        data=data,
        defaults=defaults,
        overwrite=overwrite,
        quiet=quiet,
        unsafe=unsafe,
        cleanup_on_error=cleanup_on_error,
    ) as worker:
        worker.run_copy()
