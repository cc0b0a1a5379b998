"""Named embedding spaces and the shape checks between components."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from a2i_studio.errors import ShapeError

__all__ = [
    "BUILTIN_SPACES",
    "CLIP_TEXT_SD15",
    "CLIP_TEXT_SD21",
    "FFT_FRAMES",
    "IMAGEBIND_AUDIO",
    "MFCC_STEREO_SUMMARY",
    "MFCC_SUMMARY",
    "SD3_TEXT",
    "VGGISH",
    "VGGISH_SEQUENCE",
    "Space",
    "shape_of",
]


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a tensor or array as a tuple of ints (duck-typed, no torch import)."""
    return tuple(int(size) for size in value.shape)


@dataclass(frozen=True)
class Space:
    """A named embedding space with the shape of one value in it (no batch axis).

    ``None`` in the shape stands for an axis whose length varies from clip to
    clip, such as the number of 0.96 s frames of a VGGish sequence. A space with
    ``parts`` carries a dict of tensors (SD3's pooled and sequence embeddings);
    its ``shape`` is then empty and each part has its own.

    Two components connect when the output space of one *is* the input space of
    the next: same name and same shape.
    """

    name: str
    shape: tuple[int | None, ...] = ()
    parts: tuple[tuple[str, tuple[int | None, ...]], ...] = ()
    description: str = field(default="", compare=False)

    def __str__(self) -> str:
        if self.parts:
            inner = ", ".join(f"{key} {_format_shape(shape)}" for key, shape in self.parts)
            return f"{self.name} {{{inner}}}"
        return f"{self.name} {_format_shape(self.shape)}"

    def check(self, value: Any, component_id: str, role: str) -> None:
        """Raise :class:`ShapeError` unless ``value`` fits this space.

        Args:
            value: A tensor (or, for a space with parts, a dict of tensors).
            component_id: The component that produced or receives the value.
            role: ``"output"`` or ``"input"``; used in the message.

        Raises:
            ShapeError: Naming the component, the expected and the actual shape.
        """
        if self.parts:
            if not isinstance(value, dict) or set(value) != {key for key, _ in self.parts}:
                got = sorted(value) if isinstance(value, dict) else type(value).__name__
                raise ShapeError(
                    f"{component_id} {role} should be the parts {[k for k, _ in self.parts]} "
                    f"of space {self.name}, got {got}."
                )
            for key, shape in self.parts:
                _check_shape(shape, shape_of(value[key]), f"{component_id} {role} part {key!r}", self.name)
            return
        if isinstance(value, dict) or not hasattr(value, "shape"):
            raise ShapeError(
                f"{component_id} {role} should be a tensor in space {self.name}, "
                f"got {type(value).__name__}."
            )
        _check_shape(self.shape, shape_of(value), f"{component_id} {role}", self.name)


def _check_shape(expected: tuple[int | None, ...], actual: tuple[int, ...], where: str, space: str) -> None:
    fits = len(expected) == len(actual) and all(e is None or e == a for e, a in zip(expected, actual, strict=True))
    if not fits:
        raise ShapeError(
            f"{where} has shape {_format_shape(actual)} but space {space} "
            f"expects {_format_shape(expected)}."
        )


def _format_shape(shape: tuple[int | None, ...]) -> str:
    inner = ", ".join("N" if size is None else str(size) for size in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


# The spaces the built-in backends speak; third-party plugins meet them here.
MFCC_SUMMARY = Space("mfcc-summary", (104,), description="MFCC statistics of a clip (see audio.features)")
MFCC_STEREO_SUMMARY = Space(
    "mfcc-stereo-summary", (136,),
    description="the 104 MFCC statistics of the mono mix, stereo balance per band and loudness/event-rate features",
)
FFT_FRAMES = Space("fft-frames", (500, 220), description="magnitude spectra of 500 equal sections")
VGGISH = Space("vggish", (128,), description="VGGish embedding, mean over 0.96 s frames")
VGGISH_SEQUENCE = Space("vggish-sequence", (None, 128), description="VGGish embedding per 0.96 s frame")
IMAGEBIND_AUDIO = Space("openclip-vit-h/image", (1024,), description="ImageBind audio = OpenCLIP ViT-H image space")
CLIP_TEXT_SD15 = Space("clip-text/sd15", (77, 768), description="CLIP ViT-L/14 text states (SD 1.x)")
CLIP_TEXT_SD21 = Space("clip-text/sd21", (77, 1024), description="OpenCLIP ViT-H text states (SD 2.x)")
SD3_TEXT = Space(
    "sd3-text",
    parts=(("pooled", (2048,)), ("sequence", (333, 4096))),
    description="SD3 pooled CLIP embedding and joint text sequence",
)

BUILTIN_SPACES = (
    MFCC_SUMMARY, MFCC_STEREO_SUMMARY, FFT_FRAMES, VGGISH, VGGISH_SEQUENCE, IMAGEBIND_AUDIO, CLIP_TEXT_SD15,
    CLIP_TEXT_SD21, SD3_TEXT,
)
"""Every space above; the registry knows them from the start, so plugins find them by name."""
