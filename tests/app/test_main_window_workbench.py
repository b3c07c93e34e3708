"""The main window hosts the whole workflow: every bottom tab is filled, File opens checkpoints."""

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget


def test_that_every_workbench_tab_holds_its_panel(window):
    for name in ("datasetCombo", "trainButton", "pauseButton", "stopButton", "epochsSpin",
                 "batchSizeSpin", "deviceCombo", "earlyStoppingCheck", "checkpointCheck",
                 "lossChart", "evaluateButton", "predictView"):
        assert window.findChild(QWidget, name) is not None, name
    assert window.training_controller is not None and window.data_panel is not None


def test_that_file_open_checkpoint_asks_for_a_file_and_loads_it(window, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    chosen = str(tmp_path / "best.lcm")
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (chosen, "")))
    loaded = []
    monkeypatch.setattr(window.runs_view, "load_path", loaded.append)
    action = window.findChild(QAction, "openCheckpointAction")
    assert action in window.menus["file"].actions()
    action.trigger()
    assert loaded == [chosen]
