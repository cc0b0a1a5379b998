"""The first-run welcome: what runs now, what a download adds (and its size), and where the pictures go.

Shown once the plugins are loaded, until the user ticks "Don't show this
again" (saved as ``welcome_dismissed`` in the settings); Help > Welcome shows
it again. Its content comes from the registry, so a plugin's bundles appear
in it like the built-in ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from a2i_studio import config
from a2i_studio.files import format_size

if TYPE_CHECKING:
    from a2i_studio.bundles import BundleStatus, ChainStatus
    from a2i_studio.core import Registry

__all__ = ["SETTING", "WelcomeDialog", "welcome_wanted"]

SETTING = "welcome_dismissed"
"""The settings key that keeps the welcome from showing again."""


def welcome_wanted() -> bool:
    """Whether the welcome should show at start-up (the user has not dismissed it for good)."""
    return not config.load_settings().get(SETTING, False)


class WelcomeDialog(QDialog):
    """A short welcome built from what is installed and what can be downloaded.

    Args:
        registry: The loaded components (descriptions of the chains that run now).
        chains: Every chain's status; those that run now without a download are the bundled ones.
        bundles: Every bundle's status (name, size, what it is for).

    Signals:
        models_requested: The user wants the model manager.
    """

    models_requested = Signal()

    def __init__(
        self,
        registry: Registry,
        chains: Sequence[ChainStatus],
        bundles: Sequence[BundleStatus],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to a2i-studio")
        self.resize(640, 520)
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(_welcome_html(registry, chains, bundles))
        self.dismiss = QCheckBox("Don't show this again", self)
        self.dismiss.setChecked(not welcome_wanted())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        models = QPushButton("Open the model manager…", self)
        models.clicked.connect(self._on_models_clicked)
        buttons.addButton(models, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.dismiss)
        layout.addWidget(buttons)
        self.finished.connect(self._on_finished)

    def _on_models_clicked(self) -> None:
        self.models_requested.emit()
        self.close()

    def _on_finished(self, _result: int) -> None:
        settings = config.load_settings()
        if bool(settings.get(SETTING, False)) != self.dismiss.isChecked():
            config.save_settings({**settings, SETTING: self.dismiss.isChecked()})

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt override
        """Closing by the window's button counts as finishing: the choice is saved."""
        self._on_finished(0)
        super().closeEvent(event)  # type: ignore[arg-type]


def _welcome_html(registry: Registry, chains: Sequence[ChainStatus], bundles: Sequence[BundleStatus]) -> str:
    ready = []
    for status in chains:
        if status.runnable:
            generator = registry.get("generator", status.chain_id.split(">")[-1])
            ready.append(f"<li><code>{status.chain_id}</code>: {generator.description if generator else ''}</li>")
    offers = "".join(
        f"<li><b>{offer.bundle.name}</b> ({format_size(offer.size_bytes)}"
        f"{', fast without a GPU' if offer.bundle.few_step else ''}"
        f"{', gated: needs a Hugging Face login' if offer.bundle.gated else ''})"
        f"{': installed' if offer.installed else ''}: {offer.bundle.description}</li>"
        for offer in bundles
    )
    return (
        "<h2>Sound in, pictures out</h2>"
        "<p>Drop a recording on the window (or <i>File &gt; Open</i>), select the part to listen to on the "
        "timeline, pick a chain on the right and press <b>Generate</b>.</p>"
        f"<h3>Ready now, no download</h3><ul>{''.join(ready) or '<li>none</li>'}</ul>"
        "<p>These chains come with the app and run in a moment on any computer.</p>"
        f"<h3>More with a download</h3><ul>{offers or '<li>no plugin offers a download</li>'}</ul>"
        "<p>Get them in <i>Tools &gt; Models</i>; the chain list says what each chain still needs, with a "
        "button for it (a download, or training an adapter on your own sounds).</p>"
        f"<h3>Your pictures</h3><p>Every picture goes to the gallery at the bottom of the window and to "
        f"<code>{config.gallery_dir()}</code>, each PNG with the recipe that makes it again.</p>"
    )
