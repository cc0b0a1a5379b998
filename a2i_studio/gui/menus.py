"""The window's menu bar: its actions, built from a table, and File > Open Recent.

Menus know no window class: :func:`build` fills any ``QMainWindow``'s menu bar
and returns the actions by key; the window connects them to what they do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

__all__ = ["NEED_VIEWS", "build", "enable_view_actions", "fill_recent"]

NEED_VIEWS = ("undo", "redo", "zoom_in", "zoom_out", "fit", "play", "generate", "batch", "audition", "cancel",
              "plugins", "models", "train", "train_adapter", "train_lora", "welcome", "render_video", "live")
"""Actions that start disabled and work once the panels and the plugins are loaded."""

_ENTRIES: tuple[tuple[str, str, str, QKeySequence.StandardKey | str | None], ...] = (
    ("&File", "open", "&Open…", QKeySequence.StandardKey.Open),
    ("&File", "record", "&Record from microphone", None),
    ("&File", "quit", "&Quit", QKeySequence.StandardKey.Quit),
    ("&Edit", "undo", "&Undo", QKeySequence.StandardKey.Undo),
    ("&Edit", "redo", "&Redo", QKeySequence.StandardKey.Redo),
    ("&View", "zoom_in", "Zoom &in", "Ctrl+="),
    ("&View", "zoom_out", "Zoom &out", "Ctrl+-"),
    ("&View", "fit", "&Fit clip", "Ctrl+0"),
    ("&View", "play", "&Play / stop", "Ctrl+Space"),
    ("&Generate", "generate", "&Generate", "Ctrl+Return"),
    ("&Generate", "batch", "Run over &library", None),
    ("&Generate", "render_video", "Render selection as &video…", "Ctrl+Shift+R"),
    ("&Generate", "live", "&Live…", "Ctrl+L"),
    ("&Generate", "audition", "&Audition grid…", "Ctrl+Shift+A"),
    ("&Generate", "cancel", "&Cancel running job", "Ctrl+."),
    ("&Tools", "plugins", "&Plugins…", None),
    ("&Tools", "models", "&Models…", None),
    ("&Tools", "train", "&Train a model…", None),
    ("&Tools", "train_adapter", "Train &adapter…", None),
    ("&Tools", "train_lora", "Train &LoRA…", None),
    ("&Tools", "settings", "&Settings…", None),
    ("&Help", "welcome", "&Welcome…", None),
    ("&Help", "log", "Open &log file", None),
    ("&Help", "about", "&About a2i-studio", None),
)


def build(window: QMainWindow, docks: Mapping[str, QDockWidget], recent_menu: QMenu) -> dict[str, QAction]:
    """Fill ``window``'s menu bar; returns every action by key.

    Actions in :data:`NEED_VIEWS` start disabled (see :func:`enable_view_actions`); File holds
    ``recent_menu`` and View a toggle for each dock.
    """
    bar = window.menuBar()
    menus: dict[str, QMenu] = {}
    actions: dict[str, QAction] = {}
    for menu_name, key, text, shortcut in _ENTRIES:
        if menu_name not in menus:
            menus[menu_name] = bar.addMenu(menu_name)
        action = QAction(text, window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setEnabled(key not in NEED_VIEWS)
        menus[menu_name].addAction(action)
        actions[key] = action
    recent_menu.setTitle("Open &Recent")
    menus["&File"].insertMenu(actions["record"], recent_menu)
    menus["&File"].insertSeparator(actions["quit"])
    menus["&View"].addSeparator()
    for dock in docks.values():
        menus["&View"].addAction(dock.toggleViewAction())
    return actions


def enable_view_actions(actions: Mapping[str, QAction]) -> None:
    """Enable the actions of :data:`NEED_VIEWS` (their handlers are connected by now)."""
    for key in NEED_VIEWS:
        actions[key].setEnabled(True)


def fill_recent(menu: QMenu, paths: Iterable[Path], open_path: Callable[[Path], None]) -> None:
    """Refill File > Open Recent with ``paths``; choosing one calls ``open_path(path)``."""
    menu.clear()
    for path in paths:
        action = menu.addAction(path.name)
        action.setToolTip(str(path))
        action.triggered.connect(partial(open_path, path))
    menu.setEnabled(not menu.isEmpty())
