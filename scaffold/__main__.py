"""Allow ``python -m scaffold``."""

from scaffold._cli import run

run()
