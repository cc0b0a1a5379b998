"""Start-up of the desktop app: parse arguments, show the window, then load the rest.

Only Qt and this package's light modules are imported before the first
paint; numpy, pyqtgraph, the engine, plugins and torch come after it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication

from a2i_studio import __version__, config
from a2i_studio.gui.main_window import MainWindow
from a2i_studio.gui.theme import apply_theme

__all__ = ["EXIT_AFTER_PAINT", "main"]

EXIT_AFTER_PAINT = "A2I_GUI_EXIT_AFTER_PAINT"
"""When set, print ``first-paint {json}`` on stdout at first paint and quit (tests and benchmarks)."""


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="a2i-studio", description="Turn sound into pictures.")
    parser.add_argument("files", nargs="*", type=Path, metavar="FILES", help="audio or video files to open")
    parser.add_argument("--safe-mode", action="store_true", help="load built-in plugins only")
    parser.add_argument("--version", action="version", version=f"a2i-studio {__version__}")
    return parser.parse_args(argv)


def _log_to_file() -> None:
    import logging  # after the first paint, like everything the window does not need to appear

    from a2i_studio.config import log_file

    handler = logging.FileHandler(log_file(), encoding="utf-8", delay=True)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("a2i_studio").addHandler(handler)


def _report_first_paint() -> None:
    loaded = {name: name in sys.modules for name in ("torch", "numpy", "pyqtgraph")}
    print("first-paint " + json.dumps({"time": time.time(), **loaded}), flush=True)
    QApplication.quit()


_collector: object = None


def _collect_garbage_on_this_thread() -> None:
    """Collect Python's cyclic garbage on the UI thread only, from a timer (pyqtgraph's GarbageCollector).

    Left automatic, a collection runs on whichever thread happens to allocate: a job's worker
    thread can then destroy a closed dialog's Qt objects, which deadlocks with the UI thread
    (shiboken's GIL against a Qt mutex). Started after the first paint, so pyqtgraph's import
    does not delay the window.
    """
    global _collector
    from pyqtgraph.util.garbage_collector import GarbageCollector

    if _collector is None:
        _collector = GarbageCollector(interval=1.0)


def main(argv: list[str] | None = None) -> int:
    """Run the desktop app; returns the exit code.

    Args:
        argv: Arguments without the program name (default: ``sys.argv[1:]``).
    """
    args = _parse(sys.argv[1:] if argv is None else argv)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("a2i-studio")
    app.setApplicationVersion(__version__)
    apply_theme(app, config.load_settings().get("theme", "light"))
    # absolute(), not resolve(): a symbolic link loop must reach the library, which says what is wrong with it
    window = MainWindow(files=[path.absolute() for path in args.files], safe_mode=args.safe_mode)
    if os.environ.get(EXIT_AFTER_PAINT):
        window.first_painted.connect(_report_first_paint)
    window.first_painted.connect(_log_to_file)
    window.first_painted.connect(_collect_garbage_on_this_thread)
    window.show()
    code = app.exec()
    window.close()  # saves the session and waits for the workers, also when quit() ended the loop
    if window.workers_left_running:
        # Qt would wait for a stuck pool thread at exit, or abort on a running QThread: end here (it is logged).
        import logging

        logging.shutdown()
        os._exit(code)
    return code
