"""The "Attention on digit rows" example: listed, opens cleanly in the main window, trains
with live curves through the training panel, and reaches 90 % validation accuracy within
its default epochs."""

import json

import pytest

from app import examples
from app.training import install_training

STEM = "attention_digits"


def example_project() -> dict:
    with open(examples.path(STEM), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def example_window(window):
    install_training(window)
    window.training_guard.ask_stop = lambda: True  # closing the window never asks
    [action] = [a for a in window.menus["examples"].actions() if a.data() == STEM]
    assert action.text() == "Attention on digit rows"
    action.trigger()  # File > Examples > Attention on digit rows
    assert window.document.to_spec()["name"] == STEM
    form = window.training_panel.form
    form.seed_check.setChecked(True)  # repeatable runs
    form.seed.setValue(0)
    return window


def train(qtbot, window, timeout=60_000):
    with qtbot.waitSignal(window.training_controller.run_finished, timeout=timeout) as blocker:
        assert window.training_panel.train() is not None
    qtbot.waitUntil(lambda: not window.training_controller.is_running(), timeout=5000)
    return blocker.args[1]


def test_that_the_example_is_listed_and_is_self_attention_on_digit_rows():
    assert (STEM, "Attention on digit rows") in examples.EXAMPLES
    project = example_project()
    layers = {layer["name"]: layer for layer in project["model"]["layers"]}
    assert project["data"]["dataset"] == "digits"
    assert layers["input"]["config"]["shape"] == [8, 8]  # 8 rows of 8 pixels, no reshape
    attention = layers["self_attention"]
    assert attention["class_name"] == "MultiHeadAttention"
    assert attention["inputs"] == ["row_projection", "row_projection"]  # query and value
    assert sorted(layers["residual"]["inputs"]) == ["row_projection", "self_attention"]
    assert set(project["layout"]) == set(layers)


def test_that_the_example_opens_without_problems(example_window):
    document = example_window.document
    assert document.analysis.ok and not document.analysis.problems
    spec = document.to_spec()
    assert spec == example_project()["model"]  # the canvas keeps both attention inputs
    assert document.analysis.shapes["self_attention"] == (8, 32)  # batch axis left out
    assert document.settings["training"]["epochs"] == 20


def test_that_two_epochs_draw_live_curves_and_record_the_run(qtbot, example_window):
    window = example_window
    window.training_panel.form.epochs.setValue(2)
    summary = train(qtbot, window)
    assert summary["reason"] == "finished"
    charts = window.live_charts
    assert charts.point_count("loss") == 2 and charts.point_count("val_loss") == 2
    assert charts.point_count("accuracy") == 2 and charts.point_count("val_accuracy") == 2
    assert charts.point_count("loss", per="batch") >= 2
    window.show()
    window.bottom_tabs.setCurrentWidget(window.tab_pages["Charts"])
    qtbot.waitUntil(lambda: not charts.dirty, timeout=2000)  # drawn once in view
    assert len(charts.plots["loss"].train_curve.xData) == 2
    [run] = window.document.settings["runs"]
    assert run["reason"] == "finished" and run["epochs"] == 2
    assert "val_accuracy" in run["best"]


def test_that_the_default_epochs_reach_90_percent_validation_accuracy(qtbot, example_window):
    summary = train(qtbot, example_window)  # the example's own settings: 20 epochs
    history = summary["history"]["history"]
    assert len(history["val_accuracy"]) == 20
    assert history["val_accuracy"][-1] >= 0.9


def test_that_self_attention_shows_both_of_its_inputs_as_edges(example_window):
    """mha(h, h) reads the projection twice: the canvas draws two edges, one per input."""
    scene, document = example_window.scene, example_window.document
    attention = next(n for n in document.graph.nodes.values()
                     if n.class_name == "MultiHeadAttention")
    source = attention.inputs[0]
    assert attention.inputs == [source, source]
    incoming = [e for e in scene.nodes[attention.name].edges
                if e.target is scene.nodes[attention.name]]
    assert len(incoming) == 2 and incoming[0].end_points()[1] != incoming[1].end_points()[1]
    scene.edges[(source, attention.name)].setSelected(True)
    scene.delete_selection()
    assert document.graph.nodes[attention.name].inputs == [source]
    assert len([e for e in scene.items() if getattr(e, "target", None) is
                scene.nodes[attention.name]]) == 1
    document.undo_stack.undo()
    assert len([e for e in scene.items() if getattr(e, "target", None) is
                scene.nodes[attention.name]]) == 2
