"""The frame-stream core: audio windows in, as they arrive; frames out, in order.

:class:`FrameStream` runs one chain over a stream of :class:`AudioWindow` s.
For each window it follows the envelopes (attack/release), sets the
modulated parameters, and, when the frame listens (every frame, or only
keyframes), encodes the window through the encoder and adapters. Frames
between two keyframes wait for the second and glide between the two
embeddings. Each frame's embedding is then smoothed and painted by the
generator with the continuity the settings ask for. The render command feeds
it windows of a file; live mode feeds it the newest window of a live input
(``live=True``): frames between keyframes then hold the last keyframe's
embedding instead of waiting for the next one, and a frame skipped to keep up
(a gap in the indices) moves the smoothing as far as the frames skipped would
have.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from a2i_studio.core import (
    CancelToken,
    FloatParam,
    FrameHints,
    IntParam,
    Param,
    RunContext,
    parse_chain,
)
from a2i_studio.engine import chain_device
from a2i_studio.errors import ParamError
from a2i_studio.frames._blend import Smoother, interpolate, slerp
from a2i_studio.frames._settings import Modulation, VideoSettings

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.engine import Engine
    from a2i_studio.frames._source import AudioWindow

__all__ = ["Frame", "FrameStream"]


@dataclass(frozen=True)
class Frame:
    """One frame out of the stream.

    Attributes:
        index: The frame's number, from 0.
        time: Its time in seconds from the start of the sound (see :class:`AudioWindow`).
        image: The generator's picture at its own size, or ``None`` if it was not painted.
        keyframe: Whether the frame listened to its own window.
        params: Every component's parameters for this frame, modulations applied.
        envelopes: The smoothed envelope values the modulations followed.
        reused: Whether ``image`` came from the frames made before, not from the generator.
    """

    index: int
    time: float
    image: Image | None
    keyframe: bool
    params: Mapping[str, Mapping[str, Any]]
    envelopes: Mapping[str, float] = field(default_factory=dict)
    reused: bool = False


@dataclass
class _Waiting:
    """A frame pushed but not yet made (it waits for the next keyframe's embedding); no samples kept."""

    index: int
    time: float
    keyframe: bool
    envelopes: dict[str, float]
    params: dict[str, dict[str, Any]]
    paint: bool
    steps: int = 1
    value: Any = None


class FrameStream:
    """Turns audio windows into frames with one chain; Qt-free, for renders and live mode alike.

    Build it, give the source the chain's encoder and :attr:`window_seconds`, then
    :meth:`push` each window in frame order and :meth:`finish` at the end. Frames
    come out in order; with keyframes, those after a keyframe come out when the
    next one arrives.

    Args:
        engine: The engine whose registry has the chain (and keeps its components loaded).
        chain: ``encoder>adapter*>generator``.
        settings: The video settings; modulations may name a parameter without its component.
        params: Parameter values by component id, then by name.
        seed: The seed of every frame's random draw (``drift`` moves on to ``seed + 1``, ...).
        device: ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``None`` for the best available.
        dtype: ``float32``, ``float16``, ``bfloat16`` or ``None`` for the device's default.
        cancel: Checked before each window and between a generator's steps.
        made: Looks up frames made before, by index (a render's frame cache), returning ``None``
            where there is none; such a frame is used as it is, and as the previous frame of the
            next one. Also the attribute :attr:`made`, which may be set after construction.
        live: Live mode: no frame waits for a later keyframe; frames between keyframes hold the
            last keyframe's embedding (the smoothing glides to it), and windows may skip indices.

    Raises:
        ChainError: If the chain does not exist.
        ParamError: For a bad parameter, modulation or continuity mode, in one sentence.
    """

    def __init__(
        self,
        engine: Engine,
        chain: str,
        settings: VideoSettings,
        *,
        params: Mapping[str, Mapping[str, Any]] | None = None,
        seed: int = 0,
        device: str | None = None,
        dtype: str | None = None,
        cancel: CancelToken | None = None,
        made: Callable[[int], Image | None] | None = None,
        live: bool = False,
    ) -> None:
        # 1. Check everything before loading anything.
        self.engine = engine
        self.chain = parse_chain(chain, engine.registry)
        self.params = engine.resolve_params(self.chain, params or {})
        targets = [_target(self.chain.components, modulation) for modulation in settings.modulations]
        self.settings = replace(settings, modulations=tuple(modulation for modulation, _ in targets))
        self._targets = [param for _, param in targets]
        generator = self.chain.generator
        if settings.continuity not in generator.continuity:
            raise ParamError(
                f"--continuity {settings.continuity}: generator {generator.id} keeps frames together only by "
                f"{' or '.join(generator.continuity)}; choose one of those."
            )
        # 2. Load the chain where it runs (the engine keeps it for the next run).
        self.device, self.dtype = chain_device(self.chain, device, dtype)
        engine.load_chain(self.chain, self.device, self.dtype)
        self.seed = seed
        self.cancel = cancel or CancelToken()
        self.window_seconds = settings.window_for(self.chain.encoder)
        self._smoother = Smoother(settings.attack, settings.release, settings.fps)
        self._follower = Smoother(settings.attack, settings.release, settings.fps)
        self.made = made
        self.live = live
        self._last_index: int | None = None
        self._waiting: list[_Waiting] = []
        self._last_samples: Any = None  # the latest window's sound, for finish()
        self._anchor: tuple[float, Any] | None = None  # time and embedding of the last keyframe
        self._previous: Image | None = None
        self._draws: dict[int, Any] = {}

    @property
    def waiting(self) -> int:
        """How many frames pushed are still waiting for the next keyframe."""
        return len(self._waiting)

    def push(self, window: AudioWindow, *, paint: bool = True) -> list[Frame]:
        """Take the next window; returns the frames that are now ready, in order (maybe none).

        Args:
            window: The next frame's window (frames must come in order).
            paint: Run the generator for this frame; ``False`` gives a frame without an
                image (another process paints it, or live mode is behind).

        Raises:
            Cancelled: If the cancel token was set.
        """
        self.cancel.raise_if_cancelled()
        steps = 1 if self._last_index is None else window.index - self._last_index
        self._last_index = window.index
        envelopes = self._follow(window.envelopes, steps)
        params = self._modulate(envelopes)
        listens = self.settings.keyframes == "none" or window.keyframe or (self._anchor is None and self.live)
        waiting = _Waiting(window.index, window.time, listens, envelopes, params, paint, steps)
        if not listens and self.live:  # hold the last keyframe's embedding: nothing waits for sound not heard
            assert self._anchor is not None
            waiting.value = self._anchor[1]
            return [self._make(waiting)]
        self._waiting.append(waiting)
        if not listens:
            self._last_samples = window.samples
            return []
        return self._release(self._embed(window.samples, params))

    def finish(self) -> list[Frame]:
        """The frames still waiting for a keyframe: the last window they heard becomes one."""
        if not self._waiting:
            return []
        last = self._waiting[-1]
        last.keyframe = True
        return self._release(self._embed(self._last_samples, last.params))

    # -- steps -------------------------------------------------------------------------------------

    def _follow(self, envelopes: Mapping[str, float], steps: int) -> dict[str, float]:
        if not envelopes:
            return {}
        names = sorted(envelopes)
        smoothed = self._follower(_vector([envelopes[name] for name in names]), steps)
        return {name: float(value) for name, value in zip(names, smoothed, strict=True)}

    def _modulate(self, envelopes: Mapping[str, float]) -> dict[str, dict[str, Any]]:
        params = {component: dict(values) for component, values in self.params.items()}
        for modulation, param in zip(self.settings.modulations, self._targets, strict=True):
            component, name = modulation.param.split(".", 1)
            value = modulation.value(envelopes[modulation.envelope])
            params[component][name] = param.validate(round(value) if isinstance(param, IntParam) else value)
        return params

    def _embed(self, samples: Any, params: dict[str, dict[str, Any]]) -> Any:
        ctx = RunContext(self.device, self.dtype, (self.seed,), cancel=self.cancel)
        return self.engine.adapt(self.chain, self.engine.encode(self.chain, samples, params, ctx), params, ctx)

    def _release(self, value: Any) -> list[Frame]:
        """Give every waiting frame its embedding (gliding from the last keyframe to ``value``) and make it."""
        end = self._waiting[-1]
        end.value = value
        for waiting in self._waiting[:-1]:
            if self._anchor is None:
                waiting.value = value
            else:
                anchor_time, anchor_value = self._anchor
                fraction = (waiting.time - anchor_time) / (end.time - anchor_time)
                waiting.value = interpolate(anchor_value, value, fraction, self.settings.interpolation)
        self._anchor = (end.time, value)
        self._last_samples = None
        frames = [self._make(waiting) for waiting in self._waiting]
        self._waiting.clear()
        return frames

    def _make(self, waiting: _Waiting) -> Frame:
        value = self._smoother(waiting.value, waiting.steps)
        image = self.made(waiting.index) if self.made is not None else None
        reused = image is not None
        if image is None and waiting.paint:
            image = self._paint(value, waiting.params, waiting.time)
        if image is not None:
            self._previous = image
        return Frame(
            index=waiting.index,
            time=waiting.time,
            image=image,
            keyframe=waiting.keyframe,
            params=waiting.params,
            envelopes=waiting.envelopes,
            reused=reused,
        )

    def _paint(self, value: Any, params: dict[str, dict[str, Any]], time: float) -> Image:
        settings = self.settings
        hints = None
        if settings.continuity == "drift":
            hints = FrameHints(noise=self._drift(time))
        elif settings.continuity == "previous":
            hints = FrameHints(previous=self._previous, strength=settings.strength)
        ctx = RunContext(self.device, self.dtype, (self.seed,), cancel=self.cancel, frame=hints)
        return self.engine.paint(self.chain, value, params, ctx)[0]

    def _drift(self, time: float) -> Any:
        """The random draw at ``time``: on the arc from seed ``k``'s draw to seed ``k + 1``'s."""
        position = time / self.settings.drift_seconds
        step = math.floor(position)
        for offset in (step, step + 1):
            if offset not in self._draws:
                ctx = RunContext(self.device, self.dtype, (self.seed + offset,), cancel=self.cancel)
                generator = self.chain.generator
                self._draws[offset] = generator.draw_noise(self.seed + offset, self.params[generator.id], ctx)
        self._draws = {offset: draw for offset, draw in self._draws.items() if offset >= step}
        return slerp(self._draws[step], self._draws[step + 1], position - step)


def _target(components: tuple[Any, ...], modulation: Modulation) -> tuple[Modulation, Param]:
    """The modulation with its parameter named ``component.param``, and that parameter's schema.

    Raises:
        ParamError: For a parameter the chain does not have, one that is not a number, or a range outside it.
    """
    owner_id, dot, name = modulation.param.rpartition(".")
    owners = [c for c in components if (not dot or c.id == owner_id) and any(p.name == name for p in c.params)]
    numeric = sorted(f"{c.id}.{p.name}" for c in components for p in c.params if isinstance(p, (IntParam, FloatParam)))
    if not owners:
        raise ParamError(
            f"--modulate {modulation.param}: no component of this chain has that parameter; "
            f"numeric ones: {', '.join(numeric) or 'none'}."
        )
    if len(owners) > 1:
        raise ParamError(
            f"--modulate {modulation.param} is ambiguous: {' and '.join(c.id for c in owners)} both have it; "
            f"write {owners[0].id}.{name}."
        )
    param = next(p for p in owners[0].params if p.name == name)
    if not isinstance(param, (IntParam, FloatParam)):
        raise ParamError(f"--modulate {modulation.param}: it is a {param.kind} parameter; modulate a number.")
    for end in (modulation.low, modulation.high):
        try:
            param.validate(round(end) if isinstance(param, IntParam) else end)
        except ParamError as error:
            raise ParamError(f"--modulate {modulation.param}: {error}") from None
    return replace(modulation, param=f"{owners[0].id}.{name}"), param


def _vector(values: list[float]) -> Any:
    import numpy as np

    return np.asarray(values, dtype=np.float64)
