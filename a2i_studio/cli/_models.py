"""``a2i models list|download|remove|verify|extract``: bundles and the weights every installed component needs."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.cli._common import load_plugins, print_json, progress_bar
from a2i_studio.core import Bundle, Registry, WeightExtractor, WeightSpec
from a2i_studio.errors import A2IError, CheckpointError, ParamError
from a2i_studio.files import format_size

if TYPE_CHECKING:
    from a2i_studio.bundles import BundleStatus

__all__ = ["register"]

_KINDS = ("encoder", "adapter", "generator", "trainer")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``models list``, ``download``, ``remove``, ``verify`` and ``extract``."""
    models = subparsers.add_parser("models", help="list, download and verify model weights")
    commands = models.add_subparsers(dest="models_command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="every weights file the components need, and where it was found")
    listing.add_argument("--json", action="store_true", help="print as JSON")
    listing.set_defaults(func=_run_list)

    fetch = commands.add_parser("download", help="download a bundle (what some chains need) or single weights")
    fetch.add_argument("names", nargs="+", metavar="NAME", help="bundle id, weights name or component id")
    fetch.add_argument("--accept-licence", action="store_true", help="accept the licences the bundles come under")
    fetch.add_argument("--force", action="store_true", help="download again even when found")
    fetch.set_defaults(func=_run_download)

    remove = commands.add_parser("remove", help="delete a bundle's or weights' copy in the models folder")
    remove.add_argument("names", nargs="+", metavar="NAME", help="bundle id or weights name")
    remove.set_defaults(func=_run_remove)

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
    from a2i_studio import bundles, config, weights

    registry = load_plugins(args).registry
    found = bundles.locate_all(registry)
    bundle_rows = [_bundle_row(status) for status in bundles.bundle_statuses(registry, found)]
    rows: list[dict[str, Any]] = []
    for spec, users in specs_by_user(registry).values():
        located = found[spec.name] if spec.name in found else weights.locate(spec)
        rows.append(
            {
                "name": spec.name,
                "description": spec.description,
                "used_by": users,
                "found": str(located) if located else None,
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
        print_json({"models_dir": str(root), "bundles": bundle_rows, "weights": rows, "user_files": user_files})
        return 0
    print(f"Models folder: {root}")
    print("Bundles (a2i models download ID):")
    for row in bundle_rows:
        to_accept = set() if row["accepted"] else set(row["must_accept"])
        terms = ", ".join(f"{name}{' (to accept)' if name in to_accept else ''}" for name in row["licences"])
        gated = ", gated: log in to huggingface.co" if row["gated"] else ""
        print(f"  {row['id']:18s} {row['name']}  [{format_size(row['size_bytes'])}, {terms or 'no licence'}{gated}]"
              f"  {row['status']}")
        if row["unlocks"]:
            print(f"  {'':18s} for {', '.join(row['unlocks'])}")
    print("Weights:")
    for row in rows:
        status = f"found at {row['found']}" if row["found"] else f"missing (a2i models download {row['name']})"
        size = f", {format_size(row['size_bytes'])}" if row["size_bytes"] else ""
        print(f"  {row['name']}  [{', '.join(row['used_by'])}{size}]  {status}")
    for subdir, names in user_files.items():
        if names:
            print(f"{subdir}/: {', '.join(names)}")
    return 0


def _bundle_row(status: BundleStatus) -> dict[str, Any]:
    bundle = status.bundle
    return {
        "id": bundle.id,
        "name": bundle.name,
        "description": bundle.description,
        "size_bytes": status.size_bytes,
        "missing_bytes": status.missing_bytes,
        "licences": [licence.name for licence in bundle.licences],
        "must_accept": [licence.name for licence in bundle.must_accept],
        "accepted": status.accepted,
        "gated": bundle.gated,
        "few_step": bundle.few_step,
        "weights": list(bundle.weights),
        "status": status.disk_status,
        "installed": status.installed,
        "unlocks": list(status.unlocks),
    }


def _run_download(args: argparse.Namespace) -> int:
    from a2i_studio import bundles, weights

    registry = load_plugins(args).registry
    bundle_ids = {bundle.id for bundle in bundles.all_bundles(registry)}
    try:
        for name in args.names:
            if name in bundle_ids:
                _download_bundle(registry, bundles.get_bundle(registry, name), args.accept_licence)
                continue
            for spec in _select(registry, [name]):
                with progress_bar() as report:
                    path = weights.download(spec, report, force=args.force)
                print(f"{spec.name}: {path}")
    except KeyboardInterrupt:
        raise A2IError("Download interrupted; what arrived is kept: run the same command again to resume.") from None
    return 0


def _download_bundle(registry: Registry, bundle: Bundle, accept: bool) -> None:
    from a2i_studio import bundles

    status = bundles.bundle_status(registry, bundle, {})
    if not status.accepted and accept:
        for licence in bundle.must_accept:
            print(f"{bundle.id} comes under {licence.name} ({licence.url}): {licence.summary}")
        bundles.accept_licences(bundle)
        print("Accepted.")
    with progress_bar() as report:
        paths = bundles.download_bundle(registry, bundle, report)
    for spec, path in zip(status.specs, paths, strict=True):
        print(f"{bundle.id}: {spec.name}: {path}")


def _run_remove(args: argparse.Namespace) -> int:
    from a2i_studio import bundles, weights

    registry = load_plugins(args).registry
    bundle_ids = {bundle.id for bundle in bundles.all_bundles(registry)}
    for name in args.names:
        if name in bundle_ids:
            found = bundles.locate_all(registry)
            freed = bundles.remove_bundle(registry, bundles.get_bundle(registry, name), found)
        else:
            specs = bundles.weight_specs(registry)
            if name not in specs:
                known = ", ".join(sorted(bundle_ids | specs.keys())) or "none installed"
                raise ParamError(f"No bundle or weights is called {name!r}; 'a2i models list' shows them ({known}).")
            freed = weights.remove(specs[name])
        print(f"{name}: removed, {format_size(freed)} freed")
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
