"""The plugin author's manual: every hook a2i-studio calls.

A plugin is a Python module (or any object) with functions named after these
hooks and marked with :data:`hookimpl`::

    from a2i_studio.hookspecs import hookimpl

    @hookimpl
    def a2i_register_components(registry):
        registry.add_encoder(MyEncoder())

Plugins are found in three places, in this order:

1. installed distributions that declare an entry point in the ``a2i_studio``
   group (``[project.entry-points.a2i_studio] my_plugin = "my_package.plugin"``);
   the built-in backends register this way too;
2. single ``.py`` files in the drop-in folder (``a2i plugins list`` prints it);
3. nothing else: there is no other door.

Hooks are called through pluggy, so an implementation names only the
arguments it uses (``def a2i_register_components(registry)``, or no argument
at all), and a hook that gains an argument in a later version keeps calling
older plugins as they are. Each plugin's hooks are called on their own:
a plugin that fails to import, has a function named ``a2i_...`` that is not
marked ``@hookimpl`` or is no hook of this module, declares an argument the
hook does not pass, or raises inside a hook (``SystemExit`` and
``KeyboardInterrupt`` included) is disabled, what it registered is removed,
and ``a2i plugins list`` shows why with its traceback; the others keep working.
The hooks run in the order of this module (spaces, components, trainers);
between plugins the order is unspecified, so a plugin must not rely on another
plugin's hook of the same name having run.

Plugin modules should import quickly: import torch and other heavy libraries
inside the components' ``load()`` methods, never at module level, so
``a2i --help`` and the first window stay instant. ``a2i plugins list`` shows
each plugin's import time and warns about one slower than a second.
``a2i plugins check PATH`` checks a plugin for all of the above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from a2i_studio.core import Registry

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "a2i_studio"

hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks a hook specification (used in this module only)."""

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a plugin's hook implementation: ``@hookimpl``."""


@hookspec
def a2i_register_spaces(registry: Registry) -> None:
    """Declare the embedding spaces the plugin introduces.

    Called once at start-up, before any :func:`a2i_register_components`, so
    components of every plugin can use the spaces of every other. The built-in
    spaces (``a2i_studio.core.BUILTIN_SPACES``) are always known; declare only
    your own::

        TOY = Space("toy", (8,), description="what one value means")

        @hookimpl
        def a2i_register_spaces(registry):
            registry.add_space(TOY)

    A component whose space was declared nowhere fails at registration (a
    misspelled name would otherwise make a chain silently disappear).
    ``registry.space(name)`` looks a space up by name.

    Args:
        registry: The :class:`~a2i_studio.core.Registry`, bound to this plugin.

    Returns:
        Nothing; the return value is ignored.

    .. versionadded:: 0.2
    """


@hookspec
def a2i_register_components(registry: Registry) -> None:
    """Add the plugin's encoders, adapters and generators.

    Called once when the app or the CLI starts, after every plugin has been
    imported and validated and every space declared. Add components by instance::

        registry.add_encoder(MfccEncoder())
        registry.add_adapter(MlpAdapter())
        registry.add_generator(AeganGenerator())

    Each component declares its id, spaces, parameters and weights in class
    attributes (see :mod:`a2i_studio.core`); nothing heavy should happen here.
    Ids of encoders, adapters and generators are unique across the three
    kinds. An id that another component already has, a space nobody declared,
    a default outside its own parameter's range or another malformed
    declaration raises :class:`~a2i_studio.errors.PluginError` naming this
    plugin and the component, and disables the plugin unless the hook catches
    it: a plugin that registers one component per data file catches it for
    that file and calls ``registry.report(sentence)`` instead, so one bad file
    does not take its siblings down.

    Args:
        registry: The :class:`~a2i_studio.core.Registry` to add components to, bound to this plugin.

    Returns:
        Nothing; the return value is ignored.

    .. versionadded:: 0.1
    """


@hookspec
def a2i_register_trainers(registry: Registry) -> None:
    """Add the plugin's trainers, each run by ``a2i train <trainer id>``.

    Called once at start-up, after :func:`a2i_register_components`. A trainer's
    ``params`` become the command's options (``--epochs``, ``--preset``, ...)
    and the settings form of the GUI's training wizard.

    Args:
        registry: The :class:`~a2i_studio.core.Registry`, bound to this plugin; call
            ``registry.add_trainer(...)``. Trainer ids are unique among trainers.

    Returns:
        Nothing; the return value is ignored.

    .. versionadded:: 0.1
    """
