"""Keyboard shortcuts: no key is bound twice on any platform's scheme, and Redo answers to
both Ctrl+Shift+Z and Ctrl+Y."""

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMainWindow
import pytest

from app import actions

S = QKeySequence.StandardKey

#: The first bindings of Qt's X11 (KDE and GNOME) keyboard schemes for the standard keys the
#: app uses (qplatformtheme.cpp); offscreen tests otherwise see the Windows scheme.
LINUX_BINDINGS = {
    S.New: ["Ctrl+N"], S.Open: ["Ctrl+O"], S.Save: ["Ctrl+S"], S.SaveAs: ["Ctrl+Shift+S"],
    S.Quit: ["Ctrl+Q"], S.Undo: ["Ctrl+Z"], S.Redo: ["Ctrl+Shift+Z"],
    S.Cut: ["Ctrl+X", "Shift+Del", "F20"], S.Copy: ["Ctrl+C", "Ctrl+Ins", "F16"],
    S.Paste: ["Ctrl+V", "Shift+Ins", "F18"], S.Delete: ["Del"], S.SelectAll: ["Ctrl+A"],
    S.ZoomIn: ["Ctrl++"], S.ZoomOut: ["Ctrl+-"],
}


def bound_keys(qtbot) -> dict:
    window = QMainWindow()
    qtbot.addWidget(window)
    return {name: [s.toString(QKeySequence.PortableText) for s in action.shortcuts()]
            for name, action in actions.create_actions(window).items()}


def assert_each_key_means_one_action(bound: dict) -> None:
    owners = {}
    for name, keys in bound.items():
        assert len(keys) == len(set(keys)), f"{name} has a key twice: {keys}"
        for key in keys:
            assert key not in owners, f"{key} is bound to {owners.get(key)} and {name}"
            owners[key] = name


def test_that_no_key_is_bound_twice_on_this_platform(qtbot):
    bound = bound_keys(qtbot)
    assert_each_key_means_one_action(bound)
    assert {"Ctrl+Shift+Z", "Ctrl+Y"} <= set(bound["redo"])


def test_that_no_key_is_bound_twice_with_linux_key_bindings(qtbot, monkeypatch):
    monkeypatch.setattr(actions, "platform_bindings",
                        lambda key: [QKeySequence(k) for k in LINUX_BINDINGS.get(key, [])])
    bound = bound_keys(qtbot)
    assert_each_key_means_one_action(bound)
    assert {"Ctrl+Shift+Z", "Ctrl+Y"} <= set(bound["redo"])
    assert "Ctrl+Q" in bound["quit"]


@pytest.mark.parametrize("keys", ["Ctrl+Shift+Z", "Ctrl+Y"])
def test_that_redo_keys_redo_an_edit_in_the_main_window(qtbot, window, keys):
    window.show()
    with qtbot.waitActive(window):
        window.activateWindow()
    window.scene.drop_layer("Dense", QPointF(0, 0))
    window.document.undo_stack.undo()
    assert window.document.undo_stack.canRedo()
    window.view.setFocus(Qt.OtherFocusReason)
    QTest.keySequence(window.view, QKeySequence(keys))
    assert not window.document.undo_stack.canRedo()
