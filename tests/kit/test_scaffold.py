"""``a2i plugins new NAME --kind KIND``: a package that installs, passes ``a2i plugins check`` and its own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from a2i_studio.cli import main
from a2i_studio.cli._plugin_check import check_plugin

KINDS = ("encoder", "adapter", "generator", "trainer")


def _new(kind: str, parent: Path) -> Path:
    assert main(["plugins", "new", f"my_{kind}", "--kind", kind, "--dir", str(parent)]) == 0
    return parent / f"a2i-my-{kind}"


def _own_tests(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root / "src")}, timeout=300,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_passes_the_check(kind: str, tmp_path: Path) -> None:
    root = _new(kind, tmp_path)
    assert f'my_{kind} = "a2i_my_{kind}"' in (root / "pyproject.toml").read_text()
    assert (root / "tests" / "conftest.py").read_text().endswith('pytest_plugins = ["a2i_studio.testing"]\n')
    findings = check_plugin(str(root / "src" / f"a2i_my_{kind}"))
    assert not [line for line in findings if line.startswith("error:")], findings
    assert f"ok: registers {kind}:my_{kind}." in findings
    if kind == "generator":
        assert f"ok: chain mfcc>my_{kind} made 256x256 images, one per seed." in findings


def test_the_generator_package_installs_registers_and_passes_its_own_tests(tmp_path: Path) -> None:
    root = _new("generator", tmp_path)
    own_tests = _own_tests(root)
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
    assert "1 passed" in own_tests.stdout

    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(root)],
        capture_output=True, text=True, timeout=300,
    )
    assert install.returncode == 0, install.stderr
    listed = subprocess.run(
        [sys.executable, "-m", "a2i_studio.cli", "plugins", "list", "--json"],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(target)}, timeout=120,
    )
    plugins = {plugin["name"]: plugin for plugin in json.loads(listed.stdout)["plugins"]}
    assert plugins["my_generator"]["source"] == "entry-point"
    assert plugins["my_generator"]["status"] == "active"
    assert [c["id"] for c in plugins["my_generator"]["components"]] == ["my_generator"]


@pytest.mark.parametrize("kind", ("encoder", "adapter", "trainer"))
def test_the_other_kinds_pass_their_own_tests(kind: str, tmp_path: Path) -> None:
    own_tests = _own_tests(_new(kind, tmp_path))
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
    assert "1 passed" in own_tests.stdout
