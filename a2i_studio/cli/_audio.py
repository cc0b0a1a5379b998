"""``a2i audio info FILE [--json]``: what a file is and how loud it is."""

from __future__ import annotations

import argparse
import json
import math


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``audio`` command group and its ``info`` command.

    Args:
        subparsers: The top-level parser's subcommands.
    """
    audio = subparsers.add_parser("audio", help="inspect audio files", description="Inspect audio files.")
    commands = audio.add_subparsers(dest="audio_command", metavar="COMMAND", required=True)
    info = commands.add_parser(
        "info",
        help="show format, length, rate, channels and levels of a file",
        description=(
            "Show a file's container and codec, duration, sample rate, channels, sample peak (dBFS) and"
            " RMS level (dBFS, unweighted; a full-scale sine reads -3.0). Reads the whole file once."
        ),
    )
    info.add_argument("file", metavar="FILE", help="audio or video file")
    info.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    info.set_defaults(func=_run_info)


def _run_info(args: argparse.Namespace) -> int:
    """Print the facts about ``args.file``; A2IError subclasses reach the CLI's main."""
    from a2i_studio.audio import measure_levels, probe

    info = probe(args.file)
    levels = measure_levels(args.file)
    if args.json:
        record = {
            "path": str(info.path),
            "format": info.format,
            "codec": info.codec,
            "duration": info.duration,
            "sample_rate": info.sample_rate,
            "channels": info.channels,
            "frames": info.frames,
            # JSON has no -infinity; null stands for digital silence.
            "peak_dbfs": levels.peak_dbfs if math.isfinite(levels.peak_dbfs) else None,
            "rms_dbfs": levels.rms_dbfs if math.isfinite(levels.rms_dbfs) else None,
        }
        print(json.dumps(record))
        return 0
    rows = [
        ("format", f"{info.format} ({info.codec})"),
        ("duration", f"{info.duration:.3f} s ({_clock(info.duration)})"),
        ("rate", f"{info.sample_rate} Hz"),
        ("channels", str(info.channels)),
        ("frames", str(info.frames)),
        ("peak", _decibels(levels.peak_dbfs, "dBFS")),
        ("loudness", _decibels(levels.rms_dbfs, "dBFS RMS")),
    ]
    print(info.path.name)
    for label, value in rows:
        print(f"  {label:<9} {value}")
    return 0


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{rest:06.3f}"


def _decibels(value: float, unit: str) -> str:
    return f"{value:.1f} {unit}" if math.isfinite(value) else f"-inf {unit} (silent)"
