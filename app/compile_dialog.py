"""CompileDialog: optimizer (with its parameters), learning-rate schedule, loss, metrics and
device, checked against the model and data, with one-click fixes and a model summary.

Forms come from the engine's declared `PARAMS`; nothing about an optimizer is hard-coded.
Open it with `open()`; `compile_requested(spec)` carries the result when the user accepts.
"""

import copy
import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, \
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from engine import registry
from engine.summary import human_size

from . import compile_checks, model_stats
from .compile_schema import metric_names
from .param_form import ParamForm
from .wheel_guard import guard_wheel_in

CONSTANT = "Constant"
_device_cache = {}


def _engine_modules():
    """Imports the registries the dialog lists (they register on import)."""
    import engine.losses  # noqa: F401, PLC0415
    import engine.metrics  # noqa: F401, PLC0415
    import engine.optimizers  # noqa: F401, PLC0415
    import engine.schedules  # noqa: F401, PLC0415


class _ProbeHub(QObject):
    """Lives as long as the app: the probe thread emits on it, never on a dialog's object,
    which may be deleted before a slow CuPy import returns (a crash otherwise)."""

    done = Signal(bool, str)


_hub = {}


def _probe_hub() -> _ProbeHub:
    if "hub" not in _hub:  # created on first use, in the GUI thread
        _hub["hub"] = _ProbeHub()
    return _hub["hub"]


class DeviceProbe(QObject):
    """Asks the engine for a GPU in a background thread (CuPy's import can be slow)."""

    done = Signal(bool, str)

    def start(self):
        if "result" in _device_cache:
            self.done.emit(*_device_cache["result"])
            return
        # A bound method of this object: Qt drops the connection when the probe is deleted.
        _probe_hub().done.connect(self._relay)
        if "result" in _device_cache:  # the probe finished while we connected
            self.done.emit(*_device_cache["result"])
        elif not _device_cache.get("probing"):
            _device_cache["probing"] = True
            threading.Thread(target=self._run, name="gpu-probe", daemon=True).start()

    def _relay(self, available: bool, status: str):
        self.done.emit(available, status)

    @staticmethod
    def _run():
        from engine import backend, kernels  # noqa: PLC0415

        # What the CPU runs: asked here, off the GUI thread, since it imports numba (and
        # that import then costs the first training step nothing).
        _device_cache["cpu"] = (kernels.cpu_kernels_enabled(), kernels.status())
        result = (backend.gpu_available(), backend.gpu_status())
        _device_cache["result"] = result
        _probe_hub().done.emit(*result)


