"""The desktop app (PySide6 + pyqtgraph), a thin view over the Qt-free engine.

``a2i-studio [FILES...]``, ``python -m a2i_studio.gui [--safe-mode] [FILES...]``
and ``a2i gui`` all run :func:`main`. This module imports no Qt: it first
checks that the system libraries Qt's window needs are installed, because Qt
itself aborts without them (exit 134) and names the wrong package.
"""

from __future__ import annotations

import sys

from a2i_studio.system import SystemRequirementMissing, check_window_libraries

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run the desktop app; returns the exit code (1, with one sentence on stderr, when it cannot open).

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).
    """
    try:
        check_window_libraries()
    except SystemRequirementMissing as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    from a2i_studio.gui.app import main as run_app

    return run_app(argv)
