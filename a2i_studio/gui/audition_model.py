"""The audition grid as a table model: clips down, chains across, one generated image per cell.

Cells are filled as jobs finish; each keeps its thumbnail (scaled once, on
arrival, from the image in memory), its seed and the user's verdict (starred,
kept or rejected), so a grid of hundreds of cells scrolls without reading a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QPixmap

from a2i_studio.gui.jobs import to_qimage

if TYPE_CHECKING:
    from PIL.Image import Image

    from a2i_studio.batch import BatchJob

__all__ = ["CELL_ROLE", "AuditionCell", "AuditionModel", "Verdict"]

CELL_ROLE = Qt.ItemDataRole.UserRole + 1
"""Role under which each cell's :class:`AuditionCell` is returned."""

Verdict = Literal["starred", "kept", "rejected"]
_MARKS = {"starred": "★ ", "kept": "✓ ", "rejected": "✗ "}
_Index = QModelIndex | QPersistentModelIndex


@dataclass
class AuditionCell:
    """One clip x chain cell.

    Attributes:
        job: The job that fills it (its seed changes when the cell is re-rolled).
        state: ``pending``, ``made`` or ``failed``.
        path: The gallery PNG once made.
        reason: Why it failed.
        verdict: The user's mark, if any.
    """

    job: BatchJob
    state: Literal["pending", "made", "failed"] = "pending"
    path: Path | None = None
    reason: str = ""
    verdict: Verdict | None = None


class AuditionModel(QAbstractTableModel):
    """Clips x chains; :meth:`cell` and :meth:`set_result` address cells by ``(row, column)``.

    Args:
        clips: Row titles (clip names), in order.
        chains: Column titles (chain ids), in order.
        jobs: One job per cell, row-major (``expand_jobs`` of the clips and chains, one seed).
        thumbnail_size: Edge of the thumbnails in pixels.
    """

    def __init__(self, clips: Sequence[str], chains: Sequence[str], jobs: Sequence[BatchJob],
                 thumbnail_size: int = 96, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if len(jobs) != len(clips) * len(chains):
            raise ValueError(f"{len(jobs)} jobs for {len(clips)} x {len(chains)} cells")
        self.clips, self.chains = list(clips), list(chains)
        self.cells = [AuditionCell(job) for job in jobs]
        self.thumbnail_size = thumbnail_size
        self._thumbnails: dict[int, QPixmap] = {}
        self._placeholder = QPixmap(thumbnail_size, thumbnail_size)
        self._placeholder.fill(QColor(128, 128, 128, 60))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """One row per clip."""
        return 0 if parent.isValid() else len(self.clips)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """One column per chain."""
        return 0 if parent.isValid() else len(self.chains)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        """Clip names down the side, chain ids across the top."""
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.chains[section] if orientation == Qt.Orientation.Horizontal else self.clips[section]

    def cell(self, row: int, column: int) -> AuditionCell:
        """The cell of clip ``row`` and chain ``column``."""
        return self.cells[row * len(self.chains) + column]

    def position(self, job: BatchJob) -> tuple[int, int]:
        """The ``(row, column)`` of the cell ``job`` belongs to (by its index in the expansion)."""
        return divmod(job.index, len(self.chains))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Caption (verdict and seed), thumbnail, tooltip (failure reason) or the cell itself."""
        number = index.row() * len(self.chains) + index.column()
        cell = self.cells[number]
        if role == Qt.ItemDataRole.DisplayRole:
            state = {"pending": "…", "failed": "failed"}.get(cell.state, f"seed {cell.job.seed}")
            return f"{_MARKS.get(cell.verdict or '', '')}{state}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnails.get(number, self._placeholder)
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.reason or cell.job.describe()
        if role == CELL_ROLE:
            return cell
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(self.thumbnail_size + 12, self.thumbnail_size + 24)
        return None

    def set_result(self, job: BatchJob, image: Image | None, path: Path | None, reason: str = "") -> None:
        """Fill the cell of ``job`` with its image (or its failure), unless it was re-rolled since."""
        row, column = self.position(job)
        cell = self.cell(row, column)
        if cell.job is not job:
            return  # an older roll of this cell finished late
        number = row * len(self.chains) + column
        if image is None:
            cell.state, cell.reason = "failed", reason
            self._thumbnails.pop(number, None)
        else:
            cell.state, cell.path, cell.reason = "made", path, ""
            size = self.thumbnail_size
            self._thumbnails[number] = QPixmap.fromImage(to_qimage(image)).scaled(
                size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self._changed(row, column)

    def set_verdict(self, row: int, column: int, verdict: Verdict | None) -> None:
        """Mark a cell starred, kept or rejected (``None``: no mark)."""
        self.cell(row, column).verdict = verdict
        self._changed(row, column)

    def reroll(self, row: int, column: int, job: BatchJob) -> None:
        """Put a new job (a new seed) in the cell; it shows as pending until that job finishes."""
        cell = self.cell(row, column)
        cell.job, cell.state, cell.path, cell.reason = job, "pending", None, ""
        self._changed(row, column)

    def done(self) -> int:
        """How many cells are made or failed."""
        return sum(cell.state != "pending" for cell in self.cells)

    def _changed(self, row: int, column: int) -> None:
        index = self.index(row, column)
        self.dataChanged.emit(index, index)
