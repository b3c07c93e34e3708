"""DataPanel (the Data tab): choose, import, split and preprocess data; preview it; check it
against the model; hand `PreparedData` to the other views through `data_changed`.

The data spec lives in the project (`document.settings["data"]`): it is written when the
user changes something and read back when a project opens. Bundled and generated sets are
prepared at once (they take milliseconds); downloads and imported files are fetched and
prepared in a worker thread, with a progress bar and a Cancel button.
"""

import traceback

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QProgressBar, \
    QPushButton, QScrollArea, QSplitter, QStackedWidget, QVBoxLayout, QWidget

from engine import datasets
from engine.errors import LayerCraftError
from engine.layers.base import dims_match

from ..commands import SetParam
from ..file_dialogs import open_file, open_folder
from .background import PrepareJob
from .controls import DataControls, suggested_preprocessing
from .import_dialog import KIND_TITLES, ImportDialog
from .import_messages import for_dialog
from .prepared import normalized, prepare
from .samples import BarChart, SampleGrid, SampleTable
from .sanity import class_counts, sanity_warnings
from .warnings_view import WarningList

PREVIEW_SAMPLES = 48
FILE_FILTERS = {"csv": "CSV files (*.csv *.tsv *.txt);;All files (*)",
                "npz": "NumPy files (*.npz *.npy)",
                "idx": "IDX files (*-ubyte *-ubyte.gz *.idx *.gz);;All files (*)"}


