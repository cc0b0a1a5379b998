"""The trainer contract, through a plugin trainer that uses the public API only (``line_trainer_plugin``)."""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import torch
from line_trainer_plugin import LineTrainer

from a2i_studio.cli import main
from a2i_studio.core import (
    CancelToken,
    CheckpointEvent,
    EvaluationEvent,
    Progress,
    Registry,
    StepEvent,
    Trainer,
    TrainingEvent,
    TrainingEvents,
)
from a2i_studio.errors import Cancelled, CheckpointError, ParamError, PluginError
from a2i_studio.training import CheckpointStore, Step, resolve_precision

HERE = Path(__file__).parent


def _train(out: Path, cancel_at: int | None = None, **settings: Any) -> dict[str, Any]:
    cancel = CancelToken()

    def progress(report: Progress) -> None:
        if cancel_at is not None and report.stage.startswith("epoch") and report.step == cancel_at:
            cancel.cancel()

    return LineTrainer().train(out, out, {"precision": "no", **settings}, progress, cancel)


def _history(out: Path) -> list[dict[str, Any]]:
    history: list[dict[str, Any]] = json.loads((out / "metrics.json").read_text())["history"]
    return history


def test_every_setting_reaches_a_plugin_trainer_through_the_cli(
    drop_in_file: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drop_in_file(HERE / "line_trainer_plugin.py")
    assert main(["train", "echo", "--data", str(tmp_path), "--out", str(tmp_path / "a"), "--preset", "big"]) == 0
    assert json.loads((tmp_path / "a" / "settings.json").read_text()) == {
        "preset": "big", "epochs": 50, "learning_rate": 0.01, "fresh": False,
    }
    assert main(["train", "echo", "--data", str(tmp_path), "--out", str(tmp_path / "b"), "--epochs", "3",
                 "--fresh"]) == 0
    assert json.loads((tmp_path / "b" / "settings.json").read_text())["epochs"] == 3  # given wins over the preset
    assert json.loads((tmp_path / "b" / "settings.json").read_text())["fresh"] is True


def test_a_trainer_without_the_contracts_arguments_is_refused_at_registration() -> None:
    class OldTrainer(Trainer):
        id = "old"
        name = "Old"

        def train(self, data: Path, out: Path, settings: Any, progress: Any = None, cancel: Any = None) -> Any:
            return {}

    registry = Registry().for_plugin("old_plugin")
    with pytest.raises(PluginError, match=r"train\(\) does not take events or fresh; write it as train\(self, data"):
        registry.add_trainer(OldTrainer())
    registry.add_trainer(LineTrainer())
    assert registry.get("trainer", "line") is not None


def test_presets_sit_under_given_values_and_common_settings_are_added() -> None:
    trainer = LineTrainer()
    assert [param.name for param in trainer.params][-2:] == ["precision", "export"]
    fast = trainer.resolve_settings({"preset": "fast", "epochs": "9"})
    assert (fast["learning_rate"], fast["epochs"], fast["export"]) == (0.3, 9, "best")
    with pytest.raises(ParamError, match="line has no parameter 'rate'"):
        trainer.resolve_settings({"rate": 1})


def test_an_interrupted_run_resumes_to_what_an_uninterrupted_run_makes(tmp_path: Path) -> None:
    straight = _train(tmp_path / "straight", epochs=6)
    with pytest.raises(Cancelled, match=r"^Training was cancelled at step 7 of 18; the checkpoint at step 6 is "
                                        r"kept in .*step-00000006; run the same command again to resume\.$"):
        _train(tmp_path / "resumed", cancel_at=7, epochs=6)
    resumed = _train(tmp_path / "resumed", epochs=6)
    assert resumed.pop("seconds") >= 0 and straight.pop("seconds") >= 0
    assert resumed == {**straight, "model": str(tmp_path / "resumed" / "line.json")}
    assert _history(tmp_path / "resumed") == _history(tmp_path / "straight")


def test_changing_epochs_on_resume_extends_or_shortens_the_run(tmp_path: Path) -> None:
    _train(tmp_path / "straight", epochs=5)
    _train(tmp_path / "grown", epochs=2)
    grown = _train(tmp_path / "grown", epochs=5)
    assert _history(tmp_path / "grown") == _history(tmp_path / "straight")
    assert grown["epochs"] == grown["steps"] / 3 == 5
    shortened = _train(tmp_path / "grown", epochs=3)  # nothing left to train: it finishes at once
    assert (shortened["epochs"], shortened["steps"]) == (5, 15)


def test_other_settings_are_refused_on_resume_and_fresh_starts_over(tmp_path: Path) -> None:
    _train(tmp_path, epochs=2)
    with pytest.raises(CheckpointError, match=r"was trained with learning_rate=0\.1, not 0\.2; resume with the same "
                                              r"learning_rate, add --fresh to start over, or choose another --out\."):
        _train(tmp_path, epochs=2, learning_rate=0.2)
    (tmp_path / "notes.txt").write_text("mine")
    store = CheckpointStore(tmp_path / "checkpoints")
    old = store.last()
    assert old is not None
    # A fresh run cancelled before its first checkpoint leaves the old run whole and resumable.
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled, match="the checkpoint at step 6 is kept"):
        LineTrainer().train(tmp_path, tmp_path, {"precision": "no", "learning_rate": 0.2}, cancel=cancel, fresh=True)
    kept = store.last()
    assert kept is not None and (kept.run, kept.step) == (old.run, 6)
    fresh = LineTrainer().train(tmp_path, tmp_path, {"precision": "no", "learning_rate": 0.2, "epochs": 2},
                                fresh=True)
    assert fresh["steps"] == 6 and _history(tmp_path)[0]["step"] == 3
    new = store.last()
    assert new is not None and new.run > old.run
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_best_checkpoint_is_kept_beside_the_last_and_exported(tmp_path: Path) -> None:
    best = _train(tmp_path / "best", epochs=6)
    history = _history(tmp_path / "best")
    val = [row["val_loss"] for row in history]
    assert val.index(min(val)) == 2 and val[-1] > min(val)  # w climbs past 0.5 in epoch 3
    assert (best["best_epoch"], best["exported_epoch"], best["exported"]) == (3, 3, "best")
    assert sorted(path.name for path in (tmp_path / "best" / "checkpoints").iterdir()) == [
        "step-00000009", "step-00000018"
    ]
    exported = json.loads((tmp_path / "best" / "line.json").read_text())
    assert exported["weight"] == history[2]["weight"] == best["weight"]
    last = _train(tmp_path / "last", epochs=6, export="last")
    assert json.loads((tmp_path / "last" / "line.json").read_text())["weight"] == history[-1]["weight"]
    assert (last["exported_epoch"], last["best_epoch"]) == (6, 3)


