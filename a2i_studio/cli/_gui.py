"""``a2i gui``: start the desktop app (the same as ``a2i-studio``)."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gui``."""
    gui = subparsers.add_parser("gui", help="open the desktop app (same as a2i-studio)")
    gui.add_argument("files", nargs="*", type=Path, metavar="FILES", help="audio files to open")
    gui.set_defaults(func=_run_gui)


def _run_gui(args: argparse.Namespace) -> int:
    # A separate process keeps the CLI free of Qt (the faces do not import each other).
    command = [sys.executable, "-m", "a2i_studio.gui", *map(str, args.files)]
    if args.safe_mode:
        command.insert(3, "--safe-mode")
    return subprocess.call(command)
