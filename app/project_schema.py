"""The schema of a project file's sections, checked at load before anything is replaced
(no Qt).

Two outcomes, by design:

* **Refused** (`ProjectError`, nothing opened): a section of the wrong JSON type, such as
  `"training": [1]`; the file is not what it claims to be.
* **Repaired with a warning** (the file opens): a field inside a section that the panels
  cannot use. A wrong type or NaN becomes the default; a number outside the range of the
  widget that shows it (a seed of 2**70, 10**12 epochs) becomes the nearest end of that
  range; a list entry that cannot be used (a preprocessing step, a metric, a run) is left
  out. Each warning names the path: `training.batch_size: 'x' is not an integer; ...`.

The ranges are those of the spin boxes in the training form and the data panel (a test
keeps them in step).
"""

import copy

from engine import datasets, registry
from engine.errors import LayerCraftError, describe_choices

from .compile_schema import COMPILE_FIELDS
from .schema_fields import DROP, Bool, Check, Fields, Float, Int, ListOf, Report, Str, \
    checked_fields, is_number, json_type, shown

MAX_SEED = 2**31 - 1
SOURCE_KINDS = ("csv", "npz", "image_folder", "idx")  # app.data_panel.prepared reads these
MAX_POSITION = 1e9


class ProjectError(LayerCraftError):
    """A project file cannot be read or written; the message is for the user."""


def _callback(patience_high=10_000, **kinds):
    return Fields({"enabled": Bool(False), "monitor": Str("val_loss"),
                   "patience": Int(0, patience_high), **kinds})


TRAINING_FIELDS = {
    "epochs": Int(1, 100_000, 20),
    "batch_size": Int(1, 65_536, 32),
    "validation_split": Float(0.0, 0.9, 0.1),
    "device": Str("cpu"),
    "shuffle": Bool(True),
    "seed": Int(0, MAX_SEED, None, optional=True),
    "early_stopping": _callback(min_delta=Float(0.0, 1e6, 0.0),
                                restore_best_weights=Bool(True)),
    "checkpoint": Fields({"enabled": Bool(False), "folder": Str(""),
                          "save_best_only": Bool(True), "every": Int(1, 10_000, 1),
                          "monitor": Str("val_loss")}),
    "reduce_lr": _callback(factor=Float(0.01, 0.99, 0.5)),
}

#: Arguments of the generated data sets (engine.datasets.generated), kept to sizes that
#: make a toy set in a moment: a million points or a billion classes would hang the app.
OPTION_FIELDS = {
    "n_samples": Int(4, 100_000, 500), "noise": Float(0.0, 100.0, DROP),
    "seed": Int(0, MAX_SEED, 0), "test_split": Float(0.0, 0.9, 0.2),
    "factor": Float(0.01, 0.99, 0.5), "classes": Int(2, 100, 2),
    "turns": Float(0.0, 100.0, 1.5), "centers": Int(2, 100, 3),
}
STEP_FIELDS = {"scale": {"factor": Float(1e-6, 1e6, DROP), "offset": Float(-1e6, 1e6, DROP)}}


def _step(value, path, report):
    if not isinstance(value, dict) or not isinstance(value.get("op"), str):
        report.warn(path, f"{shown(value)} is not a preprocessing step such as "
                          "{'op': 'scale', 'factor': 0.0625}; the step is left out.")
        return DROP
    return checked_fields(value, STEP_FIELDS.get(value["op"], {}), path, report)


def _source(value, path, report):
    if (isinstance(value, dict) and value.get("kind") in SOURCE_KINDS
            and isinstance(value.get("path"), str)):
        return value
    report.warn(path, f"{shown(value)} is not an imported file (expected {{'kind': one of "
                      f"{', '.join(SOURCE_KINDS)}, 'path': text}}); it is left out.")
    return DROP


def _imported(value, path, report):
    """One entry of the data list's imported files: its source and its own preprocessing."""
    if not isinstance(value, dict) or _source(value.get("source"), f"{path}.source",
                                              report) is DROP:
        if not isinstance(value, dict):
            report.warn(path, f"{shown(value)} is not an imported data set; it is left out.")
        return DROP
    return checked_fields(value, {"preprocessing": ListOf(Check(_step))}, path, report)


DATA_FIELDS = {
    "dataset": Str("digits", choices=datasets.NAMES, optional=True),
    "source": Check(_source),
    "imports": ListOf(Check(_imported)),
    "options": Fields(OPTION_FIELDS),
    "validation": Str("split", choices=("split", "test")),
    "validation_split": Float(0.0, 0.5, 0.1),
    "test_split": Float(0.05, 0.5, 0.2),
    "seed": Int(0, MAX_SEED, 0),
    "preprocessing": ListOf(Check(_step)),
}


