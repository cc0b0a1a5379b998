"""Issue 21, item 1: one bad PNG never costs the gallery its index or its stars."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile import a2i, crafted_png, gallery_pngs, index_state, recipe_json, seeded_gallery

from a2i_studio.errors import GalleryError
from a2i_studio.gallery import Gallery
from a2i_studio.recipes import MAX_NESTING, read_recipe

_BAD_NAME = "20990101-000000-000000-bad000.png"


def _not_a_png(path: Path) -> Path:
    path.write_bytes(b"GIF89a" + bytes(64))
    return path


def _cut_short(path: Path) -> Path:
    path.write_bytes(crafted_png(path, recipe_json()).read_bytes()[:60])  # ends inside the recipe chunk
    return path


HOSTILE: dict[str, tuple[Callable[[Path], Path], str]] = {  # what makes the PNG, what the reason says
    "recipe is a JSON list": (lambda path: crafted_png(path, "[1, 2, 3]"), "is a JSON list, not an object"),
    "seed is text": (lambda path: crafted_png(path, recipe_json(seed="abc")), "its seed is 'abc', not a whole number"),
    "seed is 10^30": (
        lambda path: crafted_png(path, recipe_json(seed=10**30)), "its seed is 1000000000000000000000000000000, not"
    ),
    "nesting 10^5 deep": (
        lambda path: crafted_png(path, "[" * 100_000 + "]" * 100_000), f"nests deeper than {MAX_NESTING} levels"
    ),
    "100 MB recipe": (lambda path: crafted_png(path, recipe_json(note="x" * 100_000_000)), "inflates past 1 MiB"),
    "not a PNG at all": (_not_a_png, "is not a PNG"),
    "recipe chunk cut short": (_cut_short, "is cut short or damaged"),
}


def test_rebuild_skips_hostile_pngs_and_keeps_every_row_and_star(app_dirs: dict[str, Path]) -> None:
    root = app_dirs["gallery"]
    seeded_gallery(root)
    before = index_state(root)
    day = next(root.glob("20*"))
    # Named to sort after the good ones: a crash on them used to leave only those indexed, and no star.
    bad = {}
    for index, (case, (make, _)) in enumerate(sorted(HOSTILE.items())):
        bad[make(day / f"20990101-000000-00000{index}-bad.png")] = case

    result = a2i("gallery", "rebuild")

    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Indexed 3 images from {root}; 2 starred."
    assert lines[1] == f"Skipped {len(HOSTILE)} unreadable files (left where they are):"
    listed = dict(line.strip().split(": ", 1) for line in lines[2:])
    assert set(listed) == {str(path) for path in bad}
    for path, case in bad.items():
        reason = listed[str(path)]
        assert HOSTILE[case][1] in reason and reason.endswith(".") and reason.count(". ") == 0, (case, reason)
        assert path.exists()  # nothing of the user's is deleted
    assert index_state(root) == before  # nothing lost: same rows, same stars


def test_a_20000_pixel_square_picture_is_indexed_without_decoding(app_dirs: dict[str, Path]) -> None:
    root = app_dirs["gallery"]
    seeded_gallery(root)
    day = next(root.glob("20*"))
    big = crafted_png(day / _BAD_NAME, recipe_json(seed=7), 20_000, bilevel=True)
    # The same header over bytes that are no image data at all: reading the recipe must not touch them.
    garbage = crafted_png(day / "20990101-000000-000001-bad001.png", recipe_json(seed=8), 20_000, pixels=b"\xff" * 99)

    assert read_recipe(garbage)["seed"] == 8
    result = a2i("gallery", "rebuild")
    assert result.returncode == 0 and result.stdout.splitlines() == [f"Indexed 5 images from {root}; 2 starred."]
    ids, stars = index_state(root)
    assert {big.stem, garbage.stem} <= set(ids) and len(stars) == 2


def test_stars_follow_the_image_bytes_when_the_file_moves(app_dirs: dict[str, Path]) -> None:
    root = app_dirs["gallery"]
    ids = seeded_gallery(root, starred=(1,))
    starred = next(path for path in gallery_pngs(root) if path.stem == ids[1])
    moved = root / "2001-01-01" / "renamed-by-hand.png"
    moved.parent.mkdir()
    shutil.move(starred, moved)

    report = Gallery(root).rebuild()

    assert (report.indexed, report.starred, report.skipped) == (3, 1, ())
    assert index_state(root)[1] == ["renamed-by-hand"]


def test_a_rebuild_that_cannot_write_leaves_the_old_index_whole(app_dirs: dict[str, Path]) -> None:
    root = app_dirs["gallery"]
    seeded_gallery(root, count=6)
    before = index_state(root)
    for path in gallery_pngs(root):  # every image gains a large recipe, so the new rows need new pages
        crafted_png(path, recipe_json(seed=3, note="n" * 50_000))
    gallery = Gallery(root)
    pages = gallery._db.execute("PRAGMA page_count").fetchone()[0]
    gallery._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"

    full = r"index .*index\.sqlite is full: free some .*; the old index is kept\.$"
    with pytest.raises(GalleryError, match=full) as raised:
        gallery.rebuild()

    assert str(raised.value).count(". ") == 0
    gallery.close()
    assert index_state(root) == before
