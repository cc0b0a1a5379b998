"""``python -m a2i_studio.cli``."""

from __future__ import annotations

import sys

from a2i_studio.cli import main

sys.exit(main())
