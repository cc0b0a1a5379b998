"""A small corpus of good and bad audio files, generated once per test session.

Every file is made here with soundfile or PyAV from a known signal, so tests
can compare what the decoder returns with what went in. Signals are short
(0.5-3 s) to keep the whole audio suite fast.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from audio_helpers import RATE, Corpus, cut_in_half, encode_pyav, tone, video_only


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("audio-corpus")
    stereo = np.stack([tone(3.0, 44_100, 440.0), tone(3.0, 44_100, 660.0, 0.25)], axis=1)
    mono16k = tone(3.0, RATE, 440.0)

    # Lossless and lossy files libsndfile writes.
    soundfile.write(folder / "stereo.wav", stereo, 44_100, subtype="PCM_16")
    soundfile.write(folder / "stereo.flac", stereo, 44_100)
    soundfile.write(folder / "stereo.aiff", stereo, 44_100, subtype="PCM_24")
    soundfile.write(folder / "mono.ogg", mono16k, RATE, format="OGG", subtype="VORBIS")
    soundfile.write(folder / "mono.opus", tone(2.0, 48_000, 440.0), 48_000, format="OGG", subtype="OPUS")
    soundfile.write(folder / "mono.mp3", mono16k, RATE, format="MP3")
    soundfile.write(folder / "mono16k.wav", mono16k, RATE, subtype="FLOAT")
    for subtype in ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE", "ULAW", "ALAW"):
        soundfile.write(folder / f"subtype_{subtype}.wav", tone(0.5, 8000, 440.0), 8000, subtype=subtype)
    soundfile.write(folder / "rate8000.wav", tone(1.0, 8000, 440.0), 8000)
    soundfile.write(folder / "rate192000.wav", tone(0.5, 192_000, 440.0), 192_000, subtype="PCM_24")
    six = np.stack([tone(0.5, RATE, 200.0 * (k + 1), 0.1 * (k + 1)) for k in range(6)], axis=1)
    soundfile.write(folder / "six.wav", six, RATE, subtype="FLOAT")
    long_tone = tone(600.0, 8000, 440.0, 0.3)
    soundfile.write(folder / "ten_minutes.flac", long_tone, 8000)

    # Files only FFmpeg reads.
    encode_pyav(folder / "stereo.m4a", stereo, 44_100, "aac")
    stereo48k = np.stack([tone(3.0, 48_000, 440.0), tone(3.0, 48_000, 660.0, 0.25)], axis=1)
    encode_pyav(folder / "stereo.webm", stereo48k, 48_000, "libopus", container="webm")
    for suffix in ("mp4", "mov", "mkv"):
        encode_pyav(folder / f"video.{suffix}", stereo, 44_100, "aac", video=True)
    video_only(folder / "silent_film.mp4")

    # Bad input.
    (folder / "empty.wav").write_bytes(b"")
    soundfile.write(folder / "no_frames.wav", np.zeros(0, np.float32), RATE)
    cut_in_half(folder / "stereo.wav", folder / "truncated.wav")
    cut_in_half(folder / "stereo.flac", folder / "truncated.flac")
    cut_in_half(folder / "mono.mp3", folder / "truncated.mp3")
    cut_in_half(folder / "stereo.m4a", folder / "truncated.m4a")
    cut_in_half(folder / "stereo.webm", folder / "truncated.webm")
    (folder / "noise.wav").write_bytes(np.random.default_rng(7).bytes(20_000))
    (folder / "notes.mp3").write_text("Rain on the roof, recorded on Tuesday.\n" * 40, encoding="utf-8")
    (folder / "x.wav").mkdir()
    nan = mono16k.copy()
    nan[RATE + 8000] = np.nan
    soundfile.write(folder / "nan.wav", nan, RATE, subtype="FLOAT")
    inf = mono16k.copy()
    inf[RATE // 2] = np.inf
    soundfile.write(folder / "inf.wav", inf, RATE, subtype="FLOAT")
    soundfile.write(folder / "silent.wav", np.zeros(RATE, np.float32), RATE)
    soundfile.write(folder / "short.wav", tone(0.4, RATE, 440.0), RATE)
    locked = folder / "locked.wav"
    soundfile.write(locked, mono16k, RATE)
    locked.chmod(0)
    return Corpus(folder=folder, stereo=stereo, mono16k=mono16k)
