"""App test fixtures: an isolated config folder, a document, a main window."""

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_between_tests():
    """Each test's garbage (pytest-qt blockers, event loops, closed windows) is collected
    before the next test starts a training thread. Collected later, by an allocation in the
    GUI thread while a worker thread emits signals, destroying such Qt objects deadlocked
    or crashed CI (main thread "Garbage-collecting" in each dump; see TrainingController.start)."""
    yield
    gc.collect(1)  # the young generations: cheap, and where a test's garbage is


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path, monkeypatch):
    """Settings, recent files and recovery files go to a temporary folder."""
    monkeypatch.setenv("LAYERCRAFT_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture
def document(qtbot):
    from app.document import GraphDocument

    return GraphDocument()


@pytest.fixture
def scene(qtbot, document):
    from app.canvas.scene import GraphScene

    return GraphScene(document)


@pytest.fixture
def window(qtbot):
    from app.main_window import MainWindow

    win = MainWindow(restore=False)
    win.project.ask_unsaved = lambda: "discard"  # never a modal question in tests
    qtbot.addWidget(win)
    yield win
    win.document.mark_saved()  # nothing to ask about when the test closes it
