"""What `manage.py` and gunicorn do before anything else: load the settings.

Each error the settings raise names the environment variable to fix and how
(a weak DJANGO_SECRET_KEY, a malformed number); a traceback would bury that line.
"""

import importlib
import sys

from django.core.exceptions import ImproperlyConfigured


def load_settings(module: str) -> None:
    """Import the settings `module`, or exit with its error in one line."""
    try:
        importlib.import_module(module)
    except ImproperlyConfigured as error:
        sys.exit(f"Error: {error}")
