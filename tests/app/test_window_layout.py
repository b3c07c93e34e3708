"""The main window's layout: Properties readable at the default size, View > Reset Layout,
and Undo/Redo menu items that name the edit."""

from PySide6.QtCore import QPointF
from PySide6.QtGui import QAction


def reset_action(window) -> QAction:
    return window.findChild(QAction, "resetLayoutAction")


def test_that_properties_get_most_of_the_right_column_at_the_default_size(qtbot, window):
    window.resize(1440, 900)
    window.show()
    qtbot.waitExposed(window)
    reset_action(window).trigger()
    properties, summary = window.docks["properties"], window.docks["summary"]
    qtbot.waitUntil(lambda: properties.height() >= 240, timeout=3000)
    assert properties.height() > summary.height()


def test_that_reset_layout_brings_back_hidden_and_floating_panels(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    window.docks["properties"].hide()
    window.docks["palette"].setFloating(True)
    reset_action(window).trigger()
    assert window.docks["properties"].isVisible()
    assert not window.docks["palette"].isFloating()
    assert window.tabifiedDockWidgets(window.docks["summary"]) == [window.docks["problems"]]


def test_that_undo_and_redo_name_the_edit(qtbot, window):
    window.scene.drop_layer("Dense", QPointF(0, 0))
    undo, redo = window.actions["undo"], window.actions["redo"]
    assert undo.text().startswith("&Undo ") and len(undo.text()) > len("&Undo ")
    assert "Undo" in undo.toolTip()
    window.document.undo_stack.undo()
    assert redo.text().startswith("&Redo ") and len(redo.text()) > len("&Redo ")
    while window.document.undo_stack.canUndo():
        window.document.undo_stack.undo()
    assert undo.text() == "&Undo"


def test_that_notices_after_a_window_closed_do_not_reach_its_deleted_status_bar(qtbot):
    from app import messages  # noqa: PLC0415
    from app.main_window import MainWindow  # noqa: PLC0415

    window = MainWindow(restore=False)
    window.document.mark_saved()
    bar = window.statusBar()
    bar.deleteLater()
    qtbot.waitUntil(lambda: messages._state["status"] is None, timeout=3000)
    messages.notify("a notice after the window's status bar is gone")  # must not raise
    window.deleteLater()
