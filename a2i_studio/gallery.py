"""The gallery: PNGs that carry their recipe, indexed in SQLite.

Each image is a PNG whose ``a2i-recipe`` text chunk holds the full recipe
(audio name and sha256, segment, chain ids and versions, every parameter,
seed, app version). PNGs are written to a temporary file and moved into place
with ``os.replace``, and only then indexed, so a crash never leaves a
half-written image; if indexing fails the PNG is removed again, and a PNG the
index misses (a kill between the two steps) is indexed when the gallery is
next opened. The index can be rebuilt from the PNGs alone (``a2i gallery
rebuild``): the new rows are swapped in by one transaction, unreadable files
are skipped with a reason, and stars follow each image's bytes. A damaged
``index.sqlite`` is moved aside and rebuilt when the gallery opens.

Several processes may share a gallery: SQLite runs in WAL mode with a busy
timeout, so writers take turns, and only temporary files whose writer is gone
(:func:`a2i_studio.files.is_stale_temp`) are cleaned up.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio import config
from a2i_studio._gallery_index import INDEX_NAME, INSERT, DamagedIndex, open_index
from a2i_studio.errors import GalleryError
from a2i_studio.files import atomic_write, is_disk_full, remove_stale_temps, sha256_file
from a2i_studio.recipes import RECIPE_KEY, check_recipe, read_recipe, recipe_key

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["RECIPE_KEY", "VIDEO_FILE_KEY", "Gallery", "GalleryItem", "RebuildReport", "read_recipe", "recipe_key"]

VIDEO_FILE_KEY = "video_file"
"""Recipe key of a video's poster: where the video file is."""

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
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


@dataclasses.dataclass(frozen=True)
class RebuildReport:
    """What :meth:`Gallery.rebuild` did.

    Attributes:
        indexed: Images in the new index.
        starred: Of those, how many kept their star.
        skipped: Each PNG that could not be read, with the one-sentence reason.
    """

    indexed: int
    starred: int
    skipped: tuple[tuple[Path, str], ...]


