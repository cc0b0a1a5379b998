"""The trainer contract: settings resolved from presets, resume, reports, cancel (``a2i train ID``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from a2i_studio.core._components import CancelToken, Component, ProgressCallback
from a2i_studio.core._events import TrainingEvents
from a2i_studio.core._params import resolve_params

__all__ = ["Trainer"]


class Trainer(Component):
    """Trains a model from a dataset folder (``a2i train ID``); :attr:`params` are its settings.

    The contract every trainer keeps, built-in or plugin:

    - **Settings.** :meth:`resolve_settings` turns what the user chose into every
      setting: parameter defaults, then the chosen preset's values (:attr:`presets`),
      then the values given. The CLI and the app resolve before calling :meth:`train`,
      so ``train`` always receives every setting.
    - **Resume.** Running again with the same ``out`` continues from its last
      checkpoint (the number of epochs may change: the run is extended or
      shortened); ``fresh=True`` starts over, and the old checkpoints are replaced
      only once the new run has saved its first.
    - **Reports.** ``progress`` gets plain :class:`Progress`; ``events`` gets the
      richer :data:`~a2i_studio.core.TrainingEvent` stream and holds the pause
      switch; ``cancel`` stops the run before its next step, keeping its last checkpoint.

    :class:`a2i_studio.training.LoopTrainer` keeps this contract for a trainer
    that supplies its data, model and step; a trainer may also implement
    :meth:`train` itself.

    Attributes:
        presets: Setting values by preset name, applied under the values given;
            a trainer with presets declares a ``preset`` :class:`ChoiceParam`.
        makes: The kind of component a finished run adds (``"adapter"``, ``"generator"``), or ``""``.
            A trainer that makes adapters is offered for chains that lack one ("train an adapter for
            vggish → sd15"); it takes ``encoder``, ``generator`` and ``adapter_id`` settings.
    """

    kind: ClassVar[str] = "trainer"
    presets: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    makes: ClassVar[str] = ""

    def resolve_settings(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every setting: defaults, then the preset's values, then ``given``, each validated.

        Args:
            given: Setting values the user chose, by name (typed, or text as typed).

        Returns:
            One valid value for every parameter in :attr:`params`.

        Raises:
            ParamError: For an unknown setting or preset, or an invalid value.
        """
        chosen = dict(given)
        preset_param = next((param for param in self.params if param.name == "preset"), None)
        if preset_param is not None:
            preset = preset_param.validate(chosen.get("preset", preset_param.default))
            chosen = {**self.presets.get(preset, {}), **chosen}
        return resolve_params(self.params, chosen, self.id)

    def train(
        self,
        data: Path,
        out: Path,
        settings: Mapping[str, Any],
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        events: TrainingEvents | None = None,
        *,
        fresh: bool = False,
    ) -> dict[str, Any]:
        """Train on ``data``, write checkpoints and reports under ``out``, return the final metrics.

        Args:
            data: The dataset folder.
            out: The run folder: checkpoints, reports, samples.
            settings: Every setting (see :meth:`resolve_settings`).
            progress: Called with plain progress reports.
            cancel: Checked between steps; a cancelled run keeps its last checkpoint.
            events: Where step losses, metrics, samples and checkpoints are reported; its pause switch is honoured.
            fresh: Start over instead of resuming from ``out``'s checkpoint.
        """
        raise NotImplementedError
