"""A plugin with two trainers written against the public API only (also used as a drop-in plugin).

- ``line``: a :class:`LoopTrainer` fitting ``y = w x`` by SGD. Its training target is
  ``w = 1`` and its validation target ``w = 0.5``, so the validation loss falls
  while ``w`` climbs past 0.5 and rises after: the best checkpoint is not the last.
  Noise from the global torch RNG is added to the targets, so an exact resume
  needs the RNG state restored too.
- ``echo``: a plain :class:`Trainer` that writes the settings it receives, to show
  that callers resolve every setting before ``train()``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from a2i_studio.core import ChoiceParam, FloatParam, IntParam, Trainer
from a2i_studio.hookspecs import hookimpl
from a2i_studio.training import LoopTrainer, RunResult, Step, TrainingLoop, TrainingRun, shuffled_batches

PAIRS = 12


class LineLoop(TrainingLoop):
    best_by = "val_loss"

    def __init__(self, settings: Mapping[str, Any], run: TrainingRun) -> None:
        import torch

        self.settings, self.run = settings, run
        torch.manual_seed(settings["seed"])
        self.x = torch.linspace(-1.0, 1.0, PAIRS)[:, None]
        model = torch.nn.Linear(1, 1, bias=False)
        torch.nn.init.zeros_(model.weight)
        optimizer = torch.optim.SGD(model.parameters(), lr=settings["learning_rate"])
        self.model, self.optimizer = run.accelerator.prepare(model, optimizer)
        self.shares: list[tuple[int, list[int]]] = []  # (step, items) this process trained on

    def rounds(self) -> list[list[list[int]]]:
        settings = self.settings
        return [shuffled_batches(settings["seed"], epoch, PAIRS, settings["batch_size"], self.run.processes)
                for epoch in range(settings["epochs"])]

    def train_step(self, step: Step) -> float:
        import torch

        share = list(step.share(step.batch))
        self.shares.append((step.index, share))
        x = self.x[share]
        target = x + 0.01 * torch.randn(len(share), 1)
        loss = torch.nn.functional.mse_loss(self.model(x), target)
        self.optimizer.zero_grad()
        self.run.accelerator.backward(loss * step.weight(step.batch))
        self.optimizer.step()
        return float(loss.detach())

    def evaluate(self) -> dict[str, float]:
        weight = self.weight()
        return {"val_loss": (weight - 0.5) ** 2, "weight": weight}

    def weight(self) -> float:
        return float(self.run.accelerator.unwrap_model(self.model).weight.detach()[0, 0])

    def state(self) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        return {"line": self.run.accelerator.unwrap_model(self.model).state_dict()}, {
            "sgd": self.optimizer.state_dict()
        }

    def restore(self, weights: dict[str, dict[str, Any]], optimizers: dict[str, Any] | None) -> None:
        self.run.accelerator.unwrap_model(self.model).load_state_dict(weights["line"])
        if optimizers is not None:
            self.optimizer.load_state_dict(optimizers["sgd"])

    def finish(self, out: Path, result: RunResult) -> dict[str, Any]:
        path = out / "line.json"
        path.write_text(json.dumps({"weight": self.weight(), "exported": result.exported}))
        return {"model": str(path)}


class LineTrainer(LoopTrainer):
    id = "line"
    name = "Line"
    description = "Fits y = w x; its validation target is w = 0.5."
    presets: ClassVar[dict[str, dict[str, Any]]] = {"slow": {}, "fast": {"learning_rate": 0.3, "epochs": 3}}
    params = (
        ChoiceParam("preset", "slow", "starting point", choices=("slow", "fast")),
        IntParam("epochs", 6, "passes", minimum=1),
        IntParam("batch_size", 4, "pairs per step", minimum=1),
        FloatParam("learning_rate", 0.1, "SGD learning rate", minimum=0.0),
        IntParam("seed", 0, "batch order"),
    )
    loops: ClassVar[list[LineLoop]] = []

    def prepare(self, data: Path, out: Path, settings: dict[str, Any], run: TrainingRun) -> TrainingLoop:
        loop = LineLoop(settings, run)
        self.loops.append(loop)
        return loop


class EchoTrainer(Trainer):
    id = "echo"
    name = "Echo"
    description = "Writes the settings it is given."
    presets: ClassVar[dict[str, dict[str, Any]]] = {"small": {"epochs": 2}, "big": {"epochs": 50}}
    params = (
        ChoiceParam("preset", "small", "starting point", choices=("small", "big")),
        IntParam("epochs", 1, "passes", minimum=1),
        FloatParam("learning_rate", 0.01, "rate"),
    )

    def train(self, data: Path, out: Path, settings: Mapping[str, Any], progress: Any = None, cancel: Any = None,
              events: Any = None, *, fresh: bool = False) -> dict[str, Any]:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / "settings.json").write_text(json.dumps({**settings, "fresh": fresh}))
        return {"epochs": settings["epochs"]}


@hookimpl
def a2i_register_trainers(registry: Any) -> None:
    registry.add_trainer(LineTrainer())
    registry.add_trainer(EchoTrainer())
