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

A plugin that fails to import, declares a hook with a wrong signature or an
unknown ``a2i_`` hook, or raises inside a hook is disabled and listed with its
traceback by ``a2i plugins list``; the others keep working. Hooks may be
called in any order between plugins; a plugin must not rely on another
plugin's hook having run.

Plugin modules should import quickly: import torch and other heavy libraries
inside the components' ``load()`` methods, never at module level, so
``a2i --help`` and the first window stay instant.
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
def a2i_register_components(registry: Registry) -> None:
    """Add the plugin's encoders, adapters and generators.

    Called once when the app or the CLI starts, after every plugin has been
    imported and validated. Add components by instance::

        registry.add_encoder(MfccEncoder())
        registry.add_adapter(MlpAdapter())
        registry.add_generator(AeganGenerator())

    Each component declares its id, spaces, parameters and weights in class
    attributes (see :mod:`a2i_studio.core`); nothing heavy should happen here.
    An id that another plugin already took, or a malformed declaration, raises
    :class:`~a2i_studio.errors.PluginError` and disables this plugin.

    Args:
        registry: The :class:`~a2i_studio.core.Registry` to add components to.

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
        registry: The :class:`~a2i_studio.core.Registry`; call ``registry.add_trainer(...)``.

    Returns:
        Nothing; the return value is ignored.

    .. versionadded:: 0.1
    """
