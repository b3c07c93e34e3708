"""Reopening a project's weights: the last run's best checkpoint (else its last one), so
Evaluate and Predict work as soon as a project with runs is opened.

A missing or damaged file is an everyday event (checkpoints deleted, the project copied
without its runs folder): it gives a sentence for the status bar, never an exception.
"""

import logging
import os

from engine.saving import checkpoint

log = logging.getLogger("layercraft")


def checkpoint_to_reopen(runs: list[dict]) -> str | None:
    """The last run's best checkpoint, else the last one it listed; None without any."""
    if not runs:
        return None
    last = runs[-1]
    listed = [p for p in last.get("checkpoints") or [] if isinstance(p, str) and p]
    best = last.get("best_checkpoint")
    return best if isinstance(best, str) and best else (listed[-1] if listed else None)


def reopen_weights(runs: list[dict]):
    """Loads the model of `checkpoint_to_reopen(runs)`.

    Returns:
        `(model, message)`: the model (None when there is nothing to load or it failed) and
        a sentence for the status bar (empty when there was nothing to load).
    """
    path = checkpoint_to_reopen(runs)
    if path is None:
        return None, ""
    name, run = os.path.basename(path), runs[-1].get("name", "the last run")
    if not os.path.isfile(path):
        return None, (f"The weights of {run} were not reopened: its checkpoint {name} is "
                      "missing. Train again or open another checkpoint to evaluate.")
    try:
        model = checkpoint.load_model(path)
    except Exception as exc:  # any damage: the project stays open, without weights
        log.warning("Could not reopen %s", path, exc_info=True)
        return None, (f"The weights of {run} were not reopened: {name} cannot be read "
                      f"({_first_line(exc)}).")
    return model, f"Reopened the weights of {run} from {name}."


def _first_line(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