def test_events_report_steps_evaluations_and_checkpoints_and_pause_holds_the_run(tmp_path: Path) -> None:
    seen: list[TrainingEvent] = []
    events = TrainingEvents()
    resumed_at: list[float] = []
    step_times: dict[int, float] = {}

    def resume_later() -> None:
        time.sleep(0.3)
        resumed_at.append(time.monotonic())
        events.resume()

    def on_event(event: TrainingEvent) -> None:
        seen.append(event)
        if isinstance(event, StepEvent):
            step_times[event.step] = time.monotonic()
            if event.step == 2:
                events.pause()
                threading.Thread(target=resume_later).start()

    events.on_event = on_event
    LineTrainer().train(tmp_path, tmp_path, {"precision": "no", "epochs": 2}, events=events)
    steps = [event for event in seen if isinstance(event, StepEvent)]
    assert [event.step for event in steps] == [1, 2, 3, 4, 5, 6] and all(event.total == 6 for event in steps)
    assert step_times[3] > resumed_at[0]  # step 3 waited for the resume
    evaluations = [event for event in seen if isinstance(event, EvaluationEvent)]
    assert [(event.round, event.rounds, event.step, event.best) for event in evaluations] == [
        (1, 2, 3, True), (2, 2, 6, True)
    ]
    assert set(evaluations[0].metrics) == {"train_loss", "val_loss", "weight"}
    checkpoints = [event for event in seen if isinstance(event, CheckpointEvent)]
    assert [event.step for event in checkpoints] == [3, 6]
    assert not checkpoints[0].folder.exists() and checkpoints[1].folder.is_dir()  # the older one was dropped


def test_precision_auto_takes_bf16_only_where_it_is_native(monkeypatch: pytest.MonkeyPatch) -> None:
    # A CPU without AVX512-BF16 or AMX (the machine's own answers, replaced; the same on a GPU machine).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert resolve_precision("auto") == "no"
    assert resolve_precision("bf16") == "bf16"  # asked for explicitly: honoured, with a warning
    with pytest.raises(ParamError, match="precision fp16 needs a CUDA GPU"):
        resolve_precision("fp16")
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    assert resolve_precision("auto") == ("bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "no")


def test_a_step_gives_each_process_its_share_and_weight() -> None:
    batch = [7, 3, 9, 1, 4]
    shares = [Step(0, 0, batch, process, 2) for process in (0, 1)]
    assert [list(step.share(batch)) for step in shares] == [[7, 9, 4], [3, 1]]
    assert [step.weight(batch) for step in shares] == [1.2, 0.8]  # mean losses weighted back to the batch mean
    assert torch.equal(shares[1].share(torch.arange(5)), torch.tensor([1, 3]))


@pytest.fixture
def drop_in_file(app_dirs: dict[str, Path]) -> Any:
    def install(path: Path) -> Path:
        folder = app_dirs["config"] / "plugins"
        folder.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(path, folder / path.name))

    return install
