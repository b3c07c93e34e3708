"""Loading a checkpoint into the app: canvas, compile settings, weights and curves.

Everything is read and built first (`read_checkpoint`, `load_model`); only when both
succeed does anything change, so a damaged or foreign file changes nothing.
"""

import os
import traceback

from engine.saving import checkpoint
from engine.errors import LayerCraftError
from engine.graph import ModelGraph

from .. import messages
from ..auto_layout import auto_layout


def compile_spec_from(contents, current: dict) -> dict:
    """The document's compile spec for a checkpoint's compile settings."""
    config = contents.compile_config or {}
    optimizer = contents.training.get("optimizer") or config.get("optimizer") or \
        current.get("optimizer")
    if isinstance(optimizer, dict):
        kept = {k: v for k, v in (optimizer.get("config") or {}).items() if k != "name"}
        optimizer = {"class_name": optimizer.get("class_name"), "config": kept}
    metrics = config.get("metrics") or []
    return {"optimizer": optimizer, "loss": config.get("loss", current.get("loss")),
            "metrics": list(metrics) if isinstance(metrics, (list, tuple)) else [metrics],
            "device": current.get("device", "auto")}


def describe(path: str) -> dict:
    """Epoch, monitored values and save time of a checkpoint file, for the browser.

    Raises:
        CheckpointError: for a damaged or foreign file (the engine's message).
    """
    contents = checkpoint.read_checkpoint(path)
    history = (contents.history or {}).get("history", {})
    epoch = contents.epoch
    values = dict(contents.best) or {k: v[epoch - 1] for k, v in history.items()
                                     if k in ("loss", "val_loss") and 0 < epoch <= len(v)}
    return {"path": path, "epoch": epoch, "best": dict(contents.best), "values": values,
            "created": contents.created}


def load_into_app(path: str, document, controller, charts, parent=None) -> bool:
    """Loads checkpoint `path`: spec onto the canvas, compile settings, the model with its
    weights and optimizer state (the controller's current model, so Continue resumes from
    it), and the run's curves. On any error shows the engine's message and changes nothing.
    """
    try:
        contents = checkpoint.read_checkpoint(path)
        model = checkpoint.load_model(path)
        graph = ModelGraph.from_spec(contents.spec)
    except (LayerCraftError, OSError) as exc:
        messages.show_error(parent, str(exc), traceback.format_exc(), "Cannot load checkpoint")
        return False
    layout = dict(document.layout)
    if not set(graph.nodes) <= set(layout):
        layout = auto_layout(graph)
    document.load(contents.spec, layout=layout,
                  compile_spec=compile_spec_from(contents, document.compile_spec),
                  settings=document.settings)
    document.set_project_field("runs", document.settings.get("runs", []))  # now unsaved
    controller.set_model(model, f"checkpoint {os.path.basename(path)}")
    history = contents.history or {}
    charts.load_history(history.get("history", {}), history.get("epoch"))
    messages.notify(f"Loaded {os.path.basename(path)} (epoch {contents.epoch}). "
                    "Continue training resumes from it.")
    return True
