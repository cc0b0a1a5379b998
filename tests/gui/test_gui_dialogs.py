"""Plugins, Models and Settings dialogs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from a2i_studio import config
from a2i_studio.gui.dialogs import ModelsDialog, PluginsDialog, SettingsDialog
from a2i_studio.gui.main_window import MainWindow


def test_broken_plugins_are_listed_as_disabled_with_their_error(
    start_window: Callable[..., MainWindow], drop_in: Callable[[str], Path]
) -> None:
    drop_in("broken_import")
    drop_in("exit_at_import")  # sys.exit(0) while importing: disabled, the app keeps going
    drop_in("broken_hook")
    drop_in("slow_import")
    window = start_window()
    texts = window.notices.texts()
    assert sum("See Tools > Plugins" in text for text in texts) == 4
    assert any(text.startswith("Plugin slow_import: importing it took") for text in texts)
    window.menu_actions["plugins"].trigger()
    dialog = window.dialogs["plugins"]
    assert isinstance(dialog, PluginsDialog) and dialog.isVisible()
    row = dialog.row("broken_import")
    assert row is not None and row.text(4) == "failed (disabled)" and row.text(3) == "drop-in"
    dialog.tree.setCurrentItem(row)
    details = dialog.details.toPlainText()
    assert "failed while importing broken_import.py: RuntimeError: this plugin is broken on purpose" in details
    assert "Traceback (most recent call last)" in details
    exiting = dialog.row("exit_at_import")
    assert exiting is not None and exiting.text(4) == "failed (disabled)"
    hook = dialog.row("broken_hook")
    assert hook is not None and hook.text(4) == "failed (disabled)" and hook.text(6) == "—"
    toy = dialog.row("toy_plugin")
    assert toy is not None and toy.text(4) == "active" and toy.text(6) == "encoder:toy-proj, generator:toy-gen"
    slow = dialog.row("slow_import")
    assert slow is not None and slow.text(4) == "active, 1 problem" and slow.text(5).endswith(" s (slow)")
    assert float(slow.text(5).split()[0]) > 1.0
    dialog.tree.setCurrentItem(slow)
    assert "Problem: importing it took" in dialog.details.toPlainText()


def test_plugins_dialog_warns_and_disabling_applies_on_the_next_start(
    start_window: Callable[..., MainWindow],
) -> None:
    window = start_window()
    window.menu_actions["plugins"].trigger()
    dialog = window.dialogs["plugins"]
    assert isinstance(dialog, PluginsDialog)
    assert any("run with your user's rights" in label.text() for label in dialog.findChildren(QLabel))
    toy = dialog.row("toy_plugin")
    assert toy is not None
    toy.setCheckState(0, Qt.CheckState.Unchecked)
    assert config.load_settings()["disabled_plugins"] == ["toy_plugin"]
    assert window.chain_panel is not None and window.chain_panel.select_chain("toy-proj>toy-gen")  # not yet
    window.close()

    restarted = start_window()
    assert restarted.backend is not None
    record = restarted.backend.plugins.record("toy_plugin")
    assert record is not None and record.status == "disabled"
    assert restarted.chain_panel is not None
    assert all("toy-proj" not in chain.id for chain in restarted.chain_panel.chains)


def test_missing_weights_are_shown_in_the_chain_panel_and_models_dialog(
    window: MainWindow, qtbot: QtBot, app_dirs: dict[str, Path]
) -> None:
    chain_panel = window.chain_panel
    assert chain_panel is not None and chain_panel.select_chain("toy-proj>weighty-gen")
    assert chain_panel.chain_combo.currentText() == "toy-proj>weighty-gen  — not ready yet"
    assert chain_panel.next_step.isVisible()
    assert chain_panel.generate_button.isEnabled()  # its model parameter could point at the user's own copy
    assert "Missing: weights gui-test-weights (1.2 kB) (not downloaded)." in chain_panel.next_step.text.text()
    assert chain_panel.select_chain("toy-proj>toy-gen")
    assert not chain_panel.next_step.isVisible() and chain_panel.generate_button.isEnabled()

    window.menu_actions["models"].trigger()
    dialog = window.dialogs["models"]
    assert isinstance(dialog, ModelsDialog)
    def weighty_row() -> QTreeWidgetItem:  # built-in plugins list their weights too
        rows = [dialog.tree.topLevelItem(index) for index in range(dialog.tree.topLevelItemCount())]
        return next(row for row in rows if row is not None and row.text(0) == "generator weighty-gen")

    row = weighty_row()
    assert [row.text(column) for column in range(4)] == [
        "generator weighty-gen",
        "gui-test-weights",
        "missing",
        "1.2 kB",
    ]
    expected = app_dirs["models"] / "checkpoints" / "gui-test.safetensors"
    assert row.text(4) == str(expected) and "a2i models download gui-test-weights" in row.toolTip(4)
    expected.parent.mkdir(parents=True)
    expected.write_bytes(b"x" * 2048)
    dialog.refresh_button.click()
    qtbot.waitUntil(lambda: weighty_row().text(2) == "found")
    row = weighty_row()
    assert (row.text(3), row.text(4)) == ("2.0 kB", str(expected))
    qtbot.waitUntil(lambda: chain_panel.chain_combo.findText("toy-proj>weighty-gen") >= 0)  # ready now
    assert chain_panel.select_chain("toy-proj>weighty-gen") and not chain_panel.next_step.isVisible()


def test_settings_are_saved_and_used(window: MainWindow, generate: Callable[[MainWindow], list]) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    window.menu_actions["settings"].trigger()
    dialog = window.dialogs["settings"]
    assert isinstance(dialog, SettingsDialog)
    dialog.device.setCurrentText("cpu")
    dialog.precision.setCurrentText("bfloat16")
    dialog.theme.setCurrentText("dark")
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert not dialog.isVisible()
    try:
        saved = config.load_settings()
        assert {key: saved[key] for key in ("device", "precision", "theme")} == {
            "device": "cpu",
            "precision": "bfloat16",
            "theme": "dark",
        }
        assert "gallery_dir" not in saved  # empty folder: the default
        assert app.palette().color(QPalette.ColorRole.Window).name() == "#2b2d30"
        results = generate(window)
        assert (results[0].recipe["device"], results[0].recipe["dtype"]) == ("cpu", "bfloat16")
    finally:
        window.apply_settings({"theme": "light"})
    assert app.palette().color(QPalette.ColorRole.Window).name() == "#f2f2f4"
