"""MainWindow: docks, menus and toolbar around the canvas. Wiring only; behaviour lives in
the document, the canvas, the panels and the project controller."""

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QTabWidget, \
    QLabel, QWidget

from . import clipboard, edits, examples, messages, theme, window_layout
from .file_dialogs import save_file
from .actions import build_menus, build_toolbar, create_actions
from .canvas.scene import GraphScene
from .canvas.view import GraphView
from .compile_dialog import CompileDialog
from .commands import SetCompile
from .document import GraphDocument
from .export_dialog import ExportDialog
from .palette import LayerPalette
from .project_controller import ProjectController
from .property_editor import PropertyEditor
from .summary_view import ProblemsView, SummaryView

BOTTOM_TABS = ("Data", "Training", "Charts", "Evaluate", "Predict")


class MainWindow(QMainWindow):
    def __init__(self, project_path=None, restore=True):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowIcon(theme.app_icon())
        self.document = GraphDocument(self)
        self.scene = GraphScene(self.document, self)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self.palette = LayerPalette()
        self.property_editor = PropertyEditor(self.document)
        self.summary = SummaryView(self.document)
        self.problems = ProblemsView(self.document)
        self.project = ProjectController(self.document, self)
        self.actions = create_actions(self)
        self.menus = build_menus(self, self.actions)
        self.toolbar, self.compile_button = build_toolbar(self, self.actions)
        self.docks = self._build_docks()
        self._connect()
        self.statusBar().showMessage("Drag layers from the palette onto the canvas.")
        messages.set_status_callback(self.statusBar().showMessage, owner=self.statusBar())
        self.resize(1440, 900)
        self._install_workbench()
        self._open_initial(project_path, restore)
        self.dialog = None

    def _install_workbench(self):
        """Fills the bottom tabs: data, training and charts, evaluation and prediction."""
        from .data_panel.install import install_data_and_analysis  # noqa: PLC0415
        from .training import install_training  # noqa: PLC0415

        install_training(self)
        install_data_and_analysis(self)
        window_layout.apply_default_layout(self)
        reset = QAction("&Reset Layout", self)
        reset.setObjectName("resetLayoutAction")
        reset.setStatusTip("Put every panel back where it starts, at its default size")
        reset.triggered.connect(lambda: window_layout.apply_default_layout(self))
        self.menus["view"].addAction(reset)
        open_checkpoint = QAction("Open &Checkpoint...", self)
        open_checkpoint.setObjectName("openCheckpointAction")
        open_checkpoint.setStatusTip("Load a saved .lcm checkpoint: model, weights and curves")
        open_checkpoint.triggered.connect(self.runs_view.open_file)
        # A checkpoint replaces the canvas and its undo history: ask first, as Open does.
        self.runs_view.confirm_replace = lambda: self.project.maybe_save(
            "opening a checkpoint")
        self.menus["file"].insertAction(self.menus["examples"].menuAction(), open_checkpoint)

    # ----- docks ------------------------------------------------------------------------------------
    def _dock(self, title, name, widget, area):
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetMovable | QDockWidget.DockWidgetFloatable |
                         QDockWidget.DockWidgetClosable)
        self.addDockWidget(area, dock)
        self.menus["panels"].addAction(dock.toggleViewAction())
        return dock

    def _build_docks(self):
        self.bottom_tabs = QTabWidget()
        self.bottom_tabs.setObjectName("bottomTabs")
        self.tab_pages = {}
        for name in BOTTOM_TABS:
            page = QLabel(f"{name}: available once a training panel is installed.",
                          alignment=Qt.AlignCenter)
            page.setProperty("role", "muted")
            page.setObjectName(f"{name.lower()}Tab")
            self.tab_pages[name] = page
            self.bottom_tabs.addTab(page, name)
        docks = {"palette": self._dock("Layers", "paletteDock", self.palette, Qt.LeftDockWidgetArea),
                 "properties": self._dock("Properties", "propertiesDock", self.property_editor,
                                          Qt.RightDockWidgetArea),
                 "summary": self._dock("Summary", "summaryDock", self.summary,
                                       Qt.RightDockWidgetArea),
                 "problems": self._dock("Problems", "problemsDock", self.problems,
                                        Qt.RightDockWidgetArea),
                 "workbench": self._dock("Workbench", "workbenchDock", self.bottom_tabs,
                                         Qt.BottomDockWidgetArea)}
        return docks

    def install_tab(self, name: str, widget: QWidget) -> None:
        """Puts `widget` into the bottom tab `name` (Data, Training, Charts, Evaluate, Predict)."""
        index = BOTTOM_TABS.index(name)
        self.bottom_tabs.removeTab(index)
        self.tab_pages[name].deleteLater()
        self.tab_pages[name] = widget
        self.bottom_tabs.insertTab(index, widget, name)

    # ----- wiring ------------------------------------------------------------------------------------
    def _connect(self):
        a, doc = self.actions, self.document
        a["undo"].triggered.connect(doc.undo_stack.undo)
        a["redo"].triggered.connect(doc.undo_stack.redo)
        doc.undo_stack.canUndoChanged.connect(a["undo"].setEnabled)
        doc.undo_stack.canRedoChanged.connect(a["redo"].setEnabled)
        doc.undo_stack.undoTextChanged.connect(lambda text: _name_action(a["undo"], "Undo", text))
        doc.undo_stack.redoTextChanged.connect(lambda text: _name_action(a["redo"], "Redo", text))
        a["undo"].setEnabled(False)
        a["redo"].setEnabled(False)
        a["new"].triggered.connect(self.project.new)
        a["open"].triggered.connect(lambda: self.project.open())
        a["save"].triggered.connect(self.project.save)
        a["save_as"].triggered.connect(lambda: self.project.save_as())
        a["export_spec"].triggered.connect(self.export_spec)
        a["export_model"].triggered.connect(self.open_export_dialog)
        a["quit"].triggered.connect(self.close)
        a["cut"].triggered.connect(self.cut)
        a["copy"].triggered.connect(self.copy)
        a["paste"].triggered.connect(self.paste)
        a["delete"].triggered.connect(self.scene.delete_selection)
        a["select_all"].triggered.connect(lambda: self.scene.select_nodes(self.scene.nodes))
        a["zoom_in"].triggered.connect(self.view.zoom_in)
        a["zoom_out"].triggered.connect(self.view.zoom_out)
        a["zoom_fit"].triggered.connect(self.view.fit)
        a["auto_layout"].triggered.connect(self.auto_layout)
        a["compile"].triggered.connect(self.open_compile_dialog)
        a["about"].triggered.connect(self.about)
        self.menus["examples"].triggered.connect(
            lambda action: self.project.open_example(action.data()))
        self.menus["recent"].aboutToShow.connect(self._fill_recent)
        self.scene.selectionChanged.connect(self._on_selection)
        self.palette.layer_activated.connect(self.append_layer)
        self.summary.node_clicked.connect(self.focus_node)
        self.problems.node_clicked.connect(self.focus_node)
        self.project.title_changed.connect(self.setWindowTitle)
        doc.modified_changed.connect(self.setWindowModified)
        doc.analysis_changed.connect(self._on_analysis)
        doc.reset.connect(lambda: QTimer.singleShot(0, self.view.fit))
        for widget in (self.view, self.palette):
            widget.addActions([a[n] for n in ("cut", "copy", "paste", "delete", "select_all")])

    def _open_initial(self, path, restore):
        if restore and self.project.offer_recovery():
            pass
        elif path:
            if not self.project.open_path(path):
                self.project.open_example(examples.DEFAULT)
        else:
            self.project.open_example(examples.DEFAULT)
        self.setWindowTitle(self.project.title())
        self._on_analysis()

    # ----- slots --------------------------------------------------------------------------------------
    def _on_selection(self):
        self.property_editor.show_nodes(self.scene.selected_nodes())

    def _on_analysis(self):
        errors = [p for p in self.document.analysis.problems if p.severity == "error"]
        tip = ("Compile: choose optimizer, loss, metrics and device" if not errors else
               "Fix these first:\n" + "\n".join(f"• {p.message}" for p in errors[:6]))
        self.compile_button.setToolTip(tip)
        count = len(self.document.analysis.problems)
        self.docks["problems"].setWindowTitle(f"Problems ({count})" if count else "Problems")

    def _fill_recent(self):
        menu = self.menus["recent"]
        menu.clear()
        files = self.project.settings.recent_files()
        for path in files:
            menu.addAction(path, lambda p=path: self.project.open(p))
        if not files:
            menu.addAction("No recent projects").setEnabled(False)

    def focus_node(self, name):
        if name in self.scene.nodes:
            self.scene.select_nodes([name])
            self.view.ensureVisible(self.scene.nodes[name], 60, 60)

    def append_layer(self, class_name: str) -> str:
        """Palette double-click: append after the selected block (or the model's end)."""
        selected = self.scene.selected_nodes()
        anchor = selected[-1] if selected else (self.document.graph.outputs or [None])[-1]
        if anchor is None:
            return self.scene.drop_layer(class_name, self.view.mapToScene(
                self.view.viewport().rect().center()))
        command = edits.append_after(self.document, class_name, anchor)
        self.document.push(command)
        name = edits.added_name(command)
        self.focus_node(name)
        return name

    def copy(self):
        clipboard.copy_to_clipboard(self.document, self.scene.selected_nodes())

    def cut(self):
        if clipboard.copy_to_clipboard(self.document, self.scene.selected_nodes()):
            self.scene.delete_selection()

    def paste(self):
        command = clipboard.paste_command(self.document, clipboard.from_clipboard())
        if command is not None:
            self.document.push(command)
            self.scene.select_nodes([c.node.name for c in command.children if hasattr(c, "node")])

    def auto_layout(self):
        command = edits.layout_all(self.document)
        if command is not None:
            self.document.push(command)
        self.view.fit()

    def export_spec(self):
        path = save_file(self, "Export model spec", "spec", "model.json", "JSON (*.json)")
        if path:
            self.project.export_spec(path)

    def open_export_dialog(self) -> ExportDialog:
        """File > Export…: the trained model when there is one, else the canvas."""
        controller = getattr(self, "training_controller", None)
        model = controller.current_model() if controller is not None else None
        source = controller.model_source if model is not None else ""
        self.dialog = ExportDialog(self.document, model, source, self)
        self.dialog.open()
        return self.dialog

    def open_compile_dialog(self) -> CompileDialog:
        self.dialog = CompileDialog(self.document, _data_info(self.document), self)
        self.dialog.compile_requested.connect(self._on_compile)
        self.dialog.open()
        return self.dialog

    def _on_compile(self, spec):
        if spec != self.document.compile_spec:
            self.document.push(SetCompile(self.document, spec))
        messages.notify(f"Compiled: {spec['optimizer']['class_name']}, {spec['loss']}.")

    def about(self):
        QMessageBox.about(self, "About LayerCraft",
                          "<b>LayerCraft</b><br>Build, train and use deep-learning models "
                          "visually: the visual twin of the Keras workflow, on NumPy and CuPy.")

    # ----- lifetime -----------------------------------------------------------------------------------
    def showEvent(self, event):
        super().showEvent(event)
        geometry, state = self.project.settings.window_state()
        if geometry is not None and not getattr(self, "_restored", False):
            self.restoreGeometry(geometry)
            self.restoreState(state)
        self._restored = True

    def closeEvent(self, event):
        if not self.project.maybe_save():
            event.ignore()
            return
        self.project.settings.save_window_state(self.saveGeometry(), self.saveState())
        from .data_panel.install import shutdown_data_and_analysis  # noqa: PLC0415

        shutdown_data_and_analysis(self)
        self.project.shutdown()
        event.accept()


def _name_action(action, verb: str, text: str) -> None:
    """Edit > Undo names what it undoes ("Undo Add Dense"), as desktop apps do."""
    action.setText(f"&{verb} {text}" if text else f"&{verb}")
    action.setToolTip(f"{verb} {text}" if text else f"{verb} the last edit")


def _data_info(document):
    """The data set's metadata for the compile checks, when the data engine knows it."""
    name = document.settings.get("data", {}).get("dataset")
    if not name:
        return None
    try:
        from engine import datasets  # noqa: PLC0415

        return datasets.info(name)
    except Exception:  # unknown set or data engine unavailable: checks skip the data
        return None
