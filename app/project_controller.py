"""ProjectController: new, open, save, save as, recent files, examples, export, recovery.

Keeps the project's file path and title, asks before unsaved work is lost, and runs the
autosaver. Questions to the user go through replaceable callables (`ask_*`), so tests can
answer them without modal dialogs. Open also reads a Keras 3 `.keras` file: its model
becomes a new, unsaved project (as a `.lcm` checkpoint does through Open Checkpoint: the
layers on the canvas, the compile settings, the model with its weights for Evaluate,
Predict and Continue training).
"""

import os
import traceback
from types import SimpleNamespace

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.errors import LayerCraftError
from engine.graph import ModelGraph

from . import examples, messages, project_io, questions, settings
from .auto_layout import auto_layout
from .autosave import Autosaver, find_recoveries, read_recovery
from .training.checkpoints import compile_spec_from

KERAS_SUFFIX = ".keras"
FILTER = "LayerCraft projects (*.lcproj)"
OPEN_FILTER = ("Projects and Keras models (*.lcproj *.keras);;LayerCraft projects (*.lcproj);;"
               "Keras 3 models (*.keras)")
SHOWN_REPAIRS = 8  # lines in the message; the details list them all


class ProjectController(QObject):
    title_changed = Signal(str)
    recent_changed = Signal()

    def __init__(self, document, parent_widget=None):
        super().__init__(parent_widget)
        self.document = document
        self.widget = parent_widget
        self.path = None
        self.display_name = "Untitled"
        self.settings = settings.Settings()
        self.autosaver = Autosaver(document, settings.recovery_dir(), lambda: self.path, self)
        document.modified_changed.connect(self._emit_title)
        self.ask_open_path = self._ask_open_path
        self.ask_save_path = self._ask_save_path
        self.ask_unsaved = self._ask_unsaved
        self.ask_restore = self._ask_restore
        self._unsaved_action = "closing it"  # what the unsaved-changes question names

    # ----- titles ---------------------------------------------------------------------------------
    def title(self) -> str:
        return f"{self.display_name}[*] — LayerCraft"

    def _emit_title(self, *args):
        self.title_changed.emit(self.title())

    def _set_identity(self, path, name):
        self.path, self.display_name = path, name
        self._emit_title()

    # ----- opening --------------------------------------------------------------------------------
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.document.load({"format": "layercraft.model", "version": 1, "name": "model",
                            "layers": [], "outputs": []})
        self._set_identity(None, "Untitled")
        return True

    def open(self, path=None) -> bool:
        if not self.maybe_save():
            return False
        path = path or self.ask_open_path()
        return bool(path) and self.open_path(path)

    def open_path(self, path, as_template=False) -> bool:
        """Loads `path`; a bad file changes nothing and shows what is wrong."""
        if str(path).lower().endswith(KERAS_SUFFIX):
            return self.open_keras(path)
        try:
            project = project_io.load(path)
            project_io.into_document(self.document, project)
        except project_io.ProjectError as exc:
            messages.show_error(self.widget, str(exc), traceback.format_exc(),
                                "Cannot open project")
            return False
        name = os.path.splitext(os.path.basename(path))[0]
        if as_template:
            self._set_identity(None, name)
        else:
            self._set_identity(os.path.abspath(path), name)
            self.settings.add_recent(path)
            self.settings.set_last_dir(path)
            self.recent_changed.emit()
        if project.warnings:
            self.document._set_extra_dirty()  # what is shown differs from the file
            self._show_repairs(os.path.basename(path), project.warnings)
        return True

    def open_keras(self, path) -> bool:
        """Opens the Keras 3 model at `path` as a new, unsaved project; a file the engine
        cannot read (or a model with layers it does not have) changes nothing and says why."""
        from engine.interop import keras_import  # noqa: PLC0415 - needs the optional h5py

        try:
            model, notes = keras_import.import_model(path)
            spec = model.to_spec()
            layout = auto_layout(ModelGraph.from_spec(spec))
        except (LayerCraftError, OSError) as exc:
            messages.show_error(self.widget, str(exc), traceback.format_exc(),
                                "Cannot open Keras model")
            return False
        self.document.load(spec, layout=layout, compile_spec=self._compile_spec_of(model))
        name = os.path.basename(path)
        self._set_identity(None, os.path.splitext(name)[0])  # Save asks for a .lcproj name
        self.document._set_extra_dirty()  # nothing of it is saved as a project yet
        self.settings.add_recent(path)
        self.settings.set_last_dir(path)
        self.recent_changed.emit()
        self._use_model(model, f"Keras file {name}")
        self._show_keras_notes(name, notes)
        return True

    def _compile_spec_of(self, model) -> dict:
        """The document's compile spec for the model's compile settings (as for a checkpoint);
        the current one when the file had none the engine could use."""
        config = getattr(model, "compile_config", None)
        if not config:
            return dict(self.document.compile_spec)
        saved = SimpleNamespace(compile_config=config, training={})
        return compile_spec_from(saved, self.document.compile_spec)

    def _use_model(self, model, source: str) -> None:
        """Hands the opened model, weights included, to the window's training controller."""
        controller = getattr(self.widget, "training_controller", None)
        if controller is not None:
            controller.set_model(model, source)

    def _show_keras_notes(self, name: str, notes: list[str]) -> None:
        if not notes:
            messages.notify(f"Opened the Keras model {name}")
            return
        messages.show_error(self.widget, f"'{name}' opened; {len(notes)} setting(s) could not "
                            "be kept as Keras had them:\n\n" + _bullets(notes),
                            "\n".join(notes), "Keras model opened with notes")
        messages.notify(f"Opened the Keras model {name} with {len(notes)} note(s)")

    def _show_repairs(self, name: str, warnings: list[str]) -> None:
        """Tells what the schema check reset or clamped; the project is open already."""
        if not warnings:
            return
        text = (f"'{name}' opened, but {len(warnings)} setting(s) could not be used as "
                "saved and were reset. Save the project to keep the corrected values.\n\n"
                + _bullets(warnings))
        messages.show_error(self.widget, text, "\n".join(warnings), "Project settings reset")
        messages.notify(f"'{name}' opened with {len(warnings)} setting(s) reset")

    def open_example(self, stem: str) -> bool:
        """Opens a bundled example as a new, unsaved project (the original stays intact)."""
        if not self.maybe_save():
            return False
        return self.open_path(examples.path(stem), as_template=True)

    # ----- saving ---------------------------------------------------------------------------------
    def save(self) -> bool:
        return self.save_as(self.path) if self.path else self.save_as()

    def save_as(self, path=None) -> bool:
        path = path or self.ask_save_path()
        if not path:
            return False
        if not path.endswith(project_io.SUFFIX):
            path += project_io.SUFFIX
        try:
            project_io.save(path, project_io.from_document(self.document))
        except project_io.ProjectError as exc:
            messages.show_error(self.widget, str(exc), traceback.format_exc(), "Save failed")
            return False
        self.document.mark_saved()
        self.autosaver.discard()
        self.settings.add_recent(path)
        self.settings.set_last_dir(path)
        self.recent_changed.emit()
        self._set_identity(os.path.abspath(path), os.path.splitext(os.path.basename(path))[0])
        messages.notify(f"Saved {path}")
        return True

    def export_spec(self, path) -> bool:
        try:
            project_io.write_json_atomic(path, self.document.to_spec())
        except project_io.ProjectError as exc:
            messages.show_error(self.widget, str(exc), "", "Export failed")
            return False
        messages.notify(f"Model spec exported to {path}")
        return True

    def maybe_save(self, action: str = "closing it") -> bool:
        """True when it is fine to drop the current project (saved, discarded or unchanged).

        Args:
            action: What is about to happen, for the question ("opening a checkpoint").
        """
        if not self.document.is_modified():
            return True
        self._unsaved_action = action
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    # ----- recovery -------------------------------------------------------------------------------
    def offer_recovery(self) -> bool:
        """After a crash: offers the newest recovery file; returns True when restored."""
        found = find_recoveries(settings.recovery_dir())
        if not found or not self.ask_restore(found[0]):
            for path in found:
                os.unlink(path)
            return False
        try:
            project, original = read_recovery(found[0])
        except (project_io.ProjectError, ValueError, OSError) as exc:
            messages.show_error(self.widget, f"The recovery file cannot be read: {exc}")
            return False
        project_io.into_document(self.document, project)
        self._show_repairs("the recovery file", project.warnings)
        self._set_identity(original, (os.path.splitext(os.path.basename(original))[0]
                                      if original else "Recovered"))
        self.document._set_extra_dirty()  # restored work is not saved yet
        for path in found:
            os.unlink(path)
        return True

    def shutdown(self) -> None:
        self.autosaver.stop()
        self.autosaver.discard()

    # ----- default questions (modal; tests replace them) ----------------------------------------
    def _ask_open_path(self):
        path, _ = QFileDialog.getOpenFileName(self.widget, "Open project or Keras model",
                                              self.settings.last_dir(), OPEN_FILTER)
        return path

    def _ask_save_path(self):
        start = self.path or os.path.join(self.settings.last_dir(),
                                          self.display_name + project_io.SUFFIX)
        path, _ = QFileDialog.getSaveFileName(self.widget, "Save project", start, FILTER)
        return path

    def unsaved_question(self) -> questions.Question:
        """The Save / Cancel / Discard question; Save is the default, Discard far left."""
        return questions.Question(
            self.widget, "Unsaved changes",
            f"Save the changes to '{self.display_name}' before {self._unsaved_action}?",
            confirm="Save", cancel="Cancel", destructive="Discard changes",
            detail="Discarded changes cannot be brought back.")

    def _ask_unsaved(self) -> str:
        answer = questions.answer_of(self.unsaved_question())
        return {questions.CONFIRM: "save", questions.DESTRUCTIVE: "discard"}.get(answer, "cancel")

    def _ask_restore(self, path) -> bool:
        answer = QMessageBox.question(
            self.widget, "Restore unsaved work?",
            "LayerCraft did not close properly last time. Restore the unsaved project it was "
            "working on?", QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        return answer == QMessageBox.Yes


def _bullets(items: list[str]) -> str:
    """The first SHOWN_REPAIRS of `items` as bullet lines; the rest are in the details."""
    lines = [f"• {item}" for item in items[:SHOWN_REPAIRS]]
    if len(items) > SHOWN_REPAIRS:
        lines.append(f"… and {len(items) - SHOWN_REPAIRS} more (Show Details…).")
    return "\n".join(lines)
