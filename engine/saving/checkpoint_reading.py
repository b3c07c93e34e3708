"""Reading a checkpoint file into plain, verified data (`CheckpointContents`); no model
is built here (`checkpoint.load_model` builds one from it).

Every member is checked before use: the archive's manifest and hashes (`archive.unpack`),
the weights' names, dtypes and shapes (`safetensors_io`), the training settings and the
history's types; anything off is a `CheckpointError` that says what and where.
"""

import os
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import CheckpointError
from . import archive, safetensors_io
from .archive import parse_json

_WEIGHT_NAME = re.compile(r"^(\d+):(.+)/([^/]+)$")


@dataclass
class CheckpointContents:
    """Everything in a checkpoint file, verified, as plain data (no model is built).

    Attributes:
        path: The file read.
        kind: `"model"` (full checkpoint) or `"weights"`.
        format_version, engine_version, created: From the manifest.
        spec: The model spec (JSON data).
        weights: `"0000:layer/weight"` -> float32 array, in Keras order.
        optimizer_state: Name -> array (`optimizer.get_state()`), or None.
        training: `compile_config`, `optimizer`, `epoch`, `best`, `extra` (model kind).
        history: `{"history": {...}, "epoch": [...], "params": {...}}`, or None.
    """

    path: str
    kind: str
    format_version: int
    engine_version: str
    created: str
    spec: dict
    weights: dict
    optimizer_state: dict | None = None
    training: dict = field(default_factory=dict)
    history: dict | None = None

    @property
    def weight_list(self) -> list:
        return list(self.weights.values())

    @property
    def epoch(self) -> int:
        """Completed epochs when it was saved (0 for weights files)."""
        return self.training.get("epoch", 0)

    @property
    def compile_config(self):
        return self.training.get("compile_config")

    @property
    def best(self) -> dict:
        return self.training.get("best", {})

    @property
    def extra(self) -> dict:
        return self.training.get("extra", {})


def read_checkpoint(path) -> CheckpointContents:
    """Reads and verifies every part of a checkpoint or weights file; builds no model.

    Raises:
        CheckpointError: for a missing, foreign, truncated, corrupted, tampered or
            newer-format file, saying which and what to do.
    """
    path = os.fspath(path)
    manifest, members = archive.unpack(path)
    kind = manifest["kind"]
    if kind == "weights" and set(members) != set(archive.REQUIRED):
        raise CheckpointError(f"The weights file '{path}' holds training data too, so it was "
                              "not written by LayerCraft. Use an original copy.")
    spec = parse_json(path, "model.json", members["model.json"])
    if not isinstance(spec, dict):
        raise CheckpointError(f"The model spec in '{path}' is not a JSON object.")
    optimizer = members.get("optimizer.safetensors")
    history = members.get("history.json")
    return CheckpointContents(
        path=path, kind=kind, format_version=manifest["version"],
        engine_version=str(manifest.get("engine_version", "")),
        created=str(manifest.get("created", "")), spec=spec,
        weights=read_weights(path, members["weights.safetensors"]),
        optimizer_state=None if optimizer is None else _tensors(path, "optimizer.safetensors",
                                                                 optimizer),
        training=_read_training(path, members.get("training.json")),
        history=None if history is None else _read_history(path, history))


def _tensors(path: str, name: str, data: bytes) -> dict:
    try:
        return safetensors_io.decode(data)
    except safetensors_io.SafetensorsFormatError as exc:
        raise CheckpointError(f"The member {name!r} of '{path}' is not valid safetensors data: "
                              f"{exc} Use an original copy.") from None


def read_weights(path: str, data: bytes) -> dict:
    """`{"0000:layer/weight": float32 array}` in position order, from safetensors bytes."""
    tensors = _tensors(path, "weights.safetensors", data)
    indexed = {}
    for name, array in tensors.items():
        match = _WEIGHT_NAME.match(name)
        if match is None or array.dtype != np.float32:
            raise CheckpointError(f"The weights in '{path}' include {name!r} ({array.dtype}), "
                                  "which LayerCraft does not write. Use an original copy.")
        indexed[int(match.group(1))] = (name, array)
    if sorted(indexed) != list(range(len(indexed))):
        raise CheckpointError(f"The weights in '{path}' are not numbered 0..{len(indexed) - 1}. "
                              "Use an original copy.")
    return dict(indexed[i] for i in range(len(indexed)))


def _read_training(path: str, data: bytes | None) -> dict:
    if data is None:
        return {}
    training = parse_json(path, "training.json", data)
    if not _valid_training(training):
        raise CheckpointError(f"The training settings in '{path}' are malformed. Use an "
                              "original copy, or load only the weights.")
    return training


def _valid_training(training) -> bool:
    if not isinstance(training, dict):
        return False
    return (_is_count(training.get("epoch", 0))
            and all(isinstance(training.get(k, {}), dict) for k in ("best", "extra"))
            and all(_is_log_value(v) for v in training.get("best", {}).values())
            and all(isinstance(training.get(k), (dict, type(None)))
                    for k in ("compile_config", "optimizer")))


def _read_history(path: str, data: bytes) -> dict:
    history = parse_json(path, "history.json", data)
    problem = _history_problem(history)
    if problem:
        raise CheckpointError(f"The history in '{path}' is malformed: {problem}. Use an "
                              "original copy, or load the model with compile=False.")
    return history


def _history_problem(history) -> str:
    """What is wrong with a history record, or "" (the form `History.to_dict` writes)."""
    if not isinstance(history, dict):
        return f"expected a JSON object, received {type(history).__name__}"
    logs, epochs = history.get("history"), history.get("epoch", [])
    if not isinstance(logs, dict) or not all(isinstance(v, list) and all(map(_is_log_value, v))
                                             for v in logs.values()):
        return "'history' must map each log name to a list of numbers"
    if not isinstance(epochs, list) or not all(map(_is_count, epochs)):
        return "'epoch' must be a list of epoch numbers (integers >= 0)"
    if not isinstance(history.get("params", {}), dict):
        return "'params' must be a JSON object"
    return ""


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_log_value(value) -> bool:
    """A logged number: an int or float (NaN and infinities included, as runs log them)."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))
