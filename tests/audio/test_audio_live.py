"""Recording and playback on a machine without sound hardware or PortAudio."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from a2i_studio.audio import Clip, NoAudioDevice
from a2i_studio.audio.live import play, record


def _has_audio_device() -> bool:
    try:
        import sounddevice
    except OSError:
        return False
    try:
        sounddevice.query_devices(kind="input")
        sounddevice.query_devices(kind="output")
    except sounddevice.PortAudioError:
        return False
    return True


@pytest.mark.skipif(_has_audio_device(), reason="this machine has a sound device, so recording would work")
def test_no_device_or_no_portaudio_is_a_clear_error() -> None:
    clip = Clip(samples=np.zeros(800, np.float32), sample_rate=8000, path=None)
    for attempt in (lambda: record(0.1), lambda: play(clip)):
        with pytest.raises(NoAudioDevice) as caught:
            attempt()
        message = str(caught.value)
        assert "\n" not in message and message.endswith(".")
        assert message.startswith(("Recording and playback need the PortAudio library", "No microphone", "No speaker"))


def test_missing_sounddevice_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", None)  # makes `import sounddevice` raise ImportError
    with pytest.raises(NoAudioDevice) as caught:
        record(1.0)
    assert str(caught.value) == (
        "Recording and playback need the sounddevice package: install it with `pip install sounddevice`."
    )


def test_importing_the_audio_layer_loads_neither_sounddevice_nor_torch() -> None:
    code = (
        "import sys, a2i_studio.audio, a2i_studio.audio.live, a2i_studio.audio.peaks;"
        "print('sounddevice' in sys.modules, 'torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
