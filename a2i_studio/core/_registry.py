"""The registry plugins add their components to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from a2i_studio.core._bundles import Bundle
from a2i_studio.core._components import Adapter, Component, Encoder, Generator, Trainer
from a2i_studio.core._spaces import Space
from a2i_studio.errors import PluginError

__all__ = ["RegisteredComponent", "Registry"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_KINDS: dict[str, type[Component]] = {
    "encoder": Encoder,
    "adapter": Adapter,
    "generator": Generator,
    "trainer": Trainer,
}


@dataclass(frozen=True)
class RegisteredComponent:
    """A component and the plugin that added it."""

    component: Component
    plugin: str


class Registry:
    """Components by kind and id; handed to the ``a2i_register_*`` hooks.

    The plugin manager sets :attr:`current_plugin` before calling a plugin's hook,
    so each component remembers who added it, and a plugin that fails later can
    be taken out with :meth:`remove_plugin`.
    """

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, RegisteredComponent]] = {kind: {} for kind in _KINDS}
        self._bundles: dict[str, tuple[Bundle, str]] = {}
        self.current_plugin = "<app>"

    def add_encoder(self, encoder: Encoder) -> None:
        """Add an audio encoder (an instance of an :class:`Encoder` subclass)."""
        self._add("encoder", encoder)

    def add_adapter(self, adapter: Adapter) -> None:
        """Add a space-to-space adapter."""
        self._add("adapter", adapter)

    def add_generator(self, generator: Generator) -> None:
        """Add an image generator."""
        self._add("generator", generator)

    def add_trainer(self, trainer: Trainer) -> None:
        """Add a trainer, run by ``a2i train <trainer id>``."""
        self._add("trainer", trainer)

    def add_bundle(self, bundle: Bundle) -> None:
        """Add a bundle: weights downloaded together, by weights name (see :class:`~a2i_studio.core.Bundle`).

        A bundle may name weights that another plugin's components declare; a name no installed
        component declares is reported by the model manager, not here (plugins register in any order).

        Raises:
            PluginError: For a malformed bundle, or an id another plugin took.
        """
        bundle.validate()
        existing = self._bundles.get(bundle.id)
        if existing is not None:
            raise PluginError(
                f"bundle id {bundle.id!r} from {self.current_plugin} is already taken by {existing[1]}; "
                "rename one of them."
            )
        self._bundles[bundle.id] = (bundle, self.current_plugin)

    @property
    def bundles(self) -> list[Bundle]:
        """Registered bundles, sorted by id."""
        return [self._bundles[key][0] for key in sorted(self._bundles)]

    def get(self, kind: str, component_id: str) -> Component | None:
        """The component of ``kind`` with ``component_id``, or ``None``."""
        entry = self._entries[kind].get(component_id)
        return entry.component if entry else None

    def all(self, kind: str) -> list[RegisteredComponent]:
        """Every registered component of ``kind``, sorted by id."""
        return [self._entries[kind][key] for key in sorted(self._entries[kind])]

    @property
    def encoders(self) -> list[Encoder]:
        """Registered encoders, sorted by id."""
        return [entry.component for entry in self.all("encoder")]  # type: ignore[misc]

    @property
    def adapters(self) -> list[Adapter]:
        """Registered adapters, sorted by id."""
        return [entry.component for entry in self.all("adapter")]  # type: ignore[misc]

    @property
    def generators(self) -> list[Generator]:
        """Registered generators, sorted by id."""
        return [entry.component for entry in self.all("generator")]  # type: ignore[misc]

    @property
    def trainers(self) -> list[Trainer]:
        """Registered trainers, sorted by id."""
        return [entry.component for entry in self.all("trainer")]  # type: ignore[misc]

    def by_plugin(self, plugin: str) -> list[Component]:
        """The components ``plugin`` added."""
        return [
            entry.component
            for kind in _KINDS
            for entry in self.all(kind)
            if entry.plugin == plugin
        ]

    def remove_plugin(self, plugin: str) -> None:
        """Take out everything ``plugin`` added (when it turns out broken)."""
        for entries in self._entries.values():
            for key in [key for key, entry in entries.items() if entry.plugin == plugin]:
                del entries[key]
        for key in [key for key, (_, owner) in self._bundles.items() if owner == plugin]:
            del self._bundles[key]

    def _add(self, kind: str, component: Component) -> None:
        _validate(kind, component)
        existing = self._entries[kind].get(component.id)
        if existing is not None:
            raise PluginError(
                f"{kind} id {component.id!r} from {self.current_plugin} is already taken by "
                f"{existing.plugin}; rename one of them."
            )
        self._entries[kind][component.id] = RegisteredComponent(component, self.current_plugin)


def _validate(kind: str, component: Component) -> None:
    """Check a component's declaration, so a broken one fails at registration, not mid-run."""
    expected = _KINDS[kind]
    if not isinstance(component, expected):
        raise PluginError(f"add_{kind} was given {component!r}, which is not an {expected.__name__} instance.")
    if not _ID.match(component.id or ""):
        raise PluginError(
            f"{type(component).__name__}.id {component.id!r} must be lowercase letters, digits, '-', '_' or '.'."
        )
    names = [param.name for param in component.params]
    if len(names) != len(set(names)):
        raise PluginError(f"{component.id} declares a parameter name twice: {names}.")
    for param in component.params:
        param.validate(param.default)
    for attribute in ("input_space", "output_space"):
        if attribute in _required_spaces(kind) and not isinstance(getattr(component, attribute, None), Space):
            raise PluginError(f"{component.id} must set {attribute} to a Space.")


def _required_spaces(kind: str) -> tuple[str, ...]:
    return {
        "encoder": ("output_space",),
        "adapter": ("input_space", "output_space"),
        "generator": ("input_space",),
        "trainer": (),
    }[kind]
