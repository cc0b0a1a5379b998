"""Issue 21, items 5 and 6: FIFOs, devices and symlink loops are refused before anything reads them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import CLI_TIMEOUT_S, a2i, gallery_pngs, one_error_line
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from a2i_studio.audio import MAX_FILE_BYTES, AudioTooLong, file_sha256
from a2i_studio.cli import main
from a2i_studio.gui.app import EXIT_AFTER_PAINT
from a2i_studio.recipes import RECIPE_KEY, read_recipe


def _specials(folder: Path, suffix: str) -> dict[str, Path]:
    """A FIFO and a symbolic link that points at itself, both named ``*SUFFIX``."""
    fifo, loop = folder / f"pipe{suffix}", folder / f"loop{suffix}"
    os.mkfifo(fifo)
    loop.symlink_to(loop)
    return {"fifo": fifo, "loop": loop}


@pytest.fixture
def specials(tmp_path: Path) -> dict[str, Path]:
    """A FIFO and a symlink loop named like sound files."""
    return _specials(tmp_path, ".wav")


_SAYS = {"fifo": "is a FIFO (named pipe), not a file", "loop": "is a symbolic link that loops back on itself"}


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        (("audio", "info", "{path}"), "fifo"),
        (("generate", "{path}"), "fifo"),
        (("generate", "{path}"), "loop"),
        (("generate", "{clip}", "--mix", "{path}:0.3"), "fifo"),
        (("generate", "{clip}", "--param", "aegan-sharp.checkpoint={path}"), "loop"),
    ],
    ids=["audio info fifo", "generate fifo", "generate loop", "generate --mix fifo", "generate --param loop"],
)
def test_cli_refuses_a_special_file_in_one_sentence(
    specials: dict[str, Path],
    clip: Path,
    app_dirs: dict[str, Path],
    tmp_path: Path,
    kind: str,
    command: tuple[str, ...],
) -> None:
    path = _specials(tmp_path, ".safetensors")[kind] if "checkpoint" in command[-1] else specials[kind]
    argv = [part.format(path=path, clip=clip) for part in command]

    line = one_error_line(a2i(*argv))  # a2i() fails the test if the command hangs

    assert _SAYS[kind] in line and (path.name in line) and line.endswith(".")
    assert not gallery_pngs(app_dirs["gallery"])


@pytest.fixture
def made(clip: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, dict[str, object]]:
    """An image made by the bundled chain (in this process: only the re-run is the case under test)."""
    assert main(["generate", str(clip), "--seed", "4", "--json"]) == 0
    png = Path(json.loads(capsys.readouterr().out)["images"][0]["path"])
    return png, read_recipe(png)


def _with_recipe(png: Path, recipe: dict[str, object], target: Path) -> Path:
    info = PngInfo()
    info.add_itxt(RECIPE_KEY, json.dumps(recipe), zip=True)
    with Image.open(png) as image:
        image.save(target, pnginfo=info)
    return target


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("audio", "The source audio /dev/zero of hostile.png is a device, not a file; put the original back"),
        ("mix", "The mixed-in sound /dev/zero of hostile.png is a device, not a file; put the original back"),
        ("audio-fifo", "pipe.wav of hostile.png is a FIFO (named pipe), not a file; put the original back"),
    ],
)
def test_rerun_refuses_a_recipe_that_points_at_a_device_or_fifo(
    made: tuple[Path, dict[str, object]], specials: dict[str, Path], tmp_path: Path, where: str, says: str
) -> None:
    png, recipe = made
    recipe = json.loads(json.dumps(recipe))
    if where == "mix":
        recipe["mix"] = [{"name": "zero", "path": "/dev/zero", "sha256": "0" * 64, "weight": 0.2}]
    else:
        recipe["audio"]["path"] = "/dev/zero" if where == "audio" else str(specials["fifo"])
    hostile = _with_recipe(png, recipe, tmp_path / "hostile.png")
    before = gallery_pngs(png.parent.parent)

    line = one_error_line(a2i("rerun", str(hostile)))

    assert says in line
    assert gallery_pngs(png.parent.parent) == before


@pytest.mark.parametrize("kind", ["fifo", "loop"])
def test_rerun_refuses_an_image_path_that_is_a_special_file(specials: dict[str, Path], kind: str) -> None:
    line = one_error_line(a2i("rerun", str(specials[kind])))
    assert f"{specials[kind]} {_SAYS[kind]}; pick an image saved by a2i-studio." in line


def test_hashing_refuses_a_file_larger_than_any_sound(tmp_path: Path) -> None:
    sparse = tmp_path / "huge.wav"
    with sparse.open("wb") as handle:  # a sparse file: its size without writing 66 GB
        handle.write(b"RIFF")
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(AudioTooLong, match=r"huge\.wav is larger than 66 GB, more than any sound a2i-studio reads"):
        file_sha256(sparse)


def test_the_app_starts_with_a_symlink_loop_on_its_command_line(specials: dict[str, Path]) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", EXIT_AFTER_PAINT: "1"}
    result = subprocess.run(
        [sys.executable, "-m", "a2i_studio.gui", str(specials["loop"])],
        env=env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert any(line.startswith("first-paint ") for line in result.stdout.splitlines())
