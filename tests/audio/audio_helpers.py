"""Signals and writers the audio tests share (the corpus itself is built in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

RATE = 16_000


@dataclass(frozen=True)
class Corpus:
    """Paths of the generated files and the signals they were made from."""

    folder: Path
    stereo: np.ndarray  # (frames, 2) float32 at 44.1 kHz: 440 Hz left, 660 Hz right
    mono16k: np.ndarray  # (frames,) float32 at 16 kHz

    def __getitem__(self, name: str) -> Path:
        path = self.folder / name
        assert path.exists() or name.startswith("missing"), name
        return path


def tone(seconds: float, rate: int, freq: float, amplitude: float = 0.5) -> np.ndarray:
    """A sine with a little deterministic noise, float32."""
    t = np.arange(round(seconds * rate)) / rate
    noise = np.random.default_rng(round(freq)).standard_normal(t.size)
    return (amplitude * np.sin(2 * np.pi * freq * t) + 0.01 * noise).astype(np.float32)


def encode_pyav(
    path: Path, samples: np.ndarray, rate: int, codec: str, *, container: str | None = None, video: bool = False
) -> None:
    """Write ``samples`` (frames, channels) with PyAV, optionally next to a tiny video track."""
    layout = "stereo" if samples.shape[1] == 2 else "mono"
    with av.open(str(path), "w", format=container) as output:
        if video:
            picture = output.add_stream("mpeg4", rate=10)
            picture.width = picture.height = 32
            picture.pix_fmt = "yuv420p"
        sound = output.add_stream(codec, rate=rate, layout=layout)
        planar = np.ascontiguousarray(samples.T)
        step = 960 if codec == "libopus" else 1024
        for offset in range(0, planar.shape[1], step):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planar[:, offset : offset + step]), format="fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = offset
            output.mux(sound.encode(frame))
            if video and offset % (rate // 10) < step:
                output.mux(picture.encode(av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")))
        output.mux(sound.encode(None))
        if video:
            output.mux(picture.encode(None))


def video_only(path: Path) -> None:
    with av.open(str(path), "w") as output:
        picture = output.add_stream("mpeg4", rate=10)
        picture.width = picture.height = 32
        picture.pix_fmt = "yuv420p"
        for _ in range(5):
            output.mux(picture.encode(av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")))
        output.mux(picture.encode(None))


def cut_in_half(source: Path, target: Path) -> None:
    data = source.read_bytes()
    target.write_bytes(data[: len(data) // 2])
