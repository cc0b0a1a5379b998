"""What the window needs from the Qt-free layers, loaded off the UI thread after first paint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2i_studio.bundles import BundleStatus, ChainStatus
    from a2i_studio.core import Registry
    from a2i_studio.engine import Engine
    from a2i_studio.gallery import Gallery
    from a2i_studio.plugins import PluginManager

__all__ = ["Backend", "ModelState", "load_backend", "model_state"]


@dataclass
class ModelState:
    """What is on disk, and what it means for the chains.

    Attributes:
        weights: Where each component's weights were found, by weights name (``None``: missing).
        chains: Every chain, runnable or not, with its next step (``a2i chains --all``).
        few_step: For chains whose generator takes many steps, the few-step bundles that paint from the same space.
    """

    weights: dict[str, Path | None]
    chains: list[ChainStatus]
    few_step: dict[str, list[BundleStatus]]


def model_state(registry: Registry) -> ModelState:
    """Look for every weights file and work out each chain's status (touches the disk: call it in a worker)."""
    from a2i_studio import bundles

    found = bundles.locate_all(registry)
    return ModelState(found, bundles.chain_statuses(registry, found), bundles.few_step_alternatives(registry, found))


@dataclass
class Backend:
    """The loaded plugins, the shared engine and the gallery the views read.

    Attributes:
        plugins: The plugin manager (its records feed the Plugins dialog).
        engine: The one engine every job runs on; it keeps loaded components between jobs.
        gallery: A connection to the gallery index for the views; the engine writes through
            its own connection, so the job thread and the UI thread never share one.
        settings: The saved app settings (device, precision, folders, theme) at start-up.
        models: What is on disk and what each chain needs; the window replaces it after a download.
    """

    plugins: PluginManager
    engine: Engine
    gallery: Gallery
    settings: dict[str, Any]
    models: ModelState

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
    root = config.gallery_dir()  # A2I_GALLERY_DIR first, then the folder saved in Settings
    engine = Engine(plugins.registry, Gallery(root))
    return Backend(
        plugins=plugins,
        engine=engine,
        gallery=Gallery(root),
        settings=settings,
        models=model_state(plugins.registry),
    )
