"""What every file loader returns, and the label encoding the loaders share."""

from dataclasses import dataclass

import numpy as np

from ..errors import DataError, SpecError, describe_choices

TASKS = ("auto", "classification", "regression")
#: Integer-valued numeric labels with at most this many distinct values count as classes
#: when `task="auto"`; more distinct values read as a regression target.
MAX_AUTO_CLASSES = 100


@dataclass(eq=False)
class LoadedData:
    """Arrays read from a file, with what the GUI shows about them.

    Unpacks like a pair: `x, y = from_csv(...)`.

    Attributes:
        x: Features or images, one sample per row (axis 0).
        y: Labels (int64 class indices for classification, float32 for regression, or the
            stored dtype for NumPy/IDX files), or `None` when the file has no labels.
        feature_names: Column names of `x` for tabular data, else `None`.
        class_names: `class_names[i]` is the original label of class index `i`, else `None`.
        label_name: The label column's name (CSV) or array key (NumPy), else `None`.
        task: `"classification"`, `"regression"`, or `None` without labels.
        source: The file or folder the data came from.
    """

    x: np.ndarray
    y: np.ndarray | None = None
    feature_names: tuple[str, ...] | None = None
    class_names: tuple[str, ...] | None = None
    label_name: str | None = None
    task: str | None = None
    source: str = ""

    def __iter__(self):
        return iter((self.x, self.y))

    @property
    def num_samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def num_classes(self) -> int | None:
        return None if self.class_names is None else len(self.class_names)

    def __repr__(self) -> str:
        y_text = "None" if self.y is None else f"{self.y.shape} {self.y.dtype}"
        return (f"LoadedData(x={self.x.shape} {self.x.dtype}, y={y_text}, task={self.task!r}, "
                f"classes={self.num_classes}, source={self.source!r})")


def check_task(task: str) -> str:
    if task not in TASKS:
        raise SpecError(f"`task` must be one of {describe_choices(TASKS)}. Received: {task!r}")
    return task


def encode_labels(values: np.ndarray, task: str, where: str, locate=None):
    """Turns raw label values into `(y, class_names, task)`.

    Text labels become class indices in sorted order (as Keras sorts class folders);
    numeric labels become classes when integer-valued with few distinct values, else a
    float32 regression target. `task` forces either reading.

    Args:
        values: 1-D array of label strings or numbers.
        task: `"auto"`, `"classification"` or `"regression"`.
        where: Names the file and label column in messages, e.g. "data.csv, column 'y'".
        locate: Optional function from a row index to text such as "line 7", for errors.

    Raises:
        DataError: for a single class, non-numeric or non-finite regression targets.
    """
    numbers = _as_numbers(values)
    auto_regression = task == "auto" and numbers is not None and not looks_like_classes(numbers)
    if task == "regression" or auto_regression:
        return _regression_target(values, numbers, where, locate), None, "regression"
    if numbers is not None:
        classes, y = np.unique(numbers, return_inverse=True)
        names = tuple(_format_number(c) for c in classes)
    else:
        classes, y = np.unique(values, return_inverse=True)
        names = tuple(str(c) for c in classes)
    if len(names) < 2:
        raise DataError(
            f"{where}: every one of the {len(values)} rows has the same label {names[0]!r}, "
            "so there is a single class; a classifier needs at least two. Fix: check that the "
            "right column is the label, or load more data, or use task='regression'.")
    return y.astype(np.int64).reshape(-1), names, "classification"


def _as_numbers(values: np.ndarray):
    if values.dtype.kind in "iub":
        return values.astype(np.float64)
    if values.dtype.kind == "f":
        return values.astype(np.float64)
    try:
        return np.char.strip(values.astype(str)).astype(np.float64)
    except ValueError:
        return None


def looks_like_classes(numbers: np.ndarray) -> bool:
    """Whether numeric labels read as classes: integer-valued, finite, at most 100 values."""
    finite = np.isfinite(numbers)
    if not finite.all() or not np.array_equal(numbers, np.round(numbers)):
        return False
    return np.unique(numbers).size <= MAX_AUTO_CLASSES


def _regression_target(values, numbers, where, locate):
    if numbers is None:
        bad = _first_non_number(values)
        at = f" {locate(bad)}" if locate else f" row {bad}"
        raise DataError(
            f"{where}{at}: {str(values[bad])!r} is not a number, but a regression target "
            "must be numeric. Fix: correct the value, or use task='classification' for "
            "text labels.")
    bad = np.flatnonzero(~np.isfinite(numbers))
    if bad.size:
        at = f" {locate(bad[0])}" if locate else f" row {bad[0]}"
        raise DataError(f"{where}{at}: {numbers[bad[0]].item()!r} is not a finite number. "
                        "Fix: replace it with a real value or remove the row.")
    return numbers.astype(np.float32)


def _first_non_number(values) -> int:
    for i, text in enumerate(values):
        try:
            float(text)
        except ValueError:
            return i
    return 0


def _format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def first_non_finite(array: np.ndarray):
    """Index tuple of the first NaN/inf entry of a float array, or `None`."""
    if array.dtype.kind not in "fc":
        return None
    bad = ~np.isfinite(array)
    if not bad.any():
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), array.shape))


def check_real(data, owner):
    """Refuses complex, text and other data that is not real numbers (instead of casting)."""
    kind = data.dtype.kind
    if kind == "c":
        raise DataError(f"{owner} received complex numbers ({data.dtype}); casting them to "
                        "real numbers would silently drop the imaginary parts. Fix: pass "
                        "np.real(x), np.abs(x), or both as separate features.")
    if kind not in "biuf":
        raise DataError(f"{owner} needs numbers, but received data of dtype {data.dtype}. "
                        "Fix: convert it, e.g. x.astype('float32').")
