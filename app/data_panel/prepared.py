"""PreparedData and `prepare(spec, input_shape)`: the one object the data panel hands to the
training, evaluation and prediction views.

A data spec is plain JSON saved in the project:

    {"dataset": "digits",                 # a name of engine.datasets, or
     "source": {"kind": "csv", "path": "...", "label": "species"},   # an imported file
     "options": {"noise": 0.2},           # generated sets: arguments of datasets.load
     "validation": "split",               # "split": a share of the training data;
                                          # "test": the set's own test split
     "validation_split": 0.1, "test_split": 0.2, "seed": 0,
     "preprocessing": [{"op": "scale", "factor": 0.0625}]}

Only "dataset" (or "source") is required; the rest have the defaults of `DEFAULTS`.
No Qt here: the training helper and the tests call `prepare` directly.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine import datasets
from engine.data import Pipeline, from_csv, from_idx, from_image_folder, from_numpy, \
    train_val_test_split
from engine.errors import DataError, SpecError

DEFAULTS = {"validation": "split", "validation_split": 0.1, "test_split": 0.2, "seed": 0,
            "preprocessing": []}
SOURCE_KINDS = ("csv", "npz", "image_folder", "idx")


@dataclass(eq=False)
class PreparedData:
    """Preprocessed splits shaped for the model, with what the views show about them."""

    name: str
    task: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray | None
    y_val: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    raw_test: np.ndarray
    feature_names: list[str]
    spec: dict
    pipeline: object | None
    raw_train: np.ndarray | None = field(default=None, repr=False)
    sample_shape: tuple = ()

    def __repr__(self) -> str:
        val = None if self.x_val is None else len(self.x_val)
        return (f"PreparedData({self.name!r}, {self.task}, train={self.x_train.shape}, "
                f"val={val}, test={self.x_test.shape}, classes={self.num_classes})")

    @property
    def is_image(self) -> bool:
        """Images: rank >= 3 per model sample, or 2-D raw samples such as (8, 8) digits."""
        return self.x_train.ndim >= 4 or self.raw_test.ndim >= 3

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def raw_range(self) -> tuple[float, float]:
        """(min, max) of the raw test values: 0..16 for digits, 0..255 for MNIST."""
        if self.raw_test.size == 0:
            return 0.0, 1.0
        return float(self.raw_test.min()), float(self.raw_test.max())

    def class_indices(self, y) -> np.ndarray:
        """Class index per sample, whether `y` holds indices or one-hot rows."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            return y.argmax(axis=1).astype(np.int64)
        return y.reshape(len(y)).astype(np.int64)

    def label_text(self, value) -> str:
        """A label for people: the class name, or the target value."""
        value = np.asarray(value)
        if self.task == "classification":
            index = int(value.argmax()) if value.ndim else int(value)
            return self.class_names[index] if index < len(self.class_names) else str(index)
        return f"{float(value.reshape(-1)[0]):.4g}"

    def transform_raw(self, raw: np.ndarray) -> np.ndarray:
        """Preprocesses raw samples (as in `raw_test`) exactly like the training data."""
        x = np.asarray(raw, dtype=np.float32)
        if self.pipeline is not None:
            x = self.pipeline.transform(x)
        return _reshape_to(np.asarray(x, dtype=np.float32), self.sample_shape)


def normalized(spec: dict) -> dict:
    """The spec with every default filled in (a copy)."""
    if not isinstance(spec, dict) or not (spec.get("dataset") or spec.get("source")):
        raise SpecError("A data spec needs a 'dataset' name or an imported 'source'. "
                        f"Received: {spec!r}")
    out = {**DEFAULTS, **spec}
    out["preprocessing"] = [dict(step) for step in out.get("preprocessing") or []]
    if out["validation"] not in ("split", "test"):
        raise SpecError(f"'validation' must be 'split' or 'test'. Received: "
                        f"{out['validation']!r}")
    return out


def spec_name(spec: dict) -> str:
    if spec.get("dataset"):
        return str(spec["dataset"])
    return Path(str(spec["source"].get("path", "data"))).name


def load_raw(spec: dict) -> dict:
    """Loads the spec's data without preprocessing or validation split.

    Returns:
        A dict with x_train, y_train, x_test, y_test, task, class_names, feature_names.
    """
    spec = normalized(spec)
    if spec.get("dataset"):
        return _load_dataset(spec)
    return _load_source(spec)


def _load_dataset(spec):
    name = spec["dataset"]
    info = datasets.info(name)
    if name in datasets.DOWNLOADABLE and not datasets.is_available_offline(name):
        raise DataError(f"The data set {info.title!r} is not downloaded yet. Choose it in the "
                        "Data tab to download it (about "
                        f"{info.download_bytes / 1e6:.0f} MB).")
    (x_tr, y_tr), (x_te, y_te) = datasets.load(name, **(spec.get("options") or {}))
    return {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te,
            "task": info.task, "class_names": list(info.class_names),
            "feature_names": list(info.feature_names)}


