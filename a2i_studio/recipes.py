"""The recipe inside a gallery PNG: read without decoding pixels, and checked.

Every gallery image carries its recipe as JSON in an ``a2i-recipe`` text
chunk. :func:`read_recipe` walks the PNG's chunks itself and reads that one
alone: the pixels are never decoded (a 12000x12000 picture costs nothing),
the chunk may hold at most :data:`MAX_RECIPE_BYTES` of text once inflated,
and the JSON may nest at most :data:`MAX_NESTING` deep. :func:`check_recipe`
then checks the fields the gallery index and a re-run rely on, so a crafted
recipe is refused in one sentence instead of failing somewhere later.

Seeds are whole numbers from 0 to 2^63 - 1 (:data:`SEED_LIMIT`): what SQLite
stores and what every generator's random generator accepts.
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from a2i_studio.errors import GalleryError, ParamError
from a2i_studio.files import regular_file_problem

__all__ = [
    "MAX_NESTING",
    "MAX_RECIPE_BYTES",
    "RECIPE_KEY",
    "SEED_LIMIT",
    "check_recipe",
    "check_seed",
    "read_recipe",
    "recipe_key",
]

RECIPE_KEY = "a2i-recipe"
"""The keyword of the PNG text chunk that holds the recipe."""

SEED_LIMIT = 2**63
"""Seeds are whole numbers with ``0 <= seed < SEED_LIMIT`` (a signed 64-bit integer, as SQLite stores it)."""

MAX_RECIPE_BYTES = 1 << 20
"""A recipe is a few kB; a text chunk that inflates past 1 MiB is refused."""

MAX_NESTING = 32
"""A recipe nests about 4 deep; JSON nested deeper than this is refused before parsing."""

# What decides the pixels; when, where and by which app build an image was made does not.
_KEY_FIELDS = ("segment", "chain", "components", "params", "seed")
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
_KEYWORD_BYTES = 80  # a PNG keyword is 1-79 bytes, then a NUL
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_seed(seed: object, what: str = "The seed") -> int:
    """``seed`` if it is a whole number from 0 to 2^63 - 1.

    Args:
        seed: The value to check.
        what: How the error names it (``"--seed"``, ``"The first seed"``).

    Raises:
        ParamError: For anything else (a bool, a float, text, a negative or too large number).
    """
    problem = _seed_problem(seed)
    if problem is not None:
        raise ParamError(f"{what} {problem}; use one in that range.")
    assert isinstance(seed, int)
    return seed


def read_recipe(path: Path) -> dict[str, Any]:
    """The recipe stored in a gallery PNG, checked with :func:`check_recipe`.

    Only the PNG's chunk headers and its recipe chunk are read; the pixels are
    never decoded.

    Raises:
        GalleryError: If the path is not a regular file, not a PNG, carries no
            recipe, or the recipe is too large, too deeply nested, not JSON or
            has fields of the wrong kind; the message names the file.
    """
    problem = regular_file_problem(path)
    if problem is not None:
        raise GalleryError(f"{path} {problem}; pick an image saved by a2i-studio.")
    try:
        with path.open("rb") as handle:
            text = _recipe_text(handle, path)
    except OSError as error:
        raise GalleryError(f"{path} cannot be read ({error.strerror}); check its permissions.") from None
    if text is None:
        raise GalleryError(f"{path.name} carries no a2i recipe; only images saved by a2i-studio can be re-run.")
    return check_recipe(_parse(text, path), path.name)


def check_recipe(recipe: object, source: str) -> dict[str, Any]:
    """``recipe`` if it is a JSON object whose indexed fields have the right kinds.

    Checks what the gallery index and a re-run read from every recipe: ``seed``
    (a whole number in range), ``chain`` (text), ``audio`` (an object whose
    ``name`` is text) and, when present, ``created`` (text).

    Args:
        recipe: The decoded JSON.
        source: The file or thing it came from, named in the error.

    Raises:
        GalleryError: Naming ``source`` and the first field that is wrong.
    """
    if not isinstance(recipe, dict):
        raise GalleryError(f"The recipe in {source} is a JSON {type(recipe).__name__}, not an object; it is damaged.")
    audio = recipe.get("audio")
    seed_problem = _seed_problem(recipe.get("seed"))
    problems = [
        (seed_problem is None, f"its seed {seed_problem}"),
        (isinstance(recipe.get("chain"), str), "'chain' is not text"),
        (isinstance(audio, dict), "'audio' is not an object"),
        (not isinstance(audio, dict) or isinstance(audio.get("name", ""), str), "'audio.name' is not text"),
        (isinstance(recipe.get("created", ""), str), "'created' is not text"),
    ]
    for ok, what in problems:
        if not ok:
            raise GalleryError(f"The recipe in {source} is damaged: {what}.")
    return recipe


def recipe_key(recipe: dict[str, Any]) -> str:
    """A short hash of what decides an image's pixels: the same key, the same image.

    It covers the audio's sha256 (not its name or place), the segment, the chain
    and its component versions, every parameter, the mixed-in sounds and the seed;
    it leaves out the creation time, the device, the dtype and the app version, so
    a batch run again on another machine recognises what is already made.
    """
    audio = recipe.get("audio", {})
    mix = [(other.get("sha256"), other.get("weight")) for other in recipe.get("mix", [])]
    kept = {field: recipe.get(field) for field in _KEY_FIELDS}
    text = json.dumps({**kept, "audio": audio.get("sha256"), "mix": mix}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _seed_problem(seed: object) -> str | None:
    if isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < SEED_LIMIT:
        return None
    shown = "missing" if seed is None else repr(seed) if len(repr(seed)) <= 40 else f"{repr(seed)[:37]}..."
    return f"is {shown}, not a whole number from 0 to {SEED_LIMIT - 1}"


def _recipe_text(handle: BinaryIO, path: Path) -> str | None:
    """The recipe chunk's text, or ``None`` when the PNG ends without one."""
    if handle.read(len(_SIGNATURE)) != _SIGNATURE:
        raise GalleryError(f"{path.name} is not a PNG; pick an image saved by a2i-studio.")
    while len(header := handle.read(8)) == 8:
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            return None
        if kind not in _TEXT_CHUNKS:
            handle.seek(length + 4, 1)  # the data and its CRC, unread: pixels are never touched
            continue
        head = handle.read(min(length, _KEYWORD_BYTES))
        if head.partition(b"\x00")[0] != RECIPE_KEY.encode():
            handle.seek(length - len(head) + 4, 1)
            continue
        if length > MAX_RECIPE_BYTES:
            raise GalleryError(
                f"The recipe chunk of {path.name} holds {length:,} bytes, over the 1 MiB a recipe may use."
            )
        data = head + handle.read(length - len(head))
        (crc,) = struct.unpack(">I", handle.read(4).rjust(4, b"\x00"))
        if len(data) != length or zlib.crc32(kind + data) != crc:
            raise GalleryError(f"The recipe chunk of {path.name} is cut short or damaged; the image cannot be re-run.")
        return _decode_text(kind, data, path)
    return None


