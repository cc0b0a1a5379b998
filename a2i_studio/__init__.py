"""a2i-studio: turn sound into pictures.

The package is split in layers (see docs/architecture.md): ``audio`` at the bottom,
``core`` types and ``hookspecs`` above it, then the plugin manager, gallery,
training and evaluation, then the Qt-free ``engine``, and the two faces, the
``cli`` and the ``gui``. Importing this package imports nothing heavy.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
