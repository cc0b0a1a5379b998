"""Desktop app speed: time to the first painted window, and the longest UI-thread stall under load.

Not a test. Run ``QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui.py`` (or under a display):

1. Start-up: process start to first paint of ``python -m a2i_studio.gui CLIP``
   against a bare PySide6 ``QMainWindow`` in the same run (median of
   ``--runs``). Target: ratio under 1.5.
2. Stall: with the window up, a 60-minute file is opened (peak pyramid and
   spectrogram built in workers) while generation jobs run; a 10 ms QTimer
   heartbeat records the longest gap between its ticks. Target: under 100 ms.
   Then the 60-minute view is zoomed and panned, timing each redraw.
   ``--explain`` also times every Qt event handler and lists, for the longest
   gaps, the handlers that ran during them (a gap with none is the UI thread
   waiting for the GIL or the CPU).

Our modules are byte-compiled first (``compileall``), as a user's Python does on
the first start: where ``PYTHONDONTWRITEBYTECODE`` is set, as on our CI
machines, every start would otherwise compile them from source again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soundfile

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

ROOT = Path(__file__).resolve().parents[1]
TOY_PLUGIN = ROOT / "tests" / "fixtures" / "toy_plugin.py"

BARE_WINDOW = """
import json, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print("first-paint " + json.dumps({"time": time.time()}), flush=True)
            QTimer.singleShot(0, app.quit)
        return False
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1280, 820)
watcher = FirstPaint()
window.installEventFilter(watcher)
window.show()
app.exec()
"""


def first_paint_seconds(command: list[str], env: dict[str, str]) -> float:
    """Seconds from just before starting ``command`` to the first paint it reports."""
    started = time.time()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("first-paint "))
    return float(json.loads(line.removeprefix("first-paint "))["time"]) - started


def bench_startup(work: Path, clip: Path, runs: int) -> None:
    env = {**os.environ, "A2I_GUI_EXIT_AFTER_PAINT": "1"}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    bare, app = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        bare.append(first_paint_seconds([sys.executable, "-c", BARE_WINDOW], env))
        app.append(first_paint_seconds([sys.executable, "-m", "a2i_studio.gui", str(clip)], env))
    bare_median, app_median = statistics.median(bare), statistics.median(app)
    print(f"first paint, bare PySide6 window : {bare_median * 1000:7.0f} ms (median of {runs})")
    print(f"first paint, a2i-studio + clip   : {app_median * 1000:7.0f} ms (median of {runs})")
    print(f"ratio                            : {app_median / bare_median:7.2f}  (target < 1.5)")


def write_long_file(path: Path, minutes: float, rate: int = 44_100) -> None:
    """A ``minutes`` long mono 16-bit WAV of slowly changing tones and noise, written in blocks."""
    rng = np.random.default_rng(0)
    block = rate * 10
    with soundfile.SoundFile(path, "w", samplerate=rate, channels=1, subtype="PCM_16") as handle:
        for index in range(int(minutes * 6)):
            t = (index * block + np.arange(block)) / rate
            tone = 0.3 * np.sin(2 * np.pi * (200 + 50 * np.sin(t / 30)) * t) * (0.5 + 0.5 * np.sin(t / 7))
            handle.write((tone + 0.05 * rng.standard_normal(block)).astype(np.float32))


def _application(explain: bool) -> tuple[QApplication, list[tuple[float, float, str]]]:
    """The QApplication; with ``explain``, one that records every UI-thread event handler slower than 20 ms."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

    slow: list[tuple[float, float, str]] = []  # (start, seconds, what), on the perf_counter clock

    class TimedApplication(QApplication):
        def notify(self, receiver: QObject, event: QEvent) -> bool:
            start = time.perf_counter()
            try:
                return super().notify(receiver, event)
            finally:
                spent = time.perf_counter() - start
                if spent > 0.02 and threading.current_thread() is threading.main_thread():
                    slow.append((start, spent, f"{type(receiver).__name__} {event.type().name}"))

    app = QApplication.instance() or (TimedApplication if explain else QApplication)(sys.argv[:1])
    assert isinstance(app, QApplication)
    return app, slow


def _explain(gaps: list[tuple[float, float]], slow: list[tuple[float, float, str]], top: int = 8) -> None:
    """Print the ``top`` longest heartbeat gaps and the slow handlers that overlapped each."""
    for end, gap in sorted(gaps, key=lambda item: -item[1])[:top]:
        start = end - gap
        during = [f"{what} {spent * 1000:.0f} ms" for at, spent, what in slow if at < end and at + spent > start]
        print(f"  gap {gap * 1000:5.0f} ms at {start:9.3f} s: " + ("; ".join(during) or "no slow handler"))


