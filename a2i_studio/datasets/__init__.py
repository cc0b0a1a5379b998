"""Paired audio/image datasets: the folder format every trainer reads, and its splits.

A dataset is a folder with ``metadata.csv`` (columns ``audio, image, label,
prompt``; paths relative to the folder; any cell may be empty where a trainer
does not need it), or a folder of class folders (``label/clip.wav`` with an
optional ``label/clip.png`` beside it). ``a2i datasets make soundscapes``
writes one that can always be built offline (:mod:`a2i_studio.datasets.soundscapes`).

Importing this package imports neither numpy nor torch.
"""

from __future__ import annotations

from a2i_studio.datasets._folders import AUDIO_SUFFIXES, IMAGE_SUFFIXES, METADATA, read_dataset, write_metadata
from a2i_studio.datasets._labelled_audio import LabelledAudioReport, LabelledClip, scan_labelled_audio
from a2i_studio.datasets._paired import MIRRORED_ATTRIBUTE, PICTURE_ATTRIBUTES, PairedDataset, PairedItem

__all__ = [
    "AUDIO_SUFFIXES",
    "IMAGE_SUFFIXES",
    "METADATA",
    "MIRRORED_ATTRIBUTE",
    "PICTURE_ATTRIBUTES",
    "LabelledAudioReport",
    "LabelledClip",
    "PairedDataset",
    "PairedItem",
    "read_dataset",
    "scan_labelled_audio",
    "write_metadata",
]