def _decode_text(kind: bytes, data: bytes, path: Path) -> str:
    """The text of a ``tEXt``, ``zTXt`` or ``iTXt`` chunk (PNG spec, section 11.3.4)."""
    body = data.partition(b"\x00")[2]
    try:
        if kind == b"tEXt":
            return body.decode("latin-1")
        if kind == b"zTXt":
            return _inflate(body[1:], path).decode("latin-1")
        compressed, fields = body[0], body[2:].split(b"\x00", 2)
        if len(fields) != 3:
            raise ValueError("no language tag or translated keyword")
        text = fields[2]  # after the language tag and the translated keyword
        return (_inflate(text, path) if compressed else text).decode("utf-8")
    except (IndexError, ValueError, zlib.error):
        raise GalleryError(f"The recipe chunk of {path.name} is damaged; the image cannot be re-run.") from None


def _inflate(data: bytes, path: Path) -> bytes:
    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_RECIPE_BYTES + 1)
    if len(text) > MAX_RECIPE_BYTES or inflater.unconsumed_tail:
        raise GalleryError(
            f"The recipe of {path.name} inflates past 1 MiB, more than any recipe holds; it is not ours."
        )
    return text


def _parse(text: str, path: Path) -> object:
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise GalleryError(f"The recipe of {path.name} nests deeper than {MAX_NESTING} levels; it is not ours.")
        elif token in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except ValueError:
        raise GalleryError(f"The recipe inside {path.name} is damaged; the image cannot be re-run.") from None
