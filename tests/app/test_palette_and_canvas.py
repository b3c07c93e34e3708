"""The palette lists the engine's registry; drops on the scene add, append and insert blocks;
dragging between ports builds the right spec."""

from PySide6.QtCore import QPointF

from engine import registry

from app import commands
from app.canvas.items import HEIGHT, WIDTH
from app.palette import LayerPalette


def test_palette_lists_every_registered_layer_grouped_by_category(qtbot):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    listed = [cls for cls in registry.classes("layer") if getattr(cls, "IN_PALETTE", True)]
    blocks = {name for name in palette.class_names() if not name.startswith("Op:")}
    assert blocks == {cls.class_name() for cls in listed}  # op blocks: tests/app/test_ops_palette
    categories = {cls.CATEGORY for cls in listed} | {"Ops"}
    assert set(palette.categories()) == categories
    assert palette.categories()[0] == "Core"


def test_palette_search_filters_by_name_and_category(qtbot):
    palette = LayerPalette()
    qtbot.addWidget(palette)
    palette.search.setText("conv2d")
    assert "Conv2D" in palette.visible_names()
    assert "Dense" not in palette.visible_names()
    palette.search.setText("pooling")
    assert "MaxPooling2D" in palette.visible_names()
    palette.search.clear()
    assert len(palette.visible_names()) == len(palette.class_names())


def test_dropping_on_empty_canvas_adds_a_free_block(document, scene):
    name = scene.drop_layer("Dense", QPointF(300, 200))
    assert name == "dense"
    node = document.node("dense")
    assert node.inputs == [] and node.config["units"] == 32
    x, y = document.position("dense")
    assert (x + WIDTH / 2, y + HEIGHT / 2) == (300, 200)
    assert scene.selected_nodes() == ["dense"]


def test_dropping_below_the_last_block_appends_to_the_stack(document, scene):
    scene.drop_layer("Input", QPointF(0, 0))
    x, y = document.position("input")
    scene.drop_layer("Flatten", QPointF(x + WIDTH / 2, y + HEIGHT + 40))
    scene.drop_layer("Dense", QPointF(x + WIDTH / 2, document.position("flatten")[1] + HEIGHT + 40))
    assert document.node("flatten").inputs == ["input"]
    assert document.node("dense").inputs == ["flatten"]
    assert document.graph.outputs == ["dense"]


def test_dropping_on_an_edge_inserts_the_layer_there(document, scene):
    scene.drop_layer("Input", QPointF(0, 0))
    x, y = document.position("input")
    scene.drop_layer("Dense", QPointF(x + WIDTH / 2, y + HEIGHT + 60))
    edge = scene.edges[("input", "dense")]
    middle = edge.path().pointAtPercent(0.5)
    before = document.position("dense")
    name = scene.drop_layer("Dropout", middle)
    assert document.node(name).inputs == ["input"]
    assert document.node("dense").inputs == [name]
    assert document.position("dense")[1] > before[1]  # the block below made room
    assert set(scene.edges) == {("input", name), (name, "dense")}


def test_dropping_on_a_block_appends_after_it(document, scene):
    scene.drop_layer("Input", QPointF(0, 0))
    x, y = document.position("input")
    scene.drop_layer("Dense", QPointF(x + 20, y + 20))
    assert document.node("dense").inputs == ["input"]


def test_connecting_ports_builds_a_merge_with_inputs_in_connection_order(document, scene):
    for i, cls in enumerate(("Input", "Dense", "Dense", "Add")):
        scene.drop_layer(cls, QPointF(400 * i, 0))
    assert scene.connect_nodes("input", "dense")
    assert scene.connect_nodes("input", "dense_1")
    assert scene.connect_nodes("dense_1", "add")
    assert scene.connect_nodes("dense", "add")
    spec = document.to_spec()
    layers = {entry["name"]: entry["inputs"] for entry in spec["layers"]}
    assert layers == {"input": [], "dense": ["input"], "dense_1": ["input"],
                      "add": ["dense_1", "dense"]}
    assert spec["outputs"] == ["add"]
    assert document.analysis.ok and document.analysis.shapes["add"] == (32,)


def test_connecting_refuses_cycles_and_replaces_a_single_input(document, scene):
    for i, cls in enumerate(("Input", "Dense", "Dense")):
        scene.drop_layer(cls, QPointF(400 * i, 0))
    scene.connect_nodes("input", "dense")
    scene.connect_nodes("dense", "dense_1")
    assert not scene.connect_nodes("dense_1", "dense")  # would be a cycle
    assert not scene.connect_nodes("dense", "input")  # an Input takes no input
    scene.connect_nodes("input", "dense_1")  # Dense takes one input: the old edge goes
    assert document.node("dense_1").inputs == ["input"]
    assert ("dense", "dense_1") not in scene.edges


def test_selected_edges_are_deleted(document, scene):
    scene.drop_layer("Input", QPointF(0, 0))
    scene.drop_layer("Dense", QPointF(600, 0))
    scene.connect_nodes("input", "dense")
    scene.clearSelection()
    scene.edges[("input", "dense")].setSelected(True)
    scene.delete_selection()
    assert document.node("dense").inputs == []
    assert set(document.graph.nodes) == {"input", "dense"}


def test_a_block_shows_its_settings_shape_params_and_problem_badge(document, scene):
    scene.drop_layer("Dense", QPointF(0, 0))
    item = scene.nodes["dense"]
    assert item.problems and "no input" in item.problems[0].message
    scene.drop_layer("Input", QPointF(0, -400))
    scene.connect_nodes("input", "dense")
    assert item.problems == []
    assert item.settings == "32"
    assert item.shape_text == "(None, 32)"
    assert item.params_text == f"{784 * 32 + 32:,} params"
    document.push(commands.SetParam(document, "dense", "activation", "relu"))
    assert item.settings == "32, relu"


def test_that_attention_recurrent_wrappers_and_axes_read_as_phrases_on_their_blocks():
    from app import graph_ops  # noqa: PLC0415
    from engine.graph import Node  # noqa: PLC0415

    def text(class_name, **config):
        return graph_ops.key_settings(Node(name="n", class_name=class_name, config=config))

    assert text("MultiHeadAttention", num_heads=2, key_dim=16) == "2 heads × 16"
    assert text("Bidirectional", layer_class="GRU", units=8) == "GRU 8"
    assert text("LayerNormalization", axis=-1) == "axis -1"
    assert text("Dense", units=128, activation="relu") == "128, relu"
