"""The main window's default dock layout, applied at start-up and by View > Reset Layout.

Sizes are shares of the window, so the layout fits any screen: the palette and the
properties column get fixed widths, the right column gives Properties most of its height
(a block's settings must be readable without scrolling), and the workbench takes a third of
the height.
"""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

PALETTE_WIDTH = 230
PROPERTIES_WIDTH = 360
PROPERTIES_SHARE = 0.6  # of the right column, the rest for Summary / Problems
WORKBENCH_SHARE = 0.31  # of the window's height: the training form fits without scrolling

AREAS = {"palette": Qt.LeftDockWidgetArea, "properties": Qt.RightDockWidgetArea,
         "summary": Qt.RightDockWidgetArea, "problems": Qt.RightDockWidgetArea,
         "workbench": Qt.BottomDockWidgetArea}


def apply_default_layout(window) -> None:
    """Docks every panel where it starts, visible and docked, at the default sizes."""
    docks = window.docks
    for name, dock in docks.items():
        dock.setFloating(False)
        window.addDockWidget(AREAS[name], dock)
        dock.show()
    window.splitDockWidget(docks["properties"], docks["summary"], Qt.Vertical)
    window.tabifyDockWidget(docks["summary"], docks["problems"])
    docks["summary"].raise_()
    resize(window)


def resize(window) -> None:
    docks = window.docks
    height = max(window.height(), 600)
    window.resizeDocks([docks["palette"], docks["properties"]],
                       [PALETTE_WIDTH, PROPERTIES_WIDTH], Qt.Horizontal)
    window.resizeDocks([docks["workbench"]], [int(height * WORKBENCH_SHARE)], Qt.Vertical)
    column = height * (1 - WORKBENCH_SHARE) - 80  # menus, toolbar and dock titles
    window.resizeDocks([docks["properties"], docks["summary"]],
                       [int(column * PROPERTIES_SHARE), int(column * (1 - PROPERTIES_SHARE))],
                       Qt.Vertical)


def dock_heights(window) -> dict:
    return {name: dock.height() for name, dock in window.docks.items()
            if isinstance(dock, QDockWidget)}
