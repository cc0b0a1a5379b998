"""What the window remembers between starts: layout, open clips, selected chain, recent files.

Stored with QSettings in INI format in the config folder (``A2I_CONFIG_DIR``
moves it, which keeps tests out of the user's files).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from a2i_studio import config

__all__ = ["MAX_RECENT", "Saved", "add_recent", "load", "qsettings", "recent", "save"]

MAX_RECENT = 10


class Saved:
    """The last session: clips still on disk, the selected one, the chain, and the window layout.

    A plain class rather than a dataclass: it is read before the first paint, and importing
    ``dataclasses`` there costs more than the rest of this module.
    """

    def __init__(
        self,
        clips: list[Path],
        current: Path | None,
        chain: str | None,
        geometry: QByteArray | None,
        state: QByteArray | None,
    ) -> None:
        self.clips, self.current, self.chain, self.geometry, self.state = clips, current, chain, geometry, state


def qsettings() -> QSettings:
    """The session file, ``config_dir()/gui.ini``."""
    return QSettings(str(config.config_dir() / "gui.ini"), QSettings.Format.IniFormat)


def load() -> Saved:
    """The last session, leaving out clips that were moved or deleted since."""
    settings = qsettings()
    clips = [Path(name) for name in _strings(settings.value("session/clips", []))]
    current = settings.value("session/current", "")
    geometry, state = settings.value("window/geometry"), settings.value("window/state")
    return Saved(
        clips=[path for path in clips if path.is_file()],
        current=Path(str(current)) if current and Path(str(current)).is_file() else None,
        chain=str(settings.value("session/chain", "")) or None,
        geometry=geometry if isinstance(geometry, QByteArray) else None,
        state=state if isinstance(state, QByteArray) else None,
    )


def save(
    geometry: QByteArray, state: QByteArray, clips: Iterable[Path], current: Path | None, chain: str | None
) -> None:
    """Remember the window layout, the open clips, the selected clip and chain.

    Args:
        geometry: ``QMainWindow.saveGeometry()``.
        state: ``QMainWindow.saveState()`` (docks and toolbars).
        clips: The library's clips, in order.
        current: The selected clip.
        chain: The selected chain's id; ``None`` keeps the one saved before (no chain was listed).
    """
    settings = qsettings()
    settings.setValue("window/geometry", geometry)
    settings.setValue("window/state", state)
    settings.setValue("session/clips", [str(path) for path in clips])
    settings.setValue("session/current", str(current) if current else "")
    if chain is not None:
        settings.setValue("session/chain", chain)
    settings.sync()


def recent() -> list[Path]:
    """Recently opened files, newest first."""
    return [Path(name) for name in _strings(qsettings().value("recent", []))]


def add_recent(paths: Iterable[Path]) -> None:
    """Put ``paths`` at the top of the recent files."""
    names = [str(path) for path in paths]
    kept = [name for name in _strings(qsettings().value("recent", [])) if name not in names]
    settings = qsettings()
    settings.setValue("recent", (names[::-1] + kept)[:MAX_RECENT])
    settings.sync()


def _strings(value: object) -> list[str]:
    """A QSettings list: INI files give back a single string for a one-item list."""
    if isinstance(value, str):
        return [value] if value else []
    return [str(item) for item in value] if isinstance(value, list) else []
