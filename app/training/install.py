"""`install_training(window)`: the Training and Charts tabs, wired to the document, the data
panel (when present), the canvas lock and the quit/close guard."""

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

from .canvas_lock import CanvasLock
from .charts import LiveCharts
from .controller import TrainingController
from .data_source import panel_owner, prepare
from .panel import TrainingPanel
from .quit_guard import TrainingGuard
from .runs import RunsView

MIN_DOCK_HEIGHT = 330  # room for the charts while a run trains


def input_shape(document):
    for node in document.graph.nodes.values():
        if node.class_name == "Input":
            shape = node.config.get("shape")
            return tuple(shape) if shape else None
    return None


def make_data_provider(window):
    """() -> (PreparedData | None, loader | None): the data panel's data, or a loader the
    worker calls to prepare the project's data spec (off the GUI thread)."""
    document = window.document

    def provide():
        owner = panel_owner(window)
        if owner is not None:
            return owner.current(), None
        spec = dict(document.settings.get("data") or {})
        if not spec.get("dataset"):
            return None, None
        training = document.settings.get("training") or {}
        spec.setdefault("validation_split", training.get("validation_split", 0.1))
        return None, partial(prepare, spec, input_shape(document))

    return provide


def install_training(window) -> TrainingController:
    """Creates the training side in `window` and returns its controller.

    Sets `window.training_controller`, `.training_panel`, `.live_charts`, `.runs_view`.
    Installing twice returns the existing controller.
    """
    if getattr(window, "training_controller", None) is not None:
        return window.training_controller
    document = window.document
    controller = TrainingController(window)
    charts = LiveCharts()
    charts.connect_controller(controller)
    panel = TrainingPanel(document, controller, make_data_provider(window))
    runs = RunsView(document, controller, charts)
    runs.project_path = lambda: window.project.path
    runs.chosen_folder = lambda: panel.form.save_folder.text().strip()
    split = QSplitter(Qt.Horizontal, objectName="chartsSplitter")
    split.addWidget(charts)
    split.addWidget(runs)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 1)
    split.setSizes([900, 420])
    window.install_tab("Training", panel)
    window.install_tab("Charts", split)
    lock = CanvasLock(window)
    controller.running_changed.connect(lock.set_locked)
    panel.job_started.connect(runs.note_started)
    runs.resume_requested.connect(panel.continue_training)
    dock = getattr(window, "docks", {}).get("workbench")
    if dock is not None:
        controller.started.connect(partial(_ensure_height, window, dock))
    window.training_controller = controller
    window.training_panel = panel
    window.live_charts = charts
    window.runs_view = runs
    window.training_lock = lock
    window.training_guard = TrainingGuard(window, controller)
    return controller


def _ensure_height(window, dock, *args):
    if dock.height() < MIN_DOCK_HEIGHT:
        window.resizeDocks([dock], [MIN_DOCK_HEIGHT], Qt.Vertical)
