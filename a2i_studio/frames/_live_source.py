"""Windows of live sound, one per frame, each ending at the newest sound heard: the live counterpart of FileSource.

Fed the blocks a :class:`~a2i_studio.audio.live_input.LiveInput` hands out, it
keeps the last window of sound at the encoder's rate (resampled as it
arrives, by the encoder's own resampler) and a
:class:`~a2i_studio.audio.live_envelopes.LiveAnalyser` for the envelopes the
modulations follow and the onsets and beats keyframes fall on. A render's
frame listens to the window centred on it; a live frame cannot hear the
future, so its window ends at the newest sound heard when it is made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from a2i_studio.audio import open_stream
from a2i_studio.audio.envelopes import ANALYSIS_RATE, band_of
from a2i_studio.audio.live_envelopes import EVENTS, LiveAnalyser
from a2i_studio.core import Encoder
from a2i_studio.errors import ParamError
from a2i_studio.frames._settings import VideoSettings
from a2i_studio.frames._source import AudioWindow

if TYPE_CHECKING:
    from a2i_studio.audio import Stream
    from a2i_studio.audio.live_input import Block

__all__ = ["LiveWindows", "check_live_settings"]


def check_live_settings(settings: VideoSettings) -> None:
    """Refuse what live sound cannot give: keyframes on sections need the seconds after a change.

    Raises:
        ParamError: In one sentence.
    """
    if settings.keyframes == "sections":
        raise ParamError(
            "--keyframes sections needs the seconds after a change of scene, which live sound does not have "
            "yet; use onsets, beats or every."
        )


class LiveWindows:
    """The newest window of a live input, for each frame as it is made.

    Args:
        settings: The video settings (rate, keyframes, modulations).
        encoder: The chain's encoder: windows are as it reads a clip (rate, resampler, channels, dtype).
        window_seconds: The sound each frame listens to.
        sample_rate: The live input's rate.
        channels: The live input's channels.

    Raises:
        ParamError: For keyframes on sections, which need the sound after a change.
    """

    def __init__(
        self, settings: VideoSettings, encoder: Encoder, window_seconds: float, sample_rate: int, channels: int
    ) -> None:
        check_live_settings(settings)
        self.settings = settings
        self.sample_rate = sample_rate
        self.channels = channels
        self.heard = 0.0
        """:func:`time.monotonic` when the newest sample fed was heard."""
        self.samples = 0
        """Samples fed, at ``sample_rate``."""
        self._keep = encoder.keep_channels and channels > 1
        size = round(window_seconds * encoder.sample_rate)
        self._dtype = np.dtype(encoder.sample_dtype)
        self._window = np.zeros((size, channels) if self._keep else (size,), dtype=self._dtype)
        self._to_encoder: Stream | None = None
        if sample_rate != encoder.sample_rate:
            self._to_encoder = open_stream(
                encoder.resampler, sample_rate, encoder.sample_rate, channels if self._keep else None,
                encoder.sample_dtype,
            )
        self._names = settings.envelope_names()
        self._analyser: LiveAnalyser | None = None
        self._to_analysis: Stream | None = None
        if self._names or settings.keyframes in EVENTS:
            self._analyser = LiveAnalyser([band for band in map(band_of, self._names) if band is not None])
            if sample_rate != ANALYSIS_RATE:
                self._to_analysis = open_stream("soxr", sample_rate, ANALYSIS_RATE, None)
        self._last_time = 0.0

    @property
    def time(self) -> float:
        """Seconds of sound fed."""
        return self.samples / self.sample_rate

    def feed(self, blocks: Sequence[Block]) -> None:
        """Take the blocks heard since the last call, in order."""
        for block in blocks:
            samples = block.samples
            mono = samples[:, 0] if samples.shape[1] == 1 else samples.mean(axis=1, dtype=np.float32)
            part = (samples if self._keep else mono).astype(self._dtype, copy=False)
            if self._to_encoder is not None:
                part = self._to_encoder.resample_chunk(part)
            self._slide(part)
            if self._analyser is not None:
                self._analyser.feed(mono if self._to_analysis is None else self._to_analysis.resample_chunk(mono))
            self.samples += samples.shape[0]
            self.heard = block.heard

    def window(self, index: int) -> AudioWindow:
        """Frame ``index``'s window: the newest sound, its envelopes, and whether a keyframe fell since the last."""
        time = self.time
        keyframe = self._keyframe(time) or index == 0
        envelopes: dict[str, float] = {}
        if self._analyser is not None and self._names:
            envelopes = self._analyser.envelopes(self._names, 1 / self.settings.fps)
        self._last_time = time
        samples = np.ascontiguousarray(self._window.T) if self._keep else self._window.copy()
        return AudioWindow(index=index, time=time, samples=samples, envelopes=envelopes, keyframe=keyframe)

    def _slide(self, part: np.ndarray) -> None:
        size = self._window.shape[0]
        if part.shape[0] >= size:
            self._window = part[-size:].copy()
        elif part.shape[0]:
            self._window = np.concatenate([self._window[part.shape[0] :], part])

    def _keyframe(self, time: float) -> bool:
        """Whether a keyframe falls between the last window and this one (each event is asked for once)."""
        mode = self.settings.keyframes
        if mode == "every":
            every = self.settings.keyframe_every
            return math.floor(time / every) > math.floor(self._last_time / every)
        if mode in EVENTS:
            assert self._analyser is not None
            return self._analyser.event(mode)
        return False
