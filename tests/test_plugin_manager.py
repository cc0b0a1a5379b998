"""The plugin manager: the public door, isolation of broken plugins, disabling, safe mode."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from a2i_studio.config import save_settings
from a2i_studio.core import MFCC_SUMMARY, Adapter, Generator, find_chains
from a2i_studio.hookspecs import hookimpl
from a2i_studio.plugins import SLOW_IMPORT_SECONDS, PluginManager, hook_problems


def test_builtin_families_register_through_entry_points() -> None:
    manager = PluginManager().load()
    features = manager.record("features")
    assert features is not None
    assert (features.source, features.status) == ("builtin", "active")
    assert features.location == "a2i_plugins.features"
    assert {"encoder:mfcc", "encoder:fft"} <= set(features.components)
    assert all(record.import_seconds is not None for record in manager.records)
    assert manager.warning_lines() == []


def test_drop_in_plugin_adds_its_space_and_components(drop_in: Callable[[str], Path]) -> None:
    drop_in("toy_plugin")
    manager = PluginManager().load()
    record = manager.record("toy_plugin")
    assert record is not None
    assert (record.source, record.status, record.version) == ("drop-in", "active", "0.0.1")
    assert record.components == ["encoder:toy-proj", "generator:toy-gen"]
    assert record.spaces == ["toy"]
    assert manager.registry.space("toy") is not None
    generator = manager.registry.get("generator", "toy-gen")
    assert generator is not None and manager.registry.plugin_of(generator) == "toy_plugin"
    assert "toy-proj>toy-gen" in {chain.id for chain in find_chains(manager.registry)}


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("broken_import", "failed while importing broken_import.py: RuntimeError: this plugin is broken on purpose"),
        ("exit_at_import", "failed while importing exit_at_import.py: called sys.exit(0)"),
        ("interrupt_at_import", "raised KeyboardInterrupt itself (no Ctrl-C was pressed)"),
        ("broken_hook", "raised in a2i_register_components: ValueError: hook fails on purpose"),
        ("exit_in_hook", "raised in a2i_register_components: called sys.exit(3)"),
        ("wrong_signature", "takes colour, which hook a2i_register_components does not pass (it passes registry)"),
        ("unknown_hook", "function a2i_register_colours is not an a2i-studio hook; did you mean a2i_register_"),
        ("unmarked_hook", "function a2i_register_components is not marked @hookimpl, so it would never be called"),
        ("misspelled_hook", "a2i_register_component is not an a2i-studio hook; did you mean a2i_register_components?"),
    ],
)
def test_broken_plugin_is_disabled_with_a_reason_and_others_keep_working(
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
    if "raised" in reason or "importing" in reason:
        assert "Traceback (most recent call last)" in record.traceback
    assert record.components == []
    assert manager.registry.get("encoder", "halfway") is None  # added before the raise, taken out again
    assert manager.record("toy_plugin").status == "active"  # type: ignore[union-attr]
    assert "toy-proj>toy-gen" in {chain.id for chain in find_chains(manager.registry)}
    assert manager.warning_lines() == [f"warning: {record.error} Run 'a2i plugins list' for details."]


def test_a_hook_may_take_fewer_arguments_than_it_is_passed(drop_in: Callable[[str], Path]) -> None:
    drop_in("no_arguments")
    manager = PluginManager().load()
    assert manager.record("no_arguments").status == "active"  # type: ignore[union-attr]
    assert sys.modules["a2i_dropin_no_arguments"].calls == ["a2i_register_trainers"]


def test_a_real_ctrl_c_during_loading_still_stops_it(drop_in: Callable[[str], Path]) -> None:
    drop_in("real_ctrl_c")
    with pytest.raises(KeyboardInterrupt):
        PluginManager().load()


def test_a_slow_import_is_reported_with_its_time(drop_in: Callable[[str], Path]) -> None:
    drop_in("slow_import")
    manager = PluginManager().load()
    record = manager.record("slow_import")
    assert record is not None and record.status == "active"
    assert record.import_seconds is not None and record.import_seconds > SLOW_IMPORT_SECONDS
    assert record.warnings[0].startswith(f"importing it took {record.import_seconds:.1f} s (more than 1 s)")
    assert manager.warning_lines() == [
        f"warning: plugin slow_import: {record.warnings[0]} Run 'a2i plugins list' for details."
    ]


class _Palette(Generator):
    id = "palette"
    input_space = MFCC_SUMMARY


class _PaletteAdapter(Adapter):
    id = "palette"
    input_space = MFCC_SUMMARY
    output_space = MFCC_SUMMARY


class _GeneratorPlugin:
    @hookimpl
    def a2i_register_components(self, registry):  # type: ignore[no-untyped-def]
        registry.add_generator(_Palette())


class _AdapterPlugin:
    @hookimpl
    def a2i_register_components(self, registry):  # type: ignore[no-untyped-def]
        registry.add_adapter(_PaletteAdapter())


def test_ids_are_unique_across_kinds_and_the_second_plugin_is_told_why() -> None:
    manager = _load(_GeneratorPlugin(), _AdapterPlugin())
    first, second = manager.records
    assert first.status == "active" and second.status == "failed"
    assert (
        "adapter 'palette' (plugin second) has the id of generator 'palette' (plugin first); encoders, adapters "
        "and generators share one namespace of ids" in second.error
    )


def _load(*plugins: object) -> PluginManager:
    """Load plugin objects under the names first, second, ... (the manager names modules by their name)."""
    import types

    modules = []
    for name, plugin in zip(("first", "second", "third"), plugins, strict=False):
        module = types.ModuleType(name)
        module.a2i_register_components = plugin.a2i_register_components  # type: ignore[attr-defined]
        modules.append(module)
    return PluginManager(discover=False, given=modules).load()


def test_hook_problems_of_an_instance_plugin_ignore_self() -> None:
    assert hook_problems(_GeneratorPlugin()) == []


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


def test_folders_follow_environment_then_settings(app_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from a2i_studio import config

    assert config.models_dir() == app_dirs["models"]
    monkeypatch.delenv("A2I_MODELS_DIR")
    monkeypatch.delenv("A2I_GALLERY_DIR")
    assert config.models_dir() == app_dirs["data"] / "models"
    save_settings({"models_dir": str(app_dirs["data"] / "elsewhere"), "gallery_dir": "~/pictures-a2i"})
    assert config.models_dir() == app_dirs["data"] / "elsewhere"
    assert config.gallery_dir() == Path("~/pictures-a2i").expanduser()
