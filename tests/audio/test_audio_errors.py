"""Bad input: one sentence naming the file, and a distinct AudioError subclass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from audio_helpers import Corpus

from a2i_studio.audio import (
    AudioError,
    AudioFileNotFound,
    AudioIsDirectory,
    AudioPermissionDenied,
    AudioRangeError,
    AudioTooLong,
    EmptyAudio,
    InvalidSamples,
    NoAudioStream,
    NotAudio,
    TextNotAudio,
    TruncatedAudio,
    file_sha256,
    load,
    probe,
)
from a2i_studio.errors import A2IError


def assert_one_sentence(error: AudioError, file_name: str) -> None:
    message = str(error)
    assert isinstance(error, A2IError)
    assert file_name in message
    assert "\n" not in message
    assert message.endswith(".")
    assert message[0].isupper() or message.startswith((file_name, "--"))
    # Every message says what to do after a colon.
    assert ": " in message


@pytest.mark.parametrize(
    ("name", "error_class", "expected"),
    [
        ("empty.wav", EmptyAudio, "empty.wav is empty (0 bytes): record or export the sound again."),
        ("no_frames.wav", EmptyAudio, "no_frames.wav has no samples (0 frames): record or export the sound again."),
        ("x.wav", AudioIsDirectory, "x.wav is a folder, not an audio file: choose a sound file inside it."),
        ("notes.mp3", TextNotAudio, "notes.mp3 contains text, not audio: choose the sound file itself."),
        (
            "noise.wav",
            NotAudio,
            "noise.wav is not an audio or video file that a2i-studio can read:"
            " convert it to WAV or FLAC and try again.",
        ),
        (
            "silent_film.mp4",
            NoAudioStream,
            "silent_film.mp4 has no audio track: choose a file with sound, or export the sound from your video editor.",
        ),
        (
            "truncated.wav",
            TruncatedAudio,
            "truncated.wav is cut short (264,622 bytes of the size in its header are missing):"
            " copy or export it again.",
        ),
        ("truncated.flac", TruncatedAudio, "truncated.flac begins like FLAC audio but cannot be decoded"),
        ("truncated.mp3", TruncatedAudio, "truncated.mp3 ends after 1."),
        ("truncated.m4a", TruncatedAudio, "truncated.m4a begins like MP4/M4A/MOV audio but cannot be decoded"),
        ("truncated.webm", TruncatedAudio, "truncated.webm ends after 1."),
        (
            "nan.wav",
            InvalidSamples,
            "nan.wav contains invalid samples (NaN or infinity) at 1.5 s: re-export it from your audio editor.",
        ),
        (
            "inf.wav",
            InvalidSamples,
            "inf.wav contains invalid samples (NaN or infinity) at 0.5 s: re-export it from your audio editor.",
        ),
    ],
)
def test_bad_file_gives_its_own_error_and_one_sentence(
    corpus: Corpus, name: str, error_class: type[AudioError], expected: str
) -> None:
    with pytest.raises(error_class) as caught:
        load(corpus[name])
    assert str(caught.value).startswith(expected)
    assert_one_sentence(caught.value, name)


def test_error_classes_are_distinct() -> None:
    classes = {
        AudioFileNotFound,
        AudioIsDirectory,
        AudioPermissionDenied,
        AudioRangeError,
        AudioTooLong,
        EmptyAudio,
        InvalidSamples,
        NoAudioStream,
        NotAudio,
        TextNotAudio,
        TruncatedAudio,
    }
    assert len(classes) == 11
    assert all(issubclass(cls, AudioError) for cls in classes)


def test_missing_file(corpus: Corpus) -> None:
    with pytest.raises(AudioFileNotFound) as caught:
        probe(corpus.folder / "missing.wav")
    assert str(caught.value) == f"missing.wav does not exist: check the path {corpus.folder / 'missing.wav'}."


def test_missing_file_has_no_hash(corpus: Corpus) -> None:
    with pytest.raises(AudioFileNotFound):
        file_sha256(corpus.folder / "missing.flac")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(corpus: Corpus) -> None:
    with pytest.raises(AudioPermissionDenied) as caught:
        load(corpus["locked.wav"])
    assert_one_sentence(caught.value, "locked.wav")


def test_unreadable_file_as_the_os_reports_it(corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same check for root, who can read mode-000 files: the OS refusal is what we translate."""
    locked = corpus["locked.wav"]
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(AudioPermissionDenied) as caught:
        load(locked)
    assert str(caught.value) == (
        "locked.wav cannot be read (permission denied): change its permissions or copy it somewhere readable."
    )


def test_too_long_for_the_limit(corpus: Corpus) -> None:
    with pytest.raises(AudioTooLong) as caught:
        load(corpus["ten_minutes.flac"], max_duration=3600.0 / 8)
    assert str(caught.value) == (
        "ten_minutes.flac is 10 min 00 s long, over the 7 min 30 s limit:"
        " choose a segment with --start and --end, or raise the limit."
    )
    with pytest.raises(AudioTooLong, match=r"^The selected part of ten_minutes.flac is 8 min 20 s long"):
        load(corpus["ten_minutes.flac"], start=100.0, max_duration=60.0)
    assert load(corpus["ten_minutes.flac"], start=10.0, end=70.0, max_duration=60.0).duration == 60.0
    assert load(corpus["ten_minutes.flac"], max_duration=None).duration == 600.0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"start": 12.0},
            "--start 12.0 s is past the end of stereo.wav (3.0 s): choose a start before 3.0 s.",
        ),
        ({"start": -1.0}, "--start -1.0 s is negative: choose a start of 0 s or later."),
        (
            {"end": 3.5},
            "--end 3.5 s is past the end of stereo.wav (3.0 s): choose an end of at most 3.0 s.",
        ),
        (
            {"start": 2.0, "end": 1.5},
            "--end 1.5 s is not after --start 2.0 s for stereo.wav: choose an end later than the start.",
        ),
        (
            {"channel": 2},
            "Channel 2 does not exist in stereo.wav, which has 2 channel(s): choose a channel from 0 to 1.",
        ),
    ],
)
def test_range_errors_name_the_value_and_the_file(corpus: Corpus, kwargs: dict[str, float], expected: str) -> None:
    with pytest.raises(AudioRangeError) as caught:
        load(corpus["stereo.wav"], **kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == expected
