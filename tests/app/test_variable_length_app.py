"""A model with None (variable) dimensions in the app: canvas, summary, data and compile
checks."""

import pytest

from engine import Input, Sequential, layers

DIGITS = {"dataset": "digits", "preprocessing": [{"op": "scale", "factor": 1 / 16}]}
COMPILE = {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
           "metrics": ["accuracy"]}


def _sequence_spec():
    model = Sequential([Input((None, 8), name="input"), layers.Masking(),
                        layers.LSTM(4, return_sequences=True), layers.GlobalAveragePooling1D(),
                        layers.Dense(10, activation="softmax", name="out")])
    return model.to_spec()


def test_that_the_canvas_shows_none_in_the_shapes(qtbot, document, scene):
    document.load(_sequence_spec(), compile_spec=COMPILE)
    texts = {getattr(item, "shape_text", "") for item in scene.items()}
    assert {"(None, None, 8)", "(None, None, 4)", "(None, 4)", "(None, 10)"} <= texts
    assert document.analysis.problems == []


def test_that_compile_checks_accept_a_model_with_none_dims(qtbot, document):
    from app.compile_checks import check

    document.load(_sequence_spec(), compile_spec=COMPILE)
    assert check(document) == []


@pytest.fixture
def panel(qtbot, document):
    from app.data_panel.panel import DataPanel

    document.load(_sequence_spec(), compile_spec=COMPILE, settings={"data": DIGITS})
    widget = DataPanel(document)
    qtbot.addWidget(widget)
    yield widget
    widget.shutdown()


def test_that_data_of_any_length_fits_a_none_input(panel):
    # digits are (8, 8): 8 steps of 8 features, which (None, 8) accepts.
    assert panel.model_input()[1] == (None, 8)
    assert panel.check_shape() is None
