"""ExportDialog (File > Export…): writes the current model as ONNX, Keras or PyTorch.

The model is the trained one when a run finished or a checkpoint is loaded (the training
controller's current model), else the canvas with freshly initialized weights, and the notes
say which. The engine does the work (`engine.interop.export`); this dialog only chooses the
format, the model and the path, and shows what the format cannot carry, the exporter's
notes afterwards, and any error as a sentence in the dialog, never a traceback.
"""

import os
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from engine import interop
from engine.errors import LayerCraftError
from engine.model import Model

from . import messages
from .file_dialogs import open_folder, save_file

#: format -> (file name suffix, save-dialog filter); a suffix of "" means a folder
TARGETS = {
    "onnx": (".onnx", "ONNX models (*.onnx)"),
    "keras": (".keras", "Keras models (*.keras)"),
    "pytorch": ("", ""),
}
#: format -> what it cannot carry, shown before exporting
LIMITS = {
    "onnx": ("Inference only: no optimizer state, loss, metrics or training history. "
             "Dropout and noise layers are left out, BatchNormalization keeps its moving "
             "statistics. Masks (Embedding mask_zero, Masking) cannot be exported, nor "
             "the layers that resize images (Resizing, RandomCrop)."),
    "keras": ("A Keras 3 .keras file (config.json + model.weights.h5), written with h5py, "
              "that keras.saving.load_model reads. The canvas layout, the data settings and "
              "the runs stay in the LayerCraft project."),
    "pytorch": ("A Python package: model.py (the model as torch.nn.Module), train.py to "
                "train it under torchrun, and the weights. The canvas layout, the data "
                "settings and the runs stay in the LayerCraft project."),
}
TRAINED, CANVAS = "trained", "canvas"


class ExportDialog(QDialog):
    """Format, model and path; Export writes and then lists the exporter's notes."""

    def __init__(self, document, trained_model=None, trained_source: str = "", parent=None):
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export Model")
        self.document = document
        self.trained_model, self.trained_source = trained_model, trained_source
        self.written: str | None = None  # the path of the last successful export
        self._build()
        self._on_format()

    # ----- layout -------------------------------------------------------------------------------
    def _build(self):
        self.format_combo = QComboBox(objectName="exportFormatCombo")
        for name, (_, description) in interop.FORMATS.items():
            self.format_combo.addItem(name, name)
            self.format_combo.setItemData(self.format_combo.count() - 1, description,
                                          Qt.ToolTipRole)
        self.description = QLabel(objectName="exportFormatDescription", wordWrap=True)
        self.source_combo = QComboBox(objectName="exportSourceCombo")
        if self.trained_model is not None:
            self.source_combo.addItem(f"Trained model ({self.trained_source})", TRAINED)
        self.source_combo.addItem("Canvas model, untrained weights", CANVAS)
        self.path_edit = QLineEdit(objectName="exportPathEdit")
        self.path_edit.setPlaceholderText("Where to write the export")
        self.browse_button = QPushButton("Browse…", objectName="exportBrowseButton")
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Format", self.format_combo)
        form.addRow("", self.description)
        form.addRow("Model", self.source_combo)
        form.addRow("Output", path_row)
        self.notes = QLabel(objectName="exportNotes", wordWrap=True)
        self.notes.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.notes.setProperty("role", "muted")
        self.error = QLabel(objectName="exportError", wordWrap=True)
        self.error.setProperty("role", "error")
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.error.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.AcceptRole)
        self.export_button.setObjectName("exportButton")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.notes)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.format_combo.currentIndexChanged.connect(self._on_format)
        self.source_combo.currentIndexChanged.connect(self._show_limits)
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        self.path_edit.textChanged.connect(self._update_button)
        self.resize(560, 0)

    # ----- state --------------------------------------------------------------------------------
    def selected_format(self) -> str:
        return self.format_combo.currentData()

    def set_format(self, name: str) -> None:
        self.format_combo.setCurrentIndex(self.format_combo.findData(name))

    def uses_trained_model(self) -> bool:
        return self.source_combo.currentData() == TRAINED

    def _on_format(self, *args):
        self.description.setText(interop.FORMATS[self.selected_format()][1])
        path = self.path_edit.text().strip()
        if path:  # keep the folder and name, switch the suffix to the new format's
            self.path_edit.setText(_with_suffix(path, TARGETS[self.selected_format()][0]))
        self._show_limits()
        self._update_button()

    def _show_limits(self, *args):
        lines = [LIMITS[self.selected_format()]]
        if not self.uses_trained_model():
            lines.append("The canvas model has freshly initialized (untrained) weights: "
                         "train it, or load a checkpoint, to export trained weights.")
        self._set_notes("Not carried", lines)
        self.error.hide()

    def _set_notes(self, title: str, lines) -> None:
        self.notes.setText(f"<b>{title}</b><ul>" + "".join(
            f"<li>{_escape(line)}</li>" for line in lines) + "</ul>")

    def _update_button(self, *args):
        self.export_button.setEnabled(bool(self.path_edit.text().strip()))

    # ----- actions ------------------------------------------------------------------------------
    def browse(self) -> str:
        """Asks where to write (a file, or a folder for PyTorch); fills the path."""
        name = self.selected_format()
        suffix, filters = TARGETS[name]
        stem = _file_stem(self.document.graph.name)
        if suffix:
            path = save_file(self, f"Export as {name}", f"export_{name}", stem + suffix, filters)
        else:
            folder = open_folder(self, "Folder to write the PyTorch package in",
                                 f"export_{name}")
            path = os.path.join(folder, f"{stem}_pytorch") if folder else ""
        if path:
            self.path_edit.setText(path)
        return path

    def export(self) -> bool:
        """Writes the export; shows its notes, or the error as a sentence. True on success."""
        path = self.path_edit.text().strip()
        if not path:
            return False
        try:
            model, notes = self._model()
            compile_config = getattr(model, "compile_config", None) or self.document.compile_spec
            batch_size = (self.document.settings.get("training") or {}).get("batch_size")
            notes += interop.export(model, path, self.selected_format(), compile_config,
                                    batch_size=batch_size if isinstance(batch_size, int) else None)
        except (LayerCraftError, OSError) as exc:
            self._show_error(_sentence(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - a bug: a sentence here, details in the box
            self._show_error(messages.user_message(exc))
            messages.report_exception(type(exc), exc, exc.__traceback__)
            return False
        self.written = path
        self._set_notes(f"Wrote {path}", notes)
        self.error.hide()
        messages.notify(f"Exported the model to {path}.")
        return True

    def _model(self):
        if self.uses_trained_model():
            return self.trained_model, [f"Weights: {self.trained_source}."]
        model = Model.from_spec(self.document.to_spec())
        return model, ["Untrained weights: the canvas model with freshly initialized weights."]

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()


def _sentence(exc) -> str:
    if isinstance(exc, OSError):
        return (f"Cannot write {exc.filename or 'the export'}: {exc.strerror or exc}. Choose "
                "a folder you can write to.")
    return str(exc)


def _with_suffix(path: str, suffix: str) -> str:
    root, ext = os.path.splitext(path)
    known = {s for s, _ in TARGETS.values() if s}
    if ext in known:
        path = root
    elif not ext and path.endswith("_pytorch"):
        path = path[:-len("_pytorch")]
    return path + (suffix or "_pytorch")


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name or "model").strip("._") or "model"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
