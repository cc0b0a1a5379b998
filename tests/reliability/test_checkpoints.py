"""Training runs that can always resume: a kill mid-save, a full disk, a damaged optimizer file.

Each case runs ``a2i train pixel`` (the tiny preset: 2 steps an epoch) and
asserts one ``error:`` sentence and the exit code, no traceback, the last good
checkpoint kept, and that the same command run again resumes it: the finished
run's checkpoints belong to the run that was interrupted (same run id), and
the epochs before the failure are not trained again.

The full disk is a real one: a 7 MB tmpfs mounted in a user and mount
namespace (``unshare``), where the second checkpoint (4.7 MB each) does not
fit; torch and safetensors then fail inside their own writers, as on a user's
disk. The run folder is copied out of the namespace and resumed from there,
as if space had been freed. The test is skipped where unprivileged
namespaces are not allowed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from a2i_studio.cli import main
from a2i_studio.datasets import write_metadata
from a2i_studio.datasets.soundscapes import make_item

STEP = "step-{:08d}"


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six one-second soundscapes of two scenes: 4 training and 2 validation pairs."""
    root = tmp_path_factory.mktemp("pairs")
    write_metadata(root, [make_item(root, index, seed=3, seconds=1.0) for index in (0, 1, 8, 9, 16, 17)])
    return root


def _argv(data: Path, out: Path) -> list[str]:
    return ["train", "pixel", "--data", str(data), "--out", str(out), "--preset", "tiny", "--epochs", "3",
            "--batch-size", "2", "--val-fraction", "0.34", "--seed", "1", "--precision", "no"]


def _run_id(folder: Path) -> str:
    run: str = json.loads((folder / "state.json").read_text())["run"]
    return run


def _resumes(data: Path, out: Path, kept: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same command finishes the run that wrote ``kept``, training only the epochs after it."""
    state = json.loads((kept / "state.json").read_text())
    capsys.readouterr()
    assert main(_argv(data, out)) == 0, capsys.readouterr().err
    report = json.loads((out / "metrics.json").read_text())
    assert [row["epoch"] for row in report["history"]] == [1, 2, 3] and report["steps"] == 6
    assert report["history"][: len(state["history"])] == state["history"]  # those epochs were not trained again
    checkpoints = sorted((out / "checkpoints").iterdir())
    assert checkpoints[-1].name == STEP.format(6) and all(_run_id(folder) == state["run"] for folder in checkpoints)


def _one_sentence(stderr: str) -> str:
    """The one ``error:`` line (the others are progress lines, written when stderr is not a terminal)."""
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and errors[0].count(". ") == 0 and "Traceback" not in stderr, stderr
    return errors[0]


def test_a_kill_between_the_checkpoints_files_leaves_the_last_one_whole(
    pairs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    # Killed (SIGKILL) in epoch 2's checkpoint: after weights.safetensors, before optimizer.pt.
    kill_at_second_optimizer_write = (
        "import os, signal, sys, torch\n"
        "from a2i_studio.cli import main\n"
        "real, calls = torch.save, []\n"
        "def save(*args, **kwargs):\n"
        "    calls.append(1)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(*args, **kwargs)\n"
        "torch.save = save\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    killed = subprocess.run([sys.executable, "-c", kill_at_second_optimizer_write, *_argv(pairs, out)],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9
    entries = sorted(path.name for path in (out / "checkpoints").iterdir())
    assert entries[-1] == STEP.format(2)  # the whole checkpoint of epoch 1
    partial = [name for name in entries if name != STEP.format(2)]
    assert len(partial) == 1 and partial[0].startswith(f".{STEP.format(4)}.a2i-tmp-")  # hidden, never resumed from
    _resumes(pairs, out, out / "checkpoints" / STEP.format(2), capsys)
    assert not (out / "checkpoints" / partial[0]).exists()  # the dead writer's folder was cleared


def test_a_full_disk_in_epoch_2_says_so_in_one_sentence_and_keeps_epoch_1(
    pairs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("unshare") is None or subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True
    ).returncode:
        pytest.skip("needs unshare with unprivileged user and mount namespaces to mount a small tmpfs")
    disk, copy = tmp_path / "disk", tmp_path / "copy"
    disk.mkdir()
    out = disk / "run"
    command = " ".join(shlex.quote(part) for part in [sys.executable, "-m", "a2i_studio.cli", *_argv(pairs, out)])
    # The run folder lives on the tmpfs, which goes with the namespace: what it held is copied out for the resume.
    script = (
        f"mount -t tmpfs -o size=7m tmpfs {disk} && cd {tmp_path} || exit 99\n"
        f"{command} 2> first.err; echo $? > first.code\n"
        f"ls -A {out / 'checkpoints'} > first.ls\n"
        f"cp -r {out} {copy}\n"
    )
    done = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                          capture_output=True, text=True, timeout=240, env=os.environ)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "first.code").read_text().strip() == "1"
    assert _one_sentence((tmp_path / "first.err").read_text()) == (
        f"error: The disk is full: the checkpoint at step 4 could not be written to {out / 'checkpoints'} (the "
        f"checkpoint at step 2 is kept in {out / 'checkpoints' / STEP.format(2)}); free some space and run the same "
        "command again to resume."
    )
    assert (tmp_path / "first.ls").read_text().split() == [STEP.format(2)]  # no temporary folder left behind
    _resumes(pairs, copy, copy / "checkpoints" / STEP.format(2), capsys)


def test_a_damaged_optimizer_file_is_named_in_one_sentence(
    pairs: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = [*_argv(pairs, out)]
    argv[argv.index("--epochs") + 1] = "1"
    assert main(argv) == 0
    folder = out / "checkpoints" / STEP.format(2)
    (folder / "optimizer.pt").write_bytes(b"PK\x03\x04 this is not a checkpoint")
    capsys.readouterr()
    assert main(_argv(pairs, out)) == 1
    sentence = _one_sentence(capsys.readouterr().err)
    assert sentence.startswith(f"error: The training checkpoint {folder} cannot be read: optimizer.pt is damaged (")
    assert sentence.endswith("); delete that folder to resume from the checkpoint before it, or run again with "
                             "--fresh to start over.")
    assert (folder / "weights.safetensors").is_file()  # nothing was deleted
    capsys.readouterr()
    assert main([*_argv(pairs, out), "--fresh"]) == 0
    assert sorted(path.name for path in (out / "checkpoints").iterdir())[-1] == STEP.format(6)
