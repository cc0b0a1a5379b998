"""Shared training pieces: whole-folder checkpoints (last and best kept), epoch-seeded batches, curves, JSON."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from a2i_studio.errors import CheckpointError, ParamError
from a2i_studio.training import (
    CheckpointStore,
    TrainingCheckpoint,
    epoch_permutation,
    plot_loss_curves,
    shuffled_batches,
    write_json,
)


def _checkpoint(step: int, run: str = "0001", score: float | None = None) -> TrainingCheckpoint:
    torch.manual_seed(step)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.randn(5, 3)).sum().backward()
    optimizer.step()
    return TrainingCheckpoint(
        step=step, run=run, score=score,
        weights={"generator": model.state_dict(), "critic": {"w": torch.arange(6.0).reshape(2, 3)}},
        optimizers={"generator": optimizer.state_dict()},
        rng_state=torch.get_rng_state(),
        state={"history": [{"epoch": 1, "loss": 0.5}], "settings": {"lr": 0.1}},
    )


def _folders(store: CheckpointStore) -> list[str]:
    return sorted(path.name for path in store.folder.iterdir())


def test_a_checkpoint_reads_back_exactly(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path / "checkpoints")
    assert store.last() is None and store.newest() is None
    original = _checkpoint(2, score=0.5)
    folder, best = store.save(original)
    assert folder == tmp_path / "checkpoints" / "step-00000002" and best
    loaded = store.last()
    assert loaded is not None
    assert (loaded.step, loaded.run, loaded.score, loaded.state) == (2, "0001", 0.5, original.state)
    for model, tensors in original.weights.items():
        assert set(loaded.weights[model]) == set(tensors)
        for key, tensor in tensors.items():
            assert torch.equal(loaded.weights[model][key], tensor)
    assert torch.equal(loaded.rng_state, original.rng_state)
    for index, values in original.optimizers["generator"]["state"].items():
        for name, value in values.items():
            assert torch.equal(loaded.optimizers["generator"]["state"][index][name], value)
    assert sorted(path.name for path in folder.iterdir()) == ["optimizer.pt", "state.json", "weights.safetensors"]


def test_the_newest_and_the_best_checkpoint_of_the_run_are_kept(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    scores = {1: 0.9, 2: 0.4, 3: 0.6, 4: None, 5: 0.5}
    bests = [store.save(_checkpoint(step, score=score))[1] for step, score in scores.items()]
    assert bests == [True, True, False, False, False]
    assert _folders(store) == ["step-00000002", "step-00000005"]
    best = store.best("0001")
    last = store.last()
    assert best is not None and last is not None and (best.step, last.step) == (2, 5)


def test_a_fresh_run_replaces_the_old_runs_checkpoints_only_when_it_saves(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    store.save(_checkpoint(4, run="0001", score=0.1))
    store.save(_checkpoint(6, run="0001", score=0.3))
    newest = store.last()
    assert newest is not None and newest.run == "0001"
    # The new run's first checkpoint has a worse score and a lower step, yet it is the newest and its run's best.
    _, best = store.save(_checkpoint(4, run="0002", score=0.8))
    assert best and _folders(store) == ["step-00000004"]
    last = store.last()
    assert last is not None and (last.run, last.step, last.score) == ("0002", 4, 0.8)


def test_a_damaged_file_is_named_in_one_sentence(tmp_path: Path) -> None:
    store = CheckpointStore(tmp_path)
    folder, _ = store.save(_checkpoint(3))
    (folder / "optimizer.pt").write_bytes(b"\x80\x04not a pickle at all")
    with pytest.raises(CheckpointError, match=r"^The training checkpoint .*step-00000003 cannot be read: "
                                              r"optimizer\.pt is damaged \(.*\); delete that folder"):
        store.last()
    (folder / "weights.safetensors").write_bytes(b"not a tensor file")
    with pytest.raises(CheckpointError, match=r"weights\.safetensors is damaged"):
        store.last()
    (folder / "state.json").write_text("[1, 2")
    with pytest.raises(CheckpointError, match=r"state\.json is damaged"):
        store.last()


def test_epoch_batches_depend_only_on_seed_and_epoch() -> None:
    first = epoch_permutation(7, 0, 10)
    assert sorted(first) == list(range(10))
    assert epoch_permutation(7, 0, 10) == first
    assert epoch_permutation(7, 1, 10) != first
    assert epoch_permutation(8, 0, 10) != first
    batches = shuffled_batches(7, 0, 10, 4)
    assert batches == [first[0:4], first[4:8], first[8:10]]
    # Two processes split every batch; a last batch smaller than that is left out.
    assert len(shuffled_batches(7, 0, 9, 4)) == 3
    assert shuffled_batches(7, 0, 9, 4, processes=2) == shuffled_batches(7, 0, 9, 4)[:2]
    with pytest.raises(ParamError, match="batch_size 1 cannot be split between 2 processes"):
        shuffled_batches(7, 0, 10, 1, processes=2)


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
