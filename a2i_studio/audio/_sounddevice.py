"""sounddevice, imported when first needed: it loads the PortAudio library as it is imported.

A machine without PortAudio (or without any sound card) must still decode
files, make images and run the tests, so every module that records, plays or
listens imports sounddevice through :func:`load_sounddevice`, which turns
both missing pieces into a :class:`~a2i_studio.audio.NoAudioDevice` with a
sentence saying what to install.
"""

from __future__ import annotations

from types import ModuleType

from a2i_studio.audio._errors import NoAudioDevice

__all__ = ["load_sounddevice"]


def load_sounddevice() -> ModuleType:
    """The sounddevice module.

    Raises:
        NoAudioDevice: sounddevice is not installed, or it cannot load the PortAudio library.
    """
    try:
        import sounddevice
    except OSError:  # sounddevice is installed but cannot load the PortAudio library
        raise NoAudioDevice(
            "Recording and playback need the PortAudio library, which was not found:"
            " install it (for example `sudo apt install libportaudio2`) and restart a2i-studio."
        ) from None
    except ImportError:
        raise NoAudioDevice(
            "Recording and playback need the sounddevice package: install it with `pip install sounddevice`."
        ) from None
    return sounddevice
