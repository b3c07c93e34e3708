"""Headless command line: `python -m engine train|evaluate|predict|summary|export ...`.

The same engine the GUI uses, for servers and scripts. Bad options print one clear line and
exit with code 2; engine errors print their message and exit with code 1.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from . import datasets
from .errors import CheckpointError, LayerCraftError, SpecError
from .model import Model

PROG = "python -m engine"


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (plus a pointer to --help), exit code 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="Train, evaluate and use LayerCraft models "
                                           "without the GUI.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    train = sub.add_parser("train", help="train a model from a project, a spec or a checkpoint")
    train.add_argument("model", help="a .lcproj project, a model spec .json, or a .lcm "
                                     "checkpoint to continue")
    _add_data_args(train)
    train.add_argument("--epochs", type=_positive, default=5, help="epochs to train (5)")
    train.add_argument("--batch-size", type=_positive, default=32, help="batch size (32)")
    train.add_argument("--validation-split", type=float, default=0.1,
                       help="fraction of the training data held out for validation (0.1)")
    train.add_argument("--optimizer", help="optimizer name (default: the project's, else adam)")
    train.add_argument("--learning-rate", type=float, help="learning rate of the optimizer")
    train.add_argument("--loss", help="loss name (default: the project's, else chosen from the "
                                      "output layer)")
    train.add_argument("--metrics", help="comma-separated metric names (default: accuracy for "
                                         "classifiers)")
    train.add_argument("--patience", type=int, help="stop early after this many epochs "
                                                    "without val_loss improving")
    train.add_argument("--checkpoint-dir", type=Path,
                       help="write best.lcm and last.lcm (with optimizer state) here")
    train.add_argument("--device", choices=("cpu", "gpu", "auto"), default="auto",
                       help="where to train (auto: GPU when available)")
    train.add_argument("--seed", type=int, help="seed for weights and shuffling")
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    evaluate = sub.add_parser("evaluate", help="evaluate a checkpoint on a data set's test split")
    evaluate.add_argument("checkpoint", help="a .lcm checkpoint")
    _add_data_args(evaluate)
    evaluate.add_argument("--batch-size", type=_positive, default=32)
    predict = sub.add_parser("predict", help="predict with a checkpoint")
    predict.add_argument("checkpoint", help="a .lcm checkpoint")
    _add_data_args(predict)
    predict.add_argument("--count", type=_positive, default=10,
                         help="how many test samples to predict (10)")
    predict.add_argument("--output", type=Path, help="write all predictions to this .csv")
    summary = sub.add_parser("summary", help="print the model summary")
    summary.add_argument("model", help="a .lcproj, a spec .json or a .lcm checkpoint")
    _add_export_parser(sub)
    return parser


def _add_export_parser(sub):
    from .interop import FORMATS  # noqa: PLC0415

    formats = "; ".join(f"{name}: {text}" for name, (_, text) in FORMATS.items())
    export = sub.add_parser("export", help="write a model for another tool: "
                                           f"{', '.join(FORMATS)}",
                            description=f"Formats: {formats}.")
    export.add_argument("model", help="a .lcm checkpoint, a .keras file, or a .lcproj project "
                                      "(the weights of its last run's best checkpoint)")
    export.add_argument("--format", required=True, choices=tuple(FORMATS),
                        help="the format to write")
    export.add_argument("--output", required=True, type=Path,
                        help="the file to write (a folder for pytorch)")
    export.add_argument("--batch-size", type=int, default=None,
                        help="training batch size for the pytorch package's train.py "
                             "(default: the project's)")


def _add_data_args(parser):
    parser.add_argument("--data", required=True,
                        help=f"a data set name ({', '.join(datasets.NAMES)}) or a .csv/.npz "
                             "file")
    parser.add_argument("--label", help="label column of a .csv file")


def _positive(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


# ----- loading ------------------------------------------------------------------------------
def load_any_model(path: str):
    """(model, compile settings or None) from a .lcproj, a spec .json or a .lcm checkpoint."""
    file = Path(path)
    if not file.exists():
        raise SpecError(f"File not found: {path}. Check the path.")
    if file.suffix.lower() in (".lcm", ".keras"):
        from .saving.checkpoint import load_model  # noqa: PLC0415

        return load_model(file), None
    document = _read_document(file)
    if _is_project(document):
        return Model.from_spec(document.get("model", {})), document.get("compile")
    return Model.from_spec(document), None


def _read_document(file: Path):
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"{file} is not a JSON project or spec ({exc}).") from None


def _is_project(document) -> bool:
    return isinstance(document, dict) and document.get("format") == "layercraft.project"


def load_for_export(path: str):
    """(model, compile settings or None, notes) of a checkpoint, a Keras 3 `.keras` file, a
    project or a spec.

    A project's weights are those of its last run's best checkpoint (else the last one the
    run listed), as the app reopens them; a project without one, or a spec, gives a model
    with fresh (untrained) weights, and a note says so.
    """
    file = Path(path)
    if not file.exists():
        raise SpecError(f"File not found: {path}. Check the path.")
    if file.suffix.lower() == ".lcm":
        model, compile_config = _from_checkpoint(file)
        return model, compile_config, [f"Weights: the checkpoint {file.name}."]
    if file.suffix.lower() == ".keras":
        from .interop.keras_import import import_model  # noqa: PLC0415 - h5py inside

        model, notes = import_model(file)
        return model, model.compile_config, [f"Weights: the Keras file {file.name}.", *notes]
    document = _read_document(file)
    if not _is_project(document):
        return Model.from_spec(document), None, [_UNTRAINED + "a spec holds no weights."]
    project_compile = document.get("compile") or None
    checkpoint = _last_checkpoint(document.get("runs"), file.parent)
    if checkpoint is not None and checkpoint.is_file():
        model, compile_config = _from_checkpoint(checkpoint)
        return model, compile_config or project_compile, [
            f"Weights: the last run's checkpoint {checkpoint.name}."]
    why = ("the project has no trained run." if checkpoint is None else
           f"the last run's checkpoint {checkpoint} is missing. Train again, or export a "
           ".lcm file.")
    return Model.from_spec(document.get("model", {})), project_compile, [_UNTRAINED + why]


_UNTRAINED = "Untrained weights: the export holds freshly initialized weights, because "


def project_batch_size(path) -> int | None:
    """The training batch size a `.lcproj` project sets, or None (other files, or unset)."""
    file = Path(path)
    if file.suffix != ".lcproj" or not file.is_file():
        return None
    try:
        document = _read_document(file)
    except LayerCraftError:
        return None
    size = ((document.get("training") or {}) if _is_project(document) else {}).get("batch_size")
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None


def _from_checkpoint(file: Path):
    from .saving.checkpoint import assign_weights, read_checkpoint  # noqa: PLC0415

    contents = read_checkpoint(file)
    try:
        model = Model.from_spec(contents.spec)
    except LayerCraftError as exc:
        raise CheckpointError(f"The checkpoint '{file}' holds a model this LayerCraft cannot "
                              f"build:\n{exc}") from None
    assign_weights(model, contents)
    return model, contents.compile_config


def _last_checkpoint(runs, folder: Path) -> Path | None:
    """The last run's best checkpoint, else the last one it listed (as the app reopens)."""
    if not isinstance(runs, list) or not runs or not isinstance(runs[-1], dict):
        return None
    last = runs[-1]
    listed = [p for p in last.get("checkpoints") or [] if isinstance(p, str) and p]
    best = last.get("best_checkpoint")
    chosen = best if isinstance(best, str) and best else (listed[-1] if listed else None)
    return None if chosen is None else folder / Path(chosen).expanduser()


