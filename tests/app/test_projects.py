"""Projects: save and open round-trip, versions, atomic saves, autosave recovery, and a
corrupted file that opens nothing and says why."""

import json
import os

import pytest

from app import autosave, commands, messages, project_io, settings
from app.main_window import MainWindow


def test_the_main_window_opens_on_the_digits_mlp_with_stable_object_names(window):
    for name in ("layerPalette", "modelCanvas", "propertyEditor", "summaryView",
                 "compileButton"):
        assert window.findChild(object, name) is not None, name
    assert list(window.document.graph.nodes) == ["input", "flatten", "dense", "probs"]
    assert window.document.analysis.ok
    assert window.windowTitle() == "mlp_digits[*] — LayerCraft"
    assert [window.bottom_tabs.tabText(i) for i in range(5)] == [
        "Data", "Training", "Charts", "Evaluate", "Predict"]


def test_install_tab_puts_a_widget_into_a_bottom_tab(window):
    from PySide6.QtWidgets import QLabel

    panel = QLabel("training")
    window.install_tab("Training", panel)
    assert window.bottom_tabs.widget(1) is panel and window.bottom_tabs.tabText(1) == "Training"


def test_save_and_open_round_trip_the_whole_project(window, tmp_path):
    doc = window.document
    doc.push(commands.SetParam(doc, "dense", "units", 128))
    doc.push(commands.Move(doc, {"dense": (doc.position("dense"), (12.5, 250.0))}))
    doc.push(commands.SetCompile(doc, {**doc.compile_spec, "metrics": ["accuracy", "auc"]}))
    doc.set_project_field("training", {"epochs": 3, "batch_size": 16})
    assert window.isWindowModified()
    path = str(tmp_path / "mine.lcproj")
    assert window.project.save_as(path)
    assert not window.isWindowModified() and window.windowTitle().startswith("mine[*]")
    saved = (doc.to_spec(), dict(doc.layout), doc.compile_spec, dict(doc.settings))
    window.project.new()
    assert doc.graph.nodes == {}
    assert window.project.open_path(path)
    assert (doc.to_spec(), dict(doc.layout), doc.compile_spec, dict(doc.settings)) == saved
    assert path in window.project.settings.recent_files()


def test_a_project_from_a_newer_version_is_refused_with_a_message(tmp_path):
    path = tmp_path / "future.lcproj"
    path.write_text(json.dumps({"format": "layercraft.project", "version": 99, "model": {}}))
    with pytest.raises(project_io.ProjectError, match="newer LayerCraft"):
        project_io.load(path)


def test_an_older_project_version_is_migrated(tmp_path):
    spec = {"format": "layercraft.model", "version": 1, "name": "m", "outputs": ["input"],
            "layers": [{"name": "input", "class_name": "Input", "config": {"shape": [3]},
                        "inputs": []}]}
    path = tmp_path / "old.lcproj"
    path.write_text(json.dumps({"format_version": 0, "graph": spec,
                                "positions": {"input": [1, 2]}}))
    project = project_io.load(path)
    assert project.model == spec and project.layout == {"input": [1, 2]}


def test_a_failed_save_leaves_the_last_good_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "p.lcproj"
    good = project_io.Project(model={"format": "layercraft.model", "version": 1,
                                     "layers": [], "outputs": []})
    project_io.save(path, good)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(project_io.ProjectError, match="previous file is unchanged"):
        project_io.save(path, project_io.Project(model={**good.model, "name": "new"}))
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.lcproj"]  # no temp file left


def test_a_corrupted_project_file_opens_nothing_and_says_what_is_wrong(window, tmp_path):
    path = tmp_path / "broken.lcproj"
    path.write_text('{"format": "layercraft.project", "version": 1, "model": {"layers": [')
    before = window.document.to_spec()
    assert not window.project.open_path(str(path))
    assert window.document.to_spec() == before
    [box] = messages.open_dialogs()
    assert "'broken.lcproj' is damaged: invalid JSON at line 1" in box.text()
    box.close()


def test_a_project_with_a_bad_model_says_which_layer(tmp_path):
    path = tmp_path / "bad.lcproj"
    path.write_text(json.dumps({"format": "layercraft.project", "version": 1, "model": {
        "format": "layercraft.model", "version": 1, "layers": [{"name": "x"}]}}))
    with pytest.raises(project_io.ProjectError, match="Layer 'x' needs a 'class_name'"):
        project_io.load(path)


def test_autosave_recovery_restores_unsaved_work_after_a_crash(qtbot, window):
    doc = window.document
    doc.push(commands.SetParam(doc, "dense", "units", 77))
    window.project.autosaver.write_now()
    crashed = window.project.autosaver.path.replace(f"-{os.getpid()}.", "-999999999.")
    os.replace(window.project.autosaver.path, crashed)  # as if left by a dead process
    assert autosave.find_recoveries(settings.recovery_dir()) == [crashed]

    second = MainWindow(restore=False)
    second.project.ask_unsaved = lambda: "discard"
    qtbot.addWidget(second)
    second.project.ask_restore = lambda path: True
    assert second.project.offer_recovery()
    assert second.document.node("dense").config["units"] == 77
    assert second.document.is_modified()
    assert not os.path.exists(crashed)
    second.document.mark_saved()


def test_closing_with_unsaved_changes_asks_and_can_cancel(window):
    doc = window.document
    doc.push(commands.SetParam(doc, "dense", "units", 99))
    window.project.ask_unsaved = lambda: "cancel"
    assert not window.close()
    window.project.ask_unsaved = lambda: "discard"
    assert window.close()


@pytest.mark.parametrize("text", [
    '{"format": "layercraft.project", "version": 1, "model": ' + "[" * 5000 + "]" * 5000 + "}",
    '{"format": "layercraft.project", "version": 1, "layout": {"a": [1' + "0" * 5000 + ', 0]}}',
])
def test_absurd_project_files_open_nothing_and_leave_the_model(window, tmp_path, text):
    path = tmp_path / "absurd.lcproj"
    path.write_text(text)
    before = window.document.to_spec()
    assert not window.project.open_path(str(path))
    assert window.document.to_spec() == before
    [box] = messages.open_dialogs()
    assert "absurd.lcproj" in box.text()
    box.close()


def test_a_setting_too_large_to_use_opens_as_a_problem_on_its_block(window, tmp_path):
    path = tmp_path / "huge.lcproj"
    path.write_text(json.dumps({"format": "layercraft.project", "version": 1, "model": {
        "format": "layercraft.model", "version": 1, "outputs": ["d"], "layers": [
            {"name": "i", "class_name": "Input", "config": {"shape": [4]}, "inputs": []},
            {"name": "d", "class_name": "Dropout", "config": {"rate": 1e400}, "inputs": ["i"]}]}
    }).replace("Infinity", "1" + "0" * 400))
    assert window.project.open_path(str(path))
    [problem] = window.document.analysis.problems_of("d")
    assert "too large" in problem.message