class CompileDialog(QDialog):
    compile_requested = Signal(dict)

    def __init__(self, document, data_info=None, parent=None):
        super().__init__(parent)
        _engine_modules()
        self.setObjectName("compileDialog")
        self.setWindowTitle("Compile model")
        self.document, self.data_info = document, data_info
        self.spec = copy.deepcopy(document.compile_spec)
        self.optimizer_form = self.schedule_form = None
        self._build()
        self._load(self.spec)
        guard_wheel_in(self)  # the wheel scrolls the dialog unless a field has focus
        self.probe = DeviceProbe(self)
        self.probe.done.connect(self._on_probe)
        self.probe.start()
        self.document.analysis_changed.connect(self.refresh_checks)

    # ----- layout ---------------------------------------------------------------------------------
    def _build(self):
        self.optimizer_combo = QComboBox(objectName="optimizerCombo")
        for cls in registry.classes("optimizer"):
            self.optimizer_combo.addItem(cls.__name__, cls.__name__)
        self.optimizer_combo.currentIndexChanged.connect(self._on_optimizer_changed)
        self.schedule_combo = QComboBox(objectName="scheduleCombo")
        self.schedule_combo.addItem(CONSTANT, None)
        for cls in registry.classes("schedule"):
            self.schedule_combo.addItem(cls.__name__, cls.__name__)
        self.schedule_combo.currentIndexChanged.connect(self._on_schedule_changed)
        self.loss_combo = QComboBox(objectName="lossCombo")
        import engine.losses as losses  # noqa: PLC0415
        import engine.metrics as metrics  # noqa: PLC0415

        for name in losses.NAMES:
            self.loss_combo.addItem(name.replace("_", " "), name)
        self.loss_combo.currentIndexChanged.connect(self.refresh_checks)
        self.metrics_list = QListWidget(objectName="metricsList")
        for name in metrics.NAMES:
            item = QListWidgetItem(name.replace("_", " "))
            item.setData(Qt.UserRole, name)
            item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Unchecked)
            self.metrics_list.addItem(item)
        self.metrics_list.setMaximumHeight(130)
        self.device_combo = QComboBox(objectName="compileDeviceCombo")
        self.device_combo.addItem("Auto (GPU when available)", "auto")
        self.device_combo.addItem("CPU", "cpu")
        self.device_combo.addItem("GPU (checking…)", "gpu")
        self.device_combo.model().item(2).setEnabled(False)

        self.optimizer_box = QGroupBox("Optimizer")
        self.optimizer_layout = QVBoxLayout(self.optimizer_box)
        self.optimizer_layout.addWidget(self.optimizer_combo)
        self.schedule_box = QGroupBox("Learning-rate schedule")
        self.schedule_layout = QVBoxLayout(self.schedule_box)
        self.schedule_layout.addWidget(self.schedule_combo)
        other = QGroupBox("Loss, metrics and device")
        form = QFormLayout(other)
        form.addRow("Loss", self.loss_combo)
        form.addRow("Metrics", self.metrics_list)
        form.addRow("Device", self.device_combo)

        self.checks_box = QGroupBox("Checks")
        self.checks_layout = QVBoxLayout(self.checks_box)
        self.summary_label = QLabel(objectName="compileSummary", wordWrap=True)
        summary_box = QGroupBox("Model")
        QVBoxLayout(summary_box).addWidget(self.summary_label)

        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self.optimizer_box)
        left.addWidget(self.schedule_box)
        left.addStretch(1)
        right.addWidget(other)
        right.addWidget(self.checks_box)
        right.addWidget(summary_box)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.Ok)
        self.ok_button.setText("Compile")
        self.ok_button.setObjectName("compileOkButton")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer = QVBoxLayout(self)
        outer.addLayout(columns)
        outer.addWidget(self.buttons)
        self.resize(820, 500)

    # ----- loading and reading the spec ---------------------------------------------------------
    def _load(self, spec):
        optimizer = spec.get("optimizer") or {"class_name": "Adam", "config": {}}
        if isinstance(optimizer, str):
            optimizer = {"class_name": registry.get_class("optimizer", optimizer).__name__,
                         "config": {}}
        self._optimizer_config = dict(optimizer.get("config") or {})
        self._select(self.optimizer_combo, optimizer.get("class_name"))
        self._on_optimizer_changed()
        loss_name, _ = compile_checks.loss_name(spec.get("loss"))
        self._select(self.loss_combo, loss_name)
        chosen = set(metric_names(spec.get("metrics")))
        for i in range(self.metrics_list.count()):
            item = self.metrics_list.item(i)
            item.setCheckState(Qt.Checked if item.data(Qt.UserRole) in chosen else Qt.Unchecked)
        self._select(self.device_combo, spec.get("device", "auto"))
        self.refresh_checks()

    @staticmethod
    def _select(combo, data):
        index = combo.findData(data)
        if index >= 0:
            combo.setCurrentIndex(index)

    def optimizer_class(self):
        return registry.get_class("optimizer", self.optimizer_combo.currentData())

    def current_spec(self) -> dict:
        config = {k: v for k, v in self.optimizer_form.values().items()}
        if self.schedule_form is not None:
            config["learning_rate"] = {"class_name": self.schedule_combo.currentData(),
                                       "config": self.schedule_form.values()}
        metrics = [self.metrics_list.item(i).data(Qt.UserRole)
                   for i in range(self.metrics_list.count())
                   if self.metrics_list.item(i).checkState() == Qt.Checked]
        return {"optimizer": {"class_name": self.optimizer_combo.currentData(), "config": config},
                "loss": self.loss_combo.currentData(), "metrics": metrics,
                "device": self.device_combo.currentData()}

    # ----- reactions -----------------------------------------------------------------------------
    def _on_optimizer_changed(self, *args):
        cls = self.optimizer_class()
        values = {p.name: p.default for p in cls.PARAMS}
        values.update({k: v for k, v in self._optimizer_config.items() if k in values})
        schedule = values.get("learning_rate")
        if isinstance(schedule, dict):
            values["learning_rate"] = schedule.get("config", {}).get("initial_learning_rate",
                                                                     0.001)
        if self.optimizer_form is not None:
            self.optimizer_form.deleteLater()
        self.optimizer_form = ParamForm(cls.PARAMS, values, owner=cls.__name__)
        self.optimizer_form.value_committed.connect(self.refresh_checks)
        self.optimizer_layout.addWidget(self.optimizer_form)
        self._select(self.schedule_combo,
                     schedule.get("class_name") if isinstance(schedule, dict) else None)
        self._on_schedule_changed(config=schedule.get("config") if isinstance(schedule, dict)
                                  else None)

    def _on_schedule_changed(self, *args, config=None):
        name = self.schedule_combo.currentData()
        if self.schedule_form is not None:
            self.schedule_form.deleteLater()
            self.schedule_form = None
        if "learning_rate" in self.optimizer_form.params:
            self.optimizer_form.field("learning_rate").setEnabled(name is None)
        if name is not None:
            cls = registry.get_class("schedule", name)
            values = {p.name: p.default for p in cls.PARAMS}
            values.update({k: v for k, v in (config or {}).items() if k in values})
            self.schedule_form = ParamForm(cls.PARAMS, values, owner=name)
            self.schedule_layout.addWidget(self.schedule_form)

    def _on_probe(self, available: bool, status: str):
        if "cpu" in _device_cache:
            fused, cpu = _device_cache["cpu"]
            self.device_combo.setItemText(1, "CPU (fused kernels)" if fused else "CPU")
            self.device_combo.setItemData(1, f"CPU: {cpu}", Qt.ToolTipRole)
        item = self.device_combo.model().item(2)
        item.setText(f"GPU: {status}" if available else "GPU (not available)")
        item.setEnabled(available)
        item.setToolTip(status if available else f"No GPU: {status}")
        self.device_combo.setItemData(2, item.toolTip(), Qt.ToolTipRole)

    def findings(self) -> list:
        return compile_checks.check(self.document, self.data_info, self.loss_combo.currentData())

    def refresh_checks(self, *args):
        while self.checks_layout.count():
            widget = self.checks_layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        findings = self.findings()
        for finding in findings:
            self.checks_layout.addWidget(self._finding_row(finding))
        if not findings:
            ok = QLabel("✔ The loss fits the model's output.")
            ok.setProperty("role", "ok")
            self.checks_layout.addWidget(ok)
        errors = [f for f in findings if f.severity == "error"]
        self.ok_button.setEnabled(not errors)
        self.ok_button.setToolTip("Fix the problems listed under Checks first." if errors else "")
        self._refresh_summary()

    def _finding_row(self, finding):
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel(("✖ " if finding.severity == "error" else "⚠ ") + finding.message,
                       wordWrap=True)
        label.setProperty("role", finding.severity)
        layout.addWidget(label, 1)
        if finding.fix:
            button = QPushButton(finding.fix_text or "Fix")
            button.setProperty("fix", True)
            button.setObjectName("fixButton")
            button.clicked.connect(lambda *_, f=finding: self.apply_fix(f))
            layout.addWidget(button, 0, Qt.AlignTop)
        return row

    def apply_fix(self, finding) -> None:
        """Applies a finding's fix: parameters through undo commands, the loss in the form."""
        from .commands import Macro, SetParam  # noqa: PLC0415

        macro = Macro(self.document, "Fix output for the loss")
        for step in finding.fix:
            if step[0] == "loss":
                self._select(self.loss_combo, step[1])
            else:
                _, node, key, value = step
                macro.add(SetParam(self.document, node, key, value))
        if macro.children:
            self.document.push(macro)
        self.refresh_checks()

    def _refresh_summary(self):
        analysis = self.document.analysis
        spec = self.current_spec() if self.optimizer_form is not None else self.spec
        s = model_stats.stats(analysis, spec)
        shapes = ", ".join(f"{o}: {analysis.shapes.get(o)}" for o in self.document.graph.outputs)
        self.summary_label.setText(
            f"<b>{s['total']:,} params</b> ({human_size(s['weights_bytes'])}), "
            f"{s['trainable']:,} trainable<br>Optimizer state: "
            f"{human_size(s['optimizer_bytes'])}<br>Outputs: {shapes or 'none'}")

    def accept(self):
        spec = self.current_spec()
        try:  # the engine has the last word on the optimizer config
            self.optimizer_class().from_config(dict(spec["optimizer"]["config"]))
        except Exception as exc:
            label = QLabel(f"✖ {exc}", wordWrap=True)
            label.setProperty("role", "error")
            self.checks_layout.addWidget(label)
            return
        self.compile_requested.emit(spec)
        super().accept()
