"""Blocks of a user's registered layer classes: named as the class is named in code (never
with the registered name's `>`), made without a `name` when `__init__` takes none, and
refused with a message, and no block, when the constructor needs values the canvas cannot
choose."""

import pytest
from PySide6.QtCore import QPointF

import engine
from app import graph_ops
from app.property_editor import NAME_PATTERN, PropertyEditor
from engine import ops
from engine.errors import SpecError


pytestmark = pytest.mark.usefixtures("registrations_undone")  # see tests/conftest.py


def register(cls, package="MyLayers", name=None):
    return engine.saving.register_keras_serializable(package=package, name=name)(cls)


def test_that_a_registered_block_is_named_as_its_class_is_named_in_code():
    @register
    class ScaleBy(engine.layers.Layer):
        def call(self, x):
            return x

    assert graph_ops.base_name("MyLayers>ScaleBy") == "scale_by" == \
        ScaleBy().name  # what engine names the same layer made in code
    assert NAME_PATTERN.match(graph_ops.base_name("MyLayers>ScaleBy"))


def test_that_a_class_registered_under_another_name_is_named_after_its_python_class():
    # keras-io serialization guide: MyDense registered as package "MyLayers", name "KernelMult".
    register(type("MyDense", (engine.layers.Layer,), {"call": lambda self, x: x}),
             name="KernelMult")
    assert graph_ops.base_name("MyLayers>KernelMult") == "my_dense"


def test_that_built_in_block_names_are_unchanged():
    assert [graph_ops.base_name(c) for c in ("Dense", "Conv2D", "Input", "BatchNormalization")] \
        == ["dense", "conv2d", "input", "batch_normalization"]


def test_that_a_class_whose_init_takes_no_name_gets_its_config_without_one():
    @register
    class Halve(engine.layers.Layer):
        def __init__(self, factor=0.5):  # no name, no **kwargs (as the Keras guide's layer)
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    assert graph_ops.default_config("MyLayers>Halve") == {"factor": 0.5}


def test_that_required_constructor_arguments_refuse_the_block_and_say_how_to_fix_it():
    @register
    class Times(engine.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    with pytest.raises(SpecError) as caught:
        graph_ops.default_config("MyLayers>Times")
    message = str(caught.value)
    assert "Times.__init__ needs factor" in message
    assert "def __init__(self, factor=4, **kwargs)" in message


def test_that_a_dropped_block_with_required_arguments_adds_nothing(qtbot, document, scene):
    @register
    class Times(engine.layers.Layer):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return ops.multiply(x, self.factor)

    before = dict(document.graph.nodes)
    with pytest.raises(SpecError, match="cannot be added"):
        scene.drop_layer("MyLayers>Times", QPointF(0, 0))
    assert dict(document.graph.nodes) == before
    assert not document.undo_stack.canUndo()


def test_that_a_dropped_custom_block_can_be_renamed_in_the_property_editor(qtbot, document,
                                                                          scene):
    @register
    class Scale(engine.layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def call(self, x):
            return x

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    name = scene.drop_layer("MyLayers>Scale", QPointF(0, 0))
    assert name == "scale" and NAME_PATTERN.match(name)  # was "my_layers>scale"
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node(name)
    editor.name_edit.setText("gain")
    editor.name_edit.editingFinished.emit()
    assert "gain" in document.graph.nodes and "scale" not in document.graph.nodes
    assert document.node("gain").class_name == "MyLayers>Scale"
