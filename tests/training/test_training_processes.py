"""A training run split across two CPU processes (``torch.distributed.run``) is one run, not two.

What is asserted, and why:

- every process takes the same steps as a one-process run, each on its half of
  every batch, and the halves of a step are disjoint and make up that step's
  batch: the work is split, not repeated;
- one set of checkpoints and one model are written (by the main process);
- the per-step losses and the validation metric match the one-process run to
  1e-5 relative, and the weights to 2e-3: the two processes' gradients are
  averaged before each step, which equals one process's gradient of the whole
  batch up to the order of float additions; Adam divides by the gradient's
  running size, so where a gradient is near zero that rounding moves a weight
  by up to the learning rate (3e-3) per step, never more.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from a2i_studio.datasets.soundscapes import make_soundscapes

RECORD = Path(__file__).parent / "_record_shares.py"


@pytest.fixture(scope="module")
def soundscapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("soundscapes")
    make_soundscapes(folder, n=24, seed=3, seconds=1.0, workers=1)
    return folder


def _train(launcher: list[str], data: Path, out: Path) -> list[list[list[int]]]:
    """Run ``a2i train pixel`` under ``launcher``; each process's recorded ``[step, items]``."""
    out.mkdir()
    command = [*launcher, str(RECORD), str(out), "train", "pixel", "--data", str(data), "--out", str(out / "run"),
               "--preset", "tiny", "--epochs", "2", "--batch-size", "4", "--val-fraction", "0.25", "--seed", "1",
               "--precision", "no"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(path.read_text()) for path in sorted(out.glob("shares-*.json"))]


@pytest.mark.slow
def test_two_cpu_processes_split_every_batch_and_train_the_one_process_result(
    soundscapes: Path, tmp_path: Path
) -> None:
    (single,) = _train([sys.executable], soundscapes, tmp_path / "one")
    first, second = _train([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"],
                           soundscapes, tmp_path / "two")

    # 1. The same 8 steps in each process, each on half of the one-process batch.
    assert [index for index, _ in single] == list(range(8)) == [index for index, _ in first] == [
        index for index, _ in second
    ]
    for (_, whole), (_, half_a), (_, half_b) in zip(single, first, second, strict=True):
        assert len(half_a) == len(half_b) == 2 and not set(half_a) & set(half_b)
        assert sorted(half_a + half_b) == sorted(whole)

    # 2. One run's files: the same checkpoints and model as one process writes.
    one, two = tmp_path / "one" / "run", tmp_path / "two" / "run"
    assert sorted(path.name for path in (two / "checkpoints").iterdir()) == sorted(
        path.name for path in (one / "checkpoints").iterdir()
    )
    runs = {json.loads((folder / "state.json").read_text())["run"] for folder in (two / "checkpoints").iterdir()}
    assert len(runs) == 1

    # 3. The one-process result, up to float rounding.
    metrics_one, metrics_two = (json.loads((run / "metrics.json").read_text()) for run in (one, two))
    assert metrics_two["losses"] == pytest.approx(metrics_one["losses"], rel=1e-5)
    assert metrics_two["val_bits_per_pixel"] == pytest.approx(metrics_one["val_bits_per_pixel"], rel=1e-5)
    weights_one, weights_two = (load_file(run / "pixel-transformer.safetensors") for run in (one, two))
    assert weights_one.keys() == weights_two.keys()
    assert max(float((weights_one[key] - weights_two[key]).abs().max()) for key in weights_one) < 2e-3
