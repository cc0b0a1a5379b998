"""What decides a video's frames besides the chain: rate, size, window, smoothing, keyframes, continuity, modulation.

:data:`VIDEO_PARAMS` is the schema (the GUI's render dialog builds its form
from it); :class:`VideoSettings` holds one set of values, checks them with a
sentence per mistake and goes into the recipe as a plain dict.
:class:`Modulation` lets a numeric parameter follow a sound envelope.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from a2i_studio.audio.envelopes import band_of
from a2i_studio.core import CONTINUITY_MODES, ChoiceParam, Encoder, FloatParam, IntParam, Param, resolve_params
from a2i_studio.errors import ParamError

__all__ = [
    "CURVES",
    "INTERPOLATIONS",
    "KEYFRAME_MODES",
    "MAX_FPS",
    "VIDEO_PARAMS",
    "Modulation",
    "VideoSettings",
]

MAX_FPS = 120.0
KEYFRAME_MODES = ("none", "every", "onsets", "beats", "sections")
"""``none``: every frame listens to its own window; the others listen only at keyframes and glide between."""
INTERPOLATIONS = ("slerp", "linear")
CURVES = ("linear", "ease-in", "ease-out", "smooth")
"""How an envelope (0-1) maps into a modulation's range: straight, slow start, slow end, or both."""

VIDEO_PARAMS: tuple[Param, ...] = (
    FloatParam("fps", 24.0, "frames per second", minimum=0.1, maximum=MAX_FPS),
    IntParam("width", 0, "frame width in pixels; 0: the generator's own", minimum=0, maximum=4096),
    IntParam("height", 0, "frame height in pixels; 0: the generator's own", minimum=0, maximum=4096),
    FloatParam("window", 0.0, "seconds of sound each frame listens to, centred on it; 0: 2 s (or the "
               "encoder's shortest)", minimum=0.0, maximum=30.0),
    FloatParam("attack", 0.1, "seconds the picture takes to follow a rising value", minimum=0.0, maximum=30.0),
    FloatParam("release", 0.3, "seconds the picture takes to follow a falling value", minimum=0.0, maximum=30.0),
    ChoiceParam("keyframes", "none", "listen at every frame, or only at keyframes and glide between them",
                choices=KEYFRAME_MODES),
    FloatParam("keyframe_every", 2.0, "seconds between keyframes in the 'every' mode", minimum=0.05, maximum=600.0),
    ChoiceParam("interpolation", "slerp", "how to glide between keyframes: spherical or straight",
                choices=INTERPOLATIONS),
    ChoiceParam("continuity", "fixed", "fixed: one random draw for every frame; drift: move slowly to the next "
                "seed's draw; previous: start each frame from the one before", choices=CONTINUITY_MODES),
    FloatParam("drift_seconds", 8.0, "seconds to drift from one seed's draw to the next", minimum=0.1,
               maximum=3600.0),
    FloatParam("strength", 0.5, "previous: how far each frame moves from the one before (1: not at all tied)",
               minimum=0.05, maximum=1.0),
)
"""The video settings as a parameter schema, defaults included."""


