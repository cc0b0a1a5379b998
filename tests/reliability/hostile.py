"""Shared by the reliability tests: hostile files, the CLI under a timeout, and the gallery's state."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import sqlite3
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from a2i_studio.gallery import Gallery

CLI_TIMEOUT_S = 60
"""Every CLI case runs under this limit; a hang fails the test instead of the suite."""


def a2i(*argv: str, timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    """Run ``a2i ARGV`` in a fresh process (the test's app folders come through the environment)."""
    return subprocess.run(
        [sys.executable, "-m", "a2i_studio.cli", *argv],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def one_error_line(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The single ``error:`` sentence of a failed command, after checking its exit code and that no traceback shows."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error: " in line]
    assert len(errors) == 1, lines
    return errors[0]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def crafted_png(
    path: Path, recipe_text: str, size: int = 16, *, bilevel: bool = False, pixels: bytes | None = None
) -> Path:
    """A ``size`` x ``size`` grey PNG (1-bit with ``bilevel``) whose ``a2i-recipe`` chunk holds ``recipe_text``.

    ``pixels`` replaces the compressed image data (garbage there proves the pixels are never decoded).
    """
    depth = 1 if bilevel else 8
    header = struct.pack(">IIBBBBB", size, size, depth, 0, 0, 0, 0)
    recipe = b"a2i-recipe\x00\x01\x00\x00\x00" + zlib.compress(recipe_text.encode(), 1)
    if pixels is None:
        row = b"\x00" + bytes((size * depth + 7) // 8)
        compressor = zlib.compressobj(9)
        pixels = b"".join(compressor.compress(row) for _ in range(size)) + compressor.flush()
    chunks = png_chunk(b"IHDR", header) + png_chunk(b"iTXt", recipe) + png_chunk(b"IDAT", pixels)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunks + png_chunk(b"IEND", b""))
    return path


def recipe_json(**fields: object) -> str:
    """A valid recipe with ``fields`` replaced."""
    recipe = {
        "format": "a2i-recipe/1", "audio": {"name": "x.wav", "path": "/nowhere/x.wav", "sha256": "0" * 64},
        "chain": "a>b", "seed": 1, "created": "2026-01-01T00:00:00+00:00",
    }
    return json.dumps({**recipe, **fields})


def seeded_gallery(root: Path, count: int = 3, starred: tuple[int, ...] = (0, 2)) -> list[str]:
    """``count`` small images, of which ``starred`` are starred; returns their ids."""
    gallery = Gallery(root)
    items = [
        gallery.add(Image.new("RGB", (16, 16), (index * 40, 9, 9)), json.loads(recipe_json(seed=index)))
        for index in range(count)
    ]
    for index in starred:
        gallery.set_starred(items[index].id, True)
    gallery.close()
    return [item.id for item in items]


def index_state(root: Path) -> tuple[list[str], list[str]]:
    """(every indexed id, the starred ids), read straight from ``index.sqlite``."""
    db = sqlite3.connect(root / "index.sqlite")
    try:
        rows = sorted(db.execute("SELECT id FROM images").fetchall())
        stars = sorted(db.execute("SELECT id FROM images WHERE starred = 1").fetchall())
    finally:
        db.close()
    return [row[0] for row in rows], [row[0] for row in stars]


def gallery_pngs(root: Path) -> list[Path]:
    """The finished PNGs in the gallery's day folders."""
    return sorted(path for path in root.glob("*/*.png") if path.parent.name != "trash")


@contextlib.contextmanager
def memory_cap(extra_bytes: int) -> Iterator[None]:
    """Let this process map at most ``extra_bytes`` more while inside, so a regression fails instead of eating RAM."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    mapped = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (mapped + extra_bytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
