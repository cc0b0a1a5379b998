"""The model manager against a fake huggingface.co: from a chain that is not ready to a picture, no terminal.

A bundle is downloaded into an empty models folder from the chain panel's
button, its licence accepted once, the download cancelled and resumed, and the
chain becomes runnable and generates; the token field logs in for a gated
repository; removing frees the space; the welcome says what downloads bring.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_hub import TOKEN, FakeHub
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from a2i_studio import config
from a2i_studio.files import format_size
from a2i_studio.gui.dialogs import ModelsDialog, WelcomeDialog
from a2i_studio.gui.main_window import MainWindow

CHAIN = "hub-enc>hub-gen"


@pytest.fixture
def hub_window(
    hub: FakeHub, start_window: Callable[..., MainWindow], drop_in: Callable[[str], Path], clip: Path
) -> MainWindow:
    """A window with the bundle test plugin, whose weights are on the fake hub only."""
    spec = importlib.util.spec_from_file_location("bundle_plugin_for_gui", drop_in("bundle_plugin"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.fill(hub)
    return start_window(clip)


def _click_later(button_text: str) -> None:
    """Click the button called ``button_text`` of the modal box about to open (the licence question)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        next(button for button in box.buttons() if button.text() == button_text).click()

    QTimer.singleShot(0, click)


def _click_when_enabled(qtbot: QtBot, button: QPushButton) -> None:
    """Click ``button`` once it is enabled, as a user can: after a download ends, the page looks at the models
    folder again (in a worker) before it enables Download, and a click on a disabled button does nothing."""
    qtbot.waitUntil(button.isEnabled, timeout=10_000)
    button.click()


def _manager(window: MainWindow) -> ModelsDialog:
    dialog = window.dialogs["models"]
    assert isinstance(dialog, ModelsDialog)
    return dialog


def test_a_bundle_downloads_from_the_chain_panel_cancels_resumes_and_the_chain_runs(
    hub_window: MainWindow, hub: FakeHub, qtbot: QtBot, app_dirs: dict[str, Path]
) -> None:
    window, panel = hub_window, hub_window.chain_panel
    assert panel is not None
    # 1. The chain is listed, not ready, with its reason and a button for the bundle.
    assert panel.select_chain(CHAIN) and panel.chain_combo.currentText() == f"{CHAIN}  — not ready yet"
    assert "Missing: weights hub-enc (200 B) and hub-pipe (600.2 kB)" in panel.next_step.text.text()
    (button,) = panel.next_step.buttons
    assert button.text() == "Download bundle hub-duo (600.4 kB)…"
    button.click()
    manager = _manager(window)
    page = manager.bundles
    assert page.current_bundle_id() == "hub-duo" and page.download_button.isEnabled()
    details = page.details.toPlainText()
    assert "Test NC 1.0" in details and "(to accept before the download)" in details
    assert not (app_dirs["models"] / "encoders").exists()  # an empty models folder

    # 2. Download: the licence is shown and accepted; cancel half-way keeps what arrived.
    hub.chunk_delay = 0.05
    _click_later("Accept and download")
    page.download_button.click()
    qtbot.waitUntil(lambda: page.progress.value() > 200_000, timeout=20_000)
    assert page.cancel_button.isEnabled() and "/s" in page.status.text() and "of 600.4 kB" in page.status.text()
    page.cancel_button.click()
    qtbot.waitUntil(lambda: page.status.text().startswith("Cancelled"), timeout=20_000)
    part = app_dirs["models"] / "checkpoints" / "hub-pipe.partial" / "unet" / "diffusion_pytorch_model.safetensors.part"
    kept = part.stat().st_size
    assert kept > 0 and config.load_settings()["accepted_licences"] == {"hub-duo": ["Test NC 1.0"]}

    # 3. Resume: no licence question this time; the server is asked for the rest only.
    hub.chunk_delay = 0.0
    _click_when_enabled(qtbot, page.download_button)
    qtbot.waitUntil(lambda: "is installed" in page.status.text(), timeout=20_000)
    assert any(requested == f"bytes={kept}-" for _, requested in hub.requests)
    qtbot.waitUntil(lambda: page.statuses["hub-duo"].installed, timeout=10_000)
    assert not page.download_button.isEnabled() and page.remove_button.isEnabled()

    # 4. The chain panel heard of it: the chain is ready and makes a picture in the downloaded colour.
    qtbot.waitUntil(lambda: panel.chain_combo.findText(CHAIN) >= 0, timeout=10_000)
    assert panel.select_chain(CHAIN) and not panel.next_step.isVisible()
    assert window.jobs is not None
    with qtbot.waitSignal(window.jobs.job_finished, timeout=30_000) as finished:
        panel.generate_button.click()
    red, green, blue = finished.args[1][0].image.getpixel((0, 0))
    assert red < green < blue  # the colour (0.2, 0.6, 0.9) from the downloaded U-Net file


