"""``a2i plugins list``, ``a2i plugins check`` and ``a2i plugins new``."""

from __future__ import annotations

import argparse
from pathlib import Path

from a2i_studio.cli._common import print_json

__all__ = ["register"]

KINDS = ("encoder", "adapter", "generator", "trainer")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``plugins list``, ``plugins check`` and ``plugins new``."""
    plugins = subparsers.add_parser("plugins", help="list installed plugins, check one, or start a new one")
    commands = plugins.add_subparsers(dest="plugins_command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="every plugin, its components, and why a broken one is disabled")
    listing.add_argument("--json", action="store_true", help="print as JSON, tracebacks included")
    listing.set_defaults(func=_run_list)

    check = commands.add_parser("check", help="check a plugin for the usual mistakes and run its chains once")
    check.add_argument("path", metavar="PATH", help="a plugin's .py file, package folder, or module name")
    check.set_defaults(func=_run_check)

    new = commands.add_parser("new", help="write a ready-to-install plugin package")
    new.add_argument("name", metavar="NAME", help="plugin name: lowercase letters, digits and underscores")
    new.add_argument("--kind", choices=KINDS, default="generator", help="the example component (default generator)")
    new.add_argument("--dir", type=Path, default=Path(), help="folder to create the package in")
    new.set_defaults(func=_run_new)


def _run_list(args: argparse.Namespace) -> int:
    from a2i_studio.plugins import PluginManager

    manager = PluginManager(safe_mode=args.safe_mode).load()
    components = {
        f"{component.kind}:{component.id}": component.describe()
        for kind in KINDS
        for component in (entry.component for entry in manager.registry.all(kind))
    }
    if args.json:
        print_json(
            {
                "drop_in_dir": str(manager.drop_in_dir),
                "plugins": [
                    {**record.to_json(), "components": [components[key] for key in record.components]}
                    for record in manager.records
                ],
            }
        )
        return 0
    print(f"Drop-in folder: {manager.drop_in_dir}")
    for record in manager.records:
        version = f" {record.version}" if record.version else ""
        took = f", imported in {record.import_seconds:.2f} s" if record.import_seconds is not None else ""
        print(f"{record.name}{version} [{record.source}] {record.status}{took}")
        for key in record.components:
            print(f"    {key}  {components[key]['description']}")
        for name in record.spaces:
            print(f"    space {manager.registry.space(name)}")
        for warning in record.warnings:
            print(f"    warning: {warning}")
        if record.error:
            print(f"    {record.error}")
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from a2i_studio.cli._plugin_check import check_plugin

    findings = check_plugin(args.path)
    for finding in findings:
        print(finding)
    errors = sum(finding.startswith("error:") for finding in findings)
    warnings = sum(finding.startswith("warning:") for finding in findings)
    print(f"{args.path}: {errors} errors, {warnings} warnings.")
    return 1 if errors else 0


def _run_new(args: argparse.Namespace) -> int:
    from a2i_studio.cli._scaffold import write_plugin_package

    root = write_plugin_package(args.name, args.dir, args.kind)
    print(f"Wrote {root}. Next: pip install -e {root} && a2i plugins check {root / 'src' / ('a2i_' + args.name)}")
    return 0
