"""Save screenshots of the main window, light and dark, for the README.

Run under a display (``xvfb-run -a python packaging/screenshots.py``); the
offscreen platform works too. Everything happens in a temporary folder: a
generated 20 s soundscape is loaded, a few images are made with the default
chain when it is installed, else with the toy test plugin, and the window is
saved to ``docs/screenshot-light.png`` and ``docs/screenshot-dark.png``.
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


def main() -> int:
    """Take both screenshots; returns the exit code."""
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

    from PIL import Image
    from PySide6.QtWidgets import QApplication

    from a2i_studio.gui.main_window import MainWindow
    from a2i_studio.gui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    for theme in ("light", "dark"):
        config.save_settings({"theme": theme})
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
        target = ROOT / "docs" / f"screenshot-{theme}.png"
        window.grab().save(str(target))
        with Image.open(target) as image:  # a 256-colour palette keeps the PNG small for the README
            image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(target, optimize=True)
        print(f"{target}: {target.stat().st_size // 1024} KB")
        window.close()
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
