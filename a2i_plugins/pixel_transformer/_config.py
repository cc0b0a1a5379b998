"""The pixel transformer's shape, saved beside its weights; imports neither torch nor numpy."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from a2i_studio.errors import CheckpointError, ParamError

__all__ = ["START_TOKEN", "VOCAB", "PixelConfig"]

VOCAB = 256
"""Pixel classes: every 8-bit value of a grey level or a colour channel."""

START_TOKEN = VOCAB
"""The extra input token that stands before the first pixel."""

_POSITIONS = ("flat", "grid")
_INVALID = "Pixel transformer settings are invalid:"

# Bounds a config (a preset, the user's settings, or a checkpoint's metadata) is checked against
# before anything is built from it: far above the presets (32 px, 512 wide, 6 + 6 layers), and
# small enough that the buffers built from the config alone (the position tables) stay under 0.5 GB.
_INT_BOUNDS = {
    "image_size": (2, 128),
    "channels": (1, 3),
    "sections": (1, 20_000),
    "bins": (1, 4096),
    "audio_stride": (1, 20_000),
    "d_model": (4, 2048),
    "heads": (1, 64),
    "encoder_layers": (1, 48),
    "decoder_layers": (1, 48),
    "ff_mult": (1, 16),
    "window": (1, 1 << 16),
}


@dataclass(frozen=True)
class PixelConfig:
    """Everything that fixes the shape of a pixel transformer.

    The image is a sequence of ``image_size * image_size * channels`` tokens,
    row by row. Grayscale (``channels=1``) has one token per pixel, as in the
    seed paper. RGB (``channels=3``) interleaves the channels, ``r g b`` of a
    pixel before the next pixel, so each channel value is predicted from the
    earlier channels of the same pixel and from the pixels before it.

    Attributes:
        image_size: Side of the square image in pixels.
        channels: 1 for grayscale, 3 for RGB.
        sections: Audio sections (rows of the FFT frames).
        bins: Magnitude values per section.
        audio_stride: Sections joined into one encoder token by the linear
            embedding (1 embeds each section on its own, as in the seed).
        d_model: Width of every layer.
        heads: Attention heads in every attention layer.
        encoder_layers: Layers of the audio encoder.
        decoder_layers: Layers of the pixel decoder.
        ff_mult: Feed-forward width as a multiple of ``d_model``.
        window: Local attention width in tokens: the output at position ``t``
            sees the ``window`` tokens before it (``t - window .. t - 1``).
        dropout: Dropout after attention, feed-forward and embeddings.
        positions: ``"flat"``: sinusoidal positions of the flattened sequence
            (the seed); ``"grid"``: half the width encodes the row, half the
            column, plus a learned embedding per colour channel.
        magnitude_floor: Magnitudes are read as ``log1p(magnitude / floor)``
            before the per-bin standardisation.
    """

    image_size: int = 32
    channels: int = 1
    sections: int = 500
    bins: int = 220
    audio_stride: int = 1
    d_model: int = 512
    heads: int = 8
    encoder_layers: int = 6
    decoder_layers: int = 6
    ff_mult: int = 4
    window: int = 256
    dropout: float = 0.1
    positions: str = "flat"
    magnitude_floor: float = 1e-4

    def __post_init__(self) -> None:
        for name, (low, high) in _INT_BOUNDS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ParamError(f"{_INVALID} {name} is {value!r}, not a whole number from {low} to {high}.")
        for name in ("dropout", "magnitude_floor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParamError(f"{_INVALID} {name} is {value!r}, not a number.")
        checks = [
            (self.channels in (1, 3), "channels must be 1 (grayscale) or 3 (RGB)"),
            (self.sections % self.audio_stride == 0, "audio_stride must divide sections"),
            (self.d_model % self.heads == 0, "heads must divide d_model"),
            (self.d_model % 4 == 0, "d_model must be a multiple of 4"),
            (0.0 <= self.dropout < 1.0, "dropout must be in [0, 1)"),
            (self.positions in _POSITIONS, "positions must be 'flat' or 'grid'"),
            (self.magnitude_floor > 0, "magnitude_floor must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise ParamError(f"{_INVALID} {message} ({self}).")

    @property
    def sequence_length(self) -> int:
        """Tokens per image."""
        return self.image_size * self.image_size * self.channels

    @property
    def row_tokens(self) -> int:
        """Tokens per image row."""
        return self.image_size * self.channels

    @property
    def audio_tokens(self) -> int:
        """Encoder tokens per clip."""
        return self.sections // self.audio_stride

    @property
    def weight_count(self) -> int:
        """How many numbers a checkpoint of this model holds (parameters and saved buffers).

        The checkpoint loader compares it with the file before building anything, so a small file
        cannot make it allocate a large model. It mirrors :class:`PixelTransformer`'s layers; a test
        checks it against the real model's ``state_dict``.
        """
        width, hidden = self.d_model, self.d_model * self.ff_mult
        linear = width * width + width
        attention, norm = 4 * linear, 2 * width
        feed_forward = (width * hidden + hidden) + (hidden * width + width)
        encoder_layer = norm + attention + norm + feed_forward
        decoder_layer = norm + attention + norm + attention + norm + feed_forward
        channel_embedding = 3 * width if self.positions == "grid" and self.channels == 3 else 0
        return (
            2 * self.bins  # audio mean and std
            + self.audio_stride * self.bins * width + width  # audio embedding
            + self.encoder_layers * encoder_layer + norm + width  # encoder, its norm, the "no audio" memory
            + (VOCAB + 1) * width + channel_embedding  # token (and channel) embeddings
            + self.decoder_layers * decoder_layer + norm  # decoder and its norm
            + width * VOCAB + VOCAB  # head
        )

    @property
    def mode(self) -> str:
        """``"L"`` or ``"RGB"``, the PIL mode of the images it draws."""
        return "L" if self.channels == 1 else "RGB"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any], source: str) -> PixelConfig:
        """Read a config saved by :meth:`to_dict`.

        Args:
            values: The saved fields.
            source: The file it came from, named in the error.

        Raises:
            CheckpointError: For unknown or missing fields, or values of the wrong type or out of bounds.
        """
        if not isinstance(values, dict):
            raise CheckpointError(
                f"{source} holds invalid model settings (a JSON {type(values).__name__}, not an object); "
                "retrain or re-download it."
            )
        names = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise CheckpointError(
                f"{source} has model settings {unknown} that this version does not know; update a2i-studio."
            )
        try:
            return cls(**values)
        except (TypeError, ParamError) as error:
            reason = str(error).removeprefix(_INVALID).strip().rstrip(".")
            raise CheckpointError(
                f"{source} holds invalid model settings ({reason}); retrain or re-download it."
            ) from None
