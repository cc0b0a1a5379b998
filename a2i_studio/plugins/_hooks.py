"""Checks of a plugin's hook functions before pluggy sees them.

pluggy ignores a function that lacks ``@hookimpl`` and reports a misspelled
hook as "unknown hook" in a multi-line message. Both are common author
mistakes, so each gets one sentence here that says what to fix.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from a2i_studio import hookspecs

__all__ = ["HOOKS", "hook_functions", "hook_problems"]

_IMPL_MARK = f"{hookspecs.PROJECT}_impl"
_SPEC_MARK = f"{hookspecs.PROJECT}_spec"

HOOKS: dict[str, tuple[str, ...]] = {
    name: tuple(inspect.signature(function).parameters)
    for name, function in vars(hookspecs).items()
    if name.startswith("a2i_") and hasattr(function, _SPEC_MARK)
}
"""Every hook, in calling order, with the arguments it passes."""


def hook_functions(plugin: object) -> Iterator[tuple[str, Any]]:
    """The plugin's functions that are marked ``@hookimpl`` or named like a hook (``a2i_...``)."""
    if isinstance(plugin, ModuleType):
        namespace = dict(vars(plugin))
    else:  # an instance: bind its methods, but run no property of it
        namespace = {}
        for name in dir(plugin):
            static = inspect.getattr_static(plugin, name)
            is_method = inspect.isfunction(static) or isinstance(static, (staticmethod, classmethod))
            namespace[name] = getattr(plugin, name) if is_method else static
    for name, function in sorted(namespace.items()):
        if callable(function) and (name.lower().startswith("a2i_") or hasattr(function, _IMPL_MARK)):
            yield name, function


def hook_problems(plugin: object) -> list[str]:
    """One sentence per hook function that a2i-studio would ignore or refuse, saying what to fix."""
    problems = []
    for name, function in hook_functions(plugin):
        options = getattr(function, _IMPL_MARK, None)
        hook = (options or {}).get("specname") or name
        if hook not in HOOKS:
            close = difflib.get_close_matches(hook, list(HOOKS), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.append(
                f"function {name} is not an a2i-studio hook; {hint}the hooks are {', '.join(HOOKS)} "
                "(see a2i_studio.hookspecs)."
            )
        elif options is None:
            problems.append(
                f"function {name} is not marked @hookimpl, so it would never be called; decorate it with "
                "@hookimpl from a2i_studio.hookspecs."
            )
        else:
            extra = [argument for argument in _required_arguments(function) if argument not in HOOKS[hook]]
            if extra:
                passed = ", ".join(HOOKS[hook]) or "nothing"
                problems.append(
                    f"function {name} takes {', '.join(extra)}, which hook {hook} does not pass (it passes "
                    f"{passed}); take only those arguments, or fewer."
                )
    return problems


def _required_arguments(function: Any) -> list[str]:
    """Arguments without a default, as pluggy matches them to the hook's (``self`` of a method excluded)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # a callable without a signature takes what pluggy gives it
        return []
    return [
        parameter.name
        for parameter in parameters
        if parameter.default is inspect.Parameter.empty
        and parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
