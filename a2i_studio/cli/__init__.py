"""The ``a2i`` command line.

Each command group lives in its own module with a ``register(subparsers)``
function. Modules import only what ``--help`` needs; torch and the models are
imported inside the handlers. Exit codes: 0 success, 2 usage error (argparse's
own, and :class:`UsageError`), 1 any other error, printed as one ``error: ...``
line. An unexpected exception is a bug: its traceback goes to the log file
only, and to the terminal with ``--debug``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from a2i_studio import __version__
from a2i_studio.cli import (
    _audio,
    _batch,
    _datasets,
    _doctor,
    _eval,
    _gallery,
    _generate,
    _gui,
    _live,
    _models,
    _plugins,
    _render,
    _train,
)
from a2i_studio.cli._common import UsageError, log_traceback
from a2i_studio.errors import A2IError, PluginBug

__all__ = ["build_parser", "command_usages", "main"]

_USAGE_WIDTH = 100
_MESSAGE_WIDTH = 300
"""An unexpected error's message is cut here: some libraries put a page of advice in theirs."""
_GROUPS = (
    _generate, _render, _live, _batch, _plugins, _gallery, _audio, _models, _datasets, _train, _eval, _doctor, _gui,
)


class _Formatter(argparse.HelpFormatter):
    """Fixed width, so usage lines are the same on every terminal (the docs quote them)."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_USAGE_WIDTH, max_help_position=32)


class _Parser(argparse.ArgumentParser):
    """Every (sub)parser formats with :class:`_Formatter`, whoever adds it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def build_parser() -> argparse.ArgumentParser:
    """The ``a2i`` parser with every command."""
    parser = _Parser(
        prog="a2i",
        description="Turn sound into pictures. Run 'a2i COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"a2i-studio {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--safe-mode", action="store_true", help="load built-in plugins only")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for group in _GROUPS:
        group.register(subparsers)
    return parser


def command_usages() -> dict[str, str]:
    """The one-line usage of every leaf command, by command path (``"models list"``); quoted in the README."""
    usages: dict[str, str] = {}

    def walk(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        actions = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
        if not actions:
            usages[" ".join(path)] = " ".join(parser.format_usage().split())[len("usage: ") :]
            return
        for name, child in actions[0].choices.items():
            walk(child, (*path, name))

    walk(build_parser(), ())
    return usages


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``a2i`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        code: int = args.func(args)
        return code
    except PluginBug as error:
        if args.debug:
            raise
        path = log_traceback("a2i " + " ".join(sys.argv[1:] if argv is None else argv))
        print(f"error: {error} The traceback is in {path}.", file=sys.stderr)
        return 1
    except A2IError as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    except KeyboardInterrupt:
        print("error: interrupted; nothing was saved.", file=sys.stderr)
        return 130
    except Exception as error:
        if args.debug:
            raise
        path = log_traceback("a2i " + " ".join(sys.argv[1:] if argv is None else argv))
        message = " ".join(str(error).split())[:_MESSAGE_WIDTH]
        print(
            f"error: unexpected {type(error).__name__}: {message} (a bug; the traceback is in {path}, "
            "run again with --debug to see it).",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
