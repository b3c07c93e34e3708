"""The main window's actions, menus and toolbar (declarations only; slots live elsewhere)."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolButton

from . import examples, theme

S = QKeySequence.StandardKey

# name: (text, shortcuts, icon, status tip). Shortcuts are standard keys (every binding the
# platform has for them) and key strings ("Ctrl" is Cmd on macOS), merged without duplicates.
ACTIONS = {
    "new": ("&New", (S.New,), "new", "Start an empty project"),
    "open": ("&Open…", (S.Open,), "open", "Open a project file"),
    "save": ("&Save", (S.Save,), "save", "Save the project"),
    "save_as": ("Save &As…", (S.SaveAs, "Ctrl+Shift+S"), None,
                "Save the project under a new name"),
    "export_spec": ("&Export Model Spec (JSON)…", (), "export",
                    "Write the model spec that engine.Model.from_spec() reads"),
    "export_model": ("E&xport…", ("Ctrl+Shift+E",), None,
                     "Write the model as ONNX, a Keras 3 .keras file or a PyTorch package"),
    "quit": ("&Quit", (S.Quit, "Ctrl+Q"), None, "Close LayerCraft"),
    "undo": ("&Undo", (S.Undo, "Ctrl+Z"), "undo", "Undo the last edit"),
    "redo": ("&Redo", (S.Redo, "Ctrl+Shift+Z", "Ctrl+Y"), "redo", "Redo the last undone edit"),
    "cut": ("Cu&t", (S.Cut,), "cut", "Cut the selected blocks"),
    "copy": ("&Copy", (S.Copy,), "copy", "Copy the selected blocks"),
    "paste": ("&Paste", (S.Paste,), "paste", "Paste blocks (with new names)"),
    "delete": ("&Delete", (S.Delete, "Backspace"), "delete",
               "Delete the selected blocks and edges"),
    "select_all": ("Select &All", (S.SelectAll,), None, "Select every block"),
    "zoom_in": ("Zoom &In", (S.ZoomIn, "Ctrl+="), "zoom-in", "Zoom in"),
    "zoom_out": ("Zoom &Out", (S.ZoomOut,), "zoom-out", "Zoom out"),
    "zoom_fit": ("&Fit to View", ("Ctrl+0",), "zoom-fit", "Show the whole model"),
    "auto_layout": ("Auto-&Layout", ("Ctrl+L",), "layout",
                    "Arrange the blocks top to bottom"),
    "compile": ("&Compile…", ("Ctrl+Shift+C",), "compile",
                "Choose optimizer, loss, metrics and device"),
    "about": ("&About LayerCraft", (), None, "About LayerCraft"),
}


def platform_bindings(key: QKeySequence.StandardKey) -> list[QKeySequence]:
    """Every binding this platform's keyboard scheme has for a standard key."""
    return QKeySequence.keyBindings(key)


def shortcut_list(entries) -> list[QKeySequence]:
    """Standard keys and key strings as one list without duplicates (a key bound twice to
    one action is an "ambiguous shortcut" to Qt, and then does nothing)."""
    sequences, seen = [], set()
    for entry in entries:
        found = platform_bindings(entry) if isinstance(entry, S) else [QKeySequence(entry)]
        for sequence in found:
            text = sequence.toString(QKeySequence.PortableText)
            if text and text not in seen:
                seen.add(text)
                sequences.append(sequence)
    return sequences


def create_actions(window) -> dict[str, QAction]:
    actions = {}
    for name, (text, shortcuts, icon, tip) in ACTIONS.items():
        action = QAction(text, window)
        action.setObjectName(f"action_{name}")
        action.setShortcuts(shortcut_list(shortcuts))
        if icon:
            action.setIcon(theme.icon_for_action(icon))
        action.setStatusTip(tip)
        action.setToolTip(f"{tip} ({action.shortcut().toString(QKeySequence.NativeText)})"
                          if shortcuts else tip)
        actions[name] = action
    for name in ("cut", "copy", "paste", "delete", "select_all"):
        actions[name].setShortcutContext(Qt.WidgetWithChildrenShortcut)
    return actions


def build_menus(window, actions) -> dict:
    bar = window.menuBar()
    menus = {}
    file_menu = menus["file"] = bar.addMenu("&File")
    file_menu.addActions([actions["new"], actions["open"]])
    menus["recent"] = file_menu.addMenu("Open &Recent")
    menus["recent"].setObjectName("recentMenu")
    menus["examples"] = file_menu.addMenu("&Examples")
    menus["examples"].setObjectName("examplesMenu")
    for stem, title in examples.EXAMPLES:
        action = menus["examples"].addAction(title)
        action.setObjectName(f"example_{stem}")
        action.setData(stem)
    file_menu.addSeparator()
    file_menu.addActions([actions["save"], actions["save_as"], actions["export_spec"],
                          actions["export_model"]])
    file_menu.addSeparator()
    file_menu.addAction(actions["quit"])
    edit = menus["edit"] = bar.addMenu("&Edit")
    edit.addActions([actions["undo"], actions["redo"]])
    edit.addSeparator()
    edit.addActions([actions[n] for n in ("cut", "copy", "paste", "delete", "select_all")])
    view = menus["view"] = bar.addMenu("&View")
    view.addActions([actions[n] for n in ("zoom_in", "zoom_out", "zoom_fit")])
    view.addSeparator()
    view.addAction(actions["auto_layout"])
    menus["panels"] = view.addMenu("&Panels")
    model = menus["model"] = bar.addMenu("&Model")
    model.addAction(actions["compile"])
    help_menu = menus["help"] = bar.addMenu("&Help")
    help_menu.addAction(actions["about"])
    return menus


def build_toolbar(window, actions):
    bar = window.addToolBar("Main")
    bar.setObjectName("mainToolBar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonIconOnly)
    for group in (("new", "open", "save"), ("undo", "redo"), ("cut", "copy", "paste", "delete"),
                  ("zoom_in", "zoom_out", "zoom_fit", "auto_layout")):
        bar.addActions([actions[n] for n in group])
        bar.addSeparator()
    compile_button = QToolButton()
    compile_button.setObjectName("compileButton")
    compile_button.setDefaultAction(actions["compile"])
    compile_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    compile_button.setText("Compile")
    bar.addWidget(compile_button)
    return bar, compile_button
