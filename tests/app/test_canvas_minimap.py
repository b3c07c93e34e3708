"""The canvas's minimap: shown when the graph does not fit and the canvas has room for it,
at the bottom right of the viewport."""

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QGraphicsRectItem

from app.canvas.view import GraphView


def _view(qtbot, scene, width, height):
    view = GraphView(scene)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    scene.addItem(QGraphicsRectItem(0, 0, 100, 100))
    scene.addItem(QGraphicsRectItem(0, 3000, 100, 100))  # far below: the graph overflows
    view.centerOn(QPointF(50, 50))
    return view


def _settled(qtbot, view):
    view.minimap._update_now()  # what its 60 ms timer does after a scene change
    qtbot.wait(10)
    return view.minimap


def test_the_minimap_shows_in_a_roomy_canvas_when_the_graph_overflows(qtbot, scene):
    view = _view(qtbot, scene, 800, 600)
    minimap = _settled(qtbot, view)
    assert minimap.isVisible()
    viewport = view.viewport().geometry()
    assert viewport.contains(minimap.geometry())
    assert minimap.geometry().bottom() > viewport.center().y()  # the lower right corner


def test_the_minimap_stays_inside_a_viewport_moved_down_by_a_band(qtbot, scene):
    view = _view(qtbot, scene, 800, 600)
    view.setViewportMargins(0, 40, 0, 0)  # as the training note's band does
    minimap = _settled(qtbot, view)
    viewport = view.viewport().geometry()
    assert viewport.contains(minimap.geometry())
    assert viewport.bottom() - minimap.geometry().bottom() == 12  # its gap to the corner
    assert viewport.right() - minimap.geometry().right() == 12


def test_a_canvas_barely_wider_than_the_minimap_shows_none(qtbot, scene):
    view = _view(qtbot, scene, 230, 600)
    assert not _settled(qtbot, view).isVisible()
