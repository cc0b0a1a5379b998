"""The plugin manager: finds, imports, validates and calls plugins, each in isolation.

Hooks are called through pluggy, one plugin at a time
(``subset_hook_caller``, as pytest does for per-directory conftest files), so
pluggy passes each implementation only the arguments it names, and a plugin
that raises is disabled alone. Each plugin's hooks receive the registry bound
to that plugin (:meth:`Registry.for_plugin`), which is how components know
who added them.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from types import ModuleType

import pluggy

from a2i_studio import config, hookspecs
from a2i_studio.core import Registry
from a2i_studio.plugins._hooks import HOOKS, hook_problems
from a2i_studio.plugins._isolation import (
    DROP_IN_PREFIX,
    Outcome,
    RealInterrupts,
    describe_failure,
    file_importer,
    one_line,
)
from a2i_studio.plugins._records import SLOW_IMPORT_SECONDS, PluginRecord

__all__ = ["BUILTIN_DISTRIBUTION", "PluginManager", "disabled_from_environment"]

log = logging.getLogger(__name__)

BUILTIN_DISTRIBUTION = "a2i-studio"
"""Entry points of this distribution are the built-in plugins (kept in ``--safe-mode``)."""

PluginSource = ModuleType | Path | str
"""What :class:`PluginManager` takes in ``given``: a module, a ``.py`` file (a path, or text ending in ``.py``),
or a module name to import."""


def disabled_from_environment() -> set[str]:
    """Plugin names listed in ``A2I_DISABLE_PLUGINS`` (comma separated)."""
    value = os.environ.get("A2I_DISABLE_PLUGINS", "")
    return {name.strip() for name in value.split(",") if name.strip()}


class PluginManager:
    """Loads plugins into a :class:`~a2i_studio.core.Registry`.

    Args:
        safe_mode: Of the plugins found, load only the built-in ones.
        disabled: Names not to load (the environment's and the saved settings' are added).
        drop_in_dir: Folder of single-file plugins; ``None`` for the user's config folder.
        discover: Look for plugins at all (entry points and the drop-in folder); ``False`` loads
            only ``given``, as ``a2i_studio.testing`` does for a plugin under test.
        given: Plugins to load besides those found: modules, ``.py`` files or module names.
    """

    def __init__(
        self,
        *,
        safe_mode: bool = False,
        disabled: Iterable[str] = (),
        drop_in_dir: Path | None = None,
        discover: bool = True,
        given: Sequence[PluginSource] = (),
    ) -> None:
        self.safe_mode = safe_mode or bool(os.environ.get("A2I_SAFE_MODE"))
        saved = config.load_settings().get("disabled_plugins", [])
        self.disabled = set(disabled) | disabled_from_environment() | set(saved)
        self.drop_in_dir = config.plugins_dir() if drop_in_dir is None else drop_in_dir
        self.discover = discover
        self.given = tuple(given)
        self.registry = Registry()
        self.records: list[PluginRecord] = []
        self._pluggy = pluggy.PluginManager(hookspecs.PROJECT)
        self._pluggy.add_hookspecs(hookspecs)
        self._interrupts = RealInterrupts()

    def load(self, progress: Callable[[str], None] | None = None) -> PluginManager:
        """Find, import, validate and call every plugin; returns ``self``.

        Args:
            progress: Called with the name of each plugin before it is imported (the app
                shows it, so a slow plugin is named while the user waits).

        Raises:
            KeyboardInterrupt: Only for a real Ctrl-C; a plugin's own is caught like any error.
        """
        with self._interrupts.watching():
            if self.discover:
                for entry_point in sorted(entry_points(group=hookspecs.PROJECT), key=lambda ep: ep.name):
                    self._load_entry_point(entry_point, progress)
                if self.drop_in_dir.is_dir():
                    for path in sorted(self.drop_in_dir.glob("*.py")):
                        self._load_file(path, "drop-in", progress)
            for source in self.given:
                self._load_given(source, progress)
            for hook_name in HOOKS:
                self._call_hook(hook_name)
        for record in self.records:
            if record.status == "active":
                record.components = [f"{c.kind}:{c.id}" for c in self.registry.by_plugin(record.name)]
                record.spaces = [space.name for space in self.registry.spaces_by_plugin(record.name)]
                record.warnings += self.registry.problems(record.name)
        return self

    def record(self, name: str) -> PluginRecord | None:
        """The record of plugin ``name``, or ``None``."""
        return next((record for record in self.records if record.name == name), None)

    @property
    def failed(self) -> list[PluginRecord]:
        """Plugins that broke."""
        return [record for record in self.records if record.status == "failed"]

    def warning_lines(self) -> list[str]:
        """One line per plugin that broke or reported a problem, for a command's stderr."""
        return [line for record in self.records if (line := record.warning_line()) is not None]

    # -- finding and importing ---------------------------------------------------------------------

    def _load_entry_point(self, entry_point: EntryPoint, progress: Callable[[str], None] | None) -> None:
        distribution = entry_point.dist
        builtin = distribution is not None and distribution.name == BUILTIN_DISTRIBUTION
        record = self._new_record(
            entry_point.name,
            "builtin" if builtin else "entry-point",
            entry_point.value,
            distribution.version if distribution is not None else "",
        )
        if self._skip(record, builtin):
            return
        self._import(record, entry_point.load, f"importing {entry_point.value}", progress)

    def _load_file(self, path: Path, source: str, progress: Callable[[str], None] | None) -> None:
        record = self._new_record(path.stem, source, str(path))
        if source == "drop-in" and self._skip(record, builtin=False):
            return
        self._import(record, file_importer(path), f"importing {path.name}", progress)

    def _load_given(self, source: PluginSource, progress: Callable[[str], None] | None) -> None:
        if isinstance(source, str) and source.endswith(".py"):
            source = Path(source)
        if isinstance(source, ModuleType):
            name = source.__name__.rpartition(".")[2].removeprefix(DROP_IN_PREFIX)
            record = self._new_record(name, "given", getattr(source, "__file__", None) or source.__name__)
            record.version = str(getattr(source, "__version__", ""))
            self._register(record, source)
        elif isinstance(source, Path):
            self._load_file(source, "given", progress)
        else:
            record = self._new_record(source.rpartition(".")[2], "given", source)
            self._import(record, lambda: importlib.import_module(source), f"importing {source}", progress)

    def _new_record(self, name: str, source: str, location: str, version: str = "") -> PluginRecord:
        record = PluginRecord(name=name, source=source, location=location, version=version)
        self.records.append(record)
        return record

    def _skip(self, record: PluginRecord, builtin: bool) -> bool:
        if record.name in self.disabled:
            record.status, record.error = "disabled", "disabled by the user"
        elif self.safe_mode and not builtin:
            record.status, record.error = "disabled", "safe mode loads built-in plugins only"
        else:
            return False
        return True

    def _import(
        self,
        record: PluginRecord,
        importer: Callable[[], object],
        doing: str,
        progress: Callable[[str], None] | None,
    ) -> None:
        if progress is not None:
            progress(record.name)
        outcome = self._interrupts.call(importer)
        record.import_seconds = outcome.seconds
        if outcome.error is not None:
            self._fail(record, f"failed while {doing}: {describe_failure(outcome.error)}", outcome)
            return
        if record.source != "builtin" and isinstance(outcome.value, ModuleType) and not record.version:
            record.version = str(getattr(outcome.value, "__version__", ""))
        if outcome.seconds > SLOW_IMPORT_SECONDS:
            record.warnings.append(
                f"importing it took {outcome.seconds:.1f} s (more than {SLOW_IMPORT_SECONDS:g} s), and every "
                "command and the app's start wait for it; its author should import heavy libraries inside load()."
            )
        self._register(record, outcome.value)

    # -- validating and calling --------------------------------------------------------------------

    def _register(self, record: PluginRecord, plugin: object) -> None:
        problems = hook_problems(plugin)
        if problems:
            more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
            self._fail(record, f"failed validation: {problems[0]}{more}")
            return

        def register() -> None:
            self._pluggy.register(plugin, name=record.name)
            self._pluggy.check_pending()

        outcome = self._interrupts.call(register)
        if outcome.error is not None:
            if self._pluggy.has_plugin(record.name) and self._pluggy.get_plugin(record.name) is plugin:
                self._pluggy.unregister(name=record.name)
            self._fail(record, f"failed validation: {describe_failure(outcome.error)}", outcome)

    def _call_hook(self, hook_name: str) -> None:
        """Call ``hook_name`` on each active plugin alone, with the registry bound to that plugin."""
        for record in self.records:
            plugin = self._pluggy.get_plugin(record.name)
            if record.status != "active" or plugin is None:
                continue
            others = [other for name, other in self._pluggy.list_name_plugin() if name != record.name]
            caller = self._pluggy.subset_hook_caller(hook_name, remove_plugins=others)
            if not caller.get_hookimpls():
                continue
            registry = self.registry.for_plugin(record.name)
            outcome = self._interrupts.call(functools.partial(caller, registry=registry))
            if outcome.error is not None:
                self.registry.remove_plugin(record.name)
                self._pluggy.unregister(name=record.name)
                self._fail(record, f"raised in {hook_name}: {describe_failure(outcome.error)}", outcome)

    def _fail(self, record: PluginRecord, reason: str, outcome: Outcome | None = None) -> None:
        record.status = "failed"
        record.reason = one_line(reason).rstrip(".")
        record.error = f"Plugin {record.name} {record.reason}; it is disabled, the others keep working."
        record.traceback = outcome.traceback if outcome is not None else ""
        # The sentence reaches the user once, through the face; the traceback waits in the log.
        log.debug("%s\n%s", record.error, record.traceback)
