"""The README documents every CLI command and every hook with its exact signature."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from a2i_studio import hookspecs
from a2i_studio.cli import command_usages

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _hooks() -> list[str]:
    return [name for name in dir(hookspecs) if name.startswith("a2i_")]


@pytest.mark.parametrize("command", sorted(command_usages()))
def test_every_command_usage_is_in_the_readme(command: str) -> None:
    usage = command_usages()[command]
    assert usage in README, f"README's CLI reference lacks the exact usage line:\n    {usage}"


@pytest.mark.parametrize("hook", _hooks())
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    function = getattr(hookspecs, hook)
    signature = f"def {hook}{inspect.signature(function)}".replace("'", "")
    assert signature in README, f"README's plugin-author guide lacks:\n    {signature}"
    doc = inspect.getdoc(function) or ""
    assert "Args:" in doc and "Returns:" in doc and ".. versionadded::" in doc


def test_readme_set_up_commands_are_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:bash|sh)\n(.*?)```", README, flags=re.S)
    install = next(block for block in blocks if "pip install -c constraints.txt" in block)
    for line in install.strip().splitlines():
        for step in line.split(" && "):
            if step.startswith(("python3 -m venv", "pip install", ". .venv")):
                assert step.strip() in ci, f".ci/run does not install as the README says: {step}"
    test_command = next(line for block in blocks for line in block.splitlines() if "-m pytest" in line)
    assert test_command.split(" && ")[-1].strip() in ci


PLUGIN_DOCS = sorted((ROOT / "docs" / "plugins").glob("*.md"))


def test_the_plugin_guide_has_a_page_per_component_kind() -> None:
    names = {path.stem for path in PLUGIN_DOCS}
    assert {"README", "encoder", "adapter", "generator", "trainer", "numpy", "spaces", "weights", "helpers"} <= names


@pytest.mark.parametrize("page", PLUGIN_DOCS, ids=lambda path: path.name)
def test_plugin_guide_links_resolve_and_its_python_parses(page: Path) -> None:
    import ast

    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#:]+)\)", text):
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.S):
        ast.parse(block)
