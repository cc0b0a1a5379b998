"""The frame cache: a render's frames on disk until the video is whole, so a render can go on after a stop.

Frames are kept as the generator made them (PNG, lossless), a chunk of them
per file: each chunk is an uncompressed ZIP of ``NNNNNNN.png`` files written
with :func:`a2i_studio.files.atomic_write`, so a kill or a full disk never
leaves a half-written chunk, while one fsync covers many frames. A chunk is
written when it holds :data:`CHUNK_FRAMES` frames or :data:`CHUNK_SECONDS` after
its first frame, whichever comes first, so a crash loses at most a few seconds
of work. Processes of a distributed render write chunks of their own frames
into the same folder.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from a2i_studio.files import atomic_write, remove_stale_temps

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["CHUNK_FRAMES", "CHUNK_SECONDS", "FrameCache"]

CHUNK_FRAMES = 48
"""Frames per chunk file at most."""
CHUNK_SECONDS = 2.0
"""Seconds after a chunk's first frame at which it is written, full or not."""

_CHUNK_NAME = re.compile(r"^frames-(\d+)-(\d+)\.zip$")
log = logging.getLogger(__name__)


class FrameCache:
    """The frames of one render, by index, in ``folder``.

    Args:
        folder: The render's cache folder (created when the first chunk is written).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._chunks: dict[int, Path] = {}
        self._pending: dict[int, bytes] = {}
        self._pending_since = 0.0
        self._open: tuple[Path, zipfile.ZipFile] | None = None
        self.refresh()

    def refresh(self) -> None:
        """Index the chunks on disk again (after other processes wrote theirs)."""
        self._chunks.clear()
        if not self.folder.is_dir():
            return
        remove_stale_temps(self.folder)
        for path in sorted(self.folder.glob("frames-*.zip")):
            if _CHUNK_NAME.match(path.name) is None:
                continue
            try:
                with zipfile.ZipFile(path) as archive:
                    names = archive.namelist()
            except (OSError, zipfile.BadZipFile) as error:  # damaged by the disk, not by us: make those again
                log.warning("ignoring damaged frame chunk %s: %s", path, error)
                continue
            self._chunks.update((int(Path(name).stem), path) for name in names)

    def __len__(self) -> int:
        """Frames kept, on disk or waiting to be written."""
        return len(self._chunks.keys() | self._pending.keys())

    @property
    def saved(self) -> int:
        """Frames written to disk, which a later render finds."""
        return len(self._chunks)

    def __contains__(self, index: object) -> bool:
        return index in self._chunks or index in self._pending

    def get(self, index: int) -> Image | None:
        """Frame ``index`` as it was made, or ``None`` if it is not kept."""
        from PIL import Image

        data = self._pending.get(index)
        if data is None:
            path = self._chunks.get(index)
            if path is None:
                return None
            if self._open is None or self._open[0] != path:
                self._close_open()
                self._open = (path, zipfile.ZipFile(path))
            data = self._open[1].read(f"{index:07d}.png")
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return image.copy()

    def put(self, index: int, image: Image) -> None:
        """Keep frame ``index``; the chunk is written when full or a few seconds old.

        Raises:
            OSError: If a chunk cannot be written (a full disk); nothing half-written is left.
        """
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", compress_level=1)
        if not self._pending:
            self._pending_since = time.monotonic()
        self._pending[index] = buffer.getvalue()
        if len(self._pending) >= CHUNK_FRAMES or time.monotonic() - self._pending_since >= CHUNK_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the waiting frames as one chunk now.

        Raises:
            OSError: If it cannot be written; the frames stay waiting.
        """
        if not self._pending:
            return
        first, last = min(self._pending), max(self._pending)
        path = self.folder / f"frames-{first:07d}-{last:07d}.zip"
        pending = dict(sorted(self._pending.items()))

        def write(temp: Path) -> None:
            with zipfile.ZipFile(temp, "w", compression=zipfile.ZIP_STORED) as archive:
                for index, data in pending.items():
                    archive.writestr(f"{index:07d}.png", data)

        atomic_write(path, write)
        self._chunks.update((index, path) for index in pending)
        self._pending.clear()

    def clear(self) -> None:
        """Delete the folder and everything in it (after the video is whole)."""
        self._close_open()
        self._chunks.clear()
        self._pending.clear()
        shutil.rmtree(self.folder, ignore_errors=True)

    def close(self) -> None:
        """Release the chunk open for reading."""
        self._close_open()

    def _close_open(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None
