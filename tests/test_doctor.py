"""``a2i doctor``: true facts about this machine, each check on its own, offline."""

from __future__ import annotations

import json
import platform
import shutil
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import torch

from a2i_studio import system
from a2i_studio.cli import main
from a2i_studio.engine import pick_device


def _doctor(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    return {finding["check"]: finding for finding in report["checks"]}


def test_doctor_reports_this_machine(
    capsys: pytest.CaptureFixture[str], drop_in: Callable[[str], Path], app_dirs: dict[str, Path]
) -> None:
    drop_in("broken_hook")
    checks = _doctor(capsys)
    assert list(checks) == ["python", "torch", "window", "audio", "disk", "models", "plugins"]

    assert checks["python"]["details"]["version"] == platform.python_version()
    build = checks["torch"]["details"]
    assert build["version"] == torch.__version__
    assert build["build"] == (f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only")
    assert build["cuda_available"] is torch.cuda.is_available()
    assert build["device"] == pick_device(None)

    if sys.platform == "linux":
        missing = system.missing(system.QT_GUI_LIBRARIES + system.XCB_LIBRARIES)
        assert checks["window"]["details"]["missing"] == [library.soname for library in missing]
        assert checks["window"]["status"] == ("warning" if missing else "ok")

    app_dirs["data"].mkdir(parents=True, exist_ok=True)
    assert checks["disk"]["details"]["models_dir"] == str(app_dirs["models"])
    assert abs(checks["disk"]["details"]["free_bytes"] - shutil.disk_usage(app_dirs["data"]).free) < 10**9

    models = checks["models"]["details"]
    assert "aegan-soundscapes" in models["found"]  # bundled
    assert "sd15" in models["missing"]  # not downloaded here (and doctor never downloads)

    plugins = checks["plugins"]
    assert plugins["details"]["failed"] == ["broken_hook"]
    built_in = {entry_point.name for entry_point in entry_points(group="a2i_studio")}
    assert set(plugins["details"]["active"]) == built_in
    assert plugins["status"] == "warning"
    assert "1 failed (broken_hook: 'a2i plugins list' says why)" in plugins["summary"]


def test_each_check_stands_alone_when_the_settings_file_is_corrupt(
    capsys: pytest.CaptureFixture[str], app_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without A2I_MODELS_DIR the models folder comes from the settings file, which is broken.
    monkeypatch.delenv("A2I_MODELS_DIR")
    app_dirs["config"].mkdir(parents=True)
    (app_dirs["config"] / "settings.json").write_text("{not json", encoding="utf-8")

    checks = _doctor(capsys)

    failed = {name for name, finding in checks.items() if finding["status"] == "failed"}
    assert failed == {"disk", "models", "plugins"}
    assert "settings.json is unreadable" in checks["disk"]["summary"]
    assert checks["torch"]["details"]["version"] == torch.__version__  # the others still answer


def test_doctor_text_is_one_line_per_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("a2i-studio ")
    checks = ["python", "torch", "window", "audio", "disk", "models", "plugins"]
    assert [line.split()[0] for line in lines[1:]] == checks
    assert f"runs on {pick_device(None)}" in lines[2]
