"""``a2i live`` from the command line: a file played live (muted: the clock paces it) without a window and in the
output window (offscreen), a recording, and one ``error:`` line for a missing device or a bad option."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile

from a2i_studio.cli import main


@pytest.fixture
def noise(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    samples = rng.standard_normal(3 * 16_000) * np.repeat(rng.uniform(0.05, 0.5, 30), 1600)
    path = tmp_path / "noise.wav"
    soundfile.write(path, samples.astype(np.float32), 16_000)
    return path


def test_a_file_played_live_without_a_window_prints_its_numbers_and_records(
    noise: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "live.webm"
    code = main(["live", "--file", str(noise), "--mute", "--no-window", "--seconds", "1.5", "--fps", "12",
                 "--size", "64", "--seed", "1", "--record", str(out), "--json"])
    assert code == 0
    numbers = json.loads(capsys.readouterr().out)
    assert numbers["seconds"] == pytest.approx(1.5, abs=0.05) and numbers["recording"] == str(out)
    assert 10 <= numbers["painted"] <= 19 and numbers["painted"] + numbers["dropped"] >= 17  # ticks 0 to 18
    assert numbers["latency_ms"]["p50"] > 0
    with av.open(str(out)) as container:
        assert (container.streams.video[0].width, container.streams.audio[0].codec_context.name) == (64, "opus")
        assert sum(1 for _ in container.decode(video=0)) == 18  # 1.5 s at 12 fps


@pytest.mark.parametrize(
    ("options", "code", "message"),
    [
        (["--device", "no such device 42", "--no-window"], 1, "error: "),
        (["--file", "gone.wav"], 1, "error: gone.wav does not exist"),
        (["--file", "{noise}", "--keyframes", "sections", "--no-window"], 1,
         "error: --keyframes sections needs the seconds after a change of scene"),
        (["--file", "{noise}", "--record", "clip.avi"], 1, "error: --record clip.avi: .avi is not a container"),
        (["--file", "{noise}", "--no-window", "--fullscreen"], 2, "error: --no-window shows nothing"),
        (["--device", "default", "--mute"], 2, "error: --mute keeps a file's sound in; it goes with --file."),
    ],
)
def test_a_missing_device_or_a_bad_option_is_one_error_line(
    noise: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    options: list[str], code: int, message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["live", *(option.format(noise=noise) for option in options)]) == code
    error = capsys.readouterr().err
    assert error.startswith(message) and error.count("\n") == 1


def test_a_missing_device_is_named_in_its_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["live", "--device", "no such device 42", "--no-window"]) == 1
    error = capsys.readouterr().err
    # Without PortAudio the sentence says to install it; with it, which device is missing.
    assert "PortAudio" in error or error.startswith("error: There is no input device 'no such device 42': ")


@pytest.mark.slow
def test_the_output_window_shows_a_file_played_live_fullscreen(noise: Path, app_dirs: dict[str, Path]) -> None:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run(
        [sys.executable, "-m", "a2i_studio.cli", "live", "--file", str(noise), "--mute", "--fullscreen",
         "--seconds", "1.5", "--fps", "12", "--size", "64", "--crossfade", "0.1", "--filter", "nearest", "--json"],
        capture_output=True, text=True, env=environment, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    numbers = json.loads(run.stdout)
    assert numbers["painted"] >= 10 and numbers["seconds"] == pytest.approx(1.5, abs=0.05)
    assert "fps · latency" in run.stderr  # the frame rate and latency, every second
