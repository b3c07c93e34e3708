"""Op blocks on the canvas: the palette's "Ops" group, dropping and wiring an op block, its
constants in the property editor, and a project holding op nodes and a nested model opening
with one block per node."""

import os

from PySide6.QtCore import QPointF
import numpy as np
import pytest

import engine
from engine import layers, ops

from app import commands
from app.auto_layout import auto_layout
from app.palette import LayerPalette
from app.property_editor import PropertyEditor

REQUIRED_OPS = ("add", "subtract", "multiply", "divide", "matmul", "negative", "getitem",
                "concatenate", "reshape", "transpose", "mean", "sum", "exp", "log", "sqrt",
                "square", "relu", "sigmoid", "tanh", "softmax")


def op_model():
    x = engine.Input((8,), name="x")
    y = layers.Dense(4, name="dense")(x)
    z = ops.mean(ops.relu(y) * 2.0 + x[:, :4], axis=-1, keepdims=True)
    head = engine.Sequential([layers.Dense(3, name="inner")], name="head")
    return engine.Model(x, head(z), name="ops_model")


def fed_by_input(document, scene, block):
    name = scene.drop_layer(block, QPointF(0, 150))
    if document.node(name).inputs != ["input"]:
        assert scene.connect_nodes("input", name)
    return name


def test_that_the_palette_has_an_ops_group_with_every_required_op(qtbot):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    assert "Ops" in palette.categories()
    listed = palette.class_names()
    assert [f"Op:{op}" in listed for op in REQUIRED_OPS] == [True] * len(REQUIRED_OPS)
    assert "Op" not in listed and "Model" not in listed  # node classes, not palette blocks
    palette.search.setText("softmax")
    assert "Op:softmax" in palette.visible_names()


def test_that_a_dropped_add_block_takes_two_inputs_and_builds(document, scene):
    scene.drop_layer("Input", QPointF(0, 0))
    document.push(commands.SetParam(document, "input", "shape", [4]))
    scene.drop_layer("Dense", QPointF(0, 200))
    add = scene.drop_layer("Op:add", QPointF(400, 400))
    node = document.node(add)
    assert (add, node.class_name, node.config["op"]) == ("add", "Op", "add")
    assert scene.nodes[add].class_name == "ops.add"
    document.push(commands.SetParam(document, "dense", "units", 4))
    if document.node("dense").inputs != ["input"]:
        assert scene.connect_nodes("input", "dense")
    assert scene.connect_nodes("dense", add) and scene.connect_nodes("input", add)
    assert document.node(add).inputs == ["dense", "input"]  # an add block keeps both inputs
    assert document.analysis.ok, [p.message for p in document.analysis.problems]
    assert document.analysis.shapes[add] == (4,)
    model = engine.Model.from_spec(document.to_spec())
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               model.get_layer("dense")(x) + x, rtol=1e-6)


def test_that_a_unary_block_keeps_one_input(document, scene):
    scene.drop_layer("Input", QPointF(0, 0))
    scene.drop_layer("Dense", QPointF(300, 0))
    relu = scene.drop_layer("Op:relu", QPointF(0, 300))
    assert scene.connect_nodes("input", relu) and scene.connect_nodes("dense", relu)
    assert document.node(relu).inputs == ["dense"]  # the new edge replaced the old one


def test_that_op_constants_are_edited_in_the_property_editor_with_undo(qtbot, document, scene):
    scene.drop_layer("Input", QPointF(0, 0))
    document.push(commands.SetParam(document, "input", "shape", [3, 5]))
    mean = fed_by_input(document, scene, "Op:mean")
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node(mean)
    assert document.analysis.shapes[mean] == (3,)
    editor.field("axis").set_value(1)
    editor.field("axis").committed.emit()
    assert document.node(mean).config["arguments"]["axis"] == 1
    assert document.analysis.shapes[mean] == (5,)
    editor.field("keepdims").set_value(True)
    editor.field("keepdims").committed.emit()
    assert document.analysis.shapes[mean] == (1, 5)
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert document.node(mean).config["arguments"] == {"x": {"input": 0}, "axis": -1,
                                                       "keepdims": False}


def test_that_a_slice_is_edited_as_python_text_and_bad_text_is_refused(qtbot, document, scene):
    scene.drop_layer("Input", QPointF(0, 0))
    document.push(commands.SetParam(document, "input", "shape", [6]))
    cut = fed_by_input(document, scene, "Op:getitem")
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node(cut)
    key = editor.field("key")
    assert key.value() == ":, 0:1"
    key.set_value(":, 1:4")
    key.committed.emit()
    assert document.analysis.shapes[cut] == (3,)
    key.set_value(":, a:b")
    key.committed.emit()
    assert "is not an integer" in editor.form.error_text("key")
    assert document.node(cut).config["arguments"]["key"] == [
        {"slice": [None, None, None]}, {"slice": [1, 4, None]}]


def test_that_a_project_with_op_nodes_and_a_nested_model_opens_as_blocks(qtbot, window,
                                                                        tmp_path):
    model = op_model()
    spec = model.to_spec()
    window.document.load(spec, auto_layout(model.graph))
    path = str(tmp_path / "ops.lcproj")
    assert window.project.save_as(path)
    window.project.new()
    assert window.project.open_path(path)
    scene = window.scene
    assert window.document.to_spec() == spec
    shown = {name: item.class_name for name, item in scene.nodes.items()}
    assert shown == {"x": "Input", "dense": "Dense", "relu": "ops.relu",
                     "multiply": "ops.multiply", "getitem": "ops.getitem", "add": "ops.add",
                     "mean": "ops.mean", "head": "Model"}
    assert scene.nodes["getitem"].settings == "[:, :4]"
    assert scene.nodes["head"].settings == "head: 2 layers"
    assert window.document.analysis.ok
    assert window.document.analysis.shapes["head"] == (3,)
    qtbot.waitUntil(lambda: window.summary.table.item(2, 1).text() == "ops.relu")
    shot = os.environ.get("LAYERCRAFT_SHOTS")
    if shot:  # a picture to look at: LAYERCRAFT_SHOTS=/tmp/shots pytest this file
        window.resize(1400, 900)
        window.show()
        scene.select_nodes(["mean"])
        window.view.fitInView(scene.itemsBoundingRect())
        qtbot.wait(50)
        window.grab().save(os.path.join(shot, "ops_project.png"))


@pytest.mark.parametrize("op", REQUIRED_OPS)
def test_that_every_palette_op_block_opens_in_the_property_editor(qtbot, document, scene, op):
    name = scene.drop_layer(f"Op:{op}", QPointF(0, 0))
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node(name)
    assert editor.info.text()
