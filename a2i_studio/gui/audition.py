"""The audition grid: pick clips and chains, see every clip x chain image side by side, judge and export.

Jobs come from :func:`a2i_studio.batch.expand_jobs` (the same expansion as
``a2i batch``) and run on the app's job queue, so the grid never blocks the UI
and shares the one engine with everything else; cells fill as jobs finish.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from a2i_studio.files import expand_paths
from a2i_studio.gui.audition_model import AuditionModel, Verdict
from a2i_studio.gui.playback import Player

if TYPE_CHECKING:
    from a2i_studio.batch import BatchJob
    from a2i_studio.core import Chain
    from a2i_studio.gallery import Gallery
    from a2i_studio.gui.jobs import Job, JobQueue

__all__ = ["AuditionDialog"]


class AuditionDialog(QDialog):
    """Clips x chains, generated on the job queue, with star / keep / reject, re-roll, play and export.

    Args:
        queue: The app's job queue (its engine saves every image to the gallery).
        chains: The runnable chains to choose from.
        clips: The library's clips, offered ticked.
        params_for: The parameters to run a chain with (the chain panel's for its chain, else defaults).
        gallery: Stars are also set there; ``None`` keeps them in the grid only.

    Signals:
        failed: ``(error, context)`` for the window's notices.
    """

    failed = Signal(object, str)

    def __init__(self, queue: JobQueue, chains: Sequence[Chain], clips: Sequence[Path],
                 params_for: Callable[[Chain], Mapping[str, Mapping[str, Any]]], gallery: Gallery | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audition grid")
        self.resize(1100, 680)
        self.queue, self.gallery, self._params_for = queue, gallery, params_for
        self._chains = {chain.id: chain for chain in chains}
        self.model: AuditionModel | None = None
        self._queued: dict[Job, BatchJob] = {}
        self._started = 0.0
        self.player = Player(self)
        self.player.failed.connect(self.failed)

        self.clip_list, self.chain_list = QListWidget(self), QListWidget(self)
        for path in clips:
            self._add_clip(path)
        for index, chain in enumerate(chains):
            item = QListWidgetItem(chain.id, self.chain_list)
            item.setCheckState(Qt.CheckState.Checked if index < 2 else Qt.CheckState.Unchecked)
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        add_folder, fill = QPushButton("Add folder…", self), QPushButton("Fill grid", self)
        add_folder.clicked.connect(self._on_add_folder_clicked)
        fill.clicked.connect(self._on_fill_clicked)
        setup = QVBoxLayout()
        for widget in (QLabel("Clips", self), self.clip_list, add_folder, QLabel("Chains", self), self.chain_list,
                       QLabel("Seed", self), self.seed, fill):
            setup.addWidget(widget)

        self.view = QTableView(self)
        self.view.setIconSize(QSize(96, 96))
        self.view.setWordWrap(False)
        self.status = QLabel("Pick clips and chains, then Fill grid.", self)
        self.buttons: dict[str, QPushButton] = {}
        actions: list[tuple[str, str, Callable[[], None]]] = [
            ("star", "★ Star", lambda: self._judge("starred")),
            ("keep", "✓ Keep", lambda: self._judge("kept")),
            ("reject", "✗ Reject", lambda: self._judge("rejected")),
            ("clear", "Clear mark", lambda: self._judge(None)),
            ("reroll", "Re-roll", self._on_reroll_clicked),
            ("play", "▶ Play row", self._on_play_clicked),
            ("export", "Export kept…", self._on_export_clicked),
        ]
        row = QHBoxLayout()
        for key, text, slot in actions:
            self.buttons[key] = QPushButton(text, self)
            self.buttons[key].clicked.connect(slot)
            row.addWidget(self.buttons[key])
        grid = QVBoxLayout()
        grid.addWidget(self.view, 1)
        grid.addLayout(row)
        grid.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.addLayout(setup)
        layout.addLayout(grid, 1)
        queue.job_finished.connect(self._on_job_finished)
        queue.job_failed.connect(self._on_job_failed)

    def fill(self, clips: Sequence[Path], chain_ids: Sequence[str], seed: int) -> None:
        """Build the grid and queue one job per cell (clip-major)."""
        from a2i_studio.batch import BatchClip, ChainRun, expand_jobs

        self._forget_queued()
        runs = [ChainRun(chain_id, (self._params_for(self._chains[chain_id]),)) for chain_id in chain_ids]
        jobs = expand_jobs([BatchClip(path) for path in clips], runs, [seed])
        self.model = AuditionModel([path.name for path in clips], list(chain_ids), jobs, parent=self)
        self.view.setModel(self.model)
        self.view.resizeColumnsToContents()
        self.view.resizeRowsToContents()
        self._started = time.monotonic()
        for job in jobs:
            self._queue(job)
        self._update_status()

    def judge(self, row: int, column: int, verdict: Verdict | None) -> None:
        """Mark a cell; a star also stars the image in the gallery."""
        assert self.model is not None
        cell = self.model.cell(row, column)
        self.model.set_verdict(row, column, verdict)
        if self.gallery is not None and cell.path is not None:
            item_id = cell.path.stem
            self.gallery.set_starred(item_id, verdict == "starred")

    def reroll(self, row: int, column: int) -> None:
        """Make the cell again with a new random seed."""
        assert self.model is not None
        job = replace(self.model.cell(row, column).job, seed=random.randint(0, 2**31 - 1))
        self.model.reroll(row, column, job)
        self._queue(job)
        self._update_status()

    def export_kept(self, folder: Path) -> list[Path]:
        """Copy the starred and kept images to ``folder`` as ``clip-chain-seed.png``; returns the copies."""
        assert self.model is not None
        folder.mkdir(parents=True, exist_ok=True)
        copies = []
        for cell in self.model.cells:
            if cell.verdict in ("starred", "kept") and cell.path is not None:
                chain = cell.job.chain.replace(">", "-")
                copies.append(Path(shutil.copyfile(cell.path, folder / f"{cell.job.clip.audio.stem}-{chain}-"
                                                                      f"{cell.job.seed}.png")))
        return copies

    def done(self, result: int) -> None:
        """Closing takes the grid's waiting jobs out of the queue."""
        self._forget_queued()
        self.player.stop()
        super().done(result)

    def _queue(self, job: BatchJob) -> None:
        from a2i_studio.engine import GenerationRequest
        from a2i_studio.gui.jobs import describe

        request = GenerationRequest(audio=job.clip.audio, chain=job.chain, seed=job.seed, n=1, params=job.params)
        self._queued[self.queue.add(request, f"audition: {describe(request)}")] = job

    def _forget_queued(self) -> None:
        for row in reversed(range(len(self.queue.jobs))):
            queued = self.queue.jobs[row]
            if queued in self._queued and not queued.running:
                self.queue.remove(row)
        self._queued.clear()

    def _on_job_finished(self, job: Job, results: list[Any]) -> None:
        batch_job = self._queued.pop(job, None)
        if batch_job is not None and self.model is not None:
            item = results[0].item
            self.model.set_result(batch_job, results[0].image, item.path if item is not None else None)
            self._update_status()

    def _on_job_failed(self, job: Job, error: BaseException) -> None:
        batch_job = self._queued.pop(job, None)
        if batch_job is not None and self.model is not None:
            self.model.set_result(batch_job, None, None, str(error))
            self._update_status()

    def _update_status(self) -> None:
        from a2i_studio.batch import format_eta

        if self.model is None:
            return
        done, total = self.model.done(), len(self.model.cells)
        eta = ""
        if 0 < done < total:
            eta = f" · ETA {format_eta((time.monotonic() - self._started) / done * (total - done))}"
        self.status.setText(f"{done}/{total} cells{eta}")

    def _selected(self) -> list[tuple[int, int]]:
        return [(index.row(), index.column()) for index in self.view.selectionModel().selectedIndexes()] \
            if self.model is not None else []

    def _judge(self, verdict: Verdict | None) -> None:
        for row, column in self._selected():
            self.judge(row, column, verdict)

    def _on_reroll_clicked(self) -> None:
        for row, column in self._selected():
            self.reroll(row, column)

    def _on_play_clicked(self) -> None:
        selected = self._selected()
        if selected and self.model is not None:
            self.player.play(self.model.cell(*selected[0]).job.clip.audio, 0.0, None)

    def _on_export_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export kept images to")
        if folder:
            copies = self.export_kept(Path(folder))
            self.status.setText(f"Exported {len(copies)} images to {folder}")

    def _on_add_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add the clips of a folder")
        if folder:
            for path in expand_paths([Path(folder)]):
                self._add_clip(path)

    def _on_fill_clicked(self) -> None:
        clips = [Path(item.data(Qt.ItemDataRole.UserRole)) for item in _checked(self.clip_list)]
        chains = [item.text() for item in _checked(self.chain_list)]
        if not clips or not chains:
            self.status.setText("Tick at least one clip and one chain.")
            return
        self.fill(clips, chains, self.seed.value())

    def _add_clip(self, path: Path) -> None:
        item = QListWidgetItem(path.name, self.clip_list)
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        item.setToolTip(str(path))
        item.setCheckState(Qt.CheckState.Checked)


def _checked(widget: QListWidget) -> list[QListWidgetItem]:
    return [item for row in range(widget.count()) if (item := widget.item(row)).checkState() == Qt.CheckState.Checked]
