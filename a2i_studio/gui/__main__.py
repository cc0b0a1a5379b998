"""``python -m a2i_studio.gui [--safe-mode] [FILES...]``."""

from __future__ import annotations

import sys

from a2i_studio.gui import main

sys.exit(main())
