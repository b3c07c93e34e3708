"""ImportDialog: a CSV, NumPy, image-folder or IDX file with its options and a preview.

The file is read with the engine's loader each time an option changes; a loader error is
shown as its message (the engine's messages name the line, column and value) and the
Import button stays disabled until the file reads cleanly. `source_accepted(dict)` carries
the source spec, e.g. {"kind": "csv", "path": ..., "label": "species", "task": "auto"}.

A CSV offers every option of `from_csv` a user needs to fix a file in place: the label
column, the feature columns, missing values, and skipping rows that do not parse; the
loader's remedies are reworded to name these controls (`import_messages`). An image folder
starts at its images' own size.
"""

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, \
    QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from engine.data.csv_columns import header_columns
from engine.errors import LayerCraftError

from ..file_dialogs import open_file
from . import options_text as text
from .column_picker import ColumnPicker
from .image_size import ImageSizeField
from .import_messages import for_dialog, skipped_text
from .prepared import load_source
from .samples import SampleGrid, SampleTable

KIND_TITLES = {"csv": "CSV file", "npz": "NumPy file", "image_folder": "Image folder",
               "idx": "IDX files"}
PREVIEW_ROWS = 30
#: Sources larger than this are read in a worker thread, so the window never freezes.
BACKGROUND_BYTES = 4 * 1024 * 1024


def source_bytes(path) -> int:
    """Size of a file, or of the files directly inside an image folder's class folders."""
    path = Path(path)
    try:
        if path.is_file():
            return path.stat().st_size
        return sum(f.stat().st_size for d in path.iterdir() if d.is_dir() for f in d.iterdir())
    except OSError:
        return 0


def npz_keys(path) -> list[str]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            return list(getattr(npz, "files", []))
    except Exception:  # the loader reports what is wrong with the file
        return []


