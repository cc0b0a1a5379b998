"""The gallery as a list model: pages of items from the index, thumbnails loaded in a thread pool.

Rows are fetched a page at a time as the view scrolls (``canFetchMore``), and
a thumbnail is read and scaled off the UI thread the first time its row is
drawn, then kept in a bounded cache, so a gallery of thousands of images opens
as fast as one of ten.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDeadlineTimer,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QPixmap

from a2i_studio.gui.workers import wait_for_workers

if TYPE_CHECKING:
    from a2i_studio.gallery import Gallery, GalleryItem

__all__ = ["ITEM_ROLE", "GalleryModel"]

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
"""Role under which each row's :class:`~a2i_studio.gallery.GalleryItem` is returned."""

_PAGE = 200
_CACHE_LIMIT = 2000
_Index = QModelIndex | QPersistentModelIndex


class _ThumbnailSignals(QObject):
    loaded = Signal(str, QImage)


class _ThumbnailJob(QRunnable):
    def __init__(self, path: str, size: int, signals: _ThumbnailSignals) -> None:
        super().__init__()
        self.path, self.size, self.signals = path, size, signals

    def run(self) -> None:
        image = QImage(self.path)  # QImage (unlike QPixmap) may be used off the UI thread
        if not image.isNull():
            image = image.scaled(
                self.size, self.size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.signals.loaded.emit(self.path, image)


class GalleryModel(QAbstractListModel):
    """Gallery items, newest first, filtered by clip, chain or star.

    Args:
        thumbnail_size: Edge of the square thumbnails in pixels.
    """

    def __init__(self, thumbnail_size: int = 112, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gallery: Gallery | None = None
        self.items: list[GalleryItem] = []
        self.filters: dict[str, Any] = {}
        self.thumbnail_size = thumbnail_size
        self._more = False
        self._rows: dict[str, list[int]] = {}
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._signals = _ThumbnailSignals()
        self._signals.loaded.connect(self._on_thumbnail_loaded)
        self._placeholder = QPixmap(thumbnail_size, thumbnail_size)
        self._placeholder.fill(QColor(128, 128, 128, 60))

    def set_gallery(self, gallery: Gallery | None) -> None:
        """Show ``gallery`` (``None``: nothing)."""
        self.gallery = gallery
        self.reload()

    def set_filters(
        self, *, audio_name: str | None = None, chain: str | None = None, starred: bool | None = None
    ) -> None:
        """Show only images of ``audio_name``, of ``chain``, or starred ones (``None``: any)."""
        self.filters = {"audio_name": audio_name, "chain": chain, "starred": starred}
        self.reload()

    def reload(self) -> None:
        """Read the first page again (after a generation, delete or filter change)."""
        self.beginResetModel()
        self.items = []
        self._rows.clear()
        self._more = self.gallery is not None
        self._append(self._next_page())
        self.endResetModel()

    def item(self, row: int) -> GalleryItem:
        """The item at ``row``."""
        return self.items[row]

    def row_of(self, item_id: str) -> int:
        """The row showing ``item_id``, or -1."""
        return next((row for row, item in enumerate(self.items) if item.id == item_id), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        """Rows fetched so far."""
        return 0 if parent.isValid() else len(self.items)

    def canFetchMore(self, parent: _Index) -> bool:  # noqa: N802
        """Whether the index holds more rows than fetched."""
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _Index) -> None:  # noqa: N802
        """Fetch the next page."""
        if parent.isValid():
            return
        page = self._next_page()
        if page:
            self.beginInsertRows(QModelIndex(), len(self.items), len(self.items) + len(page) - 1)
            self._append(page)
            self.endInsertRows()

    def _next_page(self) -> list[GalleryItem]:
        if self.gallery is None or not self._more:
            return []
        page = self.gallery.items(**self.filters, limit=_PAGE, offset=len(self.items))
        self._more = len(page) == _PAGE
        return page

    def _append(self, page: list[GalleryItem]) -> None:
        for row, item in enumerate(page, start=len(self.items)):
            self._rows.setdefault(str(item.path), []).append(row)
        self.items.extend(page)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Caption, thumbnail, tooltip or the item itself (:data:`ITEM_ROLE`)."""
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{'★ ' if item.starred else ''}{'▶ video · ' if item.video else ''}seed {item.seed}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(str(item.path))
        if role == Qt.ItemDataRole.ToolTipRole:
            video = f"\nvideo: {item.video}" if item.video else ""
            return f"{item.audio_name}\n{item.chain}\nseed {item.seed}\n{item.created}{video}"
        if role == ITEM_ROLE:
            return item
        if role == Qt.ItemDataRole.SizeHintRole:
            return QSize(self.thumbnail_size + 16, self.thumbnail_size + 28)
        return None

    def shutdown(self, deadline: QDeadlineTimer | None = None) -> bool:
        """Stop loading thumbnails; returns whether the loaders stopped before ``deadline``."""
        self._pool.clear()
        return wait_for_workers(self._pool, "thumbnail loading", deadline)

    def _thumbnail(self, path: str) -> QPixmap:
        pixmap = self._cache.get(path)
        if pixmap is not None:
            self._cache.move_to_end(path)
            return pixmap
        if path not in self._pending:
            self._pending.add(path)
            self._pool.start(_ThumbnailJob(path, self.thumbnail_size, self._signals))
        return self._placeholder

    def _on_thumbnail_loaded(self, path: str, image: QImage) -> None:
        self._pending.discard(path)
        self._cache[path] = QPixmap.fromImage(image) if not image.isNull() else self._placeholder
        while len(self._cache) > _CACHE_LIMIT:
            self._cache.popitem(last=False)
        for row in self._rows.get(path, []):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
