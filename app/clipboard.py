"""Copy and paste of blocks as JSON (the same node entries as a model spec, plus positions)."""

import copy
import json

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from engine.graph import Node

from .commands import AddNode, Connect, Macro

MIME_TYPE = "application/x-layercraft-layers"
FORMAT = "layercraft.clipboard"
PASTE_OFFSET = (40.0, 40.0)


def encode(document, names) -> dict:
    """The chosen blocks, with only the edges between them."""
    chosen = [n for n in document.graph.nodes if n in set(names)]
    layers = []
    for name in chosen:
        entry = document.node(name).to_spec()
        entry["inputs"] = [p for p in entry["inputs"] if p in chosen]
        entry.pop("shares", None)
        layers.append(entry)
    layout = {n: list(document.position(n)) for n in chosen}
    return {"format": FORMAT, "layers": layers, "layout": layout}


def paste_command(document, payload: dict, offset=PASTE_OFFSET):
    """One undoable paste; every layer gets a fresh unique name. None if nothing to paste."""
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or not payload["layers"]:
        return None
    renames, taken = {}, set()
    for entry in payload["layers"]:
        renames[entry["name"]] = document.unique_name(entry["name"], taken)
        taken.add(renames[entry["name"]])
    macro = Macro(document, f"Paste {len(renames)} block(s)")
    for entry in payload["layers"]:
        new = renames[entry["name"]]
        x, y = payload.get("layout", {}).get(entry["name"], (0.0, 0.0))
        node = Node(new, entry["class_name"], copy.deepcopy(entry.get("config", {})), [])
        macro.add(AddNode(document, node, (x + offset[0], y + offset[1])))
    for entry in payload["layers"]:
        for parent in entry.get("inputs", []):
            if parent in renames:
                macro.add(Connect(document, renames[parent], renames[entry["name"]]))
    return macro


def copy_to_clipboard(document, names) -> bool:
    if not names:
        return False
    text = json.dumps(encode(document, names), indent=1)
    mime = QMimeData()
    mime.setData(MIME_TYPE, text.encode("utf-8"))
    mime.setText(text)
    QGuiApplication.clipboard().setMimeData(mime)
    return True


def from_clipboard():
    """The payload on the system clipboard, or None when it holds no LayerCraft blocks."""
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None:
        return None
    raw = bytes(mime.data(MIME_TYPE)).decode("utf-8") if mime.hasFormat(MIME_TYPE) else mime.text()
    try:
        payload = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return payload if isinstance(payload, dict) and payload.get("format") == FORMAT else None