def _plottable(value) -> bool:
    """A number a float64 array can hold (NaN and infinity included, 10**400 not)."""
    return isinstance(value, float) or (is_number(value) and abs(value) < 1e300)


def _number_lists(value, path, report):
    """A run's history: quantity name -> per-epoch numbers (NaN allowed: a diverged run)."""
    if not isinstance(value, dict):
        report.warn(path, f"{shown(value)} is not a history of values; it is left out.")
        return DROP
    out = {}
    for key, values in value.items():
        if isinstance(values, list) and all(_plottable(v) for v in values):
            out[key] = values
        else:
            report.warn(f"{path}.{key}", f"{shown(values)} is not a list of numbers; it is "
                                         "left out.")
    return out


def _best(value, path, report):
    if not isinstance(value, dict):
        report.warn(path, f"{shown(value)} is not a table of best values; it is left out.")
        return DROP
    return checked_fields(value, {key: Float(-1e300, 1e300) for key in value}, path, report)


RUN_FIELDS = {
    "name": Str(DROP), "started": Str(DROP), "settings": Fields({}),
    "resumed_from": Str(None, optional=True), "reason": Str(DROP, optional=True),
    "message": Str(""), "duration": Float(0.0, 1e9, 0.0), "device": Str(DROP),
    "epochs": Int(0, 10**9, DROP), "best": Check(_best), "history": Check(_number_lists),
    "checkpoints": ListOf(Str(DROP)), "best_checkpoint": Str(None, optional=True),
}


def _run(value, path, report):
    if not isinstance(value, dict):
        report.warn(path, f"{shown(value)} is not a run record; it is left out.")
        return DROP
    return checked_fields(value, RUN_FIELDS, path, report)


def _position(value, path, report):
    if (isinstance(value, list) and len(value) == 2 and all(is_number(v) for v in value)
            and all(abs(v) < MAX_POSITION for v in value)):  # NaN fails this test too
        return value
    report.warn(path, f"{shown(value)} is not a position [x, y] with finite numbers below "
                      f"{MAX_POSITION:g}; the block is placed at (0, 0).")
    return DROP


def _layout(value, path, report):
    return checked_fields(value, {key: Check(_position) for key in value}, path, report)


def check_layer_classes(graph, source: str) -> None:
    """Refuses a model with a layer class this LayerCraft does not have: the canvas, the
    property editor and the palette all need the class (a newer file, or a typo)."""
    known = set(registry.names("layer"))
    for index, node in enumerate(graph.nodes.values()):
        if node.class_name not in known:
            raise ProjectError(
                f"{source}: model.layers[{index}] ('{node.name}'): {shown(node.class_name)} is "
                "not a layer class LayerCraft knows. Nothing was opened. Expected one of: "
                f"{describe_choices(registry.names('layer'))}. Fix: correct the class name "
                "in the file, or open it with the LayerCraft that saved it.")


#: Section -> (the JSON type it must have, its check).
SECTIONS = {
    "layout": (dict, Check(_layout)),
    "compile": (dict, Check(lambda v, p, r: checked_fields(v, COMPILE_FIELDS, p, r))),
    "data": (dict, Check(lambda v, p, r: checked_fields(v, DATA_FIELDS, p, r))),
    "training": (dict, Check(lambda v, p, r: checked_fields(v, TRAINING_FIELDS, p, r))),
    "runs": (list, ListOf(Check(_run))),
}
JSON_NAMES = {dict: "object", list: "array"}


def validate_sections(raw: dict, source: str) -> tuple[dict, list[str]]:
    """Checks every section of a (migrated) project.

    Returns:
        The sections to use (checked copies) and the warnings about what was repaired.

    Raises:
        ProjectError: when a section has the wrong JSON type.
    """
    report = Report()
    parts = {}
    for key, (kind, check) in SECTIONS.items():
        value = raw.get(key, kind())
        if not isinstance(value, kind):
            raise ProjectError(f"{source}: '{key}' must be a JSON {JSON_NAMES[kind]}; found "
                               f"{json_type(value)} {shown(value)}. Nothing was opened. "
                               f"Fix: remove '{key}' from the file or correct it.")
        parts[key] = check.check(copy.deepcopy(value), key, report)
    return parts, report.warnings
