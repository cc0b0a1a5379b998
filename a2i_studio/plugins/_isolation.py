"""Running a plugin's code so that nothing it raises takes the app down.

A plugin is third-party code: at import or in a hook it may raise anything,
``SystemExit`` and ``KeyboardInterrupt`` included. Those are caught and turned
into a reason to disable the plugin, except a real Ctrl-C from the user, which
must still stop the command. The two are told apart by a SIGINT handler that
notes a real signal before raising (on the main thread; a worker thread never
receives SIGINT, so a ``KeyboardInterrupt`` there is always the plugin's own).
"""

from __future__ import annotations

import importlib.util
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from a2i_studio.errors import A2IError

__all__ = ["DROP_IN_PREFIX", "Outcome", "RealInterrupts", "describe_failure", "file_importer", "one_line"]

DROP_IN_PREFIX = "a2i_dropin_"
"""Single-file plugins are imported as ``a2i_dropin_<stem>``, so their names cannot shadow real modules."""

_MAX_REASON = 300


@dataclass(frozen=True)
class Outcome:
    """What running a piece of plugin code gave: its value, or the error and its traceback."""

    value: Any
    error: BaseException | None
    traceback: str
    seconds: float


class RealInterrupts:
    """Notes SIGINTs while plugin code runs, so :meth:`call` re-raises only a real Ctrl-C."""

    def __init__(self) -> None:
        self.seen = False

    @contextmanager
    def watching(self) -> Iterator[RealInterrupts]:
        """Install the noting SIGINT handler for the duration (only possible on the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, self._on_sigint)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

    def _on_sigint(self, _signum: int, _frame: FrameType | None) -> None:
        self.seen = True
        raise KeyboardInterrupt

    def call(self, function: Callable[[], Any]) -> Outcome:
        """Run ``function``; any exception but a real Ctrl-C comes back in the :class:`Outcome`."""
        started = time.perf_counter()
        try:
            value = function()
        except KeyboardInterrupt as error:
            if self.seen:
                raise
            return Outcome(None, error, traceback.format_exc(), time.perf_counter() - started)
        except BaseException as error:  # a plugin's SystemExit or bug must not end the app
            return Outcome(None, error, traceback.format_exc(), time.perf_counter() - started)
        return Outcome(value, None, "", time.perf_counter() - started)


def one_line(text: str) -> str:
    """``text`` on one line, shortened: error messages of third-party code can run over many."""
    flat = " ".join(text.split())
    return flat if len(flat) <= _MAX_REASON else flat[: _MAX_REASON - 3] + "..."


def describe_failure(error: BaseException) -> str:
    """What ``error`` says, in a few words that fit a sentence (``called sys.exit(3)``)."""
    if isinstance(error, SystemExit):
        return f"called sys.exit({error.code!r})"
    if isinstance(error, KeyboardInterrupt):
        return "raised KeyboardInterrupt itself (no Ctrl-C was pressed)"
    message = one_line(str(error))
    if isinstance(error, A2IError):  # already a sentence that names what to fix
        return message
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def file_importer(path: Path) -> Callable[[], ModuleType]:
    """A function that imports the single-file plugin ``path`` (as ``a2i_dropin_<stem>``) and returns it."""
    module_name = f"{DROP_IN_PREFIX}{path.stem}"

    def execute() -> ModuleType:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{path} is not a Python file")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        return module

    return execute
