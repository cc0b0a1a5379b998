"""``a2i models list|download|verify``: the weights every installed component needs."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from a2i_studio.cli._common import load_plugins, print_json, progress_bar
from a2i_studio.core import Registry, WeightExtractor, WeightSpec
from a2i_studio.errors import A2IError, CheckpointError, ParamError

__all__ = ["register"]

_KINDS = ("encoder", "adapter", "generator", "trainer")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``models list``, ``models download`` and ``models verify``."""
    models = subparsers.add_parser("models", help="list, download and verify model weights")
    commands = models.add_subparsers(dest="models_command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="every weights file the components need, and where it was found")
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(func=_run_list)

    fetch = commands.add_parser("download", help="download weights (by weights name or component id)")
    fetch.add_argument("names", nargs="+", metavar="NAME", help="weights name or component id, e.g. vggish")
    fetch.add_argument("--force", action="store_true", help="download again even when found")
    fetch.set_defaults(func=_run_download)

    check = commands.add_parser("verify", help="check the format and checksum of found weights")
    check.add_argument("names", nargs="*", metavar="NAME", help="weights names or component ids (default: all)")
    check.set_defaults(func=_run_verify)

    extract = commands.add_parser(
        "extract", help="keep the part of a big checkpoint a component needs (e.g. ImageBind's audio tower)"
    )
    extract.add_argument("component", metavar="COMPONENT", help="component id, e.g. imagebind")
    extract.add_argument("checkpoint", type=Path, metavar="CHECKPOINT", help="the full checkpoint file")
    extract.set_defaults(func=_run_extract)


def specs_by_user(registry: Registry) -> dict[str, tuple[WeightSpec, list[str]]]:
    """Every weights spec by name, with the ids of the components (and ``metric:NAME``s) that need it."""
    from a2i_studio.evaluation import METRIC_WEIGHTS

    specs: dict[str, tuple[WeightSpec, list[str]]] = {}
    for kind in _KINDS:
        for entry in registry.all(kind):
            for spec in entry.component.weights:
                specs.setdefault(spec.name, (spec, []))[1].append(entry.component.id)
    for metric, needed in METRIC_WEIGHTS.items():
        for spec in needed:
            specs.setdefault(spec.name, (spec, []))[1].append(f"metric:{metric}")
    return specs


def _select(registry: Registry, names: Sequence[str]) -> list[WeightSpec]:
    """The specs named, or needed by the components named, in order, once each."""
    known = specs_by_user(registry)
    chosen: dict[str, WeightSpec] = {}
    for name in names:
        matches = [spec for spec, users in known.values() if name in (spec.name, *users)]
        if not matches:
            raise ParamError(
                f"No weights or component is called {name!r}; 'a2i models list' shows them "
                f"({', '.join(sorted(known)) or 'none installed'})."
            )
        chosen.update((spec.name, spec) for spec in matches)
    return list(chosen.values())


def _run_list(args: argparse.Namespace) -> int:
    from a2i_studio import config, weights

    registry = load_plugins(args).registry
    rows: list[dict[str, Any]] = []
    for spec, users in specs_by_user(registry).values():
        found = weights.locate(spec)
        rows.append(
            {
                "name": spec.name,
                "description": spec.description,
                "used_by": users,
                "found": str(found) if found else None,
                "expected": str(weights.user_path(spec)),
                "size_bytes": spec.size_bytes,
                "source": spec.url or spec.hf_repo,
            }
        )
    root = config.models_dir()
    user_files = {
        subdir: sorted(path.name for path in (root / subdir).glob("*") if not path.name.endswith(".part"))
        for subdir in weights.SUBDIRS
    }
    if args.json:
        print_json({"models_dir": str(root), "weights": rows, "user_files": user_files})
        return 0
    print(f"Models folder: {root}")
    for row in rows:
        status = f"found at {row['found']}" if row["found"] else f"missing (a2i models download {row['name']})"
        size = f", {row['size_bytes'] / 1e6:.1f} MB" if row["size_bytes"] else ""
        print(f"{row['name']}  [{', '.join(row['used_by'])}{size}]  {status}")
    for subdir, names in user_files.items():
        if names:
            print(f"{subdir}/: {', '.join(names)}")
    return 0


def _run_download(args: argparse.Namespace) -> int:
    from a2i_studio import weights

    specs = _select(load_plugins(args).registry, args.names)
    for spec in specs:
        with progress_bar() as report:
            path = weights.download(spec, report, force=args.force)
        print(f"{spec.name}: {path}")
    return 0


def _run_verify(args: argparse.Namespace) -> int:
    from a2i_studio import weights

    registry = load_plugins(args).registry
    specs: Iterable[WeightSpec] = (
        _select(registry, args.names) if args.names else (spec for spec, _ in specs_by_user(registry).values())
    )
    bad = 0
    for spec in specs:
        if weights.locate(spec) is None:
            print(f"{spec.name}: missing")
            bad += bool(args.names)
            continue
        try:
            path = weights.verify(spec)
        except CheckpointError as error:
            print(f"{spec.name}: BAD: {error}")
            bad += 1
            continue
        print(f"{spec.name}: ok ({path})")
    if bad:
        raise A2IError(f"{bad} of the weights checked are missing or damaged; see above.")
    return 0


def _run_extract(args: argparse.Namespace) -> int:
    manager = load_plugins(args)
    components = [entry.component for kind in _KINDS for entry in manager.registry.all(kind)]
    component = next((c for c in components if c.id == args.component), None)
    if component is None:
        raise ParamError(f"No component is called {args.component!r}; 'a2i plugins list' shows them.")
    if not isinstance(component, WeightExtractor):
        raise ParamError(f"{args.component} has nothing to extract; use 'a2i models download {args.component}'.")
    if not args.checkpoint.is_file():
        raise CheckpointError(
            f"{args.checkpoint} is not a file; give the path of the full checkpoint to extract from "
            f"('a2i models download {args.component}' fetches it)."
        )
    written = component.extract_weights(args.checkpoint)
    print(f"Wrote {written}")
    return 0
