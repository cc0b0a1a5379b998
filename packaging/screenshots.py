"""Save screenshots for the README: the main window light and dark, the model manager, the adapter wizard.

Run under a display (``xvfb-run -a python packaging/screenshots.py``); the
offscreen platform works too. Everything happens in a temporary folder: a
generated 20 s soundscape is loaded, a few images are made with the default
chain when it is installed, else with the toy test plugin, and the window is
saved to ``docs/screenshot-light.png`` and ``docs/screenshot-dark.png``; the
model manager (the SounDiff bundle selected) to ``docs/model-manager.png``; the
adapter wizard's data page, over a small generated soundscapes dataset, to
``docs/adapter-wizard.png``.

``--fit OUT.png`` instead saves the whole screen with the window as a first
start opens it, ``imagebind>unclip`` selected: run it under Xvfb screens of
several sizes (``xvfb-run -s "-screen 0 1366x768x24" ...``) to check that the
window fits them.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
TOY_PLUGIN = ROOT / "tests" / "fixtures" / "toy_plugin.py"
SIZE = (1440, 900)


def make_soundscape(path: Path, seconds: float = 20.0, rate: int = 22_050) -> None:
    """Rain, a low hum and bird-like chirps: a clip with something to see in both views."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    rain = 0.08 * rng.standard_normal(t.size) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.07 * t))
    hum = 0.12 * np.sin(2 * np.pi * 55 * t) * np.clip(np.sin(2 * np.pi * 0.05 * t), 0, None)
    chirps = np.zeros_like(t)
    for start in rng.uniform(0.5, seconds - 1.0, 14):
        local = t - start
        inside = (local >= 0) & (local < 0.35)
        envelope = np.sin(np.pi * local[inside] / 0.35) ** 2
        chirps[inside] += 0.5 * envelope * np.sin(2 * np.pi * (2500 + 6000 * local[inside]) * local[inside])
    soundfile.write(path, (rain + hum + chirps).astype(np.float32), rate)


def wait(app: object, condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Run the event loop until ``condition()`` holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def save_quantized(widget: object, target: Path) -> None:
    """Save ``widget``'s pixels to ``target`` as a 256-colour PNG (small for the README)."""
    from PIL import Image

    widget.grab().save(str(target))  # type: ignore[attr-defined]
    with Image.open(target) as image:
        image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(target, optimize=True)
    print(f"{target}: {target.stat().st_size // 1024} KB")


def settle(app: object, seconds: float = 0.5) -> None:
    """Let thread pools deliver and the event loop paint."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)


def fit(target: Path) -> int:
    """Grab the whole screen with a first-start window on it, ``imagebind>unclip`` selected."""
    work = Path(tempfile.mkdtemp(prefix="a2i-fit-"))
    for name in ("CONFIG", "DATA", "CACHE", "MODELS", "GALLERY"):
        os.environ[f"A2I_{name}_DIR"] = str(work / name.lower())
    clip = work / "dawn-chorus.wav"
    make_soundscape(clip)
    from a2i_studio import config

    config.save_settings({"welcome_dismissed": True})
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from a2i_studio.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    window = MainWindow(files=[clip])
    window.show()
    wait(app, lambda: window.jobs is not None and window.timeline is not None and window.timeline.pyramid is not None)
    assert window.chain_panel is not None
    window.chain_panel.select_chain("imagebind>unclip")
    settle(app, 1.0)
    QGuiApplication.primaryScreen().grabWindow(0).save(str(target))
    print(f"{target}: window {window.width()}x{window.height()} on screen "
          f"{QGuiApplication.primaryScreen().size().toTuple()}")
    window.close()
    shutil.rmtree(work)
    return 0


def manager_and_wizard(app: object, window: object, work: Path) -> None:
    """The model manager at the SounDiff bundle, and the adapter wizard's data page over a small dataset."""
    from a2i_studio.datasets.soundscapes import make_soundscapes

    window.menu_actions["models"].trigger()  # type: ignore[attr-defined]
    manager = window.dialogs["models"]  # type: ignore[attr-defined]
    manager.resize(1000, 620)
    manager.bundles.select("soundiff")
    settle(app)
    save_quantized(manager, ROOT / "docs" / "model-manager.png")
    manager.close()
    data = work / "soundscapes"
    make_soundscapes(data, n=24, seed=0, seconds=2.0, workers=1)
    panel = window.chain_panel  # type: ignore[attr-defined]
    panel.select_chain("vggish>mlp-vggish-sd15>sd15")
    next(button for button in panel.next_step.buttons if button.text().startswith("Train")).click()
    wizard = window.dialogs["adapter"]  # type: ignore[attr-defined]
    wizard.resize(900, 640)
    wizard.data_page.set_folder(data)
    wait(app, lambda: wizard.data_page.report is not None)
    settle(app)
    save_quantized(wizard, ROOT / "docs" / "adapter-wizard.png")
    wizard.close()


def main() -> int:
    """Take the README's screenshots; returns the exit code."""
    if sys.argv[1:2] == ["--fit"]:
        return fit(Path(sys.argv[2]))
    work = Path(tempfile.mkdtemp(prefix="a2i-screenshots-"))
    for name in ("CONFIG", "DATA", "CACHE", "MODELS", "GALLERY"):
        os.environ[f"A2I_{name}_DIR"] = str(work / name.lower())
    clip = work / "dawn-chorus.wav"
    make_soundscape(clip)

    from a2i_studio import config
    from a2i_studio.core import find_chains
    from a2i_studio.engine import DEFAULT_CHAIN
    from a2i_studio.plugins import PluginManager

    chain_ids = {chain.id for chain in find_chains(PluginManager().load().registry)}
    if DEFAULT_CHAIN in chain_ids:
        chain_id = DEFAULT_CHAIN
    else:
        config.plugins_dir().mkdir(parents=True)
        shutil.copy(TOY_PLUGIN, config.plugins_dir() / TOY_PLUGIN.name)
        chain_id = "toy-proj>toy-gen"

    from PySide6.QtWidgets import QApplication

    from a2i_studio.gui.main_window import MainWindow
    from a2i_studio.gui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    for theme in ("light", "dark"):
        config.save_settings({"theme": theme, "welcome_dismissed": True})
        apply_theme(app, theme)
        window = MainWindow(files=[clip])
        window.resize(*SIZE)
        window.show()
        wait(app, lambda w=window: w.jobs is not None and w.timeline is not None and w.timeline.pyramid is not None)
        assert window.chain_panel is not None and window.timeline is not None and window.gallery_panel is not None
        window.chain_panel.select_chain(chain_id)
        window.timeline.set_selection(6.0, 10.0)
        if window.gallery_panel.model.rowCount() == 0:
            window.chain_panel.seed_mode.setCurrentText("fixed")
            window.chain_panel.seed.setValue(42)
            window.chain_panel.batch.setValue(10)
            window.chain_panel.generate_button.click()
            wait(app, lambda w=window: w.gallery_panel is not None and w.gallery_panel.model.rowCount() == 10)
        window.gallery_panel.view.setCurrentIndex(window.gallery_panel.model.index(0))
        wait(app, lambda w=window: w.timeline is not None and w.timeline.overview_image.image is not None)
        time.sleep(0.5)  # thumbnails arrive from their thread pool
        for _ in range(20):
            app.processEvents()
        save_quantized(window, ROOT / "docs" / f"screenshot-{theme}.png")
        if theme == "light":
            manager_and_wizard(app, window, work)
        window.close()
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
