"""Spectrogram images of the part of a file the timeline shows.

A tile is computed when the view asks for it, from one streaming pass over the
visible frames: one FFT window is centred on each column, so the cost of the
transform depends on the tile's width, not on the zoom, and memory holds only
``columns x n_fft`` samples. Decoding still reads every frame in the range, so
the GUI asks for tiles off the UI thread and keeps the ones it has drawn.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from a2i_studio.audio._readers import open_reader
from a2i_studio.audio.features import mel_spectrogram_db

__all__ = ["spectrogram_tile"]


def spectrogram_tile(
    path: str | os.PathLike[str],
    start_frame: int,
    end_frame: int,
    columns: int,
    *,
    n_mels: int = 128,
    n_fft: int = 2048,
) -> np.ndarray:
    """Mel spectrogram in dB of frames ``start_frame`` to ``end_frame``, ``columns`` wide.

    Column ``i`` is the spectrum of the ``n_fft`` frames of the mono mix-down
    centred on frame ``start + (i + 0.5) * span / columns`` (zeros past the
    file's ends), through the same Slaney mel filters and ``10 log10`` as
    :func:`~a2i_studio.audio.features.mel_spectrogram_db`, without a
    ``top_db`` floor so that neighbouring tiles share one scale.

    Args:
        path: The audio file.
        start_frame: First frame of the view.
        end_frame: Frame after the last one (clamped to the file's length).
        columns: Width of the tile in pixels.
        n_mels: Height of the tile in mel bands (row 0 is the lowest band).
        n_fft: FFT window length.

    Returns:
        float32 array ``[n_mels, columns]``.

    Raises:
        ValueError: The range is empty or ``columns`` is below 1.
        AudioError: A subclass when the file cannot be read.
    """
    with open_reader(Path(path)) as reader:
        info = reader.info
        end_frame = min(end_frame, info.frames)
        if not 0 <= start_frame < end_frame or columns < 1:
            raise ValueError(f"cannot draw frames {start_frame}..{end_frame} in {columns} columns")
        centres = start_frame + ((np.arange(columns) + 0.5) * (end_frame - start_frame) / columns).astype(np.int64)
        window_starts = centres - n_fft // 2
        first = max(int(window_starts[0]), 0)
        last = min(int(window_starts[-1]) + n_fft, info.frames)
        windows = np.zeros((columns, n_fft), dtype=np.float32)
        weights = np.full(info.channels, 1.0 / info.channels, dtype=np.float32)
        position = first
        for block in reader.blocks(first, last):
            mono = block @ weights
            block_end = position + len(mono)
            # Windows overlapping this block: those starting before its end and ending after its start.
            lo = int(np.searchsorted(window_starts, position - n_fft, side="right"))
            hi = int(np.searchsorted(window_starts, block_end, side="left"))
            for index in range(lo, hi):
                begin = max(int(window_starts[index]), position)
                end = min(int(window_starts[index]) + n_fft, block_end)
                offset = begin - int(window_starts[index])
                windows[index, offset : offset + end - begin] = mono[begin - position : end - position]
            position = block_end
    spectrum = mel_spectrogram_db(
        torch.from_numpy(windows.reshape(-1)),
        info.sample_rate,
        n_fft=n_fft,
        hop_length=n_fft,
        n_mels=n_mels,
        top_db=None,
        center=False,
    )
    return spectrum.numpy()
