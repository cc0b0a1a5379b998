"""The plugin manager: the public door, isolation of broken plugins, disabling, safe mode."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from a2i_studio.config import save_settings
from a2i_studio.plugins import PluginManager


def test_builtin_families_register_through_entry_points() -> None:
    manager = PluginManager().load()
    features = manager.record("features")
    assert features is not None
    assert (features.source, features.status) == ("builtin", "active")
    assert features.location == "a2i_plugins.features"
    assert {"encoder:mfcc", "encoder:fft"} <= set(features.components)


def test_drop_in_plugin_adds_its_components(drop_in: Callable[[str], Path]) -> None:
    drop_in("toy_plugin")
    manager = PluginManager().load()
    record = manager.record("toy_plugin")
    assert record is not None
    assert (record.source, record.status, record.version) == ("drop-in", "active", "0.0.1")
    assert record.components == ["encoder:toy-proj", "generator:toy-gen"]
    assert "toy-proj>toy-gen" in {chain.id for chain in _chains(manager)}


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("broken_import", "failed to import broken_import.py: this plugin is broken on purpose"),
        ("broken_hook", "raised in a2i_register_components: hook fails on purpose"),
        ("wrong_signature", "failed validation"),
        ("unknown_hook", "failed validation"),
    ],
)
def test_broken_plugin_is_disabled_with_its_traceback_and_others_keep_working(
    drop_in: Callable[[str], Path], fixture: str, reason: str
) -> None:
    drop_in("toy_plugin")
    drop_in(fixture)
    manager = PluginManager().load()
    record = manager.record(fixture)
    assert record is not None
    assert record.status == "failed"
    assert reason in record.error
    assert record.error.endswith("it is disabled, the others keep working.")
    assert "Traceback (most recent call last)" in record.traceback
    assert record.components == []
    assert manager.registry.get("encoder", "halfway") is None  # added before the raise, taken out again
    assert manager.record("toy_plugin").status == "active"  # type: ignore[union-attr]
    assert "toy-proj>toy-gen" in {chain.id for chain in _chains(manager)}


def test_environment_settings_and_safe_mode_disable_plugins(
    drop_in: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    drop_in("toy_plugin")
    monkeypatch.setenv("A2I_DISABLE_PLUGINS", "toy_plugin, nothing")
    manager = PluginManager().load()
    assert manager.record("toy_plugin").status == "disabled"  # type: ignore[union-attr]
    assert manager.registry.get("encoder", "toy-proj") is None

    monkeypatch.delenv("A2I_DISABLE_PLUGINS")
    save_settings({"disabled_plugins": ["features"]})
    manager = PluginManager().load()
    assert manager.record("features").status == "disabled"  # type: ignore[union-attr]
    assert manager.record("toy_plugin").status == "active"  # type: ignore[union-attr]

    save_settings({})
    manager = PluginManager(safe_mode=True).load()
    assert manager.record("toy_plugin").error == "safe mode loads built-in plugins only"  # type: ignore[union-attr]
    assert manager.record("features").status == "active"  # type: ignore[union-attr]


def _chains(manager: PluginManager) -> list:  # type: ignore[type-arg]
    from a2i_studio.core import find_chains

    return find_chains(manager.registry)


def test_folders_follow_environment_then_settings(app_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from a2i_studio import config

    assert config.models_dir() == app_dirs["models"]
    monkeypatch.delenv("A2I_MODELS_DIR")
    monkeypatch.delenv("A2I_GALLERY_DIR")
    assert config.models_dir() == app_dirs["data"] / "models"
    save_settings({"models_dir": str(app_dirs["data"] / "elsewhere"), "gallery_dir": "~/pictures-a2i"})
    assert config.models_dir() == app_dirs["data"] / "elsewhere"
    assert config.gallery_dir() == Path("~/pictures-a2i").expanduser()
