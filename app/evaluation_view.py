"""EvaluationView (the Evaluate tab): how good is the model on the test split?

The model is the last one handed over (`set_model`, the training controller's
`model_ready`, or "Load checkpoint…"), else `window.training_controller.current_model()`.
Small test splits are evaluated at once; larger ones in a worker thread so the window stays
responsive. Classification shows a clickable confusion matrix with per-class scores and ROC
curves (each class against the rest); clicking a cell lists its samples, most confident first.
Regression shows predicted-vs-true and residual plots.
"""

import traceback

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, \
    QStackedWidget, QTabWidget, QVBoxLayout, QWidget

from engine.errors import LayerCraftError

from .data_panel.background import BackgroundCall
from .data_panel.samples import SampleGrid, SampleTable
from .confusion_matrix import ConfusionMatrixView
from .evaluation_metrics import evaluate_model
from .evaluation_plots import MetricsTable, RegressionPlots, RocPlot, ScoresTable
from .file_dialogs import open_file
from .wording import plural

#: Test splits larger than this are evaluated in a worker thread.
THREAD_THRESHOLD = 2000
MAX_CELL_SAMPLES = 200


def model_input_shape(model):
    shapes = getattr(model, "input_shapes", None)
    return tuple(shapes[0]) if shapes else None


