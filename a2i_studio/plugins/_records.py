"""What the app knows about each plugin, for ``a2i plugins list``, the Plugins dialog and warning lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["SLOW_IMPORT_SECONDS", "PluginRecord", "Status"]

SLOW_IMPORT_SECONDS = 1.0
"""A plugin that takes longer than this to import is reported: every command and the app's start wait for it."""

Status = Literal["active", "disabled", "failed"]


@dataclass
class PluginRecord:
    """One plugin: where it came from, what it added, and why it is not active.

    Attributes:
        name: The entry-point name, the drop-in file's stem, or the module's name.
        source: ``builtin``, ``entry-point``, ``drop-in`` or ``given`` (handed to the manager directly).
        location: Module path (``pkg.mod``) or file path.
        version: The distribution's version, or a drop-in's ``__version__``.
        status: ``active``, ``disabled`` (by the user or safe mode) or ``failed``.
        reason: Why it failed, in words that follow its name (``failed while importing x.py: ...``).
        error: One sentence saying why it is not active.
        traceback: The full traceback of a failure.
        components: ``kind:id`` of every component it added.
        spaces: Names of the spaces it declared.
        warnings: Sentences about problems that did not disable it (a slow import, a skipped data file).
        import_seconds: How long importing it took; ``None`` when it was not imported.
    """

    name: str
    source: str
    location: str
    version: str = ""
    status: Status = "active"
    reason: str = ""
    error: str = ""
    traceback: str = ""
    components: list[str] = field(default_factory=list)
    spaces: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    import_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)

    def warning_line(self) -> str | None:
        """The one line a command prints about this plugin on stderr, or ``None`` when all is well."""
        if self.status == "failed":
            return f"warning: {self.error} Run 'a2i plugins list' for details."
        if self.warnings:
            more = f" (and {len(self.warnings) - 1} more)" if len(self.warnings) > 1 else ""
            return f"warning: plugin {self.name}: {self.warnings[0]}{more} Run 'a2i plugins list' for details."
        return None
