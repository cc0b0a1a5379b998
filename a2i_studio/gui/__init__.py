"""The desktop app (PySide6 + pyqtgraph), a thin view over the Qt-free engine.

``a2i-studio [FILES...]``, ``python -m a2i_studio.gui [--safe-mode] [FILES...]``
and ``a2i gui`` all run :func:`main`.
"""

from __future__ import annotations

from a2i_studio.gui.app import main

__all__ = ["main"]
