"""The training settings form: run options and the callbacks (early stopping, checkpoints,
ReduceLROnPlateau). `values()` / `set_values()` speak the dict saved in the project."""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, \
    QGridLayout, QGroupBox, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QWidget

from ..compile_dialog import DeviceProbe
from ..file_dialogs import open_folder
from ..wheel_guard import guard_wheel_in
from .job import default_checkpoint_folder, merged_settings


def _spin(name, low, high, value, tip=""):
    spin = QSpinBox(objectName=name, minimum=low, maximum=high, value=value)
    spin.setToolTip(tip)
    return spin


def _double(name, low, high, value, step, decimals, tip=""):
    spin = QDoubleSpinBox(objectName=name, minimum=low, maximum=high, singleStep=step,
                          decimals=decimals, value=value)
    spin.setToolTip(tip)
    return spin


def _monitor_combo(name):
    combo = QComboBox(objectName=name, editable=True)
    combo.setToolTip("Quantity to watch (a key of the epoch logs)")
    combo.setMinimumContentsLength(12)
    return combo


class TrainingSettingsForm(QWidget):
    """Run settings and callbacks; emits `changed` on every user edit."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._extra = {}
        self._build()
        guard_wheel_in(self)  # the wheel scrolls the panel unless a field has focus
        self.probe = DeviceProbe(self)
        self.probe.done.connect(self._on_probe)
        self.probe.start()

    # ----- layout ---------------------------------------------------------------------------------
    def _build(self):
        self.epochs = _spin("epochsSpin", 1, 100_000, 20, "Epochs to train (more with Continue)")
        self.batch_size = _spin("batchSizeSpin", 1, 65_536, 32, "Samples per gradient step")
        self.device = QComboBox(objectName="deviceCombo")
        self.device.addItem("CPU", "cpu")
        self.device.addItem("GPU (checking…)", "gpu")
        self.device.model().item(1).setEnabled(False)
        self.shuffle = QCheckBox("Shuffle each epoch", objectName="shuffleCheck", checked=True)
        self.seed_check = QCheckBox("Fixed seed", objectName="seedCheck")
        self.seed = _spin("seedSpin", 0, 2**31 - 1, 0, "Seed of the shuffle (repeatable runs)")
        self.seed_check.toggled.connect(self.seed.setEnabled)
        self.seed.setEnabled(False)
        run = QGroupBox("Run")
        form = QFormLayout(run)
        form.addRow("Epochs", self.epochs)
        form.addRow("Batch size", self.batch_size)
        form.addRow("Device", self.device)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_check)
        seed_row.addWidget(self.seed, 1)
        form.addRow(self.shuffle)
        form.addRow(seed_row)

        self.early = QCheckBox("Early stopping", objectName="earlyStoppingCheck")
        self.early_monitor = _monitor_combo("earlyStoppingMonitor")
        self.early_patience = _spin("earlyStoppingPatience", 0, 10_000, 3,
                                    "Epochs without improvement before stopping")
        self.early_delta = _double("earlyStoppingMinDelta", 0, 1e6, 0.0, 0.001, 4,
                                   "Smallest change that counts as an improvement")
        self.early_restore = QCheckBox("Restore best weights", objectName="restoreBestCheck",
                                       checked=True)
        self.save = QCheckBox("Checkpoints", objectName="checkpointCheck")
        self.save_folder = QLineEdit(objectName="checkpointFolder",
                                     placeholderText="Beside the project file (<name>.runs)")
        self.save_folder.setToolTip(
            "Each run saves into its own folder: <project>.runs/<run> beside the project file, "
            f"or {default_checkpoint_folder()} for an unsaved project. Pick a folder to use it "
            "instead. A run keeps its best checkpoint and its last, and deletes the older ones.")
        self.save_browse = QPushButton("…", objectName="checkpointBrowse", maximumWidth=32)
        self.save_browse.clicked.connect(self._choose_folder)
        self.save_mode = QComboBox(objectName="checkpointMode")
        self.save_mode.addItem("Best only", True)
        self.save_mode.addItem("Every N epochs", False)
        self.save_every = _spin("checkpointEvery", 1, 10_000, 1, "Save every N epochs")
        self.save_monitor = _monitor_combo("checkpointMonitor")
        self.reduce = QCheckBox("Reduce LR on plateau", objectName="reduceLrCheck")
        self.reduce_factor = _double("reduceLrFactor", 0.01, 0.99, 0.5, 0.05, 2,
                                     "new learning rate = rate × factor")
        self.reduce_patience = _spin("reduceLrPatience", 0, 10_000, 2,
                                     "Epochs without improvement before reducing")
        self.reduce_monitor = _monitor_combo("reduceLrMonitor")

        box = QGroupBox("Callbacks")
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(6)
        for spin, prefix in ((self.early_patience, "patience "), (self.early_delta, "min Δ "),
                             (self.save_every, "every "), (self.reduce_factor, "factor "),
                             (self.reduce_patience, "patience ")):
            spin.setPrefix(prefix)
        folder = QHBoxLayout()
        folder.addWidget(self.save_folder, 1)
        folder.addWidget(self.save_browse)
        folder_box = QWidget()
        folder_box.setLayout(folder)
        folder.setContentsMargins(0, 0, 0, 0)
        rows = (
            (self.early, [self.early_monitor, self.early_patience, self.early_delta]),
            (None, [self.early_restore]),
            (self.save, [self.save_monitor, self.save_mode, self.save_every]),
            (None, [folder_box]),
            (self.reduce, [self.reduce_monitor, self.reduce_factor, self.reduce_patience]),
        )
        self._groups = {}
        group = None
        for r, (check, widgets) in enumerate(rows):
            if check is None:  # a second line of the callback above
                grid.addWidget(widgets[0], r, 1, 1, 4)
                self._groups[group].append(widgets[0])
                continue
            group = check
            grid.addWidget(check, r, 0)
            for c, widget in enumerate(widgets):
                grid.addWidget(widget, r, c + 1)
            self._groups[check] = list(widgets)
            check.toggled.connect(self._sync_enabled)
        grid.setColumnStretch(4, 1)
        grid.setRowStretch(len(rows), 1)
        self.save_mode.currentIndexChanged.connect(self._sync_enabled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(run)
        layout.addWidget(box, 1)
        for widget in self.findChildren(QWidget):
            for signal in ("valueChanged", "toggled", "currentIndexChanged", "editingFinished"):
                if hasattr(widget, signal) and widget not in (self.save_browse,):
                    getattr(widget, signal).connect(self._emit_changed)
                    break
        self._sync_enabled()

    def _emit_changed(self, *args):
        self.changed.emit()

    def _sync_enabled(self, *args):
        for check, widgets in self._groups.items():
            for widget in widgets:
                widget.setEnabled(check.isChecked())
        self.save_every.setEnabled(self.save.isChecked() and not self.save_mode.currentData())

    def _choose_folder(self):
        folder = open_folder(self, "Checkpoint folder", "checkpoint_folder")
        if folder:
            self.save_folder.setText(folder)
            self.changed.emit()

    def _on_probe(self, available: bool, status: str):
        item = self.device.model().item(1)
        item.setText(f"GPU: {status}" if available else "GPU (not available)")
        item.setEnabled(available)
        item.setToolTip(status if available else f"No GPU: {status}")
        self.device.setItemData(1, item.toolTip(), Qt.ToolTipRole)

    # ----- values ---------------------------------------------------------------------------------
    def set_monitors(self, names) -> None:
        """Offers `names` (loss, val_loss, each metric...) in the monitor combos."""
        for combo in (self.early_monitor, self.save_monitor, self.reduce_monitor):
            current = combo.currentText() or "val_loss"
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(list(names))
            combo.setCurrentText(current)
            combo.blockSignals(False)

    def values(self) -> dict:
        return {**self._extra,
                "epochs": self.epochs.value(), "batch_size": self.batch_size.value(),
                "device": self.device.currentData(), "shuffle": self.shuffle.isChecked(),
                "seed": self.seed.value() if self.seed_check.isChecked() else None,
                "early_stopping": {"enabled": self.early.isChecked(),
                                   "monitor": self.early_monitor.currentText() or "val_loss",
                                   "patience": self.early_patience.value(),
                                   "min_delta": self.early_delta.value(),
                                   "restore_best_weights": self.early_restore.isChecked()},
                "checkpoint": {"enabled": self.save.isChecked(),
                               "folder": self.save_folder.text().strip(),
                               "save_best_only": bool(self.save_mode.currentData()),
                               "every": self.save_every.value(),
                               "monitor": self.save_monitor.currentText() or "val_loss"},
                "reduce_lr": {"enabled": self.reduce.isChecked(),
                              "monitor": self.reduce_monitor.currentText() or "val_loss",
                              "factor": self.reduce_factor.value(),
                              "patience": self.reduce_patience.value()}}

    def set_values(self, saved: dict) -> None:
        """Shows `saved` (merged over the defaults) without emitting `changed`."""
        s = merged_settings(saved)
        self._extra = {k: v for k, v in s.items() if k not in self.values()}
        self.blockSignals(True)
        self.epochs.setValue(int(s["epochs"]))
        self.batch_size.setValue(int(s["batch_size"]))
        index = self.device.findData(s.get("device", "cpu"))
        self.device.setCurrentIndex(index if index >= 0 and
                                    self.device.model().item(index).isEnabled() else 0)
        self.shuffle.setChecked(bool(s["shuffle"]))
        self.seed_check.setChecked(s["seed"] is not None)
        self.seed.setValue(int(s["seed"] or 0))
        e, c, r = s["early_stopping"], s["checkpoint"], s["reduce_lr"]
        self.early.setChecked(bool(e["enabled"]))
        self.early_monitor.setCurrentText(e["monitor"])
        self.early_patience.setValue(int(e["patience"]))
        self.early_delta.setValue(float(e["min_delta"]))
        self.early_restore.setChecked(bool(e["restore_best_weights"]))
        self.save.setChecked(bool(c["enabled"]))
        self.save_folder.setText(c.get("folder", ""))
        self.save_mode.setCurrentIndex(0 if c.get("save_best_only", True) else 1)
        self.save_every.setValue(int(c.get("every", 1)))
        self.save_monitor.setCurrentText(c["monitor"])
        self.reduce.setChecked(bool(r["enabled"]))
        self.reduce_monitor.setCurrentText(r["monitor"])
        self.reduce_factor.setValue(float(r["factor"]))
        self.reduce_patience.setValue(int(r["patience"]))
        self.blockSignals(False)
        self._sync_enabled()
