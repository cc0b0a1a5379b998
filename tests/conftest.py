"""Fixtures every test shares: private app folders, the toy plugin, a short clip."""

from __future__ import annotations

import os

# Tiny models run faster on one thread than fighting for two shared cores; set before torch loads.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def app_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point every a2i-studio folder into the test's tmp dir, so no test touches the user's files."""
    dirs = {}
    for name in ("CONFIG", "DATA", "CACHE", "MODELS", "GALLERY"):
        folder = tmp_path / f"a2i-{name.lower()}"
        monkeypatch.setenv(f"A2I_{name}_DIR", str(folder))
        dirs[name.lower()] = folder
    monkeypatch.delenv("A2I_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("A2I_SAFE_MODE", raising=False)
    return dirs


@pytest.fixture
def drop_in(app_dirs: dict[str, Path]) -> Callable[[str], Path]:
    """Copy ``tests/fixtures/NAME.py`` into the drop-in plugins folder."""

    def install(name: str) -> Path:
        folder = app_dirs["config"] / "plugins"
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(FIXTURES / f"{name}.py", folder / f"{name}.py"))

    return install


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """A 2 s, 16 kHz mono WAV: a chirp with a little noise."""
    rate = 16_000
    t = np.arange(2 * rate) / rate
    rng = np.random.default_rng(0)
    samples = 0.5 * np.sin(2 * np.pi * (220 + 200 * t) * t) + 0.01 * rng.standard_normal(t.size)
    path = tmp_path / "chirp.wav"
    soundfile.write(path, samples.astype(np.float32), rate)
    return path


from fake_hub import hub  # noqa: E402, F401 - the fake huggingface.co, for every test folder
