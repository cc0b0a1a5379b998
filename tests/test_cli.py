"""The ``a2i`` command line: commands, JSON output, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from a2i_studio.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_rerun_round_trip_is_pixel_identical(
    capsys: pytest.CaptureFixture[str], drop_in: Callable[[str], Path], clip: Path, tmp_path: Path
) -> None:
    drop_in("toy_plugin")
    code, out, _ = _run(
        capsys, "generate", str(clip), "--chain", "toy-proj>toy-gen", "--seed", "11", "-n", "2",
        "--param", "steps=4", "--param", "toy-gen.palette=gray", "--out", str(tmp_path / "out"), "--json",
    )
    assert code == 0
    images = json.loads(out)["images"]
    assert [image["seed"] for image in images] == [11, 12]
    assert Path(images[1]["path"]).name == "chirp-12.png"

    code, out, _ = _run(capsys, "rerun", images[1]["path"], "--json")
    assert code == 0
    rerun = json.loads(out)
    assert rerun["identical"] is True
    assert rerun["images"][0]["seed"] == 12

    code, out, _ = _run(capsys, "gallery", "list", "--json")
    listed = json.loads(out)
    assert len(listed) == 3
    assert {item["recipe"]["params"]["toy-gen"]["steps"] for item in listed} == {4}


def test_rerun_refuses_audio_that_changed(
    capsys: pytest.CaptureFixture[str], drop_in: Callable[[str], Path], clip: Path, tmp_path: Path
) -> None:
    drop_in("toy_plugin")
    _run(capsys, "generate", str(clip), "--chain", "toy-proj>toy-gen", "--seed", "1", "--out", str(tmp_path))
    png = tmp_path / "chirp-1.png"
    clip.write_bytes(clip.read_bytes()[:-200])
    code, _, err = _run(capsys, "rerun", str(png))
    assert code == 1
    assert err.startswith("error: ") and "sha256 differs" in err and "--audio" in err


@pytest.mark.parametrize(
    ("option", "exit_code", "message"),
    [
        ("steps", 2, "should read key=value"),  # usage errors: the option cannot be read as written
        ("colour=red", 2, "no component of this chain has 'colour'"),
        ("sd15.steps=3", 2, "names 'sd15', which is not in this chain"),
        ("steps=0", 1, "steps got 0"),  # a value the schema refuses is a bad setting like any other
        ("noise=loud", 1, "noise"),
    ],
)
def test_bad_params_are_one_line_errors(
    capsys: pytest.CaptureFixture[str],
    drop_in: Callable[[str], Path],
    clip: Path,
    option: str,
    exit_code: int,
    message: str,
) -> None:
    drop_in("toy_plugin")
    code, _, err = _run(capsys, "generate", str(clip), "--chain", "toy-proj>toy-gen", "--param", option)
    assert code == exit_code
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_chains_and_plugins_list_json(capsys: pytest.CaptureFixture[str], drop_in: Callable[[str], Path]) -> None:
    drop_in("toy_plugin")
    drop_in("broken_hook")
    code, out, err = _run(capsys, "chains", "--json")
    assert code == 0
    assert "toy-proj>toy-gen" in [chain["id"] for chain in json.loads(out)]
    assert "warning: Plugin broken_hook raised in a2i_register_components" in err

    code, out, _ = _run(capsys, "plugins", "list", "--json")
    plugins = {plugin["name"]: plugin for plugin in json.loads(out)["plugins"]}
    assert plugins["broken_hook"]["status"] == "failed"
    assert "ValueError: hook fails on purpose" in plugins["broken_hook"]["traceback"]
    toy = plugins["toy_plugin"]["components"]
    assert [(c["kind"], c["id"]) for c in toy] == [("encoder", "toy-proj"), ("generator", "toy-gen")]
    assert toy[1]["params"][0] == {"name": "steps", "kind": "int", "default": 3, "help": "refinement steps",
                                   "min": 1, "max": 50}


def _a2i(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "a2i_studio.cli", *argv],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120,
    )


def test_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    missing = _a2i("generate", str(tmp_path / "nothing.wav"), "--chain", "mfcc>none")
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: ") and "Traceback" not in missing.stderr
    usage = _a2i("generate")
    assert usage.returncode == 2 and "usage: a2i generate" in usage.stderr
    assert _a2i("--version").stdout.startswith("a2i-studio ")


@pytest.mark.parametrize("argv", [("--help",), ("plugins", "list")])
def test_help_and_plugins_list_import_no_heavy_modules(argv: tuple[str, ...]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "a2i_studio.cli", *argv],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "a2i_studio" in imported  # the measurement itself works
    assert imported.isdisjoint({"torch", "diffusers", "transformers", "numpy", "PySide6", "pyqtgraph"})


def test_mix_and_image_options_are_checked(
    capsys: pytest.CaptureFixture[str], drop_in: Callable[[str], Path], clip: Path
) -> None:
    drop_in("toy_plugin")
    with pytest.raises(SystemExit) as usage:
        main(["generate", str(clip), "--chain", "toy-proj>toy-gen", "--mix", "birds.wav"])
    assert usage.value.code == 2
    assert "should read FILE:WEIGHT" in capsys.readouterr().err
    code, out, _ = _run(capsys, "generate", str(clip), "--chain", "toy-proj>toy-gen", "--seed", "2",
                        "--mix", f"{clip}:0.25", "--json")
    assert code == 0
    assert json.loads(out)["images"][0]["seed"] == 2
    code, _, err = _run(capsys, "generate", str(clip), "--chain", "toy-proj>toy-gen", "--image", "ref.png:0.5")
    assert code == 1 and "toy-gen takes no reference image" in err


@pytest.mark.parametrize(
    ("every", "expected_steps"), [(3600.0, ["1/5", "5/5"]), (0.0, ["1/5", "2/5", "3/5", "4/5", "5/5"])]
)
def test_progress_goes_to_plain_lines_when_stderr_is_no_terminal(
    capsys: pytest.CaptureFixture[str], every: float, expected_steps: list[str]
) -> None:
    from a2i_studio.cli._common import progress_bar
    from a2i_studio.core import Progress

    with progress_bar(log_every=every) as report:
        for step in range(1, 6):
            report(Progress(step, 5, f"epoch 1/1 loss {step / 10:.1f}"))
    lines = capsys.readouterr().err.splitlines()
    # the first report, then at most one per interval, and always the last
    assert [line.split()[1] for line in lines] == expected_steps
    assert lines[-1].endswith("5/5 epoch 1/1 loss 0.5")