def test_the_token_field_logs_in_for_a_gated_bundle_and_remove_frees_the_space(
    hub_window: MainWindow, hub: FakeHub, qtbot: QtBot, app_dirs: dict[str, Path]
) -> None:
    window = hub_window
    window.menu_actions["models"].trigger()
    manager = _manager(window)
    page = manager.bundles
    assert "No token stored" in manager.token_status.text()
    assert page.select("hub-gated")
    assert "Gated:" in page.details.toPlainText()
    page.download_button.click()
    qtbot.waitUntil(lambda: "gated or private model" in page.status.text(), timeout=20_000)
    manager.token.setText("hf_wrong")
    manager.login_button.click()
    qtbot.waitUntil(lambda: "refused that token" in manager.token_status.text(), timeout=10_000)
    manager.token.setText(TOKEN)
    manager.login_button.click()
    qtbot.waitUntil(lambda: manager.token_status.text().startswith("Logged in as artist."), timeout=10_000)
    assert manager.token.text() == ""  # not kept in the field; huggingface_hub stores it
    _click_when_enabled(qtbot, page.download_button)
    qtbot.waitUntil(lambda: "is installed" in page.status.text(), timeout=20_000)
    folder = app_dirs["models"] / "checkpoints" / "gated-pipe"
    assert (folder / "model_index.json").is_file()

    qtbot.waitUntil(lambda: page.remove_button.isEnabled(), timeout=10_000)
    _click_later("&Yes")
    page.remove_button.click()
    qtbot.waitUntil(lambda: page.status.text().startswith("Removed"), timeout=10_000)
    on_disk = sum(len(data) for name, data in hub.repos["a2i-test/gated-pipe"].items() if name != "README.md")
    assert f"{format_size(on_disk)} freed" in page.status.text() and not folder.exists()


def test_the_first_start_welcomes_once_with_what_downloads_bring(
    hub: FakeHub, start_window: Callable[..., MainWindow], drop_in: Callable[[str], Path], qtbot: QtBot
) -> None:
    drop_in("bundle_plugin")
    config.save_settings({})  # a first start: nothing dismissed yet
    window = start_window()
    qtbot.waitUntil(lambda: "welcome" in window.dialogs)
    welcome = window.dialogs["welcome"]
    assert isinstance(welcome, WelcomeDialog)
    text = welcome.text.toPlainText()
    assert "mfcc>aegan" in text and "Ready now, no download" in text
    assert "Hub duo: encoder + pipeline (600.4 kB)" in text and "gated: needs a Hugging Face login" in text
    assert str(config.gallery_dir()) in text
    models = next(button for button in welcome.findChildren(QPushButton) if button.text().startswith("Open the"))
    welcome.dismiss.setChecked(True)
    models.click()
    assert isinstance(window.dialogs["models"], ModelsDialog)
    assert config.load_settings()["welcome_dismissed"] is True
    window.close()
    again = start_window()
    qtbot.wait(200)
    assert "welcome" not in again.dialogs
    again.menu_actions["welcome"].trigger()
    assert isinstance(again.dialogs["welcome"], WelcomeDialog)