class EvaluationView(QWidget):
    evaluated = Signal(object)  # EvaluationResult

    def __init__(self, window=None, parent=None):
        super().__init__(parent)
        self.setObjectName("evaluationView")
        self.window = window
        self._model = None
        self._model_text = ""
        self.prepared = None
        self.result = None
        self.shown_cell = None
        self.job = BackgroundCall(self)
        self.job.done.connect(self._show_result)
        self.job.failed.connect(self._on_failed)
        self.ask_checkpoint_path = self._ask_checkpoint_path
        self._build()
        self._update_state()

    # ----- layout ---------------------------------------------------------------------------------
    def _build(self):
        self.evaluate_button = QPushButton("Evaluate on test data", objectName="evaluateButton")
        self.evaluate_button.setDefault(True)
        self.evaluate_button.clicked.connect(self.evaluate)
        self.load_button = QPushButton("Load checkpoint…", objectName="loadCheckpointButton")
        self.load_button.clicked.connect(self.load_checkpoint)
        self.model_label = QLabel(objectName="evaluationModel")
        self.model_label.setProperty("role", "muted")
        self.status = QLabel(objectName="evaluationStatus", wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        bar = QHBoxLayout()
        bar.addWidget(self.evaluate_button)
        bar.addWidget(self.load_button)
        bar.addWidget(self.model_label, 1)
        self.metrics = MetricsTable()
        self.scores = ScoresTable()
        left = QSplitter(Qt.Vertical)
        left.addWidget(self.metrics)
        left.addWidget(self.scores)
        left.setSizes([140, 260])
        self.confusion_view = ConfusionMatrixView()
        self.confusion = self.confusion_view.table
        self.confusion.cell_chosen.connect(self.show_cell)
        self.regression = RegressionPlots()
        self.center = QStackedWidget()
        self.center.addWidget(self.confusion_view)
        self.center.addWidget(self.regression)
        self.cell_title = QLabel("Click a cell of the confusion matrix to see its samples.",
                                 objectName="cellTitle", wordWrap=True)
        self.cell_title.setProperty("role", "muted")
        self.cell_grid = SampleGrid(40)
        self.cell_table = SampleTable()
        self.cell_stack = QStackedWidget()
        self.cell_stack.addWidget(self.cell_grid)
        self.cell_stack.addWidget(self.cell_table)
        samples = QWidget()
        column = QVBoxLayout(samples)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.cell_title)
        column.addWidget(self.cell_stack, 1)
        self.roc = RocPlot()
        self.side = QTabWidget(objectName="evaluationSide")
        self.side.addTab(samples, "Samples")
        self.side.addTab(self.roc, "ROC curve")
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.center)
        splitter.addWidget(self.side)
        splitter.setSizes([350, 540, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(bar)
        layout.addWidget(self.status)
        layout.addWidget(splitter, 1)

    # ----- inputs ---------------------------------------------------------------------------------
    def set_model(self, model, source: str | None = None) -> None:
        if source is None:  # from the training controller: it knows where the model came from
            controller = getattr(self.window, "training_controller", None)
            source = getattr(controller, "model_source", "the last training run")
        self._model = model
        self._model_text = source
        self._update_state()

    def set_data(self, prepared) -> None:
        self.prepared = prepared
        self._update_state()

    def model(self):
        if self._model is not None:
            return self._model
        controller = getattr(self.window, "training_controller", None)
        if controller is not None and hasattr(controller, "current_model"):
            return controller.current_model()
        return None

    def load_checkpoint(self, path: str | None = None) -> bool:
        """Loads a `.lcm` checkpoint as the model to evaluate; a bad file changes nothing."""
        path = path or self.ask_checkpoint_path()
        if not path:
            return False
        from engine.saving import checkpoint  # noqa: PLC0415

        try:
            model = checkpoint.load_model(path)
        except LayerCraftError as exc:
            self._set_status(str(exc), "error")
            return False
        self.set_model(model, f"checkpoint {path}")
        self._set_status("Checkpoint loaded. Press Evaluate.", "ok")
        return True

    def _ask_checkpoint_path(self):
        return open_file(self, "Load checkpoint", "checkpoint", "LayerCraft checkpoints (*.lcm)")

    # ----- evaluating -----------------------------------------------------------------------------
    def evaluate(self) -> bool:
        """Evaluates the model on the test split; False (with a message) when it cannot."""
        model, prepared = self.model(), self.prepared
        problem = self._problem(model, prepared)
        if problem:
            self._set_status(problem, "error")
            return False
        self._set_status(f"Evaluating on {plural(len(prepared.x_test), 'test sample')}…",
                         "muted")
        self.evaluate_button.setEnabled(False)
        if len(prepared.x_test) > THREAD_THRESHOLD:
            self.job.start(lambda: evaluate_model(model, prepared))
            return True
        try:
            result = evaluate_model(model, prepared)
        except Exception as exc:  # shown to the user; the app keeps working
            self._on_failed(str(exc), traceback.format_exc())
            return False
        self._show_result(result)
        return True

    def _problem(self, model, prepared):
        if model is None:
            return "No trained model yet: train one (Training tab) or load a checkpoint."
        if prepared is None:
            return "No data: choose a data set in the Data tab."
        expected = model_input_shape(model)
        if expected is not None and tuple(prepared.x_test.shape[1:]) != expected:
            return (f"The model expects inputs of shape {expected}, but the test samples have "
                    f"shape {tuple(prepared.x_test.shape[1:])}. Choose matching data in the "
                    "Data tab.")
        return None

    def _on_failed(self, message, details=""):
        self.evaluate_button.setEnabled(True)
        self._set_status(f"Evaluation failed: {message}", "error")

    def _show_result(self, result):
        self.result = result
        self.evaluate_button.setEnabled(True)
        self.metrics.set_metrics(result.metrics)
        classification = result.task == "classification"
        self.scores.setVisible(classification)
        if classification:
            self.center.setCurrentWidget(self.confusion_view)
            self.confusion.set_matrix(result.confusion, result.class_names)
            self.scores.set_scores(result.class_names, result.per_class)
            self._show_errors_hint(result)
        else:
            self.center.setCurrentWidget(self.regression)
            self.regression.set_values(result.y_true, result.predicted)
            self.cell_title.setText("Regression: the scatter shows every test sample.")
        self.side.setVisible(classification)
        if result.roc:
            self.roc.set_curves(result.roc, result.roc_note)
        else:
            self.roc.set_unavailable(result.roc_note)
        self._set_status(f"Evaluated {plural(result.num_samples, 'test sample')} with "
                         f"{self._model_text or 'the model'}.", "ok")
        self.evaluated.emit(result)

    def _show_errors_hint(self, result):
        """Starts with the most frequent confusion, so the samples pane is never empty."""
        off = result.confusion.copy()
        np.fill_diagonal(off, 0)
        if off.sum():
            r, c = np.unravel_index(int(off.argmax()), off.shape)
            self.confusion.click_cell(int(r), int(c))
        else:
            self.cell_title.setText("No mistakes on the test split. Click a cell to see its "
                                    "samples.")

    def show_cell(self, true_class: int, predicted_class: int) -> list[int]:
        """Lists the test samples of one confusion-matrix cell, most confident first."""
        result, prepared = self.result, self.prepared
        if result is None or result.task != "classification" or prepared is None:
            return []
        indices = result.cell_samples(true_class, predicted_class)[:MAX_CELL_SAMPLES]
        names = result.class_names
        total = int(result.confusion[true_class, predicted_class])
        verdict = ("correct" if true_class == predicted_class
                   else "a mistake" if total == 1 else "mistakes")
        order = ", most confident first" if total > 1 else ""
        self.cell_title.setText(f"True {names[true_class]} → predicted "
                                f"{names[predicted_class]}: {plural(total, 'sample')} "
                                f"({verdict}){order}.")
        confidence = result.confidence()[indices]
        captions = [f"{c:.0%}" for c in confidence]
        if prepared.is_image:
            self.cell_stack.setCurrentWidget(self.cell_grid)
            tips = [f"test sample {i}: {c:.1%} sure it is {names[predicted_class]}"
                    for i, c in zip(indices, confidence)]
            self.cell_grid.set_samples(prepared.raw_test[indices], captions, indices,
                                       prepared.raw_range, tips)
        else:
            self.cell_stack.setCurrentWidget(self.cell_table)
            self.cell_table.set_rows(prepared.raw_test[indices], prepared.feature_names,
                                     indices, {"confidence": captions})
        self.side.setCurrentIndex(0)
        self.shown_cell = (true_class, predicted_class, [int(i) for i in indices])
        return self.shown_cell[2]

    # ----- state ----------------------------------------------------------------------------------
    def _update_state(self):
        model = self.model()
        if model is None:
            self.model_label.setText("No model yet: train one or load a checkpoint.")
        else:
            self.model_label.setText(f"Model: {getattr(model, 'name', 'model')} from "
                                     f"{self._model_text or 'the training run'}")

    def _set_status(self, text, role):
        self.status.setText(text)
        self.status.setProperty("role", role)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def shutdown(self) -> None:
        self.job.shutdown()
