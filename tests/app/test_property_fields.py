"""The property editor opens for every palette layer, with its defaults and with random valid
settings, and each field shows the value the document holds (optional values as "None")."""

import random

from PySide6.QtCore import QPointF
import pytest

from app.palette import layer_entries
from app.property_editor import PropertyEditor
from engine import params as P
from engine import registry
from engine.errors import LayerCraftError

LAYERS = [name for _, name, _, _ in layer_entries()]


def random_valid_value(param, rng: random.Random):
    """A value `validate_param` accepts, with few digits so text fields show it exactly."""
    if param.optional and rng.random() < 0.3:
        return None
    low = 0 if param.minimum is None else param.minimum
    if param.kind == P.BOOL:
        return rng.random() < 0.5
    if param.kind == P.INT:
        return int(low) + 1 + rng.randrange(4)
    if param.kind == P.FLOAT:
        high = low + 4 if param.maximum is None else param.maximum
        return round(rng.uniform(low, high) * 0.9 + 0.05 * (high - low), 3)
    if param.kind == P.INTS:
        length = param.length or rng.randrange(1, 4)
        return [int(low) + 1 + rng.randrange(3) for _ in range(length)]
    if param.kind == P.STR and param.choices:
        return rng.choice(param.choices)
    if param.kind == P.REGULARIZER:
        return {"class_name": "L2", "config": {"l2": 0.01}}
    if param.kind == P.INITIALIZER:  # a name, or a configured initializer from code
        configured = {"class_name": "RandomNormal", "config": {"stddev": 0.1, "seed": 3}}
        return rng.choice(param.choices + (configured,))
    return param.default


def shown_equals(field, value) -> bool:
    shown = field.value()
    if isinstance(value, float):
        return shown == pytest.approx(value)
    return shown == value


def editor_for(qtbot, document, scene, class_name):
    name = scene.drop_layer(class_name, QPointF(0, 0))
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node(name)
    return name, editor


@pytest.mark.parametrize("class_name", LAYERS)
def test_that_the_editor_shows_every_layers_defaults(qtbot, document, scene, class_name):
    name, editor = editor_for(qtbot, document, scene, class_name)
    config = document.node(name).config
    for param in registry.get_class("layer", class_name).PARAMS:
        assert shown_equals(editor.field(param.name), config[param.name]), param.name
    assert editor.info.text()  # the output section was built too


@pytest.mark.parametrize("class_name", LAYERS)
def test_that_the_editor_shows_random_valid_settings(qtbot, document, scene, class_name):
    rng = random.Random(class_name)
    name, editor = editor_for(qtbot, document, scene, class_name)
    for param in registry.get_class("layer", class_name).PARAMS:
        for _ in range(3):
            value = random_valid_value(param, rng)
            try:
                value = P.to_json_value(P.validate_param(param, value))
            except LayerCraftError:
                continue
            document.set_param(name, param.name, value)
            editor.show_node(name)
            assert shown_equals(editor.field(param.name), value), (param.name, value)


@pytest.mark.parametrize("class_name", ["MaxPooling2D", "AveragePooling2D"])
def test_that_pooling_strides_show_none_and_accept_it(qtbot, document, scene, class_name):
    name, editor = editor_for(qtbot, document, scene, class_name)
    strides = editor.field("strides")
    assert strides.value() is None
    assert [spin.text() for spin in strides.spins] == ["None", "None"]
    strides.set_value([2, 1])
    strides.spins[0].setValue(3)
    assert document.node(name).config["strides"] == [3, 1]
    strides.spins[1].setValue(strides.spins[1].minimum())  # the user picks "None"
    assert document.node(name).config["strides"] is None


def test_that_a_model_built_with_initializer_and_regularizer_instances_opens(qtbot, document):
    import engine
    from engine import initializers, layers, regularizers

    inputs = engine.Input((4,))
    hidden = layers.Dense(3, kernel_initializer=initializers.RandomNormal(stddev=0.1, seed=2),
                          kernel_regularizer=regularizers.L2(1e-4), name="hidden")(inputs)
    document.load(engine.Model(inputs, layers.Dense(1, name="out")(hidden)).to_spec())
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node("hidden")
    initializer = editor.field("kernel_initializer")
    assert initializer.combo.currentText() == "RandomNormal(mean=0, stddev=0.1, seed=2)"
    assert initializer.value() == {"class_name": "RandomNormal",
                                   "config": {"mean": 0.0, "stddev": 0.1, "seed": 2}}
    assert editor.field("kernel_regularizer").value() == {"class_name": "L2",
                                                          "config": {"l2": 0.0001}}
    initializer.choose("he_normal")  # a name chosen in the form replaces the configured one
    assert document.node("hidden").config["kernel_initializer"] == "he_normal"


def test_that_an_input_shape_takes_none_for_a_variable_dimension(qtbot, document, scene):
    name, editor = editor_for(qtbot, document, scene, "Input")
    editor.field("shape").setText("None, 8")
    assert document.node(name).config["shape"] == [None, 8]
    assert editor.form.error_text("shape") == ""
    editor.show_node(name)
    assert editor.field("shape").edit.text() == "None, 8"
