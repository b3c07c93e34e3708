"""Scrolling a form never edits a value: the property editor, the training settings and the
compile dialog's combos and spin boxes take the wheel only when focused."""

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox
import pytest

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


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_that_closing_the_compile_dialog_before_the_gpu_probe_returns_is_safe(
        qtbot, document, monkeypatch):
    """The probe thread used to emit on the dialog's own object, deleted by then: a crash."""
    import time  # noqa: PLC0415

    from app import compile_dialog  # noqa: PLC0415
    from engine import backend  # noqa: PLC0415

    monkeypatch.setattr(compile_dialog, "_device_cache", {})
    monkeypatch.setattr(backend, "gpu_available", lambda: time.sleep(0.3) or False)
    dialog = CompileDialog(document)
    dialog.deleteLater()
    qtbot.wait(10)  # the dialog is gone; the probe is still importing
    later = CompileDialog(document)
    qtbot.addWidget(later)
    with qtbot.waitSignal(later.probe.done, timeout=5000) as blocker:
        pass
    assert blocker.args[0] is False


def test_that_the_compile_dialog_says_what_computes_on_the_cpu(qtbot, document, monkeypatch):
    """The CPU entry names the fused kernels when numba is there, and how to get them
    when it is not (asked in the probe thread, which also imports numba early)."""
    from app import compile_dialog  # noqa: PLC0415
    from engine import kernels  # noqa: PLC0415

    for enabled, text in ((True, "CPU (fused kernels)"), (False, "CPU")):
        monkeypatch.setattr(compile_dialog, "_device_cache", {})
        kernels.set_cpu_kernels(enabled)
        try:
            dialog = CompileDialog(document)
            qtbot.addWidget(dialog)
            with qtbot.waitSignal(dialog.probe.done, timeout=10000):
                pass
        finally:
            kernels.set_cpu_kernels(True)
        tip = dialog.device_combo.itemData(1, Qt.ToolTipRole)
        if kernels.numba_module() is None:
            assert dialog.device_combo.itemText(1) == "CPU" and "layercraft[fast]" in tip
        else:
            assert dialog.device_combo.itemText(1) == text
            assert ("numba" in tip) if enabled else ("switched off" in tip)
