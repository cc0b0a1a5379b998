"""The package ``a2i plugins new NAME --kind KIND`` writes: a plugin that installs and runs as it is.

The example component (see :mod:`._scaffold_kinds`) needs no weights, so it
runs right after ``pip install -e a2i-NAME``; its tests use the fixtures of
``a2i_studio.testing``. docs/plugins/ walks through each kind.
"""

from __future__ import annotations

import re
from pathlib import Path

from a2i_studio import __version__
from a2i_studio.cli._scaffold_kinds import KINDS
from a2i_studio.errors import A2IError

__all__ = ["write_plugin_package"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")

_PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "a2i-{dash}"
version = "0.1.0"
description = "An a2i-studio plugin: {summary}"
requires-python = ">=3.11"
dependencies = ["a2i-studio>={app_version}"]

# This line is what makes a2i-studio find the plugin.
[project.entry-points.a2i_studio]
{name} = "a2i_{name}"

[tool.setuptools.packages.find]
where = ["src"]
"""

_INIT = '''\
"""a2i-studio plugin {name}: {summary}.

The component lives in ``_components.py``; this module only registers it.
Keep heavy imports (torch, diffusers) inside methods such as ``load()`` so
``a2i --help`` stays instant. ``a2i plugins check src/a2i_{name}`` checks the
plugin for the usual mistakes.
"""

from __future__ import annotations

from a2i_{name}._components import {cls}{kind_class}
from a2i_studio.core import Registry
from a2i_studio.hookspecs import hookimpl

__all__ = ["{cls}{kind_class}", "{hook}"]

__version__ = "0.1.0"


@hookimpl
def {hook}(registry: Registry) -> None:
    """Add the example {kind}."""
    registry.add_{kind}({cls}{kind_class}())
'''

_CONFTEST = '''\
"""a2i-studio's plugin test kit: the make_a2i_engine, a2i_clip and a2i_dirs fixtures."""

pytest_plugins = ["a2i_studio.testing"]
'''

_README = """\
# a2i-{dash}

An a2i-studio plugin: {summary}. Install it next to a2i-studio, check it, and try it:

    pip install -e .
    a2i plugins check src/a2i_{name}
    {try_it}
    pytest tests
"""


def write_plugin_package(name: str, parent: Path, kind: str = "generator") -> Path:
    """Write the plugin package ``a2i-NAME`` with an example component of ``kind`` under ``parent``.

    Args:
        name: The plugin's name and its component's id.
        parent: The folder to write ``a2i-NAME/`` into.
        kind: ``encoder``, ``adapter``, ``generator`` or ``trainer``.

    Returns:
        The package folder.

    Raises:
        A2IError: If the name is not a valid module name or the folder exists.
    """
    if not _NAME.match(name):
        raise A2IError(f"Plugin name {name!r} must be 2-41 lowercase letters, digits or '_', starting with a letter.")
    dash = name.replace("_", "-")
    root = parent / f"a2i-{dash}"
    if root.exists():
        raise A2IError(f"{root} already exists; choose another name or --dir.")
    example = KINDS[kind]
    fields = {
        "name": name,
        "dash": dash,
        "cls": "".join(part.title() for part in name.split("_")),
        "title": name.replace("_", " ").title(),
        "app_version": __version__,
        "kind": kind,
        "kind_class": kind.title(),
        "hook": example.hook,
        "summary": example.summary,
    }
    fields["try_it"] = example.try_it.format(**fields)
    files = {
        "pyproject.toml": _PYPROJECT,
        f"src/a2i_{name}/__init__.py": _INIT,
        f"src/a2i_{name}/_components.py": example.components,
        "tests/conftest.py": _CONFTEST,
        f"tests/test_{name}.py": example.test,
        "README.md": _README,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**fields), encoding="utf-8")
    return root
