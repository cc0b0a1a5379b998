"""The common part of every live source: heard blocks in a thread-safe queue, a peak meter, errors handed over.

See :mod:`a2i_studio.audio.live_input` for the sources and how live mode uses them.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from types import TracebackType

import numpy as np

from a2i_studio.audio._errors import NoAudioDevice

__all__ = ["METER_FLOOR_DB", "STALL_SECONDS", "Block", "LiveInput"]

STALL_SECONDS = 2.0
"""A device that sends nothing for this long is taken as unplugged (loopback devices may pause in silence)."""
METER_FLOOR_DB = -90.0
"""The level meter's floor, dBFS."""
_QUEUE_SECONDS = 10.0  # sound kept for a reader that falls behind; older blocks are dropped
_METER_FALL_DB_PER_SECOND = 20.0  # a peak meter's fall, as on a mixing desk


@dataclass(frozen=True)
class Block:
    """A stretch of live sound.

    Attributes:
        samples: ``(frames, channels)`` float32.
        heard: :func:`time.monotonic` when its last sample was captured or played out.
    """

    samples: np.ndarray
    heard: float


class LiveInput:
    """Live sound as blocks stamped with when they were heard; thread-safe.

    The audio side (a PortAudio callback, or a thread) calls :meth:`_deliver`;
    the reader calls :meth:`read` for what has been heard since, and
    :attr:`level` for a peak meter. :meth:`start` and :meth:`stop` (or ``with``)
    open and release the device or thread.

    Args:
        name: How messages name the source.
        sample_rate: Samples per second of its blocks.
        channels: Channels of its blocks (1 or 2).
        watch: Whether a silence of :data:`STALL_SECONDS` (no blocks at all) means the source is gone.
    """

    def __init__(self, name: str, sample_rate: int, channels: int, *, watch: bool = True) -> None:
        self.name = name
        self.sample_rate = sample_rate
        self.channels = channels
        self.dropped = 0
        """Sound dropped because the reader fell more than 10 s behind, in samples."""
        self._watch = watch
        self._lock = threading.Lock()
        self._blocks: deque[Block] = deque()
        self._queued = 0
        self._meter = 0.0
        self._meter_time = 0.0
        self._error: BaseException | None = None
        self._ended = False  # no more sound will come
        self._running = False
        self._last_block = 0.0

    # -- the reader's side -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the device (or start the thread); sound starts to arrive.

        Raises:
            NoAudioDevice: If the device cannot be opened, in a sentence naming it.
        """
        with self._lock:
            self._blocks.clear()
            self._queued, self._error, self._ended = 0, None, False
        self._open()
        with self._lock:
            self._last_block = time.monotonic()  # the watch starts once open (a Bluetooth device takes a while)
            self._running = True

    def stop(self) -> None:
        """Release the device (or end the thread); safe to call twice."""
        if self._running:
            self._running = False
            self._close()

    def read(self, now: float | None = None) -> list[Block]:
        """The blocks heard by ``now`` (default: now) that were not read yet, in order.

        Raises:
            A2IError: What went wrong on the audio side: a device that stopped (unplugged), a file that
                turned out damaged; :class:`NoAudioDevice` for a device silent for :data:`STALL_SECONDS`.
        """
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._error is not None:
                raise self._error
            if self._watch and self._running and not self._ended and now - self._last_block > STALL_SECONDS:
                raise NoAudioDevice(
                    f"The input {self.name} stopped sending sound (unplugged, or taken by another program); "
                    "connect it again or choose another input."
                )
            heard = []
            while self._blocks and self._blocks[0].heard <= now:
                block = self._blocks.popleft()
                self._queued -= block.samples.shape[0]
                heard.append(block)
            return heard

    @property
    def finished(self) -> bool:
        """Whether the source has ended (a file played to its end) and every block was read."""
        with self._lock:
            return self._ended and not self._blocks

    @property
    def level(self) -> float:
        """The peak level, dBFS, falling 20 dB a second after each peak (:data:`METER_FLOOR_DB` at least)."""
        with self._lock:
            meter, since = self._meter, time.monotonic() - self._meter_time
        if meter <= 0.0:
            return METER_FLOOR_DB
        return max(METER_FLOOR_DB, 20 * math.log10(meter) - _METER_FALL_DB_PER_SECOND * max(since, 0.0))

    def __enter__(self) -> LiveInput:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- the audio side ----------------------------------------------------------------------------

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _deliver(self, samples: np.ndarray, heard: float) -> None:
        """Queue ``samples`` (copied by the caller if its buffer is reused), heard at ``heard``."""
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        with self._lock:
            self._blocks.append(Block(samples, heard))
            self._queued += samples.shape[0]
            while self._queued > _QUEUE_SECONDS * self.sample_rate and len(self._blocks) > 1:
                old = self._blocks.popleft()
                self._queued -= old.samples.shape[0]
                self.dropped += old.samples.shape[0]
            fallen = 10 ** (-_METER_FALL_DB_PER_SECOND * max(heard - self._meter_time, 0.0) / 20)
            self._meter, self._meter_time = max(peak, self._meter * fallen), heard
            self._last_block = time.monotonic()

    def _fail(self, error: BaseException) -> None:
        """Hand ``error`` to the reader: :meth:`read` raises it (the first one only)."""
        with self._lock:
            if self._error is None:
                self._error = error

    def _end(self) -> None:
        """No more sound will come: :attr:`finished` once the queued blocks are read."""
        with self._lock:
            self._ended = True
