"""What one training run needs, as plain data: the model spec, compile settings, data,
training settings and (for Continue / resume) the state to start from.

Everything here is built on the GUI thread and then only read by the worker thread; arrays
are copies, so the GUI never shares mutable arrays with a running worker.
"""

from dataclasses import dataclass, field
import copy
import math
import os

import numpy as np

from engine import backend

from .run_folders import default_checkpoint_folder

#: Training settings saved in the project (`document.settings["training"]`).
DEFAULT_SETTINGS = {
    "epochs": 20, "batch_size": 32, "validation_split": 0.1, "device": "cpu",
    "shuffle": True, "seed": None,
    "early_stopping": {"enabled": False, "monitor": "val_loss", "patience": 3,
                       "min_delta": 0.0, "restore_best_weights": True},
    "checkpoint": {"enabled": False, "folder": "", "save_best_only": True, "every": 1,
                   "monitor": "val_loss"},
    "reduce_lr": {"enabled": False, "monitor": "val_loss", "factor": 0.5, "patience": 2},
}
#: Keys of batch/epoch dicts that are run information, not logged quantities.
INFO_KEYS = ("batch", "steps", "position", "elapsed", "samples_per_s", "samples")


def merged_settings(saved: dict | None) -> dict:
    """The defaults overlaid with what the project saved (unknown keys are kept)."""
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    for key, value in (saved or {}).items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            settings[key].update(value)
        else:
            settings[key] = copy.deepcopy(value)
    return settings


@dataclass
class ResumeState:
    """Weights, optimizer state and history to continue from (copies, host arrays)."""

    weights: list
    optimizer_state: dict | None
    history: dict  # {"history": {...}, "epoch": [...]}
    epoch: int
    source: str = ""  # "last run" or a checkpoint path

    @classmethod
    def from_model(cls, model, source: str = "last run") -> "ResumeState":
        optimizer = getattr(model, "optimizer", None)
        state = None
        if optimizer is not None and hasattr(optimizer, "get_state"):
            state = {k: np.array(backend.to_numpy(v), copy=True)
                     for k, v in optimizer.get_state().items()}
        history = getattr(model, "history", None)
        record = history.to_dict() if history is not None else {"history": {}, "epoch": []}
        return cls(weights=[np.array(w, copy=True) for w in model.get_weights()],
                   optimizer_state=state, history=record,
                   epoch=int(model.training_state.get("epoch", 0)), source=source)

    @classmethod
    def from_checkpoint(cls, contents) -> "ResumeState":
        return cls(weights=[np.array(w, copy=True) for w in contents.weight_list],
                   optimizer_state=contents.optimizer_state,
                   history=copy.deepcopy(contents.history or {"history": {}, "epoch": []}),
                   epoch=int(contents.epoch), source=contents.path)


@dataclass
class TrainingJob:
    """One run's inputs. `data` (a PreparedData) or `data_loader()` (called in the worker)."""

    spec: dict
    compile_spec: dict
    settings: dict
    data: object = None
    data_loader: object = None
    resume: ResumeState | None = None
    extra: dict = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return int(self.settings["epochs"])

    @property
    def initial_epoch(self) -> int:
        return self.resume.epoch if self.resume is not None else 0

    def training_samples(self) -> int | None:
        """Training samples per epoch as fit() splits them; None until the data is loaded."""
        data = self.data
        if data is None:
            return None
        count = len(data.x_train)
        split = float(self.settings.get("validation_split") or 0)
        if getattr(data, "x_val", None) is None and 0 < split < 1:
            count = math.floor(count * (1.0 - split))  # fit() keeps the last part for validation
        return count

    def compile_kwargs(self) -> dict:
        spec = self.compile_spec
        return {"optimizer": copy.deepcopy(spec.get("optimizer") or "adam"),
                "loss": copy.deepcopy(spec.get("loss")),
                "metrics": list(spec.get("metrics") or []),
                "device": self.settings.get("device") or spec.get("device", "cpu")}

    def checkpoint_folder(self) -> str:
        """This run's own checkpoint folder (`settings["checkpoint"]["run_folder"]`, chosen
        when the run starts; else `<base>/<run name>`)."""
        save = self.settings["checkpoint"]
        return save.get("run_folder") or os.path.join(
            save.get("folder") or default_checkpoint_folder(), self.extra.get("run_name", "run"))

    def checkpoint_pattern(self) -> str:
        """File template for ModelCheckpoint: `<run folder>/<run name>-epoch007.lcm`."""
        name = self.extra.get("run_name", "run")
        return os.path.join(self.checkpoint_folder(), f"{name}-epoch{{epoch:03d}}.lcm")
