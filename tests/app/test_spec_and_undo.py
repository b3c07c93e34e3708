"""The canvas builds the engine's spec; every edit command's undo and redo are exact."""

import copy

from PySide6.QtCore import QPointF
import pytest

from engine import Input, Model, Sequential, layers

from app import clipboard, commands, edits, project_io
from app.canvas.items import HEIGHT, WIDTH
from app.examples import path as example_path


def _stack(scene, document, class_names):
    """Drops each layer just below the previous one, as a user stacks blocks."""
    names = [scene.drop_layer(class_names[0], QPointF(0, 0))]
    for class_name in class_names[1:]:
        x, y = document.position(names[-1])
        names.append(scene.drop_layer(class_name, QPointF(x + WIDTH / 2, y + HEIGHT + 40)))
    return names


def _set(document, name, key, value):
    document.push(commands.SetParam(document, name, key, value))


def test_canvas_spec_equals_the_engine_spec_of_the_same_model_built_in_code(document, scene):
    names = _stack(scene, document, ["Input", "Flatten", "Dense", "Dense"])
    _set(document, "input", "shape", [28, 28])
    _set(document, "dense", "units", 128)
    _set(document, "dense", "activation", "relu")
    _set(document, "dense_1", "units", 10)
    _set(document, "dense_1", "activation", "softmax")
    assert names == ["input", "flatten", "dense", "dense_1"]
    assert sum(map(sum, document.analysis.params.values())) == 101_770

    model = Sequential([Input((28, 28), name="input"), layers.Flatten(name="flatten"),
                        layers.Dense(128, activation="relu", name="dense"),
                        layers.Dense(10, activation="softmax", name="dense_1")])
    expected, got = model.to_spec(), document.to_spec()
    assert got["layers"] == expected["layers"]
    assert got["outputs"] == expected["outputs"]
    assert Model.from_spec(got).count_params() == 101_770


def test_a_functional_graph_from_the_canvas_matches_the_functional_api(document, scene):
    for i, cls in enumerate(("Input", "Dense", "Dense", "Concatenate")):
        scene.drop_layer(cls, QPointF(400 * i, 0))
    for source, target in (("input", "dense"), ("input", "dense_1"), ("dense", "concatenate"),
                           ("dense_1", "concatenate")):
        scene.connect_nodes(source, target)
    _set(document, "input", "shape", [4])
    x = Input((4,), name="input")
    merged = layers.Concatenate(name="concatenate")(
        [layers.Dense(32, name="dense")(x), layers.Dense(32, name="dense_1")(x)])
    expected = Model(x, merged).to_spec()
    assert document.to_spec()["layers"] == expected["layers"]
    assert document.to_spec()["outputs"] == expected["outputs"]


def _state(document):
    return copy.deepcopy((document.to_spec(), dict(document.layout),
                          document.compile_spec))


def _residual(document):
    project_io.into_document(document, project_io.load(example_path("residual_mlp")))


EDITS = {
    "add": lambda d: edits.add_free(d, "Dense", (500, 0)),
    "append": lambda d: edits.append_after(d, "Dropout", "probs"),
    "insert into edge": lambda d: edits.insert_into_edge(d, "BatchNormalization", "dense",
                                                          "dense_1"),
    "delete block": lambda d: edits.remove_selection(d, ["dense_1"]),
    "delete merge": lambda d: edits.remove_selection(d, ["add"]),
    "delete edge": lambda d: edits.remove_selection(d, edges=[("dense", "add")]),
    "connect": lambda d: edits.connect_ports(d, "flatten", "add"),
    "disconnect": lambda d: commands.Disconnect(d, "dense_2", "add"),
    "set param": lambda d: commands.SetParam(d, "dense", "units", 128),
    "rename": lambda d: commands.Rename(d, "dense", "hidden"),
    "move": lambda d: commands.Move(d, {"dense": (d.position("dense"), (33.0, 44.0))}),
    "paste": lambda d: clipboard.paste_command(d, clipboard.encode(d, ["dense_1", "dense_2"])),
    "reorder": lambda d: edits.reorder_into_edge(d, "activation", "input", "flatten"),
    "auto-layout": lambda d: edits.layout_all(d) or commands.Move(d, {}),
    "compile": lambda d: commands.SetCompile(d, {**d.compile_spec, "loss": "mse"}),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_every_edit_command_undoes_and_redoes_exactly(document, scene, name):
    _residual(document)
    document.push(commands.Move(document, {"add": (document.position("add"), (7.0, 600.0))}))
    before = _state(document)
    command = EDITS[name](document)
    assert command is not None
    document.push(command)
    after = _state(document)
    assert after != before
    document.undo_stack.undo()
    assert _state(document) == before
    assert set(scene.nodes) == set(document.graph.nodes)
    document.undo_stack.redo()
    assert _state(document) == after
    assert set(scene.edges) == {(p, n.name) for n in document.graph.nodes.values()
                                for p in n.inputs}


def test_paste_gives_new_unique_names_and_keeps_inner_edges(document, scene):
    _residual(document)
    document.push(clipboard.paste_command(document, clipboard.encode(document,
                                                                     ["dense_1", "dense_2"])))
    assert document.node("dense_4").inputs == ["dense_3"]
    assert document.node("dense_3").inputs == []
