"""Live input: a file played in real time (by the clock here: no test plays sound aloud), input devices listed,
found and opened (ALSA's null device, in a subprocess), and one sentence for a missing or unplugged device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from a2i_studio import audio
from a2i_studio.audio import AudioFileNotFound, NoAudioDevice
from a2i_studio.audio.live_envelopes import LiveAnalyser
from a2i_studio.audio.live_input import Block, FilePlayer, find_input_device

RATE = 16_000


def _portaudio() -> str | None:
    """Why PortAudio cannot be used here, or ``None`` if it can."""
    try:
        import sounddevice

        if "ALSA" not in [api["name"] for api in sounddevice.query_hostapis()]:
            return "PortAudio has no ALSA host API here"
    except OSError:
        return "the PortAudio library is not installed (apt-get install libportaudio2)"
    return None


def _play(player: FilePlayer, until: float = 10.0) -> tuple[list[Block], list[float]]:
    """Read ``player`` to its end; returns the blocks and when each read that returned them was made."""
    blocks, reads = [], []
    deadline = time.monotonic() + until
    with player:
        while not player.finished and time.monotonic() < deadline:
            now = time.monotonic()
            for block in player.read(now):
                blocks.append(block)
                reads.append(now)
            time.sleep(0.005)
    return blocks, reads


def test_a_muted_file_plays_in_real_time_every_sample_once_and_stamped_when_heard(tmp_path: Path) -> None:
    t = np.arange(RATE * 3 // 2) / RATE
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 300 * t), 0.25 * np.sin(2 * np.pi * 500 * t)], axis=1)
    path = tmp_path / "tone.wav"
    soundfile.write(path, stereo.astype(np.float32), RATE)
    player = FilePlayer(path, mute=True)
    assert (player.audible, player.sample_rate, player.channels, player.duration) == (False, RATE, 2, 1.5)
    threads = threading.active_count()
    started = time.monotonic()
    blocks, reads = _play(player)
    # 1. Every sample once, in order, as the file decodes.
    played = np.concatenate([block.samples for block in blocks])
    assert np.array_equal(played, audio.load(path, keep_channels=True).samples.T)
    # 2. Each block is stamped with when its last sample is heard, on the clock from the start...
    ends = np.cumsum([block.samples.shape[0] for block in blocks]) / RATE
    heard = np.asarray([block.heard for block in blocks])
    np.testing.assert_allclose(heard - heard[0], ends - ends[0], atol=1e-6)
    assert started <= heard[0] - ends[0]
    # 3. ...and handed out only once heard: a file plays no faster than real time.
    assert all(block.heard <= read for block, read in zip(blocks, reads, strict=True))
    assert reads[-1] - started >= 1.5
    assert threading.active_count() == threads  # the player's thread is gone once stopped


def test_the_meter_shows_the_peak_level_and_a_stopped_player_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    soundfile.write(path, (0.5 * np.sin(2 * np.pi * 440 * np.arange(RATE // 2) / RATE)).astype(np.float32), RATE)
    player = FilePlayer(path, mute=True)
    with player:
        time.sleep(0.3)
        level = player.level
        first = player.read()
    assert -6.5 < level <= -6.0  # a sine of peak 0.5 is -6 dBFS
    assert 0.2 <= sum(block.samples.shape[0] for block in first) / RATE <= 0.5
    blocks, _ = _play(player)  # started again: from the beginning, all of it
    assert sum(block.samples.shape[0] for block in blocks) == RATE // 2


def test_a_missing_file_or_device_gives_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(AudioFileNotFound, match=r"gone\.wav does not exist"):
        FilePlayer(tmp_path / "gone.wav")
    with pytest.raises(NoAudioDevice) as caught:
        find_input_device("no such device 42")
    message = str(caught.value)
    assert message.count(". ") == 0 and message.endswith(".")
    reason = _portaudio()
    if reason is None:
        assert message.startswith("There is no input device 'no such device 42':")
    else:
        assert "PortAudio" in message


def test_live_envelopes_follow_the_sound_as_it_arrives() -> None:
    rate = 16_000
    samples = 0.005 * np.random.default_rng(0).standard_normal(8 * rate)
    for start in range(rate // 4, 8 * rate - 400, rate // 2):  # a click every 0.5 s: 120 BPM
        samples[start : start + 160] += 0.8 * np.hanning(160) * np.sin(2 * np.pi * 1000 * np.arange(160) / rate)
    analyser = LiveAnalyser(history=4.0)
    onsets, beats, loudness = [], [], []
    for start in range(0, samples.size, rate // 50):  # 20 ms blocks, as a device would send them
        analyser.feed(samples[start : start + rate // 50].astype(np.float32))
        onsets += [analyser.heard] if analyser.event("onsets") else []
        beats += [analyser.heard] if analyser.event("beats") else []
        loudness.append(analyser.envelopes(["loudness"], 0.02)["loudness"])
    clicks = 0.25 + 0.5 * np.arange(16)
    # Each click is an onset, known about 0.1 s after it; nothing else is, but for the sound starting.
    later = np.asarray([onset for onset in onsets if onset > 0.2])
    assert onsets[0] < 0.2 and len(later) == 16 and np.all((later - clicks > 0.08) & (later - clicks < 0.15))
    # Beats: found within 2 s, then every 0.5 s (+/- a 20 ms block), close to the clicks.
    later = np.asarray([beat for beat in beats if beat > 2.0])
    assert len(later) >= 11 and np.all(np.abs(np.diff(later) - 0.5) <= 0.021)
    assert np.all(np.abs((later - 0.25 + 0.25) % 0.5 - 0.25) <= 0.05)
    # Loudness peaks at the clicks, over a history of 4 s only (older sound is forgotten).
    assert max(loudness) == 1.0 and np.median(loudness) < 0.2
    offset, recent = analyser._analyser.recent(4.0)
    assert recent.loudness_db.size == 400 and offset == pytest.approx(8.0 - 4.0, abs=0.02)


_NULL_DEVICE = """
import json, os, sys, threading, time
from a2i_studio.audio import NoAudioDevice
from a2i_studio.audio.live_input import DeviceInput, FilePlayer, input_devices

