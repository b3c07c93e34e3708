"""A user's registered layer class appears in the palette's "Custom" group and gets a
property editor (its name and `trainable`: a class without PARAMS declares nothing else)."""

import pytest
from PySide6.QtCore import QPointF

import engine
from engine import ops, registry
from engine.saving import object_registration

from app.palette import CUSTOM, LayerPalette
from app.property_editor import PropertyEditor


@pytest.fixture
def scale_registered():
    """`MyLayers>Scale` registered for one test (the registry is process-wide)."""
    tables = {kind: dict(table) for kind, table in registry._REGISTRIES.items()}
    objects = dict(object_registration.GLOBAL_CUSTOM_OBJECTS)

    @engine.saving.register_keras_serializable(package="MyLayers")
    class Scale(engine.layers.Layer):
        """Multiplies by a learned vector."""

        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return ops.multiply(x, self.w)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    yield Scale
    registry._REGISTRIES.clear()
    registry._REGISTRIES.update(tables)
    object_registration.GLOBAL_CUSTOM_OBJECTS.clear()
    object_registration.GLOBAL_CUSTOM_OBJECTS.update(objects)


def test_that_a_registered_layer_is_listed_in_the_custom_group_last(qtbot, scale_registered,
                                                                    tmp_path):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    assert palette.categories()[-1] == CUSTOM
    group = palette.tree.topLevelItem(palette.tree.topLevelItemCount() - 1)
    assert [group.child(i).text(0) for i in range(group.childCount())] == ["MyLayers>Scale"]
    assert "registered in this session" in group.child(0).toolTip(0)
    palette.search.setText("custom")
    assert palette.visible_names() == ["MyLayers>Scale"]
    palette.search.clear()
    palette.resize(260, 900)
    palette.tree.scrollToItem(group.child(0))
    assert palette.grab().save(str(tmp_path / "palette.png"))


def test_that_built_in_layers_keep_their_groups(qtbot, scale_registered):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    assert palette.categories()[0] == "Core"
    assert "Dense" in palette.class_names()
    assert palette.categories().count(CUSTOM) == 1


def test_that_a_custom_block_gets_a_working_property_editor(qtbot, document, scene,
                                                            scale_registered):
    name = scene.drop_layer("MyLayers>Scale", QPointF(0, 0))
    assert document.node(name).class_name == "MyLayers>Scale"
    editor = PropertyEditor(document)
    qtbot.addWidget(editor)
    editor.show_node(name)
    assert editor.field("trainable").value() is True
    with qtbot.waitSignal(document.param_changed, timeout=5000):
        editor.field("trainable").check.setChecked(False)
    assert document.node(name).config["trainable"] is False
    assert isinstance(document.analysis.layers[name], scale_registered)  # built from config
