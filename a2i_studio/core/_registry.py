"""The registry plugins add their spaces and components to.

One store holds everything; each plugin's hooks receive a *view* of it bound
to that plugin's name (:meth:`Registry.for_plugin`), so every space and
component remembers who added it without any "current plugin" to set and
reset, and a plugin that breaks later can be taken out whole.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import re
from dataclasses import dataclass, field

from a2i_studio.core._bundles import Bundle
from a2i_studio.core._components import Adapter, Component, Encoder, Generator
from a2i_studio.core._params import InvalidValue
from a2i_studio.core._spaces import BUILTIN_SPACES, Space
from a2i_studio.core._trainer import Trainer
from a2i_studio.errors import PluginError

__all__ = ["CHAIN_KINDS", "CORE", "RegisteredComponent", "Registry", "component_label"]

CORE = "a2i-studio"
"""The owner of the built-in spaces (``a2i_studio.core``) and of whatever is added to a bare :class:`Registry`."""

CHAIN_KINDS = ("encoder", "adapter", "generator")
"""The kinds that meet in chains; their ids share one namespace (trainer ids have their own)."""

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_KINDS: dict[str, type[Component]] = {
    "encoder": Encoder,
    "adapter": Adapter,
    "generator": Generator,
    "trainer": Trainer,
}
_SPACES_OF = {"encoder": ("output_space",), "adapter": ("input_space", "output_space"), "generator": ("input_space",)}


@dataclass(frozen=True)
class RegisteredComponent:
    """A component and the plugin that added it."""

    component: Component
    plugin: str


def component_label(component: Component, plugin: str) -> str:
    """How errors name a component: ``generator 'palette' (plugin palette)``."""
    return f"{component.kind} {component.id!r} (plugin {plugin})"


@dataclass
class _Store:
    """What every view of one registry shares."""

    components: dict[str, dict[str, RegisteredComponent]] = field(
        default_factory=lambda: {kind: {} for kind in _KINDS}
    )
    spaces: dict[str, tuple[Space, str]] = field(default_factory=dict)
    bundles: dict[str, tuple[Bundle, str]] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)


class Registry:
    """Spaces by name and components by kind and id; handed to the ``a2i_register_*`` hooks.

    Ids of encoders, adapters and generators are unique across the three kinds,
    because chain ids (``mfcc>palette``) and the parameters of a recipe name
    components by bare id; trainer ids form a namespace of their own
    (``a2i train ID``). The built-in spaces of :mod:`a2i_studio.core` are known
    from the start.

    A bare ``Registry()`` adds on behalf of :data:`CORE`; the plugin manager
    hands each plugin ``registry.for_plugin(name)``.
    """

    def __init__(self) -> None:
        self._store = _Store()
        self._plugin = CORE
        for space in BUILTIN_SPACES:
            self._store.spaces[space.name] = (space, CORE)

    @property
    def plugin(self) -> str:
        """The plugin this view adds on behalf of."""
        return self._plugin

    def for_plugin(self, plugin: str) -> Registry:
        """A view of the same registry that adds on behalf of ``plugin``."""
        view = copy.copy(self)  # shares the store; only the owner differs
        view._plugin = plugin
        return view

    # -- adding ------------------------------------------------------------------------------------

    def add_space(self, space: Space) -> None:
        """Declare an embedding space, so components can name it and other plugins find it by name.

        Declaring a space that is already known with the same shape is allowed (and changes nothing).

        Raises:
            PluginError: If the name is malformed or already declared with another shape.
        """
        if not isinstance(space, Space) or not _ID.match(space.name.replace("/", "-")):
            raise PluginError(
                f"Plugin {self._plugin} declares the space {space!r}; declare a2i_studio.core.Space instances "
                "named with lowercase letters, digits, '-', '_', '.' or '/'."
            )
        known = self._store.spaces.get(space.name)
        if known is None:
            self._store.spaces[space.name] = (space, self._plugin)
        elif known[0] != space:
            raise PluginError(
                f"Plugin {self._plugin} declares space {space}, but plugin {known[1]} declared {known[0]}; "
                f"use the existing space (registry.space({space.name!r})) or choose another name."
            )

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

        A bundle may name weights that another plugin's components declare (ImageBind's encoder and
        unCLIP's pipeline make one bundle); a name that no installed component declares is reported by
        the model manager, not here, since plugins register in any order.

        Raises:
            PluginError: For a malformed bundle, or an id another plugin took.
        """
        bundle.validate()
        existing = self._store.bundles.get(bundle.id)
        if existing is not None:
            raise PluginError(
                f"Plugin {self._plugin} adds bundle {bundle.id!r}, whose id plugin {existing[1]} already took; "
                "rename one of them."
            )
        self._store.bundles[bundle.id] = (bundle, self._plugin)

    def report(self, problem: str) -> None:
        """Note a problem that did not stop the plugin (a data file it skipped, say).

        ``a2i plugins list`` and the app's Plugins dialog show it, and each command
        prints one warning line for the plugin. Write one sentence that names the
        file or setting and says what to do.
        """
        self._store.problems.setdefault(self._plugin, []).append(problem)

    # -- reading -----------------------------------------------------------------------------------

    def space(self, name: str) -> Space | None:
        """The space called ``name`` (built in or declared by any plugin), or ``None``."""
        known = self._store.spaces.get(name)
        return known[0] if known else None

    @property
    def spaces(self) -> list[Space]:
        """Every known space, sorted by name."""
        return [self._store.spaces[name][0] for name in sorted(self._store.spaces)]

    @property
    def bundles(self) -> list[Bundle]:
        """Every registered bundle, sorted by id."""
        return [self._store.bundles[key][0] for key in sorted(self._store.bundles)]

    def get(self, kind: str, component_id: str) -> Component | None:
        """The component of ``kind`` with ``component_id``, or ``None``."""
        entry = self._store.components[kind].get(component_id)
        return entry.component if entry else None

    def all(self, kind: str) -> list[RegisteredComponent]:
        """Every registered component of ``kind``, sorted by id."""
        entries = self._store.components[kind]
        return [entries[key] for key in sorted(entries)]

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

    def plugin_of(self, component: Component) -> str:
        """The plugin that added ``component`` (:data:`CORE` for one that is not registered)."""
        entry = self._store.components[component.kind].get(component.id)
        return entry.plugin if entry is not None and entry.component is component else CORE

    def label(self, component: Component) -> str:
        """How errors name ``component``: ``generator 'palette' (plugin palette)``."""
        return component_label(component, self.plugin_of(component))

    def by_plugin(self, plugin: str) -> list[Component]:
        """The components ``plugin`` added."""
        return [entry.component for kind in _KINDS for entry in self.all(kind) if entry.plugin == plugin]

    def spaces_by_plugin(self, plugin: str) -> list[Space]:
        """The spaces ``plugin`` declared."""
        return [space for space, owner in self._store.spaces.values() if owner == plugin]

    def problems(self, plugin: str) -> list[str]:
        """What ``plugin`` reported with :meth:`report`."""
        return list(self._store.problems.get(plugin, []))

    def remove_plugin(self, plugin: str) -> None:
        """Take out everything ``plugin`` added (when it turns out broken)."""
        for entries in self._store.components.values():
            for key in [key for key, entry in entries.items() if entry.plugin == plugin]:
                del entries[key]
        for name in [name for name, (_, owner) in self._store.spaces.items() if owner == plugin]:
            del self._store.spaces[name]
        for key in [key for key, (_, owner) in self._store.bundles.items() if owner == plugin]:
            del self._store.bundles[key]
        self._store.problems.pop(plugin, None)

    # -- validation --------------------------------------------------------------------------------

    def _add(self, kind: str, component: Component) -> None:
        self._validate(kind, component)
        namespace = CHAIN_KINDS if kind in CHAIN_KINDS else (kind,)
        for other_kind in namespace:
            existing = self._store.components[other_kind].get(component.id)
            if existing is not None:
                raise PluginError(
                    f"{component_label(component, self._plugin)} has the id of "
                    f"{component_label(existing.component, existing.plugin)}; encoders, adapters and generators "
                    "share one namespace of ids (chains and recipes name them by id), so rename one of them."
                )
        self._store.components[kind][component.id] = RegisteredComponent(component, self._plugin)

    def _validate(self, kind: str, component: Component) -> None:
        """Check a declaration at registration, so a broken one fails now, not mid-run, and names its plugin."""
        expected = _KINDS[kind]
        if not isinstance(component, expected):
            raise PluginError(
                f"Plugin {self._plugin} called add_{kind} with {component!r}, which is not an instance of an "
                f"{expected.__name__} subclass; pass an instance (MyComponent(), not MyComponent)."
            )
        if not _ID.match(component.id or ""):
            raise PluginError(
                f"{type(component).__name__}.id {component.id!r} (plugin {self._plugin}) must be lowercase letters, "
                "digits, '-', '_' or '.', starting with a letter or digit."
            )
        label = component_label(component, self._plugin)
        names = [param.name for param in component.params]
        if len(names) != len(set(names)):
            raise PluginError(f"{label} declares a parameter name twice ({names}); give each parameter its own name.")
        for param in component.params:
            try:
                param.validate(param.default)
            except InvalidValue as error:
                raise PluginError(
                    f"{label} sets parameter {param.name!r} to {param.default!r} by default, but its own schema "
                    f"says: {error.expectation}; fix the default or the range in the plugin."
                ) from None
        for attribute in _SPACES_OF.get(kind, ()):
            self._check_space(label, attribute, getattr(component, attribute, None))
        if isinstance(component, Trainer):
            _check_train_signature(label, component)

    def _check_space(self, label: str, attribute: str, space: object) -> None:
        if not isinstance(space, Space):
            raise PluginError(f"{label} must set {attribute} to a Space (e.g. a2i_studio.core.MFCC_SUMMARY).")
        known = self._store.spaces.get(space.name)
        if known is None:
            close = difflib.get_close_matches(space.name, list(self._store.spaces), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise PluginError(
                f"{label} uses space {space.name!r} as its {attribute}, which no plugin declares; {hint}"
                "use a space from a2i_studio.core or declare yours with registry.add_space() in a2i_register_spaces."
            )
        if known[0] != space:
            raise PluginError(
                f"{label} uses space {space} as its {attribute}, but plugin {known[1]} declared it as {known[0]}; "
                f"use registry.space({space.name!r}) or a space of your own name."
            )


def _check_train_signature(label: str, trainer: Trainer) -> None:
    """A trainer's ``train`` must take the contract's ``events`` and ``fresh``, which the CLI and the app pass."""
    parameters = inspect.signature(trainer.train).parameters
    if any(parameter.kind is inspect.Parameter.VAR_KEYWORD for parameter in parameters.values()):
        return
    missing = [name for name in ("events", "fresh") if name not in parameters]
    if missing:
        raise PluginError(
            f"{label}'s train() does not take {' or '.join(missing)}; write it as train(self, data, out, settings, "
            "progress=None, cancel=None, events=None, *, fresh=False) (see docs/plugins/trainer.md)."
        )
