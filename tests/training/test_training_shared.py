"""Shared training pieces: resumable checkpoints, epoch-seeded order, loss curves, metrics JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from a2i_studio.errors import CheckpointError
from a2i_studio.training import (
    EpochShuffle,
    TrainingCheckpoint,
    epoch_permutation,
    load_training_checkpoint,
    plot_loss_curves,
    save_training_checkpoint,
    write_json,
)


def _checkpoint(epoch: int) -> TrainingCheckpoint:
    torch.manual_seed(epoch)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    return TrainingCheckpoint(
        epoch=epoch,
        weights={"generator": model.state_dict(), "critic": {"w": torch.arange(6.0).reshape(2, 3)}},
        optimizers={"generator": optimizer.state_dict()},
        rng_state=torch.get_rng_state(),
        state={"history": [{"epoch": 1, "loss": 0.5}], "settings": {"lr": 0.1}},
    )


def test_a_checkpoint_reads_back_exactly(tmp_path: Path) -> None:
    assert load_training_checkpoint(tmp_path / "none") is None
    original = _checkpoint(2)
    save_training_checkpoint(tmp_path / "ckpt", original)
    loaded = load_training_checkpoint(tmp_path / "ckpt")
    assert loaded is not None
    assert loaded.epoch == 2 and loaded.state == original.state
    for model, tensors in original.weights.items():
        assert set(loaded.weights[model]) == set(tensors)
        for key, tensor in tensors.items():
            assert torch.equal(loaded.weights[model][key], tensor)
    assert torch.equal(loaded.rng_state, original.rng_state)
    saved_state = original.optimizers["generator"]["state"]
    for index, values in saved_state.items():
        for name, value in values.items():
            assert torch.equal(loaded.optimizers["generator"]["state"][index][name], value)
    assert sorted(path.name for path in (tmp_path / "ckpt").iterdir()) == [
        "optimizer.pt", "state.json", "weights.safetensors"
    ]


def test_a_checkpoint_whose_files_disagree_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ckpt"
    save_training_checkpoint(folder, _checkpoint(3))
    state = json.loads((folder / "state.json").read_text())
    (folder / "state.json").write_text(json.dumps({**state, "epoch": 4}))
    with pytest.raises(CheckpointError, match=r"mixes epochs \[3, 4\]"):
        load_training_checkpoint(folder)
    (folder / "weights.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_training_checkpoint(folder)


def test_epoch_order_depends_only_on_seed_and_epoch() -> None:
    first = epoch_permutation(7, 0, 10)
    assert sorted(first) == list(range(10))
    assert epoch_permutation(7, 0, 10) == first
    assert epoch_permutation(7, 1, 10) != first
    assert epoch_permutation(8, 0, 10) != first
    sampler = EpochShuffle(10, seed=7)
    sampler.set_epoch(1)
    assert list(sampler) == epoch_permutation(7, 1, 10) and len(sampler) == 10


def test_loss_curves_are_drawn_in_distinct_colours(tmp_path: Path) -> None:
    path = tmp_path / "curve.png"
    plot_loss_curves(path, {"train": [1.0, 0.5, 0.1, 0.05], "val": [1.2, 0.7, 0.3]}, title="t", size=(320, 200))
    pixels = np.asarray(Image.open(path).convert("RGB"))
    assert pixels.shape == (200, 320, 3)
    blue = np.all(pixels == (31, 119, 180), axis=-1)
    orange = np.all(pixels == (255, 127, 14), axis=-1)
    assert blue.sum() > 100 and orange.sum() > 100
    # train falls further than val on a log axis: its last point sits lower in the plot.
    assert np.nonzero(blue[:, 250:300])[0].max() > np.nonzero(orange[:, 190:240])[0].max()


def test_metrics_json_is_written_atomically_and_sorted(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "metrics.json"
    write_json(path, {"b": 1, "a": [0.5]})
    assert path.read_text() == '{\n  "a": [\n    0.5\n  ],\n  "b": 1\n}\n'
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]
