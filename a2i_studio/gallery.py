"""The gallery: PNGs that carry their recipe, indexed in SQLite.

Each image is a PNG whose ``a2i-recipe`` text chunk holds the full recipe
(audio name and sha256, segment, chain ids and versions, every parameter,
seed, app version). PNGs are written to a temporary file and moved into place
with ``os.replace``, and only then indexed, so a crash never leaves a
half-written image or an index row without its file. The index can be rebuilt
from the PNGs alone (``a2i gallery rebuild``); stars live only in the index.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import config
from a2i_studio.errors import GalleryError
from a2i_studio.files import atomic_write, is_disk_full, remove_stale_temps

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["RECIPE_KEY", "VIDEO_FILE_KEY", "Gallery", "GalleryItem", "read_recipe"]

RECIPE_KEY = "a2i-recipe"
VIDEO_FILE_KEY = "video_file"
"""Recipe key of a video's poster: where the video file is."""
_INDEX_NAME = "index.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    audio_name TEXT NOT NULL,
    chain TEXT NOT NULL,
    seed INTEGER NOT NULL,
    starred INTEGER NOT NULL DEFAULT 0,
    recipe TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS images_created ON images(created);
"""


@dataclass(frozen=True)
class GalleryItem:
    """One image in the gallery."""

    id: str
    path: Path
    created: str
    audio_name: str
    chain: str
    seed: int
    starred: bool
    recipe: dict[str, Any]

    @property
    def video(self) -> Path | None:
        """The video this item stands for (the PNG is its poster frame), or ``None`` for an image."""
        video_file = self.recipe.get(VIDEO_FILE_KEY)
        return Path(video_file) if video_file else None


def read_recipe(path: Path) -> dict[str, Any]:
    """The recipe stored in a gallery PNG.

    Raises:
        GalleryError: If the file is not a PNG or carries no recipe.
    """
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as image:
            image.load()
            text = getattr(image, "text", {}).get(RECIPE_KEY)
    except (OSError, SyntaxError) as error:
        raise GalleryError(f"{path} is not a readable PNG ({error}); pick an image saved by a2i-studio.") from None
    if text is None:
        raise GalleryError(f"{path} carries no a2i recipe; only images saved by a2i-studio can be re-run.")
    try:
        recipe: dict[str, Any] = json.loads(text)
    except ValueError:
        raise GalleryError(f"The recipe inside {path} is damaged; the image cannot be re-run.") from None
    return recipe


class Gallery:
    """The images of one gallery folder and their SQLite index.

    Args:
        root: The gallery folder; ``None`` for the user's (``A2I_GALLERY_DIR`` or the data dir).
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = config.gallery_dir() if root is None else Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise GalleryError(
                f"Cannot create the gallery folder {self.root} ({error.strerror}); choose another in Settings."
            ) from None
        self._remove_stale_temp_files()
        self._db = sqlite3.connect(self.root / _INDEX_NAME, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the index."""
        self._db.close()

    def add(self, image: Image, recipe: dict[str, Any]) -> GalleryItem:
        """Save ``image`` with ``recipe`` in its PNG, atomically, and index it.

        Raises:
            GalleryError: If the disk is full or the folder is not writable; nothing is left behind.
        """
        from PIL.PngImagePlugin import PngInfo

        created = datetime.now(UTC)
        recipe = {"created": created.isoformat(), **recipe}
        item_id = f"{created:%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:6]}"
        folder = self.root / f"{created:%Y-%m-%d}"
        path = folder / f"{item_id}.png"
        metadata = PngInfo()
        metadata.add_itxt(RECIPE_KEY, json.dumps(recipe, sort_keys=True), zip=True)
        metadata.add_text("Software", f"a2i-studio {recipe.get('app_version', '')}".strip())
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", pnginfo=metadata)
        self._write_atomically(path, buffer.getvalue())
        item = GalleryItem(
            id=item_id,
            path=path,
            created=str(recipe["created"]),
            audio_name=str(recipe.get("audio", {}).get("name", "")),
            chain=str(recipe.get("chain", "")),
            seed=int(recipe.get("seed", 0)),
            starred=False,
            recipe=recipe,
        )
        self._insert(item)
        return item

    def add_video(self, poster: Image, recipe: dict[str, Any], video: Path) -> GalleryItem:
        """Put a rendered video in the gallery beside the images: its poster frame, with its recipe and path.

        The poster is a gallery PNG like any other (written atomically, indexed, filtered by
        clip and chain, rebuilt from the PNGs alone); the video stays where it was written.

        Raises:
            GalleryError: If the disk is full or the folder is not writable; nothing is left behind.
        """
        return self.add(poster, {**recipe, VIDEO_FILE_KEY: str(Path(video).resolve())})

    def items(
        self,
        *,
        audio_name: str | None = None,
        chain: str | None = None,
        starred: bool | None = None,
        limit: int = -1,
        offset: int = 0,
    ) -> list[GalleryItem]:
        """Images, newest first, optionally filtered by clip, chain or star."""
        clauses, values = [], []
        for column, value in (("audio_name", audio_name), ("chain", chain), ("starred", starred)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(int(value) if isinstance(value, bool) else value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.execute(
            f"SELECT * FROM images {where} ORDER BY created DESC, id DESC LIMIT ? OFFSET ?",
            (*values, limit, offset),
        ).fetchall()
        return [self._item(row) for row in rows]

    def get(self, item_id: str) -> GalleryItem:
        """The image ``item_id``.

        Raises:
            GalleryError: If there is none.
        """
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise GalleryError(f"No image {item_id!r} in the gallery {self.root}; run 'a2i gallery list'.")
        return self._item(row)

    def count(self) -> int:
        """How many images are indexed."""
        return int(self._db.execute("SELECT COUNT(*) FROM images").fetchone()[0])

    def set_starred(self, item_id: str, starred: bool) -> None:
        """Star or unstar an image."""
        with self._db:
            self._db.execute("UPDATE images SET starred = ? WHERE id = ?", (int(starred), item_id))

    def delete(self, item_id: str) -> Path:
        """Move an image to the gallery's trash folder; returns where it went (for undo)."""
        item = self.get(item_id)
        trash = self.root / "trash" / item.path.name
        trash.parent.mkdir(exist_ok=True)
        with self._db:
            self._db.execute("DELETE FROM images WHERE id = ?", (item_id,))
            os.replace(item.path, trash)
        return trash

    def restore(self, trashed: Path) -> GalleryItem:
        """Undo :meth:`delete`: move the PNG back and index it again."""
        item_id = trashed.stem
        day = f"{item_id[0:4]}-{item_id[4:6]}-{item_id[6:8]}"
        path = self.root / day / trashed.name
        path.parent.mkdir(exist_ok=True)
        os.replace(trashed, path)
        item = self._item_from_png(path)
        self._insert(item)
        return item

    def sync(self) -> tuple[int, int]:
        """Index PNGs the index misses and drop rows whose file is gone; returns (added, dropped)."""
        known = {row["path"]: row["id"] for row in self._db.execute("SELECT id, path FROM images")}
        dropped = [item_id for path, item_id in known.items() if not Path(path).exists()]
        with self._db:
            self._db.executemany("DELETE FROM images WHERE id = ?", [(item_id,) for item_id in dropped])
        added = 0
        for path in self._pngs():
            if str(path) not in known:
                with contextlib.suppress(GalleryError):  # foreign PNGs in the folder are left alone
                    self._insert(self._item_from_png(path))
                    added += 1
        return added, len(dropped)

    def rebuild(self) -> int:
        """Throw the index away and rebuild it from the PNGs; returns how many were indexed."""
        with self._db:
            self._db.execute("DELETE FROM images")
        added, _ = self.sync()
        return added

    def _pngs(self) -> Iterator[Path]:
        for path in sorted(self.root.glob("*/*.png")):
            if path.parent.name != "trash":
                yield path

    def _item_from_png(self, path: Path) -> GalleryItem:
        recipe = read_recipe(path)
        created = str(recipe.get("created", ""))
        return GalleryItem(
            id=path.stem,
            path=path,
            created=created,
            audio_name=str(recipe.get("audio", {}).get("name", "")),
            chain=str(recipe.get("chain", "")),
            seed=int(recipe.get("seed", 0)),
            starred=False,
            recipe=recipe,
        )

    def _insert(self, item: GalleryItem) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO images (id, path, created, audio_name, chain, seed, starred, recipe) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item.id,
                    str(item.path),
                    item.created,
                    item.audio_name,
                    item.chain,
                    item.seed,
                    int(item.starred),
                    json.dumps(item.recipe, sort_keys=True),
                ),
            )

    def _item(self, row: sqlite3.Row) -> GalleryItem:
        return GalleryItem(
            id=row["id"],
            path=Path(row["path"]),
            created=row["created"],
            audio_name=row["audio_name"],
            chain=row["chain"],
            seed=row["seed"],
            starred=bool(row["starred"]),
            recipe=json.loads(row["recipe"]),
        )

    def _write_atomically(self, path: Path, data: bytes) -> None:
        try:
            atomic_write(path, data)
        except OSError as error:
            if is_disk_full(error):
                raise GalleryError(
                    f"The disk holding the gallery {self.root} is full; free some space or choose "
                    "another gallery folder in Settings. Nothing was saved."
                ) from None
            raise GalleryError(
                f"Could not save an image in the gallery {self.root} ({error.strerror}); check the folder's "
                "permissions or choose another gallery folder in Settings."
            ) from None

    def _remove_stale_temp_files(self) -> None:
        """Remove what dead writers left; files another live process is writing stay."""
        for folder in self.root.iterdir():
            if folder.is_dir():
                remove_stale_temps(folder)