class ImportDialog(QDialog):
    source_accepted = Signal(dict)

    def __init__(self, kind: str, path: str, parent=None):
        super().__init__(parent)
        self.setObjectName("importDialog")
        self.setWindowTitle(f"Import {KIND_TITLES[kind]}: {Path(path).name}")
        self.kind, self.path = kind, str(path)
        self.loaded = None
        self.fields = {}
        self._reader = None  # BackgroundCall for large sources, created on first use
        self._build()
        self.resize(760, 520)
        self.load_preview()

    # ----- layout ---------------------------------------------------------------------------------
    def _build(self):
        form = QFormLayout()
        form.addRow("File", QLabel(self.path, wordWrap=True))
        getattr(self, f"_build_{self.kind}")(form)
        self.status = QLabel(objectName="importStatus", wordWrap=True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.table = SampleTable()
        self.grid = SampleGrid(40)
        self.grid.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Import")
        self.buttons.button(QDialogButtonBox.Ok).setObjectName("importAccept")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.buttons)

    def _combo(self, name, items, current=None, on_change=None):
        combo = QComboBox(objectName=f"import_{name}")
        for label, data in items:
            combo.addItem(label, data)
        if current is not None:
            combo.setCurrentIndex(max(0, combo.findData(current)))
        combo.currentIndexChanged.connect(on_change or self.load_preview)
        self.fields[name] = combo
        return combo

    def _build_csv(self, form):
        columns = header_columns(self.path)
        items = [(c, c) for c in columns] + [("(no labels)", None)]
        label = self._combo("label", items, columns[-1] if columns else None,
                            on_change=self._on_label_changed)
        self.fields["features"] = ColumnPicker(columns)
        self.fields["features"].set_label(label.currentData())
        self.fields["features"].changed.connect(self.load_preview)
        form.addRow("Label column", label)
        form.addRow(text.FEATURES, self.fields["features"])
        form.addRow(text.TASK, self._combo("task", [("Automatic", "auto"),
                                                    ("Classification", "classification"),
                                                    ("Regression", "regression")]))
        form.addRow("Missing values", self._combo("missing", [
            (text.MISSING_ERROR, "error"), (text.MISSING_DROP, "drop"),
            (text.MISSING_MEAN, "mean")]))
        form.addRow(text.BAD_ROWS, self._combo("on_bad_rows", [
            (text.BAD_ROWS_ERROR, "error"), (text.BAD_ROWS_SKIP, "skip")]))
        self.fields["on_bad_rows"].setToolTip(
            "Rows with a feature value that is not a number, or with the wrong number of "
            "values. Skipped rows are counted above the preview.")

    def _on_label_changed(self):
        self.fields["features"].set_label(self.fields["label"].currentData())
        self.load_preview()

    def _build_npz(self, form):
        keys = npz_keys(self.path)
        form.addRow("Features array", self._combo("x_key", [("(guess)", None)] +
                                                  [(k, k) for k in keys]))
        form.addRow("Labels array", self._combo("y_key", [("(guess)", None)] +
                                                [(k, k) for k in keys]))

    def _build_image_folder(self, form):
        self.fields["image_size"] = ImageSizeField(self.path)
        self.fields["image_size"].edited.connect(self.load_preview)
        form.addRow("Image size (h × w)", self.fields["image_size"])
        form.addRow("Colour", self._combo("color_mode", [("Grayscale", "grayscale"),
                                                         ("RGB", "rgb")]))

    def _build_idx(self, form):
        self.labels_edit = QLineEdit(objectName="import_labels")
        self.labels_edit.setPlaceholderText("labels file, e.g. train-labels-idx1-ubyte.gz")
        guess = _idx_labels_guess(self.path)
        if guess:
            self.labels_edit.setText(guess)
        self.labels_edit.editingFinished.connect(self.load_preview)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_labels)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.labels_edit, 1)
        line.addWidget(browse)
        form.addRow("Labels file", row)

    def _browse_labels(self):
        path = open_file(self, "IDX labels file", "idx")
        if path:
            self.labels_edit.setText(path)
            self.load_preview()

    # ----- reading --------------------------------------------------------------------------------
    def source(self) -> dict:
        """The source spec for the current options."""
        out = {"kind": self.kind, "path": self.path}
        for name, field in self.fields.items():
            out[name] = field.currentData() if isinstance(field, QComboBox) else field.value()
        if self.kind == "csv" and out["features"] is None:
            del out["features"]  # every column but the label: the loader's default
        if self.kind == "idx":
            out["labels"] = self.labels_edit.text().strip() or None
        if self.kind == "npz":
            out = {k: v for k, v in out.items() if v is not None}
        return out

    def load_preview(self) -> bool:
        """Reads the file with the current options; shows a preview or the loader's message.

        Small sources are read at once; large ones in a worker thread (the preview appears
        when they are read, and the window stays responsive meanwhile). Returns whether a
        preview is shown now.
        """
        source = self.source()
        options = {k: v for k, v in source.items() if k != "kind"}
        if source_bytes(self.path) > BACKGROUND_BYTES:
            self._read_in_background(options)
            return False
        try:
            self.loaded = load_source(self.kind, options)
        except (LayerCraftError, OSError, ValueError) as exc:
            self.loaded = None
            self._show_error(for_dialog(str(exc)))
            return False
        self._show_preview(self.loaded)
        return True

    def _read_in_background(self, options):
        from .background import BackgroundCall  # noqa: PLC0415

        if self._reader is None:
            self._reader = BackgroundCall(self)
            self._reader.done.connect(self._on_read)
            self._reader.failed.connect(self._on_read_failed)
        self.loaded = None
        self.status.setProperty("role", "muted")
        self.status.setText(f"Reading {Path(self.path).name}…")
        self._restyle()
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(False)
        self._reader.start(lambda: load_source(self.kind, options))

    def _on_read(self, loaded):
        self.loaded = loaded
        self._show_preview(loaded)

    def _on_read_failed(self, message, details):
        self.loaded = None
        self._show_error(for_dialog(message))

    def done(self, result):
        if self._reader is not None:
            self._reader.shutdown()
        super().done(result)

    @property
    def import_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.Ok)

    def error_text(self) -> str:
        return self.status.text() if self.loaded is None else ""

    def _show_error(self, message):
        self.status.setProperty("role", "error")
        self.status.setText(message)
        self._restyle()
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(False)

    def _show_preview(self, loaded):
        x, y = loaded.x, loaded.y
        parts = [f"{len(x)} samples, each of shape {tuple(x.shape[1:])}"]
        if y is None:
            parts.append("no labels: choose a label column to train on this data")
        elif loaded.task == "classification":
            names = loaded.class_names or [str(c) for c in np.unique(y)]
            parts.append(f"{len(names)} classes ({', '.join(map(str, names[:8]))}"
                         f"{', …' if len(names) > 8 else ''})")
        else:
            parts.append(f"regression target from {float(np.min(y)):.4g} to "
                         f"{float(np.max(y)):.4g}")
        skipped = getattr(loaded, "skipped_rows", 0)
        self.status.setProperty("role", "ok" if y is not None and not skipped else "warning")
        self.status.setText("; ".join(parts) + "." + (f"\n{skipped_text(loaded)}" if skipped
                                                      else ""))
        self._restyle()
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(y is not None)
        count = min(len(x), PREVIEW_ROWS)
        labels = [""] * count if y is None else [_label_text(loaded, y[i]) for i in range(count)]
        image = x.ndim >= 3
        self.grid.setVisible(image)
        self.table.setVisible(not image)
        if image:
            self.grid.set_samples(x[:count], labels, range(count),
                                  (float(x.min()), float(x.max())))
        else:
            extra = {"label": labels} if y is not None else {}
            self.table.set_rows(x[:count], loaded.feature_names or (), range(count), extra)

    def _restyle(self):
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)

    def _accept(self):
        if self.loaded is not None and self.loaded.y is not None:
            self.source_accepted.emit(self.source())
            self.accept()


def _label_text(loaded, value):
    value = np.asarray(value)
    if loaded.class_names is not None and value.ndim == 0:
        return str(loaded.class_names[int(value)])
    return str(value.tolist()) if value.ndim else f"{value.item():.4g}" \
        if loaded.task == "regression" else str(value.item())


def _idx_labels_guess(path) -> str | None:
    """train-images-idx3-ubyte(.gz) -> train-labels-idx1-ubyte(.gz) when it exists."""
    p = Path(path)
    candidate = p.with_name(p.name.replace("images-idx3", "labels-idx1"))
    return str(candidate) if candidate != p and candidate.exists() else None
