"""The gallery's SQLite index: its schema, and opening it with a migration and a check.

:func:`open_index` opens ``index.sqlite`` in WAL mode with a busy timeout (so
several processes take turns writing), adds what older indexes lack, and runs
SQLite's quick check, so that a damaged file is found when the gallery opens
(:class:`DamagedIndex`) rather than half way through a write.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from a2i_studio.recipes import recipe_key

__all__ = ["INDEX_NAME", "INSERT", "DamagedIndex", "open_index"]

INDEX_NAME = "index.sqlite"
"""The index's file name in the gallery folder."""

INSERT = (
    "INSERT OR REPLACE INTO images (id, path, created, audio_name, chain, seed, starred, recipe, recipe_key) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
"""Adds or replaces one image's row: id, path, created, audio_name, chain, seed, starred, recipe, recipe_key."""

_BUSY_TIMEOUT_S = 60.0  # several processes (a batch, the app) write to one index; each waits its turn
_CORRUPT_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    audio_name TEXT NOT NULL,
    chain TEXT NOT NULL,
    seed INTEGER NOT NULL,
    starred INTEGER NOT NULL DEFAULT 0,
    recipe TEXT NOT NULL,
    recipe_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS images_created ON images(created);
-- The bytes each star was given to (sha256 and size of the PNG), so a rebuild finds them wherever they are.
CREATE TABLE IF NOT EXISTS stars (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL
);
"""


class DamagedIndex(Exception):
    """``index.sqlite`` is not a database or fails SQLite's quick check."""


def open_index(path: Path) -> sqlite3.Connection:
    """Open the index at ``path`` (created if missing), migrated and checked.

    Several processes may open a new index at once (a batch under ``torch.distributed.run``).
    Switching a new database to WAL answers "database is locked" at once, without waiting
    out the busy timeout, while another connection holds it; such an open is tried again
    until the busy timeout has passed.

    Raises:
        DamagedIndex: The file is not a database or fails SQLite's quick check.
        sqlite3.Error: It cannot be opened for another reason (permissions, a full disk).
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_S
    while True:
        try:
            return _open_once(path)
        except sqlite3.OperationalError as error:
            code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
            busy = code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _open_once(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        # A power cut may lose the last rows (never corrupt the index); opening re-indexes their PNGs.
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(_SCHEMA)
        _add_recipe_keys(db)
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.Error as error:
        db.close()
        if (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF in _CORRUPT_CODES:
            raise DamagedIndex(str(error)) from None
        raise
    if verdict != "ok":
        db.close()
        raise DamagedIndex(verdict)
    return db


def _add_recipe_keys(db: sqlite3.Connection) -> None:
    """Give an index made before recipe keys existed its key column, filled from the stored recipes."""
    if "recipe_key" not in {row["name"] for row in db.execute("PRAGMA table_info(images)")}:
        with db:
            db.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see the column
            if "recipe_key" not in {row["name"] for row in db.execute("PRAGMA table_info(images)")}:
                db.execute("ALTER TABLE images ADD COLUMN recipe_key TEXT NOT NULL DEFAULT ''")
                rows = db.execute("SELECT id, recipe FROM images").fetchall()
                db.executemany(
                    "UPDATE images SET recipe_key = ? WHERE id = ?",
                    [(recipe_key(json.loads(row["recipe"])), row["id"]) for row in rows],
                )
    db.execute("CREATE INDEX IF NOT EXISTS images_recipe_key ON images(recipe_key)")