class DataPanel(QWidget):
    data_changed = Signal(object)  # PreparedData

    def __init__(self, document, parent=None):
        super().__init__(parent)
        self.setObjectName("dataPanel")
        self.document = document
        self._prepared = None
        self._input_shape = None
        self.dialog = None
        self.ask_path = self._ask_path
        self.job = PrepareJob(self)
        self.job.progress.connect(self._on_progress)
        self.job.done.connect(self._on_prepared)
        self.job.failed.connect(self._on_failed)
        self._build()
        document.reset.connect(self.restore_from_document)
        document.analysis_changed.connect(self._on_analysis)
        document.compile_changed.connect(self.refresh_warnings)
        self.restore_from_document()

    # ----- layout ---------------------------------------------------------------------------------
    def _build(self):
        self.controls = DataControls()
        self.controls.changed.connect(self._on_user_change)
        self.import_button = QPushButton("Import…", objectName="importButton")
        menu = QMenu(self.import_button)
        for kind, title in KIND_TITLES.items():
            menu.addAction(f"{title}…", lambda k=kind: self.import_file(k))
        self.import_button.setMenu(menu)
        self.info = QLabel(objectName="dataInfo", wordWrap=True)
        self.info.setProperty("role", "muted")
        self.progress = QProgressBar(objectName="downloadProgress")
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel", objectName="cancelDownloadButton")
        self.cancel_button.clicked.connect(self.cancel_download)
        self.download_button = QPushButton("Download", objectName="downloadButton")
        self.download_button.clicked.connect(self.start_download)
        self.download_row = QWidget()
        row = QHBoxLayout(self.download_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.download_button)
        self.download_row.hide()
        top = QHBoxLayout()
        top.addWidget(self.controls.combo, 1)
        top.addWidget(self.import_button)
        left = QWidget()
        column = QVBoxLayout(left)
        column.setContentsMargins(8, 8, 8, 8)
        column.addLayout(top)
        column.addWidget(self.info)
        column.addWidget(self.download_row)
        column.addWidget(self.controls)
        column.addStretch(1)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setWidget(left)
        scroll.setMinimumWidth(300)
        self.summary = QLabel(objectName="dataSummary", wordWrap=True)
        self.summary.setProperty("role", "title")
        self.status = QLabel(objectName="dataStatus", wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.shape_card = QFrame(objectName="shapeCard")
        self.shape_card.setProperty("role", "card")
        self.shape_text = QLabel(wordWrap=True)
        self.shape_text.setProperty("role", "warning")
        self.shape_fix = QPushButton(objectName="setInputShapeButton")
        self.shape_fix.setProperty("fix", True)
        self.shape_fix.clicked.connect(self.set_input_shape)
        card = QHBoxLayout(self.shape_card)
        card.addWidget(self.shape_text, 1)
        card.addWidget(self.shape_fix)
        self.shape_card.hide()
        self.warning_list = WarningList()
        self.grid = SampleGrid(44)
        self.table = SampleTable()
        self.preview = QStackedWidget()
        self.preview.addWidget(self.grid)
        self.preview.addWidget(self.table)
        middle = QWidget()
        center = QVBoxLayout(middle)
        center.setContentsMargins(8, 8, 8, 4)
        center.addWidget(self.summary)
        center.addWidget(self.status)
        center.addWidget(self.shape_card)
        center.addWidget(self.warning_list)
        center.addWidget(self.preview, 1)
        self.chart = BarChart("Class distribution", "samples")
        self.chart.setObjectName("classChart")
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(middle)
        splitter.addWidget(self.chart)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([320, 620, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # ----- public API -----------------------------------------------------------------------------
    def current(self):
        """The prepared data, or None when nothing is ready."""
        return self._prepared

    def spec(self) -> dict:
        return self.controls.spec()

    def select_dataset(self, name: str) -> None:
        """As if the user picked `name` in the combo (suggested preprocessing included)."""
        index = self.controls.combo.findData(name)
        self.controls.combo.setCurrentIndex(index)
        self.controls._on_activated(index)

    def model_input(self):
        """(name, shape) of the model's Input layer, (None, None) without exactly one."""
        inputs = [n for n in self.document.graph.nodes.values() if n.class_name == "Input"]
        if len(inputs) != 1:
            return None, None
        return inputs[0].name, usable_shape(inputs[0].config.get("shape"))

    def output_shape(self):
        outputs = self.document.graph.outputs
        return self.document.analysis.shapes.get(outputs[0]) if outputs else None

    def warnings(self) -> list[str]:
        """The sanity warnings not dismissed yet."""
        return self.warning_list.visible_warnings()

    def restore_from_document(self) -> None:
        """Shows the project's data spec (after new/open) and prepares it."""
        stored = self.document.settings.get("data") or {}
        if not (stored.get("dataset") or stored.get("source")):
            stored = {"dataset": "digits", "preprocessing": suggested_preprocessing("digits")}
        self.controls.set_spec(normalized(stored))
        self._input_shape = self.model_input()[1]
        self.warning_list.reset_dismissed()
        self._prepare(user=False)

    # ----- preparing ------------------------------------------------------------------------------
    def _on_user_change(self):
        spec = self.controls.spec()
        if spec != self.document.settings.get("data"):
            self.document.set_project_field("data", spec)
        self._prepare(user=True)

    def _prepare(self, user: bool):
        spec = self.controls.spec()
        name = spec.get("dataset")
        self.job.cancel()
        self.download_row.hide()
        self._show_info(spec)
        if name in datasets.DOWNLOADABLE and not datasets.is_available_offline(name):
            if user:
                self.start_download()
            else:
                self._set_status(f"{datasets.info(name).title} is not downloaded yet.", "warning")
                self._show_download(active=False)
            return
        if name in datasets.DOWNLOADABLE or spec.get("source"):
            self._set_status("Loading…", "muted")
            self.job.start(spec, self._input_shape)
            return
        try:
            prepared = prepare(spec, self._input_shape)
        except (LayerCraftError, OSError, ValueError) as exc:
            self._on_failed(str(exc), traceback.format_exc())
            return
        self._on_prepared(prepared)

    def start_download(self):
        spec = self.controls.spec()
        name = spec.get("dataset")
        self._show_download(active=True)
        self._set_status(f"Downloading {datasets.info(name).title}…", "muted")
        self.job.start(spec, self._input_shape, download_name=name)

    def cancel_download(self):
        self.job.cancel()
        self._show_download(active=False)
        self._set_status("Download cancelled; what arrived is kept and the next attempt "
                         "resumes.", "warning")

    def _show_download(self, active: bool):
        self.download_row.show()
        self.progress.setVisible(active)
        self.cancel_button.setVisible(active)
        self.download_button.setVisible(not active)
        if active:
            self.progress.setRange(0, 0)

    def _on_progress(self, done, total):
        self.progress.setRange(0, 1000)
        self.progress.setValue(int(1000 * done / total) if total else 0)
        self.progress.setFormat(f"{done / 1e6:.1f} of {total / 1e6:.1f} MB")

    def _on_failed(self, message, details=""):
        self._prepared = None
        self.download_row.setVisible(self.download_button.isVisible() or self.job.running)
        if self.controls.spec().get("dataset") in datasets.DOWNLOADABLE:
            self._show_download(active=False)
        if self.controls.spec().get("source"):  # an imported file: name the dialog's controls
            message = for_dialog(message)
        self._set_status(message, "error")
        self.summary.setText("No data")
        self.data_changed.emit(None)

    def _on_prepared(self, prepared):
        self._prepared = prepared
        self.download_row.hide()
        self.controls.refresh_labels()
        self._set_status("", "muted")
        self._show_summary(prepared)
        self._show_preview(prepared)
        self._show_chart(prepared)
        self.check_shape()
        self.refresh_warnings()
        self.data_changed.emit(prepared)

    # ----- shape check ----------------------------------------------------------------------------
    def check_shape(self) -> str | None:
        """Shows (and returns) what does not fit between the data and the model's Input."""
        p = self._prepared
        message, fix = (None, None) if p is None else self._shape_problem(p)
        self.shape_card.setVisible(message is not None)
        self.shape_text.setText(message or "")
        self.shape_fix.setVisible(fix is not None)
        if fix is not None:
            self.shape_fix.setText(f"Set Input shape to {_shape(fix)}")
        self._shape_fix_value = fix
        return message

    def _shape_problem(self, p):
        name, shape = self.model_input()
        sample = tuple(p.sample_shape)
        if name is None:
            count = sum(n.class_name == "Input" for n in self.document.graph.nodes.values())
            if count == 0:
                return (f"The model has no Input layer. Add one with shape {_shape(sample)}.",
                        None)
            return (f"The model has {count} Input layers; the data panel feeds one array of "
                    f"shape {_shape(sample)}. Train a multi-input model from code.", None)
        if shape is not None and dims_match(sample, shape):  # None fits any size
            return None, None
        size = int(np.prod(sample))
        expects = "has no valid shape" if shape is None else f"expects {_shape(shape)}"
        return (f"The data's samples have shape {_shape(sample)} ({size} values), but the "
                f"model's Input '{name}' {expects}. Set the Input shape, or add "
                f"a Reshape/Flatten layer after it.", sample)

    def set_input_shape(self):
        """Sets the model's Input shape to the data's (one undoable edit)."""
        name, _ = self.model_input()
        if name is None or self._shape_fix_value is None:
            return
        self.document.push(SetParam(self.document, name, "shape", list(self._shape_fix_value)))

    def _on_analysis(self):
        shape = self.model_input()[1]
        if shape != self._input_shape:
            self._input_shape = shape
            if self._prepared is not None:
                self._prepare(user=False)
                return
        self.check_shape()
        self.refresh_warnings()

    # ----- warnings -------------------------------------------------------------------------------
    def refresh_warnings(self):
        if self._prepared is None:
            self.warning_list.set_warnings([])
            return
        self.warning_list.set_warnings(sanity_warnings(
            self._prepared, self.document.compile_spec, self.output_shape()))

    # ----- views ----------------------------------------------------------------------------------
    def _show_info(self, spec):
        name = spec.get("dataset")
        if name:
            info = datasets.info(name)
            self.info.setText(f"{info.description}\nSource: {info.source}. Licence: "
                              f"{info.licence}.")
        else:
            self.info.setText(f"Imported from {spec['source'].get('path')}.")

    def _show_summary(self, p):
        parts = [f"{len(p.x_train):,} training", ]
        if p.x_val is not None:
            parts.append(f"{len(p.x_val):,} validation" + (" (= test)" if p.x_val is p.x_test
                                                            else ""))
        parts.append(f"{len(p.x_test):,} test samples")
        kind = f"{p.num_classes} classes" if p.task == "classification" else "regression"
        self.summary.setText(f"{p.name}: {' · '.join(parts)} · shape {_shape(p.sample_shape)}"
                             f" · {kind}")

    def _show_preview(self, p):
        raw = p.raw_train if p.raw_train is not None else p.raw_test
        y = p.y_train
        count = min(len(raw), PREVIEW_SAMPLES)
        labels = [p.label_text(y[i]) for i in range(count)]
        if p.is_image:
            self.preview.setCurrentWidget(self.grid)
            self.grid.set_samples(raw[:count], labels, range(count), p.raw_range)
        else:
            self.preview.setCurrentWidget(self.table)
            self.table.set_rows(raw[:count], p.feature_names, range(count),
                                {"label": labels})

    def _show_chart(self, p):
        plot = self.chart.getPlotItem()
        if p.task == "classification":
            plot.setTitle("Class distribution", color=_muted(), size="9pt")
            series = [("train", class_counts(p))]
            if p.x_val is not None and p.x_val is not p.x_test:
                series.append(("validation", class_counts(p, p.y_val)))
            series.append(("test", class_counts(p, p.y_test)))
            self.chart.set_series(p.class_names, series)
        else:
            plot.setTitle("Target distribution (training)", color=_muted(), size="9pt")
            counts, edges = np.histogram(np.asarray(p.y_train).reshape(-1), bins=12)
            centers = [f"{(a + b) / 2:.3g}" for a, b in zip(edges[:-1], edges[1:])]
            self.chart.set_series(centers, [("train", counts)])

    def _set_status(self, text, role):
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self.status.setProperty("role", role)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    # ----- import ---------------------------------------------------------------------------------
    def import_file(self, kind: str, path: str | None = None) -> ImportDialog | None:
        """Asks for a file (unless `path` is given) and opens the preview dialog."""
        path = path or self.ask_path(kind)
        if not path:
            return None
        self.dialog = ImportDialog(kind, path, self)
        self.dialog.source_accepted.connect(self.use_source)
        self.dialog.open()
        return self.dialog

    def use_source(self, source: dict) -> None:
        loaded = self.dialog.loaded if self.dialog is not None else None
        x_max = None
        if loaded is not None and loaded.x.size:
            x_max = float(np.max(loaded.x))
        steps = suggested_preprocessing(None, x_max)
        if loaded is not None and loaded.x.ndim == 2 and x_max is not None:
            steps = [{"op": "standardize"}]
        self.controls.set_source(source, steps)

    def _ask_path(self, kind):
        # each kind of file starts in the folder it was last imported from
        if kind == "image_folder":
            return open_folder(self, "Image folder (one subfolder per class)", kind)
        return open_file(self, f"Import {KIND_TITLES[kind]}", kind, FILE_FILTERS[kind])

    def shutdown(self) -> None:
        self.job.shutdown()

    def closeEvent(self, event):
        self.shutdown()
        super().closeEvent(event)


def usable_shape(shape) -> tuple | None:
    """An Input's `shape` as a tuple of positive ints (or None per free axis); None when the
    saved value is not a shape (the model's analysis shows that problem on the block)."""
    if not isinstance(shape, (list, tuple)) or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0)
            for d in shape):
        return None
    return tuple(shape)


def _shape(shape) -> str:
    shape = tuple(shape)
    return f"({shape[0]},)" if len(shape) == 1 else str(shape)


def _muted():
    from .. import theme  # noqa: PLC0415

    return theme.colors()["text"]

