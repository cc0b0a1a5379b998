"""Render video from the window: the dialog from the timeline's selection, marks on the timeline, live preview,
progress and ETA, cancel, the result playing in the app, and the video in the gallery beside the images."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile
from pytestqt.qtbot import QtBot

from a2i_studio.frames import Modulation
from a2i_studio.gui.main_window import MainWindow
from a2i_studio.gui.render_dialog import RenderDialog
from a2i_studio.gui.video_player import VideoPlayer

TIMEOUT = 30_000


@pytest.fixture
def beats(tmp_path: Path) -> Path:
    """4 s of clicks at 120 BPM over a faint hiss."""
    rate = 16_000
    samples = 0.01 * np.random.default_rng(0).standard_normal(4 * rate)
    for start in range(rate // 4, 4 * rate - 400, rate // 2):
        samples[start : start + 160] += 0.8 * np.hanning(160) * np.sin(2 * np.pi * 1000 * np.arange(160) / rate)
    path = tmp_path / "beats.wav"
    soundfile.write(path, samples.astype(np.float32), rate)
    return path


def _open_dialog(window: MainWindow, chain: str, start: float, end: float) -> RenderDialog:
    assert window.chain_panel is not None and window.timeline is not None
    assert window.chain_panel.select_chain(chain)
    window.timeline.set_selection(start, end)
    window.menu_actions["render_video"].trigger()
    dialog = window.dialogs["render"]
    assert isinstance(dialog, RenderDialog)
    return dialog


def test_a_selection_renders_to_a_video_that_plays_and_joins_the_gallery(
    start_window: Callable[..., MainWindow], beats: Path, qtbot: QtBot, tmp_path: Path
) -> None:
    window = start_window(beats)
    dialog = _open_dialog(window, "mfcc>aegan", 0.5, 3.5)
    assert (dialog.start, dialog.end, dialog.chain.id) == (0.5, 3.5, "mfcc>aegan")
    # 1. Keyframes on beats and a modulation show on the timeline's waveform.
    dialog.form.set_values({"fps": 8.0, "keyframes": "beats"})
    dialog.modulations.add(Modulation("aegan.variation", "loudness", 0.0, 1.0))
    marks = dialog._marks
    assert marks is not None
    qtbot.waitUntil(lambda: "loudness" in marks.curves and marks.ticks.xData is not None
                    and len(marks.ticks.xData) > 0, timeout=TIMEOUT)
    ticks = np.asarray(marks.ticks.xData)[::2]
    assert np.all((ticks >= 0.5) & (ticks <= 3.5)) and len(ticks) >= 5  # beats every 0.5 s, and the ends
    # 2. Render: frames show as they are made, with progress and the time left.
    out = tmp_path / "clip.mp4"
    dialog.out.setText(str(out))
    statuses: list[str] = []
    dialog.progress.setValue(0)
    with qtbot.waitSignal(dialog.rendered, timeout=TIMEOUT) as rendered:
        dialog.render_button.click()
        qtbot.waitUntil(lambda: statuses.append(dialog.status.text()) or "left" in dialog.status.text(),
                        timeout=TIMEOUT)
    result = rendered.args[0]
    assert result.path == out and result.frames == 24 and out.is_file()
    assert dialog.progress.value() == dialog.progress.maximum() == 24
    assert not dialog.preview.pixmap().isNull()
    assert dialog.status.text().startswith("Done. Saved 24 frames")
    assert result.recipe["video"]["modulations"][0]["param"] == "aegan.variation"
    # 3. It plays here (without a sound device, by the clock) to its last frame.
    player = dialog.player
    qtbot.waitUntil(lambda: not player.playing and player.shown > 0, timeout=TIMEOUT)
    with av.open(str(out)) as container:
        last = list(container.decode(video=0))[-1].to_ndarray(format="rgb24")
    shown = player.view.pixmap().toImage().convertToFormat(player.view.pixmap().toImage().Format.Format_RGB888)
    pixels = np.frombuffer(shown.constBits(), np.uint8).reshape(shown.height(), shown.bytesPerLine())
    assert np.array_equal(pixels[:, : 3 * shown.width()].reshape(last.shape), last)
    # 4. The gallery shows the video beside the images, linked to its clip; Play opens a player.
    assert window.gallery_panel is not None
    model = window.gallery_panel.model
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    item = model.item(0)
    assert item.video == out and item.audio_name == "beats.wav"
    assert model.data(model.index(0)).startswith("▶ video · seed")
    window.gallery_panel.view.setCurrentIndex(model.index(0))
    assert window.gallery_panel.buttons["play"].text() == "▶ Play video"
    assert not window.gallery_panel.buttons["rerun"].isEnabled()
    window.gallery_panel.buttons["play"].click()
    video = window.dialogs["video"]
    qtbot.waitUntil(lambda: video.player.shown > 0, timeout=TIMEOUT)  # type: ignore[attr-defined]
    video.close()
    dialog.close()
    assert marks.curves == {} and len(marks.ticks.xData or []) == 0  # the marks leave with the dialog


def test_cancel_keeps_the_frames_made_and_writes_no_video(
    start_window: Callable[..., MainWindow], clip: Path, qtbot: QtBot, tmp_path: Path
) -> None:
    window = start_window(clip)
    dialog = _open_dialog(window, "toy-proj>slow-gen", 0.0, 2.0)
    dialog.form.set_values({"fps": 2.0})
    out = tmp_path / "slow.mp4"
    dialog.out.setText(str(out))
    dialog.render_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=TIMEOUT)
    assert dialog.cancel_button.isEnabled() and not dialog.render_button.isEnabled()
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not dialog.running, timeout=TIMEOUT)
    assert dialog.status.text().startswith("Cancelled; no video was written, and the ")
    assert "frames made so far are kept" in dialog.status.text()
    assert not out.exists() and dialog.render_button.isEnabled()
    dialog.close()


def test_bad_settings_are_said_in_the_dialog_and_nothing_starts(
    start_window: Callable[..., MainWindow], clip: Path, tmp_path: Path
) -> None:
    window = start_window(clip)
    dialog = _open_dialog(window, "mfcc>aegan", 0.0, 2.0)
    dialog.out.setText(str(tmp_path / "clip.avi"))
    dialog.render_button.click()
    assert dialog.status.text().startswith("--out clip.avi: .avi is not a container a2i render writes")
    assert not dialog.running
    dialog.close()


def test_the_player_follows_the_clock_without_a_sound_device(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "frames.gif"
    with av.open(str(path), "w", format="gif") as container:
        stream = container.add_stream("gif", rate=10)
        stream.width, stream.height, stream.pix_fmt = 16, 16, "rgb8"
        for index in range(5):
            frame = av.VideoFrame.from_ndarray(np.full((16, 16, 3), index * 50, np.uint8), format="rgb24")
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    player = VideoPlayer()
    qtbot.addWidget(player)
    player.set_video(path)
    with qtbot.waitSignal(player.finished, timeout=TIMEOUT):
        player.play()
    assert 1 <= player.shown <= 5 and not player.playing
    image = player.view.pixmap().toImage()
    assert image.pixelColor(8, 8).red() >= 190  # the last frame (200, within the GIF's 3-3-2 colours)