class Gallery:
    """The images of one gallery folder and their SQLite index.

    Args:
        root: The gallery folder; ``None`` for the user's (``A2I_GALLERY_DIR``, Settings, or the data dir).

    Attributes:
        root: The gallery folder.
        repaired: Where a damaged index was moved when this gallery opened (it was rebuilt
            from the PNGs), or ``None``.

    Raises:
        GalleryError: If the folder cannot be created or the index cannot be opened.
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
        self.repaired: Path | None = None
        try:
            self._db = self._connect()
        except DamagedIndex:
            self._repair()
        else:
            self._heal()

    def close(self) -> None:
        """Close the index."""
        self._db.close()

    def add(self, image: Image, recipe: dict[str, Any]) -> GalleryItem:
        """Save ``image`` with ``recipe`` in its PNG, atomically, and index it.

        Raises:
            GalleryError: If the recipe's indexed fields are wrong (a seed out of range, say), the
                disk is full, the folder is not writable or the index cannot take the row; nothing
                is left behind.
        """
        from PIL.PngImagePlugin import PngInfo

        created = datetime.now(UTC)
        recipe = check_recipe({"created": created.isoformat(), **recipe}, "the new image")
        item_id = f"{created:%Y%m%d-%H%M%S-%f}-{uuid.uuid4().hex[:6]}"
        folder = self.root / f"{created:%Y-%m-%d}"
        path = folder / f"{item_id}.png"
        metadata = PngInfo()
        metadata.add_itxt(RECIPE_KEY, json.dumps(recipe, sort_keys=True), zip=True)
        metadata.add_text("Software", f"a2i-studio {recipe.get('app_version', '')}".strip())
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", pnginfo=metadata)
        self._write_atomically(path, buffer.getvalue())
        item = _item(path, recipe)
        try:
            self._insert(item)
        except sqlite3.Error as error:
            # The PNG goes too, so the folder and the index agree; if even that fails, the next open indexes it.
            with contextlib.suppress(OSError):
                path.unlink()
            raise self._index_error(error) from None
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
        return [self._from_row(row) for row in rows]

    def get(self, item_id: str) -> GalleryItem:
        """The image ``item_id``.

        Raises:
            GalleryError: If there is none.
        """
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            raise GalleryError(f"No image {item_id!r} in the gallery {self.root}; run 'a2i gallery list'.")
        return self._from_row(row)

    def items_by_recipe_key(self, keys: Iterable[str]) -> dict[str, GalleryItem]:
        """The newest image of each :func:`recipe_key` in ``keys`` that the gallery holds."""
        found: dict[str, GalleryItem] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 500):  # SQLite caps the number of ? in one statement
            chunk = wanted[start : start + 500]
            rows = self._db.execute(
                f"SELECT * FROM images WHERE recipe_key IN ({', '.join('?' * len(chunk))}) ORDER BY created",
                chunk,
            ).fetchall()
            found.update((row["recipe_key"], self._from_row(row)) for row in rows)
        return found

    def count(self) -> int:
        """How many images are indexed."""
        return int(self._db.execute("SELECT COUNT(*) FROM images").fetchone()[0])

    def set_starred(self, item_id: str, starred: bool) -> None:
        """Star or unstar an image (the star is also kept by the PNG's content, for :meth:`rebuild`)."""
        row = self._db.execute("SELECT path FROM images WHERE id = ?", (item_id,)).fetchone()
        if row is None:
            return
        key = _content_key(Path(row["path"]))
        with self._db:
            self._db.execute("UPDATE images SET starred = ? WHERE id = ?", (int(starred), item_id))
            if key is not None and starred:
                self._db.execute("INSERT OR REPLACE INTO stars (sha256, size) VALUES (?, ?)", key)
            elif key is not None:
                self._db.execute("DELETE FROM stars WHERE sha256 = ?", key[:1])

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
        return self._index_missing(set(known)), len(dropped)

    def rebuild(self) -> RebuildReport:
        """Rebuild the index from the PNGs alone, keeping stars.

        The new rows are gathered beside the old index and swapped in by one
        transaction, so a failure half way (or another process reading) sees
        the old index whole. A star stays with the image whose bytes it was
        given to, wherever that file now is. Rows that other processes add
        meanwhile are kept.

        Raises:
            GalleryError: If the index cannot be written (the old one is left as it was).
        """
        starred = self._starred_hashes()
        scanned: set[str] = set()
        items: list[GalleryItem] = []
        stars: list[tuple[str, int]] = []
        skipped: list[tuple[Path, str]] = []
        for path in self._pngs():
            scanned.add(str(path))
            try:
                item = self._item_from_png(path)
            except GalleryError as error:
                skipped.append((path, str(error)))
                continue
            key = _content_key(path) if path.stat().st_size in starred else None
            if key is not None and key[0] in starred[key[1]]:
                stars.append(key)
                item = dataclasses.replace(item, starred=True)
            items.append(item)
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")  # one writer from here to the commit
                stale = [
                    (row["id"],)
                    for row in self._db.execute("SELECT id, path FROM images")
                    if row["path"] in scanned or not Path(row["path"]).exists()
                ]
                self._db.executemany("DELETE FROM images WHERE id = ?", stale)
                self._db.executemany(INSERT, [_row(item) for item in items])
                self._db.execute("DELETE FROM stars")
                self._db.executemany("INSERT OR REPLACE INTO stars (sha256, size) VALUES (?, ?)", stars)
        except sqlite3.Error as error:
            raise self._index_error(error, "the old index is kept") from None
        return RebuildReport(len(items), len(stars), tuple(skipped))

    def _connect(self) -> sqlite3.Connection:
        try:
            return open_index(self.root / INDEX_NAME)
        except sqlite3.Error as error:
            raise GalleryError(
                f"The gallery index {self.root / INDEX_NAME} cannot be opened ({error}); check the folder's "
                "permissions and free space, or choose another gallery folder in Settings."
            ) from None

    def _repair(self) -> None:
        """Move a damaged index aside, start a new one and fill it from the PNGs."""
        index = self.root / INDEX_NAME
        aside = index.with_name(f"{INDEX_NAME}.damaged-{datetime.now(UTC):%Y%m%d-%H%M%S}")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{index}{suffix}", f"{aside}{suffix}")
        self._db = self._connect()
        report = self.rebuild()
        self.repaired = aside
        log.warning(
            "The gallery index %s was damaged: it was moved to %s and rebuilt from %d images "
            "(stars could not be recovered, %d unreadable files skipped).",
            index, aside, report.indexed, len(report.skipped),
        )

    def _heal(self) -> None:
        """Index PNGs a failed or killed write left without a row.

        Rows are never dropped here: a folder that is briefly unreachable (an unmounted drive)
        must not cost the index its rows; :meth:`sync` and :meth:`rebuild` do that on request.
        """
        with contextlib.suppress(sqlite3.Error):  # a busy or full disk: the next open tries again
            self._index_missing({row["path"] for row in self._db.execute("SELECT path FROM images")})

    def _index_missing(self, known: set[str]) -> int:
        """Index the PNGs whose path is not in ``known``; returns how many were added."""
        added = 0
        for path in self._pngs():
            if str(path) not in known:
                with contextlib.suppress(GalleryError):  # foreign or damaged PNGs in the folder are left alone
                    self._insert(self._item_from_png(path))
                    added += 1
        return added

    def _starred_hashes(self) -> dict[int, set[str]]:
        """The sha256 of every star's PNG, by file size (so a rebuild hashes only files of a starred size).

        From the stars table, and from the files of starred rows (stars given before the table existed).
        """
        hashes: dict[int, set[str]] = {}
        keys = list(self._db.execute("SELECT sha256, size FROM stars"))
        for row in self._db.execute("SELECT path FROM images WHERE starred = 1"):
            key = _content_key(Path(row["path"]))
            keys += [key] if key is not None else []
        for sha256, size in keys:
            hashes.setdefault(size, set()).add(sha256)
        return hashes

    def _pngs(self) -> Iterator[Path]:
        for path in sorted(self.root.glob("*/*.png")):
            if path.parent.name != "trash":
                yield path

    def _item_from_png(self, path: Path) -> GalleryItem:
        return _item(path, read_recipe(path))

    def _insert(self, item: GalleryItem) -> None:
        with self._db:
            self._db.execute(INSERT, _row(item))

    def _index_error(self, error: sqlite3.Error, outcome: str = "nothing was saved") -> GalleryError:
        index = self.root / INDEX_NAME
        if is_disk_full(error):
            return GalleryError(
                f"The disk holding the gallery index {index} is full: free some space or choose another "
                f"gallery folder in Settings; {outcome}."
            )
        return GalleryError(f"The gallery index {index} could not be updated ({error}); {outcome}.")

    def _from_row(self, row: sqlite3.Row) -> GalleryItem:
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
                    f"The disk holding the gallery {self.root} is full: free some space or choose "
                    "another gallery folder in Settings; nothing was saved."
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


def _item(path: Path, recipe: dict[str, Any]) -> GalleryItem:
    """The index entry of the PNG at ``path``; ``recipe`` has passed :func:`check_recipe`."""
    return GalleryItem(
        id=path.stem,
        path=path,
        created=str(recipe.get("created", "")),
        audio_name=str(recipe["audio"].get("name", "")),
        chain=recipe["chain"],
        seed=recipe["seed"],
        starred=False,
        recipe=recipe,
    )


def _row(item: GalleryItem) -> tuple[Any, ...]:
    return (
        item.id,
        str(item.path),
        item.created,
        item.audio_name,
        item.chain,
        item.seed,
        int(item.starred),
        json.dumps(item.recipe, sort_keys=True),
        recipe_key(item.recipe),
    )


def _content_key(path: Path) -> tuple[str, int] | None:
    """(sha256, size) of a PNG, or ``None`` if it is gone or unreadable (then there is no star to keep)."""
    try:
        return sha256_file(path), path.stat().st_size
    except (OSError, ValueError):
        return None
