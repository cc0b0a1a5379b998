"""Audio input for a2i-studio: decoding, clips and the errors of bad files.

Importing this package is cheap (numpy, soundfile, PyAV, soxr; never torch).
:func:`load` resamples with soxr, or with the resampler a pretrained model's
official pipeline used (:data:`RESAMPLERS`, :func:`resample`, and
:func:`open_stream` for sound that arrives block by block).
The heavier parts are submodules that callers import when they need them:

- :mod:`a2i_studio.audio.features`: torch features for every backend
  (VGGish log-mel, ImageBind fbank, MFCC summary, FFT frames, display mel).
- :mod:`a2i_studio.audio.features_numpy`: the MFCC summary without torch, for
  the default chain's fast cold start.
- :mod:`a2i_studio.audio.peaks`: the min/max/RMS pyramid behind the timeline.
- :mod:`a2i_studio.audio.tiles`: spectrogram tiles for the visible range.
- :mod:`a2i_studio.audio.live`: recording and playback through sounddevice.
- :mod:`a2i_studio.audio.live_input`: live sound as it is heard, from an input device (loopback
  ones included) or a file played in real time.
- :mod:`a2i_studio.audio.envelopes`: loudness, onset, beat and band envelopes, onsets,
  beats and section changes of a clip, for audio-reactive video;
  :mod:`a2i_studio.audio.live_envelopes` the same of live sound as it arrives.
"""

from __future__ import annotations

from a2i_studio.audio._clip import MAX_FILE_BYTES, MAX_SECONDS, AudioInfo, Clip, file_sha256, pad_to
from a2i_studio.audio._errors import (
    AudioFileNotFound,
    AudioIsDirectory,
    AudioNotAFile,
    AudioPermissionDenied,
    AudioRangeError,
    AudioTooLong,
    EmptyAudio,
    InvalidSamples,
    NoAudioDevice,
    NoAudioStream,
    NotAudio,
    TextNotAudio,
    TruncatedAudio,
)
from a2i_studio.audio._load import AudioLevels, load, measure_levels, probe, stream
from a2i_studio.audio._resample import RESAMPLERS, ResamplerName, SampleType, Stream, open_stream, resample
from a2i_studio.errors import AudioError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_SECONDS",
    "RESAMPLERS",
    "AudioError",
    "AudioFileNotFound",
    "AudioInfo",
    "AudioIsDirectory",
    "AudioLevels",
    "AudioNotAFile",
    "AudioPermissionDenied",
    "AudioRangeError",
    "AudioTooLong",
    "Clip",
    "EmptyAudio",
    "InvalidSamples",
    "NoAudioDevice",
    "NoAudioStream",
    "NotAudio",
    "ResamplerName",
    "SampleType",
    "Stream",
    "TextNotAudio",
    "TruncatedAudio",
    "file_sha256",
    "load",
    "measure_levels",
    "open_stream",
    "pad_to",
    "probe",
    "resample",
    "stream",
]
