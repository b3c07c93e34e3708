"""`from_numpy`: arrays from `.npy` / `.npz` files, never unpickling anything."""

from pathlib import Path

import numpy as np

from ..errors import DataError
from .limits import check_size
from .loaded import LoadedData, encode_labels, first_non_finite, looks_like_classes
from .npy_files import NumpyFile

#: Keys tried, in order, when `x_key` / `y_key` is not given.
X_KEYS = ("x", "x_train", "X", "features", "data", "images")
Y_KEYS = ("y", "y_train", "Y", "labels", "targets", "target")


def from_numpy(path, x_key=None, y_key=None) -> LoadedData:
    """Loads features (and labels) saved with `np.save` / `np.savez`.

    A `.npy` file holds `x` only. In a `.npz` file `x_key` and `y_key` pick the arrays;
    without them the usual names are tried (`x`, `x_train`, ... and `y`, `y_train`, ...), or
    the only array is taken as `x`.

    Args:
        path: A `.npy` or `.npz` file.
        x_key: Name of the feature array in a `.npz`. Defaults to `None` (guess).
        y_key: Name of the label array in a `.npz`. Defaults to `None` (guess; no labels if
            none of the usual names is there).

    Returns:
        `LoadedData` holding the arrays exactly as stored; text labels are the exception and
        become int64 class indices with `class_names`.

    Raises:
        DataError: for a damaged file, object (pickled) arrays, unknown keys, mismatched
            lengths, empty, complex or non-numeric arrays, NaN/inf values, a single class, or
            arrays larger than `engine.data.limits.MAX_BYTES`.
    """
    path = Path(path)
    with NumpyFile(path) as arrays:
        if not arrays.is_npz and y_key is not None:
            raise DataError(f"{path.name} is a .npy file, which holds one array, so there is "
                            f"no {y_key!r} to read labels from. Fix: pass y_key=None, or save "
                            "x and y together with np.savez.")
        x_name, y_name = _names(arrays, x_key, y_key)
        x_header = _check_x_header(arrays, x_name)
        y_header = None if y_name is None else _check_y_header(arrays, y_name, x_header)
        check_size(x_header.nbytes + (y_header.nbytes if y_header else 0),
                   arrays.where(x_name) if y_name is None
                   else f"{arrays.where(x_name)} with {arrays.where(y_name)}")
        x = arrays.read(x_name)
        y = None if y_name is None else arrays.read(y_name)
    _check_x(x, arrays.where(x_name))
    result = LoadedData(x, None, label_name=y_name, source=str(path))
    if y is not None:
        _check_y(y, arrays.where(y_name))
        _set_labels(result, y, arrays.where(y_name))
    return result


def _names(arrays, x_key, y_key):
    if not arrays.is_npz:
        return "array", None
    keys, name = arrays.keys, arrays.name
    x_name = x_key if x_key is not None else _guess(keys, X_KEYS, name, "x_key", only_one=True)
    y_name = y_key if y_key is not None else _guess(keys, Y_KEYS, name, "y_key", only_one=False)
    for key, argument in ((x_name, "x_key"), (y_name, "y_key")):
        if key is not None and key not in keys:
            raise DataError(f"{name} has no array {key!r}. It holds: {keys}. Fix: pass "
                            f"{argument}= one of these names.")
    if x_name == y_name:
        raise DataError(f"{name}: x and y are both the array {x_name!r}. Fix: pass different "
                        "names as x_key and y_key.")
    return x_name, y_name


def _check_x_header(arrays, key):
    header, where = arrays.header(key), arrays.where(key)
    _check_dtype(header.dtype, where, "biuf", "features must be real numbers")
    if len(header.shape) == 0 or header.shape[0] == 0:
        raise DataError(f"{where} is empty (shape {header.shape}); there are no samples to "
                        "load. Fix: save an array of shape (samples, ...).")
    if 0 in header.shape:
        raise DataError(f"{where} has shape {header.shape}: each of its {header.shape[0]} "
                        "samples has no values. Fix: save features with at least one value "
                        "per sample.")
    return header


def _check_y_header(arrays, key, x_header):
    header, where = arrays.header(key), arrays.where(key)
    _check_dtype(header.dtype, where, "biufUS", "labels must be real numbers or text")
    samples = header.shape[0] if header.shape else 0
    if samples != x_header.shape[0]:
        raise DataError(f"{where} has {samples} labels for {x_header.shape[0]} samples (x "
                        f"shape {x_header.shape}, y shape {header.shape}). Fix: save one label "
                        "per sample.")
    if 0 in header.shape:
        raise DataError(f"{where} has shape {header.shape}: the labels hold no values. Fix: "
                        "save one label per sample, shape (samples,).")
    return header


def _check_dtype(dtype, where, kinds, rule):
    if dtype.hasobject:
        raise DataError(f"{where} holds Python objects, which would have to be unpickled; "
                        "LayerCraft never unpickles files because that can run code. Fix: save "
                        "plain numeric (or text) arrays, e.g. np.savez(path, "
                        "x=x.astype('float32'), y=y).")
    if dtype.kind == "c":
        raise DataError(f"{where} holds complex numbers ({dtype}), but {rule}; casting would "
                        "silently drop the imaginary parts. Fix: save the real part, "
                        "np.real(a), or the magnitude, np.abs(a), or both as separate features.")
    if dtype.kind not in kinds:
        raise DataError(f"{where} has dtype {dtype}, but {rule}. Fix: convert it, e.g. "
                        "a.astype('float32'), before saving.")


def _guess(keys, candidates, file_name, argument, only_one):
    for key in candidates:
        if key in keys:
            return key
    if only_one and len(keys) == 1:
        return keys[0]
    if not only_one:
        return None
    if not keys:
        raise DataError(f"{file_name} is an empty archive: it holds no arrays. Fix: save x "
                        "(and y) with np.savez(path, x=x, y=y).")
    raise DataError(f"{file_name} holds the arrays {keys}; which one is x? Fix: pass "
                    f"{argument}= one of these names.")


def _check_x(x, where):
    bad = first_non_finite(x)
    if bad is not None:
        raise DataError(f"{where}{list(bad)} is {x[bad].item()!r}, not a finite number. Fix: "
                        "replace or remove the samples with NaN/inf values.")


def _check_y(y, where):
    bad = first_non_finite(y)
    if bad is not None:
        raise DataError(f"{where}{list(bad)} is {y[bad].item()!r}, not a finite number. Fix: "
                        "replace or remove those samples.")


def _set_labels(result, y, where):
    if y.dtype.kind in "US":  # text labels: map to sorted class indices
        result.y, result.class_names, result.task = encode_labels(
            _text_labels(y, where), "classification", where)
        return
    result.y = y
    integral = y.dtype.kind in "biu" or looks_like_classes(y.astype(np.float64).reshape(-1))
    result.task = "classification" if integral else "regression"
    if integral and y.ndim == 1 and np.unique(y).size < 2:
        raise DataError(f"{where}: every label is {y[0].item()!r}, a single class; a classifier "
                        "needs at least two. Fix: check the labels.")


def _text_labels(y, where):
    if y.ndim > 2 or (y.ndim == 2 and y.shape[1] != 1):
        raise DataError(f"{where} holds text labels of shape {y.shape}, but text labels must "
                        "be one class name per sample, shape (samples,). Fix: save one name "
                        "per sample.")
    try:
        return y.astype(str).reshape(-1)
    except UnicodeDecodeError as exc:
        raise DataError(f"{where} holds byte strings that are not text ({exc.reason} at byte "
                        f"{exc.start}). Fix: save the labels as str, or as class numbers.") \
            from None