@dataclass(frozen=True)
class Modulation:
    """A numeric parameter that follows a sound envelope: ``low`` at 0, ``high`` at 1, through ``curve``.

    Attributes:
        param: ``component.param`` (``aegan.variation``); a bare name is resolved against the chain.
        envelope: ``loudness``, ``onset``, ``beat``, ``bass``, ``mid``, ``treble`` or ``LOW-HIGHhz``.
        low: The parameter's value when the envelope is 0.
        high: Its value when the envelope is 1 (may be below ``low``, to invert).
        curve: One of :data:`CURVES`.
    """

    param: str
    envelope: str
    low: float
    high: float
    curve: str = "linear"

    @classmethod
    def parse(cls, text: str) -> Modulation:
        """``PARAM=ENVELOPE:LOW:HIGH[:CURVE]``, as ``--modulate`` takes it.

        Raises:
            ParamError: Naming the option and what is wrong with it.
        """
        param, separator, rest = text.partition("=")
        parts = rest.split(":")
        if not separator or not param or len(parts) not in (3, 4):
            raise ParamError(
                f"--modulate {text!r} should read PARAM=ENVELOPE:LOW:HIGH[:CURVE], e.g. variation=loudness:0:1.5."
            )
        try:
            low, high = float(parts[1]), float(parts[2])
        except ValueError:
            raise ParamError(f"--modulate {text!r}: LOW and HIGH must be numbers, e.g. variation=loudness:0:1.5.") \
                from None
        return cls(param.strip(), parts[0].strip(), low, high, parts[3].strip() if len(parts) == 4 else "linear")

    def check(self) -> None:
        """Raise :class:`ParamError` for an unknown envelope or curve, or a range that is not finite."""
        band_of(self.envelope)  # raises for an unknown envelope
        if self.curve not in CURVES:
            raise ParamError(f"Modulation curve {self.curve!r} of {self.param} is unknown; use {', '.join(CURVES)}.")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ParamError(f"Modulation of {self.param} has a range that is not finite; use numbers.")

    def value(self, level: float) -> float:
        """The parameter's value at envelope ``level`` (0-1)."""
        shaped = _shape(min(max(level, 0.0), 1.0), self.curve)
        return self.low + (self.high - self.low) * shaped

    def describe(self) -> str:
        """``aegan.variation = loudness 0 -> 1.5 (linear)``."""
        return f"{self.param} = {self.envelope} {self.low:g} → {self.high:g} ({self.curve})"


@dataclass(frozen=True)
class VideoSettings:
    """One set of video settings; every field is described in :data:`VIDEO_PARAMS`."""

    fps: float = 24.0
    width: int = 0
    height: int = 0
    window: float = 0.0
    attack: float = 0.1
    release: float = 0.3
    keyframes: str = "none"
    keyframe_every: float = 2.0
    interpolation: str = "slerp"
    continuity: str = "fixed"
    drift_seconds: float = 8.0
    strength: float = 0.5
    modulations: tuple[Modulation, ...] = field(default=())

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> VideoSettings:
        """Settings from a dict (a recipe's ``video`` section, or the CLI's options); checked.

        Raises:
            ParamError: For an unknown name or an invalid value, in one sentence.
        """
        plain = {key: value for key, value in values.items() if key != "modulations"}
        if "fps" in plain:
            _check_fps(plain["fps"])
        settings = resolve_params(VIDEO_PARAMS, plain, "video settings")
        modulations = tuple(
            item if isinstance(item, Modulation) else Modulation(**item) for item in values.get("modulations", ())
        )
        for modulation in modulations:
            modulation.check()
        return cls(**settings, modulations=modulations)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict that :meth:`from_values` reads back."""
        return {**asdict(self), "modulations": [asdict(item) for item in self.modulations]}

    def with_values(self, **changes: Any) -> VideoSettings:
        """A copy with ``changes``, checked."""
        values = {item.name: getattr(self, item.name) for item in fields(self)}
        return VideoSettings.from_values({**values, **changes})

    def window_for(self, encoder: Encoder) -> float:
        """The window each frame listens to: the setting, else 2 s, never under the encoder's shortest input.

        Two seconds, not the 4 s MFCC stills listen to: birdsong in a quarter of a 4 s window
        already moves the MFCC statistics, so a change of scene would show a second early.
        """
        return max(self.window or 2.0, encoder.min_seconds)

    def envelope_names(self) -> tuple[str, ...]:
        """The envelopes the modulations follow, each once."""
        return tuple(dict.fromkeys(modulation.envelope for modulation in self.modulations))


def _check_fps(value: Any) -> None:
    try:
        fps = float(value)
    except (TypeError, ValueError):
        raise ParamError(f"--fps {value!r} is not a number; use e.g. --fps 24.") from None
    if not (math.isfinite(fps) and 0 < fps <= MAX_FPS):
        raise ParamError(f"--fps {value:g} is out of range: use a frame rate above 0 and at most {MAX_FPS:g}.")
    if fps < 0.1:
        raise ParamError(f"--fps {value:g} is below one frame every 10 s; use at least 0.1.")


def _shape(level: float, curve: str) -> float:
    if curve == "ease-in":
        return level * level
    if curve == "ease-out":
        return 1.0 - (1.0 - level) ** 2
    if curve == "smooth":
        return level * level * (3.0 - 2.0 * level)
    return level
