"""``a2i datasets make soundscapes``: build the procedural paired dataset offline."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from a2i_studio.cli._common import progress_bar
from a2i_studio.core import Progress

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``datasets make soundscapes``."""
    datasets = subparsers.add_parser("datasets", help="build paired datasets")
    groups = datasets.add_subparsers(dest="datasets_command", metavar="ACTION", required=True)
    make = groups.add_parser("make", help="build a dataset that needs no download")
    kinds = make.add_subparsers(dest="dataset_kind", metavar="KIND", required=True)
    soundscapes = kinds.add_parser(
        "soundscapes",
        help="8 scene classes of synthesised sounds paired with drawn pictures",
        description="Write N pairs of 16 kHz scene clips and 256x256 pictures with metadata.csv to DIR. "
                    "Each picture follows its sound (how many birds, how hard the rain, how big the fire...): "
                    "metadata.csv has an intensity column, and count for birds, thunder claps and cars.",
    )
    soundscapes.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write")
    soundscapes.add_argument("--n", type=_positive_int, default=1000, metavar="N",
                             help="number of pairs (default: 1000)")
    soundscapes.add_argument("--seed", type=int, default=0, metavar="S", help="dataset seed (default: 0)")
    soundscapes.add_argument("--seconds", type=float, default=4.0, metavar="S", help="clip length (default: 4.0)")
    soundscapes.add_argument("--workers", type=_positive_int, default=2, metavar="N",
                             help="worker processes; the files do not depend on it (default: 2)")
    soundscapes.add_argument("--stereo", action="store_true",
                             help="2-channel clips with the main source panned, drawn at the matching horizontal "
                                  "position (metadata.csv gets pan and source_x columns)")
    soundscapes.set_defaults(func=_run_soundscapes)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive whole number")
    return value


def _run_soundscapes(args: argparse.Namespace) -> int:
    from a2i_studio.datasets.soundscapes import make_soundscapes

    started = time.perf_counter()
    with progress_bar(log_every=30.0) as report:
        dataset = make_soundscapes(
            args.out,
            args.n,
            args.seed,
            seconds=args.seconds,
            workers=args.workers,
            stereo=args.stereo,
            on_item=lambda done, total: report(Progress(done, total, "soundscapes")),
        )
    elapsed = time.perf_counter() - started
    print(f"wrote {len(dataset)} pairs ({len(dataset.labels)} classes) to {dataset.root} in {elapsed:.1f} s")
    return 0
