"""The data panel's left column: data set choice, split, seed and preprocessing.

`DataControls` turns its widgets into a data spec (`spec()`) and back (`set_spec()`), and
emits `changed` when the user edits anything. Preprocessing steps it has no widget for
(reshape, add_channel_axis, flatten, min_max...) are kept from the spec as they are.

Every file imported into the project stays in the data list (`imports.ImportedSets`, saved
in the spec's "imports"), so the user can switch between imported files and bundled sets.
The combo and spin boxes take the mouse wheel only when focused, so a wheel over the form
scrolls the panel instead of changing a value.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, \
    QLabel, QSpinBox, QVBoxLayout, QWidget

from engine import datasets
from engine.datasets import download

from ..wheel_guard import guard_wheel
from .imports import ImportedSets

GROUPS = (("Bundled", datasets.BUNDLED), ("Generated", datasets.GENERATED),
          ("Download", datasets.DOWNLOADABLE))
HANDLED_OPS = ("scale", "standardize", "one_hot")
IMPORTED = "__imported__"


def suggested_preprocessing(name: str | None, x_max: float | None = None) -> list[dict]:
    """A sensible start for a data set: digits 0..16 -> 1/16, pixels 0..255 -> 1/255,
    measurements on different scales -> standardize."""
    if name == "digits":
        return [{"op": "scale", "factor": 1 / 16}]
    if name in datasets.DOWNLOADABLE:
        return [{"op": "scale", "factor": 1 / 255}]
    if name in datasets.BUNDLED:
        return [{"op": "standardize"}]
    if x_max is not None and x_max > 1.5:
        return [{"op": "scale", "factor": 1 / x_max}]
    return []


def dataset_label(name: str) -> str:
    info = datasets.info(name)
    if name not in datasets.DOWNLOADABLE:
        return info.title
    state = "downloaded" if download.is_cached(name) else \
        f"download {info.download_bytes / 1e6:.0f} MB"
    return f"{info.title}  ({state})"


class DataControls(QWidget):
    changed = Signal()
    dataset_chosen = Signal(str)  # a name of engine.datasets, chosen by the user

    def __init__(self, parent=None):
        super().__init__(parent)
        self._source = None
        self._imports = ImportedSets()
        self._other_steps = []
        self._build()

    # ----- layout ---------------------------------------------------------------------------------
    def _build(self):
        self.combo = QComboBox(objectName="datasetCombo")
        self.combo.setToolTip("Bundled sets work offline; downloadable sets are fetched once.")
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self._fill_combo()
        self.combo.activated.connect(self._on_activated)
        self.validation_combo = QComboBox(objectName="validationCombo")
        self.validation_combo.addItem("Share of training data", "split")
        self.validation_combo.addItem("The set's test split", "test")
        self.validation_combo.setToolTip("Where the validation data during training comes from.")
        self.validation_spin = _fraction_spin("validationSpin", 0.1, 0.0, 0.5)
        self.test_spin = _fraction_spin("testSplitSpin", 0.2, 0.05, 0.5)
        self.test_spin.setToolTip("Imported data has no test split: this share is held out.")
        self.seed_spin = QSpinBox(objectName="seedSpin", minimum=0, maximum=2**31 - 1)
        self.seed_spin.setToolTip("The same seed gives the same split and order.")
        self.scale_check = QCheckBox("Scale ×", objectName="scaleCheck")
        self.scale_spin = QDoubleSpinBox(objectName="scaleFactorSpin", decimals=6,
                                         minimum=1e-6, maximum=1e6, value=1 / 255)
        self.scale_spin.setToolTip("Multiply every input value: 1/16 for digits, 1/255 for "
                                   "pixels.")
        self.standardize_check = QCheckBox("Standardize (training mean 0, std 1)",
                                           objectName="standardizeCheck")
        self.one_hot_check = QCheckBox("One-hot labels (for categorical_crossentropy)",
                                       objectName="oneHotCheck")
        self.other_steps = QLabel(objectName="otherSteps", wordWrap=True)
        self.other_steps.setProperty("role", "muted")
        for w in (self.validation_combo,):
            w.currentIndexChanged.connect(self._on_edit)
        for w in (self.validation_spin, self.test_spin, self.scale_spin):
            w.valueChanged.connect(self._on_edit)
        self.seed_spin.valueChanged.connect(self._on_edit)
        for w in (self.scale_check, self.standardize_check, self.one_hot_check):
            w.toggled.connect(self._on_edit)
        scale_row = QHBoxLayout()
        scale_row.addWidget(self.scale_check)
        scale_row.addWidget(self.scale_spin, 1)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Validation", self.validation_combo)
        form.addRow("Validation share", self.validation_spin)
        form.addRow("Test share", self.test_spin)
        form.addRow("Shuffle seed", self.seed_spin)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(_section("Preprocessing"))
        layout.addLayout(scale_row)
        layout.addWidget(self.standardize_check)
        layout.addWidget(self.one_hot_check)
        layout.addWidget(self.other_steps)
        self.form = form
        guard_wheel(self.combo, self.validation_combo, self.validation_spin, self.test_spin,
                    self.seed_spin, self.scale_spin)
        self._update_enabled()

    def _fill_combo(self):
        was_blocked = self.combo.blockSignals(True)
        self.combo.clear()
        model = self.combo.model()
        for title, names in GROUPS:
            self.combo.addItem(f"— {title} —", None)
            header = model.item(self.combo.count() - 1) if isinstance(
                model, QStandardItemModel) else None
            if header is not None:
                header.setEnabled(False)
            for name in names:
                self.combo.addItem(dataset_label(name), name)
                self.combo.setItemData(self.combo.count() - 1,
                                       datasets.info(name).description, Qt.ToolTipRole)
        self._fill_imports(model)
        self.combo.blockSignals(was_blocked)

    def _fill_imports(self, model):
        if not len(self._imports):
            self.combo.addItem("Imported file", IMPORTED)
            self.combo.setItemData(self.combo.count() - 1, "Use Import… to load a file.",
                                   Qt.ToolTipRole)
            model.item(self.combo.count() - 1).setEnabled(False)
            return
        self.combo.addItem("— Imported —", None)
        model.item(self.combo.count() - 1).setEnabled(False)
        for i, (text, tip) in enumerate(self._imports.titles()):
            self.combo.addItem(text, _import_key(i))
            self.combo.setItemData(self.combo.count() - 1, tip, Qt.ToolTipRole)

    def refresh_labels(self):
        """Re-reads which downloadable sets are cached."""
        for i in range(self.combo.count()):
            name = self.combo.itemData(i)
            if name in datasets.DOWNLOADABLE:
                self.combo.setItemText(i, dataset_label(name))

    # ----- spec <-> widgets -----------------------------------------------------------------------
    def spec(self) -> dict:
        out = {}
        if self._source is not None:
            out["source"] = dict(self._source)
        else:
            out["dataset"] = self.combo.currentData()
        if len(self._imports):
            self._remember_import_steps()
            out["imports"] = self._imports.to_spec()
        out["validation"] = self.validation_combo.currentData()
        out["validation_split"] = round(self.validation_spin.value(), 4)
        if self._source is not None:
            out["test_split"] = round(self.test_spin.value(), 4)
        out["seed"] = self.seed_spin.value()
        out["preprocessing"] = self._steps()
        return out

    def _steps(self) -> list[dict]:
        steps = []
        if self.scale_check.isChecked():
            steps.append({"op": "scale", "factor": self.scale_spin.value()})
        if self.standardize_check.isChecked():
            steps.append({"op": "standardize"})
        steps += [dict(s) for s in self._other_steps]
        if self.one_hot_check.isChecked():
            steps.append({"op": "one_hot"})
        return steps

    def set_spec(self, spec: dict) -> None:
        """Shows `spec` without emitting `changed`."""
        widgets = (self.combo, self.validation_combo, self.validation_spin, self.test_spin,
                   self.seed_spin, self.scale_check, self.scale_spin, self.standardize_check,
                   self.one_hot_check)
        for w in widgets:
            w.blockSignals(True)
        try:
            self._source = dict(spec["source"]) if spec.get("source") else None
            self._imports = ImportedSets.from_spec(spec)
            self._fill_combo()
            key = spec.get("dataset")
            if self._source is not None:
                key = _import_key(self._imports.index(self._source))
            self.combo.setCurrentIndex(max(0, self.combo.findData(key)))
            self.validation_combo.setCurrentIndex(
                max(0, self.validation_combo.findData(spec.get("validation", "split"))))
            self.validation_spin.setValue(float(spec.get("validation_split", 0.1)))
            self.test_spin.setValue(float(spec.get("test_split", 0.2)))
            self.seed_spin.setValue(int(spec.get("seed", 0)))
            self._set_steps(spec.get("preprocessing") or [])
        finally:
            for w in widgets:
                w.blockSignals(False)
        self._update_enabled()

    def _set_steps(self, steps):
        scale = next((s for s in steps if s.get("op") == "scale"), None)
        self.scale_check.setChecked(scale is not None)
        if scale is not None:
            self.scale_spin.setValue(float(scale.get("factor", 1 / 255)))
        self.standardize_check.setChecked(any(s.get("op") == "standardize" for s in steps))
        self.one_hot_check.setChecked(any(s.get("op") == "one_hot" for s in steps))
        self._other_steps = [dict(s) for s in steps if s.get("op") not in HANDLED_OPS]
        text = ", ".join(_step_text(s) for s in self._other_steps)
        self.other_steps.setText(f"Also: {text}" if text else "")
        self.other_steps.setVisible(bool(text))

    def set_source(self, source: dict, preprocessing: list[dict]) -> None:
        """An imported file becomes the data and joins the imported files in the list (a
        file imported again replaces its entry)."""
        spec = self.spec()
        imports = ImportedSets(spec.get("imports") or ())
        imports.add(source, preprocessing)
        spec = {**spec, "source": dict(source), "preprocessing": preprocessing,
                "validation": "split", "imports": imports.to_spec()}
        spec.pop("dataset", None)
        self.set_spec(spec)
        self.changed.emit()

    def _remember_import_steps(self):
        """Keeps the current import's preprocessing with it, for switching back later."""
        index = self._imports.index(self._source)
        if index is not None:
            self._imports.set_preprocessing(index, self._steps())

    # ----- events ---------------------------------------------------------------------------------
    def _on_activated(self, index):
        name = self.combo.itemData(index)
        if name is None or name == IMPORTED:
            return
        self._remember_import_steps()
        chosen = _import_index(name)
        self._source = None if chosen is None else self._imports.source(chosen)
        self.blockSignals(True)
        self._set_steps(suggested_preprocessing(name) if chosen is None
                        else self._imports.preprocessing(chosen))
        self.blockSignals(False)
        self._update_enabled()
        if chosen is None:
            self.dataset_chosen.emit(name)
        self.changed.emit()

    def _on_edit(self, *_):
        self._update_enabled()
        self.changed.emit()

    def _update_enabled(self):
        imported = self._source is not None
        own_test = not imported
        if not own_test and self.validation_combo.currentData() == "test":
            self.validation_combo.setCurrentIndex(0)
        self.validation_combo.model().item(1).setEnabled(own_test)
        self.validation_spin.setEnabled(self.validation_combo.currentData() == "split")
        self.test_spin.setEnabled(imported)
        self.form.setRowVisible(self.test_spin, imported)
        self.scale_spin.setEnabled(self.scale_check.isChecked())


def _fraction_spin(name, value, low, high):
    spin = QDoubleSpinBox(objectName=name, decimals=2, minimum=low, maximum=high,
                          singleStep=0.05, value=value)
    return spin


def _section(text):
    label = QLabel(text)
    label.setProperty("role", "section")
    return label


def _step_text(step):
    args = ", ".join(f"{k}={v}" for k, v in step.items() if k != "op")
    return f"{step.get('op')}({args})"


def _import_key(index) -> str | None:
    """The combo's item data for imported file `index`."""
    return None if index is None else f"{IMPORTED}:{index}"


def _import_index(key) -> int | None:
    prefix = f"{IMPORTED}:"
    return int(key[len(prefix):]) if isinstance(key, str) and key.startswith(prefix) else None
