"""The gallery: recipes in PNGs, atomic writes, the index and its rebuild."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from a2i_studio.errors import GalleryError
from a2i_studio.gallery import Gallery, read_recipe


def _recipe(seed: int, chain: str = "toy-proj>toy-gen", audio: str = "rain.wav") -> dict[str, object]:
    return {"format": "a2i-recipe/1", "audio": {"name": audio, "sha256": "0" * 64}, "chain": chain, "seed": seed}


def _image(shade: int) -> Image.Image:
    return Image.new("RGB", (16, 16), (shade, 255 - shade, 7))


def test_add_stores_recipe_in_png_and_index(tmp_path: Path) -> None:
    gallery = Gallery(tmp_path)
    item = gallery.add(_image(10), _recipe(5))
    assert item.path.exists() and item.path.suffix == ".png"
    assert read_recipe(item.path) == {**_recipe(5), "created": item.created}
    with Image.open(item.path) as stored:
        assert stored.convert("RGB").tobytes() == _image(10).tobytes()
    assert gallery.get(item.id).recipe == item.recipe
    assert not list(tmp_path.glob("*/*.a2i-tmp-*"))


def test_filters_star_delete_and_undo(tmp_path: Path) -> None:
    gallery = Gallery(tmp_path)
    rain = [gallery.add(_image(i), _recipe(i)) for i in range(3)]
    bird = gallery.add(_image(99), _recipe(99, chain="mfcc>aegan", audio="bird.wav"))
    assert [item.id for item in gallery.items()] == [bird.id, *reversed([item.id for item in rain])]
    assert [item.id for item in gallery.items(audio_name="bird.wav")] == [bird.id]
    assert len(gallery.items(chain="toy-proj>toy-gen")) == 3
    gallery.set_starred(rain[1].id, True)
    assert [item.id for item in gallery.items(starred=True)] == [rain[1].id]
    trashed = gallery.delete(bird.id)
    assert not bird.path.exists() and trashed.exists()
    assert gallery.count() == 3
    restored = gallery.restore(trashed)
    assert restored.path == bird.path and gallery.count() == 4


def test_index_rebuilds_from_pngs_alone(tmp_path: Path) -> None:
    gallery = Gallery(tmp_path)
    items = [gallery.add(_image(i), _recipe(i)) for i in range(4)]
    gallery.close()
    for path in tmp_path.glob("index.sqlite*"):
        path.unlink()
    rebuilt = Gallery(tmp_path)  # opening indexes the PNGs a missing index misses
    assert {(item.id, item.seed, item.created) for item in rebuilt.items()} == {
        (item.id, item.seed, item.created) for item in items
    }
    rebuilt.set_starred(items[1].id, True)
    report = rebuilt.rebuild()
    assert (report.indexed, report.starred, report.skipped) == (4, 1, ())
    assert [item.id for item in rebuilt.items(starred=True)] == [items[1].id]
    items[0].path.unlink()
    assert rebuilt.sync() == (0, 1)
    assert rebuilt.count() == 3


def test_full_disk_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gallery = Gallery(tmp_path)

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(GalleryError, match="is full: free some space or choose another gallery folder"):
        gallery.add(_image(1), _recipe(1))
    assert gallery.count() == 0
    assert not [path for path in tmp_path.rglob("*") if path.is_file() and not path.name.startswith("index")]


_WRITER = """
import sys
from pathlib import Path
from PIL import Image
from a2i_studio.gallery import Gallery

gallery = Gallery(Path(sys.argv[1]))
image = Image.effect_noise((512, 512), 64).convert("RGB")
print("ready", flush=True)
seed = 0
while True:
    gallery.add(image, {"format": "a2i-recipe/1", "audio": {"name": "x.wav"}, "chain": "a>b", "seed": seed})
    seed += 1
"""


def test_kill_during_writes_leaves_no_half_png_and_no_broken_row(tmp_path: Path) -> None:
    writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(tmp_path)], stdout=subprocess.PIPE)
    assert writer.stdout is not None and writer.stdout.readline().strip() == b"ready"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(list(tmp_path.glob("*/2*.png"))) < 5:  # finished files only
        time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait()

    gallery = Gallery(tmp_path)  # reopening clears temp files of the killed write
    assert not list(tmp_path.glob("*/*.a2i-tmp-*"))
    pngs = sorted(tmp_path.glob("*/*.png"))
    assert len(pngs) >= 5
    for png in pngs:
        assert read_recipe(png)["chain"] == "a>b"  # every PNG on disk is whole
    for item in gallery.items():
        assert item.path.exists()  # every row points at a whole PNG
    gallery.sync()
    assert gallery.count() == len(pngs)