def bench_stall(work: Path, clip: Path, minutes: float, explain: bool = False) -> None:
    from PySide6.QtCore import QElapsedTimer, QTimer

    from a2i_studio.gui.main_window import MainWindow

    long_file = work / "hour.wav"
    write_long_file(long_file, minutes)
    app, slow = _application(explain)

    def wait(condition: object, timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            if time.monotonic() > deadline:
                raise TimeoutError("benchmark step timed out")
            app.processEvents()
            time.sleep(0.002)

    window = MainWindow(files=[clip])
    window.resize(1440, 900)
    shown = time.monotonic()
    window.show()
    wait(lambda: hasattr(window, "library"))
    shell = time.monotonic() - shown
    wait(lambda: window.jobs is not None and window.timeline is not None and window.timeline.pyramid is not None)
    ready = time.monotonic() - shown
    wait(lambda: window.warmed_up)  # torch is imported in a worker right after start-up
    warmed = time.monotonic() - shown
    print(
        f"in-process start-up: shell (docks, menus) {shell * 1000:.0f} ms after show, panels and plugins "
        f"{ready * 1000:.0f} ms, torch warmed up {warmed:.1f} s"
    )
    assert window.chain_panel is not None and window.jobs is not None and window.timeline is not None
    window.chain_panel.select_chain("toy-proj>toy-gen")
    window.chain_panel.forms["toy-gen"].set_values({"steps": 50})
    window.chain_panel.batch.setValue(8)

    gaps: list[float] = []
    timed_gaps: list[tuple[float, float]] = []  # (end on the perf_counter clock, seconds)
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def on_tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        timed_gaps.append((time.perf_counter(), (now - last[0]) / 1000))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(on_tick)
    heartbeat.start()
    started = time.monotonic()
    for _ in range(4):
        window.chain_panel.generate_button.click()
    window.library.add_paths([long_file], select=long_file)
    wait(lambda: window.timeline.info is not None and window.timeline.info.path == long_file)
    wait(lambda: window.timeline.pyramid is not None)
    built = time.monotonic() - started
    wait(lambda: window.timeline.overview_image.image is not None)
    tiled = time.monotonic() - started
    wait(lambda: window.jobs.rowCount() == 0)
    heartbeat.stop()
    print(f"{minutes:g}-min file: peaks in {built:.1f} s, spectrogram overview in {tiled:.1f} s; 4 jobs x 8 images")
    print(
        f"UI heartbeat (10 ms) over {len(gaps)} ticks: longest gap {max(gaps)} ms, "
        f"99th percentile {np.percentile(gaps, 99):.0f} ms  (target < 100 ms)"
    )
    if explain:
        _explain(timed_gaps, slow)

    redraws = []
    timeline = window.timeline
    for step in range(40):
        tick = time.perf_counter()
        timeline.zoom(1.6) if step < 20 else timeline.pan(0.3 if step % 2 else -0.2)
        timeline._redraw_waveform()  # what the coalescing timer runs after each range change
        redraws.append(time.perf_counter() - tick)
        app.processEvents()
    timeline.fit()
    tick = time.perf_counter()
    timeline._redraw_waveform()
    fit = time.perf_counter() - tick
    print(
        f"{minutes:g}-min view redraw: median {statistics.median(redraws) * 1000:.1f} ms, "
        f"max {max(redraws) * 1000:.1f} ms over 40 zooms/pans; whole file {fit * 1000:.1f} ms"
    )
    window.close()
    window.deleteLater()
    app.processEvents()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11, help="start-up runs per variant")
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the long file")
    parser.add_argument("--explain", action="store_true", help="list what ran during the longest UI stalls")
    parser.add_argument("--skip-startup", action="store_true", help="only measure the stall")
    args = parser.parse_args()
    packages = [str(ROOT / "a2i_studio"), str(ROOT / "a2i_plugins")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *packages], check=True, stdout=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="a2i-bench-gui-"))
    for name in ("CONFIG", "DATA", "CACHE", "MODELS", "GALLERY"):
        os.environ[f"A2I_{name}_DIR"] = str(work / name.lower())
    (work / "config" / "plugins").mkdir(parents=True)
    shutil.copy(TOY_PLUGIN, work / "config" / "plugins" / TOY_PLUGIN.name)
    clip = work / "clip.wav"
    t = np.arange(3 * 16_000) / 16_000
    soundfile.write(clip, (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 16_000)
    try:
        if not args.skip_startup:
            bench_startup(work, clip, args.runs)
        bench_stall(work, clip, args.minutes, args.explain)
    finally:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    # Skip the interpreter's final garbage collection: with pyqtgraph, torch and Qt objects still
    # alive it can crash in PySide's finalisation, which says nothing about the app being measured.
    os._exit(code)
