"""Property edits go through the document and are validated by the engine; the compile
dialog refuses a loss that does not fit the model's output and offers the fix."""

from PySide6.QtCore import QPointF

from app import project_io
from app.compile_dialog import CompileDialog
from app.examples import path as example_path
from app.property_editor import PropertyEditor


def _editor(qtbot, document, scene, class_name="Dense"):
    name = scene.drop_layer(class_name, QPointF(0, 0))
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node(name)
    return name, editor


def test_a_property_edit_goes_through_the_document_as_an_undoable_command(qtbot, document,
                                                                           scene):
    name, editor = _editor(qtbot, document, scene)
    with qtbot.waitSignal(document.param_changed, timeout=5000) as blocker:
        editor.field("units").setValue(64)
    assert blocker.args == [name, "units"]
    assert document.node(name).config["units"] == 64
    document.undo_stack.undo()
    assert document.node(name).config["units"] == 32
    assert editor.field("units").value() == 32  # the form mirrors the document


def test_an_invalid_value_is_refused_inline_with_the_engines_message(qtbot, document, scene):
    name, editor = _editor(qtbot, document, scene, "Dropout")
    editor.field("rate").setText("1.5")
    assert document.node(name).config["rate"] == 0.5
    message = editor.form.error_text("rate")
    assert "`rate` must be a number" in message and "Received: rate=1.5" in message
    assert editor.field("rate").value() == 0.5
    editor.field("rate").setText("0.25")
    assert document.node(name).config["rate"] == 0.25
    assert editor.form.error_text("rate") == ""


def test_choices_tuples_and_shapes_are_edited_as_their_kinds(qtbot, document, scene):
    name, editor = _editor(qtbot, document, scene, "Conv2D")
    editor.field("activation").choose("relu")
    editor.field("kernel_size").spins[0].setValue(5)
    assert document.node(name).config["activation"] == "relu"
    assert document.node(name).config["kernel_size"] == [5, 3]
    editor.show_node(scene.drop_layer("Input", QPointF(900, 0)))
    editor.field("shape").setText("28, 28, 1")
    assert document.node("input").config["shape"] == [28, 28, 1]


def test_renaming_checks_that_names_are_unique(qtbot, document, scene):
    name, editor = _editor(qtbot, document, scene)
    scene.drop_layer("Dense", QPointF(900, 0))
    editor.show_node(name)
    editor.name_edit.setText("dense_1")
    editor.name_edit.editingFinished.emit()
    assert "already exists" in editor.name_error.text()
    assert name in document.graph.nodes
    editor.name_edit.setText("hidden")
    editor.name_edit.editingFinished.emit()
    assert "hidden" in document.graph.nodes and name not in document.graph.nodes


def _moons(document):
    project_io.into_document(document, project_io.load(example_path("moons")))


def test_compile_dialog_refuses_a_loss_that_does_not_fit_the_output(qtbot, document):
    _moons(document)  # one sigmoid unit
    dialog = CompileDialog(document)
    qtbot.addWidget(dialog)
    assert dialog.ok_button.isEnabled()
    dialog._select(dialog.loss_combo, "sparse_categorical_crossentropy")
    assert not dialog.ok_button.isEnabled()
    messages = [f.message for f in dialog.findings()]
    assert any("one output unit per class" in m for m in messages)


def test_compile_dialog_one_click_fix_sets_the_output_activation(qtbot, document):
    _moons(document)
    document.load(document.to_spec(), document.layout)
    from app import commands

    document.push(commands.SetParam(document, "probability", "activation", "relu"))
    dialog = CompileDialog(document)
    qtbot.addWidget(dialog)
    dialog._select(dialog.loss_combo, "binary_crossentropy")
    [finding] = [f for f in dialog.findings() if f.fix]
    assert "sigmoid" in finding.message
    dialog.apply_fix(finding)
    assert document.node("probability").config["activation"] == "sigmoid"
    assert dialog.ok_button.isEnabled()


def test_compile_dialog_result_is_stored_in_the_project(qtbot, document):
    _moons(document)
    dialog = CompileDialog(document)
    qtbot.addWidget(dialog)
    dialog._select(dialog.optimizer_combo, "SGD")
    dialog.optimizer_form.field("momentum").setText("0.9")
    with qtbot.waitSignal(dialog.compile_requested, timeout=5000) as blocker:
        dialog.accept()
    spec = blocker.args[0]
    assert spec["optimizer"]["class_name"] == "SGD"
    assert spec["optimizer"]["config"]["momentum"] == 0.9
    assert spec["loss"] == "binary_crossentropy" and spec["metrics"] == ["accuracy"]
    assert spec["device"] == "auto"
