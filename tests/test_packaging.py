"""pyproject.toml lists every package folder, and every built-in family has its entry point."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
INSTALLED_AS = {"a2i_studio": "a2i_studio", "a2i_plugins": "a2i_plugins", "a2i_resources": "a2i_resources"}


def test_every_package_folder_is_installed() -> None:
    found = set()
    for folder, name in INSTALLED_AS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join((name, *relative.parts)))
    assert found == set(PYPROJECT["tool"]["setuptools"]["packages"])


def test_every_builtin_family_registers_through_the_entry_point_group() -> None:
    families = {path.parent.name for path in (ROOT / "a2i_plugins").glob("*/__init__.py")}
    entry_points = PYPROJECT["project"]["entry-points"]["a2i_studio"]
    assert {name: f"a2i_plugins.{name}" for name in families} == entry_points


def test_no_torchaudio_and_torch_is_not_pinned_to_a_cuda_build() -> None:
    requirements = PYPROJECT["project"]["dependencies"]
    assert not any(requirement.startswith("torchaudio") for requirement in requirements)
    assert "torch>=2.5" in requirements
