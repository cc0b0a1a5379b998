"""``a2i gallery list`` and ``a2i gallery rebuild``."""

from __future__ import annotations

import argparse

from a2i_studio.cli._common import print_json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``gallery list`` and ``gallery rebuild``."""
    gallery = subparsers.add_parser("gallery", help="list or re-index the gallery")
    commands = gallery.add_subparsers(dest="gallery_command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="images, newest first")
    listing.add_argument("--clip", default=None, help="only images of this audio file name")
    listing.add_argument("--chain", default=None, help="only images of this chain")
    listing.add_argument("--starred", action="store_true", help="only starred images")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.add_argument("--json", action="store_true", help="print as JSON, recipes included")
    listing.set_defaults(func=_run_list)

    rebuild = commands.add_parser(
        "rebuild", help="rebuild the index from the PNGs alone (stars are kept; unreadable files are listed)"
    )
    rebuild.set_defaults(func=_run_rebuild)


def _run_list(args: argparse.Namespace) -> int:
    from a2i_studio.gallery import Gallery

    gallery = Gallery()
    items = gallery.items(
        audio_name=args.clip, chain=args.chain, starred=True if args.starred else None, limit=args.limit
    )
    if args.json:
        print_json([{**item.__dict__, "path": str(item.path)} for item in items])
        return 0
    print(f"{gallery.count()} images in {gallery.root}")
    for item in items:
        star = "*" if item.starred else " "
        print(f"{star} {item.created[:19]}  {item.chain:24s} seed {item.seed:<11d} {item.audio_name}  {item.path}")
    return 0


def _run_rebuild(args: argparse.Namespace) -> int:
    from a2i_studio.gallery import Gallery

    gallery = Gallery()
    report = gallery.rebuild()
    print(f"Indexed {report.indexed} images from {gallery.root}; {report.starred} starred.")
    if report.skipped:
        count = len(report.skipped)
        print(f"Skipped {count} unreadable file{'' if count == 1 else 's'} (left where they are):")
    for path, reason in report.skipped:
        print(f"  {path}: {reason}")
    return 0
