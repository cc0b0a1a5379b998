"""The plugin manager: finds, validates and isolates plugins.

Every plugin goes through the same door (see :mod:`a2i_studio.hookspecs`).
A plugin that breaks is disabled and reported with its traceback; the rest
of the app keeps working.
"""

from __future__ import annotations

from a2i_studio.plugins._hooks import HOOKS, hook_functions, hook_problems
from a2i_studio.plugins._isolation import (
    DROP_IN_PREFIX,
    Outcome,
    RealInterrupts,
    describe_failure,
    file_importer,
    one_line,
)
from a2i_studio.plugins._manager import (
    BUILTIN_DISTRIBUTION,
    PluginManager,
    PluginSource,
    disabled_from_environment,
)
from a2i_studio.plugins._records import SLOW_IMPORT_SECONDS, PluginRecord, Status

__all__ = [
    "BUILTIN_DISTRIBUTION",
    "DROP_IN_PREFIX",
    "HOOKS",
    "SLOW_IMPORT_SECONDS",
    "Outcome",
    "PluginManager",
    "PluginRecord",
    "PluginSource",
    "RealInterrupts",
    "Status",
    "describe_failure",
    "disabled_from_environment",
    "file_importer",
    "hook_functions",
    "hook_problems",
    "one_line",
]
