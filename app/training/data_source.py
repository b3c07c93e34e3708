"""Where a run's data comes from.

In order: the data panel (the owner of the `datasetCombo` widget, which exposes
`current() -> PreparedData | None`); else `app.data_panel.prepared.prepare(spec,
input_shape)` when that module exists; else a small preparation straight from
`engine.datasets` + `engine.data.Pipeline` (same spec keys), producing an object with the
PreparedData fields the training side reads.
"""

from dataclasses import dataclass, field
import importlib.util

import numpy as np

from engine import data as engine_data, datasets
from engine.errors import DataError


@dataclass
class SimplePreparedData:
    """The PreparedData fields training, evaluation and prediction read."""

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list = field(default_factory=list)
    raw_test: np.ndarray | None = None
    feature_names: list = field(default_factory=list)
    spec: dict = field(default_factory=dict)
    pipeline: object = None

    @property
    def is_image(self) -> bool:
        return self.x_train.ndim >= 3


def panel_owner(window):
    """The data panel object exposing `current()`, or None when no data panel is installed."""
    from PySide6.QtWidgets import QWidget  # noqa: PLC0415

    widget = window.findChild(QWidget, "datasetCombo")
    while widget is not None:
        if callable(getattr(widget, "current", None)) and not hasattr(widget, "currentText"):
            return widget
        widget = widget.parentWidget()
    return None


def has_prepare_module() -> bool:
    try:
        return importlib.util.find_spec("app.data_panel.prepared") is not None
    except ModuleNotFoundError:
        return False


def prepare(spec: dict, input_shape: tuple):
    """PreparedData for the project's data `spec` (the data panel's function when present)."""
    if has_prepare_module():
        from app.data_panel.prepared import prepare as panel_prepare  # noqa: PLC0415

        return panel_prepare(spec, input_shape)
    return prepare_directly(spec, input_shape)


def prepare_directly(spec: dict, input_shape: tuple | None) -> SimplePreparedData:
    """Loads `spec["dataset"]`, splits off validation, fits the pipeline on training data."""
    name = (spec or {}).get("dataset")
    if not name:
        raise DataError("No data set is chosen for this project. Choose one in the Data tab "
                        "(for example the bundled 'digits').")
    (x, y), (x_test, y_test) = datasets.load(name)
    info = datasets.info(name)
    split = float(spec.get("validation_split", 0.1) or 0.0)
    (x_train, y_train), (x_val, y_val), _ = engine_data.train_val_test_split(
        x, y, val=split, seed=int(spec.get("seed", 0) or 0))
    pipeline = engine_data.Pipeline(spec.get("preprocessing", []))
    x_train, y_train = pipeline.fit_transform(x_train, y_train)
    x_val, y_val = pipeline.transform(x_val, y_val) if split else (None, None)
    x_test_p, y_test_p = pipeline.transform(x_test, y_test)
    arrays = [_shaped(a, input_shape) for a in (x_train, x_val, x_test_p)]
    return SimplePreparedData(
        name=name, task=info.task, x_train=arrays[0], y_train=y_train, x_val=arrays[1],
        y_val=y_val, x_test=arrays[2], y_test=y_test_p, class_names=list(info.class_names),
        raw_test=x_test, feature_names=list(info.feature_names), spec=dict(spec),
        pipeline=pipeline)


def _shaped(x, input_shape):
    """float32, reshaped to the model's input when the sizes agree (else left as is)."""
    if x is None:
        return None
    x = np.asarray(x, dtype=np.float32)
    if input_shape and tuple(x.shape[1:]) != tuple(input_shape) and \
            int(np.prod(x.shape[1:])) == int(np.prod(input_shape)):
        x = x.reshape((x.shape[0], *input_shape))
    return x
