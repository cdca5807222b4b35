"""Allow ``python -m scaffold``."""

import sys

from scaffold._cli import main

sys.exit(main())
