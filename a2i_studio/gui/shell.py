"""The window's shell: notice bar, centre, docks and library, built right after the first paint.

The first paint shows the bare window (title, saved size and a "Starting"
line); this shell follows in the next turn of the event loop, and the
panels that need numpy, pyqtgraph or the engine after that, in a worker.
The shell knows nothing of the window class: it builds its parts into any
``QMainWindow`` and hands them back.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QVBoxLayout, QWidget

from a2i_studio.gui.library import LibraryPanel
from a2i_studio.gui.notices import NoticeBar

__all__ = ["DOCK_AREAS", "Shell", "build"]

DOCK_AREAS = {
    "library": Qt.DockWidgetArea.LeftDockWidgetArea,
    "chain": Qt.DockWidgetArea.RightDockWidgetArea,
    "queue": Qt.DockWidgetArea.RightDockWidgetArea,
    "gallery": Qt.DockWidgetArea.BottomDockWidgetArea,
}
"""Where each dock starts, by key."""


class Shell:
    """What :func:`build` made.

    Attributes:
        notices: The notice bar, floating over the top of the centre.
        centre: The centre's layout, holding a "Loading" placeholder for the timeline.
        library: The library panel, live from the start.
        docks: ``library``, ``chain``, ``queue`` and ``gallery``; all but the library hold a placeholder.
    """

    def __init__(
        self, notices: NoticeBar, centre: QVBoxLayout, library: LibraryPanel, docks: dict[str, QDockWidget]
    ) -> None:
        self.notices, self.centre, self.library, self.docks = notices, centre, library, docks


def build(window: QMainWindow, saved_state: QByteArray | None) -> Shell:
    """Give ``window`` its notice bar, centre and docks (library live, the others loading).

    Restores ``saved_state`` (the dock layout of the last session), or sizes the docks for a
    first start in proportion to the window.
    """
    central = QWidget(window)
    centre = QVBoxLayout(central)
    centre.setContentsMargins(0, 0, 0, 0)
    centre.addWidget(QLabel("Loading…", alignment=Qt.AlignmentFlag.AlignCenter), 1)
    window.setCentralWidget(central)
    notices = NoticeBar(central)  # floats over the centre: notices never move the timeline
    library = LibraryPanel(window)
    # The right column runs the full height: the chain's parameter form needs it more than the gallery.
    window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    window.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    docks: dict[str, QDockWidget] = {}
    for key, area in DOCK_AREAS.items():
        dock = QDockWidget(key.capitalize(), window)
        dock.setObjectName(f"dock-{key}")
        dock.setWidget(library if key == "library" else QLabel("Loading…", alignment=Qt.AlignmentFlag.AlignCenter))
        window.addDockWidget(area, dock)
        docks[key] = dock
    if saved_state is None or not window.restoreState(saved_state):
        size_docks(window, docks)
    window.setAcceptDrops(True)
    return Shell(notices, centre, library, docks)


def size_docks(window: QMainWindow, docks: dict[str, QDockWidget]) -> None:
    """First-start dock sizes: the side docks take a share of the width, the gallery a share of the height.

    The chain dock gets most of the right column, so its parameter form has room; the queue keeps
    enough for its list and progress line.
    """
    width, height = window.width(), window.height()
    side = max(240, width // 5)
    window.resizeDocks([docks["library"], docks["chain"]], [side, max(340, width // 4)], Qt.Orientation.Horizontal)
    window.resizeDocks([docks["chain"], docks["queue"]], [height * 4 // 5, height // 5], Qt.Orientation.Vertical)
    window.resizeDocks([docks["gallery"]], [max(220, height * 3 // 10)], Qt.Orientation.Vertical)
