"""Personal defaults: the answers a developer gives to every project, kept in one file.

The file is ``$SCAFFOLD_CONFIG`` when that is set (an empty value turns personal
defaults off), else ``$XDG_CONFIG_HOME/scaffold/config.toml``, else
``~/.config/scaffold/config.toml``. It holds one table::

    [defaults]
    author_name = "Jane Doe"
    author_email = "jane@example.com"
    license = "Apache-2.0"
    ci = "gitlab"
    database = "postgresql"
    installer = "uv"

The values become the defaults scaffold proposes (and takes under
``--defaults``); ``--data`` still wins. This module finds and reads the file;
:func:`scaffold.options.personal_defaults` checks the values against the
template's questions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scaffold import bounded
from scaffold.errors import ConfigError

ENV_VARIABLE = "SCAFFOLD_CONFIG"
SECTION = "defaults"
#: Personal defaults that are not questions of the template.
OTHER_KEYS = ("installer",)


@dataclass(frozen=True)
class UserConfig:
    """The personal defaults, and the file they came from (None: there is no file)."""

    path: Path | None = None
    defaults: Mapping[str, object] = field(default_factory=dict)

    def problem(self, message: str) -> ConfigError:
        """An error about this file, saying how to fix it."""
        return _config_error(f"{self.path}: {message}")


def _config_error(message: str) -> ConfigError:
    """``message`` about the file, with the two ways out."""
    return ConfigError(f"{message}; fix the file, or set {ENV_VARIABLE}= to ignore it")


def config_path() -> Path | None:
    """Where the personal defaults are read from; None when they are turned off."""
    explicit = os.environ.get(ENV_VARIABLE)
    if explicit is not None:
        return Path(explicit).expanduser() if explicit.strip() else None
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "scaffold" / "config.toml"


def load_user_config() -> UserConfig:
    """Read the personal defaults; a missing default file means none.

    A file named by ``$SCAFFOLD_CONFIG`` must exist; a file that is not valid
    TOML, or holds anything but a ``[defaults]`` table, is an error.
    """
    path = config_path()
    if path is None:
        return UserConfig()
    try:
        text = bounded.read_text(path, str(path), _config_error)
    except FileNotFoundError:
        if os.environ.get(ENV_VARIABLE):
            raise ConfigError(f"{ENV_VARIABLE}={path}: no such file") from None
        return UserConfig()
    config = UserConfig(path)
    data = bounded.parse_mapping(text, "toml", str(path), _config_error)
    if unknown := sorted(set(data) - {SECTION}):
        raise config.problem(
            f"unknown setting {unknown[0]!r} (personal defaults go in [{SECTION}])"
        )
    defaults = data.get(SECTION, {})
    if not isinstance(defaults, dict):
        raise config.problem(f"{SECTION} must be a table: [{SECTION}]")
    return UserConfig(path, defaults)
