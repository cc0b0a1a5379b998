"""What the window needs from the Qt-free layers, loaded off the UI thread after first paint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2i_studio.core import Registry
    from a2i_studio.engine import Engine
    from a2i_studio.gallery import Gallery
    from a2i_studio.plugins import PluginManager

__all__ = ["Backend", "load_backend", "locate_weights"]


@dataclass
class Backend:
    """The loaded plugins, the shared engine and the gallery the views read.

    Attributes:
        plugins: The plugin manager (its records feed the Plugins dialog).
        engine: The one engine every job runs on; it keeps loaded components between jobs.
        gallery: A connection to the gallery index for the views; the engine writes through
            its own connection, so the job thread and the UI thread never share one.
        settings: The saved app settings (device, precision, folders, theme) at start-up.
        weights: Where each component's weights were found, by weights name (``None``: missing).
    """

    plugins: PluginManager
    engine: Engine
    gallery: Gallery
    settings: dict[str, Any]
    weights: dict[str, Path | None]

    def close(self) -> None:
        """Free loaded models and close both gallery connections."""
        self.engine.unload_all()
        if self.engine.gallery is not None:
            self.engine.gallery.close()
        self.gallery.close()


def load_backend(safe_mode: bool, progress: Callable[[str], None] | None = None) -> Backend:
    """Load plugins, open the gallery and build the engine (call from a worker thread).

    Args:
        safe_mode: Load built-in plugins only.
        progress: Called with each plugin's name before it is imported (a slow one is named while the user waits).

    Raises:
        A2IError: If the settings are unreadable or the gallery folder cannot be created.
    """
    from a2i_studio import config
    from a2i_studio.engine import Engine
    from a2i_studio.gallery import Gallery
    from a2i_studio.plugins import PluginManager

    settings = config.load_settings()
    plugins = PluginManager(safe_mode=safe_mode).load(progress)
    root = Path(settings["gallery_dir"]) if settings.get("gallery_dir") else None
    engine = Engine(plugins.registry, Gallery(root))
    return Backend(
        plugins=plugins,
        engine=engine,
        gallery=Gallery(root),
        settings=settings,
        weights=locate_weights(plugins.registry),
    )


def locate_weights(registry: Registry) -> dict[str, Path | None]:
    """Where the weights of every registered component are, by name (may touch the disk; use a worker)."""
    from a2i_studio import weights

    specs = {
        spec.name: spec
        for kind in ("encoder", "adapter", "generator")
        for entry in registry.all(kind)
        for spec in entry.component.weights
    }
    return {name: weights.locate(spec) for name, spec in specs.items()}
