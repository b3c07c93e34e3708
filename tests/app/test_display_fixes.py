"""What a user reads on charts and blocks: the class chart's legend and block names that fit."""

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