def load_data(args, input_shape):
    """((x_train, y_train), (x_test, y_test)) shaped and scaled for the model's input."""
    name = args.data
    if name in datasets.NAMES:
        (x_train, y_train), (x_test, y_test) = datasets.load(name)
    else:
        x, y = _load_file(name, args.label)
        cut = int(len(x) * 0.8)
        (x_train, y_train), (x_test, y_test) = (x[:cut], y[:cut]), (x[cut:], y[cut:])
    x_train, x_test = prepare_inputs(x_train, x_test, input_shape)
    return (x_train, y_train), (x_test, y_test)


def _load_file(path, label):
    from . import data  # noqa: PLC0415

    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        if not label:
            raise SpecError("A .csv file needs --label COLUMN (the column with the targets).")
        loaded = data.from_csv(path, label=label)
    elif suffix in (".npz", ".npy"):
        loaded = data.from_numpy(path)
    else:
        raise SpecError(f"Cannot read {path}: use a data set name, a .csv or a .npz file.")
    x, y = loaded
    return x, y


def prepare_inputs(x_train, x_test, input_shape):
    """float32; images scaled to [0, 1] by the training maximum; tabular data standardized
    with training statistics; reshaped to the model's input when the sizes agree."""
    x_train = np.asarray(x_train, dtype=np.float32)
    x_test = np.asarray(x_test, dtype=np.float32)
    if x_train.ndim >= 3 or (x_train.min() >= 0 and x_train.max() > 1 and
                             x_train.shape[-1] >= 64):
        scale = float(x_train.max()) or 1.0
        x_train, x_test = x_train / scale, x_test / scale
    elif x_train.ndim == 2:
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        std[std == 0] = 1.0
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    size = int(np.prod(input_shape))
    if x_train[0].size == size:
        x_train = x_train.reshape(len(x_train), *input_shape)
        x_test = x_test.reshape(len(x_test), *input_shape)
    return x_train, x_test
