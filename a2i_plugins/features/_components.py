"""The weight-free encoders: the MFCC summary and its stereo extension (numpy), and FFT frames."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from a2i_studio.core import FFT_FRAMES, MFCC_STEREO_SUMMARY, MFCC_SUMMARY, Encoder, RunContext

if TYPE_CHECKING:
    import numpy as np
    import torch

__all__ = ["FftFramesEncoder", "MfccEncoder", "MfccStereoEncoder"]


class MfccEncoder(Encoder):
    """MFCC summary statistics of the whole selection, as a float32 numpy array.

    The numbers of ``a2i_studio.audio.features.mfcc_summary``, computed by
    ``a2i_studio.audio.features_numpy.mfcc_summary_numpy`` without torch.
    """

    id = "mfcc"
    name = "MFCC summary"
    description = "104 MFCC statistics of the selected audio; no weights."
    version = "1"
    output_space = MFCC_SUMMARY
    sample_rate = 16_000
    min_seconds = 1.0
    window_seconds = 4.0
    needs_torch = False

    def encode(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> np.ndarray:
        from a2i_studio.audio.features_numpy import mfcc_summary_numpy

        return mfcc_summary_numpy(samples, self.sample_rate)


class MfccStereoEncoder(Encoder):
    """The ``mfcc`` summary of the mono mix, plus stereo balance, band levels and event rates (136 values).

    It reads every channel (``keep_channels``), so a sound panned left or
    right gives balance values of opposite sign, and mono gives zeros there.
    The values are listed in :mod:`a2i_plugins.features._stereo`.
    """

    id = "mfcc-stereo"
    name = "MFCC + stereo summary"
    description = "104 MFCC statistics of the mono mix, stereo balance in 8 bands, loudness, event rates; no weights."
    version = "1"
    output_space = MFCC_STEREO_SUMMARY
    sample_rate = 16_000
    keep_channels = True
    min_seconds = 1.0
    window_seconds = 4.0
    needs_torch = False

    def encode(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> np.ndarray:
        from a2i_plugins.features._stereo import mfcc_stereo_summary

        return mfcc_stereo_summary(samples, self.sample_rate)


class FftFramesEncoder(Encoder):
    """The selection cut into 500 sections, magnitude spectrum of each (the pixel transformer's input)."""

    id = "fft"
    name = "FFT frames"
    description = "Magnitude spectra of 500 equal sections of the audio; no weights."
    version = "1"
    output_space = FFT_FRAMES
    sample_rate = 16_000
    min_seconds = 1.0
    window_seconds = 4.0

    def encode(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> torch.Tensor:
        import torch

        from a2i_studio.audio.features import fft_frames

        sections, bins = FFT_FRAMES.shape
        assert sections is not None and bins is not None  # the space has a fixed shape
        waveform = torch.from_numpy(samples).float()
        return fft_frames(waveform, sections=sections, bins=bins).to(ctx.device)
