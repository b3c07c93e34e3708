"""What a user reads on charts and blocks: the class chart's legend and block names that fit."""

from PySide6.QtCore import QPointF
from PySide6.QtGui import QFontMetrics

from app.canvas import items
from app.data_panel.samples import BarChart

CLASSES = ["setosa", "versicolor", "virginica"]
SPLITS = [("train", [36, 36, 36]), ("validation", [4, 4, 4]), ("test", [10, 10, 10])]


def test_that_the_class_chart_names_each_bar_colour_in_its_legend(qtbot):
    chart = BarChart("Class distribution", "samples")
    qtbot.addWidget(chart)
    chart.show()
    chart.set_series(CLASSES, SPLITS[:1])  # the panel redraws as its data arrives
    assert chart.legend_labels() == []  # one series: the title says what it is
    chart.set_series(CLASSES, SPLITS)
    assert chart.legend_labels() == ["train", "validation", "test"]
    assert chart.legend.scene() is chart.scene() and chart.legend.isVisible()
    chart.set_series(CLASSES, SPLITS[::2])  # no validation split
    assert chart.legend_labels() == ["train", "test"]
    assert chart.getPlotItem().getAxis("left").labelText == "samples"


def test_that_a_pooling_block_shows_its_whole_name_and_a_shortened_class(scene):
    scene.drop_layer("MaxPooling2D", QPointF(200, 200))
    item = scene.nodes["max_pooling2d"]
    name, _, class_text, _ = items.title_texts(item.name, item.class_name)
    assert name == "max_pooling2d"  # was "max_pooli…"
    assert class_text.startswith("MaxPool") and class_text.endswith("…")
    assert item.toolTip().startswith("max_pooling2d (MaxPooling2D)")


def test_that_a_name_too_long_for_its_block_is_elided_in_the_middle(qtbot):
    block = items.NodeItem("global_average_pooling2d_12", "GlobalAveragePooling2D", "Pooling")
    name, name_w, class_text, class_w = items.title_texts(block.name, block.class_name)
    assert "…" in name and name.startswith("glob") and name.endswith("d_12")
    assert QFontMetrics(items.font("title")).horizontalAdvance(name) <= name_w
    room = items.WIDTH - items.TITLE_LEFT - items.TITLE_RIGHT - items.TITLE_GAP
    assert name_w + class_w <= room  # the name and the class never overlap
    assert block.toolTip().startswith("global_average_pooling2d_12 (GlobalAveragePooling2D)")
    block.name = "features"  # renamed on the canvas
    assert block.toolTip().startswith("features (GlobalAveragePooling2D)")
    assert items.title_texts(block.name, block.class_name)[0] == "features"
