"""Issue 21, items 1, 4 and 7: the index survives damage, full disks, huge seeds and other processes."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile import a2i, gallery_pngs, index_state, one_error_line, recipe_json, seeded_gallery
from PIL import Image

from a2i_studio.engine import Engine, GenerationRequest
from a2i_studio.errors import GalleryError, ParamError
from a2i_studio.gallery import Gallery
from a2i_studio.plugins import PluginManager
from a2i_studio.recipes import SEED_LIMIT


def test_a_damaged_index_is_moved_aside_and_rebuilt_from_the_pngs(app_dirs: dict[str, Path]) -> None:
    root = app_dirs["gallery"]
    ids = seeded_gallery(root)
    for path in root.glob("index.sqlite-*"):
        path.unlink()
    damaged = os.urandom(8192)
    (root / "index.sqlite").write_bytes(damaged)

    result = a2i("gallery", "list")

    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    warning = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and "The gallery index" in warning[0] and "was damaged: it was moved to" in warning[0]
    assert result.stdout.splitlines()[0] == f"3 images in {root}"
    (aside,) = root.glob("index.sqlite.damaged-*")
    assert aside.read_bytes() == damaged  # kept for whoever wants to look at it
    assert index_state(root)[0] == sorted(ids)


def test_a_full_disk_while_indexing_leaves_no_orphan_png(app_dirs: dict[str, Path]) -> None:
    root = app_dirs["gallery"]
    seeded_gallery(root)
    before, pngs = index_state(root), gallery_pngs(root)
    gallery = Gallery(root)
    pages = gallery._db.execute("PRAGMA page_count").fetchone()[0]
    gallery._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"

    with pytest.raises(GalleryError, match=r"index .* is full: free some space .*; nothing was saved\.$"):
        gallery.add(Image.new("RGB", (16, 16)), json.loads(recipe_json(seed=5, note="n" * 50_000)))

    gallery.close()
    assert gallery_pngs(root) == pngs and index_state(root) == before


def test_a_png_whose_row_never_made_it_is_indexed_on_the_next_open(app_dirs: dict[str, Path]) -> None:
    root = app_dirs["gallery"]
    ids = seeded_gallery(root)
    db = sqlite3.connect(root / "index.sqlite")  # as if the writer was killed between the rename and the insert
    with db:
        db.execute("DELETE FROM images WHERE id = ?", (ids[1],))
    db.close()

    assert Gallery(root).count() == 3
    assert index_state(root)[0] == sorted(ids)


@pytest.mark.parametrize("seed", [str(2**70), str(SEED_LIMIT), "-5", "abc"])
def test_a_seed_out_of_range_is_a_usage_error_and_nothing_is_written(app_dirs: dict[str, Path], seed: str) -> None:
    line = one_error_line(a2i("generate", "nothing.wav", "--seed", seed), code=2)
    assert "argument --seed" in line and ("0 to 9223372036854775807" in line or "not a whole number" in line)
    assert not gallery_pngs(app_dirs["gallery"])


def test_the_engine_checks_every_seed_of_a_request(
    app_dirs: dict[str, Path], clip: Path, drop_in: Callable[[str], Path]
) -> None:
    drop_in("toy_plugin")
    engine = Engine(PluginManager().load().registry, Gallery())
    with pytest.raises(ParamError, match=rf"The last seed \(seed {SEED_LIMIT - 2} \+ 2\) is {SEED_LIMIT}, not a"):
        engine.generate(GenerationRequest(clip, "toy-proj>toy-gen", seed=SEED_LIMIT - 2, n=3))
    with pytest.raises(GalleryError, match="its seed is -1, not a whole number"):
        Gallery().add(Image.new("RGB", (8, 8)), json.loads(recipe_json(seed=-1)))
    assert not gallery_pngs(app_dirs["gallery"])


_OPENER = """
import sys
from a2i_studio.gallery import Gallery
print("ready", flush=True)
while True:
    Gallery().close()
"""


def test_another_process_opening_the_gallery_never_breaks_a_batch(app_dirs: dict[str, Path], clip: Path) -> None:
    app_dirs["gallery"].mkdir()
    opener = subprocess.Popen([sys.executable, "-c", _OPENER], stdout=subprocess.PIPE, env=os.environ.copy())
    try:
        assert opener.stdout is not None and opener.stdout.readline().strip() == b"ready"
        result = a2i("generate", str(clip), "-n", "100", "--seed", "0")  # the bundled chain: 100 writes, no torch
        assert opener.poll() is None  # it kept opening the gallery the whole time
    finally:
        opener.kill()
        opener.wait()
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 100
    assert len(gallery_pngs(app_dirs["gallery"])) == 100 and len(index_state(app_dirs["gallery"])[0]) == 100


def test_an_index_another_process_is_switching_to_wal_is_opened_once_it_is_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from a2i_studio import _gallery_index

    real = _gallery_index._open_once
    calls: list[int] = []

    def busy_twice(path: Path) -> sqlite3.Connection:
        calls.append(1)
        if len(calls) <= 2:  # what SQLite answers, without waiting, while another connection sets up WAL
            error = sqlite3.OperationalError("database is locked")
            error.sqlite_errorcode = sqlite3.SQLITE_BUSY  # type: ignore[attr-defined]
            raise error
        return real(path)

    monkeypatch.setattr(_gallery_index, "_open_once", busy_twice)
    db = _gallery_index.open_index(tmp_path / "index.sqlite")
    assert len(calls) == 3 and db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()

    def denied(path: Path) -> sqlite3.Connection:
        calls.append(1)
        raise sqlite3.OperationalError("unable to open database file")  # not busy: no retry

    calls.clear()
    monkeypatch.setattr(_gallery_index, "_open_once", denied)
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        _gallery_index.open_index(tmp_path / "other.sqlite")
    assert len(calls) == 1
