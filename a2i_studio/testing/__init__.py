"""Test a plugin the way a2i-studio runs it: pytest fixtures and helpers for plugin authors.

Enable the fixtures in your ``tests/conftest.py``, as with pytest's ``pytester``::

    pytest_plugins = ["a2i_studio.testing"]

then build an engine with your plugin and run a chain offscreen::

    import my_plugin

    def test_palette_makes_one_image_per_seed(make_a2i_engine, a2i_clip):
        plugins = make_a2i_engine(my_plugin, builtins=True)      # mfcc comes from the built-ins
        images = plugins.run("mfcc>palette", a2i_clip, seeds=(0, 1))
        assert [image.size for image in images] == [(64, 64), (64, 64)]
        assert plugins.run("mfcc>palette", a2i_clip, seeds=(1,))[0].tobytes() == images[1].tobytes()

Fixtures:

- ``a2i_dirs``: every a2i-studio folder (settings, drop-in plugins, models, gallery)
  under the test's ``tmp_path``, so a test never reads or writes the user's files.
- ``make_a2i_engine(*plugins, builtins=False)``: a :class:`PluginEngine` over the
  given plugins (modules, ``.py`` files or module names) and, with ``builtins``,
  the built-in families; installed third-party plugins are never loaded. A plugin
  that fails to load fails the test with its reason and traceback; pass
  ``check=False`` to assert on ``engine.record(name)`` instead.
- ``a2i_clip``: a 2 s, 16 kHz test clip, ``chirp.wav`` in ``tmp_path``.

The helpers (:func:`load_plugins`, :class:`PluginEngine`, :func:`write_chirp`)
work without the fixtures too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from a2i_studio.engine import Engine
from a2i_studio.plugins import PluginSource
from a2i_studio.testing._harness import FOLDERS, PluginEngine, load_plugins, write_chirp

__all__ = [
    "FOLDERS",
    "PluginEngine",
    "a2i_clip",
    "a2i_dirs",
    "load_plugins",
    "make_a2i_engine",
    "write_chirp",
]


@pytest.fixture
def a2i_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Every a2i-studio folder under ``tmp_path``, by name: ``config``, ``data``, ``cache``, ``models``, ``gallery``."""
    folders = {name: tmp_path / f"a2i-{name}" for name in FOLDERS}
    for name, folder in folders.items():
        monkeypatch.setenv(f"A2I_{name.upper()}_DIR", str(folder))
    for variable in ("A2I_DISABLE_PLUGINS", "A2I_SAFE_MODE"):
        monkeypatch.delenv(variable, raising=False)
    return folders


@pytest.fixture
def make_a2i_engine(a2i_dirs: dict[str, Path]) -> Iterator[Callable[..., PluginEngine]]:
    """A factory: ``make_a2i_engine(*plugins, builtins=False, check=True)`` -> :class:`PluginEngine`."""
    engines: list[PluginEngine] = []

    def make(*plugins: PluginSource, builtins: bool = False, check: bool = True) -> PluginEngine:
        manager = load_plugins(*plugins, builtins=builtins, check=check)
        engines.append(PluginEngine(manager, Engine(manager.registry)))
        return engines[-1]

    yield make
    for made in engines:
        made.engine.unload_all()


@pytest.fixture
def a2i_clip(tmp_path: Path) -> Path:
    """A 2 s, 16 kHz mono chirp with a little seeded noise."""
    return write_chirp(tmp_path / "chirp.wav")
