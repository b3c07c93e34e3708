"""Scrolling a form never edits a value: the property editor, the training settings and the
compile dialog's combos and spin boxes take the wheel only when focused."""

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox

from app.compile_dialog import CompileDialog
from app.property_editor import PropertyEditor
from app.training.settings_form import TrainingSettingsForm
from tests.app.test_data_import import wheel


def values(widgets):
    return [w.currentIndex() if isinstance(w, QComboBox) else w.value() for w in widgets]


def assert_wheel_changes_nothing(root):
    widgets = [*root.findChildren(QComboBox), *root.findChildren(QAbstractSpinBox)]
    assert widgets
    before = values(widgets)
    for steps in (-1, 1):  # down and up: a value at one end of its range moves one way only
        for widget in widgets:
            wheel(widget, steps)
            assert values(widgets) == before, widget.objectName()


def test_that_the_property_editor_ignores_the_wheel_over_unfocused_fields(qtbot, document,
                                                                          scene):
    name = scene.drop_layer("Conv2D", QPointF(0, 0))
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node(name)
    assert_wheel_changes_nothing(editor)


def test_that_the_training_settings_ignore_the_wheel_over_unfocused_fields(qtbot):
    form = TrainingSettingsForm()
    qtbot.addWidget(form)
    assert_wheel_changes_nothing(form)


def test_that_the_compile_dialog_ignores_the_wheel_over_unfocused_fields(qtbot, document):
    document.load({"format": "layercraft.model", "version": 1, "name": "m", "outputs": ["d"],
                   "layers": [{"name": "input", "class_name": "Input",
                               "config": {"shape": [4]}, "inputs": []},
                              {"name": "d", "class_name": "Dense", "config": {"units": 2},
                               "inputs": ["input"]}]})
    dialog = CompileDialog(document)
    qtbot.addWidget(dialog)
    assert_wheel_changes_nothing(dialog)
