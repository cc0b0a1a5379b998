"""``a2i plugins list`` and ``a2i plugins new``."""

from __future__ import annotations

import argparse
from pathlib import Path

from a2i_studio.cli._common import print_json

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``plugins list`` and ``plugins new``."""
    plugins = subparsers.add_parser("plugins", help="list installed plugins or start a new one")
    commands = plugins.add_subparsers(dest="plugins_command", metavar="COMMAND", required=True)

    listing = commands.add_parser("list", help="every plugin, its components, and why a broken one is disabled")
    listing.add_argument("--json", action="store_true", help="print as JSON, tracebacks included")
    listing.set_defaults(func=_run_list)

    new = commands.add_parser("new", help="write a ready-to-install plugin package")
    new.add_argument("name", metavar="NAME", help="plugin name: lowercase letters, digits and underscores")
    new.add_argument("--dir", type=Path, default=Path(), help="folder to create the package in")
    new.set_defaults(func=_run_new)


def _run_list(args: argparse.Namespace) -> int:
    from a2i_studio.plugins import PluginManager

    manager = PluginManager(safe_mode=args.safe_mode).load()
    components = {
        f"{component.kind}:{component.id}": component.describe()
        for kind in ("encoder", "adapter", "generator", "trainer")
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
        print(f"{record.name}{version} [{record.source}] {record.status}")
        for key in record.components:
            print(f"    {key}  {components[key]['description']}")
        if record.error:
            print(f"    {record.error}")
    return 0


def _run_new(args: argparse.Namespace) -> int:
    from a2i_studio.cli._scaffold import write_plugin_package

    root = write_plugin_package(args.name, args.dir)
    print(f"Wrote {root}. Next: pip install -e {root} && a2i plugins list")
    return 0
