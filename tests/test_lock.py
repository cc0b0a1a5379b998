"""constraints.txt is the tested set: it agrees with pyproject.toml, and this venv was installed from it."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for number, line in enumerate((ROOT / "constraints.txt").read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"line {number}: {line!r} is not NAME==VERSION"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"line {number}: {name} is pinned twice"
        pins[name] = Version(specifiers[0].version)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(line) for line in lines]


def test_every_declared_dependency_is_pinned_inside_its_range() -> None:
    pins = _pins()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is in pyproject.toml but not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"constraints.txt pins {name}=={pins[name]}, outside pyproject.toml's {requirement}"
        )


def test_the_lock_holds_no_build_label_so_cpu_and_cuda_torch_both_satisfy_it() -> None:
    pins = _pins()
    assert pins["torch"].local is None
    assert Version("2.13.0+cpu") in Requirement(f"torch=={pins['torch']}").specifier


def test_this_environment_was_installed_from_the_lock() -> None:
    """Every pinned package that is installed has its pinned version (.ci/run also diffs pip freeze)."""
    for name, pinned in _pins().items():
        try:
            installed = Version(version(name))
        except PackageNotFoundError:  # platform-specific packages (colorama on Windows) may be absent
            continue
        assert Version(installed.public) == pinned, f"{name} {installed} is installed; constraints.txt pins {pinned}"
