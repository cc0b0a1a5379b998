"""The gallery panel: delete with undo, star and filters, settings sent back, compare."""

from __future__ import annotations

from collections.abc import Callable

from a2i_studio.gui.main_window import MainWindow


def select_rows(window: MainWindow, *rows: int) -> None:
    assert window.gallery_panel is not None
    view, model = window.gallery_panel.view, window.gallery_panel.model
    view.clearSelection()
    for row in rows:
        view.selectionModel().select(model.index(row), view.selectionModel().SelectionFlag.Select)


def test_delete_moves_to_trash_and_undo_brings_it_back(
    window: MainWindow, generate: Callable[[MainWindow], list]
) -> None:
    assert window.gallery_panel is not None
    generate(window)
    item = window.gallery_panel.model.item(0)
    select_rows(window, 0)
    window.gallery_panel.buttons["delete"].click()
    assert window.gallery_panel.model.rowCount() == 0
    assert not item.path.exists()
    assert window.menu_actions["undo"].isEnabled()
    assert "trash" in window.notices.texts()[-1]
    window.menu_actions["undo"].trigger()
    assert window.gallery_panel.model.rowCount() == 1
    assert window.gallery_panel.model.item(0).id == item.id and item.path.is_file()
    window.menu_actions["redo"].trigger()
    assert window.gallery_panel.model.rowCount() == 0


def test_undoing_a_delete_keeps_the_star(window: MainWindow, generate: Callable[[MainWindow], list]) -> None:
    assert window.chain_panel is not None and window.gallery_panel is not None
    gallery = window.gallery_panel
    window.chain_panel.batch.setValue(2)
    generate(window)
    starred, plain = gallery.model.item(0), gallery.model.item(1)
    select_rows(window, 0)
    gallery.buttons["star"].click()
    for _ in range(2):  # delete both, the starred one first, then undo both
        select_rows(window, 0)
        gallery.buttons["delete"].click()
    assert gallery.model.rowCount() == 0
    window.menu_actions["undo"].trigger()
    window.menu_actions["undo"].trigger()
    stars = {item.id: item.starred for item in (gallery.model.item(row) for row in range(gallery.model.rowCount()))}
    assert stars == {starred.id: True, plain.id: False}


def test_star_and_filters(window: MainWindow, generate: Callable[[MainWindow], list]) -> None:
    assert window.chain_panel is not None and window.gallery_panel is not None
    gallery = window.gallery_panel
    window.chain_panel.batch.setValue(3)
    generate(window)
    select_rows(window, 1)
    starred_id = gallery.model.item(1).id
    gallery.buttons["star"].click()
    assert gallery.buttons["star"].text() == "☆ Unstar"  # the selection survives the reload
    gallery.starred_filter.setChecked(True)
    assert [gallery.model.item(row).id for row in range(gallery.model.rowCount())] == [starred_id]
    gallery.starred_filter.setChecked(False)
    assert gallery.model.rowCount() == 3
    gallery.chain_filter.setCurrentText("toy-proj>slow-gen")
    assert gallery.model.rowCount() == 0
    gallery.chain_filter.setCurrentText("(any)")
    gallery.clip_filter.setCurrentText("chirp.wav")
    assert gallery.model.rowCount() == 3
    assert gallery.count_label.text() == "3 images"


def test_use_settings_sends_chain_params_seed_and_segment_back(
    window: MainWindow, generate: Callable[[MainWindow], list]
) -> None:
    chain_panel, timeline, gallery = window.chain_panel, window.timeline, window.gallery_panel
    assert chain_panel is not None and timeline is not None and gallery is not None
    timeline.set_selection(0.25, 1.25)
    chain_panel.seed_mode.setCurrentText("fixed")
    chain_panel.seed.setValue(5)
    chain_panel.forms["toy-gen"].set_values({"noise": 0.25, "palette": "gray"})
    generate(window)
    timeline.set_selection(1.0, 2.0)
    chain_panel.seed_mode.setCurrentText("random")
    chain_panel.forms["toy-gen"].reset()
    assert chain_panel.select_chain("toy-proj>slow-gen")
    select_rows(window, 0)
    gallery.buttons["use"].click()
    assert chain_panel.current_chain() is not None and chain_panel.current_chain().id == "toy-proj>toy-gen"
    assert chain_panel.forms["toy-gen"].values() == {"steps": 3, "noise": 0.25, "palette": "gray"}
    assert (chain_panel.seed_mode.currentText(), chain_panel.seed.value()) == ("fixed", 5)
    assert timeline.selection() == (0.25, 1.25)


def test_compare_shows_two_images_and_what_differs(window: MainWindow, generate: Callable[[MainWindow], list]) -> None:
    assert window.chain_panel is not None and window.gallery_panel is not None
    window.chain_panel.seed_mode.setCurrentText("fixed")
    window.chain_panel.seed.setValue(3)
    window.chain_panel.batch.setValue(2)
    generate(window)
    select_rows(window, 0)
    assert not window.gallery_panel.buttons["compare"].isEnabled()
    select_rows(window, 0, 1)
    window.gallery_panel.buttons["compare"].click()
    dialog = window.gallery_panel._compare
    assert dialog is not None and dialog.isVisible()
    assert dialog.differences.text() == "seed: 4 → 3"  # newest (seed 4) first
    dialog.close()
