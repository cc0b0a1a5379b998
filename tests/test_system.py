"""System libraries: the lists match what PySide6 links, and the app stops in one sentence without them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from a2i_studio import system
from a2i_studio.system import SharedLibrary, SystemRequirementMissing

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the system libraries are a Linux matter")

_QT_OWN_AND_C_RUNTIME = (
    "libQt6", "libicu", "libc.", "libm.", "libstdc++", "libgcc_s", "ld-linux", "libpthread", "libdl."
)


def _needed(*files: Path) -> set[str]:
    """The ``NEEDED`` sonames of ``files``, less Qt's own libraries and the C runtime's."""
    output = subprocess.run(["readelf", "-d", *map(str, files)], capture_output=True, text=True, check=True).stdout
    names = {line.split("[")[1].rstrip("]") for line in output.splitlines() if "(NEEDED)" in line}
    return {name for name in names if not name.startswith(_QT_OWN_AND_C_RUNTIME)}


@linux_only
@pytest.mark.skipif(shutil.which("readelf") is None, reason="needs readelf (binutils)")
def test_the_lists_are_what_the_installed_pyside6_links() -> None:
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    gui = _needed(*(qt / "lib" / f"libQt6{name}.so.6" for name in ("Core", "Gui", "Widgets", "DBus")))
    xcb = _needed(qt / "plugins" / "platforms" / "libqxcb.so", qt / "lib" / "libQt6XcbQpa.so.6") - gui
    assert {library.soname for library in system.QT_GUI_LIBRARIES} == gui
    assert {library.soname for library in system.XCB_LIBRARIES} == xcb


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({}, "linux", True),  # Qt still tries xcb, and fails there
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"QT_QPA_PLATFORM": "xcb:nograbs"}, "linux", True),
        ({"DISPLAY": ":0"}, "darwin", False),
        ({}, "win32", False),
    ],
)
def test_uses_xcb_follows_qts_choice(environ: dict[str, str], platform: str, expected: bool) -> None:
    assert system.uses_xcb(environ, platform) is expected
    needed = system.window_libraries(environ, platform)
    assert (system.XCB_LIBRARIES[0] in needed) is expected
    assert (system.QT_GUI_LIBRARIES[0] in needed) is (platform == "linux")


@linux_only
def test_the_loader_is_asked_by_exact_soname() -> None:
    assert system.is_loadable("libc.so.6")
    assert not system.is_loadable("libc.so.999")
    assert system.missing([SharedLibrary("libc.so.999", "libc999"), SharedLibrary("libc.so.6", "libc6")]) == [
        SharedLibrary("libc.so.999", "libc999")
    ]


@linux_only
def test_check_names_each_missing_library_with_one_apt_line() -> None:
    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}
    with pytest.raises(SystemRequirementMissing) as caught:
        system.check_window_libraries({"DISPLAY": ":0"}, loadable=lambda soname: soname not in absent)
    assert str(caught.value) == (
        "a2i-studio's window needs libxcb-icccm.so.4, libxcb-keysyms.so.1, which are not installed; "
        "run 'sudo apt-get install libxcb-icccm4 libxcb-keysyms1' (README: System requirements)."
    )
    # Offscreen, xcb's libraries are not needed; without any display, xcb has nowhere to draw.
    system.check_window_libraries({"QT_QPA_PLATFORM": "offscreen"}, loadable=lambda soname: soname not in absent)
    with pytest.raises(SystemRequirementMissing, match="DISPLAY is not set"):
        system.check_window_libraries({}, loadable=lambda soname: True)


@linux_only
def test_the_app_exits_1_with_one_sentence_before_qt_aborts(tmp_path: Path) -> None:
    # An xcb library no machine has stands in for one this machine lacks; nothing else is faked.
    program = (
        "import sys\n"
        "import a2i_studio.system as system\n"
        "system.XCB_LIBRARIES += (system.SharedLibrary('libxcb-a2i-test.so.0', 'libxcb-a2i-test0'),)\n"
        "from a2i_studio.gui import main\n"
        "code = main([])\n"
        "print('PySide6' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    env = {key: value for key, value in os.environ.items() if key not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-c", program], env={**env, "DISPLAY": ":99"}, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stdout == "False\n"  # Qt was never imported
    [line] = result.stderr.splitlines()
    assert line.startswith("error: a2i-studio's window needs ") and "libxcb-a2i-test.so.0" in line
    assert "sudo apt-get install " in line and "libxcb-a2i-test0" in line
