"""The plugin manager: finds, validates and isolates plugins.

Every plugin goes through the same door (see :mod:`a2i_studio.hookspecs`).
A plugin that breaks is disabled and reported with its traceback; the rest
of the app keeps working.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pluggy

from a2i_studio import config, hookspecs
from a2i_studio.core import Registry

__all__ = ["BUILTIN_DISTRIBUTION", "PluginManager", "PluginRecord", "disabled_from_environment"]

log = logging.getLogger(__name__)

BUILTIN_DISTRIBUTION = "a2i-studio"
"""Entry points of this distribution are the built-in plugins (kept in ``--safe-mode``)."""

_HOOKS = ("a2i_register_components", "a2i_register_trainers")

Status = Literal["active", "disabled", "failed"]


@dataclass
class PluginRecord:
    """What the app knows about one plugin, for ``a2i plugins list`` and the Plugins dialog.

    Attributes:
        name: The entry-point name or the drop-in file's stem.
        source: ``builtin``, ``entry-point`` or ``drop-in``.
        location: Module path (``pkg.mod``) or file path.
        version: The distribution's version, or a drop-in's ``__version__``.
        status: ``active``, ``disabled`` (by the user or safe mode) or ``failed``.
        error: One sentence saying why it is not active.
        traceback: The full traceback of a failure.
        components: ``kind:id`` of every component it added.
    """

    name: str
    source: str
    location: str
    version: str = ""
    status: Status = "active"
    error: str = ""
    traceback: str = ""
    components: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)


def disabled_from_environment() -> set[str]:
    """Plugin names listed in ``A2I_DISABLE_PLUGINS`` (comma separated)."""
    value = os.environ.get("A2I_DISABLE_PLUGINS", "")
    return {name.strip() for name in value.split(",") if name.strip()}


class PluginManager:
    """Loads plugins into a :class:`~a2i_studio.core.Registry`.

    Args:
        safe_mode: Load only the built-in plugins.
        disabled: Names not to load (the environment's and the saved settings' are added).
        drop_in_dir: Folder of single-file plugins; ``None`` for the user's config folder.
    """

    def __init__(
        self,
        *,
        safe_mode: bool = False,
        disabled: Iterable[str] = (),
        drop_in_dir: Path | None = None,
    ) -> None:
        self.safe_mode = safe_mode or bool(os.environ.get("A2I_SAFE_MODE"))
        saved = config.load_settings().get("disabled_plugins", [])
        self.disabled = set(disabled) | disabled_from_environment() | set(saved)
        self.drop_in_dir = config.plugins_dir() if drop_in_dir is None else drop_in_dir
        self.registry = Registry()
        self.records: list[PluginRecord] = []
        self._pluggy = pluggy.PluginManager(hookspecs.PROJECT)
        self._pluggy.add_hookspecs(hookspecs)

    def load(self) -> PluginManager:
        """Find, import, validate and call every plugin; returns ``self``."""
        for entry_point in sorted(entry_points(group=hookspecs.PROJECT), key=lambda ep: ep.name):
            self._load_entry_point(entry_point)
        if self.drop_in_dir.is_dir():
            for path in sorted(self.drop_in_dir.glob("*.py")):
                self._load_drop_in(path)
        self._call_registration_hooks()
        return self

    def record(self, name: str) -> PluginRecord | None:
        """The record of plugin ``name``, or ``None``."""
        return next((record for record in self.records if record.name == name), None)

    @property
    def failed(self) -> list[PluginRecord]:
        """Plugins that broke."""
        return [record for record in self.records if record.status == "failed"]

    def _load_entry_point(self, entry_point: EntryPoint) -> None:
        distribution = entry_point.dist
        builtin = distribution is not None and distribution.name == BUILTIN_DISTRIBUTION
        record = PluginRecord(
            name=entry_point.name,
            source="builtin" if builtin else "entry-point",
            location=entry_point.value,
            version=distribution.version if distribution is not None else "",
        )
        self.records.append(record)
        if self._skip(record, builtin):
            return
        try:
            plugin = entry_point.load()
        except Exception as error:  # any import failure of third-party code disables it
            self._fail(record, f"failed to import {entry_point.value}: {error}")
            return
        self._register(record, plugin)

    def _load_drop_in(self, path: Path) -> None:
        record = PluginRecord(name=path.stem, source="drop-in", location=str(path))
        self.records.append(record)
        if self._skip(record, builtin=False):
            return
        module_name = f"a2i_dropin_{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        except Exception as error:  # a broken drop-in file is the user's to fix; keep going
            sys.modules.pop(module_name, None)
            self._fail(record, f"failed to import {path.name}: {error}")
            return
        record.version = str(getattr(module, "__version__", ""))
        self._register(record, module)

    def _skip(self, record: PluginRecord, builtin: bool) -> bool:
        if record.name in self.disabled:
            record.status, record.error = "disabled", "disabled by the user"
        elif self.safe_mode and not builtin:
            record.status, record.error = "disabled", "safe mode loads built-in plugins only"
        else:
            return False
        return True

    def _register(self, record: PluginRecord, plugin: ModuleType | object) -> None:
        try:
            self._pluggy.register(plugin, name=record.name)
            self._pluggy.check_pending()
        except Exception as error:  # pluggy's PluginValidationError and duplicates alike
            if self._pluggy.has_plugin(record.name):
                self._pluggy.unregister(name=record.name)
            self._fail(record, f"failed validation: {error}")

    def _call_registration_hooks(self) -> None:
        for hook_name in _HOOKS:
            caller = getattr(self._pluggy.hook, hook_name)
            for implementation in caller.get_hookimpls():
                record = self.record(implementation.plugin_name)
                if record is None or record.status != "active":
                    continue
                self.registry.current_plugin = record.name
                try:
                    implementation.function(registry=self.registry)
                except Exception as error:  # a plugin's bug must not take the app down
                    self.registry.remove_plugin(record.name)
                    self._pluggy.unregister(name=record.name)
                    self._fail(record, f"raised in {hook_name}: {error}")
        self.registry.current_plugin = "<app>"
        for record in self.records:
            if record.status == "active":
                record.components = [
                    f"{component.kind}:{component.id}" for component in self.registry.by_plugin(record.name)
                ]

    def _fail(self, record: PluginRecord, reason: str) -> None:
        record.status = "failed"
        record.error = f"Plugin {record.name} {reason}; it is disabled, the others keep working."
        record.traceback = traceback.format_exc()
        log.warning("%s\n%s", record.error, record.traceback)
