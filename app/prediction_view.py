"""PredictionView (the Predict tab): try the model on test samples, a drawing or a file.

Pick a test sample (image grid or table) and see the top-k class probabilities as bars.
Image models get a drawing pad at the input's resolution with live prediction, and can
load an image file (Pillow); tabular models get an editable feature row. Every input goes
through the data's fitted pipeline (`PreparedData.transform_raw`), so a drawing is scaled
exactly like the training data (digits: ink 0..1 becomes 0..16, then the pipeline's 1/16).
"""

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, \
    QPushButton, QSpinBox, QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem, \
    QVBoxLayout, QWidget

from .data_panel.samples import BarChart, SampleGrid, SampleTable, to_pixmap
from .evaluation_metrics import as_probabilities
from .evaluation_view import model_input_shape
from .file_dialogs import open_file
from .prediction_pad import PadPage, image_to_pixels

__all__ = ["PredictionView", "image_to_pixels"]

PICKER_SAMPLES = 60
LIVE_DELAY_MS = 40


class PredictionView(QWidget):
    predicted = Signal(object)  # the full probability vector (or a value for regression)

    def __init__(self, window=None, parent=None):
        super().__init__(parent)
        self.setObjectName("predictView")
        self.window = window
        self._model = None
        self.prepared = None
        self.last_probabilities = None
        self.last_value = None
        self.source_text = ""
        self._offset = 0
        self.live = QTimer(self, singleShot=True, interval=LIVE_DELAY_MS)
        self.live.timeout.connect(self.predict_pad)
        self._build()
        self._update_state()

    # ----- layout ---------------------------------------------------------------------------------
    def _build(self):
        self.grid = SampleGrid(40)
        self.grid.setObjectName("predictSamples")
        self.grid.sample_chosen.connect(self.predict_test_sample)
        self.table = SampleTable()
        self.table.sample_chosen.connect(self.predict_test_sample)
        self.picker = QStackedWidget()
        self.picker.addWidget(self.grid)
        self.picker.addWidget(self.table)
        self.more_button = QPushButton("Other samples", objectName="shuffleSamplesButton")
        self.more_button.clicked.connect(self.next_samples)
        picker_title = QLabel("Test samples (click one)")
        picker_title.setProperty("role", "section")
        left = _column(picker_title, self.picker, self.more_button)
        self.pad_page = PadPage()
        self.pad, self.seen = self.pad_page.pad, self.pad_page.seen
        self.pad.changed.connect(self.live.start)
        self.pad.stroke_finished.connect(self.predict_pad)
        self.pad_page.load_button.clicked.connect(lambda: self.load_image())
        self.row = QTableWidget(0, 1, objectName="featureRow")
        self.row.setEditTriggers(QAbstractItemView.AllEditTriggers)
        self.row.setHorizontalHeaderLabels(["value"])
        self.row.horizontalHeader().setStretchLastSection(True)
        self.row.verticalHeader().setDefaultSectionSize(22)
        self.row.itemChanged.connect(self._on_row_edited)
        row_title = QLabel("Edit the features (raw values, as in the data file)")
        row_title.setProperty("role", "section")
        self.row_status = QLabel(wordWrap=True)
        self.row_page = _column(row_title, self.row, self.row_status)
        self.input_stack = QStackedWidget()
        self.input_stack.addWidget(self.pad_page)
        self.input_stack.addWidget(self.row_page)
        self.prediction_label = QLabel(objectName="predictionLabel", wordWrap=True)
        self.prediction_label.setProperty("role", "title")
        self.top_k = QSpinBox(objectName="topKSpin", minimum=1, maximum=100, value=5)
        self.top_k.setPrefix("top ")
        self.top_k.valueChanged.connect(self._redraw_bars)
        self.chart = BarChart("Class probabilities", "probability")
        self.chart.setObjectName("probabilityChart")
        head = QHBoxLayout()
        head.addWidget(self.prediction_label, 1)
        head.addWidget(self.top_k)
        right = _column(head, self.chart)
        self.status = QLabel(objectName="predictStatus", wordWrap=True)
        self.status.setProperty("role", "muted")
        splitter = QSplitter(Qt.Horizontal)
        for w in (left, self.input_stack, right):
            splitter.addWidget(w)
        splitter.setSizes([380, 360, 480])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    # ----- inputs ---------------------------------------------------------------------------------
    def set_model(self, model, source: str = "") -> None:
        self._model = model
        self._update_state()

    def set_data(self, prepared) -> None:
        self.prepared = prepared
        self._offset = 0
        self._update_state()

    def model(self):
        if self._model is not None:
            return self._model
        controller = getattr(self.window, "training_controller", None)
        if controller is not None and hasattr(controller, "current_model"):
            return controller.current_model()
        return None

    @property
    def is_image(self) -> bool:
        p = self.prepared
        return p is not None and p.is_image and p.raw_test.ndim >= 3

    def _update_state(self):
        p, model = self.prepared, self.model()
        if p is None:
            self._set_status("No data: choose a data set in the Data tab.")
            return
        self._fill_picker()
        if self.is_image:
            h, w = p.raw_test.shape[1:3]
            if self.pad.input_size != (h, w):
                self.pad.set_input_size(h, w)
            self.input_stack.setCurrentWidget(self.pad_page)
        else:
            self._fill_row(p.raw_test[0])
            self.input_stack.setCurrentWidget(self.row_page)
        if model is None:
            self._set_status("No trained model yet: train one (Training tab) or load a "
                             "checkpoint in the Evaluate tab.")
            return
        expected = model_input_shape(model)
        if expected is not None and tuple(p.x_test.shape[1:]) != expected:
            self._set_status(f"The model expects inputs of shape {expected}; the data gives "
                             f"{tuple(p.x_test.shape[1:])}. Choose matching data.")
            return
        self._set_status("Pick a test sample, draw, or type values to see what the model "
                         "predicts." if self.is_image else "Pick a test sample or edit the "
                         "feature row to see what the model predicts.")
        self.predict_test_sample(self._offset)

    def _fill_picker(self):
        p = self.prepared
        n = len(p.raw_test)
        indices = (np.arange(PICKER_SAMPLES) + self._offset) % max(n, 1)
        indices = indices[:min(PICKER_SAMPLES, n)]
        truth = [p.label_text(p.y_test[i]) for i in indices]
        if self.is_image:
            self.picker.setCurrentWidget(self.grid)
            self.grid.set_samples(p.raw_test[indices], truth, indices, p.raw_range,
                                  [f"test sample {i}, label {t}" for i, t in zip(indices, truth)])
        else:
            self.picker.setCurrentWidget(self.table)
            self.table.set_rows(p.raw_test[indices], p.feature_names, indices, {"label": truth})

    def next_samples(self):
        if self.prepared is not None:
            self._offset = (self._offset + PICKER_SAMPLES) % max(len(self.prepared.raw_test), 1)
            self._fill_picker()

    def _fill_row(self, raw):
        p = self.prepared
        raw = np.asarray(raw).reshape(-1)
        names = p.feature_names or [f"x{i}" for i in range(len(raw))]
        self.row.blockSignals(True)
        self.row.setRowCount(len(raw))
        self.row.setVerticalHeaderLabels(names[:len(raw)])
        for i, value in enumerate(raw):
            self.row.setItem(i, 0, QTableWidgetItem(f"{float(value):.6g}"))
        self.row.blockSignals(False)

    # ----- predicting -----------------------------------------------------------------------------
    def predict_test_sample(self, index: int):
        p = self.prepared
        if p is None or not 0 <= index < len(p.raw_test):
            return None
        raw = p.raw_test[index]
        if self.is_image:
            low, high = p.raw_range
            pixels = (np.asarray(raw, np.float32) - low) / (high - low or 1.0)
            self.pad_page.show_pixels(pixels.mean(axis=-1) if pixels.ndim == 3 else pixels)
        else:
            self._fill_row(raw)
        truth = p.label_text(p.y_test[index])
        return self.predict_raw(raw, f"test sample {index} (true: {truth})")

    def predict_pad(self):
        """Predicts what is on the pad: a drawing or a loaded image file."""
        if not self.is_image:
            return None
        self.live.stop()
        return self.predict_raw(self.pad_raw(), self.pad_page.description())

    def pad_raw(self) -> np.ndarray:
        """The pad's pixels in the raw data's units and sample shape."""
        p = self.prepared
        low, high = p.raw_range
        values = low + self.pad.pixels() * (high - low)
        shape = p.raw_test.shape[1:]
        if len(shape) == 3:
            values = np.repeat(values[..., None], shape[2], axis=2)
        return values.astype(np.float32)

    def predict_row(self):
        values = []
        for i in range(self.row.rowCount()):
            item = self.row.item(i, 0)
            try:
                values.append(float(item.text()))
            except (AttributeError, ValueError):
                name = self.row.verticalHeaderItem(i).text()
                self.row_status.setText(f"{name!r}: {item.text() if item else ''!r} is not a "
                                        "number.")
                self.row_status.setProperty("role", "error")
                return None
        self.row_status.setText("")
        return self.predict_raw(np.asarray(values, np.float32), "the typed row")

    def _on_row_edited(self, _item):
        self.predict_row()

    def predict_raw(self, raw, description: str = ""):
        """Runs the model on one raw sample; shows and returns its probabilities (or value)."""
        model, p = self.model(), self.prepared
        if model is None or p is None:
            return None
        x = p.transform_raw(np.asarray(raw)[None])
        expected = model_input_shape(model)
        if expected is not None and tuple(x.shape[1:]) != expected:
            return None
        outputs = model.predict(x)
        outputs = outputs[0] if isinstance(outputs, list) else outputs
        self.source_text = description
        self._show_seen(x[0])
        if p.task == "classification":
            self.last_probabilities = as_probabilities(outputs)[0]
            self._redraw_bars()
            self.predicted.emit(self.last_probabilities)
            return self.last_probabilities
        self.last_value = float(np.asarray(outputs).reshape(-1)[0])
        self.prediction_label.setText(f"Predicted value: {self.last_value:.4g}  "
                                      f"({description})")
        self.chart.set_series([], [])
        self.predicted.emit(self.last_value)
        return self.last_value

    def probabilities(self):
        return self.last_probabilities

    def _redraw_bars(self):
        probs, p = self.last_probabilities, self.prepared
        if probs is None or p is None:
            return
        names = list(p.class_names) + [str(i) for i in range(len(p.class_names), len(probs))]
        k = min(self.top_k.value(), len(probs))
        order = np.argsort(-probs, kind="stable")[:k]
        self.chart.set_series([names[i] for i in order], [("probability", probs[order])],
                              y_range=(0, 1.02))
        best = int(order[0])
        self.prediction_label.setText(f"{names[best]}  ({probs[best]:.0%})  —  "
                                      f"{self.source_text}")

    def _show_seen(self, x):
        if not self.is_image:
            return
        image = np.asarray(x, np.float32)
        image = image.reshape(self.prepared.raw_test.shape[1:]) if image.size == int(
            np.prod(self.prepared.raw_test.shape[1:])) else image
        self.seen.setPixmap(to_pixmap(image, float(image.min()), float(image.max()) or 1.0, 64))

    # ----- files ----------------------------------------------------------------------------------
    def load_image(self, path: str | None = None) -> bool:
        """Loads an image file into the pad (resized to the input, dark ink inverted)."""
        if not self.is_image:
            return False
        if path is None:
            path = open_file(self, "Load image", "image",
                             "Images (*.png *.jpg *.jpeg *.bmp *.gif)")
        if not path:
            return False
        try:
            self.pad_page.load(path)
        except (OSError, ValueError) as exc:
            self._set_status(f"Cannot read {path}: {exc}")
            return False
        self.predict_pad()
        return True

    def _set_status(self, text):
        self.status.setText(text)


def _column(*parts) -> QWidget:
    widget = QWidget()
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(4, 4, 4, 4)
    for part in parts:
        if isinstance(part, QWidget):
            layout.addWidget(part, 1 if not isinstance(part, (QLabel, QPushButton)) else 0)
        else:
            layout.addLayout(part)
    return widget

