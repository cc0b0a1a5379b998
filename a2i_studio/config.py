"""Where a2i-studio keeps its files, and the few settings that outlive a run.

Folders follow the platform's conventions (platformdirs) and each can be moved
with an environment variable, which the tests use to stay out of the user's
home: ``A2I_CONFIG_DIR``, ``A2I_DATA_DIR``, ``A2I_CACHE_DIR``,
``A2I_MODELS_DIR`` and ``A2I_GALLERY_DIR``. The models and gallery folders can
also be chosen in the GUI's Settings (saved as ``models_dir`` / ``gallery_dir``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from a2i_studio.errors import A2IError
from a2i_studio.files import atomic_write_json

__all__ = [
    "cache_dir",
    "config_dir",
    "data_dir",
    "gallery_dir",
    "load_settings",
    "log_file",
    "models_dir",
    "plugins_dir",
    "resources_dir",
    "save_settings",
]

APP = "a2i-studio"


def _dir(variable: str, default: Callable[[], Path]) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else default()


def _platform(kind: str) -> Callable[[], Path]:
    def resolve() -> Path:
        import platformdirs  # only when no environment variable says where

        return Path(getattr(platformdirs, f"user_{kind}_dir")(APP))

    return resolve


def _saved_or(key: str, default: Callable[[], Path]) -> Callable[[], Path]:
    def resolve() -> Path:
        saved = load_settings().get(key)
        return Path(saved).expanduser() if saved else default()

    return resolve


def config_dir() -> Path:
    """Settings and the drop-in plugins folder."""
    return _dir("A2I_CONFIG_DIR", _platform("config"))


def data_dir() -> Path:
    """Gallery, models and logs live under here unless moved."""
    return _dir("A2I_DATA_DIR", _platform("data"))


def log_file() -> Path:
    """The one log file: unexpected errors with their tracebacks, from the CLI and the app alike."""
    path = data_dir() / "logs" / "a2i.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Peak pyramids, feature caches and other files that can be rebuilt."""
    return _dir("A2I_CACHE_DIR", _platform("cache"))


def models_dir() -> Path:
    """The user's models: ``checkpoints/ loras/ adapters/ encoders/`` (env, then Settings, then default)."""
    return _dir("A2I_MODELS_DIR", _saved_or("models_dir", lambda: data_dir() / "models"))


def gallery_dir() -> Path:
    """The gallery's PNGs and its SQLite index (env, then Settings, then default)."""
    return _dir("A2I_GALLERY_DIR", _saved_or("gallery_dir", lambda: data_dir() / "gallery"))


def plugins_dir() -> Path:
    """The drop-in folder: every ``*.py`` file here is loaded as a plugin."""
    return config_dir() / "plugins"


def resources_dir() -> Path:
    """Bundled icons, small checkpoints and their model cards (the ``a2i_resources`` package)."""
    import a2i_resources

    return Path(a2i_resources.__file__).resolve().parent


def _settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> dict[str, Any]:
    """The saved settings, or ``{}`` when none were saved yet."""
    path = _settings_path()
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise A2IError(f"Settings file {path} is unreadable ({error}); fix or delete it.") from None


def save_settings(settings: dict[str, Any]) -> None:
    """Save ``settings`` atomically (a crash never leaves a half-written file)."""
    atomic_write_json(_settings_path(), settings)
