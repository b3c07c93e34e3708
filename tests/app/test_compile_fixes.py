"""The compile checks steer a classifier given a regression loss towards cross-entropy,
and the engine's training error says the same."""

import numpy as np
import pytest

from app import compile_checks
from app.compile_dialog import CompileDialog
from engine import Input, Sequential, datasets, layers
from engine.errors import ShapeError


def spec(units=10, activation="softmax"):
    return {"format": "layercraft.model", "version": 1, "name": "m", "outputs": ["out"],
            "layers": [
                {"name": "input", "class_name": "Input", "config": {"shape": [64]}, "inputs": []},
                {"name": "out", "class_name": "Dense",
                 "config": {"units": units, "activation": activation}, "inputs": ["input"]}]}


def load(document, units=10, activation="softmax", preprocessing=()):
    data = {"dataset": "digits", "preprocessing": list(preprocessing)}
    document.load(spec(units, activation), settings={"data": data},
                  compile_spec={"optimizer": "adam", "loss": "mean_squared_error",
                                "metrics": []})


def test_that_mse_on_a_softmax_classifier_offers_sparse_cross_entropy_first(document):
    load(document)
    findings = compile_checks.check(document, datasets.info("digits"))
    assert findings[0].severity == "error"
    assert findings[0].fix == [("loss", "sparse_categorical_crossentropy")]
    assert "use sparse categorical cross-entropy" in findings[0].message
    assert not any(f.fix_text == "Make it linear" for f in findings)


def test_that_one_hot_labels_get_categorical_cross_entropy(document):
    load(document, preprocessing=[{"op": "one_hot"}])
    [finding] = compile_checks.check(document, datasets.info("digits"))
    assert finding.fix == [("loss", "categorical_crossentropy")]
    assert finding.severity == "warning"  # one-hot rows fit 10 outputs: it would train


def test_that_a_softmax_over_many_units_is_a_classifier_even_without_data(document):
    load(document)
    [finding] = compile_checks.check(document, None)
    assert finding.fix[0] == ("loss", "sparse_categorical_crossentropy")


def test_that_the_fix_also_sets_softmax_and_the_class_count(document):
    load(document, units=4, activation="relu")
    [finding] = compile_checks.check(document, datasets.info("digits"))
    assert finding.fix == [("loss", "sparse_categorical_crossentropy"),
                           ("param", "out", "activation", "softmax"),
                           ("param", "out", "units", 10)]


def test_that_a_real_regression_output_still_gets_make_it_linear(document):
    load(document, units=1, activation="sigmoid")
    [finding] = compile_checks.check(document, None)
    assert finding.fix_text == "Make it linear"
    load(document, units=1, activation="linear")
    assert compile_checks.check(document, None) == []


def test_that_one_click_in_the_dialog_picks_the_cross_entropy(qtbot, document):
    load(document)
    dialog = CompileDialog(document, datasets.info("digits"))
    qtbot.addWidget(dialog)
    dialog._select(dialog.loss_combo, "mean_squared_error")
    assert not dialog.ok_button.isEnabled()
    [first, *_] = dialog.findings()
    dialog.apply_fix(first)
    assert dialog.loss_combo.currentData() == "sparse_categorical_crossentropy"
    assert dialog.ok_button.isEnabled() and dialog.findings() == []


def test_that_the_engine_names_cross_entropy_for_class_labels_on_a_softmax_output():
    model = Sequential([Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((6, 4), np.float32), np.array([0, 1, 2, 0, 1, 2])
    with pytest.raises(ShapeError) as info:
        model.fit(x, y, epochs=1, verbose=0)
    message = str(info.value)
    assert "look like class labels (0 to 2) for 3 classes" in message
    assert message.index("sparse_categorical_crossentropy") < message.index("last layer")


def test_that_real_valued_targets_keep_the_reshape_advice():
    model = Sequential([Input((4,)), layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((6, 4), np.float32), np.linspace(0, 1, 6)
    with pytest.raises(ShapeError, match=r"Make the last layer output \(1,\) values") as info:
        model.fit(x, y, epochs=1, verbose=0)
    assert "crossentropy" not in str(info.value)