def counts():
    return [len(os.listdir("/proc/self/task")), len(os.listdir("/proc/self/fd")), threading.active_count()]

report = {"devices": [device.describe() for device in input_devices()], "before": counts()}
for _ in range(5):
    with DeviceInput("a2i_null") as device:
        time.sleep(0.02)
        report.setdefault("frames", sum(block.samples.shape[0] for block in device.read(time.monotonic() + 1)))
for _ in range(2):
    with FilePlayer(sys.argv[1]) as player:
        report["audible"] = player.audible
        while not player.finished:
            player.read(time.monotonic() + 10)
            time.sleep(0.005)
report["after"] = counts()
device = DeviceInput("a2i_null")
device.start()
time.sleep(0.02)
device._stream.abort()  # the stream stops under us, as when the device is unplugged
try:
    device.read()
except NoAudioDevice as error:
    report["unplugged"] = str(error)
device.stop()
report["stopped"] = counts()
print(json.dumps(report))
"""


@pytest.mark.skipif(_portaudio() is not None, reason=str(_portaudio()))
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads and files through /proc (Linux)")
def test_a_device_opens_and_closes_without_leaking_threads_or_files(tmp_path: Path) -> None:
    # PortAudio lists devices once per process, from ALSA's configuration in $HOME: a null device there.
    (tmp_path / ".asoundrc").write_text('pcm.a2i_null { type null  hint { show on description "Null device" } }\n')
    clip = tmp_path / "clip.wav"
    soundfile.write(clip, np.zeros(RATE // 4, np.float32), RATE)
    environment = {**os.environ, "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", textwrap.dedent(_NULL_DEVICE), str(clip)],
                         capture_output=True, text=True, env=environment, timeout=120)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["devices"] == ["0: a2i_null (ALSA, 128 ch, 44100 Hz, default)"]
    assert report["frames"] > 0 and report["audible"] is True  # the null device is an output too
    assert report["after"] == report["before"] == report["stopped"]
    assert report["unplugged"] == (
        "The input device 'a2i_null' stopped (unplugged, or its driver failed); connect it again or choose "
        "another input."
    )
    listed = subprocess.run([sys.executable, "-m", "a2i_studio.cli", "live", "--list-devices"],
                            capture_output=True, text=True, env=environment, timeout=120)
    assert (listed.returncode, listed.stdout) == (0, "0: a2i_null (ALSA, 128 ch, 44100 Hz, default)\n")
