"""Fixtures every test shares: private app folders, the toy plugin, a short clip."""

from __future__ import annotations

import os

# Tiny models run faster on one thread than fighting for two shared cores; set before torch loads.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"

pytest_plugins = ["a2i_studio.testing"]  # the plugin author's kit; this suite uses it as authors do


@pytest.fixture(autouse=True)
def app_dirs(a2i_dirs: dict[str, Path]) -> dict[str, Path]:
    """Every a2i-studio folder in the test's tmp dir (the kit's ``a2i_dirs``), so no test touches the user's files."""
    return a2i_dirs


@pytest.fixture
def drop_in(app_dirs: dict[str, Path]) -> Callable[[str], Path]:
    """Copy ``tests/fixtures/NAME.py`` into the drop-in plugins folder."""

    def install(name: str) -> Path:
        folder = app_dirs["config"] / "plugins"
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(FIXTURES / f"{name}.py", folder / f"{name}.py"))

    return install


@pytest.fixture
def clip(a2i_clip: Path) -> Path:
    """A 2 s, 16 kHz mono WAV: a chirp with a little noise (the kit's ``a2i_clip``)."""
    return a2i_clip


from fake_hub import hub  # noqa: E402, F401 - the fake huggingface.co, for every test folder
