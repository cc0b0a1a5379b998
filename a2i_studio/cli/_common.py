"""Pieces the CLI commands share: plugins, params, progress, output."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from a2i_studio.core import Component, Progress, ProgressCallback
from a2i_studio.errors import A2IError, ParamError
from a2i_studio.plugins import PluginManager

__all__ = ["check_source_audio", "load_plugins", "parse_param_options", "print_json", "progress_bar"]


def load_plugins(args: argparse.Namespace) -> PluginManager:
    """Load plugins honouring ``--safe-mode``; report broken ones on stderr, once."""
    manager = PluginManager(safe_mode=getattr(args, "safe_mode", False)).load()
    for record in manager.failed:
        print(f"warning: {record.error}", file=sys.stderr)
    return manager


def check_source_audio(audio: Path, recipe: Mapping[str, Any], made: str) -> None:
    """Check that ``audio`` is still the sound the recipe of ``made`` (a file name) was made from.

    Raises:
        A2IError: If it is gone, or its sha256 differs from the recipe's.
    """
    from a2i_studio.audio import file_sha256

    if not audio.exists():
        raise A2IError(f"The source audio {audio} of {made} is gone; pass its new place with --audio.")
    if file_sha256(audio) != recipe["audio"]["sha256"]:
        raise A2IError(
            f"{audio} is not the audio {made} was made from (its sha256 differs); pass the original with --audio."
        )


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    json.dump(value, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def parse_param_options(options: Sequence[str], components: Sequence[Component]) -> dict[str, dict[str, Any]]:
    """Turn ``--param key=value`` options into values by component id, validated by each schema.

    ``key`` may be ``component.key`` when two components of the chain share a name.

    Raises:
        ParamError: Naming the option that is malformed, unknown, ambiguous or invalid.
    """
    by_id = {component.id: component for component in components}
    values: dict[str, dict[str, Any]] = {}
    for option in options:
        key, separator, text = option.partition("=")
        if not separator or not key:
            raise ParamError(f"--param {option!r} should read key=value, e.g. --param steps=30.")
        owner_id, dot, name = key.rpartition(".")
        if dot:
            if owner_id not in by_id:
                raise ParamError(f"--param {option!r} names {owner_id!r}, which is not in this chain.")
            owners = [by_id[owner_id]]
        else:
            owners = [component for component in components if any(p.name == name for p in component.params)]
        if not owners:
            known = sorted({f"{c.id}.{p.name}" for c in components for p in c.params}) or ["none"]
            raise ParamError(f"--param {option!r}: no component of this chain has {name!r}; known: {', '.join(known)}.")
        if len(owners) > 1:
            raise ParamError(
                f"--param {option!r} is ambiguous: {' and '.join(c.id for c in owners)} both have {name!r}; "
                f"write {owners[0].id}.{name}={text}."
            )
        owner = owners[0]
        param = next((p for p in owner.params if p.name == name), None)
        if param is None:
            raise ParamError(f"--param {option!r}: {owner.id} has no parameter {name!r}.")
        values.setdefault(owner.id, {})[name] = param.parse(text)
    return values


@contextmanager
def progress_bar(enabled: bool = True, log_every: float | None = None) -> Iterator[ProgressCallback]:
    """A tqdm bar on stderr driven by :class:`Progress` reports.

    When stderr is no terminal the bar is hidden; with ``log_every`` (seconds)
    plain lines take its place there, the first report, then at most one every
    ``log_every`` seconds, then the last, so that a long run whose output goes
    to a log file shows how far it is.
    """
    if enabled and log_every is not None and not sys.stderr.isatty():
        with _progress_lines(log_every) as write_line:
            yield write_line
        return
    from tqdm import tqdm

    bar = tqdm(total=1, file=sys.stderr, disable=None if enabled else True, leave=False)

    def report(progress: Progress) -> None:
        if bar.total != progress.total:
            bar.reset(total=progress.total)
        bar.n = progress.step
        bar.set_description(progress.stage, refresh=False)
        bar.refresh()

    try:
        yield report
    finally:
        bar.close()


@contextmanager
def _progress_lines(every: float) -> Iterator[ProgressCallback]:
    started = time.monotonic()
    written_at = started - every
    unwritten: Progress | None = None

    def write(progress: Progress) -> None:
        elapsed = time.monotonic() - started
        print(f"{elapsed:7.0f}s {progress.step}/{progress.total} {progress.stage}", file=sys.stderr, flush=True)

    def report(progress: Progress) -> None:
        nonlocal written_at, unwritten
        now = time.monotonic()
        if now - written_at >= every:
            write(progress)
            written_at, unwritten = now, None
        else:
            unwritten = progress

    try:
        yield report
    finally:
        if unwritten is not None:
            write(unwritten)