def _load_source(spec):
    source = dict(spec["source"])
    kind = source.pop("kind", None)
    if kind not in SOURCE_KINDS:
        raise SpecError(f"Imported data 'kind' must be one of {SOURCE_KINDS}. Received: {kind!r}")
    loaded = load_source(kind, source)
    if loaded.y is None:
        raise DataError(f"{Path(loaded.source).name} has no labels, so a model cannot be "
                        "trained on it. Fix: choose the label column (CSV) or the label array.")
    (x_tr, y_tr), _, (x_te, y_te) = train_val_test_split(
        loaded.x, loaded.y, val=0, test=float(spec["test_split"]), seed=int(spec["seed"]),
        stratify=loaded.task == "classification")
    return {"x_train": x_tr, "y_train": y_tr, "x_test": x_te, "y_test": y_te,
            "task": loaded.task or "classification",
            "class_names": list(loaded.class_names or ()),
            "feature_names": list(loaded.feature_names or ())}


def load_source(kind: str, options: dict):
    """Runs the engine loader for an imported file; returns its `LoadedData`."""
    options = dict(options)
    path = options.pop("path")
    if kind == "csv":
        return from_csv(path, **options)
    if kind == "npz":
        return from_numpy(path, **options)
    if kind == "image_folder":
        if options.get("image_size") is not None:
            options["image_size"] = tuple(options["image_size"])
        return from_image_folder(path, **options)
    from engine.data import LoadedData  # noqa: PLC0415

    x = from_idx(path)
    labels = options.get("labels")
    y = None if not labels else from_idx(labels).astype(np.int64).reshape(-1)
    if y is not None and len(y) != len(x):
        raise DataError(f"{Path(labels).name} has {len(y)} labels but {Path(path).name} has "
                        f"{len(x)} samples. Fix: choose the matching labels file.")
    return LoadedData(x, y, task=None if y is None else "classification", source=str(path))


def prepare(spec: dict, input_shape: tuple | None) -> PreparedData:
    """Loads and preprocesses data per `spec`, shaped for a model input of `input_shape`.

    The pipeline is fitted on the training part only. Samples are reshaped to `input_shape`
    when the number of values agrees (e.g. (8, 8) digits for an (8, 8, 1) Input); otherwise
    they keep their shape and the data panel reports the mismatch.

    Raises:
        SpecError, DataError: from the engine's loaders and pipeline, with their messages.
    """
    spec = normalized(spec)
    raw = load_raw(spec)
    task = raw["task"]
    y_tr, y_te = _labels(raw["y_train"], task), _labels(raw["y_test"], task)
    x_tr, x_te = raw["x_train"], raw["x_test"]
    class_names = raw["class_names"]
    if task == "classification" and not class_names:
        count = int(max(y_tr.max(), y_te.max() if len(y_te) else 0)) + 1
        class_names = [str(i) for i in range(count)]
    x_tr, y_tr, x_val, y_val = _validation(spec, x_tr, y_tr, x_te, y_te, task)
    pipeline = Pipeline(spec["preprocessing"]) if spec["preprocessing"] else None
    data = [(x_tr, y_tr), (x_val, y_val), (x_te, y_te)]
    if pipeline is not None:
        pipeline.fit(x_tr, y_tr)
        data = [(None, None) if x is None else pipeline.transform(x, y) for x, y in data]
    shape = _target_shape(data[0][0], input_shape)
    (xt, yt), (xv, yv), (xs, ys) = [
        (None, None) if x is None else (_reshape_to(_floats(x), shape), y) for x, y in data]
    if spec["validation"] == "test":
        xv, yv = xs, ys  # the very same arrays: views can tell "validation = test"
    return PreparedData(
        name=spec_name(spec), task=task, x_train=xt, y_train=yt, x_val=xv, y_val=yv,
        x_test=xs, y_test=ys, class_names=[str(c) for c in class_names], raw_test=x_te,
        feature_names=[str(f) for f in raw["feature_names"]], spec=spec, pipeline=pipeline,
        raw_train=x_tr, sample_shape=shape)


def _labels(y, task):
    y = np.asarray(y)
    if task == "classification":
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        return y.astype(np.int64) if y.ndim == 1 else y.astype(np.float32)
    return y.astype(np.float32)


def _validation(spec, x_tr, y_tr, x_te, y_te, task):
    """(x_train, y_train, x_val, y_val): the test split, a share of training, or none."""
    seed = int(spec["seed"])
    if spec["validation"] == "test":
        order = np.random.default_rng(seed).permutation(len(x_tr))
        return x_tr[order], y_tr[order], x_te, y_te
    share = float(spec["validation_split"])
    (x_a, y_a), (x_v, y_v), _ = train_val_test_split(
        x_tr, y_tr, val=share, test=0, seed=seed, stratify=task == "classification")
    if share == 0:
        return x_a, y_a, None, None
    return x_a, y_a, x_v, y_v


def _floats(x):
    return np.asarray(x, dtype=np.float32)


def _target_shape(x, input_shape):
    """`input_shape` when its size matches a sample's, else the sample's own shape."""
    own = tuple(int(d) for d in x.shape[1:])
    if not input_shape or any(d is None for d in input_shape):
        return own
    wanted = tuple(int(d) for d in input_shape)
    if int(np.prod(wanted)) == int(np.prod(own)):
        return wanted
    return own


def _reshape_to(x, shape):
    if not shape or tuple(x.shape[1:]) == tuple(shape):
        return x
    return x.reshape((x.shape[0], *shape))
