"""The window at 1366 x 768: every built-in chain's parameter form gets its room, scrolls when it must, and no
parameter widget is clipped or overlaps another, or the seed row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from gui_adapters import write_adapter
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QApplication, QGroupBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from a2i_studio.gui.main_window import MainWindow

LAPTOP = (1366, 768 - 40)  # a 1366 x 768 screen less a panel or task bar


@pytest.fixture
def laptop_window(start_window: Callable[..., MainWindow], app_dirs: dict[str, Path], qtbot: QtBot) -> MainWindow:
    """A window at a laptop's size, with an adapter file for each Stable Diffusion text space, so that every
    built-in generator's form can be shown."""
    for space, adapter_id in (("clip-text/sd15", "mlp-vggish-sd15"), ("clip-text/sd21", "mlp-vggish-sd21"),
                              ("sd3-text", "mlp-vggish-sd3")):
        write_adapter(app_dirs["models"], adapter_id, "vggish", "vggish", space)
    window = start_window()
    window.resize(*LAPTOP)
    qtbot.waitUntil(lambda: window.size().toTuple() == LAPTOP)
    return window


def _in(widget: QWidget, ancestor: QWidget) -> QRect:
    """``widget``'s rectangle in ``ancestor``'s coordinates."""
    return QRect(widget.mapTo(ancestor, QPoint(0, 0)), widget.size())


def _rows(group: QGroupBox) -> Iterator[QWidget]:
    """The labels and editors of a component's form, as laid out."""
    for child in group.findChildren(QWidget):
        if child.isVisibleTo(group) and child.parentWidget() is not None and child.parentWidget().layout() is not None \
                and (isinstance(child, QLabel) or child in _editors(group)):
            yield child


def _editors(group: QGroupBox) -> list[QWidget]:
    forms = [form for form in group.findChildren(QWidget) if hasattr(form, "editors")]
    return [editor for form in forms for editor in form.editors.values()]  # type: ignore[attr-defined]


def test_every_builtin_chain_fits_a_laptop_without_clipping_or_overlap(laptop_window: MainWindow, qtbot: QtBot) -> None:
    window = laptop_window
    panel, backend = window.chain_panel, window.backend
    assert panel is not None and backend is not None
    assert window.minimumSizeHint().width() <= 1280 and window.minimumSizeHint().height() <= 720 - 40
    builtin = {record.name for record in backend.plugins.records if record.source == "builtin"}
    chains = [chain for chain in panel.chains
              if all(backend.plugins.registry.plugin_of(component) in builtin for component in chain.components)]
    generators = {chain.generator.id for chain in chains}
    assert {"aegan", "pixel", "unclip", "sd15", "sd21", "sd3", "sd-turbo", "sd15-lcm"} <= generators
    scroll = panel.forms_scroll
    for chain in chains:
        assert panel.select_chain(chain.id)
        QApplication.processEvents()
        QApplication.processEvents()
        # 1. The panel has at least the room it asks for, and the form's area is a real one.
        assert panel.height() >= panel.minimumSizeHint().height(), chain.id
        assert scroll.viewport().height() >= 240, (chain.id, scroll.viewport().height())
        # 2. The form scrolls up and down, never sideways, and never runs under the seed row or the buttons.
        box = panel.forms_box
        assert box.width() <= scroll.viewport().width(), chain.id
        assert not scroll.horizontalScrollBar().isVisible(), chain.id
        form_area = _in(scroll, panel)
        for below in (panel.seed_mode, panel.seed, panel.batch, panel.generate_button):
            assert not form_area.intersects(_in(below, panel)), (chain.id, below)
        # 3. Each component's group, its heading and its rows: all given their minimum size, none overlapping.
        groups = [group for group in box.findChildren(QGroupBox) if group.isVisibleTo(box)]
        assert len(groups) == len(chain.components), chain.id
        rects = [_in(group, box) for group in groups]
        for index, rect in enumerate(rects):
            assert all(not rect.intersects(other) for other in rects[index + 1:]), chain.id
        for group in groups:
            rows = list(_rows(group))
            assert rows, (chain.id, group.title())
            title_bottom = group.fontMetrics().height()  # the heading is drawn in the group's top band
            for row in rows:
                rect = _in(row, group)
                hint = row.minimumSizeHint()
                assert rect.width() >= hint.width() and rect.height() >= hint.height(), (chain.id, row)
                assert rect.top() >= title_bottom, (chain.id, group.title(), row)
                assert group.rect().contains(rect), (chain.id, group.title(), row)
            for index, row in enumerate(rows):
                for other in rows[index + 1:]:
                    if other.isAncestorOf(row) or row.isAncestorOf(other):
                        continue
                    assert not _in(row, group).intersects(_in(other, group)), (chain.id, row, other)
