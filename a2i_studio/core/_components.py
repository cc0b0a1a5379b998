"""Components: encoders, adapters, generators and trainers, and what they run with.

A component is a small class with an explicit interface. Its class attributes
describe it (id, spaces, parameters, weights) without loading anything, so the
app can list thousands of chains without importing torch; ``load`` brings in
the heavy parts when a chain first runs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from a2i_studio.core._continuity import FrameHints
from a2i_studio.core._params import Param
from a2i_studio.core._spaces import Space
from a2i_studio.errors import Cancelled

if TYPE_CHECKING:
    import os

    import numpy as np
    import torch
    from PIL.Image import Image

    from a2i_studio.audio import Clip, ResamplerName, SampleType

__all__ = [
    "Adapter",
    "CancelToken",
    "Component",
    "Encoder",
    "Generator",
    "Progress",
    "ProgressCallback",
    "RunContext",
    "TextEncoding",
    "WeightExtractor",
    "WeightSpec",
]


@dataclass(frozen=True)
class Progress:
    """One progress report: ``step`` of ``total`` done, with an optional preview image."""

    step: int
    total: int
    stage: str = ""
    preview: Image | None = None


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """Set by the user (from any thread); long work checks it between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next step."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`~a2i_studio.errors.Cancelled` if :meth:`cancel` was called."""
        if self._event.is_set():
            raise Cancelled("Cancelled by the user; nothing was saved.")


@dataclass(frozen=True)
class WeightSpec:
    """A weights file a component needs, and how a user gets it.

    Attributes:
        name: Stable name used by ``a2i models`` (``vggish``, ``aegan-soundscapes``).
        filename: The file or folder name looked up in the models dir.
        description: One line saying what the weights are.
        size_bytes: Expected size, shown before a download.
        sha256: Expected checksum of a single file, if known: the full hex digest, or a
            prefix of at least 8 digits (the convention of torch.hub file names).
        bundled: Path of a copy shipped inside the installed package, if any.
        hf_repo: Hugging Face repo id to download from, if any.
        url: Direct download URL, if any.
        subdir: Folder of the models dir it lives in (checkpoints, loras, adapters, encoders).
        files: For a multi-file Hugging Face repo (a diffusers pipeline), the glob patterns of
            the files it needs; the weights are then a folder, ``filename`` in the models dir
            or a snapshot in the Hugging Face cache. Empty for a single file.
        revision: The Hugging Face revision (branch, tag or commit); ``None`` for ``main``.
    """

    name: str
    filename: str
    description: str
    size_bytes: int | None = None
    sha256: str | None = None
    bundled: Path | None = None
    hf_repo: str | None = None
    url: str | None = None
    subdir: str = "checkpoints"
    files: tuple[str, ...] = ()
    revision: str | None = None


@dataclass
class RunContext:
    """What a component runs with: device, dtype, seeds, progress and cancel.

    Attributes:
        device: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"mps"``.
        dtype: ``"float32"``, ``"float16"`` or ``"bfloat16"``.
        seeds: One seed per image to make; image ``i`` must depend on ``seeds[i]`` alone,
            so a single image is reproduced by running again with ``[seeds[i]]``.
        progress: Called with :class:`Progress`; may be ``None``.
        cancel: Checked by :meth:`report`; components doing long loops call :meth:`report`.
        frame: Set when the run makes one frame of a video: what keeps it with its
            neighbours (see :mod:`a2i_studio.core._continuity`); ``None`` for a still image.
    """

    device: str
    dtype: str
    seeds: tuple[int, ...]
    progress: ProgressCallback | None = None
    cancel: CancelToken | None = None
    frame: FrameHints | None = None

    def report(self, step: int, total: int, stage: str = "", preview: Image | None = None) -> None:
        """Report progress and stop here with ``Cancelled`` if the user cancelled."""
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        if self.progress is not None:
            self.progress(Progress(step, total, stage, preview))

    def numpy_generators(self) -> list[np.random.Generator]:
        """One seeded numpy ``Generator`` per image, for components that run without torch."""
        import numpy as np

        return [np.random.default_rng(seed) for seed in self.seeds]

    def cpu_generators(self) -> list[torch.Generator]:
        """One seeded CPU ``torch.Generator`` per image.

        Random numbers are drawn on the CPU and then moved to the device, so a seed
        gives the same image on any device.
        """
        import torch

        return [torch.Generator(device="cpu").manual_seed(seed) for seed in self.seeds]

    @property
    def torch_dtype(self) -> torch.dtype:
        """The ``torch.dtype`` for :attr:`dtype`."""
        import torch

        dtype: torch.dtype = getattr(torch, self.dtype)
        return dtype


