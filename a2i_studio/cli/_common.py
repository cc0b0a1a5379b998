"""Pieces the CLI commands share: plugins, params, progress, output."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from a2i_studio import config
from a2i_studio.core import Component, Progress, ProgressCallback
from a2i_studio.errors import ParamError
from a2i_studio.plugins import PluginManager

__all__ = ["UsageError", "load_plugins", "log_traceback", "parse_param_options", "print_json", "progress_bar"]


class UsageError(ParamError):
    """The command line cannot be read as written (``a2i`` exits 2, like argparse's own errors).

    A malformed option or a name the command does not know is a usage error; a
    value the parameter's schema refuses (out of range, not a number) is a
    :class:`ParamError` like any other bad setting, and exits 1.
    """


def load_plugins(args: argparse.Namespace) -> PluginManager:
    """Load plugins honouring ``--safe-mode``; one warning line on stderr per plugin that broke or has a problem."""
    manager = PluginManager(safe_mode=getattr(args, "safe_mode", False)).load()
    for line in manager.warning_lines():
        print(line, file=sys.stderr)
    return manager


def log_traceback(heading: str) -> Path:
    """Append ``heading`` and the exception being handled to the log file; returns the file's path."""
    import datetime
    import traceback

    path = config.log_file()
    with path.open("a", encoding="utf-8") as log:
        log.write(f"{datetime.datetime.now().isoformat(timespec='seconds')} {heading}\n{traceback.format_exc()}")
    return path


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout."""
    json.dump(value, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def parse_param_options(options: Sequence[str], components: Sequence[Component]) -> dict[str, dict[str, Any]]:
    """Turn ``--param key=value`` options into values by component id, validated by each schema.

    ``key`` may be ``component.key`` when two components of the chain share a name.

    Raises:
        UsageError: Naming the option that is malformed, names no parameter of the chain, or is ambiguous.
        ParamError: Naming the option whose value the parameter refuses.
    """
    by_id = {component.id: component for component in components}
    values: dict[str, dict[str, Any]] = {}
    for option in options:
        key, separator, text = option.partition("=")
        if not separator or not key:
            raise UsageError(f"--param {option!r} should read key=value, e.g. --param steps=30.")
        owner_id, dot, name = key.rpartition(".")
        if dot:
            if owner_id not in by_id:
                raise UsageError(f"--param {option!r} names {owner_id!r}, which is not in this chain.")
            owners = [by_id[owner_id]]
        else:
            owners = [component for component in components if any(p.name == name for p in component.params)]
        if not owners:
            known = sorted({f"{c.id}.{p.name}" for c in components for p in c.params}) or ["none"]
            raise UsageError(f"--param {option!r}: no component of this chain has {name!r}; known: {', '.join(known)}.")
        if len(owners) > 1:
            raise UsageError(
                f"--param {option!r} is ambiguous: {' and '.join(c.id for c in owners)} both have {name!r}; "
                f"write {owners[0].id}.{name}={text}."
            )
        owner = owners[0]
        param = next((p for p in owner.params if p.name == name), None)
        if param is None:
            raise UsageError(f"--param {option!r}: {owner.id} has no parameter {name!r}.")
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
