"""The window's shell: notice bar, docks, library and menus, built right after the first paint.

The first paint shows the bare window (title, saved size and a "Starting"
line); this shell follows in the next turn of the event loop, and the
panels that need numpy, pyqtgraph or the engine after that, in a worker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMenu, QVBoxLayout, QWidget

from a2i_studio.gui import menus, session
from a2i_studio.gui.library import LibraryPanel
from a2i_studio.gui.notices import NoticeBar

if TYPE_CHECKING:
    from a2i_studio.gui.main_window import MainWindow

__all__ = ["build"]

_AREAS = {
    "library": Qt.DockWidgetArea.LeftDockWidgetArea,
    "chain": Qt.DockWidgetArea.RightDockWidgetArea,
    "queue": Qt.DockWidgetArea.RightDockWidgetArea,
    "gallery": Qt.DockWidgetArea.BottomDockWidgetArea,
}


def build(window: MainWindow, saved: session.Saved) -> None:
    """Give ``window`` its notice bar, centre, docks (library live, the others loading) and menus.

    Restores the saved dock layout, or sizes the docks for a first start.
    """
    window.notices = NoticeBar(window)
    window.centre = QVBoxLayout()
    window.centre.setContentsMargins(0, 0, 0, 0)
    window.centre.addWidget(window.notices)
    window.centre.addWidget(QLabel("Loading…", alignment=Qt.AlignmentFlag.AlignCenter), 1)
    central = QWidget(window)
    central.setLayout(window.centre)
    window.setCentralWidget(central)
    window.library = LibraryPanel(window)
    window.docks = {}
    for key, area in _AREAS.items():
        dock = QDockWidget(key.capitalize(), window)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(
            window.library if key == "library" else QLabel("Loading…", alignment=Qt.AlignmentFlag.AlignCenter)
        )
        window.addDockWidget(area, dock)
        window.docks[key] = dock
    window.recent_menu = QMenu(window)
    window.menu_actions = menus.build(window)
    if saved.state is None or not window.restoreState(saved.state):
        docks = window.docks
        window.resizeDocks([docks["library"], docks["chain"]], [260, 360], Qt.Orientation.Horizontal)
        window.resizeDocks([docks["chain"], docks["queue"]], [600, 160], Qt.Orientation.Vertical)
        window.resizeDocks([docks["gallery"]], [320], Qt.Orientation.Vertical)
    window.setAcceptDrops(True)