class Component:
    """Base of every component; describes itself in class attributes.

    Attributes:
        kind: ``"encoder"``, ``"adapter"``, ``"generator"`` or ``"trainer"``.
        id: Stable id used in chain ids and recipes; letters, digits, ``-`` and ``_``.
        name: Display name.
        description: One line.
        version: Bump it when outputs for the same inputs change; recipes record it.
        params: The parameter schema.
        weights: The weights the component needs; empty for weight-free components.
        needs_torch: ``False`` for components that run on numpy alone; a chain made only of
            such components runs on the CPU without importing torch (a fast cold start).
    """

    kind: ClassVar[str] = ""
    id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    params: ClassVar[tuple[Param, ...]] = ()
    weights: ClassVar[tuple[WeightSpec, ...]] = ()
    needs_torch: ClassVar[bool] = True

    def load(self, device: str, dtype: str) -> None:
        """Load weights and move them to ``device`` / ``dtype``; import torch here, not at module level."""

    def unload(self) -> None:
        """Free what :meth:`load` took."""

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description of the component."""
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "version": self.version,
            "params": [param.describe() for param in self.params],
            "weights": [spec.name for spec in self.weights],
        }


class Encoder(Component):
    """Audio -> one value in :attr:`output_space`.

    The class attributes say how audio is decoded for the encoder; every
    caller decodes through :meth:`read`, so an encoder trained on one
    official pipeline (its resampler, its channels) is fed the same way at
    generation and at training time.

    Attributes:
        output_space: The space of the returned tensor.
        sample_rate: The rate the audio arrives at.
        resampler: How it gets there: ``"soxr"`` (HQ, the best general choice), or the
            resampler a pretrained model's official pipeline used, ``"torchaudio"`` or
            ``"resampy"`` (see :data:`a2i_studio.audio.RESAMPLERS`).
        keep_channels: ``False``: mono samples ``(frames,)``, the mean of the channels;
            ``True``: every channel, ``(channels, frames)``.
        sample_dtype: ``"float32"``, or ``"float64"`` to mix and resample in double precision.
        min_seconds: Shorter audio is zero-padded to this length, with a warning.
        window_seconds: The segment the GUI selects by default; ``None`` for the whole clip.
    """

    kind: ClassVar[str] = "encoder"
    output_space: ClassVar[Space]
    sample_rate: ClassVar[int] = 16_000
    resampler: ClassVar[ResamplerName] = "soxr"
    keep_channels: ClassVar[bool] = False
    sample_dtype: ClassVar[SampleType] = "float32"
    min_seconds: ClassVar[float] = 0.0
    window_seconds: ClassVar[float | None] = None

    def read(self, path: str | os.PathLike[str], start: float | None = None, end: float | None = None) -> Clip:
        """Decode ``path`` (or the segment from ``start`` to ``end``) as :meth:`encode` expects it.

        Returns:
            A clip at :attr:`sample_rate`, padded to :attr:`min_seconds` (with a warning) if shorter.

        Raises:
            AudioError: A subclass naming the file and what is wrong with it.
        """
        from a2i_studio import audio

        clip = audio.load(
            path, start=start, end=end, sample_rate=self.sample_rate, resampler=self.resampler,
            keep_channels=self.keep_channels, dtype=self.sample_dtype,
        )
        return audio.pad_to(clip, self.min_seconds) if clip.duration < self.min_seconds else clip

    def encode(self, samples: np.ndarray, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """Embed the ``samples`` of a clip from :meth:`read`; return a tensor on ``ctx.device``."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "output_space": str(self.output_space)}


class Adapter(Component):
    """A value in :attr:`input_space` -> a value in :attr:`output_space`."""

    kind: ClassVar[str] = "adapter"
    input_space: ClassVar[Space]
    output_space: ClassVar[Space]

    def adapt(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """Map ``value`` to the output space."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "input_space": str(self.input_space),
            "output_space": str(self.output_space),
        }


class Generator(Component):
    """A value in :attr:`input_space` -> ``len(ctx.seeds)`` RGB images."""

    kind: ClassVar[str] = "generator"
    input_space: ClassVar[Space]

    def generate(self, value: Any, params: Mapping[str, Any], ctx: RunContext) -> list[Image]:
        """Make one image per seed in ``ctx.seeds``; image ``i`` depends only on ``seeds[i]``."""
        raise NotImplementedError

    # -- video frames (see a2i_studio.core._continuity) --------------------------------------------

    continuity: ClassVar[tuple[str, ...]] = ("fixed",)
    """The continuity modes the generator honours: ``fixed`` always; add ``drift`` (take
    ``ctx.frame.noise``, implement :meth:`draw_noise`) and ``previous`` (start from
    ``ctx.frame.previous`` at ``ctx.frame.strength``) when :meth:`generate` does."""

    def draw_noise(self, seed: int, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """The random draw :meth:`generate` would start from for ``seed`` (``drift`` generators only).

        The frame stream interpolates between the draws of two seeds and hands the
        result back in ``ctx.frame.noise``; ``generate`` given this method's own draw
        must make the same image as ``generate`` given the seed alone.
        """
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "input_space": str(self.input_space)}


@runtime_checkable
class TextEncoding(Protocol):
    """A generator whose input space is a text-embedding space, and which encodes prompts into it.

    Implement :meth:`encode_text` on your generator class (naming ``TextEncoding``
    among its bases says so explicitly); the adapter trainer finds it by this
    protocol, and uses it to make its targets (``a2i train adapter --generator ID``):
    the adapter learns to map audio embeddings to what :meth:`encode_text` makes
    of each training pair's caption.
    """

    def encode_text(self, text: str, params: Mapping[str, Any], ctx: RunContext) -> Any:
        """``text`` as a value of the generator's input space, as ``generate`` would receive it.

        Args:
            text: The prompt; ``""`` gives the empty prompt's embedding.
            params: The generator's parameters (resolved), e.g. which model encodes the text.
            ctx: Device and dtype to load the text encoder with.

        Returns:
            A tensor of the input space's shape (a dict of tensors for a space with parts), on the CPU.
        """
        ...


@runtime_checkable
class WeightExtractor(Protocol):
    """A component that can keep the part of a big checkpoint it needs: ``a2i models extract ID FILE``.

    Implement :meth:`extract_weights` on your component class (no base class
    needed); the CLI finds it by this protocol. ImageBind's encoder keeps the
    audio tower of the 4.5 GB all-modality checkpoint this way.
    """

    def extract_weights(self, source: Path) -> Path:
        """Write the needed part of ``source`` where the component's ``load()`` looks first.

        Args:
            source: The full checkpoint the user has.

        Returns:
            The file written.

        Raises:
            A2IError: One sentence naming ``source`` when it cannot be used (a ``CheckpointError``).
        """
        ...
