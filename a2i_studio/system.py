"""The shared libraries a2i-studio needs from the operating system, and whether they are there.

pip installs Python packages, not the system libraries that PySide6's window
and sounddevice's audio load at run time. On a Debian or Ubuntu machine
without them, Qt aborts (exit 134) with advice that names the wrong package,
and playback fails on first use. So the app checks before Qt starts
(:func:`check_window_libraries`) and ``a2i doctor`` reports the whole list.

The lists below were read from PySide6 6.12's own files with ``readelf -d``
(the ``NEEDED`` entries of Qt's core, GUI, widgets and D-Bus libraries, and of
``plugins/platforms/libqxcb.so`` with ``libQt6XcbQpa.so.6``, less Qt's own and
the C runtime's), each with the Debian/Ubuntu package that ships it; a test
reads them again from the installed PySide6. Only Linux needs them: the macOS
and Windows wheels carry their own.

A library counts as present when the dynamic loader can open it by its exact
soname, which is what Qt's loader will do a moment later.

Qt-free and light: the GUI calls this before it imports PySide6.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from a2i_studio.errors import A2IError

__all__ = [
    "AUDIO_LIBRARIES",
    "QT_GUI_LIBRARIES",
    "SYSTEM_PACKAGES",
    "XCB_LIBRARIES",
    "SharedLibrary",
    "SystemRequirementMissing",
    "apt_install_line",
    "check_window_libraries",
    "is_loadable",
    "missing",
    "uses_xcb",
    "window_libraries",
]


@dataclass(frozen=True)
class SharedLibrary:
    """One shared library by its soname, and the Debian/Ubuntu package that ships it."""

    soname: str
    apt_package: str


def _libraries(pairs: str) -> tuple[SharedLibrary, ...]:
    return tuple(SharedLibrary(*pair.split(":")) for pair in pairs.split())


QT_GUI_LIBRARIES = _libraries(
    "libGL.so.1:libgl1 libEGL.so.1:libegl1 libxkbcommon.so.0:libxkbcommon0 libfontconfig.so.1:libfontconfig1 "
    "libfreetype.so.6:libfreetype6 libglib-2.0.so.0:libglib2.0-0 libgthread-2.0.so.0:libglib2.0-0 "
    "libdbus-1.so.3:libdbus-1-3 libX11.so.6:libx11-6 libz.so.1:zlib1g libzstd.so.1:libzstd1"
)
"""What Qt's core, GUI, widgets and D-Bus libraries link on Linux: needed for any window, offscreen included."""

XCB_LIBRARIES = _libraries(
    "libxcb.so.1:libxcb1 libX11-xcb.so.1:libx11-xcb1 libxkbcommon-x11.so.0:libxkbcommon-x11-0 "
    "libxcb-cursor.so.0:libxcb-cursor0 libxcb-icccm.so.4:libxcb-icccm4 libxcb-image.so.0:libxcb-image0 "
    "libxcb-keysyms.so.1:libxcb-keysyms1 libxcb-randr.so.0:libxcb-randr0 libxcb-render.so.0:libxcb-render0 "
    "libxcb-render-util.so.0:libxcb-render-util0 libxcb-shape.so.0:libxcb-shape0 libxcb-shm.so.0:libxcb-shm0 "
    "libxcb-sync.so.1:libxcb-sync1 libxcb-util.so.1:libxcb-util1 libxcb-xfixes.so.0:libxcb-xfixes0 "
    "libxcb-xkb.so.1:libxcb-xkb1"
)
"""What Qt's xcb platform plugin (the window on an X11 desktop, and under XWayland) links."""

AUDIO_LIBRARIES = _libraries("libportaudio.so.2:libportaudio2")
"""What sounddevice opens for playback and recording (its Linux wheel does not bundle PortAudio)."""

SYSTEM_PACKAGES = ("python3-venv",)
"""Debian/Ubuntu packages the quick start needs besides the libraries (``python3 -m venv``)."""


class SystemRequirementMissing(A2IError):
    """A shared library the window needs is not installed, or there is no display to open it on."""


def is_loadable(soname: str) -> bool:
    """Whether the dynamic loader finds and opens ``soname`` (``LD_LIBRARY_PATH`` and the system paths)."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing(
    libraries: Iterable[SharedLibrary], loadable: Callable[[str], bool] = is_loadable
) -> list[SharedLibrary]:
    """The libraries of ``libraries`` that the loader cannot open, in order."""
    return [library for library in libraries if not loadable(library.soname)]


def uses_xcb(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """Whether Qt will open its window through the xcb platform here.

    That is on Linux, unless ``QT_QPA_PLATFORM`` names another platform or a
    Wayland session (``WAYLAND_DISPLAY``) lets Qt pick its Wayland plugin.
    """
    environ = os.environ if environ is None else environ
    if (platform or sys.platform) != "linux":
        return False
    requested = environ.get("QT_QPA_PLATFORM", "")
    if requested:
        return requested.split(":")[0].split(";")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def window_libraries(
    environ: Mapping[str, str] | None = None, platform: str | None = None
) -> tuple[SharedLibrary, ...]:
    """The libraries the window needs here: none off Linux, Qt GUI's, plus xcb's when xcb is used."""
    if (platform or sys.platform) != "linux":
        return ()
    return QT_GUI_LIBRARIES + (XCB_LIBRARIES if uses_xcb(environ, platform) else ())


def apt_install_line(libraries: Iterable[SharedLibrary]) -> str:
    """``sudo apt-get install ...`` for the packages of ``libraries``, each once, in order."""
    packages = dict.fromkeys(library.apt_package for library in libraries)
    return "sudo apt-get install " + " ".join(packages)


def check_window_libraries(
    environ: Mapping[str, str] | None = None, loadable: Callable[[str], bool] = is_loadable
) -> None:
    """Fail in one sentence, before Qt aborts, when the window cannot open here.

    Raises:
        SystemRequirementMissing: Naming each missing library and the command that installs it,
            or saying that no display is set when the xcb platform has none to open.
    """
    environ = os.environ if environ is None else environ
    absent = missing(window_libraries(environ), loadable)
    if absent:
        names = ", ".join(library.soname for library in absent)
        raise SystemRequirementMissing(
            f"a2i-studio's window needs {names}, which {'is' if len(absent) == 1 else 'are'} not installed; "
            f"run '{apt_install_line(absent)}' (README: System requirements)."
        )
    if uses_xcb(environ) and not environ.get("DISPLAY"):
        raise SystemRequirementMissing(
            "No display to open a2i-studio's window on: DISPLAY is not set; start it from a desktop session "
            "(or over 'ssh -X'), or use the 'a2i' command line."
        )
