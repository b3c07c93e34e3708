"""Project files for the schema and fuzz tests: the bundled examples, plus one with the
settings and run records the app itself writes (examples have no runs)."""

import copy
import json

from app import examples

#: A run record as `RunsView._on_run_finished` saves it.
RUN_RECORD = {
    "name": "run-20240101-120000", "started": "2024-01-01T12:00:00",
    "settings": {"epochs": 2, "batch_size": 32, "device": "cpu"}, "resumed_from": None,
    "reason": "finished", "message": "", "duration": 1.5, "device": "cpu", "epochs": 2,
    "best": {"loss": 0.5, "val_loss": 0.6, "accuracy": 0.9},
    "history": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "accuracy": [0.5, 0.9]},
    "checkpoints": ["/nowhere/run-epoch001.lcm"], "best_checkpoint": "/nowhere/run-epoch001.lcm",
}
#: Training settings as the training form saves them (every field set).
FULL_TRAINING = {
    "epochs": 5, "batch_size": 16, "validation_split": 0.1, "device": "cpu", "shuffle": True,
    "seed": 7,
    "early_stopping": {"enabled": True, "monitor": "val_loss", "patience": 3, "min_delta": 0.0,
                       "restore_best_weights": True},
    "checkpoint": {"enabled": False, "folder": "", "save_best_only": True, "every": 1,
                   "monitor": "val_loss"},
    "reduce_lr": {"enabled": True, "monitor": "val_loss", "factor": 0.5, "patience": 2},
}
FULL_DATA_EXTRAS = {"validation": "split", "validation_split": 0.1, "seed": 3}


def example(stem: str = "mlp_digits") -> dict:
    """A bundled example project as parsed JSON (a fresh copy)."""
    with open(examples.path(stem), encoding="utf-8") as handle:
        return json.load(handle)


def full_project() -> dict:
    """The MLP example with every setting the app writes, and two finished runs."""
    raw = example("mlp_digits")
    raw["training"] = copy.deepcopy(FULL_TRAINING)
    raw["data"].update(FULL_DATA_EXTRAS)
    raw["runs"] = [copy.deepcopy(RUN_RECORD), {**copy.deepcopy(RUN_RECORD), "name": "run-2"}]
    return raw


def seed_projects() -> list[dict]:
    """What the fuzz tests mutate: every example, and the full project."""
    return [example(stem) for stem, _ in examples.EXAMPLES] + [full_project()]


def write(path, raw) -> str:
    """Writes `raw` as a project file (NaN and Infinity as Python's json writes them)."""
    path.write_text(json.dumps(raw), encoding="utf-8")
    return str(path)
