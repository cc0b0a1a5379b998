"""``a2i train TRAINER``: run any registered trainer, its settings as options.

A trainer's parameter schema becomes the command's options (``--epochs 5``,
``--batch-size 64``, ``--preset seed``); nothing is written per trainer here.
Every setting is resolved (defaults, the preset, what was given) before the
trainer runs. Running the same command again resumes; ``--fresh`` starts over.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from a2i_studio.cli._common import load_plugins, print_json, progress_bar
from a2i_studio.core import BoolParam, Param, Trainer
from a2i_studio.errors import A2IError, ParamError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train``."""
    train = subparsers.add_parser(
        "train",
        help="train a model (aegan, pixel, adapter, lora, unclip, ...)",
        description="Train a model. 'a2i train TRAINER --help' lists that trainer's settings.",
    )
    train.add_argument("trainer", metavar="TRAINER", help="trainer id; 'a2i plugins list' shows them")
    train.add_argument("options", nargs=argparse.REMAINDER, metavar="...", help="--data DIR --out DIR and settings")
    train.set_defaults(func=_run_train)


def trainer_parser(trainer: Trainer) -> argparse.ArgumentParser:
    """The option parser of one trainer, built from its parameter schema."""
    parser = argparse.ArgumentParser(prog=f"a2i train {trainer.id}", description=trainer.description)
    parser.add_argument("--data", type=Path, required=True, metavar="DIR", help="dataset folder")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for checkpoints and reports")
    parser.add_argument("--settings", type=Path, default=None, metavar="FILE", help="JSON settings (from the wizard)")
    parser.add_argument("--fresh", action="store_true",
                        help="start over instead of resuming from the checkpoints in --out (they are replaced "
                        "when the new run saves its first)")
    parser.add_argument("--json", action="store_true", help="print the final metrics as JSON")
    for param in trainer.params:
        _add_option(parser, param)
    return parser


def _add_option(parser: argparse.ArgumentParser, param: Param) -> None:
    flag = "--" + param.name.replace("_", "-")
    help_text = f"{param.help} (default: {param.default})"
    if isinstance(param, BoolParam):
        parser.add_argument(flag, dest=param.name, action=argparse.BooleanOptionalAction, default=None, help=help_text)
    else:
        parser.add_argument(flag, dest=param.name, type=param.parse, default=None, metavar=param.kind.upper(),
                            help=help_text)


def _run_train(args: argparse.Namespace) -> int:
    manager = load_plugins(args)
    trainer = manager.registry.get("trainer", args.trainer)
    if not isinstance(trainer, Trainer):
        known = ", ".join(t.id for t in manager.registry.trainers) or "none installed"
        raise A2IError(f"There is no trainer {args.trainer!r}; known trainers: {known}.")
    options = trainer_parser(trainer).parse_args(args.options)
    chosen: dict[str, Any] = _read_settings(options.settings, trainer) if options.settings else {}
    given = {param.name: getattr(options, param.name) for param in trainer.params}
    chosen.update({name: value for name, value in given.items() if value is not None})
    settings = trainer.resolve_settings(chosen)
    try:
        with progress_bar(log_every=30.0) as report:
            metrics = trainer.train(options.data, options.out, settings, progress=report, fresh=options.fresh)
    except KeyboardInterrupt:
        print(f"error: interrupted; the checkpoints saved in {options.out / 'checkpoints'} are kept: run the same "
              "command again to resume.", file=sys.stderr)
        return 130
    if options.json:
        print_json(metrics)
    else:
        for key, value in metrics.items():
            print(f"{key}: {value}")
    return 0


def _read_settings(path: Path, trainer: Trainer) -> dict[str, Any]:
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ParamError(
            f"--settings {path} could not be read as JSON ({error}); save it again from the wizard."
        ) from None
    if not isinstance(settings, dict):
        raise ParamError(f"--settings {path} should hold a JSON object of setting names and values.")
    schema = {param.name: param for param in trainer.params}
    for name in settings:
        if name not in schema:
            raise ParamError(f"--settings {path} has {name!r}, which trainer {trainer.id} does not take.")
    return {name: schema[name].validate(value) for name, value in settings.items()}
