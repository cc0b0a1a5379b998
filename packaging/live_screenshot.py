"""Save a screenshot of the live output window, fullscreen, for the README.

Run under a display the size of a small projector::

    xvfb-run -a -s "-screen 0 1280x720x24" python packaging/live_screenshot.py

The README's 20 s example (the four bundled sounds) plays live, muted, through
the default chain at 256 px and 24 fps, into the output window fullscreen with
its frame rate and latency shown (the ``I`` key); the screen is saved as
``docs/live-output.png`` when the forest has been playing for three seconds and a
half. Everything else happens in a temporary folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "live-output.png"
SHOT_AT = 8.5  # seconds into the example: forest, its window wholly in the forest


def main() -> int:
    """Take the screenshot; returns the exit code."""
    work = Path(tempfile.mkdtemp(prefix="a2i-live-screenshot-"))
    for name in ("CONFIG", "DATA", "CACHE", "MODELS", "GALLERY"):
        os.environ[f"A2I_{name}_DIR"] = str(work / name.lower())
    parts = [soundfile.read(ROOT / "a2i_resources" / "sounds" / f"{name}.wav", dtype="float32")[0]
             for name in ("rain", "forest", "beach", "thunderstorm")]
    clip = work / "example.wav"
    soundfile.write(clip, np.concatenate(parts), 16_000)

    from PIL import Image
    from PySide6.QtWidgets import QApplication

    from a2i_studio.frames import LiveRequest, LiveSource, VideoSettings
    from a2i_studio.gui.live_output import LiveOutput
    from a2i_studio.gui.live_session import LiveSession
    from a2i_studio.plugins import PluginManager

    app = QApplication(sys.argv[:1])
    registry = PluginManager().load().registry
    output = LiveOutput("smooth", crossfade=0.1)
    output.overlay = True
    session = LiveSession()
    heard = [0.0]  # seconds of sound the newest frame heard

    def on_frame(image: object, live: object) -> None:
        output.set_frame(image)  # type: ignore[arg-type]
        heard[0] = live.time  # type: ignore[attr-defined]

    session.frame.connect(on_frame)
    output.show_on(app.primaryScreen(), fullscreen=True)
    settings = VideoSettings(fps=24.0, width=256, height=256, window=1.0, attack=0.2, release=0.4)
    session.start(registry, LiveRequest(settings=settings, seed=7), LiveSource(file=clip, mute=True))
    shot = None
    while session.running:
        app.processEvents()
        time.sleep(0.005)
        if session.meter.latencies:
            output.set_status(session.meter.describe())
        if shot is None and heard[0] >= SHOT_AT:
            for _ in range(10):
                app.processEvents()
            shot = app.primaryScreen().grabWindow(0)
            session.stop()
    assert shot is not None, "the session ended before the screenshot"
    shot.save(str(TARGET))
    with Image.open(TARGET) as image:  # a 256-colour palette keeps the PNG small for the README
        image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(TARGET, optimize=True)
    print(f"{TARGET}: {shot.width()}x{shot.height()}, {TARGET.stat().st_size // 1024} KB")
    output.close()
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
