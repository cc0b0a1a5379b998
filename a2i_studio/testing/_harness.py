"""Load plugins and run chains the way the app does, offscreen, for a plugin's tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.core import Registry
from a2i_studio.engine import Engine, GenerationRequest
from a2i_studio.plugins import PluginManager, PluginRecord, PluginSource

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["FOLDERS", "PluginEngine", "load_plugins", "write_chirp"]

FOLDERS = ("config", "data", "cache", "models", "gallery")
"""The folders a2i-studio reads and writes, each moved by ``A2I_<NAME>_DIR``."""


def load_plugins(*plugins: PluginSource, builtins: bool = False, check: bool = True) -> PluginManager:
    """Load ``plugins`` (modules, ``.py`` files or module names) as the app would, and nothing installed.

    Args:
        plugins: The plugins under test.
        builtins: Load the built-in families too (for chains such as ``mfcc>yours``).
        check: Raise ``AssertionError`` with the reason and traceback when one of ``plugins``
            failed; pass ``False`` to assert on the failure yourself.

    Returns:
        The loaded manager: ``.registry`` has the components, ``.records`` the outcomes.
    """
    manager = PluginManager(safe_mode=True, discover=builtins, given=plugins).load()
    given = manager.records[len(manager.records) - len(plugins) :]
    broken = [record for record in given if record.status != "active"]
    if check and broken:
        raise AssertionError("\n".join(f"{record.error}\n{record.traceback}" for record in broken))
    return manager


@dataclass
class PluginEngine:
    """An engine over a set of plugins, with the records of how they loaded.

    Attributes:
        manager: The plugin manager (``records``, ``warning_lines()``).
        engine: The engine (``chains()``, ``generate()``); no gallery, images stay in memory.
    """

    manager: PluginManager
    engine: Engine

    @property
    def registry(self) -> Registry:
        """The registry of every loaded component."""
        return self.manager.registry

    def record(self, name: str) -> PluginRecord:
        """The record of plugin ``name``.

        Raises:
            KeyError: If no plugin of that name was loaded.
        """
        record = self.manager.record(name)
        if record is None:
            raise KeyError(f"no plugin {name!r}; loaded: {[r.name for r in self.manager.records]}")
        return record

    def run(
        self,
        chain: str,
        audio: Path,
        seeds: Sequence[int] = (0,),
        params: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> list[Image]:
        """Run ``chain`` on ``audio`` on the CPU, one image per seed, and return the images.

        ``seeds`` must be consecutive (``(3, 4, 5)``), as ``a2i generate --seed 3 -n 3`` makes them.
        """
        if list(seeds) != list(range(seeds[0], seeds[0] + len(seeds))):
            raise ValueError(f"seeds {tuple(seeds)} are not consecutive; run once per run of seeds.")
        request = GenerationRequest(
            audio=audio, chain=chain, seed=seeds[0], n=len(seeds), params=params or {}, device="cpu"
        )
        return [result.image for result in self.engine.generate(request)]


def write_chirp(path: Path, seconds: float = 2.0, rate: int = 16_000) -> Path:
    """Write a mono chirp with a little seeded noise: a test clip every built-in encoder takes."""
    import numpy as np
    import soundfile

    t = np.arange(int(seconds * rate)) / rate
    noise = np.random.default_rng(0).standard_normal(t.size)
    samples = 0.5 * np.sin(2 * np.pi * (220 + 200 * t) * t) + 0.01 * noise
    soundfile.write(path, samples.astype(np.float32), rate)
    return path
